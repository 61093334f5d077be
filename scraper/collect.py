"""Run every configured source once: fetch, store raw, log the run. A failing source never stops the others."""
from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import traceback
from datetime import datetime, timezone
from typing import Protocol, Sequence

from scraper.fetch import Fetcher, FetchError, RobotsDisallowed, Sleep
from scraper.health import possibly_broken
from scraper.rawstore import RawStore, SourceRun
from scraper.records import RawPosting
from scraper.settings import FetchSettings, SourceConfig
from scraper.sources import ADAPTERS
from scraper.sources.base import SourceContext, SourceFormatError

log = logging.getLogger(__name__)

# Errors that mean "this source is broken right now"; anything else is a bug, recorded the same way
# but logged with its traceback so it gets fixed.
EXPECTED_ERRORS = (FetchError, SourceFormatError)


class ScrapeProgress(Protocol):
    """What a progress display is told (pipeline/cli.py draws rich bars); every call is cheap and synchronous."""

    def started(self, source: str) -> None: ...

    def requests(self, source: str, count: int) -> None: ...

    def finished(self, run: SourceRun) -> None: ...


def new_run_id(now: datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%S%fZ")


def content_key(posting: RawPosting) -> str:
    """What makes a stored posting "updated" when it changes: the text a reader and the pipeline see."""
    text = "\x1f".join((posting.title, posting.company, posting.location, posting.description_html,
                        posting.description_text))
    return hashlib.sha256(text.encode("utf-8", errors="replace")).hexdigest()


async def scrape_sources(
    sources: Sequence[SourceConfig],
    settings: FetchSettings,
    store: RawStore,
    *,
    sleep: Sleep = asyncio.sleep,
    progress: ScrapeProgress | None = None,
) -> list[SourceRun]:
    cache_dir = store.http_cache_dir if settings.conditional_requests else None
    async with Fetcher(settings, sleep=sleep, http_cache_dir=cache_dir) as fetcher:
        return await scrape_with(fetcher, sources, store, progress=progress)


async def scrape_with(
    fetcher: Fetcher, sources: Sequence[SourceConfig], store: RawStore, *, progress: ScrapeProgress | None = None
) -> list[SourceRun]:
    """`scrape_sources` with a fetcher the caller holds (the daemon shares one among overlapping scrapes)."""
    run_id = new_run_id(datetime.now(timezone.utc))
    runs = await asyncio.gather(
        *(_scrape_one(fetcher, source, store, run_id, progress) for source in sources if source.enabled)
    )
    store.append_runs(list(runs))
    return list(runs)


async def _watch_requests(handle, source: str, progress: ScrapeProgress) -> None:
    while True:
        progress.requests(source, handle.requests_made)
        await asyncio.sleep(0.1)


async def _scrape_one(
    fetcher: Fetcher, source: SourceConfig, store: RawStore, run_id: str, progress: ScrapeProgress | None
) -> SourceRun:
    started, clock = datetime.now(timezone.utc), time.monotonic()
    adapter = ADAPTERS[source.kind]
    handle = fetcher.for_source(source)
    status, error_class, error, raw_file = "ok", "", "", ""
    postings = rejected = new = updated = 0
    watcher = None
    if progress is not None:
        progress.started(source.name)
        watcher = asyncio.create_task(_watch_requests(handle, source.name, progress))
    try:
        known = await asyncio.to_thread(store.known_postings, source.name)
        page = await adapter(handle, source, SourceContext(known=known))
        postings, rejected = len(page.postings), len(page.rejected)
        keys = {key: content_key(p) for key, p in known.items()}
        new = sum(p.source_id not in keys for p in page.postings)
        updated = sum(p.source_id in keys and keys[p.source_id] != content_key(p) for p in page.postings)
        raw_path = store.write_postings(source.name, run_id, started, page.postings)
        store.write_rejected(source.name, run_id, page.rejected)
        raw_file = str(raw_path.relative_to(store.data_dir))
        if not page.postings:
            status = "empty"
    except RobotsDisallowed as exc:
        status, error_class, error = "blocked", type(exc).__name__, (
            f"{exc}; to fetch a provider's documented API anyway, set ignore_robots: true with "
            "ignore_robots_reason in this source's config")
        log.warning("source %s blocked by robots.txt: %s", source.name, exc)
    except EXPECTED_ERRORS as exc:
        status, error_class, error = "failed", type(exc).__name__, str(exc)
        log.warning("source %s failed: %s", source.name, exc)
    except Exception as exc:  # noqa: BLE001 - recorded loudly, then the other sources go on
        status, error_class, error = "failed", type(exc).__name__, str(exc) or repr(exc)
        log.error("source %s crashed:\n%s", source.name, traceback.format_exc())
    finally:
        if watcher is not None:
            watcher.cancel()
    finished = datetime.now(timezone.utc)
    run = SourceRun(
        run_id=run_id,
        source=source.name,
        kind=source.kind,
        started_at=started.isoformat(),
        finished_at=finished.isoformat(),
        status=status,
        postings=postings,
        rejected=rejected,
        requests=handle.requests_made,
        error_class=error_class,
        error=error[:2000],
        raw_file=raw_file,
        new=new,
        updated=updated,
        not_modified=handle.not_modified,
        duration_seconds=round(time.monotonic() - clock, 3),
        ignore_robots_reason=(source.ignore_robots_reason or "") if source.ignore_robots else "",
    )
    history = store.source_history(source.name)
    run.possibly_broken = possibly_broken([*history, vars(run)], fetcher.settings.broken_reject_rate) or ""
    if run.possibly_broken:
        log.warning("source %s possibly broken: %s", source.name, run.possibly_broken)
    if progress is not None:
        progress.finished(run)
    return run
