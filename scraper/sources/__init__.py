"""One small module per source kind, and the registry kind -> adapter."""
from __future__ import annotations

from typing import Awaitable, Callable

from scraper.fetch import Fetcher
from scraper.sources import greenhouse, hackernews, lever
from scraper.sources.base import ParsedPage, SourceContext

# collect(fetcher, source_config, context) -> ParsedPage
Adapter = Callable[[Fetcher, object, SourceContext], Awaitable[ParsedPage]]

ADAPTERS: dict[str, Adapter] = {
    "greenhouse": greenhouse.collect,
    "lever": lever.collect,
    "hn": hackernews.collect,
}
