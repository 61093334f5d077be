"""Near-duplicate merging across sources and reposts."""
from __future__ import annotations

import random

import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from pipeline import columns as c, dedupe
from pipeline.dedupe import (
    company_key,
    duplicate_groups,
    jaccard,
    merge_near_duplicates,
    shingles,
    title_key,
)

BODY = (
    "You will design, train and deploy machine learning models for ranking and retrieval. "
    "Requirements: five years of Python, strong statistics, experience with PyTorch and Spark, "
    "and the ability to explain results to product partners. We value careful evaluation and "
    "clear written communication across research and engineering teams."
)


def posting(pid, source, title="ML Engineer", company="Acme Inc.", body=BODY, first="2026-03-02", last=None):
    return {
        c.POSTING_ID: pid, c.SOURCE: source, c.TITLE: title, c.COMPANY: company, c.DESCRIPTION: body,
        c.FIRST_SEEN_AT: pd.Timestamp(first, tz="UTC"), c.LAST_SEEN_AT: pd.Timestamp(last or first, tz="UTC"),
    }


def test_keys_normalize_noise_but_not_seniority():
    assert title_key("AI/ML Engineer (US)") == title_key("AI/ML Engineer - Remote")
    assert title_key("ML Platform Engineer [28207]") == title_key("ML Platform Engineer [28309]")
    assert title_key("Sr. ML Engineer") != title_key("ML Engineer")
    assert company_key("Acme, Inc.") == company_key("ACME") == "acme"


def test_same_job_on_two_sources_merges_with_seen_on_and_span():
    frame = pd.DataFrame([
        posting("a", "greenhouse-acme", first="2026-03-02", last="2026-03-20"),
        posting("b", "hn", title="ML Engineer (Remote)", company="Acme", body=BODY + " Apply via our site.",
                first="2026-03-05", last="2026-04-01"),
        posting("c", "lever-acme", title="Senior ML Engineer"),  # another opening from the same template
        posting("d", "lever-other", company="Other Co", body="Sell our platform to enterprise customers."),
    ])
    out = merge_near_duplicates(frame).set_index(c.POSTING_ID)
    assert sorted(out.index) == ["a", "c", "d"]
    assert out.loc["a", "seen_on"] == ["greenhouse-acme", "hn"]
    assert out.loc["a", "duplicates"] == 1
    assert out.loc["a", c.LAST_SEEN_AT] == pd.Timestamp("2026-04-01", tz="UTC")
    assert out.loc["c", "duplicates"] == 0


def test_different_text_same_title_stays_apart():
    other = "Build data pipelines in Scala and maintain dashboards for the finance team every quarter."
    frame = pd.DataFrame([posting("a", "s1"), posting("b", "s2", body=other)])
    assert len(merge_near_duplicates(frame)) == 2


def test_large_blocks_use_lsh_and_find_the_same_groups():
    rows = [posting(f"p{i:03d}", "s", body=f"{BODY} {BODY} Ref {i}.") for i in range(80)]
    rows += [posting(f"q{i:03d}", "s", body=f"Completely different text about item {i} " * 12) for i in range(20)]
    groups = duplicate_groups(pd.DataFrame(rows))
    assert groups[[f"p{i:03d}" for i in range(80)]].nunique() == 1
    assert groups[[f"q{i:03d}" for i in range(20)]].nunique() == 20


def test_grouping_does_not_depend_on_row_order():
    frame = pd.DataFrame([posting("b", "s2"), posting("a", "s1"), posting("c", "s3", body=BODY + " More.")])
    assert duplicate_groups(frame).to_dict() == duplicate_groups(frame.iloc[::-1]).to_dict()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400), st.text(max_size=400))
def test_jaccard_is_symmetric_and_bounded(a, b):
    sa, sb = shingles(a), shingles(b)
    assert jaccard(sa, sb) == jaccard(sb, sa)
    assert 0.0 <= jaccard(sa, sb) <= 1.0
    assert jaccard(sa, sa) == 1.0


def reference_groups(postings: pd.DataFrame) -> dict[str, str]:
    """Straightforward definition: every pair of a (company, title) block, exact Jaccard of shingle sets."""
    parent = {pid: pid for pid in postings[c.POSTING_ID]}

    def find(pid):
        while parent[pid] != pid:
            pid = parent[pid]
        return pid

    rows = list(postings[[c.POSTING_ID, c.COMPANY, c.TITLE, c.DESCRIPTION]].itertuples(index=False))
    for a_index, a in enumerate(rows):
        for b in rows[a_index + 1:]:
            key_a, key_b = (company_key(a[1]), title_key(a[2])), (company_key(b[1]), title_key(b[2]))
            if key_a != key_b or "" in key_a:
                continue
            if jaccard(shingles(a[3]), shingles(b[3])) >= 0.8:
                ra, rb = find(a[0]), find(b[0])
                parent[max(ra, rb)] = min(ra, rb)
    return {pid: find(pid) for pid in parent}


def random_postings(rng: random.Random, n: int, vocabulary: list[str]) -> pd.DataFrame:
    """Blocks of related texts: copies with a few words changed, short and empty texts, long texts."""
    templates = [[rng.choice(vocabulary) for _ in range(rng.choice([0, 3, 8, 30, 60, 900]))] for _ in range(6)]
    rows = []
    for i in range(n):
        words = list(rng.choice(templates))
        for _ in range(rng.choice([0, 0, 1, 2, 3, 8])):
            if words:
                words[rng.randrange(len(words))] = rng.choice(vocabulary)
        body = rng.choice([" ".join(words), " ".join(words).upper() + "!", "; ".join(words) + " " * 3])
        rows.append(posting(f"id{rng.randrange(10**6):06d}-{i}", rng.choice(["s1", "s2", "s3"]),
                            title=rng.choice(["ML Engineer", "ML Engineer (Remote)", "Data Scientist", "(US)"]),
                            company=rng.choice(["Acme", "Acme Inc.", "Other", ""]), body=body))
    return pd.DataFrame(rows)


@pytest.mark.parametrize("seed", range(12))
def test_groups_equal_the_all_pairs_reference_on_random_blocks(seed, monkeypatch):
    rng = random.Random(seed)
    vocabulary = [f"w{i}" for i in range(rng.choice([3, 12, 50, 7000]))]  # 7000: keys overflow int64 radix
    frame = random_postings(rng, rng.randrange(2, 90), vocabulary)
    monkeypatch.setattr(dedupe, "BATCH_POSTINGS", rng.choice([1, 7, 4096]))  # blocks cut into batches
    monkeypatch.setattr(dedupe, "PRODUCT_CELLS", rng.choice([1, 50, 1 << 22]))  # products a few rows at a time
    monkeypatch.setattr(dedupe, "READ_POSTINGS", rng.choice([1, 9, 65_536]))  # descriptions read in groups
    assert duplicate_groups(frame).to_dict() == reference_groups(frame)


def test_jaccard_exactly_at_the_threshold_merges():
    base = [f"w{i}" for i in range(40)]  # 36 shingles; the copy shares 32 of 40 in the union: 0.8
    copy = base[:36] + ["x1", "x2", "x3", "x4"]
    assert jaccard(shingles(" ".join(base)), shingles(" ".join(copy))) == 0.8
    frame = pd.DataFrame([posting("a", "s1", body=" ".join(base)), posting("b", "s2", body=" ".join(copy))])
    assert duplicate_groups(frame).to_dict() == reference_groups(frame) == {"a": "a", "b": "a"}


def test_only_two_characters_beyond_ascii_lower_to_word_characters():
    """`_words` reads bytes: it must know every character whose str.lower() makes word characters."""
    lowering = {chr(cp): chr(cp).lower() for cp in range(0x80, 0x110000)
                if dedupe._WORD.search(chr(cp).lower())}
    assert lowering == dict(dedupe._LOWERS_TO_WORDS)


WORDY = st.text(alphabet=st.sampled_from([*"abcAB09 -_.\n\t", "\u0130", "\u212a", "é", "ß", "\u00a0", "💡", "ǅ"]),
                max_size=60)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), WORDY, st.text(max_size=40)), max_size=12),
       st.integers(0, 3), st.sampled_from([1, 3, 2000]))
def test_words_are_the_words_shingles_reads(texts, skip, max_words):
    """Ids stand for exactly the words `_WORD.findall(text.lower())` finds, in order, MAX_WORDS per text,
    also for a slice of a larger Arrow array; the shingle matrix's rows are the `shingles` sets."""
    import numpy as np
    import pyarrow as pa
    array = pa.array(["pad text"] * skip + texts, pa.large_string()).slice(skip)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dedupe, "MAX_WORDS", max_words)
        ids, counts, radix = dedupe._words(array)
        found = [dedupe._WORD.findall((text or "").lower()) for text in texts]
        assert counts.tolist() == [len(words) for words in found]
        reference = [word for words in found for word in words[:max_words]]
        same_words = pd.factorize(pd.Series(reference, dtype=object))[0]
        assert pd.factorize(pd.Series(ids, dtype="int64"))[0].tolist() == same_words.tolist()
        assert ((ids >= 1) & (ids < radix)).all() and radix == len({w for words in found for w in words}) + 1
        matrix = dedupe._shingle_matrix(ids, counts, radix, np.zeros(len(texts), dtype=np.int64))
        sets = [shingles(text or "") for text in texts]
    shared = (matrix @ matrix.T).toarray()
    assert [[int(shared[i, j]) for j in range(len(texts))] for i in range(len(texts))] == \
        [[len(a & b) for b in sets] for a in sets]


def _merged_by_hand(frame: pd.DataFrame, groups: dict) -> dict:
    """merge_near_duplicates spelled out: per group, the member first by (posted_at, first_seen_at,
    posting_id) with missing times last, the group's sorted sources, widest span, other members."""
    by_group: dict = {}
    for row in frame.to_dict("records"):
        by_group.setdefault(groups[row[c.POSTING_ID]], []).append(row)
    far = pd.Timestamp.max.tz_localize("UTC")
    out = {}
    for members in by_group.values():
        first = min(members, key=lambda r: (far if pd.isna(r[c.POSTED_AT]) else r[c.POSTED_AT],
                                            far if pd.isna(r[c.FIRST_SEEN_AT]) else r[c.FIRST_SEEN_AT],
                                            r[c.POSTING_ID]))
        firsts = [r[c.FIRST_SEEN_AT] for r in members if not pd.isna(r[c.FIRST_SEEN_AT])]
        lasts = [r[c.LAST_SEEN_AT] for r in members if not pd.isna(r[c.LAST_SEEN_AT])]
        out[first[c.POSTING_ID]] = (sorted({r[c.SOURCE] for r in members}), len(members) - 1,
                                    min(firsts) if firsts else pd.NaT, max(lasts) if lasts else pd.NaT)
    return out


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.sampled_from(["s1", "s2", "s3"]), st.one_of(st.none(), st.integers(0, 3)),
                          st.one_of(st.none(), st.integers(0, 3)), st.integers(0, 3)), min_size=1, max_size=12),
       st.booleans())
def test_merging_keeps_the_earliest_member_and_the_groups_sources_and_span(rows, shuffled):
    """Groups given (as an incremental run gives them), any order of rows, missing times: the kept row,
    seen_on, duplicates and the span are those of the plain-Python reading."""
    day = pd.Timestamp("2026-03-02", tz="UTC")
    at = (lambda n: pd.NaT if n is None else day + pd.Timedelta(days=n))
    times = (lambda values: pd.Series([at(n) for n in values], dtype="datetime64[us, UTC]"))
    frame = pd.DataFrame({
        c.POSTING_ID: [f"p{i:02d}" for i in range(len(rows))], c.SOURCE: [row[1] for row in rows],
        c.POSTED_AT: times([row[2] for row in rows]), c.FIRST_SEEN_AT: times([row[3] for row in rows]),
        c.LAST_SEEN_AT: times([None if row[3] is None else row[3] + row[4] for row in rows]),
        c.TITLE: [f"t{i}" for i in range(len(rows))],
    })
    if shuffled:
        frame = frame.iloc[::-1]
    group_of = {f"p{i:02d}": f"g{g}" for i, (g, *_rest) in enumerate(rows)}
    # a group is named by its smallest member, as duplicate_groups names it
    smallest = {}
    for pid, g in sorted(group_of.items()):
        smallest.setdefault(g, pid)
    groups = pd.Series({pid: smallest[g] for pid, g in group_of.items()})
    out = merge_near_duplicates(frame, groups)
    expected = _merged_by_hand(frame, groups)
    assert out[c.POSTING_ID].tolist() == sorted(expected)
    for row in out.to_dict("records"):
        sources, duplicates, first, last = expected[row[c.POSTING_ID]]
        assert row[c.SEEN_ON] == sources and row[c.DUPLICATES] == duplicates
        assert (pd.isna(first) and pd.isna(row[c.FIRST_SEEN_AT])) or row[c.FIRST_SEEN_AT] == first
        assert (pd.isna(last) and pd.isna(row[c.LAST_SEEN_AT])) or row[c.LAST_SEEN_AT] == last
