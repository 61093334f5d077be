"""The cleaned dataset on disk (Parquet) and its SQL view (DuckDB).

    <data_dir>/dataset/<table>.parquet for each of TABLES, meta.json
    <data_dir>/processing.jsonl   one line per processing run: its meta.json (dedup figures, work done)
The folder is built beside the old one and swapped in by rename, so readers never see a mix.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from pipeline.errors import DatasetError

TABLES = (
    "postings", "skill_mentions", "weekly_area_demand", "weekly_skill_demand", "segment_area_demand",
)
# The two logs beside the dataset, which `connect` also shows as views.
LOG_TABLES = ("runs", "processing")


def dataset_dir(data_dir: str | Path) -> Path:
    return Path(data_dir) / "dataset"


def write_dataset(data_dir: str | Path, tables: dict[str, pd.DataFrame], meta: dict[str, Any]) -> Path:
    target = dataset_dir(data_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".dataset-"))
    try:
        for name in TABLES:
            tables[name].to_parquet(staging / f"{name}.parquet", index=False)
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


def read_table(data_dir: str | Path, name: str) -> pd.DataFrame:
    path = dataset_dir(data_dir) / f"{name}.parquet"
    if not path.exists():
        raise DatasetError(f"no cleaned dataset at {path.parent}: run `jobtrends process` first")
    return pd.read_parquet(path)


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
        path = str(folder / f"{name}.parquet").replace("'", "''")
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{path}')")
    for view, log in (("runs", runs), ("processing", processing_log_path(data_dir))):
        if log.exists():
            path = str(log).replace("'", "''")
            con.execute(f"CREATE VIEW {view} AS SELECT * FROM read_json_auto('{path}', format='newline_delimited')")
    return con
