"""One small module per source kind, and the registry kind -> adapter."""
from __future__ import annotations

from typing import Awaitable, Callable

from scraper.fetch import Fetcher
from scraper.sources import (arbeitnow, ashby, greenhouse, hackernews, html_listing, lever, remoteok, remotive, schemaorg,
                             smartrecruiters, workable, wwr)
from scraper.sources.base import ParsedPage, SourceContext

# collect(fetcher, source_config, context) -> ParsedPage
Adapter = Callable[[Fetcher, object, SourceContext], Awaitable[ParsedPage]]

ADAPTERS: dict[str, Adapter] = {
    "greenhouse": greenhouse.collect,
    "lever": lever.collect,
    "hn": hackernews.collect,
    "wwr": wwr.collect,
    "ashby": ashby.collect,
    "workable": workable.collect,
    "remotive": remotive.collect,
    "remoteok": remoteok.collect,
    "smartrecruiters": smartrecruiters.collect,
    "arbeitnow": arbeitnow.collect,
    "schemaorg": schemaorg.collect,
    "html": html_listing.collect,
}
