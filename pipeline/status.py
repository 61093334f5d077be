"""`jobtrends status`: what the daemon will do next and how the sources have been doing.

Read-only and safe beside a running daemon: next run times come straight from the SQLite job store
(no scheduler is started, nothing is unpickled), last runs from runs.jsonl.
"""
from __future__ import annotations

import os
import sqlite3
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from pipeline.dataset import read_meta
from pipeline.errors import DatasetError
from pipeline.lock import running_daemon_pid
from pipeline.jobplan import JOB_TABLE, PROCESS_JOB, REPORT_JOB, SCRAPE_PREFIX, job_store_path
from pipeline.settings import AppConfig, resolve_timezone
from scraper.health import possibly_broken
from scraper.rawstore import RawStore

NOT_STORED = "not in the job store yet: added when `jobtrends schedule` starts"
NOT_CONFIGURED = "no longer in the config: removed when `jobtrends schedule` restarts"


@dataclass
class JobLine:
    id: str
    schedule: str
    next_run: datetime | None
    note: str = ""


@dataclass
class SourceLine:
    name: str
    kind: str
    schedule: str
    enabled: bool
    in_config: bool
    runs: int
    last_run: dict[str, Any] | None
    broken: str | None = None


@dataclass
class Status:
    data_dir: Path
    data_bytes: int
    daemon_pid: int | None  # None: not running; 0: running, pid unknown
    timezone: str
    tz: tzinfo = timezone.utc
    jobs: list[JobLine] = field(default_factory=list)
    sources: list[SourceLine] = field(default_factory=list)
    report: Path | None = None
    report_written_at: datetime | None = None
    dataset_built_at: str | None = None

    @property
    def broken(self) -> list[SourceLine]:
        return [s for s in self.sources if s.broken]


def collect_status(cfg: AppConfig) -> Status:
    tz = resolve_timezone(cfg.schedule.timezone)
    status = Status(
        data_dir=cfg.data_dir,
        data_bytes=directory_size(cfg.data_dir),
        daemon_pid=running_daemon_pid(cfg.data_dir),
        timezone=cfg.schedule.timezone if cfg.schedule.timezone != "local" else f"local ({tz})",
        tz=tz,
    )
    status.jobs = _job_lines(cfg, read_next_runs(cfg.data_dir), tz)
    status.sources = _source_lines(cfg, RawStore(cfg.data_dir).read_runs())
    pages = sorted(cfg.report_dir().glob("*/index.html"), key=lambda p: p.stat().st_mtime)
    if pages:
        status.report = pages[-1]
        status.report_written_at = datetime.fromtimestamp(pages[-1].stat().st_mtime, tz)
    try:
        status.dataset_built_at = read_meta(cfg.data_dir).get("built_at")
    except DatasetError:
        pass
    return status


def read_next_runs(data_dir: str | Path) -> dict[str, datetime | None]:
    """job id -> next run time (UTC) as stored by the daemon; {} when it never ran."""
    path = job_store_path(data_dir)
    if not path.exists():
        return {}
    con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    try:
        rows = con.execute(f"SELECT id, next_run_time FROM {JOB_TABLE}").fetchall()
    except sqlite3.OperationalError:  # the file exists but the daemon never created its table
        return {}
    finally:
        con.close()
    return {job_id: None if ts is None else datetime.fromtimestamp(ts, timezone.utc) for job_id, ts in rows}


def _job_lines(cfg: AppConfig, stored: dict[str, datetime | None], tz) -> list[JobLine]:
    planned = {f"{SCRAPE_PREFIX}{s.name}": s.schedule for s in cfg.sources if s.enabled}
    planned[REPORT_JOB] = cfg.schedule.report
    lines = [JobLine(job_id, cron, _local(stored.get(job_id), tz), "" if job_id in stored else NOT_STORED)
             for job_id, cron in planned.items()]
    for job_id, next_run in stored.items():
        if job_id == PROCESS_JOB:
            lines.append(JobLine(job_id, "after scrapes", _local(next_run, tz)))
        elif job_id not in planned:
            lines.append(JobLine(job_id, "", _local(next_run, tz), NOT_CONFIGURED))
    far = datetime.max.replace(tzinfo=timezone.utc)
    return sorted(lines, key=lambda line: (line.next_run or far, line.id))


def _source_lines(cfg: AppConfig, runs: list[dict[str, Any]]) -> list[SourceLine]:
    by_source: dict[str, list[dict[str, Any]]] = {}
    for run in sorted(runs, key=lambda r: str(r.get("started_at") or "")):
        by_source.setdefault(str(run.get("source")), []).append(run)
    lines = []
    for source in cfg.sources:
        history = by_source.pop(source.name, [])
        lines.append(SourceLine(source.name, source.kind, source.schedule, source.enabled, True, len(history),
                                history[-1] if history else None, possibly_broken(history, cfg.fetch.broken_reject_rate)))
    for name, history in by_source.items():  # in the runs log, no longer in the config
        lines.append(SourceLine(name, str(history[-1].get("kind") or ""), "", False, False, len(history),
                                history[-1], None))
    return lines


def directory_size(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:  # removed while we walk (a temp file renamed into place)
                pass
    return total


# --- output -----------------------------------------------------------------------------------

def status_json(status: Status) -> dict[str, Any]:
    return {
        "data_dir": str(status.data_dir),
        "data_dir_bytes": status.data_bytes,
        "daemon": {"running": status.daemon_pid is not None, "pid": status.daemon_pid or None},
        "timezone": status.timezone,
        "jobs": [{**asdict(job), "next_run": _iso(job.next_run)} for job in status.jobs],
        "sources": [{**asdict(source), "possibly_broken": source.broken is not None} for source in status.sources],
        "possibly_broken": [source.name for source in status.broken],
        "report": None if status.report is None else {
            "path": str(status.report), "written_at": _iso(status.report_written_at)},
        "dataset_built_at": status.dataset_built_at,
    }


def print_status(status: Status, console: Console, *, now: datetime | None = None) -> None:
    now = now or datetime.now(timezone.utc)
    daemon = ("not running" if status.daemon_pid is None
              else f"running (pid {status.daemon_pid})" if status.daemon_pid else "running")
    console.print(Text.assemble(("daemon ", "bold"), daemon, ("   data ", "bold"), str(status.data_dir),
                                f" ({human_bytes(status.data_bytes)})"))
    jobs = Table(title=f"Schedule (times in {status.timezone})", title_justify="left")
    for col in ("job", "schedule", "next run", "note"):
        jobs.add_column(col, overflow="fold")
    running = status.daemon_pid is not None
    for job in status.jobs:
        when = "" if job.next_run is None else f"{job.next_run:%Y-%m-%d %H:%M:%S} ({_relative(job.next_run, now, running)})"
        jobs.add_row(Text(job.id), Text(job.schedule), when, Text(job.note, style="dim"))
    console.print(jobs)
    if not running and any(job.next_run and job.next_run < now for job in status.jobs):
        console.print("a missed job runs once when `jobtrends schedule` starts, if it is at most "
                      "misfire_grace_seconds late", style="dim")
    sources = Table(title="Sources", title_justify="left")
    for col in ("source", "kind", "last run", "status", "postings", "rejected", "runs", "problem"):
        sources.add_column(col, overflow="fold")
    for source in status.sources:
        last = source.last_run or {}
        state = str(last.get("status") or ("disabled" if not source.enabled else "never run"))
        colour = {"ok": "green", "empty": "yellow", "failed": "red"}.get(state, "dim")
        problem = source.broken or (f"{last.get('error_class')}: {last.get('error')}" if last.get("error") else "")
        if not source.in_config:
            problem = "not in the config any more"
        sources.add_row(Text(source.name), source.kind, _short_time(last.get("started_at"), status.tz),
                        Text(state, style=colour),
                        str(last.get("postings", "")), str(last.get("rejected", "")), str(source.runs),
                        Text(problem, style="red" if source.broken else ""))
    console.print(sources)
    for source in status.broken:
        console.print(Text.assemble(("possibly broken: ", "bold red"), source.name, " — ", source.broken or ""))
    if status.report is not None and status.report_written_at is not None:
        console.print(f"last report: {status.report} (written {status.report_written_at:%Y-%m-%d %H:%M:%S})",
                      highlight=False, soft_wrap=True)
    if status.dataset_built_at:
        console.print(f"dataset built at {status.dataset_built_at}", highlight=False)


def human_bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"


def _relative(when: datetime, now: datetime, daemon_running: bool) -> str:
    seconds = (when - now).total_seconds()
    if seconds < 0:
        return "due now" if daemon_running else "missed"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"in {seconds / size:.0f} {unit}"
    return f"in {seconds:.0f} s"


def _local(when: datetime | None, tz) -> datetime | None:
    return None if when is None else when.astimezone(tz)


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat()


def _short_time(value: Any, tz: tzinfo) -> str:
    if not value:
        return ""
    try:
        return datetime.fromisoformat(str(value)).astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return str(value)
