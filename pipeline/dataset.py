"""The cleaned dataset on disk (Parquet) and its SQL view (DuckDB).

    <data_dir>/dataset/<table>.parquet for each of TABLES, meta.json
    <data_dir>/dataset/postings.parquet/week-<YYYY-Www>.parquet   postings: a folder, a file per ISO week
    <data_dir>/processing.jsonl   one line per processing run: its meta.json (dedup figures, work done)
The folder is built beside the old one and swapped in by rename, so readers never see a mix. A week file
whose rows equal the old dataset's file of that week is hard-linked from it, not written again: an
incremental run adds a few weeks' postings to years of them. Every column but the description is compared
value for value; content_hash stands for the description, which is neither converted nor read back.

Postings hold the descriptions, nearly all of the dataset's bytes, so they are split by week: each file
holds one week (the `week` column stays in it, so every file has the full schema), written with one Arrow
schema so any reader can concatenate them. A filter on `week` then skips whole files, by name for whoever
globs `week-2026-W1*.parquet` and by their statistics (min = max = the week) in DuckDB and
pyarrow/pandas (`pd.read_parquet(folder, filters=[("week", ">=", "2026-W10")])`).
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Protocol, Sequence

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.columns import DESCRIPTION
from pipeline.errors import DatasetError

TABLES = (
    "postings", "skill_mentions", "weekly_area_demand", "weekly_skill_demand", "segment_area_demand",
)
# Tables written as a folder of one file per week, and the columns another column stands for when an old
# week file is compared (`write_weekly`): content_hash hashes the description.
WEEK_PARTITIONED = {"postings": (DESCRIPTION,)}
# In processing, in place of the description: the row's place in the cleaned files, where the description
# stays until a step needs it (pipeline/latest.py). Never written: `write_weekly` reads the descriptions.
DESCRIPTION_AT = "description_at"


class DescriptionSource(Protocol):
    """Where descriptions held back from a postings frame are (pipeline/latest.StoredDescriptions)."""

    def take(self, at: np.ndarray) -> pa.Array | pa.ChunkedArray: ...


# The two logs beside the dataset, which `connect` also shows as views.
LOG_TABLES = ("runs", "processing")


def dataset_dir(data_dir: str | Path) -> Path:
    return Path(data_dir) / "dataset"


def write_dataset(data_dir: str | Path, tables: dict[str, pd.DataFrame], meta: dict[str, Any],
                  descriptions: DescriptionSource | None = None) -> Path:
    """The dataset folder, written beside the old one and swapped in. `descriptions`: where the postings'
    descriptions are, when the postings table holds DESCRIPTION_AT instead (pipeline/latest.py)."""
    target = dataset_dir(data_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".dataset-"))
    try:
        for name in TABLES:
            if name in WEEK_PARTITIONED:
                previous = target / f"{name}.parquet"
                write_weekly(tables[name], staging / f"{name}.parquet", previous if previous.is_dir() else None,
                             stood_for=WEEK_PARTITIONED[name], descriptions=descriptions)
            else:
                write_table(tables[name], staging / f"{name}.parquet")
        (staging / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True, default=str))
        retired = None
        if target.exists():
            retired = target.with_name(f".dataset-old-{os.getpid()}")
            os.replace(target, retired)
        os.replace(staging, target)
        if retired is not None:
            shutil.rmtree(retired, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


WRITE_ROWS = 1 << 20  # rows of a table with Categorical columns converted and written at a time


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """`frame` as one Parquet file, with its Categorical columns as the strings they stand for: the file is
    the one `frame.astype(str)` would give, converted a slice of rows at a time (skill_mentions is held as
    Categoricals in processing; as strings its 14 million rows at a million raw rows took 0.9 GB)."""
    categorical = {name: "str" for name in frame.columns if isinstance(frame[name].dtype, pd.CategoricalDtype)}
    if not categorical:
        frame.to_parquet(path, index=False)
        return
    schema = pa.Schema.from_pandas(frame.head(0).astype(categorical), preserve_index=False)
    with pq.ParquetWriter(path, schema) as writer:
        for start in range(0, max(len(frame), 1), WRITE_ROWS):
            rows = pa.Table.from_pandas(frame.iloc[start:start + WRITE_ROWS], preserve_index=False)
            writer.write_table(rows.cast(schema))


def write_weekly(frame: pd.DataFrame, folder: Path, previous: Path | None = None,
                 stood_for: tuple[str, ...] = (), descriptions: DescriptionSource | None = None) -> int:
    """`frame` as `folder`/week-<week>.parquet, one file per value of its `week` column (rows keep their
    order); a frame without rows is one file of the schema (week-none.parquet).

    A file of `previous` (an older folder of this layout) holding a week's rows is hard-linked instead of
    written, and counted in the return value. Its types, pandas dtypes and values are compared, except those
    of the `stood_for` columns: another column must change whenever they do (content_hash hashes the
    description), so the bytes that cost the most are neither converted nor read back.

    A frame with DESCRIPTION_AT in place of the description gets its descriptions from `descriptions`: those
    of the weeks written (not linked), after the links are decided, a group of weeks at a time."""
    folder.mkdir(parents=True)
    at = None
    if DESCRIPTION_AT in frame.columns:
        at = frame[DESCRIPTION_AT].to_numpy()
        # an empty column of the description's dtype in its place: the same schema and pandas metadata
        frame = frame.assign(**{DESCRIPTION_AT: pd.Series("", index=frame.index, dtype="str")}).rename(
            columns={DESCRIPTION_AT: DESCRIPTION})
    # One conversion, ordered by week (stable: rows keep their order), then a slice per week.
    weeks = frame["week"].astype("string").fillna("none").to_numpy(dtype=object)
    order = np.argsort(weeks, kind="stable")
    table = pa.Table.from_pandas(frame, preserve_index=False).take(pa.array(order))
    weeks = weeks[order]
    bounds = np.flatnonzero(weeks[1:] != weeks[:-1]) + 1
    linked, unlinked = 0, []
    for lo, hi in zip([0, *bounds.tolist()], [*bounds.tolist(), len(frame)]) if len(frame) else [(0, 0)]:
        rows = table.slice(lo, hi - lo)
        path = folder / f"week-{weeks[lo] if len(frame) else 'none'}.parquet"
        if previous is not None and _link_if_same(previous / path.name, rows, stood_for, path):
            linked += 1
        else:
            unlinked.append((lo, hi, path))
    if at is None:
        for lo, hi, path in unlinked:
            pq.write_table(table.slice(lo, hi - lo), path)
        return linked
    column = table.schema.get_field_index(DESCRIPTION)
    field = table.schema.field(column)
    at = at[order]
    for weeks_read in _read_groups(unlinked):
        wanted = at[np.concatenate([np.arange(lo, hi) for lo, hi, _ in weeks_read])]  # in write order
        if descriptions is None and len(wanted):
            raise ValueError("postings hold DESCRIPTION_AT: write_weekly needs where the descriptions are")
        # read in the files' order (no copy to reorder them all), as one array (a take from a chunked array
        # concatenates its chunks first, one per cleaned file), then each week's taken out of it
        by_place = np.argsort(wanted, kind="stable")
        texts = (descriptions.take(wanted[by_place]) if len(wanted) else pa.array([], field.type))
        if isinstance(texts, pa.ChunkedArray):
            texts = texts.cast(pa.large_string()).combine_chunks()
        in_texts = np.empty_like(by_place)
        in_texts[by_place] = np.arange(len(by_place))
        start = 0
        for lo, hi, path in weeks_read:
            week_texts = texts.take(pa.array(in_texts[start:start + hi - lo])).cast(field.type)
            pq.write_table(table.slice(lo, hi - lo).set_column(column, field, week_texts), path)
            start += hi - lo
        del texts
    return linked


WRITE_POSTINGS = 65_536  # descriptions read at a time when week files are written (about 200 MB)


def _read_groups(weeks: list[tuple[int, int, Path]]) -> list[list[tuple[int, int, Path]]]:
    """Consecutive weeks, grouped so that each group holds about WRITE_POSTINGS rows: their descriptions are
    read together. A week's postings sit in the files of the weeks they were scraped in, so a group of weeks
    reads those files and few others, and a full write never holds every description at once."""
    groups: list[list[tuple[int, int, Path]]] = [[]]
    rows = 0
    for week in weeks:
        if rows >= WRITE_POSTINGS:
            groups.append([])
            rows = 0
        groups[-1].append(week)
        rows += week[1] - week[0]
    return groups if groups[0] else []


def _link_if_same(old: Path, rows: pa.Table, stood_for: tuple[str, ...], path: Path) -> bool:
    """Hard-link `old` to `path` if it holds `rows` (see `write_weekly`)."""
    try:
        found = pq.ParquetFile(old)
        schema = rows.schema
        if (found.metadata.num_rows != rows.num_rows or not found.schema_arrow.equals(schema)
                or (found.schema_arrow.metadata or {}).get(b"pandas") != (schema.metadata or {}).get(b"pandas")):
            return False
        compared = [name for name in schema.names if name not in stood_for]
        if not found.read(columns=compared).equals(rows.select(compared)):
            return False
        os.link(old, path)
    except (OSError, pa.ArrowException):  # gone, unreadable, or a filesystem without hard links: write it
        return False
    return True


def processing_log_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / "processing.jsonl"


def append_processing_log(data_dir: str | Path, meta: dict[str, Any]) -> None:
    """Keep each run's meta: meta.json holds only the latest, and the dedup rate is wanted per run."""
    # Imported here: scraper.rawstore loads every source adapter, which readers of the dataset never need.
    from scraper.rawstore import append_jsonl

    append_jsonl(processing_log_path(data_dir), [meta], Path(data_dir) / ".processing.lock")


def read_processing_log(data_dir: str | Path) -> list[dict[str, Any]]:
    path = processing_log_path(data_dir)
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def read_table(data_dir: str | Path, name: str, weeks: tuple[str, str] | None = None,
               columns: Sequence[str] | None = None) -> pd.DataFrame:
    """A table of the dataset; `weeks`: only the rows of that inclusive range of ISO weeks (files of other
    weeks are not read); `columns`: only these columns."""
    path = dataset_dir(data_dir) / f"{name}.parquet"
    if not path.exists():
        raise DatasetError(f"no cleaned dataset at {path.parent}: run `jobtrends process` first")
    filters = [("week", ">=", weeks[0]), ("week", "<=", weeks[1])] if weeks else None
    columns = list(columns) if columns is not None else None
    if not path.is_dir():
        return pd.read_parquet(path, filters=filters, columns=columns)
    files = sorted(path.glob("week-*.parquet"))
    if weeks:
        files = [f for f in files if weeks[0] <= f.name[len("week-"):-len(".parquet")] <= weeks[1]] or files[:1]
    frame = pd.read_parquet([str(f) for f in files], filters=filters, columns=columns)
    if "posting_id" in frame.columns:  # the order of the table as it was built, not of its files
        frame = frame.sort_values("posting_id", kind="stable", ignore_index=True)
    return frame


def read_meta(data_dir: str | Path) -> dict[str, Any]:
    path = dataset_dir(data_dir) / "meta.json"
    if not path.exists():
        raise DatasetError(f"no cleaned dataset at {path.parent}: run `jobtrends process` first")
    return json.loads(path.read_text())


def runs_log_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / "runs.jsonl"


def connect(data_dir: str | Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with every dataset table, `runs` (the runs log) and `processing`
    (the processing log) as views.

    Before the first `process` only `runs` is there, so the scrapes can be inspected already.
    """
    folder = dataset_dir(data_dir)
    runs = runs_log_path(data_dir)
    has_dataset = (folder / "postings.parquet").exists()
    if not has_dataset and not runs.exists():
        raise DatasetError(f"no cleaned dataset at {folder}: run `jobtrends process` first")
    con = duckdb.connect(":memory:")
    # Every timestamp we store is UTC; without this DuckDB shows them in the machine's zone.
    con.execute("SET TimeZone = 'UTC'")
    for name in TABLES if has_dataset else ():
        table = folder / f"{name}.parquet"
        path = str(table / "*.parquet" if table.is_dir() else table).replace("'", "''")
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{path}')")
    for view, log in (("runs", runs), ("processing", processing_log_path(data_dir))):
        if log.exists():
            path = str(log).replace("'", "''")
            con.execute(f"CREATE VIEW {view} AS SELECT * FROM read_json_auto('{path}', format='newline_delimited')")
    return con
