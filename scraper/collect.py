"""Run every configured source once: fetch, store raw, log the run. A failing source never stops the others."""
from __future__ import annotations

import asyncio
import logging
import traceback
from datetime import datetime, timezone
from typing import Sequence

from scraper.fetch import Fetcher, FetchError, Sleep
from scraper.rawstore import RawStore, SourceRun
from scraper.settings import FetchSettings, SourceConfig
from scraper.sources import ADAPTERS
from scraper.sources.base import SourceFormatError

log = logging.getLogger(__name__)

# Errors that mean "this source is broken right now"; anything else is a bug, recorded the same way
# but logged with its traceback so it gets fixed.
EXPECTED_ERRORS = (FetchError, SourceFormatError)


def new_run_id(now: datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%S%fZ")


async def scrape_sources(
    sources: Sequence[SourceConfig],
    settings: FetchSettings,
    store: RawStore,
    *,
    sleep: Sleep = asyncio.sleep,
) -> list[SourceRun]:
    async with Fetcher(settings, sleep=sleep) as fetcher:
        return await scrape_with(fetcher, sources, store)


async def scrape_with(fetcher: Fetcher, sources: Sequence[SourceConfig], store: RawStore) -> list[SourceRun]:
    """`scrape_sources` with a fetcher the caller holds (the daemon shares one among overlapping scrapes)."""
    run_id = new_run_id(datetime.now(timezone.utc))
    runs = await asyncio.gather(
        *(_scrape_one(fetcher, source, store, run_id) for source in sources if source.enabled)
    )
    store.append_runs(list(runs))
    return list(runs)


async def _scrape_one(fetcher: Fetcher, source: SourceConfig, store: RawStore, run_id: str) -> SourceRun:
    started = datetime.now(timezone.utc)
    adapter = ADAPTERS[source.kind]
    status, error_class, error, raw_file = "ok", "", "", ""
    postings = rejected = requests = 0
    try:
        page = await adapter(fetcher, source)
        postings, rejected, requests = len(page.postings), len(page.rejected), page.requests
        raw_path = store.write_postings(source.name, run_id, started, page.postings)
        store.write_rejected(source.name, run_id, page.rejected)
        raw_file = str(raw_path.relative_to(store.data_dir))
        if not page.postings:
            status = "empty"
    except EXPECTED_ERRORS as exc:
        status, error_class, error = "failed", type(exc).__name__, str(exc)
        log.warning("source %s failed: %s", source.name, exc)
    except Exception as exc:  # noqa: BLE001 - recorded loudly, then the other sources go on
        status, error_class, error = "failed", type(exc).__name__, str(exc) or repr(exc)
        log.error("source %s crashed:\n%s", source.name, traceback.format_exc())
    finished = datetime.now(timezone.utc)
    return SourceRun(
        run_id=run_id,
        source=source.name,
        kind=source.kind,
        started_at=started.isoformat(),
        finished_at=finished.isoformat(),
        status=status,
        postings=postings,
        rejected=rejected,
        requests=requests,
        error_class=error_class,
        error=error[:2000],
        raw_file=raw_file,
    )
