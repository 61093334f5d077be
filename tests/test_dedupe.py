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
