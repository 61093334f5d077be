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
