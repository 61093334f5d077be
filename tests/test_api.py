"""The notebook API: open_dataset, a DataFrame per table, SQL over all of them, clear errors."""
from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pandas as pd
import pytest

from pipeline import columns as c
from pipeline.dataset import TABLES, WEEK_PARTITIONED, dataset_dir
from pipeline.errors import DatasetError
from tests.conftest import REPO
from tests.small_dataset import build_small_dataset


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return build_small_dataset(tmp_path_factory.mktemp("api"))


@pytest.fixture
def ds(data_dir):
    from pipeline import open_dataset

    with open_dataset(data_dir) as dataset:
        yield dataset


@pytest.mark.parametrize("name", TABLES)
def test_each_table_method_equals_reading_its_parquet_file(ds, data_dir, name):
    direct = pd.read_parquet(dataset_dir(data_dir) / f"{name}.parquet")
    if name in WEEK_PARTITIONED:  # a folder of week files: read in week order, kept in posting order
        direct = direct.sort_values("posting_id", ignore_index=True)
    frame = getattr(ds, name)()
    assert len(frame) > 0
    pd.testing.assert_frame_equal(frame, direct)
    pd.testing.assert_frame_equal(ds.table(name), direct)


def test_logs_are_tables_too(ds, data_dir):
    runs = ds.runs()
    lines = [json.loads(line) for line in (data_dir / "runs.jsonl").read_text().splitlines()]
    assert len(runs) == len(lines) == 6
    assert sorted(runs["source"]) == sorted(line["source"] for line in lines)
    assert str(runs["started_at"].dtype) == "datetime64[us, UTC]"  # typed, and UTC whatever the machine's zone
    processing = ds.processing()
    assert len(processing) == 1 and processing["postings"].iloc[0] == ds.meta["postings"]
    pd.testing.assert_frame_equal(runs, ds.sql("select * from runs"))


def test_tables_meta_and_taxonomy_version(ds, data_dir):
    assert ds.tables == TABLES + ("runs", "processing")
    assert ds.meta == json.loads((dataset_dir(data_dir) / "meta.json").read_text())
    assert ds.taxonomy_version == ds.meta["taxonomy_version"]
    assert set(ds.postings()[c.TAXONOMY_VERSION]) == {ds.taxonomy_version}
    assert ds.meta["postings"] == len(ds.postings())
    assert "postings=" in repr(ds)


def test_sql_joins_tables(ds):
    sql = """
        select m.area, count(distinct p.posting_id) as postings
        from postings p join skill_mentions m using (posting_id)
        where p.is_ml group by 1 order by 1
    """
    joined = ds.sql(sql)
    postings, mentions = ds.postings(), ds.skill_mentions()
    ml = postings.loc[postings[c.IS_ML], [c.POSTING_ID]]
    expected = (mentions.merge(ml, on=c.POSTING_ID).groupby(c.AREA)[c.POSTING_ID].nunique()
                .rename("postings").reset_index())
    assert joined[c.AREA].tolist() == expected[c.AREA].tolist()
    assert joined["postings"].tolist() == expected["postings"].tolist()
    assert set(joined[c.AREA]) == set(c.AREA_IDS)


def test_sql_takes_parameters_and_every_view_is_there(ds):
    one = ds.sql("select count(*) as n from postings where source = ?", [ds.postings()[c.SOURCE].iloc[0]])
    assert one["n"].iloc[0] > 0
    views = set(ds.connection.execute("select view_name from duckdb_views() where not internal").df()["view_name"])
    assert views == set(ds.tables)
    with pytest.raises(duckdb.Error):
        ds.sql("select nope from postings")


def test_unknown_table_is_a_clear_error(ds):
    with pytest.raises(DatasetError, match="no table 'jobs'.*postings"):
        ds.table("jobs")


def test_open_dataset_on_an_empty_dir_says_to_process(tmp_path):
    from pipeline import open_dataset

    with pytest.raises(DatasetError, match=r"no cleaned dataset at .*dataset: run `jobtrends process` first"):
        open_dataset(tmp_path)


def test_open_dataset_names_the_usual_mistakes(tmp_path, data_dir):
    from pipeline import open_dataset

    with pytest.raises(DatasetError, match="not a directory"):
        open_dataset(tmp_path / "missing")
    with pytest.raises(DatasetError, match="dataset folder itself: pass its parent"):
        open_dataset(dataset_dir(data_dir))
    # runs.jsonl alone (scraped, never processed) is not a dataset
    (tmp_path / "runs.jsonl").write_text((data_dir / "runs.jsonl").read_text())
    with pytest.raises(DatasetError, match="run `jobtrends process` first"):
        open_dataset(tmp_path)


def test_a_log_not_written_yet_is_an_empty_table(tmp_path, data_dir):
    from pipeline import open_dataset
    from pipeline.dataset import read_meta, read_table, write_dataset

    write_dataset(tmp_path, {name: read_table(data_dir, name) for name in TABLES}, read_meta(data_dir))
    with open_dataset(tmp_path) as ds:
        assert ds.tables == TABLES
        assert ds.runs().empty and ds.processing().empty
        assert len(ds.postings()) == len(read_table(data_dir, "postings"))


def test_importing_pipeline_stays_light():
    """`import pipeline` (and so every CLI start) must not load plotly, the matcher, DuckDB or pandas."""
    code = ("import sys, pipeline; heavy = [m for m in ('plotly', 'pipeline.matcher', 'hyperscan', 'duckdb', "
            "'pandas', 'pipeline.api') if m in sys.modules]; print(heavy); "
            "from pipeline import open_dataset; print(open_dataset.__module__, 'plotly' in sys.modules, "
            "'pipeline.matcher' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["[]", "pipeline.api False False"]


def test_the_api_is_kept_out_of_the_processing_cache_key():
    """pipeline/cache.py hashes what the pipeline imports; editing api.py must not void users' caches."""
    from pipeline.cache import ENRICHMENT_ROOT, project_modules

    modules = project_modules(ENRICHMENT_ROOT)
    assert "pipeline" in modules and "pipeline.api" not in modules and "pipeline.dataset" not in modules
