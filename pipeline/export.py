"""`jobtrends export`: every table of the dataset as files other tools read, with a manifest.

    <target>/<table>.parquet|csv for each table, manifest.json (tables, rows, columns, taxonomy version)
The folder is built beside the target and renamed into place: a failed export leaves nothing half-written,
and a previous export is replaced whole. Only an empty folder or an earlier export is ever replaced.
"""
from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from pipeline.api import Dataset
from pipeline.dataset import read_meta
from pipeline.errors import JobtrendsError

FORMATS = ("parquet", "csv")
MANIFEST = "manifest.json"
# Marks a folder as ours, so a re-export may replace it and nothing else.
MANIFEST_KIND = "jobtrends-export"


class ExportError(JobtrendsError):
    """The export's target cannot be written, or the dataset changed while it was read."""


@dataclass(frozen=True)
class ExportedTable:
    name: str
    file: str
    rows: int
    columns: list[dict[str, str]]  # [{"name", "type"}], types as Arrow names them (format-neutral)
    json_columns: list[str]  # columns of lists written as JSON text (CSV only)


@dataclass(frozen=True)
class ExportSummary:
    folder: Path
    format: str
    tables: list[ExportedTable]
    taxonomy_version: str


def json_text_columns(frame: pd.DataFrame) -> list[str]:
    """Columns whose cells are lists or dicts (e.g. `seen_on`), which CSV cannot hold as they are."""
    found = []
    for name in frame.columns:
        if frame[name].dtype != object:
            continue
        first = next((v for v in frame[name] if v is not None and not _is_na_scalar(v)), None)
        if isinstance(first, (list, tuple, dict, np.ndarray)):
            found.append(str(name))
    return found


def csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with list and dict cells as JSON text (`["gh-acme", "hn"]`), the rest unchanged."""
    out = frame.copy()
    for name in json_text_columns(frame):
        out[name] = [None if v is None or _is_na_scalar(v) else _json_text(v) for v in frame[name]]
    return out


def export_dataset(dataset: Dataset, target: str | Path, fmt: str = "parquet") -> ExportSummary:
    """Write every table of `dataset` to `target` in `fmt`, all or nothing."""
    if fmt not in FORMATS:
        raise ExportError(f"export format must be {' or '.join(FORMATS)}, not {fmt!r}")
    target = Path(target)
    _check_target(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    # mkdir rather than mkdtemp: the export is for sharing, so it gets the umask's permissions, not 0700.
    staging = target.with_name(f".{target.name}-{uuid.uuid4().hex[:12]}.tmp")
    staging.mkdir()
    try:
        before = read_meta(dataset.data_dir)
        tables = [_write_table(dataset, name, staging, fmt) for name in dataset.tables]
        if read_meta(dataset.data_dir).get("built_at") != before.get("built_at"):
            raise ExportError("the dataset was rebuilt (a `jobtrends process` ran) during the export; "
                              "run the export again")
        summary = ExportSummary(target, fmt, tables, str(before.get("taxonomy_version", "")))
        (staging / MANIFEST).write_text(json.dumps(_manifest(summary, dataset, before), indent=2) + "\n",
                                        encoding="utf-8")
        _swap_in(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return summary


def _write_table(dataset: Dataset, name: str, folder: Path, fmt: str) -> ExportedTable:
    frame = dataset.table(name)
    schema = pa.Schema.from_pandas(frame, preserve_index=False)
    columns = [{"name": field.name, "type": str(field.type)} for field in schema]
    file = f"{name}.{fmt}"
    if fmt == "csv":
        json_columns = json_text_columns(frame)
        csv_frame(frame).to_csv(folder / file, index=False)
    else:
        json_columns = []
        frame.to_parquet(folder / file, index=False)
    return ExportedTable(name, file, len(frame), columns, json_columns)


def _manifest(summary: ExportSummary, dataset: Dataset, meta: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": MANIFEST_KIND,
        "format": summary.format,
        "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "data_dir": str(dataset.data_dir.resolve()),
        "dataset_built_at": meta.get("built_at"),
        "taxonomy_version": summary.taxonomy_version,
        "notes": ("Columns are described in the README's data dictionary. In CSV files the columns listed "
                  "in json_columns hold JSON text (a list such as [\"gh-acme\", \"hn\"]); timestamps are UTC."),
        "tables": [
            {"name": t.name, "file": t.file, "rows": t.rows, "columns": t.columns, "json_columns": t.json_columns}
            for t in summary.tables
        ],
    }


def _check_target(target: Path) -> None:
    """Refuse to replace anything but an empty folder or an earlier export: `-o ~/Documents` must not
    delete a user's files."""
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise ExportError(f"{target} exists and is not a folder: choose another output folder")
    if not target.exists() or not any(target.iterdir()):
        return
    try:
        kind = json.loads((target / MANIFEST).read_text(encoding="utf-8")).get("kind")
    except (OSError, ValueError, AttributeError):
        kind = None
    if kind != MANIFEST_KIND:
        raise ExportError(f"{target} is a folder that holds other files, not an earlier export: "
                          "choose a new or empty folder")


def _swap_in(staging: Path, target: Path) -> None:
    """Rename the finished folder into place; an earlier export is moved aside first and removed after."""
    retired = None
    if target.exists():
        retired = target.with_name(f".{target.name}-old-{uuid.uuid4().hex[:12]}")
        os.replace(target, retired)
    try:
        os.replace(staging, target)
    except BaseException:
        if retired is not None:
            os.replace(retired, target)
        raise
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)


def _json_text(value: Any) -> str:
    return json.dumps(_plain(value), ensure_ascii=False, default=str)


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value


def _is_na_scalar(value: Any) -> bool:
    return not isinstance(value, (list, tuple, dict, np.ndarray)) and bool(pd.isna(value))
