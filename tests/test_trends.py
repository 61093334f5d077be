"""Trend statistics: Wilson intervals, the z-test, moving averages, index, new vs active, the demo's trends."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from pipeline import columns as c
from pipeline.clean import raw_frame
from pipeline.process import build_tables
from pipeline.skills import load_taxonomy
from pipeline.stats import two_proportion_p_value, wilson_interval
from pipeline.trends import segment_area_demand, weekly_area_demand, weekly_skill_demand
from scraper.demo.corpus import build_corpus
from tests.conftest import REPO, demo_postings


def demand_frames(weekly_counts: list[tuple[str, int, int]], last_seen: dict[str, str] | None = None):
    """postings and mentions where week W has n ML postings, the first k of which mention security."""
    postings, mentions = [], []
    for week, n, k in weekly_counts:
        for i in range(n):
            pid = f"{week}-{i}"
            wednesday = pd.Timestamp.fromisocalendar(int(week[:4]), int(week[6:]), 3).tz_localize("UTC")
            seen = pd.Timestamp((last_seen or {}).get(pid, wednesday))
            postings.append({c.POSTING_ID: pid, c.WEEK: week, c.IS_ML: True, c.LAST_SEEN_AT: seen})
            if i < k:
                mentions.append({c.POSTING_ID: pid, c.AREA: "security", c.SKILL: "Privacy"})
    return pd.DataFrame(postings), pd.DataFrame(mentions, columns=[c.POSTING_ID, c.AREA, c.SKILL])


def area_rows(weekly: pd.DataFrame, area: str = "security") -> pd.DataFrame:
    return weekly[weekly[c.AREA] == area].set_index(c.WEEK)


# --- the statistics themselves ---

def test_wilson_interval_matches_known_values():
    low, high = wilson_interval([5, 0, 10, 0], [10, 10, 10, 0])
    assert low[0] == pytest.approx(0.2366, abs=1e-4) and high[0] == pytest.approx(0.7634, abs=1e-4)
    assert low[1] == 0 and high[1] == pytest.approx(0.2775, abs=1e-4)
    assert low[2] == pytest.approx(0.7225, abs=1e-4) and high[2] == pytest.approx(1)
    assert np.isnan(low[3]) and np.isnan(high[3])


def test_two_proportion_p_value_matches_a_hand_computed_case():
    # 60/100 vs 40/100: pooled 0.5, se = sqrt(0.25 * 0.02) = 0.0707, z = 2.828, p = erfc(2) = 0.00468.
    p = two_proportion_p_value([60, 30, 0, 5], [100, 60, 50, 10], [40, 30, 0, 5], [100, 60, 50, 0])
    assert p[0] == pytest.approx(math.erfc(2.0), rel=1e-9)
    assert p[0] == pytest.approx(0.004678, abs=1e-6)
    assert p[1] == pytest.approx(1.0)   # equal shares
    assert p[2] == pytest.approx(1.0)   # both 0 %: nothing to tell apart
    assert np.isnan(p[3])               # a period without postings


# --- weekly_area_demand ---

def test_keeps_the_report_columns_first_and_adds_the_statistics():
    postings, mentions = demand_frames([("2026-W01", 4, 1), ("2026-W02", 2, 2)])
    weekly = weekly_area_demand(postings, mentions, "v1")
    assert list(weekly.columns) == list(c.WEEKLY_AREA_DEMAND_COLUMNS + c.DEMAND_STAT_COLUMNS)
    assert len(weekly) == 2 * len(c.AREA_IDS)
    assert list(weekly[c.WEEK].iloc[: len(c.AREA_IDS)].unique()) == ["2026-W01"]
    assert list(weekly[c.AREA].iloc[: len(c.AREA_IDS)]) == list(c.AREA_IDS)


def test_weeks_without_postings_are_filled_with_zero_postings():
    postings, mentions = demand_frames([("2026-W01", 4, 1), ("2026-W03", 2, 2)])
    rows = area_rows(weekly_area_demand(postings, mentions, "v1"))
    assert list(rows.index) == ["2026-W01", "2026-W02", "2026-W03"]
    assert rows.loc["2026-W02", c.POSTINGS] == 0 and np.isnan(rows.loc["2026-W02", c.SHARE])


def test_share_ma4_is_weighted_by_postings_and_index_is_against_the_baseline():
    counts = [("2026-W01", 10, 1), ("2026-W02", 10, 3), ("2026-W03", 20, 2),
              ("2026-W04", 10, 4), ("2026-W05", 50, 25), ("2026-W06", 10, 10)]
    rows = area_rows(weekly_area_demand(*demand_frames(counts), "v1"))
    assert rows[c.SHARE_MA4].iloc[:3].isna().all()
    assert rows.loc["2026-W04", c.SHARE_MA4] == pytest.approx(10 / 50)
    assert rows.loc["2026-W05", c.SHARE_MA4] == pytest.approx(34 / 90)   # not the mean of the 4 shares
    assert rows.loc["2026-W06", c.SHARE_MA4] == pytest.approx(41 / 90)
    # baseline: the first 4 weeks pooled, 10/50 = 0.2
    assert rows.loc["2026-W01", c.INDEX] == pytest.approx(50.0)
    assert rows.loc["2026-W06", c.INDEX] == pytest.approx(500.0)
    custom = area_rows(weekly_area_demand(*demand_frames(counts), "v1", baseline=("2026-W05", "2026-W06")))
    assert custom.loc["2026-W05", c.INDEX] == pytest.approx(0.5 / (35 / 60) * 100)
    first_two = area_rows(weekly_area_demand(*demand_frames(counts), "v1", baseline=2))
    assert first_two.loc["2026-W01", c.INDEX] == pytest.approx(0.1 / 0.2 * 100)
    with pytest.raises(ValueError, match="baseline"):
        weekly_area_demand(*demand_frames(counts), "v1", baseline=("2026-W09", "2026-W10"))


def test_change_uses_a_z_test_of_the_two_periods():
    counts = [("2026-W01", 100, 40), ("2026-W02", 100, 60)]
    rows = area_rows(weekly_area_demand(*demand_frames(counts), "v1", window=1, lag=1))
    assert np.isnan(rows.loc["2026-W01", c.P_VALUE]) and rows.loc["2026-W01", c.DIRECTION] == "flat"
    assert rows.loc["2026-W02", c.CHANGE] == pytest.approx(0.2)
    assert rows.loc["2026-W02", c.P_VALUE] == pytest.approx(math.erfc(2.0))
    assert rows.loc["2026-W02", c.DIRECTION] == "rising"
    reverse = [("2026-W01", 100, 60), ("2026-W02", 100, 40)]
    falling = area_rows(weekly_area_demand(*demand_frames(reverse), "v1", window=1, lag=1))
    assert falling[c.DIRECTION].iloc[-1] == "falling"


def test_significance_is_not_claimed_under_the_minimum_count():
    counts = [("2026-W01", 12, 0), ("2026-W02", 12, 12)]   # 0 % -> 100 %: p < 1e-5
    rows = area_rows(weekly_area_demand(*demand_frames(counts), "v1", window=1, lag=1))
    assert rows.loc["2026-W02", c.P_VALUE] < 1e-5
    assert rows.loc["2026-W02", c.DIRECTION] == "flat"       # 12 postings per period < 30
    lowered = area_rows(weekly_area_demand(*demand_frames(counts), "v1", window=1, lag=1, min_count=12))
    assert lowered.loc["2026-W02", c.DIRECTION] == "rising"


def test_new_and_active_postings_when_a_posting_stays_open_several_weeks():
    postings, mentions = demand_frames(
        [("2026-W01", 1, 1), ("2026-W02", 1, 0), ("2026-W03", 2, 0)],
        last_seen={"2026-W01-0": "2026-01-16T09:00:00Z",   # posted in W01, still open in W03
                   "2026-W03-1": "2026-02-20T09:00:00Z"},  # open past the last week: counted to W03 only
    )
    rows = area_rows(weekly_area_demand(postings, mentions, "v1"))
    assert list(rows.index) == ["2026-W01", "2026-W02", "2026-W03"]
    assert list(rows[c.NEW_POSTINGS]) == list(rows[c.POSTINGS]) == [1, 1, 2]
    assert list(rows[c.NEW_MENTIONS]) == [1, 0, 0]
    assert list(rows[c.ACTIVE_POSTINGS]) == [1, 2, 3]
    assert list(rows[c.ACTIVE_MENTIONS]) == [1, 1, 1]
    assert rows[c.ACTIVE_SHARE].tolist() == pytest.approx([1.0, 0.5, 1 / 3])


def test_without_last_seen_at_active_equals_new():
    postings, mentions = demand_frames([("2026-W01", 3, 1), ("2026-W02", 2, 2)])
    rows = area_rows(weekly_area_demand(postings.drop(columns=[c.LAST_SEEN_AT]), mentions, "v1"))
    assert list(rows[c.ACTIVE_POSTINGS]) == list(rows[c.NEW_POSTINGS]) == [3, 2]


def test_no_ml_postings_give_empty_tables_with_every_column():
    postings, mentions = demand_frames([("2026-W01", 2, 1)])
    postings[c.IS_ML] = False
    postings[c.REMOTE] = "remote"
    assert list(weekly_area_demand(postings, mentions, "v1").columns) == list(
        c.WEEKLY_AREA_DEMAND_COLUMNS + c.DEMAND_STAT_COLUMNS)
    assert weekly_area_demand(postings, mentions, "v1").empty
    assert weekly_skill_demand(postings, mentions, "v1").empty
    assert segment_area_demand(postings, mentions, "v1").empty


def test_weekly_skill_demand_lists_every_skill_every_week():
    postings, mentions = demand_frames([("2026-W01", 4, 1), ("2026-W02", 2, 2)])
    skills = [("security", "Privacy"), ("security", "Threat modeling")]
    weekly = weekly_skill_demand(postings, mentions, "v1", skills)
    assert list(weekly.columns) == list(c.WEEKLY_SKILL_DEMAND_COLUMNS + c.DEMAND_STAT_COLUMNS)
    privacy = weekly[weekly[c.SKILL] == "Privacy"].set_index(c.WEEK)
    assert list(privacy[c.MENTIONS]) == [1, 2] and list(privacy[c.POSTINGS]) == [4, 2]
    assert (weekly[weekly[c.SKILL] == "Threat modeling"][c.MENTIONS] == 0).all()


def test_segment_area_demand_uses_the_segment_columns_present():
    postings, mentions = demand_frames([("2026-W01", 4, 2)])
    postings[c.REMOTE] = ["remote", "remote", "onsite", None]
    postings[c.SOURCE] = "gh"
    segments = segment_area_demand(postings, mentions, "v1")
    assert list(segments.columns) == list(c.SEGMENT_AREA_DEMAND_COLUMNS)
    assert set(segments[c.SEGMENT_TYPE]) == {c.REMOTE, c.SOURCE}
    remote = segments[(segments[c.SEGMENT] == "remote") & (segments[c.AREA] == "security")].iloc[0]
    assert (remote[c.POSTINGS], remote[c.MENTIONS], remote[c.SHARE]) == (2, 2, 1.0)
    assert remote[c.CI_LOW] == pytest.approx(wilson_interval([2], [2])[0][0])
    assert "unknown" in set(segments[c.SEGMENT])


# --- the demo's planted trends, through build_tables ---

DEMO_WEEKS = 20


def demo_raw_frame(weeks: int) -> pd.DataFrame:
    """The demo corpus parsed by the real adapters (no HTTP), as one scrape would store it."""
    corpus = build_corpus(weeks=weeks)
    stamp = f"{corpus.anchor}T23:00:00+00:00"
    return raw_frame([{**p.to_json(), "fetched_at": stamp}
                      for postings in demo_postings(corpus).values() for p in postings])


@pytest.fixture(scope="module")
def demo_tables():
    return build_tables(demo_raw_frame(DEMO_WEEKS), load_taxonomy(REPO / "config" / "skills.yaml"))


def test_demo_tables_hold_the_new_tables(demo_tables):
    weekly = demo_tables["weekly_area_demand"]
    assert weekly[c.WEEK].nunique() == DEMO_WEEKS
    assert set(weekly[c.DIRECTION]) <= set(c.DIRECTION_VALUES)
    assert (weekly[c.ACTIVE_POSTINGS] >= weekly[c.NEW_POSTINGS]).all()
    skills = demo_tables["weekly_skill_demand"]
    assert set(skills[c.AREA]) == set(c.AREA_IDS)
    assert {c.REMOTE, c.SOURCE} <= set(demo_tables["segment_area_demand"][c.SEGMENT_TYPE])


def test_demo_planted_trends_come_out_rising_and_falling(demo_tables):
    """The dataset's own table (default 8-week periods) marks the planted trends significant in the last
    week, and every week it marks them at all, in the planted direction; most other areas stay flat."""
    weekly = demo_tables["weekly_area_demand"]
    last = weekly[weekly[c.WEEK] == weekly[c.WEEK].max()].set_index(c.AREA)
    planted = build_corpus(weeks=DEMO_WEEKS).planted
    for area, direction in planted.items():
        assert last.loc[area, c.DIRECTION] == direction, (area, last.loc[area, [c.CHANGE, c.P_VALUE]].tolist())
        assert last.loc[area, c.P_VALUE] < 0.05
        opposite = {"rising": "falling", "falling": "rising"}[direction]
        assert opposite not in set(weekly.loc[weekly[c.AREA] == area, c.DIRECTION])
    others = last.drop(index=list(planted))
    assert (others[c.DIRECTION] == "flat").mean() >= 0.8
    # 4-week periods are too small for these ~35-posting weeks: the same moves are not significant there
    short = weekly_area_demand(demo_tables["postings"], demo_tables["skill_mentions"], "v", window=4, lag=4)
    short_last = short[short[c.WEEK] == short[c.WEEK].max()].set_index(c.AREA)
    assert (short_last.loc[list(planted), c.P_VALUE] > last.loc[list(planted), c.P_VALUE]).all()


IDS = ["p1", "p2", "p3", "p4"]
UNIT_ROWS = [("math", "bayes"), ("math", "calculus"), ("teamwork", "teamwork"), ("python", "python")]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([*IDS, "other"]), st.sampled_from(UNIT_ROWS + [("math", "other"), ("x", "bayes")])),
                max_size=30),
       st.sets(st.sampled_from(IDS), min_size=1), st.booleans(), st.booleans())
def test_hits_are_the_distinct_known_pairs(rows, known_ids, by_skill, arrow_strings):
    """The integer-coded (posting, unit) pairs are those the string merges gave: distinct, known
    postings and units only, whatever the string storage."""
    from pipeline.trends import _hits

    dtype = "str" if arrow_strings else object
    mentions = pd.DataFrame([(p, a, s) for p, (a, s) in rows], columns=[c.POSTING_ID, c.AREA, c.SKILL], dtype=dtype)
    units = pd.DataFrame(UNIT_ROWS, columns=[c.AREA, c.SKILL])
    if not by_skill:
        units, mentions = units[[c.AREA]].drop_duplicates(ignore_index=True), mentions[[c.POSTING_ID, c.AREA]]
    posting_ids = pd.Series(sorted(known_ids))
    spans = pd.DataFrame({c.POSTING_ID: posting_ids, "_posting": range(len(posting_ids))})
    keys = list(units.columns)
    expected = (mentions.astype(object).drop_duplicates()
                .merge(units.reset_index().rename(columns={"index": "_unit"}), on=keys)
                .merge(spans, on=c.POSTING_ID)[["_posting", "_unit"]].drop_duplicates())
    posting, unit = _hits(posting_ids, mentions, units)
    assert sorted(zip(posting.tolist(), unit.tolist())) == sorted(map(tuple, expected.to_numpy().tolist()))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 99), max_size=60), st.booleans())
def test_distinct_codes_are_np_unique_by_bitmap_or_by_sort(codes, small_bitmap):
    """The bitmap gives np.unique's array exactly (sorted, each code once); past its size, np.unique."""
    import pipeline.trends as trends

    array = np.array(codes, dtype=np.int64)
    limit = trends._BITMAP_BYTES
    try:
        trends._BITMAP_BYTES = 10 if small_bitmap else limit  # 100 codes: over 10 bytes -> np.unique
        got = trends._distinct(array, 100)
    finally:
        trends._BITMAP_BYTES = limit
    np.testing.assert_array_equal(got, np.unique(array))


def test_mentions_as_categoricals_give_the_tables_strings_give(demo_tables):
    """Processing holds skill_mentions as Categoricals (pipeline/mentions.py); the weekly tables read their
    codes, with categories the tables do not know (unused ones, another area) and missing values."""
    mentions = demo_tables["skill_mentions"]
    postings = demo_tables["postings"]
    extra = pd.DataFrame({c.POSTING_ID: [postings[c.POSTING_ID].iloc[0], None], c.AREA: ["not-an-area", None],
                          c.SKILL: ["nothing", None]})
    as_strings = pd.concat([mentions, extra], ignore_index=True).astype(object)
    # the last categories: an ML posting and an area it does not ask for, so that reading a missing code
    # (-1) as the last category would count one more posting
    ml_ids = postings.loc[postings[c.IS_ML], c.POSTING_ID]
    asked = set(zip(mentions[c.POSTING_ID], mentions[c.AREA]))
    last_id, last_area = next((pid, area) for pid in ml_ids for area in c.AREA_IDS if (pid, area) not in asked)
    last = {c.POSTING_ID: last_id, c.AREA: last_area, c.SKILL: mentions[c.SKILL].iloc[0]}
    coded = as_strings.astype({col: pd.CategoricalDtype(
        ["unused", *sorted(set(as_strings[col].dropna()) - {last[col]}), last[col]]) for col in as_strings.columns})
    assert coded[c.AREA].cat.codes.min() == -1
    skills = sorted(set(zip(mentions[c.AREA], mentions[c.SKILL])))
    for table in (lambda m: weekly_area_demand(postings, m, "v"),
                  lambda m: weekly_skill_demand(postings, m, "v", skills),
                  lambda m: segment_area_demand(postings, m, "v")):
        pd.testing.assert_frame_equal(table(coded), table(as_strings))
