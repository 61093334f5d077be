"""Postings on disk: a folder of one Parquet file per ISO week, read back whole or by week (pipeline/dataset.py)."""
from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.dataset import connect, dataset_dir, read_table, write_weekly
from tests.small_dataset import build_small_dataset


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return build_small_dataset(tmp_path_factory.mktemp("partitions") / "data")


def test_each_week_is_one_file_holding_that_week(data_dir):
    folder = dataset_dir(data_dir) / "postings.parquet"
    postings = read_table(data_dir, "postings")
    files = sorted(folder.glob("*.parquet"))
    assert [f.name for f in files] == [f"week-{w}.parquet" for w in sorted(postings["week"].unique())]
    for path in files:
        week = path.name[len("week-"):-len(".parquet")]
        stats = pq.ParquetFile(path).metadata.row_group(0).column(
            pq.read_schema(path).get_field_index("week")).statistics
        assert (stats.min, stats.max) == (week, week)  # what lets DuckDB and pyarrow skip the file
    assert sum(pq.read_metadata(f).num_rows for f in files) == len(postings)
    assert postings["posting_id"].is_monotonic_increasing and postings["posting_id"].is_unique


def test_reading_some_weeks_reads_only_their_rows(data_dir):
    postings = read_table(data_dir, "postings")
    weeks = sorted(postings["week"].unique())
    first, last = weeks[3], weeks[6]
    some = read_table(data_dir, "postings", weeks=(first, last))
    expected = postings[(postings["week"] >= first) & (postings["week"] <= last)].reset_index(drop=True)
    pd.testing.assert_frame_equal(some, expected)
    assert read_table(data_dir, "postings", weeks=("1999-W01", "1999-W02")).empty
    # an analyst's own pandas read of the folder, with a filter pushed down to the files
    direct = pd.read_parquet(dataset_dir(data_dir) / "postings.parquet", filters=[("week", "==", first)])
    assert sorted(direct["posting_id"]) == sorted(postings.loc[postings["week"] == first, "posting_id"])


def test_duckdb_sees_all_weeks_as_one_table(data_dir):
    postings = read_table(data_dir, "postings")
    con = connect(data_dir)
    rows, weeks = con.execute("SELECT count(*), count(DISTINCT week) FROM postings").fetchone()
    assert (rows, weeks) == (len(postings), postings["week"].nunique())
    week = sorted(postings["week"].unique())[2]
    ml = con.execute("SELECT count(*) FROM postings WHERE week = ? AND is_ml", [week]).fetchone()[0]
    assert ml == int(postings.loc[postings["week"] == week, "is_ml"].sum())


def test_weeks_with_and_without_values_share_one_schema(tmp_path):
    """A column empty in one week (all None) and filled in another still reads back as one table."""
    frame = pd.DataFrame({"posting_id": ["a", "b", "c"], "week": ["2026-W01", "2026-W02", "2026-W02"],
                          "salary_currency": [None, "USD", None], "salary_min": [None, 1.0, None]})
    write_weekly(frame, tmp_path / "t.parquet")
    back = pd.read_parquet(tmp_path / "t.parquet")
    assert back["salary_currency"].tolist()[1] == "USD" and back["salary_currency"].isna().sum() == 2
    write_weekly(frame.iloc[:0], tmp_path / "empty.parquet")
    assert pd.read_parquet(tmp_path / "empty.parquet").columns.tolist() == frame.columns.tolist()


def _inodes(folder):
    return {path.name: path.stat().st_ino for path in folder.glob("*.parquet")}


def test_unchanged_weeks_are_linked_from_the_old_dataset_and_changed_ones_written(data_dir, tmp_path):
    """An incremental run rewrites only the week files whose rows changed; the others are the old files."""
    from pipeline.dataset import TABLES, read_meta, write_dataset

    tables = {name: read_table(data_dir, name) for name in TABLES}
    meta = read_meta(data_dir)
    write_dataset(tmp_path, tables, meta)
    folder = dataset_dir(tmp_path) / "postings.parquet"
    first = _inodes(folder)
    write_dataset(tmp_path, tables, meta)
    assert _inodes(folder) == first  # the same rows: every file is the old one
    postings = tables["postings"].copy()
    weeks = sorted(postings["week"].unique())
    edited = postings.index[postings["week"] == weeks[2]][0]
    postings.loc[edited, "title"] = "Edited <b>title</b>"
    write_dataset(tmp_path, {**tables, "postings": postings}, meta)
    after = _inodes(folder)
    changed = {name for name in after if after[name] != first[name]}
    assert changed == {f"week-{weeks[2]}.parquet"}
    pd.testing.assert_frame_equal(read_table(tmp_path, "postings"), postings)
    # a new column changes every file's schema: nothing can be linked
    write_dataset(tmp_path, {**tables, "postings": postings.assign(extra=1)}, meta)
    assert not set(_inodes(folder).values()) & set(after.values())
    assert read_table(tmp_path, "postings")["extra"].eq(1).all()


def test_an_edited_description_rewrites_its_week(data_dir, tmp_path):
    """Descriptions are not compared (content_hash, which hashes them, is): an edit changes both."""
    from pipeline.clean import content_hashes
    from pipeline.dataset import TABLES, read_meta, write_dataset

    tables = {name: read_table(data_dir, name) for name in TABLES}
    write_dataset(tmp_path, tables, read_meta(data_dir))
    folder = dataset_dir(tmp_path) / "postings.parquet"
    first = _inodes(folder)
    postings = tables["postings"].copy()
    last = postings.index[-1]
    postings.loc[last, "description"] += " One more sentence."
    postings.loc[last, "content_hash"] = content_hashes(*([postings.loc[last, col]] for col in
                                                          ("title", "company", "location", "description")))[0]
    write_dataset(tmp_path, {**tables, "postings": postings}, read_meta(data_dir))
    after = _inodes(folder)
    assert [name for name in after if after[name] != first[name]] == [f"week-{postings['week'].iloc[-1]}.parquet"]
    assert read_table(tmp_path, "postings")["description"].iloc[-1].endswith("One more sentence.")


class _Descriptions:
    """A DescriptionSource over a list, recording the places asked for, answering in chunks of five (as
    StoredDescriptions answers in one chunk per cleaned file)."""

    def __init__(self, texts):
        self.texts, self.asked, self.reads = pa.array(texts, pa.large_string()), [], []

    def take(self, at):
        self.asked.extend(at.tolist())
        self.reads.append(len(at))
        taken = self.texts.take(pa.array(at))
        return pa.chunked_array([taken.slice(i, 5) for i in range(0, len(taken), 5)] or [taken])


@pytest.mark.parametrize("group_rows", [None, 7])
def test_descriptions_held_back_are_read_for_the_weeks_written_only(data_dir, tmp_path, monkeypatch, group_rows):
    """Postings holding DESCRIPTION_AT (as processing passes them) give the very files postings holding their
    descriptions give (schema, pandas metadata, values); a linked week's descriptions are never read. With
    a small read group (WRITE_POSTINGS), each read holds that many rows and one more week's at most."""
    import numpy as np

    import pipeline.dataset as dataset_mod
    from pipeline.dataset import DESCRIPTION_AT, TABLES, read_meta, write_dataset

    if group_rows is not None:
        monkeypatch.setattr(dataset_mod, "WRITE_POSTINGS", group_rows)

    tables = {name: read_table(data_dir, name) for name in TABLES}
    postings = tables["postings"]
    stored = np.random.default_rng(3).permutation(len(postings))  # where each row's description is
    texts = np.empty(len(postings), dtype=object)
    texts[stored] = postings["description"].to_numpy()
    held = postings.drop(columns=["description"])
    held.insert(postings.columns.get_loc("description"), DESCRIPTION_AT, stored)
    write_dataset(tmp_path / "eager", tables, read_meta(data_dir))
    source = _Descriptions(texts)
    write_dataset(tmp_path / "held", {**tables, "postings": held}, read_meta(data_dir), source)
    assert sorted(source.asked) == list(range(len(postings)))
    if group_rows is not None:
        biggest_week = int(postings["week"].value_counts().max())
        assert len(source.reads) > 1 and max(source.reads) < group_rows + biggest_week
    eager, lazy = (dataset_dir(tmp_path / name) / "postings.parquet" for name in ("eager", "held"))
    assert sorted(p.name for p in eager.iterdir()) == sorted(p.name for p in lazy.iterdir())
    for path in eager.iterdir():
        a, b = pq.read_table(path), pq.read_table(lazy / path.name)
        assert a.schema.equals(b.schema, check_metadata=True) and a.equals(b)
    # again, one title edited: only its week is written, and only its week's descriptions are read
    weeks = sorted(postings["week"].unique())
    edited = held.copy()
    edited.loc[edited.index[edited["week"] == weeks[4]][0], "title"] = "Edited"
    source = _Descriptions(texts)
    write_dataset(tmp_path / "held", {**tables, "postings": edited}, read_meta(data_dir), source)
    assert sorted(source.asked) == sorted(stored[(postings["week"] == weeks[4]).to_numpy()].tolist())
    back = read_table(tmp_path / "held", "postings")
    assert back["description"].tolist() == postings["description"].tolist()
    with pytest.raises(ValueError, match="DESCRIPTION_AT"):
        write_dataset(tmp_path / "none", {**tables, "postings": held}, read_meta(data_dir))


@pytest.mark.parametrize("rows", [0, 1, 7, 23])
def test_categorical_columns_are_written_as_the_strings_they_stand_for(tmp_path, monkeypatch, rows):
    """skill_mentions is held as Categoricals in processing: its file is the one the strings would give,
    however many slices it is converted in (a code -1 is a missing value)."""
    from pipeline import dataset

    monkeypatch.setattr(dataset, "WRITE_ROWS", 5)
    codes = [(i * 7) % 4 - (1 if i == 3 else 0) for i in range(rows)]
    frame = pd.DataFrame({
        "posting_id": pd.Categorical.from_codes([i // 3 for i in range(rows)],
                                                categories=pd.Index([f"p{i}" for i in range(8)], dtype="str")),
        "area": pd.Categorical.from_codes(codes, categories=pd.Index(["b", "a", "ß", "c"], dtype="str")),
        "count": list(range(rows)),
    })
    dataset.write_table(frame, tmp_path / "coded.parquet")
    frame.astype({"posting_id": "str", "area": "str"}).to_parquet(tmp_path / "plain.parquet", index=False)
    coded, plain = pq.read_table(tmp_path / "coded.parquet"), pq.read_table(tmp_path / "plain.parquet")
    assert coded.schema.equals(plain.schema, check_metadata=True) and coded.equals(plain)
    assert pq.ParquetFile(tmp_path / "coded.parquet").metadata.num_row_groups == max(1, -(-rows // 5))
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "coded.parquet"),
                                  pd.read_parquet(tmp_path / "plain.parquet"))
