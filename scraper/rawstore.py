"""Append-only raw store: one gzip JSONL file per source per run, plus the runs log.

Layout under the data directory:
    raw/<source>/<run_id>.jsonl.gz   one RawPosting per line, with the run's fetched_at
    raw/<source>/<run_id>.rejected.jsonl.gz   items the adapter could not parse, with the reason
    runs.jsonl                       one row per source per run
Every file is written to a temporary name in the same directory and renamed into place, so a
crash never leaves a half-written file under a real name.
"""
from __future__ import annotations

import fcntl
import gzip
import hashlib
import json
import os
import tempfile
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Iterator

from scraper.records import RawPosting
from scraper.sources.base import Rejected

RAW_SUFFIX = ".jsonl.gz"
REJECTED_SUFFIX = ".rejected.jsonl.gz"


@dataclass
class SourceRun:
    """One runs-log row: what happened to one source in one run."""

    run_id: str
    source: str
    kind: str
    started_at: str
    finished_at: str
    status: str  # ok | empty | failed | blocked (robots.txt forbids it and the config does not override)
    postings: int  # fetched: postings the source returned (new, updated and unchanged)
    rejected: int  # items quarantined in the run's .rejected file
    requests: int
    error_class: str
    error: str
    raw_file: str
    new: int = 0  # postings whose source_id the store had not seen
    updated: int = 0  # seen before, with different content
    not_modified: int = 0  # requests answered 304 (conditional requests)
    duration_seconds: float = 0.0
    possibly_broken: str = ""  # why the source looks broken (scraper/health.py), "" if it does not
    ignore_robots_reason: str = ""  # set when the source fetched despite robots.txt, by config


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
        yield


def append_jsonl(path: Path, rows: list[dict[str, Any]], lock_path: Path) -> None:
    """Add rows to a JSONL log by rewriting it whole under a temp name: never a torn line.

    The read-modify-write holds a lock, so two writers (a `jobtrends scrape` beside the daemon) lose no rows.
    """
    added = "".join(json.dumps(row, ensure_ascii=False, default=str) + "\n" for row in rows)
    with _exclusive(lock_path):
        existing = path.read_bytes() if path.exists() else b""
        if existing and not existing.endswith(b"\n"):
            existing += b"\n"
        atomic_write_bytes(path, existing + added.encode("utf-8"))


def _gzip_jsonl(rows: list[dict[str, Any]]) -> bytes:
    text = "".join(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n" for row in rows)
    # mtime=0 keeps the bytes a pure function of the rows; level 6 (zlib's default) is twice as fast as
    # gzip's 9 for a few per cent more bytes.
    return gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0)


class RawStore:
    def __init__(self, data_dir: str | Path):
        self.data_dir = Path(data_dir)
        self.raw_dir = self.data_dir / "raw"
        self.runs_path = self.data_dir / "runs.jsonl"

    def write_postings(
        self, source: str, run_id: str, fetched_at: datetime, postings: list[RawPosting]
    ) -> Path:
        path = self.raw_dir / source / f"{run_id}{RAW_SUFFIX}"
        if path.exists():
            raise FileExistsError(f"raw file {path} already exists: the raw store is append-only")
        stamp = fetched_at.isoformat()
        rows = [{**p.to_json(), "fetched_at": stamp, "run_id": run_id} for p in postings]
        atomic_write_bytes(path, _gzip_jsonl(rows))
        return path

    def write_rejected(self, source: str, run_id: str, rejected: list[Rejected]) -> Path | None:
        if not rejected:
            return None
        path = self.raw_dir / source / f"{run_id}{REJECTED_SUFFIX}"
        atomic_write_bytes(path, _gzip_jsonl([{"reason": r.reason, "item": r.item} for r in rejected]))
        return path

    def raw_files(self) -> list[Path]:
        if not self.raw_dir.exists():
            return []
        return sorted(
            p for p in self.raw_dir.glob(f"*/*{RAW_SUFFIX}") if not p.name.endswith(REJECTED_SUFFIX)
        )

    def fingerprint(self, paths: Iterable[Path]) -> str:
        """Names which raw files a dataset was built from; the store is append-only, so equal means same data."""
        names = sorted(p.relative_to(self.raw_dir).as_posix() for p in paths)
        return hashlib.sha256("\n".join(names).encode("utf-8")).hexdigest()[:16]

    def iter_rows(self, paths: Iterable[Path] | None = None) -> Iterator[dict[str, Any]]:
        for path in self.raw_files() if paths is None else paths:
            with gzip.open(path, "rt", encoding="utf-8") as handle:
                for line in handle:
                    if line.strip():
                        yield json.loads(line)

    def source_files(self, source: str) -> list[Path]:
        folder = self.raw_dir / source
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.glob(f"*{RAW_SUFFIX}") if not p.name.endswith(REJECTED_SUFFIX))

    def known_postings(self, source: str) -> dict[str, RawPosting]:
        """The newest stored copy of each posting of `source` (by fetched_at), by source_id.

        What adapters re-emit instead of fetching a detail page again, and what new/updated are counted against.
        """
        newest: dict[str, tuple[str, dict[str, Any]]] = {}
        for row in self.iter_rows(self.source_files(source)):
            key, fetched = str(row.get("source_id")), str(row.get("fetched_at") or "")
            if key not in newest or fetched >= newest[key][0]:
                newest[key] = (fetched, row)
        return {key: RawPosting.from_json(row) for key, (_, row) in newest.items()}

    def source_history(self, source: str) -> list[dict[str, Any]]:
        """The runs-log rows of one source, oldest first."""
        return sorted((r for r in self.read_runs() if r.get("source") == source),
                      key=lambda r: str(r.get("started_at") or ""))

    @property
    def http_cache_dir(self) -> Path:
        """Validators and bodies for conditional requests (scraper/fetch.py); safe to delete."""
        return self.data_dir / "http_cache"

    def append_runs(self, runs: list[SourceRun]) -> None:
        append_jsonl(self.runs_path, [asdict(run) for run in runs], self.data_dir / ".runs.lock")

    def read_runs(self) -> list[dict[str, Any]]:
        if not self.runs_path.exists():
            return []
        with self.runs_path.open(encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]
