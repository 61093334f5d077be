"""`jobtrends schedule`: the long-running scheduler (APScheduler 3) a user leaves on a server.

Jobs, kept in a SQLite job store under the data directory so that a restart resumes the schedule:

    scrape:<source>  one per enabled source, on the source's cron: scrape it into the raw store
    process          one-off, `process_delay_seconds` after a scrape (the first of a burst): rebuild the dataset
    report           on `schedule.report` (Monday 07:00 by default): process if stale, then write the report

Every job coalesces missed runs into one, never runs twice at once, may start up to
`misfire_grace_seconds` late, and is delayed by a random 0..`jitter_seconds`.

On start the job store is reconciled with the config: a job whose trigger and arguments are unchanged is
kept with its stored next run time, so a run that fell due while the daemon was down happens once, now;
a changed one is rescheduled or replaced; one no longer in the config is removed.

Threads: the scheduler and the scrapes share one asyncio loop (scrapes that overlap share one Fetcher, so
per-host pacing and robots.txt hold across sources); processing and reporting run in worker threads, one
at a time, because both use the dataset folder.
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime, timedelta, timezone
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import AsyncIterator, Iterator

from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from pipeline.errors import JobtrendsError
from pipeline.jobplan import JOB_TABLE, PROCESS_FUNC, PROCESS_JOB, job_options, job_store_path, planned_jobs, reconcile
from pipeline.process import dataset_is_current, process
from pipeline.settings import AppConfig, resolve_timezone
from pipeline.skills import Taxonomy
from scraper.collect import scrape_with
from scraper.fetch import Fetcher
from scraper.rawstore import RawStore
from scraper.settings import FetchSettings

log = logging.getLogger(__name__)

LOG_FILE = Path("logs") / "jobtrends.log"
LOG_MAX_BYTES, LOG_BACKUPS = 5_000_000, 5


# --- the job functions the store refers to -----------------------------------------------------

_current: "Daemon | None" = None


def _daemon() -> "Daemon":
    if _current is None:
        raise RuntimeError("no jobtrends daemon is running in this process")
    return _current


async def scrape_job(source: str) -> None:
    await _daemon().run_scrape(source)


def process_job() -> None:
    _daemon().run_process()


def report_job() -> None:
    _daemon().run_report()


# --- the daemon ---------------------------------------------------------------------------------

class SharedFetcher:
    """One Fetcher for scrapes that overlap in time, a fresh one for the next burst.

    Overlapping scrapes share per-host pacing and robots.txt, as in `jobtrends scrape`; a burst that starts
    after the previous one ended reads robots.txt anew, so a daemon running for months never keeps stale rules.
    """

    def __init__(self, settings: FetchSettings, http_cache_dir: Path | None = None):
        self.settings = settings
        self.http_cache_dir = http_cache_dir  # conditional requests (scraper/httpcache.py)
        self._fetcher: Fetcher | None = None
        self._users = 0

    @asynccontextmanager
    async def borrow(self) -> AsyncIterator[Fetcher]:
        if self._fetcher is None:
            self._fetcher = Fetcher(self.settings, http_cache_dir=self.http_cache_dir)
            await self._fetcher.__aenter__()  # only builds the client: no other borrower runs meanwhile
        fetcher = self._fetcher
        self._users += 1
        try:
            yield fetcher
        finally:
            self._users -= 1
            if self._users == 0 and self._fetcher is fetcher:
                self._fetcher = None
                await fetcher.__aexit__(None, None, None)


class Daemon:
    """Runs the schedule until `request_stop` (or SIGTERM/SIGINT when `handle_signals`).

    `asyncio.run(Daemon(cfg, taxonomy).serve())`; the caller holds the data directory's `DaemonLock`.
    """

    def __init__(self, cfg: AppConfig, taxonomy: Taxonomy, *, handle_signals: bool = True):
        self.cfg = cfg
        self.taxonomy = taxonomy
        self.handle_signals = handle_signals
        self.tz = resolve_timezone(cfg.schedule.timezone)
        self.sources = {s.name: s for s in cfg.sources if s.enabled}
        self.store = RawStore(cfg.data_dir)
        self.options = job_options(cfg)
        self.fetchers = SharedFetcher(cfg.fetch, RawStore(cfg.data_dir).http_cache_dir)
        self.scheduler: AsyncIOScheduler | None = None
        self.ready = threading.Event()      # the schedule is running
        self.stopping = threading.Event()   # a stop was asked: start nothing new
        self._cut = threading.Event()       # a second stop: cut running scrapes without waiting
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._stop_guard = threading.Lock()
        self._stop_early = False
        self._scrapes: set[asyncio.Task] = set()
        self._pipeline_lock = threading.RLock()   # process and report: one at a time
        self._process_guard = threading.Lock()    # guards _processing against request_process
        self._processing = False
        self._pipeline_count = 0
        self._count_guard = threading.Lock()

    # -- lifecycle --

    def request_stop(self) -> None:
        """Thread-safe. First call: finish or cut running jobs, then stop. Second call: cut now."""
        with self._stop_guard:
            if self._loop is None:
                self._stop_early = True
                return
            self._loop.call_soon_threadsafe(self._on_stop_request)

    def _on_stop_request(self) -> None:
        assert self._stop is not None
        if self._stop.is_set():
            log.warning("second stop request: cutting running scrapes now")
            self._cut.set()
        self._stop.set()

    async def serve(self) -> None:
        global _current
        if _current is not None:
            raise RuntimeError("a jobtrends daemon is already running in this process")
        self.cfg.data_dir.mkdir(parents=True, exist_ok=True)
        loop = asyncio.get_running_loop()
        loop.set_default_executor(ThreadPoolExecutor(max_workers=2, thread_name_prefix="jobtrends-pipeline"))
        self._stop = asyncio.Event()
        with self._stop_guard:
            self._loop = loop
            if self._stop_early:
                self._stop.set()
        if self.handle_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, self._on_signal, sig)
        scheduler = AsyncIOScheduler(
            jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{job_store_path(self.cfg.data_dir)}",
                                                     tablename=JOB_TABLE)},
            executors={"default": AsyncIOExecutor()},
            job_defaults=self.options,
            timezone=self.tz,
            event_loop=loop,
        )
        self.scheduler = scheduler
        _current = self
        try:
            scheduler.start(paused=True)
            done = reconcile(scheduler, planned_jobs(self.cfg), self.options)
            for verb in ("added", "kept", "rescheduled", "replaced", "removed"):
                if getattr(done, verb):
                    log.info("jobs %s: %s", verb, ", ".join(getattr(done, verb)))
            if self.cfg.schedule.process_after_scrape and self._dataset_stale():
                log.info("the dataset is older than the raw store: processing is due")
                self.request_process()
            scheduler.resume()
            for job in scheduler.get_jobs():
                log.info("next run of %s: %s", job.id, job.next_run_time)
            log.info("schedule running on %s (pid %d)", self.cfg.data_dir, os.getpid())
            self.ready.set()
            await self._stop.wait()
            await self._wind_down()
        finally:
            if self.handle_signals:
                for sig in (signal.SIGTERM, signal.SIGINT):
                    loop.remove_signal_handler(sig)
            if scheduler.running:
                scheduler.shutdown(wait=False)
                while scheduler.running:  # AsyncIOScheduler shuts down on the loop's next turn
                    await asyncio.sleep(0)
            _current = None
            log.info("schedule stopped")

    def _on_signal(self, sig: int) -> None:
        log.info("received %s", signal.Signals(sig).name)
        self._on_stop_request()

    async def _wind_down(self) -> None:
        assert self.scheduler is not None
        self.stopping.set()
        self.scheduler.pause()
        loop = asyncio.get_running_loop()
        timeout = self.cfg.schedule.stop_timeout_seconds
        if self._scrapes:
            log.info("stopping: no new runs; waiting up to %g s for %d running scrape(s)", timeout, len(self._scrapes))
        deadline = loop.time() + timeout
        while self._scrapes and loop.time() < deadline and not self._cut.is_set():
            await asyncio.sleep(0.05)
        if self._scrapes:
            log.warning("cutting %d running scrape(s) at their next network wait", len(self._scrapes))
            for task in list(self._scrapes):
                task.cancel()
            while self._scrapes:
                await asyncio.sleep(0.01)
        if self._pipeline_count:
            log.info("waiting for processing/reporting to finish (it writes its output atomically)")
        while self._pipeline_count:
            await asyncio.sleep(0.05)

    # -- the jobs --

    async def run_scrape(self, name: str) -> None:
        source = self.sources.get(name)
        if source is None:  # reconcile removes such jobs at start; kept as a guard
            log.error("scrape job for %r, which is not an enabled source in the config", name)
            return
        if self.stopping.is_set():
            return
        task = asyncio.current_task()
        assert task is not None
        self._scrapes.add(task)
        try:
            async with self.fetchers.borrow() as fetcher:
                runs = await scrape_with(fetcher, [source], self.store)
        except asyncio.CancelledError:
            # Raw files are written whole or not at all; this run is simply not in runs.jsonl.
            log.warning("scrape of %s cut by shutdown", name)
            return
        finally:
            self._scrapes.discard(task)
        for run in runs:
            detail = f"; {run.error_class}: {run.error}" if run.error else ""
            log.log(logging.WARNING if run.status == "failed" else logging.INFO,
                    "scrape %s: %s, %d postings, %d rejected, %d requests%s",
                    run.source, run.status, run.postings, run.rejected, run.requests, detail)
        if self.cfg.schedule.process_after_scrape and any(run.raw_file for run in runs):
            self.request_process()

    def request_process(self) -> None:
        """Schedule processing `process_delay_seconds` from now, unless it is scheduled or running.

        Called after the scrape's files are written: a running processing loop checks for new raw
        files once more before it ends, so it covers them.
        """
        assert self.scheduler is not None
        with self._process_guard:
            if self._processing:
                return
        if self.scheduler.get_job(PROCESS_JOB) is not None:
            return
        run_at = datetime.now(self.tz) + timedelta(seconds=self.cfg.schedule.process_delay_seconds)
        self.scheduler.add_job(PROCESS_FUNC, DateTrigger(run_at, timezone=self.tz), id=PROCESS_JOB,
                               name=PROCESS_JOB, replace_existing=True, **self.options)

    def run_process(self) -> None:
        with self._pipeline_job():
            if not self.stopping.is_set():
                self._process_while_stale()

    def run_report(self) -> None:
        from reports.build import report_from_dataset

        with self._pipeline_job(), self._pipeline_lock:
            if self.stopping.is_set():
                return
            try:
                self._process_while_stale()
            except Exception:  # noqa: BLE001 - logged with its traceback; the last good dataset still reports
                log.exception("processing before the report failed; reporting from the last dataset")
            try:
                page = report_from_dataset(self.cfg.data_dir, self.taxonomy, self.cfg.report_dir(),
                                           generated_at=datetime.now(timezone.utc))
            except JobtrendsError as exc:
                log.error("report not written: %s", exc)
                return
            log.info("report: %s", page)

    def _process_while_stale(self) -> None:
        """Rebuild until the dataset covers every raw file (scrapes may land while it runs)."""
        with self._pipeline_lock:
            try:
                while True:
                    with self._process_guard:
                        self._processing = not self.stopping.is_set() and self._dataset_stale()
                        if not self._processing:
                            return
                    started = time.monotonic()
                    summary = process(self.cfg.data_dir, self.taxonomy)
                    log.info("processed %d raw rows -> %d postings (%d ML, dedup rate %.1f%%), %d weeks, "
                             "%d raw files parsed, in %.1f s", summary.raw_rows, summary.postings,
                             summary.ml_postings, 100 * summary.dedup.dedup_rate, summary.weeks,
                             summary.raw_files_parsed, time.monotonic() - started)
            finally:
                with self._process_guard:
                    self._processing = False

    def _dataset_stale(self) -> bool:
        return bool(self.store.raw_files()) and not dataset_is_current(self.cfg.data_dir, self.taxonomy)

    @contextmanager
    def _pipeline_job(self) -> Iterator[None]:
        with self._count_guard:
            self._pipeline_count += 1
        try:
            yield
        finally:
            with self._count_guard:
                self._pipeline_count -= 1


def setup_logging(data_dir: str | Path, *, verbose: bool = False) -> Path:
    """The daemon logs to stdout (journald, docker) and to a rotating file under the data directory."""
    path = Path(data_dir) / LOG_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in (logging.StreamHandler(sys.stdout),
                    RotatingFileHandler(path, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8")):
        handler.setFormatter(formatter)
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    # One line per request, and APScheduler's line per job start/end: only with --verbose. Its warnings
    # (a missed run) and errors (a job that raised) always show.
    for name in ("httpx", "httpcore", "apscheduler"):
        logging.getLogger(name).setLevel(logging.INFO if verbose else logging.WARNING)
    return path
