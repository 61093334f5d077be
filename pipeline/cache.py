"""The processing cache: what `process` computed before, so processing a new run does only the new work.

    <data_dir>/cache/cleaned-<code>/<source>/<run_id>-<bytes>.parquet   clean_postings() of one raw file
    <data_dir>/cache/enriched-<code>-<taxonomy>/<digest>.parquet       enrichment rows (pipeline/enrich.py)
    <data_dir>/cache/enriched-<code>-<taxonomy>/matcher.bin           the skill matcher's compilations
    <data_dir>/cache/near-<code>/state.parquet                          near-duplicate state (pipeline/dedupe.py)
    <data_dir>/cache/latest-<code>-<cleaned code>/state.parquet         each posting's newest row (pipeline/latest.py)

The near-duplicate state is one row per posting the last `process` deduplicated: posting_id,
content_hash, `similar_ids`, the members whose descriptions it is similar to (each pair once, under
its smaller id), and `blank` (it shares a block and its description has no word), so the next run
compares only new and changed postings (`incremental_duplicate_groups`).
It is one file, so a run reads either the whole state of one earlier run or none. The latest-rows state
(`LatestState`: each posting's newest cleaned row without its description, where it came from, its first
and last fetch, and the cleaned files it covers) spares the next run the scan of every cleaned file.

Raw files never change once written (scraper/rawstore.py); the byte size in the name still guards
against one replaced by hand. `<code>` hashes the source of every project module that computes the
entries (found by following imports, so an edit to the cleaner, classifier, normalizer or matcher can
never read an entry written by older code) together with PIPELINE_VERSION; `<taxonomy>` is the
taxonomy's content hash. A new version starts an empty folder; folders of other versions are deleted
after the next successful process. Every file is written under a temporary name and renamed into place,
and a file that cannot be read is deleted and computed again.
"""
from __future__ import annotations

import ast
import hashlib
import importlib.util
import io
import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline import columns as c
from pipeline.dedupe import PAIR_COLUMNS, NearDuplicates
from pipeline.enrich import ENRICHMENT_COLUMNS, ENRICHMENT_KEY
from pipeline.latest import LatestState
from pipeline.partitions import hints_as_json
from scraper.rawstore import RAW_SUFFIX, RawStore, atomic_write_bytes

log = logging.getLogger(__name__)

# Bump when results change without an edit to the modules hashed below (a dependency upgrade that
# changes HTML-to-text or regex behaviour, say).
PIPELINE_VERSION = 1
CACHE_DIR = "cache"
CLEANED_ROOT = "pipeline.clean"  # clean_postings and raw_frame, and what they import
ENRICHMENT_ROOT = "pipeline.enrich"
NEAR_DUPLICATES_ROOT = "pipeline.dedupe"
NEAR_DUPLICATES_FILE = "state.parquet"
LATEST_ROOT = "pipeline.latest"
LATEST_FILE = "state.parquet"
# Beside the enrichment rows (same code and taxonomy): the Hyperscan compilations that workers would
# otherwise repeat on every run, about 4.5 s each (pipeline/matcher.HyperscanEngine.prepared).
MATCHER_FILE = "matcher.bin"
SIMILAR_IDS = "similar_ids"
BLANK = "blank"  # NearDuplicates.blank: a member sharing a block whose description has no word
# Each process that computes anything new adds one enrichment file; past this many they are merged
# into one holding only the rows the dataset uses.
MAX_ENRICHMENT_FILES = 16
_PROJECT_PACKAGES = ("pipeline", "scraper")
_UNREADABLE = (OSError, ValueError, pyarrow.ArrowException)
CLEANED_REQUIRED = (c.POSTING_ID, c.HINTS, "fetched_at", c.CONTENT_HASH)


def project_modules(module: str) -> set[str]:
    """`module` and every pipeline.* / scraper.* module it imports, directly or not."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        if name in seen or name.split(".")[0] not in _PROJECT_PACKAGES:
            continue
        try:
            spec = importlib.util.find_spec(name)
        except ModuleNotFoundError:  # `from pipeline.text import html_to_text`: a function, not a module
            spec = None
        if spec is None or not spec.origin or not spec.origin.endswith(".py"):
            continue
        seen.add(name)
        for node in ast.walk(ast.parse(Path(spec.origin).read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                todo += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                todo.append(node.module)
                todo += [f"{node.module}.{alias.name}" for alias in node.names]  # `from pipeline import columns`
    return seen


def code_version(root: str) -> str:
    digest = hashlib.sha256(f"{PIPELINE_VERSION}".encode())
    for name in sorted(project_modules(root)):
        digest.update(name.encode() + b"\0" + Path(importlib.util.find_spec(name).origin).read_bytes())
    return digest.hexdigest()[:12]


# Hashed once, at import, beside the code that is running: a daemon started before an upgrade keeps the
# versions of the code it runs, not of the files now on disk.
CLEANED_VERSION = code_version(CLEANED_ROOT)
ENRICHMENT_VERSION = code_version(ENRICHMENT_ROOT)
NEAR_DUPLICATES_VERSION = code_version(NEAR_DUPLICATES_ROOT)
LATEST_VERSION = code_version(LATEST_ROOT)  # pipeline.clean included: the rows are the cleaned files'


def _parquet_bytes(frame: pd.DataFrame | pyarrow.Table) -> bytes:
    buffer = io.BytesIO()
    if isinstance(frame, pyarrow.Table):
        pq.write_table(frame, buffer)
    else:
        frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def near_duplicates_table(state: NearDuplicates) -> pyarrow.Table:
    """One row per member: posting_id, content_hash, and the ids it is similar to, each pair under its
    first id (a list column keeps the members and the pairs in one file)."""
    ids = state.members.index.to_numpy(dtype=object)
    owner = pd.Index(ids).get_indexer(state.pairs[PAIR_COLUMNS[0]])
    if (owner < 0).any():
        raise ValueError("a near-duplicate pair names a posting that is not a member")
    order = np.argsort(owner, kind="stable")
    offsets = np.concatenate([[0], np.cumsum(np.bincount(owner, minlength=len(ids)))]).astype(np.int32)
    similar = pyarrow.ListArray.from_arrays(
        offsets, pyarrow.array(state.pairs[PAIR_COLUMNS[1]].to_numpy(dtype=object)[order], pyarrow.string()))
    return pyarrow.table({c.POSTING_ID: pyarrow.array(ids, pyarrow.string()),
                          c.CONTENT_HASH: pyarrow.array(state.members.to_numpy(dtype=object), pyarrow.string()),
                          SIMILAR_IDS: similar,
                          BLANK: pyarrow.array(pd.Index(ids).isin(list(state.blank)), pyarrow.bool_())})


def near_duplicates_from_table(table: pyarrow.Table) -> NearDuplicates:
    """`near_duplicates_table` read back; raises ArrowException, KeyError or TypeError when the table is not one."""
    ids = table.column(c.POSTING_ID).to_numpy(zero_copy_only=False)
    similar = table.column(SIMILAR_IDS).combine_chunks()
    pairs = pd.DataFrame({PAIR_COLUMNS[0]: ids[pc.list_parent_indices(similar).to_numpy()],
                          PAIR_COLUMNS[1]: pc.list_flatten(similar).to_numpy(zero_copy_only=False)})
    blank = frozenset(ids[table.column(BLANK).to_numpy(zero_copy_only=False).astype(bool)].tolist())
    return NearDuplicates(pd.Series(table.column(c.CONTENT_HASH).to_numpy(zero_copy_only=False), index=ids), pairs,
                          blank)


class ProcessingCache:
    def __init__(self, store: RawStore, taxonomy_version: str):
        self.store = store
        self.taxonomy_version = taxonomy_version
        self.root = store.data_dir / CACHE_DIR
        self.cleaned_dir = self.root / f"cleaned-{CLEANED_VERSION}"
        self.enriched_dir = self.root / f"enriched-{ENRICHMENT_VERSION}-{taxonomy_version}"
        self.near_dir = self.root / f"near-{NEAR_DUPLICATES_VERSION}"
        self.near_duplicates_path = self.near_dir / NEAR_DUPLICATES_FILE
        # beside the cleaned files it summarizes: a new cleaner writes new files and starts a new state
        self.latest_dir = self.root / f"latest-{LATEST_VERSION}-{CLEANED_VERSION}"
        self.latest_path = self.latest_dir / LATEST_FILE
        self.discarded = 0  # unreadable files deleted this run (their content is computed again)

    def clear(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    # --- cleaned rows, one file per raw file ---

    def cleaned_path(self, raw_path: Path) -> Path:
        relative = raw_path.relative_to(self.store.raw_dir)
        stem = relative.name.removesuffix(RAW_SUFFIX)
        return self.cleaned_dir / relative.parent / f"{stem}-{raw_path.stat().st_size}.parquet"

    def read_cleaned(self, raw_path: Path) -> pd.DataFrame | None:
        path = self.cleaned_path(raw_path)
        frame = self._read(path, required=CLEANED_REQUIRED)
        if frame is None:
            return None
        # Stored as JSON: a column of dicts with differing keys would come back with every key in each.
        try:
            frame[c.HINTS] = frame[c.HINTS].map(json.loads)
        except (TypeError, ValueError) as exc:
            self._discard(path, exc)
            return None
        return frame

    def cleaned_file(self, raw_path: Path) -> Path | None:
        """The cleaned file of `raw_path` when it is there with a readable footer and the columns needed;
        None otherwise (an unreadable one is deleted). Reads no rows: for pipeline/latest.py's scan."""
        path = self.cleaned_path(raw_path)
        if not path.exists():
            return None
        try:
            names = set(pq.read_schema(path).names)
        except _UNREADABLE as exc:
            self._discard(path, exc)
            return None
        if not set(CLEANED_REQUIRED) <= names:
            self._discard(path, f"columns {sorted(set(CLEANED_REQUIRED) - names)} missing")
            return None
        return path

    def write_cleaned(self, raw_path: Path, cleaned: pd.DataFrame) -> None:
        atomic_write_bytes(self.cleaned_path(raw_path), _parquet_bytes(hints_as_json(cleaned)))

    # --- enrichment rows, keyed by content ---

    def read_enrichment(self) -> pd.DataFrame:
        """Every cached enrichment row, the skill lists as Arrow lists (see `pipeline.mentions.with_arrow_skill_lists`)."""
        parts = [frame for path in self._enrichment_files()
                 if (frame := self._read(path, required=ENRICHMENT_COLUMNS, lists_in_arrow=True)) is not None]
        if not parts:
            return pd.DataFrame({col: pd.Series(dtype=object) for col in ENRICHMENT_COLUMNS})
        return pd.concat(parts, ignore_index=True).drop_duplicates(ENRICHMENT_KEY, ignore_index=True)

    def write_enrichment(self, fresh: pd.DataFrame, in_use: pd.DataFrame) -> None:
        """Store `fresh` rows; when the files pile up, rewrite them as one file of the rows `in_use`."""
        if not fresh.empty:
            atomic_write_bytes(self._enrichment_path(fresh), _parquet_bytes(fresh))
        files = self._enrichment_files()
        if len(files) > MAX_ENRICHMENT_FILES:
            merged = self._enrichment_path(in_use)
            atomic_write_bytes(merged, _parquet_bytes(in_use))
            for path in files:
                if path != merged:
                    path.unlink(missing_ok=True)

    def _enrichment_path(self, table: pd.DataFrame) -> Path:
        keys = "\n".join(sorted(table[ENRICHMENT_KEY]))
        return self.enriched_dir / f"{hashlib.sha256(keys.encode()).hexdigest()[:16]}.parquet"

    def read_matcher(self) -> bytes | None:
        """The skill matcher's compilations for this code and taxonomy (Taxonomy.prepared_matcher), if kept."""
        try:
            return (self.enriched_dir / MATCHER_FILE).read_bytes()
        except OSError:
            return None

    def write_matcher(self, data: bytes) -> None:
        self.enriched_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.enriched_dir / MATCHER_FILE, data)

    def _enrichment_files(self) -> list[Path]:
        return sorted(self.enriched_dir.glob("*.parquet")) if self.enriched_dir.exists() else []

    # --- near-duplicate state, one file ---

    def read_near_duplicates(self) -> NearDuplicates | None:
        """The state the last successful process left; None when there is none (or it was unreadable)."""
        path = self.near_duplicates_path
        if not path.exists():
            return None
        try:
            return near_duplicates_from_table(pq.read_table(path))
        except (*_UNREADABLE, KeyError, TypeError) as exc:
            self._discard(path, exc)
            return None

    def write_near_duplicates(self, state: NearDuplicates) -> None:
        atomic_write_bytes(self.near_duplicates_path, _parquet_bytes(near_duplicates_table(state)))

    # --- each posting's newest cleaned row ---

    def read_latest(self) -> LatestState | None:
        path = self.latest_path
        if not path.exists():
            return None
        try:
            return LatestState.from_table(pq.read_table(path))
        except (*_UNREADABLE, KeyError, TypeError) as exc:
            self._discard(path, exc)
            return None

    def write_latest(self, state: LatestState) -> None:
        atomic_write_bytes(self.latest_path, _parquet_bytes(state.to_table()))

    # --- housekeeping ---

    def prune_other_versions(self) -> None:
        """Delete the folders of other code or taxonomy versions: nothing reads them any more."""
        if not self.root.exists():
            return
        for folder in self.root.iterdir():
            if folder.is_dir() and folder not in (self.cleaned_dir, self.enriched_dir, self.near_dir, self.latest_dir):
                shutil.rmtree(folder, ignore_errors=True)

    def _read(self, path: Path, required: tuple[str, ...], lists_in_arrow: bool = False) -> pd.DataFrame | None:
        if not path.exists():
            return None
        try:
            if lists_in_arrow:
                frame = pq.read_table(path).to_pandas(
                    types_mapper=lambda t: pd.ArrowDtype(t) if pyarrow.types.is_list(t) else None)
            else:
                frame = pd.read_parquet(path)
        except _UNREADABLE as exc:
            self._discard(path, exc)
            return None
        if not set(required) <= set(frame.columns):
            self._discard(path, f"columns {sorted(set(required) - set(frame.columns))} missing")
            return None
        return frame

    def _discard(self, path: Path, reason: object) -> None:
        log.warning("processing cache file %s is unreadable (%s); computing it again", path, reason)
        path.unlink(missing_ok=True)
        self.discarded += 1
