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
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from pipeline import columns as c
from pipeline.clean import drop_exact_duplicates
from pipeline.dataset import DESCRIPTION_AT

_KEYS = (c.POSTING_ID, "fetched_at", c.CONTENT_HASH)


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


def _scan(paths: list[Path]) -> tuple[pd.DataFrame, pa.Table | None, StoredDescriptions | None]:
    """Every column but the description of every row of the files, in one multi-threaded scan (None when
    every file is empty); and posting_id, fetched_at, content_hash of each row with its `index` in the
    files' rows one file after another (in the order of `paths`) and its `row` in the scanned table.

    One scan of the columns kept, then an in-memory take of the chosen rows: a dataset take of them read
    the files again (at a million raw rows: 4.0 s for the keys, then 6.9 s for the take; now 4.4 + 0.7 s,
    the scanned table about 0.4 GB for as long as the choice takes)."""
    # An empty file's columns may be typed differently (no value to infer from); it has no rows to give.
    kept, schemas, sizes = [], [], []
    for path in paths:
        metadata = pq.read_metadata(path)
        if metadata.num_rows:
            kept.append(str(path))
            schemas.append(metadata.schema.to_arrow_schema())
            sizes.append(metadata.num_rows)
    if not kept:
        empty = pd.DataFrame({**{k: pd.Series(dtype=object) for k in _KEYS},
                              "index": pd.Series(dtype="int64"), "row": pd.Series(dtype="int64")})
        return empty, None, None
    # one schema for all: a column that is all null in one file is null-typed there
    schema = pa.unify_schemas(schemas, promote_options="default")
    dataset = ds.dataset(kept, format="parquet", schema=schema)
    descriptions = StoredDescriptions(kept, sizes, schema)
    columns = [name for name in schema.names if name != c.DESCRIPTION]
    # where each file's rows start in the dataset, and how many of them the scan has given so far
    start = dict(zip(kept, descriptions.starts[:-1].tolist()))
    batches, indexes = [], []
    # scan_batches keeps the order of rows within a file, and names each batch's file
    for tagged in dataset.scanner(columns=columns).scan_batches():
        rows, path = tagged.record_batch.num_rows, tagged.fragment.path
        batches.append(tagged.record_batch)
        indexes.append(np.arange(start[path], start[path] + rows, dtype=np.int64))
        start[path] += rows
    scanned = pa.Table.from_batches(batches, schema=pa.schema([schema.field(name) for name in columns]))
    del batches
    frame = scanned.select(list(_KEYS)).to_pandas()
    frame["index"] = np.concatenate(indexes) if indexes else np.zeros(0, np.int64)
    frame["row"] = np.arange(len(frame), dtype=np.int64)
    return frame, scanned, descriptions


def latest_rows(paths: list[Path], decode_hints: bool = True) -> tuple[pd.DataFrame, int, StoredDescriptions | None]:
    """`latest_postings` with DESCRIPTION_AT in place of the description, and where to read them (None when
    the files hold no row)."""
    if not paths:
        raise ValueError("latest_postings needs at least one cleaned file")
    slim, scanned, descriptions = _scan(paths)
    if scanned is None:  # every file empty: the reference's empty table, from the first file
        empty = drop_exact_duplicates(_decoded(pd.read_parquet(paths[0]), decode_hints))
        return _description_at(empty, np.zeros(0, np.int64)), 0, None
    seen = slim.groupby(c.POSTING_ID)["fetched_at"].agg(["min", "max"])
    # in posting_id order: drop_exact_duplicates then gives the same order
    # (ties: the later row in file order, as the reference's stable sort keeps it)
    chosen = slim.sort_values([*_KEYS, "index"]).drop_duplicates(c.POSTING_ID, keep="last")
    rows = len(slim)
    del slim
    at, in_scan = chosen["index"].to_numpy(), chosen["row"].to_numpy()
    del chosen
    latest = scanned.take(pa.array(in_scan)).to_pandas()
    del scanned
    latest.insert(descriptions.schema.names.index(c.DESCRIPTION), c.DESCRIPTION, "")  # in its place, for the order
    out = drop_exact_duplicates(_decoded(latest, decode_hints))
    if not np.array_equal(out[c.POSTING_ID].to_numpy(), latest[c.POSTING_ID].to_numpy()):
        raise AssertionError("latest rows are not one per posting_id in order")  # cannot happen: ids are unique
    out[c.FIRST_SEEN_AT] = out[c.POSTING_ID].map(seen["min"])
    out[c.LAST_SEEN_AT] = out[c.POSTING_ID].map(seen["max"])
    return _description_at(out, at), rows, descriptions


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
