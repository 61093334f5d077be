"""Incremental near-duplicate merging: from the last run's pairs, the groups a full comparison gives."""
from __future__ import annotations

import hashlib
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from pipeline import columns as c, dedupe
from pipeline.cache import ProcessingCache, near_duplicates_from_table, near_duplicates_table
from pipeline.dedupe import PAIR_COLUMNS, duplicate_groups, incremental_duplicate_groups, jaccard, shingles
from scraper.rawstore import RawStore
from tests.test_dedupe import reference_groups

VOCABULARY = ["data", "model", "python", "train", "deploy", "team", "spark", "ranking"]
# 30 words, 26 shingles: a word changed near an end keeps Jaccard >= 0.8, one in the middle does not
TEMPLATES = [" ".join(VOCABULARY[(i * step) % len(VOCABULARY)] + str(i % 7) for i in range(30)) for step in (1, 3)]


def edited(template: str, edits: list[tuple[int, str]]) -> str:
    words = template.split()
    for position, word in edits:
        words[position] = word
    return " ".join(words)


descriptions = st.one_of(
    st.sampled_from(["", "  -- !", "Data Model"]),  # no word (no shingle), and one short shingle
    st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=6).map(" ".join),
    st.builds(edited, st.sampled_from(TEMPLATES),
              st.lists(st.tuples(st.integers(0, 29), st.sampled_from(VOCABULARY)), max_size=2)),
)
contents = st.fixed_dictionaries({
    c.TITLE: st.sampled_from(["ML Engineer", "ML Engineer (Remote)", "Data Scientist", "(US)"]),  # "(US)": no key
    c.COMPANY: st.sampled_from(["Acme", "Acme Inc.", "Other", ""]),
    c.DESCRIPTION: descriptions,
})


def frame(rows: dict[str, dict]) -> pd.DataFrame:
    """Postings by id, with the content_hash clean_postings gives (location left out: always empty here)."""
    out = pd.DataFrame([{c.POSTING_ID: pid, **content} for pid, content in rows.items()],
                       columns=[c.POSTING_ID, c.TITLE, c.COMPANY, c.DESCRIPTION])
    out[c.CONTENT_HASH] = [hashlib.sha1("\x1f".join(parts).encode()).hexdigest()[:16]
                           for parts in zip(out[c.TITLE], out[c.COMPANY], out[c.DESCRIPTION])]
    return out


@st.composite
def histories(draw) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(previous postings, current postings): the current ones each new, unchanged or changed since, and
    some previous ones gone."""
    current = {f"p{i:02d}": content for i, content in enumerate(draw(st.lists(contents, max_size=30)))}
    previous = {}
    for pid, content in current.items():
        fate = draw(st.sampled_from(["unchanged", "unchanged", "changed", "new"]))
        if fate != "new":
            previous[pid] = content if fate == "unchanged" else draw(contents)
    removed = draw(st.lists(contents, max_size=8))
    previous.update({f"p{len(current) + i:02d}": content for i, content in enumerate(removed)})
    return frame(previous), frame(current)


def pair_set(pairs: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(pairs[PAIR_COLUMNS[0]], pairs[PAIR_COLUMNS[1]]))


def stored(state):
    """`state` through the table the cache stores (the file itself: test_the_state_file_round_trips...)."""
    return near_duplicates_from_table(near_duplicates_table(state))


@settings(max_examples=300, deadline=None)
@given(histories(), st.sampled_from([1, 5, 4096]), st.sampled_from([1, 40, 1 << 22]), st.sampled_from([1, 7, 65_536]))
def test_incremental_groups_equal_the_full_computation(history, batch, cells, read):
    previous, current = history
    # blocks cut into batches, products a few rows at a time, descriptions read a few batches at a time
    with mock.patch.object(dedupe, "BATCH_POSTINGS", batch), mock.patch.object(dedupe, "PRODUCT_CELLS", cells), \
            mock.patch.object(dedupe, "READ_POSTINGS", read):
        _, before = incremental_duplicate_groups(previous, None)
        groups, after = incremental_duplicate_groups(current, stored(before))
        full = duplicate_groups(current)
        _, from_scratch = incremental_duplicate_groups(current, None)
    assert groups.to_dict() == full.to_dict() == reference_groups(current)
    # the state for the next run holds exactly the pairs a full run finds, for exactly the current postings
    assert pair_set(after.pairs) == pair_set(from_scratch.pairs)
    assert after.members.to_dict() == dict(zip(current[c.POSTING_ID], current[c.CONTENT_HASH]))


def test_unchanged_pairs_are_never_computed_again(monkeypatch):
    rows = {f"a{i}": {c.TITLE: "ML Engineer", c.COMPANY: "Acme", c.DESCRIPTION: TEMPLATES[0]} for i in range(4)}
    rows |= {f"b{i}": {c.TITLE: "Data Scientist", c.COMPANY: "Acme", c.DESCRIPTION: TEMPLATES[1]} for i in range(3)}
    _, state = incremental_duplicate_groups(frame(rows), None)
    calls = []
    compare = dedupe._similar_pairs

    def recording(words, blocks, dirty=None):
        calls.append(len(blocks) if dirty is None else int(np.count_nonzero(dirty)))
        return compare(words, blocks, dirty)

    monkeypatch.setattr(dedupe, "_similar_pairs", recording)
    groups, again = incremental_duplicate_groups(frame(rows), state)
    assert calls == [] and set(groups) == {"a0", "b0"} and pair_set(again.pairs) == pair_set(state.pairs)
    rows["a9"] = rows["a0"]  # one new posting: compared with its block alone
    groups, _ = incremental_duplicate_groups(frame(rows), state)
    assert calls == [1]
    assert groups["a9"] == "a0" and groups["b2"] == "b0"


def test_a_removed_link_splits_its_group():
    words = TEMPLATES[0].split()
    # a ~ b and b ~ c, but a and c differ in three words near the ends
    a, b, c_ = (" ".join(w) for w in (words, words[:-1] + ["x"], ["y", "z"] + words[2:-1] + ["x"]))
    assert min(jaccard(shingles(a), shingles(b)), jaccard(shingles(b), shingles(c_))) >= 0.8
    assert jaccard(shingles(a), shingles(c_)) < 0.8
    empty = {c.TITLE: "ML Engineer", c.COMPANY: "Acme", c.DESCRIPTION: ""}
    rows = {pid: {c.TITLE: "ML Engineer", c.COMPANY: "Acme", c.DESCRIPTION: text}
            for pid, text in zip("abc", (a, b, c_))}
    rows |= {"e1": empty, "e2": empty, "e3": empty}  # empty descriptions: one job, linked as a chain e1-e2-e3
    groups, state = incremental_duplicate_groups(frame(rows), None)
    assert set(groups[["a", "b", "c"]]) == {"a"} and set(groups[["e1", "e2", "e3"]]) == {"e1"}
    del rows["b"], rows["e2"]
    groups, _ = incremental_duplicate_groups(frame(rows), state)
    assert groups.to_dict() == duplicate_groups(frame(rows)).to_dict() == {"a": "a", "c": "c", "e1": "e1", "e3": "e1"}


def test_the_state_file_round_trips_and_an_unreadable_one_is_discarded(tmp_path):
    rows = {f"a{i}": {c.TITLE: "ML Engineer", c.COMPANY: "Acme", c.DESCRIPTION: TEMPLATES[0]} for i in range(3)}
    _, state = incremental_duplicate_groups(frame(rows), None)
    cache = ProcessingCache(RawStore(tmp_path), "taxonomy")
    assert cache.read_near_duplicates() is None  # none yet
    cache.write_near_duplicates(state)
    assert cache.near_duplicates_path.parent.name.startswith("near-")
    read = cache.read_near_duplicates()
    assert pair_set(read.pairs) == pair_set(state.pairs) == {("a0", "a1"), ("a0", "a2"), ("a1", "a2")}
    assert read.members.to_dict() == state.members.to_dict()
    for damage in (b"PAR1 not parquet at all", cache.near_duplicates_path.read_bytes()[:60]):
        cache.near_duplicates_path.write_bytes(damage)
        assert cache.read_near_duplicates() is None
        assert not cache.near_duplicates_path.exists()
    pd.DataFrame({c.POSTING_ID: ["a0"], c.CONTENT_HASH: ["h"]}).to_parquet(cache.near_duplicates_path)  # no pairs
    assert cache.read_near_duplicates() is None and cache.discarded == 3


@pytest.mark.parametrize("postings", [0, 1])
def test_no_or_one_posting(postings):
    rows = {f"a{i}": {c.TITLE: "ML Engineer", c.COMPANY: "Acme", c.DESCRIPTION: "text"} for i in range(postings)}
    groups, state = incremental_duplicate_groups(frame(rows), None)
    assert groups.to_dict() == {pid: pid for pid in rows} and state.pairs.empty
    assert incremental_duplicate_groups(frame(rows), state)[0].to_dict() == groups.to_dict()


def test_descriptions_are_read_only_for_blocks_with_a_new_posting():
    """Without a description column, `read` is asked only for the blocks a new posting joins; an
    untouched block of empty descriptions is still one job (the state says they are blank)."""
    rows = {f"a{i}": {c.TITLE: "ML Engineer", c.COMPANY: "Acme", c.DESCRIPTION: TEMPLATES[0]} for i in range(3)}
    rows |= {f"b{i}": {c.TITLE: "Data Scientist", c.COMPANY: "Acme", c.DESCRIPTION: TEMPLATES[1]} for i in range(2)}
    rows |= {f"e{i}": {c.TITLE: "ML Engineer", c.COMPANY: "Other", c.DESCRIPTION: "  -- !"} for i in range(2)}
    _, state = incremental_duplicate_groups(frame(rows), None)
    assert stored(state).blank == {"e0", "e1"}
    rows["b9"] = rows["b0"]
    current = frame(rows)
    asked: list[str] = []

    def read(positions):  # indexed by position, in any order (here backwards)
        asked.extend(current[c.POSTING_ID].iloc[positions])
        return current[c.DESCRIPTION].iloc[positions].set_axis(positions).iloc[::-1]

    groups, after = incremental_duplicate_groups(current.drop(columns=[c.DESCRIPTION]), stored(state), read)
    assert sorted(asked) == ["b0", "b1", "b9"]
    assert groups.to_dict() == duplicate_groups(current).to_dict()
    assert groups["e1"] == "e0" and groups["b9"] == "b0" and after.blank == {"e0", "e1"}
