"""Near-duplicate merging across sources and reposts."""
from __future__ import annotations

import pandas as pd
from hypothesis import given, settings, strategies as st

from pipeline import columns as c
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
