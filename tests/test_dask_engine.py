"""`process --engine dask` writes the very dataset the pandas engine writes (issue 8).

The raw store is the incremental tests' one (the 12-week demo scraped four times: exact duplicates,
edits, reposts), processed by both engines; the dask side runs on a real LocalCluster of two worker
processes, with partitions small enough that the two shuffles (on posting_id, then on the dedup block)
really spread rows over several partitions.
"""
from __future__ import annotations

import json
import shutil

import fsspec
import pandas as pd
import pytest
from distributed import Client, LocalCluster
from typer.testing import CliRunner

import pipeline.dask_engine as dask_engine
from pipeline.cli import app
from pipeline.clean import clean_postings, raw_frame
from pipeline.dask_engine import dask_client, dask_postings, raw_listing
from pipeline.dataset import TABLES, read_meta, read_table
from pipeline.dedupe import deduplicate
from pipeline.enrich import enrichment_key
from pipeline.errors import DatasetError
from pipeline.partitions import dedup_block
from pipeline.process import dataset_is_current, process
from pipeline.skills import load_taxonomy
from scraper.rawstore import RawStore
from tests.conftest import REPO
from tests.test_incremental import scrape_runs

DEDUP_META = ("raw_rows", "exact_duplicates", "near_duplicates", "postings", "ml_postings", "weeks", "raw_fingerprint")


@pytest.fixture(scope="module")
def taxonomy():
    # The pure-Python matcher: each worker builds it in a moment; every engine gives the same results.
    return load_taxonomy(REPO / "config" / "skills.yaml", engine="python")


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as local:
        yield local


@pytest.fixture(scope="module")
def raw_store(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("raw")
    for _ in scrape_runs(data_dir):
        pass
    return data_dir


@pytest.fixture(scope="module")
def pandas_dataset(raw_store, tmp_path_factory, taxonomy):
    data_dir = tmp_path_factory.mktemp("pandas") / "data"
    shutil.copytree(raw_store, data_dir)
    process(data_dir, taxonomy, full=True)
    return data_dir


def copy_raw(raw_store, tmp_path):
    data_dir = tmp_path / "data"
    shutil.copytree(raw_store, data_dir)
    return data_dir


def assert_same_dataset(left, right):
    for name in TABLES:
        pd.testing.assert_frame_equal(read_table(left, name), read_table(right, name), obj=name)
    a, b = read_meta(left), read_meta(right)
    assert {k: a[k] for k in DEDUP_META} == {k: b[k] for k in DEDUP_META}


def test_dask_engine_writes_the_pandas_engines_dataset(raw_store, pandas_dataset, tmp_path, taxonomy, cluster,
                                                       monkeypatch):
    data_dir = copy_raw(raw_store, tmp_path)
    raw_bytes = sum(p.stat().st_size for p in RawStore(data_dir).raw_files())
    monkeypatch.setattr(dask_engine, "RAW_BYTES_PER_PARTITION", raw_bytes // 5)  # five partitions
    summary = process(data_dir, taxonomy, engine="dask", scheduler=cluster.scheduler_address)
    assert summary.raw_rows > summary.postings > 0 and summary.dedup.near_duplicates > 0
    assert_same_dataset(pandas_dataset, data_dir)
    assert read_meta(data_dir)["engine"] == "dask"
    assert dataset_is_current(data_dir, taxonomy)


def test_shuffled_partitions_deduplicate_exactly(raw_store, taxonomy, cluster):
    """One partition per raw file: every posting's copies and every block's members start apart."""
    store = RawStore(raw_store)
    urls, raw_bytes, _ = raw_listing(str(raw_store))
    with dask_client(cluster.scheduler_address):
        postings, enrichment, figures = dask_postings(urls, taxonomy, raw_bytes=raw_bytes, bytes_per_partition=1)
    expected, expected_figures = deduplicate(clean_postings(raw_frame(store.iter_rows())))
    assert figures == expected_figures
    assert expected_figures.exact_duplicates > 0 and expected_figures.near_duplicates > 0
    assert postings["posting_id"].tolist() == expected["posting_id"].tolist()
    assert postings["duplicates"].tolist() == expected["duplicates"].tolist()
    assert postings["hints"].tolist() == expected["hints"].tolist()
    # one enrichment row per distinct content, and one for every posting's
    assert enrichment["enrichment_key"].is_unique
    assert set(enrichment_key(postings)) == set(enrichment["enrichment_key"])


def test_dedup_block_never_groups_postings_without_company_or_title():
    frame = pd.DataFrame({"posting_id": ["a", "b", "c", "d"], "company": ["Acme Inc.", "ACME", "", "Acme"],
                          "title": ["ML Engineer (Remote)", "ml engineer", "ML Engineer", ""]})
    blocks = dedup_block(frame).tolist()
    assert blocks[0] == blocks[1]
    assert len(set(blocks[1:])) == 3


def test_raw_files_read_through_fsspec(raw_store, pandas_dataset, tmp_path, taxonomy):
    """Workers read the raw store at any fsspec URL: here memory://, shared by a threaded cluster's workers."""
    fs = fsspec.filesystem("memory")
    for path in RawStore(raw_store).raw_files():
        fs.pipe(f"/jt-store/{path.relative_to(raw_store).as_posix()}", path.read_bytes())
    fs.pipe("/jt-store/raw/demo-gh/x.rejected.jsonl.gz", b"not read")
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with LocalCluster(n_workers=2, processes=False, dashboard_address=":0") as local:
        process(data_dir, taxonomy, engine="dask", scheduler=local.scheduler_address, raw_url="memory://jt-store")
    assert_same_dataset(pandas_dataset, data_dir)
    urls, _, _ = raw_listing("memory://jt-store")
    assert urls and all(url.startswith("memory://") and "rejected" not in url for url in urls)


def test_cli_runs_the_dask_engine(raw_store, pandas_dataset, tmp_path, cluster):
    data_dir = copy_raw(raw_store, tmp_path)
    result = CliRunner().invoke(app, ["process", "--data-dir", str(data_dir), "--engine", "dask",
                                      "--scheduler", cluster.scheduler_address])
    assert result.exit_code == 0, result.output
    assert "postings" in result.output
    for name in TABLES:
        pd.testing.assert_frame_equal(read_table(pandas_dataset, name), read_table(data_dir, name), obj=name)


@pytest.mark.parametrize("args, message", [
    (["--engine", "spark"], "--engine must be one of pandas, dask"),
    (["--scheduler", "tcp://127.0.0.1:1"], "go with --engine dask"),
    (["--raw-url", "s3://bucket/x"], "go with --engine dask"),
])
def test_cli_refuses_engine_options_that_do_not_fit(tmp_path, args, message):
    result = CliRunner().invoke(app, ["process", "--data-dir", str(tmp_path), *args])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())


def test_unreachable_scheduler_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(dask_engine, "CONNECT_TIMEOUT", "1s")
    with pytest.raises(DatasetError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        with dask_client("tcp://127.0.0.1:9"):
            pass
