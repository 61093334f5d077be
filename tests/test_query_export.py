"""`jobtrends query -o` and `jobtrends export`: every format, atomic writes, nothing half-written."""
from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from pipeline import columns as c
from pipeline.cli import app
from pipeline.dataset import TABLES, dataset_dir, read_table
from pipeline.export import csv_frame, json_text_columns
from tests.small_dataset import build_small_dataset

runner = CliRunner()
SQL = "select area, sum(mentions) as mentions, count(*) as weeks from weekly_area_demand group by 1 order by 1"
ALL_TABLES = TABLES + ("runs", "processing")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return build_small_dataset(tmp_path_factory.mktemp("export"))


@pytest.fixture(scope="module")
def expected(data_dir):
    """The query's answer computed with pandas, not DuckDB."""
    weekly = read_table(data_dir, "weekly_area_demand")
    return (weekly.groupby(c.AREA).agg(mentions=(c.MENTIONS, "sum"), weeks=(c.WEEK, "size"))
            .reset_index().sort_values(c.AREA, ignore_index=True))


def invoke(*args):
    return runner.invoke(app, list(args))


def leftovers(folder):
    """Hidden entries other than the logs' lock files: temporary files or folders a write left behind."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") and not p.name.endswith(".lock"))


# --- query ---

def test_query_prints_table_csv_and_json_to_stdout(data_dir, expected):
    table = invoke("query", SQL, "-d", str(data_dir))
    assert table.exit_code == 0, table.output
    assert "attention_to_detail" in table.stdout and "wrote" not in table.output
    as_csv = invoke("query", SQL, "-d", str(data_dir), "--format", "csv")
    assert as_csv.exit_code == 0
    pd.testing.assert_frame_equal(pd.read_csv(io.StringIO(as_csv.stdout)), expected, check_dtype=False)
    as_json = invoke("query", SQL, "-d", str(data_dir), "-f", "json")
    assert as_json.exit_code == 0
    assert json.loads(as_json.stdout) == json.loads(expected.to_json(orient="records"))


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet", "table"])
def test_query_writes_each_format_to_a_file(data_dir, expected, tmp_path, fmt):
    target = tmp_path / "out" / f"areas.{fmt}"
    result = invoke("query", SQL, "-d", str(data_dir), "--format", fmt, "-o", str(target))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""  # the data went to the file; the note goes to stderr
    assert f"wrote 12 rows ({fmt}) to {target}" in " ".join(result.stderr.split())
    if fmt == "csv":
        got = pd.read_csv(target)
    elif fmt == "json":
        got = pd.DataFrame(json.loads(target.read_text()))
    elif fmt == "parquet":
        got = pd.read_parquet(target)
    else:
        text = target.read_text()
        assert all(area in text for area in c.AREA_IDS) and "\x1b[" not in text  # no colour codes in a file
        return
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert leftovers(target.parent) == []


def test_query_parquet_keeps_types_and_lists(data_dir, tmp_path):
    target = tmp_path / "postings.parquet"  # format from the suffix
    sql = "select posting_id, seen_on, posted_at, is_ml from postings order by posting_id"
    result = invoke("query", sql, "-d", str(data_dir), "-o", str(target))
    assert result.exit_code == 0, result.output
    got = pd.read_parquet(target)
    postings = read_table(data_dir, "postings").sort_values(c.POSTING_ID, ignore_index=True)
    assert got[c.POSTING_ID].tolist() == postings[c.POSTING_ID].tolist()
    assert [list(v) for v in got[c.SEEN_ON]] == [list(v) for v in postings[c.SEEN_ON]]
    assert got[c.POSTED_AT].dt.tz is not None and got[c.IS_ML].dtype == bool


def test_query_parquet_without_output_is_refused(data_dir):
    result = invoke("query", SQL, "-d", str(data_dir), "--format", "parquet")
    assert result.exit_code == 2
    assert result.stdout == "" and "give it one with -o" in result.stderr


@pytest.mark.parametrize("args, message", [
    (["--format", "xml"], "--format must be table, csv, json or parquet"),
    (["-o", "{tmp}/areas.dat"], "cannot tell the format from 'areas.dat'"),
])
def test_query_bad_format_is_refused(data_dir, tmp_path, args, message):
    result = invoke("query", SQL, "-d", str(data_dir), *[a.format(tmp=tmp_path) for a in args])
    assert result.exit_code == 2 and message in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_query_output_that_cannot_be_written_leaves_nothing(data_dir, tmp_path):
    target = tmp_path / "taken.csv"
    target.mkdir()  # a folder where the file should go
    result = invoke("query", SQL, "-d", str(data_dir), "-o", str(target))
    assert result.exit_code == 2 and "cannot write" in result.stderr
    assert target.is_dir() and list(tmp_path.iterdir()) == [target]


def test_query_replaces_an_existing_file_whole(data_dir, tmp_path):
    target = tmp_path / "areas.csv"
    target.write_text("old content that is longer than the new one\n" * 1000)
    assert invoke("query", "select 1 as one", "-d", str(data_dir), "-o", str(target)).exit_code == 0
    assert target.read_text() == "one\n1\n"


# --- export ---

def test_export_writes_every_table_with_its_row_count(data_dir):
    result = invoke("export", "-d", str(data_dir))
    assert result.exit_code == 0, result.output
    folder = data_dir / "export"
    assert result.stdout.strip().endswith(str(folder.resolve()))
    manifest = json.loads((folder / "manifest.json").read_text())
    meta = json.loads((dataset_dir(data_dir) / "meta.json").read_text())
    assert manifest["format"] == "parquet" and manifest["taxonomy_version"] == meta["taxonomy_version"]
    assert [t["name"] for t in manifest["tables"]] == list(ALL_TABLES)
    assert sorted(p.name for p in folder.iterdir()) == sorted([f"{t}.parquet" for t in ALL_TABLES] + ["manifest.json"])
    for entry in manifest["tables"]:
        name = entry["name"]
        if name in TABLES:
            source = read_table(data_dir, name)
            pd.testing.assert_frame_equal(pd.read_parquet(folder / entry["file"]), source)
        else:
            source = pd.read_json(data_dir / f"{name}.jsonl", lines=True)
            assert len(pd.read_parquet(folder / entry["file"])) == len(source)
        assert entry["rows"] == len(source) > 0
        assert [col["name"] for col in entry["columns"]] == list(source.columns)
    types = {col["name"]: col["type"] for col in manifest["tables"][0]["columns"]}
    assert types[c.SEEN_ON].startswith("list<") and types[c.POSTED_AT].startswith("timestamp")
    assert leftovers(data_dir) == []


def test_export_csv_round_trips_list_columns(data_dir, tmp_path):
    folder = tmp_path / "csv-export"
    result = invoke("export", "-d", str(data_dir), "--format", "csv", "-o", str(folder))
    assert result.exit_code == 0, result.output
    manifest = json.loads((folder / "manifest.json").read_text())
    rows = {t["name"]: t["rows"] for t in manifest["tables"]}
    assert rows == {name: len(pd.read_csv(folder / f"{name}.csv")) for name in ALL_TABLES}
    postings_entry = manifest["tables"][0]
    assert postings_entry["json_columns"] == [c.SEEN_ON]
    exported = pd.read_csv(folder / "postings.csv", keep_default_na=False)
    postings = read_table(data_dir, "postings")
    assert [json.loads(v) for v in exported[c.SEEN_ON]] == [list(v) for v in postings[c.SEEN_ON]]
    assert exported[c.POSTING_ID].tolist() == postings[c.POSTING_ID].tolist()
    assert exported[c.DESCRIPTION].tolist() == postings[c.DESCRIPTION].fillna("").tolist()


def test_csv_frame_writes_lists_as_json_and_leaves_the_rest():
    frame = pd.DataFrame({
        "seen_on": [np.array(["gh-acme", "hn"], dtype=object), [], None, ["lever-ünï"]],
        "title": ["a", "b, \"c\"", None, "d"],
        "n": [1, 2, 3, 4],
    })
    assert json_text_columns(frame) == ["seen_on"]
    back = pd.read_csv(io.StringIO(csv_frame(frame).to_csv(index=False)))
    assert [json.loads(v) if isinstance(v, str) else None for v in back["seen_on"]] == [
        ["gh-acme", "hn"], [], None, ["lever-ünï"]]
    assert back["title"].tolist()[:2] == ["a", "b, \"c\""] and back["n"].tolist() == [1, 2, 3, 4]
    assert isinstance(frame["seen_on"].iloc[0], np.ndarray)  # the input is not changed


def test_export_replaces_an_earlier_export_whole(data_dir, tmp_path):
    folder = tmp_path / "again"
    assert invoke("export", "-d", str(data_dir), "-f", "csv", "-o", str(folder)).exit_code == 0
    (folder / "stale-note.txt").write_text("left by hand")
    result = invoke("export", "-d", str(data_dir), "-o", str(folder))
    assert result.exit_code == 0, result.output
    assert sorted(p.suffix for p in folder.iterdir()) == [".json"] + [".parquet"] * len(ALL_TABLES)
    assert leftovers(tmp_path) == []


def test_export_refuses_a_file_or_a_foreign_folder(data_dir, tmp_path):
    a_file = tmp_path / "report.pdf"
    a_file.write_bytes(b"%PDF keep me")
    result = invoke("export", "-d", str(data_dir), "-o", str(a_file))
    assert result.exit_code == 2 and "is not a folder" in result.stderr
    assert a_file.read_bytes() == b"%PDF keep me"
    foreign = tmp_path / "documents"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("keep me")
    result = invoke("export", "-d", str(data_dir), "-o", str(foreign))
    assert result.exit_code == 2 and "not an earlier export" in result.stderr
    assert [p.name for p in foreign.iterdir()] == ["thesis.tex"]
    assert leftovers(tmp_path) == []


def test_a_failed_export_leaves_no_half_written_folder(data_dir, tmp_path, monkeypatch):
    folder = tmp_path / "export"
    assert invoke("export", "-d", str(data_dir), "-o", str(folder)).exit_code == 0
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    written = []
    real = pd.DataFrame.to_parquet

    def fail_on_the_third_table(self, path, *args, **kwargs):
        if len(written) == 2:
            raise OSError(28, "No space left on device")
        written.append(path)
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", fail_on_the_third_table)
    result = invoke("export", "-d", str(data_dir), "-o", str(folder))
    assert result.exit_code == 1 and "export failed, nothing written: [Errno 28] No space left" in result.stderr
    assert len(written) == 2
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # the earlier export, untouched
    assert leftovers(tmp_path) == []
    fresh = tmp_path / "fresh"
    written.clear()
    assert invoke("export", "-d", str(data_dir), "-o", str(fresh)).exit_code == 1
    assert not fresh.exists() and leftovers(tmp_path) == []


def test_export_notices_a_rebuild_during_the_export(data_dir, tmp_path, monkeypatch):
    import pipeline.export as export_module

    metas = iter([{"built_at": "first", "taxonomy_version": "v"}, {"built_at": "second"}])
    monkeypatch.setattr(export_module, "read_meta", lambda _data_dir: next(metas))
    result = invoke("export", "-d", str(data_dir), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2 and "run the export again" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_export_without_a_dataset_is_a_clear_error(tmp_path):
    result = invoke("export", "-d", str(tmp_path))
    assert result.exit_code == 2
    assert "no cleaned dataset" in result.stderr and "jobtrends process" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_export_bad_format_is_refused(data_dir, tmp_path):
    result = invoke("export", "-d", str(data_dir), "-f", "xlsx", "-o", str(tmp_path / "x"))
    assert result.exit_code == 2 and "--format must be parquet or csv" in result.stderr
    assert list(tmp_path.iterdir()) == []
