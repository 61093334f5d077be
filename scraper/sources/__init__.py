"""One small module per source kind, and the registry kind -> adapter."""
from __future__ import annotations

from typing import Awaitable, Callable

from scraper.fetch import Fetcher
from scraper.sources import greenhouse, hackernews, lever
from scraper.sources.base import ParsedPage

Adapter = Callable[[Fetcher, object], Awaitable[ParsedPage]]

ADAPTERS: dict[str, Adapter] = {
    "greenhouse": greenhouse.collect,
    "lever": lever.collect,
    "hn": hackernews.collect,
}
