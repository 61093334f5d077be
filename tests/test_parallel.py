"""Enrichment on every core gives the rows one process gives (pipeline/parallel.py)."""
from __future__ import annotations

import pandas as pd

import pipeline.parallel as parallel
from pipeline.clean import clean_postings, raw_frame
from pipeline.enrich import ENRICHMENT_KEY, enrichment_table
from tests.small_dataset import build_small_dataset, taxonomy
from scraper.rawstore import RawStore


def test_worker_processes_give_the_same_enrichment(tmp_path, monkeypatch):
    data_dir = build_small_dataset(tmp_path / "data")
    postings = clean_postings(raw_frame(RawStore(data_dir).iter_rows()))
    postings = pd.concat([postings, postings.iloc[:40]], ignore_index=True)  # repeated contents count once
    monkeypatch.setattr(parallel, "MIN_PARALLEL_POSTINGS", 100)
    monkeypatch.setattr(parallel, "CHUNK_POSTINGS", 90)
    got = parallel.enrichment_table_parallel(postings, taxonomy(), workers=2)
    expected = enrichment_table(postings, taxonomy())
    assert len(expected) <= len(postings) - 40
    assert len(got) > parallel.CHUNK_POSTINGS  # several chunks, so both workers had some
    pd.testing.assert_frame_equal(got.sort_values(ENRICHMENT_KEY, ignore_index=True),
                                  expected.sort_values(ENRICHMENT_KEY, ignore_index=True))


def test_small_batches_stay_in_this_process(monkeypatch):
    def no_pool(*args, **kwargs):
        raise AssertionError("a pool was started for a small batch")

    monkeypatch.setattr(parallel, "ProcessPoolExecutor", no_pool)
    frame = pd.DataFrame({"title": ["ML Engineer"], "location": ["Berlin"], "description": ["Python and SQL"],
                          "hints": [{}]})
    table = parallel.enrichment_table_parallel(frame, taxonomy(), workers=4)
    pd.testing.assert_frame_equal(table, enrichment_table(frame, taxonomy()))
    assert {"Python", "SQL and databases"} <= set(table["skill_names"][0])


def test_worker_processes_clean_raw_files_into_the_cache(tmp_path, monkeypatch):
    from pipeline.cache import ProcessingCache
    from tests.test_incremental import scrape_runs

    for _ in scrape_runs(tmp_path):
        pass
    store = RawStore(tmp_path)
    raw_paths = store.raw_files()
    cache = ProcessingCache(store, "v")
    monkeypatch.setattr(parallel, "MIN_PARALLEL_FILES", 2)
    monkeypatch.setattr(parallel, "CHUNK_FILES", 3)
    assert len(raw_paths) > 2 * parallel.CHUNK_FILES  # both workers get files
    parallel.clean_raw_files(cache, raw_paths, workers=2)
    for path in raw_paths:
        expected = clean_postings(raw_frame(store.iter_rows([path])))
        got = cache.read_cleaned(path)
        assert got is not None
        pd.testing.assert_frame_equal(got.drop(columns=["hints"]), expected.drop(columns=["hints"]), check_dtype=False)
        assert got["hints"].tolist() == expected["hints"].tolist()
