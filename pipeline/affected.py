"""Which weeks of the weekly tables a processing run changed: the weeks its new and changed postings touch.

Weekly rows only look back: a week's counts, moving average, change and p-value use that week and
earlier ones, and a posting is active from its week to the week of its `last_seen_at`. So a new, edited,
merged-away or reclassified ML posting can change the rows of its own week and later weeks only, and a
posting seen again only those from its old last-seen week on. Two things reach back to the start: the
index (its baseline is the first weeks) and the first week itself moving; then every week changes.
"""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from pipeline import columns as c
from pipeline.clean import iso_week

# Columns that do not enter the weekly tables (last_seen_at does, through active postings, handled apart),
# and the description, which content_hash stands for (it hashes title, company, location and description).
_SEEN_COLUMNS = (c.FIRST_SEEN_AT, c.LAST_SEEN_AT, c.SEEN_ON, c.DUPLICATES)
PREVIOUS_COLUMNS = tuple(col for col in c.POSTINGS_COLUMNS if col != c.DESCRIPTION)  # what weeks_affected reads


def _weekly_inputs(postings: pd.DataFrame) -> pd.DataFrame:
    """posting_id -> hash of every column that can move its weekly rows, week, is_ml, week last seen."""
    compared = [col for col in PREVIOUS_COLUMNS if col not in _SEEN_COLUMNS]
    frame = postings.set_index(c.POSTING_ID)
    return pd.DataFrame({
        "content": _row_hashes(pd.DataFrame({col: _comparable(frame[col]) for col in compared if col != c.POSTING_ID})),
        "week": frame[c.WEEK].astype("string"),
        "is_ml": frame[c.IS_ML].astype(bool),
        "last_week": iso_week(pd.to_datetime(frame[c.LAST_SEEN_AT], utc=True)).astype("string"),
    }, index=frame.index)


def _row_hashes(frame: pd.DataFrame) -> np.ndarray:
    """A 64-bit hash of each row's values, by DuckDB (one hash over the columns, on every core): pandas'
    hash_pandas_object took 0.9 s for a postings table of 400,000 rows, 0.1 s here. Hashes compare only
    within one run (both tables go through this function in it)."""
    with duckdb.connect() as connection:
        # column by column: each Arrow-backed column as it is (Table.from_pandas took 0.3 s more, via numpy)
        connection.register("rows", pa.table({name: pa.array(frame[name].array) for name in frame.columns}))
        columns = ", ".join('"' + name.replace('"', '""') + '"' for name in frame.columns)
        return connection.execute(f"SELECT hash({columns}) AS h FROM rows").fetchnumpy()["h"]


def _comparable(column: pd.Series) -> pd.Series:
    """A column as values that compare equal after a round trip through Parquet (which may change a
    dtype's unit or storage): times as UTC nanoseconds (formatting them as text took most of the time),
    numbers as float64 (as text: 0.14 s per column of 400,000), everything else as strings."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return pd.to_datetime(column, utc=True).dt.as_unit("ns").astype("int64")
    if pd.api.types.is_numeric_dtype(column):  # bool included
        return column.astype("float64")
    return column.astype("string")


def first_changed_week(before: pd.DataFrame, after: pd.DataFrame) -> str | None:
    """The earliest week whose weekly rows can differ between tables built from `before` and `after`."""
    both = _weekly_inputs(before).merge(_weekly_inputs(after), how="outer", left_index=True, right_index=True,
                                        suffixes=("_old", "_new"))
    ml = both["is_ml_old"].fillna(False).astype(bool) | both["is_ml_new"].fillna(False).astype(bool)
    changed = ml & (both["content_old"] != both["content_new"]).fillna(True)
    seen_again = ml & ~changed & (both["last_week_old"] != both["last_week_new"]).fillna(False)
    starts = pd.concat([both.loc[changed, "week_old"], both.loc[changed, "week_new"],
                        both.loc[seen_again, ["last_week_old", "last_week_new"]].min(axis=1)]).dropna()
    return None if starts.empty else str(starts.min())


def weeks_affected(before: pd.DataFrame | None, after: pd.DataFrame, weeks: list[str], baseline_weeks: int) -> list[str]:
    """The weeks of `weeks` (the new tables' weeks, in order) whose rows may have changed since `before`.

    Every week without `before`, or when it lacks a column of today's postings table.
    """
    if before is None or not set(PREVIOUS_COLUMNS) <= set(before.columns):
        return list(weeks)
    first = first_changed_week(before, after)
    if first is None or not weeks:
        return []
    old_ml_weeks = before.loc[before[c.IS_ML].astype(bool), c.WEEK].dropna()
    old_first = str(old_ml_weeks.min()) if not old_ml_weeks.empty else None
    baseline_end = weeks[min(baseline_weeks, len(weeks)) - 1]
    if old_first != weeks[0] or first <= baseline_end:
        return list(weeks)
    return [week for week in weeks if week >= first]
