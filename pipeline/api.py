"""The cleaned dataset for notebooks: one object, a DataFrame per table, SQL over all of them.

    from pipeline import open_dataset
    ds = open_dataset("data")
    ds.postings()                                   # pandas DataFrame
    ds.sql("select area, avg(share) from weekly_area_demand group by 1")

Tables are read from disk at each call, so a `jobtrends process` that runs meanwhile is seen by the next
call; `meta` and `taxonomy_version` stay those of the dataset that was opened (open again to refresh).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import duckdb
import pandas as pd

from pipeline.dataset import (
    LOG_TABLES, TABLES, connect, dataset_dir, processing_log_path, read_meta, read_table, runs_log_path,
)
from pipeline.errors import DatasetError


class Dataset:
    """A processed data directory: its tables, its meta.json and a DuckDB connection over them."""

    def __init__(self, data_dir: str | Path):
        self.data_dir = Path(data_dir)
        _require_dataset(self.data_dir)
        try:
            self.meta: dict[str, Any] = read_meta(self.data_dir)
        except ValueError as exc:
            raise DatasetError(f"{dataset_dir(self.data_dir) / 'meta.json'} is not valid JSON: {exc}") from None
        self._connection: duckdb.DuckDBPyConnection | None = None

    def __repr__(self) -> str:
        return (f"Dataset({str(self.data_dir)!r}, postings={self.meta.get('postings')}, "
                f"weeks={self.meta.get('weeks')}, taxonomy_version={self.taxonomy_version!r})")

    @property
    def taxonomy_version(self) -> str:
        return str(self.meta.get("taxonomy_version", ""))

    @property
    def tables(self) -> tuple[str, ...]:
        """The tables there are: the dataset's five, then `runs` and `processing` when their logs exist."""
        logs = tuple(name for name in LOG_TABLES if _log_path(self.data_dir, name).exists())
        return TABLES + logs

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """In-memory DuckDB with every table as a view over the files; for reading (views, not copies)."""
        if self._connection is None:
            self._connection = connect(self.data_dir)
        return self._connection

    def sql(self, query: str, params: Sequence[Any] | dict[str, Any] | None = None) -> pd.DataFrame:
        """Run DuckDB SQL over every table; `params` fills `?` or `$name` placeholders."""
        return self.connection.execute(query, params).df()

    def table(self, name: str) -> pd.DataFrame:
        """One table by name. Parquet tables as pandas reads them; the logs as DuckDB's SQL view types them,
        so `ds.runs()` and `ds.sql("select * from runs")` agree. A log not written yet is an empty frame."""
        if name in TABLES:
            return read_table(self.data_dir, name)
        if name in LOG_TABLES:
            if not _log_path(self.data_dir, name).exists():
                return pd.DataFrame()
            return self.sql(f"select * from {name}")
        raise DatasetError(f"no table {name!r}; the tables are {', '.join(TABLES + LOG_TABLES)}")

    def postings(self) -> pd.DataFrame:
        """One row per job after deduplication (README: Data dictionary)."""
        return self.table("postings")

    def skill_mentions(self) -> pd.DataFrame:
        """One row per (posting, area, skill) matched in a posting."""
        return self.table("skill_mentions")

    def weekly_area_demand(self) -> pd.DataFrame:
        """Per ISO week and skill area: ML postings, mentions, share and its statistics."""
        return self.table("weekly_area_demand")

    def weekly_skill_demand(self) -> pd.DataFrame:
        """Per ISO week and skill: the same figures as weekly_area_demand, one level down."""
        return self.table("weekly_skill_demand")

    def segment_area_demand(self) -> pd.DataFrame:
        """Per segment (remote flag, source), week and area: postings, mentions, share, interval."""
        return self.table("segment_area_demand")

    def runs(self) -> pd.DataFrame:
        """The runs log: one row per source per scrape."""
        return self.table("runs")

    def processing(self) -> pd.DataFrame:
        """The processing log: one row per `jobtrends process` (its meta.json)."""
        return self.table("processing")

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __enter__(self) -> "Dataset":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_dataset(data_dir: str | Path) -> Dataset:
    """The processed dataset of a data directory (the folder holding dataset/, runs.jsonl).

    Raises DatasetError, saying what to do, when there is no dataset there yet.
    """
    return Dataset(data_dir)


def _log_path(data_dir: Path, name: str) -> Path:
    return runs_log_path(data_dir) if name == "runs" else processing_log_path(data_dir)


def _require_dataset(data_dir: Path) -> None:
    """Fail with the likely mistake named: a wrong folder, the dataset folder itself, or no `process` yet."""
    folder = dataset_dir(data_dir)
    if not data_dir.is_dir():
        raise DatasetError(f"{data_dir} is not a directory: pass the data directory (it holds dataset/)")
    if (data_dir / "meta.json").exists() and (data_dir / "postings.parquet").exists():
        raise DatasetError(f"{data_dir} is the dataset folder itself: pass its parent, {data_dir.parent}")
    missing = [name for name in TABLES if not (folder / f"{name}.parquet").exists()]
    if not (folder / "meta.json").exists() or missing:
        raise DatasetError(f"no cleaned dataset at {folder}: run `jobtrends process` first")
