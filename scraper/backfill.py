"""Backfill: every monthly "Ask HN: Who is hiring?" thread since a month, one raw file per thread.

1. Algolia `search_by_date?tags=story,author_whoishiring&numericFilters=created_at_i>=T`, paged to the end,
   keeps the hiring threads (title month >= the asked month), oldest first. The account's threads start in
   April 2011 (../shared/sources.md §3), so earlier months are refused.
2. Each thread not yet stored: `items/{id}`, parsed by the HN adapter, written as
   `raw/<source>/backfill-hn-<YYYY-MM>-<thread id>.jsonl.gz` (deterministic, sorts by month), plus one
   runs.jsonl row. A failing thread gets a `failed` row and the next thread goes on.

Each backfilled row's `fetched_at` is the end of its thread's month (or now, for the current month): the
pipeline takes `fetched_at` as "last seen open", and a 2012 posting stamped today would count as active for
years. The wall-clock fetch time is in the thread's runs row.

Resume: the raw file is the commit point (written whole under a temp name, then renamed). A thread counts as
stored when its backfill file exists (any month label: the id decides) or when a regular scrape of the
source already stored comments whose `story_id`/`parent_id` is the thread. That set is built once per run,
so a run killed at any point and started again fetches only what is missing and stores nothing twice.
"""
from __future__ import annotations

import fcntl
import gzip
import logging
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator, Protocol

from scraper.fetch import Fetcher, FetchError
from scraper.rawstore import RAW_SUFFIX, REJECTED_SUFFIX, RawStore, SourceRun
from scraper.settings import FetchSettings, HackerNewsSource
from scraper.sources import hackernews
from scraper.sources.base import SourceFormatError

log = logging.getLogger(__name__)

EARLIEST_MONTH = date(2011, 4, 1)  # the whoishiring account's first hiring thread (item 2396027)
RUN_PREFIX = "backfill-hn-"
_RUN_ID = re.compile(rf"^{re.escape(RUN_PREFIX)}\d{{4}}-\d{{2}}-(\d+)$")
_MONTH_ARG = re.compile(r"^(\d{4})-(\d{2})$")
# Comment payloads in regular raw files name their thread. The raw store writes JSON with ": " after keys;
# inside a JSON string a quote is escaped, so this cannot match text in a description.
_THREAD_REF = re.compile(rb'"(?:story_id|parent_id)":\s*(\d+)')
# A thread may go up a little before midnight UTC of its month's first day; its title decides the month.
_SEARCH_MARGIN = timedelta(days=7)
_MAX_SEARCH_PAGES = 200
# Failures that mean "this thread (or the API) is broken right now", recorded and skipped.
EXPECTED_ERRORS = (FetchError, SourceFormatError)


class BackfillError(Exception):
    """A backfill that cannot start: bad month, no such source, another backfill running, search failed."""

    def __init__(self, message: str, exit_code: int = 2):
        self.exit_code = exit_code
        super().__init__(message)


@dataclass(frozen=True, order=True)
class HiringThread:
    year: int
    month: int
    created_at_i: int
    id: int
    title: str = field(compare=False)

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def run_id(self) -> str:
        return f"{RUN_PREFIX}{self.label}-{self.id}"

    def open_until(self) -> datetime:
        """The last instant of the thread's month: when the next month's thread replaced it."""
        year, month = (self.year + 1, 1) if self.month == 12 else (self.year, self.month + 1)
        return datetime(year, month, 1, tzinfo=timezone.utc) - timedelta(seconds=1)


@dataclass
class ThreadOutcome:
    thread: HiringThread
    status: str  # ok | empty | failed
    postings: int = 0
    rejected: int = 0
    error: str = ""


@dataclass
class BackfillSummary:
    source: str
    since: date
    found: list[HiringThread] = field(default_factory=list)
    skipped: list[HiringThread] = field(default_factory=list)  # already stored
    outcomes: list[ThreadOutcome] = field(default_factory=list)
    runs_repaired: int = 0  # stored threads whose runs row was missing (killed between the two writes)

    @property
    def fetched(self) -> int:
        return sum(o.status != "failed" for o in self.outcomes)

    @property
    def postings(self) -> int:
        return sum(o.postings for o in self.outcomes)

    @property
    def failed(self) -> list[ThreadOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]


class BackfillObserver(Protocol):
    def planned(self, found: list[HiringThread], to_fetch: list[HiringThread]) -> None: ...

    def thread_done(self, outcome: ThreadOutcome) -> None: ...


class _Quiet:
    def planned(self, found: list[HiringThread], to_fetch: list[HiringThread]) -> None:
        pass

    def thread_done(self, outcome: ThreadOutcome) -> None:
        pass


def parse_since(text: str) -> date:
    """"2019-03" -> date(2019, 3, 1); BackfillError for anything else or a month before April 2011."""
    match = _MONTH_ARG.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise BackfillError(f"--since must be a month as YYYY-MM (e.g. 2019-03), not {text!r}")
    month = date(int(match.group(1)), int(match.group(2)), 1)
    if month < EARLIEST_MONTH:
        raise BackfillError(
            f"--since {text}: the first 'Ask HN: Who is hiring?' thread of the whoishiring account is "
            f"April 2011; use --since 2011-04 or later"
        )
    today = datetime.now(timezone.utc).date()
    if month > today.replace(day=1):
        raise BackfillError(f"--since {text} is in the future")
    return month


def pick_source(sources: list[Any], name: str | None) -> HackerNewsSource:
    if name is not None:
        chosen = next((s for s in sources if s.name == name), None)
        if chosen is None:
            raise BackfillError(f"no source named {name!r} in the config")
        if not isinstance(chosen, HackerNewsSource):
            raise BackfillError(f"source {name!r} is of kind {chosen.kind!r}, not hn")
        return chosen
    chosen = next((s for s in sources if isinstance(s, HackerNewsSource)), None)
    if chosen is None:
        raise BackfillError("the config has no source of kind hn; add one (kind: hn) or name it with --source")
    return chosen


async def backfill_hn(
    fetcher: Fetcher,
    source: HackerNewsSource,
    since: date,
    store: RawStore,
    observer: BackfillObserver | None = None,
) -> BackfillSummary:
    """Store every hiring thread since `since` that the store lacks. The caller holds `backfill_lock`."""
    observer = observer or _Quiet()
    base = source.base_url or hackernews.DEFAULT_BASE_URL
    summary = BackfillSummary(source=source.name, since=since)
    _remove_stale_temp_files(store, source.name)
    summary.found = await _search_threads(fetcher, base, source, since, store)
    stored = stored_thread_ids(store, source.name)
    summary.runs_repaired = _repair_missing_runs(store, source.name)
    to_fetch = [t for t in summary.found if t.id not in stored]
    summary.skipped = [t for t in summary.found if t.id in stored]
    observer.planned(summary.found, to_fetch)
    for thread in to_fetch:
        outcome = await _backfill_thread(fetcher, base, source, thread, store)
        summary.outcomes.append(outcome)
        observer.thread_done(outcome)
    return summary


async def run_backfill(
    settings: FetchSettings,
    source: HackerNewsSource,
    since: date,
    store: RawStore,
    observer: BackfillObserver | None = None,
) -> BackfillSummary:
    with backfill_lock(store, source.name):
        async with Fetcher(settings) as fetcher:
            return await backfill_hn(fetcher, source, since, store, observer)


@contextmanager
def backfill_lock(store: RawStore, source_name: str) -> Iterator[None]:
    """One backfill per source and data directory; the kernel drops the lock when its process dies."""
    path = store.data_dir / f".backfill-{source_name}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackfillError(f"another backfill of {source_name!r} is running on {store.data_dir}", 3) from None
        yield


async def _search_threads(
    fetcher: Fetcher, base: str, source: HackerNewsSource, since: date, store: RawStore
) -> list[HiringThread]:
    started = datetime.now(timezone.utc)
    getter = fetcher.for_source(source)  # the source's policy: ignore_robots, time budget
    try:
        hits: dict[int, dict[str, Any]] = {}
        start = int((datetime(since.year, since.month, 1, tzinfo=timezone.utc) - _SEARCH_MARGIN).timestamp())
        for page in range(_MAX_SEARCH_PAGES):
            payload = await getter.get_json(hackernews.search_url(base), {
                "tags": "story,author_whoishiring", "numericFilters": f"created_at_i>={start}",
                "hitsPerPage": source.hits_per_page, "page": page,
            })
            if not isinstance(payload, dict) or not isinstance(payload.get("hits"), list):
                raise SourceFormatError("Algolia search response has no 'hits' list")
            for hit in payload["hits"]:
                # A story posted while we page shifts the rest down one place: the same hit comes twice.
                if isinstance(hit, dict) and str(hit.get("objectID") or "").isdigit():
                    hits[int(hit["objectID"])] = hit
            if not payload["hits"] or page >= int(payload.get("nbPages") or 0) - 1:
                break
        else:
            raise SourceFormatError(f"Algolia search still had pages after {_MAX_SEARCH_PAGES}")
        if len(hits) < int(payload.get("nbHits") or 0):
            # Algolia serves at most ~1,000 hits of a query (about 25 years of this account's stories);
            # newest first, so the missing ones are the oldest. nbHits may be an estimate: warn, don't fail.
            log.warning("Algolia listed %d of %s stories (nbHits): the oldest months may be missing; "
                        "backfill again with a later --since to check", len(hits), payload.get("nbHits"))
    except EXPECTED_ERRORS as exc:
        store.append_runs([SourceRun(
            run_id=f"{RUN_PREFIX}search-{started:%Y%m%dT%H%M%S%fZ}", source=source.name, kind="hn",
            started_at=started.isoformat(), finished_at=datetime.now(timezone.utc).isoformat(), status="failed",
            postings=0, rejected=0, requests=getter.requests_made, error_class=type(exc).__name__,
            error=str(exc)[:2000], raw_file="", ignore_robots_reason=_robots_note(source))])
        raise BackfillError(f"could not list the hiring threads: {type(exc).__name__}: {exc}", 1) from exc
    threads = []
    for thread_id, hit in hits.items():
        title = str(hit.get("title") or "")
        month = hackernews.thread_month(title)
        if month is None:
            if hackernews.THREAD_TITLE.match(title):
                log.warning("hiring thread %s has no month we can read in %r: skipped", thread_id, title)
            continue
        if date(month[0], month[1], 1) >= since:
            threads.append(HiringThread(month[0], month[1], int(hit.get("created_at_i") or 0), thread_id, title))
    return sorted(threads)


async def _backfill_thread(
    fetcher: Fetcher, base: str, source: HackerNewsSource, thread: HiringThread, store: RawStore
) -> ThreadOutcome:
    started = datetime.now(timezone.utc)
    # A handle per thread: the source's time budget bounds one thread, not a backfill of many years.
    getter = fetcher.for_source(source)
    outcome = ThreadOutcome(thread, "failed")
    raw_file, error_class = "", ""
    try:
        page = await hackernews.fetch_thread(getter, base, thread.id, source.name)
        # The pipeline reads fetched_at as "last seen open" (a posting is active until then), so a past
        # thread is stamped with the end of its month, not today; the fetch time is in the runs row.
        seen = min(started, thread.open_until())
        store.write_rejected(source.name, thread.run_id, page.rejected)
        raw_path = store.write_postings(source.name, thread.run_id, seen, page.postings)  # the commit point
        raw_file = str(raw_path.relative_to(store.data_dir))
        outcome = ThreadOutcome(thread, "ok" if page.postings else "empty", len(page.postings), len(page.rejected))
    except EXPECTED_ERRORS as exc:
        error_class, outcome.error = type(exc).__name__, str(exc)
        log.warning("thread %s (%s) failed: %s", thread.id, thread.label, exc)
    store.append_runs([SourceRun(
        run_id=thread.run_id, source=source.name, kind="hn", started_at=started.isoformat(),
        finished_at=datetime.now(timezone.utc).isoformat(), status=outcome.status, postings=outcome.postings,
        rejected=outcome.rejected, requests=getter.requests_made, error_class=error_class,
        error=outcome.error[:2000], raw_file=raw_file, ignore_robots_reason=_robots_note(source))])
    return outcome


def _robots_note(source: HackerNewsSource) -> str:
    return (source.ignore_robots_reason or "") if source.ignore_robots else ""


def stored_thread_ids(store: RawStore, source_name: str) -> set[int]:
    """Threads this source already holds: backfill files by name, regular scrapes by their comments' thread."""
    stored: set[int] = set()
    for path in _source_raw_files(store, source_name):
        match = _RUN_ID.match(path.name.removesuffix(RAW_SUFFIX))
        if match:
            stored.add(int(match.group(1)))
            continue
        with gzip.open(path, "rb") as handle:
            stored.update(int(ref) for ref in _THREAD_REF.findall(handle.read()))
    return stored


def _source_raw_files(store: RawStore, source_name: str) -> list[Path]:
    folder = store.raw_dir / source_name
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.name.endswith(RAW_SUFFIX) and not p.name.endswith(REJECTED_SUFFIX))


def _repair_missing_runs(store: RawStore, source_name: str) -> int:
    """A runs row for each backfill file that has none: the process died between the raw file and its row."""
    logged = {str(r.get("run_id")) for r in store.read_runs() if r.get("source") == source_name}
    missing = []
    for path in _source_raw_files(store, source_name):
        run_id = path.name.removesuffix(RAW_SUFFIX)
        if not _RUN_ID.match(run_id) or run_id in logged:
            continue
        with gzip.open(path, "rb") as handle:
            postings = sum(1 for line in handle if line.strip())
        stamp = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).isoformat()
        rejected_path = path.with_name(f"{run_id}{REJECTED_SUFFIX}")
        rejected = 0
        if rejected_path.exists():
            with gzip.open(rejected_path, "rb") as handle:
                rejected = sum(1 for line in handle if line.strip())
        missing.append(SourceRun(
            run_id=run_id, source=source_name, kind="hn", started_at=stamp, finished_at=stamp,
            status="ok" if postings else "empty", postings=postings, rejected=rejected, requests=0,
            error_class="", error="", raw_file=str(path.relative_to(store.data_dir))))
    if missing:
        store.append_runs(missing)
    return len(missing)


def _remove_stale_temp_files(store: RawStore, source_name: str) -> None:
    """Temp files of a backfill killed mid-write (kill -9 skips the cleanup); safe under `backfill_lock`."""
    folder = store.raw_dir / source_name
    if folder.is_dir():
        for path in folder.glob(f".{RUN_PREFIX}*.tmp"):
            log.info("removing %s, left by an interrupted backfill", path)
            path.unlink(missing_ok=True)


__all__ = [
    "BackfillError", "BackfillObserver", "BackfillSummary", "EARLIEST_MONTH", "HiringThread", "ThreadOutcome",
    "backfill_hn", "backfill_lock", "parse_since", "pick_source", "run_backfill", "stored_thread_ids",
]
