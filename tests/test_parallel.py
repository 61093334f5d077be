"""Enrichment on every core gives the rows one process gives (pipeline/parallel.py)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

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
    # the workers can send the skill lists as Arrow lists (what processing keeps): the same lists
    from pipeline.mentions import with_arrow_skill_lists

    arrow = parallel.enrichment_table_parallel(postings, taxonomy(), workers=2, arrow_lists=True)
    assert isinstance(arrow["skill_names"].dtype, pd.ArrowDtype)
    pd.testing.assert_frame_equal(arrow.sort_values(ENRICHMENT_KEY, ignore_index=True),
                                  with_arrow_skill_lists(expected).sort_values(ENRICHMENT_KEY, ignore_index=True))


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


def test_the_enrichment_key_covers_every_input_and_reads_hints_as_dicts_or_json():
    """The key hashes content_hash and the hints: equal for the cache's JSON hints and the same dicts, and
    different when anything enrichment reads differs (a worker uses the key it is sent, never its own)."""
    from pipeline.enrich import enrichment_key
    from pipeline.partitions import hints_as_json

    base = clean_postings(raw_frame([{
        "source": "greenhouse", "source_kind": "ats", "source_id": "1", "url": "https://x.test/1",
        "title": "ML Engineer", "company": "Acme", "location": "Berlin", "description_html": "<p>Python</p>",
        "description_text": None, "remote_hint": "", "fetched_at": "2026-11-02T10:00:00Z",
        "posted_at": "2026-11-01T10:00:00Z", "hints": {"employment": "full_time", "a": [1, 2]},
    }]))
    key = enrichment_key(base)[0]
    assert enrichment_key(hints_as_json(base))[0] == key
    # a frame without content_hash (built by hand) gets the one clean_postings gives
    assert enrichment_key(base.drop(columns=["content_hash"]))[0] == key
    for edit in ({"title": "Data Scientist"}, {"location": "Paris"}, {"description": "Python and R"},
                 {"hints": [{"employment": "contract", "a": [1, 2]}]}):
        changed = base.assign(**edit)
        if "hints" not in edit:
            changed = changed.drop(columns=["content_hash"])
        assert enrichment_key(changed)[0] != key, edit


def test_workers_use_the_keys_they_are_given(monkeypatch):
    frame = pd.DataFrame({"title": ["ML Engineer"] * 2, "location": ["Berlin"] * 2,
                          "description": ["Python and SQL", "Rust"], "hints": [{}, {}]})
    keys = pd.Series(["key-one", "key-two"])
    monkeypatch.setattr(parallel, "MIN_PARALLEL_POSTINGS", 1)
    monkeypatch.setattr(parallel, "CHUNK_POSTINGS", 1)
    table = parallel.enrichment_table_parallel(frame, taxonomy(), workers=2, keys=keys)
    assert table[ENRICHMENT_KEY].tolist() == ["key-one", "key-two"]
    assert "Python" in table["skill_names"][0] and "Python" not in table["skill_names"][1]


_NAMES = st.sampled_from(["Python", "R", "C++", "SQL", "Ärger", "probability", "Bayes", "z", "Z", "ñ"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.tuples(_NAMES, _NAMES), max_size=6), min_size=1, max_size=8),
       st.lists(st.text("abcdef0123", min_size=1, max_size=4), max_size=12, unique=True),
       st.data(), st.booleans(), st.integers(0, 2))
def test_mentions_are_the_exploded_lists_sorted_as_strings(lists, ids, data, arrow_lists, sliced):
    """The Arrow-built skill_mentions table is what exploding each posting's enrichment row's lists (row
    `at[i]` for posting i: rows shared, in any order) and sorting by (posting_id, area, skill) as Python
    strings gives, from Python lists or from Arrow lists (the cache's), also when those are a slice."""
    from pipeline import columns as c
    from pipeline.enrich import SKILL_AREAS, SKILL_NAMES
    from pipeline.mentions import _mentions, with_arrow_skill_lists

    padded = [[("pad", "pad")]] * sliced + lists
    table = pd.DataFrame({SKILL_AREAS: [[a for a, _ in pairs] for pairs in padded],
                          SKILL_NAMES: [[s for _, s in pairs] for pairs in padded]})
    if arrow_lists:
        table = with_arrow_skill_lists(table)
        assert isinstance(table[SKILL_AREAS].dtype, pd.ArrowDtype)
    table = table.iloc[sliced:].reset_index(drop=True)  # Arrow lists: a slice, whose offsets start later
    at = np.array(data.draw(st.lists(st.integers(0, len(lists) - 1), min_size=len(ids), max_size=len(ids))),
                  dtype=np.int64)
    got = _mentions(np.array(ids, dtype=object), table[SKILL_AREAS], table[SKILL_NAMES], at)
    expected = sorted((pid, a, s) for pid, row in zip(ids, at) for a, s in lists[row])
    assert list(got.columns) == list(c.SKILL_MENTIONS_COLUMNS)
    assert list(got.itertuples(index=False, name=None)) == expected


def test_descriptions_held_back_are_read_chunk_by_chunk(tmp_path, monkeypatch):
    """Postings holding DESCRIPTION_AT (rows of latest_rows) give the same enrichment: each chunk's
    descriptions are read just before it goes out, a bounded number of chunks ahead."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pipeline.latest import DESCRIPTION_AT, StoredDescriptions

    data_dir = build_small_dataset(tmp_path / "data")
    postings = clean_postings(raw_frame(RawStore(data_dir).iter_rows()))
    places = np.random.default_rng(5).permutation(len(postings))  # row i's description is stored at places[i]
    stored_texts = np.empty(len(postings), dtype=object)
    stored_texts[places] = postings["description"].to_numpy()
    cuts = [0, 50, 51, 300, len(postings)]  # four files
    paths = [str(tmp_path / f"part{i}.parquet") for i in range(len(cuts) - 1)]
    for path, lo, hi in zip(paths, cuts, cuts[1:]):
        pq.write_table(pa.table({"description": pa.array(stored_texts[lo:hi].tolist(), pa.large_string())}), path)
    stored = StoredDescriptions(paths, np.diff(cuts).tolist(), pq.read_schema(paths[0]))
    held = postings.drop(columns=["description"]).assign(**{DESCRIPTION_AT: places})
    asked = []
    take = StoredDescriptions.take
    monkeypatch.setattr(StoredDescriptions, "take", lambda self, at: asked.append(len(at)) or take(self, at))
    monkeypatch.setattr(parallel, "MIN_PARALLEL_POSTINGS", 100)
    monkeypatch.setattr(parallel, "CHUNK_POSTINGS", 90)
    monkeypatch.setattr(parallel, "IN_FLIGHT_PER_WORKER", 1)
    monkeypatch.setattr(parallel, "READ_CHUNKS", 2)
    got = parallel.enrichment_table_parallel(held, taxonomy(), workers=2, descriptions=stored)
    expected = enrichment_table(postings, taxonomy())
    assert max(asked) == 2 * parallel.CHUNK_POSTINGS and len(asked) >= 2
    pd.testing.assert_frame_equal(got.sort_values(ENRICHMENT_KEY, ignore_index=True),
                                  expected.sort_values(ENRICHMENT_KEY, ignore_index=True))


def test_mentions_read_lists_of_large_strings():
    """Skill lists typed list<large_string> (as another writer may store them) give the same mentions."""
    import pyarrow as pa

    from pipeline.enrich import SKILL_AREAS, SKILL_NAMES
    from pipeline.mentions import _mentions

    def column(lists):
        array = pa.array(lists, pa.list_(pa.large_string()))
        return pd.Series(pd.arrays.ArrowExtensionArray(array))

    got = _mentions(np.array(["b", "a"], dtype=object), column([["technical"], ["math", "technical"]]),
                    column([["Python"], ["Bayes", "SQL"]]), np.array([1, 0]))
    assert list(got.itertuples(index=False, name=None)) == [
        ("a", "technical", "Python"), ("b", "math", "Bayes"), ("b", "technical", "SQL")]
