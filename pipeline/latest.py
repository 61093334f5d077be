"""Exact deduplication straight from the cleaned files: only each posting's newest row is ever converted.

Every weekly scrape stores each open posting again, so most cleaned rows repeat a posting already seen
(56 % of a generated 3-year store). `drop_exact_duplicates` keeps, per posting_id, the row that sorts last
by (fetched_at, content_hash) (ties: the later row in file order) and the first and last fetched_at. That
choice needs three narrow columns. Every column but the description is scanned from every file in one
multi-threaded Arrow dataset scan and held in Arrow; the choice is made on the three columns as pandas,
then the chosen rows are taken from the scan, in posting_id order, and only they become pandas.
Hints are decoded for them alone (or not at all: `decode_hints=False` leaves the JSON the cache stores).

The descriptions are nearly all the bytes, and most of a run never reads them: `latest_rows` leaves them
in the cleaned files and gives each row's place there (DESCRIPTION_AT), and `StoredDescriptions` reads
the ones a step needs (the postings near-duplicate comparison looks at, those enriched, the weeks
written), from those files only. `latest_postings` is the same with the descriptions read at once; it
gives exactly what drop_exact_duplicates gives on the concatenation of the files (tests/test_latest.py).

The choice is a maximum per posting (of fetched_at, content_hash, place in the files) and the first and
last fetch a minimum and a maximum, so they can be taken in parts: `latest_rows_and_state` starts from
the state the last run left (`LatestState`: each posting's chosen row with the file and row it came from,
its first and last fetch, and the files it covers) and scans only the cleaned files added since. Cleaned
files never change once written (pipeline/cache.py names them by their raw file's size), so the state
holds while every file it covers is still listed; otherwise everything is scanned again.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from pipeline import columns as c
from pipeline.clean import drop_exact_duplicates
from pipeline.dataset import DESCRIPTION_AT

_KEYS = (c.POSTING_ID, "fetched_at", c.CONTENT_HASH)
# LatestState.rows: beside the scanned columns, where each row came from and the posting's first and last fetch
STATE_FILE, STATE_ROW, STATE_FIRST, STATE_LAST = "_file", "_row", "_first_fetched", "_last_fetched"
_INDEX = "_index"  # a candidate row's place in the rows of every file, one file after another
_NAT = np.iinfo(np.int64).min  # NaT as int64


class StoredDescriptions:
    """The descriptions of the cleaned files' rows, read when asked for: the rows of the files one after
    another, in the order of the files given."""

    def __init__(self, paths: list[str], sizes: list[int], schema: pa.Schema):
        self.paths = paths
        self.starts = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)]).astype(np.int64)
        self.schema = schema

    @property
    def type(self) -> pa.DataType:
        return self.schema.field(c.DESCRIPTION).type

    def take(self, at: np.ndarray | pd.Series) -> pa.ChunkedArray:
        """The descriptions at `at` (DESCRIPTION_AT values), in that order, read from the files that hold
        them only. Ask in ascending order where you can: any other order costs a copy of everything read."""
        at = np.asarray(at, dtype=np.int64)
        if not len(at):
            return pa.chunked_array([], self.type)
        order = None if bool((at[1:] >= at[:-1]).all()) else np.argsort(at, kind="stable")
        wanted = at if order is None else at[order]
        files = np.searchsorted(self.starts, wanted, side="right") - 1
        used, first = np.unique(files, return_index=True)
        bounds = [*first.tolist(), len(wanted)]
        # One file at a time: a read decodes the file's whole description column, and a multi-threaded
        # dataset take of many files held several times the text it returned. ParquetFile rather than
        # read_table, which sets up a dataset per call: 1.2 against 1.9 ms per cleaned file (median of 5
        # over 1,000 files), and near-duplicate comparison reads thousands.
        chunks = []
        for i, lo, hi in zip(used.tolist(), bounds, bounds[1:]):
            with pq.ParquetFile(self.paths[i]) as file:
                column = file.read(columns=[c.DESCRIPTION]).column(0)
            if column.type != self.type:
                column = column.cast(self.type)
            chunks.extend(column.take(pa.array(wanted[lo:hi] - self.starts[i])).chunks)
        taken = pa.chunked_array(chunks, self.type)
        if order is None:
            return taken
        inverse = np.empty_like(order)
        inverse[order] = np.arange(len(order))
        return taken.take(pa.array(inverse))


def as_in(frame: pd.DataFrame, columns) -> list[str]:
    """`columns` as `frame` holds them: DESCRIPTION_AT for the description when it has that instead."""
    if DESCRIPTION_AT not in frame.columns:
        return list(columns)
    return [DESCRIPTION_AT if name == c.DESCRIPTION else name for name in columns]


@dataclass(frozen=True)
class LatestState:
    """What the scan of some cleaned files decided, for the next run to scan only the files added since:
    each posting's chosen row (every column but the description, sorted by posting_id) with the file and
    row it came from and its first and last fetch (STATE_* columns); every file covered (empty ones too)
    and its rows; their schema, unified (the description's type included)."""

    rows: pa.Table
    files: dict[str, int]
    schema: pa.Schema

    def to_table(self) -> pa.Table:
        meta = {"files": self.files, "schema": base64.b64encode(self.schema.serialize().to_pybytes()).decode()}
        return self.rows.replace_schema_metadata({b"jobtrends.latest": json.dumps(meta).encode()})

    @classmethod
    def from_table(cls, table: pa.Table) -> "LatestState":
        """`to_table` read back; raises KeyError, TypeError, ValueError or ArrowException when the table is not
        one (TypeError: a Parquet file without the state's metadata)."""
        meta = json.loads(table.schema.metadata[b"jobtrends.latest"])
        files = {str(name): int(rows) for name, rows in meta["files"].items()}
        schema = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(meta["schema"])))
        missing = {*_KEYS, STATE_FILE, STATE_ROW, STATE_FIRST, STATE_LAST} - set(table.column_names)
        if missing or c.DESCRIPTION not in schema.names:
            raise KeyError(f"latest-rows state lacks {sorted(missing) or [c.DESCRIPTION]}")
        return cls(table.replace_schema_metadata(None), files, schema)


def _scan(paths: list[str], schema: pa.Schema, start: dict[str, int]) -> pa.Table:
    """Every column but the description of every row of the files (non-empty ones), in one multi-threaded
    scan, with each row's _INDEX: `start[path]` (where the file's rows start among every file's rows) plus
    its place in the file.

    One scan of the columns kept, then an in-memory take of the chosen rows: a dataset take of them read
    the files again (at a million raw rows: 4.0 s for the keys, then 6.9 s for the take; now 4.4 + 0.7 s,
    the scanned table about 0.4 GB for as long as the choice takes)."""
    columns = [name for name in schema.names if name != c.DESCRIPTION]
    fields = pa.schema([schema.field(name) for name in columns])
    if not paths:
        return fields.empty_table().append_column(_INDEX, pa.array([], pa.int64()))
    dataset = ds.dataset(paths, format="parquet", schema=schema)
    start = dict(start)
    batches, indexes = [], []
    # scan_batches keeps the order of rows within a file, and names each batch's file
    for tagged in dataset.scanner(columns=columns).scan_batches():
        rows, path = tagged.record_batch.num_rows, tagged.fragment.path
        batches.append(tagged.record_batch)
        indexes.append(np.arange(start[path], start[path] + rows, dtype=np.int64))
        start[path] += rows
    scanned = pa.Table.from_batches(batches, schema=fields)
    return scanned.append_column(_INDEX, pa.array(np.concatenate(indexes) if indexes else np.zeros(0, np.int64)))


def latest_rows(paths: list[Path], decode_hints: bool = True) -> tuple[pd.DataFrame, int, StoredDescriptions | None]:
    """`latest_postings` with DESCRIPTION_AT in place of the description, and where to read them (None when
    the files hold no row)."""
    rows, count, descriptions, _ = latest_rows_and_state(paths, None, decode_hints)
    return rows, count, descriptions


def latest_rows_and_state(paths: list[Path], previous: LatestState | None = None, decode_hints: bool = True
                          ) -> tuple[pd.DataFrame, int, StoredDescriptions | None, LatestState | None]:
    """`latest_rows`, scanning only the files `previous` does not cover (all of them when it covers a file
    no longer among `paths`); and the state for the next run (None when the files hold no row)."""
    if not paths:
        raise ValueError("latest_postings needs at least one cleaned file")
    names = [str(path) for path in paths]
    if previous is not None and not set(previous.files) <= set(names):
        previous = None  # a file it covers is gone: its choices may rest on rows no longer there
    files = dict(previous.files) if previous is not None else {}
    schemas = [previous.schema] if previous is not None else []
    added = [name for name in names if name not in files]
    for name in added:
        metadata = pq.read_metadata(name)
        files[name] = metadata.num_rows
        # An empty file's columns may be typed differently (no value to infer from); it has no rows to give.
        if metadata.num_rows:
            schemas.append(metadata.schema.to_arrow_schema())
    kept = [name for name in names if files[name]]
    if not kept:  # every file empty: the reference's empty table, from the first file
        empty = drop_exact_duplicates(_decoded(pd.read_parquet(paths[0]), decode_hints))
        return _description_at(empty, np.zeros(0, np.int64)), 0, None, None
    # one schema for all: a column that is all null in one file is null-typed there
    schema = pa.unify_schemas(schemas, promote_options="default")
    descriptions = StoredDescriptions(kept, [files[name] for name in kept], schema)
    start = dict(zip(kept, descriptions.starts[:-1].tolist()))
    candidates = _scan([name for name in added if files[name]], schema, start)
    fetched = candidates.column("fetched_at")
    candidates = candidates.append_column(STATE_FIRST, fetched).append_column(STATE_LAST, fetched)
    if previous is not None and previous.rows.num_rows:
        candidates = pa.concat_tables([_as_candidates(previous.rows, candidates.schema, kept, descriptions.starts),
                                       candidates])
    chosen, first, last = _newest(candidates)
    chosen_rows = candidates.take(pa.array(chosen))
    del candidates
    at = chosen_rows.column(_INDEX).to_numpy()
    file_of = np.searchsorted(descriptions.starts, at, side="right") - 1
    time_type = chosen_rows.schema.field("fetched_at").type
    state_rows = (chosen_rows.drop_columns([_INDEX, STATE_FIRST, STATE_LAST])
                  .append_column(STATE_FILE, pa.array(np.asarray(kept, dtype=object)[file_of], pa.string()))
                  .append_column(STATE_ROW, pa.array(at - descriptions.starts[file_of]))
                  .append_column(STATE_FIRST, _times(first, time_type))
                  .append_column(STATE_LAST, _times(last, time_type)))
    del chosen_rows
    state = LatestState(state_rows, files, schema)
    latest = state_rows.drop_columns([STATE_FILE, STATE_ROW, STATE_FIRST, STATE_LAST]).to_pandas()
    latest.insert(schema.names.index(c.DESCRIPTION), c.DESCRIPTION, "")  # in its place, for the order
    out = drop_exact_duplicates(_decoded(latest, decode_hints))
    if not np.array_equal(out[c.POSTING_ID].to_numpy(), latest[c.POSTING_ID].to_numpy()):
        raise AssertionError("latest rows are not one per posting_id in order")  # cannot happen: ids are unique
    out[c.FIRST_SEEN_AT] = state_rows.column(STATE_FIRST).to_pandas().array
    out[c.LAST_SEEN_AT] = state_rows.column(STATE_LAST).to_pandas().array
    return _description_at(out, at), sum(files.values()), descriptions, state


def _as_candidates(rows: pa.Table, schema: pa.Schema, kept: list[str], starts: np.ndarray) -> pa.Table:
    """A state's rows as candidates of this scan (`schema`): their _INDEX among this run's files (`kept`,
    whose rows start at `starts`), their columns in this run's unified types."""
    file_code = pc.index_in(rows.column(STATE_FILE), value_set=pa.array(kept, pa.string())).to_numpy(
        zero_copy_only=False)
    index = starts[file_code.astype(np.int64)] + rows.column(STATE_ROW).to_numpy()
    columns = {}
    for field in schema:
        if field.name == _INDEX:
            columns[field.name] = pa.array(index)
        elif field.name in rows.column_names:
            columns[field.name] = rows.column(field.name).cast(field.type)
        else:  # a column the state's files did not have
            columns[field.name] = pa.nulls(rows.num_rows, field.type)
    return pa.table(columns, schema=schema)


def _newest(candidates: pa.Table) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per posting_id, in posting_id order: the candidate drop_exact_duplicates keeps (the last by
    fetched_at, content_hash, then place in the files; a missing time or hash sorts last, as pandas sorts
    them), and the posting's first and last fetch (of STATE_FIRST and STATE_LAST; missing ones skipped:
    NaT only when all are), as int64 (NaT: _NAT). Integer keys sorted by numpy: the pandas sort and groupby
    of a million Arrow-backed strings took 1.6 s, this 0.7 s."""
    posting = _sort_codes(candidates.column(c.POSTING_ID))
    content = _sort_codes(candidates.column(c.CONTENT_HASH))
    fetched = _int_times(candidates.column("fetched_at"))
    fetched = np.where(fetched == _NAT, np.iinfo(np.int64).max, fetched)
    order = np.lexsort((candidates.column(_INDEX).to_numpy(), content, fetched, posting))
    posting = posting[order]
    ends = np.flatnonzero(np.r_[posting[1:] != posting[:-1], True])
    starts = np.r_[0, ends[:-1] + 1]
    firsts = _int_times(candidates.column(STATE_FIRST))[order]
    firsts = np.where(firsts == _NAT, np.iinfo(np.int64).max, firsts)
    first = np.minimum.reduceat(firsts, starts)
    first[first == np.iinfo(np.int64).max] = _NAT
    last = np.maximum.reduceat(_int_times(candidates.column(STATE_LAST))[order], starts)  # NaT is the least
    return order[ends], first, last


def _sort_codes(column: pa.ChunkedArray) -> np.ndarray:
    """Each value's rank among the distinct values (nulls last)."""
    codes, uniques = pd.factorize(column.to_pandas(), sort=True)
    return np.where(codes < 0, len(uniques), codes)


def _int_times(column: pa.ChunkedArray) -> np.ndarray:
    return pc.fill_null(column.cast(pa.int64()), _NAT).to_numpy()


def _times(values: np.ndarray, time_type: pa.DataType) -> pa.Array:
    return pa.array(values, pa.int64(), mask=values == _NAT).cast(time_type)


def _description_at(frame: pd.DataFrame, at: np.ndarray) -> pd.DataFrame:
    """`frame` with DESCRIPTION_AT where its description column was."""
    columns = [DESCRIPTION_AT if name == c.DESCRIPTION else name for name in frame.columns]
    return frame.drop(columns=[c.DESCRIPTION]).assign(**{DESCRIPTION_AT: at})[columns]


def with_descriptions(frame: pd.DataFrame, descriptions: StoredDescriptions | None) -> pd.DataFrame:
    """`frame` (rows of `latest_rows`) with each row's description where its DESCRIPTION_AT was (a frame
    without DESCRIPTION_AT as it is)."""
    if DESCRIPTION_AT not in frame.columns:
        return frame
    columns = [c.DESCRIPTION if name == DESCRIPTION_AT else name for name in frame.columns]
    out = frame.drop(columns=[DESCRIPTION_AT])
    out[c.DESCRIPTION] = read_descriptions(descriptions, frame[DESCRIPTION_AT].to_numpy()).set_axis(frame.index)
    return out[columns]


def read_descriptions(descriptions: StoredDescriptions | None, at: np.ndarray) -> pd.Series:
    """The descriptions at `at` (DESCRIPTION_AT values), as strings, in that order."""
    texts = descriptions.take(at) if descriptions is not None and len(at) else pa.array([], pa.large_string())
    return pd.Series(texts.to_pandas().array)


def description_reader(frame: pd.DataFrame, descriptions: StoredDescriptions | None):
    """The descriptions of rows of `frame` (rows of `latest_rows`) at some positions, read in the order
    of their places in the files (so no copy is made to put them back in the order asked) and indexed by
    position (pipeline/dedupe.DescriptionReader)."""
    at = frame[DESCRIPTION_AT].to_numpy()

    def read(rows: np.ndarray) -> pd.Series:
        order = np.argsort(at[rows], kind="stable")
        return read_descriptions(descriptions, at[rows][order]).set_axis(rows[order])
    return read


def latest_postings(paths: list[Path], decode_hints: bool = True) -> tuple[pd.DataFrame, int]:
    """drop_exact_duplicates(concatenation of the cleaned Parquet files at `paths`, in this order), and the
    number of rows the files hold."""
    rows, count, descriptions = latest_rows(paths, decode_hints)
    return with_descriptions(rows, descriptions), count


def _decoded(frame: pd.DataFrame, decode_hints: bool) -> pd.DataFrame:
    if decode_hints:
        frame[c.HINTS] = [json.loads(h) for h in frame[c.HINTS]]
    return frame
