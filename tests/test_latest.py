"""latest_postings (pipeline/latest.py) is drop_exact_duplicates of the concatenated cleaned files, with or
without the state of an earlier scan."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from unittest.mock import patch

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline import columns as c
from pipeline.cache import ProcessingCache
from pipeline.clean import clean_postings, drop_exact_duplicates, raw_frame
from pipeline.latest import _scan, latest_postings, latest_rows, latest_rows_and_state, with_descriptions
from scraper.rawstore import RawStore
from tests.test_incremental import scrape_runs

T0 = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)


def cleaned_files(tmp_path, files: list[list[dict]]):
    """Write each list of raw rows as one cleaned cache file; return the paths and the concatenation."""
    store = RawStore(tmp_path)
    cache = ProcessingCache(store, "v")
    paths, frames = [], []
    for i, rows in enumerate(files):
        raw = store.raw_dir / "src" / f"run{i:03d}.jsonl.gz"
        raw.parent.mkdir(parents=True, exist_ok=True)
        raw.write_bytes(b"x" * (i + 1))  # the cache names files by the raw file's size
        cache.write_cleaned(raw, clean_postings(raw_frame(rows)))
        paths.append(cache.cleaned_path(raw))
        frames.append(cache.read_cleaned(raw))
    return paths, pd.concat(frames, ignore_index=True)


def raw_row(source_id: str, fetched: int, content: int, extra: int = 0) -> dict:
    return {"source": "src", "source_kind": "greenhouse", "source_id": source_id, "url": f"https://x/{source_id}/{extra}",
            "title": f"ML Engineer {content}", "company": "Acme", "location": "Berlin", "posted_at": None,
            "description_html": f"<p>Python and statistics, version {content}</p>", "description_text": None,
            "remote_hint": None, "fetched_at": (T0 + timedelta(days=fetched)).isoformat(),
            "hints": {"employment": "full_time"} if extra else {}}


def test_the_scraped_store_gives_the_reference_table(tmp_path):
    data_dir = tmp_path / "store"
    for _ in scrape_runs(data_dir):
        pass
    store = RawStore(data_dir)
    files = [list(store.iter_rows([path])) for path in store.raw_files()]
    paths, concatenated = cleaned_files(tmp_path / "cache", files)
    expected = drop_exact_duplicates(concatenated)
    assert len(concatenated) > len(expected) > 0
    got, rows = latest_postings(paths)
    assert rows == len(concatenated)
    pd.testing.assert_frame_equal(got, expected)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.tuples(st.sampled_from("abc"), st.integers(0, 2), st.integers(0, 1), st.integers(0, 1)),
                         min_size=1, max_size=6), min_size=1, max_size=4))
def test_ties_and_edits_resolve_as_the_reference_does(tmp_path_factory, files):
    """Few ids, times and contents: the same posting at the same time with the same content in two files
    (only url and hints differ) must keep the later row, as the reference's stable sort does."""
    rows = [[raw_row(*row) for row in file] for file in files]
    paths, concatenated = cleaned_files(tmp_path_factory.mktemp("cache"), rows)
    got, rows = latest_postings(paths)
    assert rows == len(concatenated)
    pd.testing.assert_frame_equal(got, drop_exact_duplicates(concatenated))
    assert all(isinstance(h, dict) for h in got[c.HINTS])


def test_hints_can_stay_json(tmp_path):
    paths, _ = cleaned_files(tmp_path, [[raw_row("a", 0, 0, 1)]])
    assert json.loads(latest_postings(paths, decode_hints=False)[0][c.HINTS][0]) == {"employment": "full_time"}


def test_empty_files_are_skipped(tmp_path):
    """An empty cleaned file types its columns without values; it must not decide the scan's schema."""
    paths, concatenated = cleaned_files(tmp_path, [[], [raw_row("a", 0, 0)], [], [raw_row("a", 1, 1)]])
    got, _ = latest_postings(paths)
    # pd.concat with an empty object column gives object; the values, and the Parquet written, are the same
    pd.testing.assert_frame_equal(got, drop_exact_duplicates(concatenated), check_dtype=False)
    assert got[c.TITLE].tolist() == ["ML Engineer 1"] and got[c.FIRST_SEEN_AT][0] == T0
    only_empty, _ = cleaned_files(tmp_path / "empty", [[]])
    assert latest_postings(only_empty)[0].empty


def test_a_column_null_in_one_file_takes_the_type_of_the_others(tmp_path):
    """A file whose column holds only nulls stores it as Arrow's null type; the scan must still read it."""
    paths, concatenated = cleaned_files(tmp_path, [[raw_row("a", 0, 0)], [raw_row("b", 1, 1)]])
    first = pq.read_table(paths[0])
    first = first.set_column(first.schema.get_field_index(c.URL), c.URL, pa.nulls(first.num_rows))
    pq.write_table(first, paths[0])
    assert pq.read_schema(paths[0]).field(c.URL).type == pa.null()
    got, rows = latest_postings(paths)
    assert rows == 2 and got[c.POSTING_ID].tolist() == sorted(concatenated[c.POSTING_ID])
    urls = dict(zip(got[c.POSTING_ID], got[c.URL]))
    b_id = concatenated.loc[concatenated[c.TITLE] == "ML Engineer 1", c.POSTING_ID].iloc[0]
    assert urls[b_id] == concatenated.loc[concatenated[c.POSTING_ID] == b_id, c.URL].iloc[0]
    assert sum(pd.isna(u) for u in urls.values()) == 1, urls


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(0, 9), max_size=5), st.lists(st.integers(0, 10_000), max_size=12))
def test_descriptions_stay_in_the_files_until_asked_for(tmp_path_factory, sizes, picks):
    """latest_rows holds each row's place instead of its description; any places, in any order and
    repeated, read back the concatenation's descriptions; filling them in gives latest_postings."""
    files = [[raw_row(f"{f}-{i % 3}", i, i + f) for i in range(size)] for f, size in enumerate([1, *sizes])]
    paths, concatenated = cleaned_files(tmp_path_factory.mktemp("cache"), files)
    rows, count, stored = latest_rows(paths)
    assert c.DESCRIPTION not in rows.columns and count == len(concatenated)
    # (an empty file makes pd.concat's description column object: check_dtype, as in the test above)
    pd.testing.assert_frame_equal(with_descriptions(rows, stored), drop_exact_duplicates(concatenated),
                                  check_dtype=not any(not file for file in files))
    at = np.array([p % len(concatenated) for p in picks], dtype=np.int64)
    assert stored.take(at).to_pylist() == concatenated[c.DESCRIPTION].to_numpy()[at].tolist()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.lists(st.tuples(st.sampled_from("abc"), st.integers(0, 2), st.integers(0, 1),
                                             st.integers(0, 1)), max_size=5), st.booleans()),
                min_size=1, max_size=5))
def test_a_state_then_the_files_added_since_give_what_a_whole_scan_gives(tmp_path_factory, files):
    """The last run scanned some of the files (any of them, not only the first: a backfill adds files
    among the old ones); this run scans the others and starts from the state. Ties between a row of the
    state and a new row keep the later row in file order, as the reference does."""
    rows = [[raw_row(*row) for row in file] for file, _ in files]
    paths, concatenated = cleaned_files(tmp_path_factory.mktemp("cache"), rows)
    covered = [path for path, (_, scanned_before) in zip(paths, files) if scanned_before]
    previous = latest_rows_and_state(covered)[3] if covered else None
    scanned = []
    with patch("pipeline.latest._scan", side_effect=lambda names, *rest: scanned.append(names) or _scan(names, *rest)):
        got, count, stored, state = latest_rows_and_state(paths, previous)
    whole, whole_count, whole_stored, whole_state = latest_rows_and_state(paths)
    pd.testing.assert_frame_equal(got, whole)
    assert count == whole_count == len(concatenated)
    if previous is not None:  # only the files it did not cover were read
        assert set(scanned[0]) == {str(p) for p in paths if str(p) not in previous.files and pq.read_metadata(p).num_rows}
    if whole_state is None:
        assert state is None and concatenated.empty
        return
    assert state.rows.equals(whole_state.rows) and state.files == whole_state.files
    np.testing.assert_array_equal(stored.starts, whole_stored.starts)
    pd.testing.assert_frame_equal(with_descriptions(got, stored), drop_exact_duplicates(concatenated),
                                  check_dtype=all(file for file in rows))


def test_a_state_covering_a_file_no_longer_listed_is_not_used(tmp_path):
    """A raw file deleted (or replaced: its cleaned file's name changes with its size): the state's
    choices may rest on its rows, so everything is scanned again."""
    paths, _ = cleaned_files(tmp_path, [[raw_row("a", 2, 0)], [raw_row("a", 1, 1)], [raw_row("b", 0, 0)]])
    state = latest_rows_and_state(paths[:2])[3]
    got = latest_rows_and_state(paths[1:], state)
    expected = latest_rows_and_state(paths[1:])
    pd.testing.assert_frame_equal(got[0], expected[0])
    assert got[0][c.TITLE].tolist() == ["ML Engineer 1", "ML Engineer 0"]  # a's row of the deleted file is gone
    assert got[3].files == expected[3].files and str(paths[0]) not in got[3].files


def test_the_state_is_kept_by_the_cache_and_a_damaged_one_is_scanned_again(tmp_path):
    paths, concatenated = cleaned_files(tmp_path, [[raw_row("a", 0, 0, 1), raw_row("b", 1, 1)], [], [raw_row("a", 2, 1)]])
    cache = ProcessingCache(RawStore(tmp_path), "v")
    assert cache.read_latest() is None
    state = latest_rows_and_state(paths)[3]
    cache.write_latest(state)
    back = cache.read_latest()
    assert back.rows.equals(state.rows) and back.files == state.files and back.schema.equals(state.schema)
    assert back.files[str(paths[1])] == 0 and len(back.files) == 3
    cache.latest_path.write_bytes(b"PAR1 not a state")
    assert cache.read_latest() is None and cache.discarded == 1 and not cache.latest_path.exists()
    # a Parquet file that is not a state (no metadata)
    pq.write_table(pa.table({"x": [1]}), cache.latest_path)
    assert cache.read_latest() is None and cache.discarded == 2
