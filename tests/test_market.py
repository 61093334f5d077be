"""reports/market.py and reports/market_figures.py: hand-built frames with known answers, empty inputs,
escaping of scraped names in figures, the taxonomy's area order against the founding article, and
one pass over the demo dataset."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from pipeline import columns as c
from pipeline.discover import DiscoverResult
from pipeline.skills import load_taxonomy
from pipeline.stats import wilson_interval
from reports import market as m
from reports import market_figures as mf
from tests.conftest import FIXTURES, REPO

SEED_ARTICLE = REPO.parent / "shared" / "seed" / "000_46f5d79a729399e3.txt"
HOSTILE = '<img src=x onerror="alert(1)">%{x}'


def posting(pid: str, week: str = "2026-W10", *, is_ml: bool = True, source: str = "gh", salary=(np.nan, np.nan),
            currency: str = "USD") -> dict:
    return {c.POSTING_ID: pid, c.WEEK: week, c.IS_ML: is_ml, c.SOURCE: source,
            c.SALARY_ANNUAL_MIN: salary[0], c.SALARY_ANNUAL_MAX: salary[1], c.SALARY_CURRENCY: currency}


def mentions(pairs: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(pairs, columns=[c.POSTING_ID, c.AREA, c.SKILL])


def all_strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in all_strings(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in all_strings(v)]
    return []


def assert_titled(fig, *, axes: bool = True) -> None:
    fig.to_json()
    layout = fig.layout
    assert layout.title.text
    if axes:
        assert layout.xaxis.title.text and layout.yaxis.title.text


# --- weeks ---

def test_last_weeks_counts_calendar_weeks_across_the_year_end():
    assert m.last_weeks(["2026-W02", "2025-W51"], 3) == ["2025-W52", "2026-W01", "2026-W02"]
    assert m.last_weeks(["2026-W02", "2025-W51"], None) == ["2025-W51", "2025-W52", "2026-W01", "2026-W02"]
    # Fewer weeks of data than asked: the window still reaches back n weeks.
    assert m.last_weeks(["2026-W05"], 2) == ["2026-W04", "2026-W05"]
    assert m.last_weeks([], 4) == []
    with pytest.raises(ValueError):
        m.last_weeks(["2026-W05"], 0)


# --- co-occurrence ---

def cooccurrence_inputs():
    postings = pd.DataFrame([posting("p1"), posting("p2"), posting("p3"), posting("p4"),
                             posting("p5", "2026-W08"), posting("p6", is_ml=False)])
    skills = mentions([
        ("p1", "technical", "A"), ("p1", "technical", "B"),
        ("p2", "technical", "A"), ("p2", "technical", "B"),
        ("p3", "technical", "A"), ("p3", "teamwork", "C"),
        ("p4", "technical", "A"),
        ("p5", "technical", "B"),
        ("p6", "technical", "A"), ("p6", "technical", "B"), ("p6", "teamwork", "C"),  # not ML: left out
    ])
    return skills, postings


def test_skill_cooccurrence_counts_pairs_among_ml_postings():
    skills, postings = cooccurrence_inputs()
    frame = m.skill_cooccurrence(skills, postings, top=2)
    assert len(frame) == 4
    pair = frame.set_index([m.SKILL_A, m.SKILL_B])
    assert pair.loc[("A", "A"), m.BOTH] == 4 and pair.loc[("B", "B"), m.BOTH] == 3  # diagonal: own count
    ab, ba = pair.loc[("A", "B")], pair.loc[("B", "A")]
    assert (ab[m.BOTH], ab[m.COUNT_A], ab[m.COUNT_B]) == (2, 4, 3)
    assert (ba[m.BOTH], ba[m.COUNT_A], ba[m.COUNT_B]) == (2, 3, 4)
    assert ab[m.JACCARD] == pytest.approx(2 / 5)
    assert ab[m.LIFT] == pytest.approx(2 * 5 / (4 * 3))  # 5 ML postings
    assert pair.loc[("A", "A"), m.JACCARD] == 1 and np.isnan(pair.loc[("A", "A"), m.LIFT])
    assert list(dict.fromkeys(frame[m.SKILL_A])) == ["A", "B"]  # most asked first


def test_skill_cooccurrence_last_weeks_and_empty():
    skills, postings = cooccurrence_inputs()
    recent = m.skill_cooccurrence(skills, postings, weeks=1, top=5).set_index([m.SKILL_A, m.SKILL_B])
    assert recent.loc[("B", "B"), m.BOTH] == 2  # p5 is three weeks earlier
    assert recent.loc[("A", "C"), m.BOTH] == 1
    assert len(recent) == 9
    empty = m.skill_cooccurrence(mentions([]), postings)
    assert empty.empty and list(empty.columns) == list(m.COOCCURRENCE_COLUMNS)
    assert_titled(mf.skill_cooccurrence_figure(empty))


# --- segments ---

def segment_rows(segment: str, week: str, postings: int, mentions_by_area: dict[str, int]) -> list[dict]:
    return [{c.SEGMENT_TYPE: "source", c.SEGMENT: segment, c.WEEK: week, c.AREA: area, c.POSTINGS: postings,
             c.MENTIONS: mentions_by_area.get(area, 0)} for area in c.AREA_IDS]


def segment_demand() -> pd.DataFrame:
    rows = (segment_rows("big", "2026-W09", 20, {"technical": 18, "security": 5})
            + segment_rows("big", "2026-W10", 30, {"technical": 27, "security": 10})
            + segment_rows("tiny", "2026-W10", 4, {"technical": 4})
            + segment_rows("old", "2026-W01", 50, {"technical": 50}))
    frame = pd.DataFrame(rows)
    other = frame.assign(**{c.SEGMENT_TYPE: "remote", c.SEGMENT: "remote"})
    return pd.concat([frame, other], ignore_index=True)


def test_segment_breakdown_pools_weeks_with_wilson_and_marks_small_segments():
    frame = m.segment_breakdown(segment_demand(), segment_type="source", weeks=4)
    assert list(dict.fromkeys(frame[c.SEGMENT])) == ["big", "tiny"]  # "old" is outside the 4 weeks
    assert len(frame) == 2 * 12
    big = frame[frame[c.SEGMENT] == "big"].set_index(c.AREA)
    assert big.loc["technical", c.POSTINGS] == 50 and big.loc["technical", c.MENTIONS] == 45
    assert big.loc["security", c.SHARE] == pytest.approx(15 / 50)
    low, high = wilson_interval(15, 50)
    assert big.loc["security", c.CI_LOW] == pytest.approx(float(low))
    assert big.loc["security", c.CI_HIGH] == pytest.approx(float(high))
    assert big.loc["patience", c.MENTIONS] == 0 and big.loc["patience", c.SHARE] == 0
    assert not big[m.SMALL].any()
    assert frame[frame[c.SEGMENT] == "tiny"][m.SMALL].all()
    every = m.segment_breakdown(segment_demand(), segment_type="source", weeks=None)
    assert set(every[c.SEGMENT]) == {"big", "tiny", "old"}


def test_segment_breakdown_rejects_unknown_types_and_handles_missing_ones():
    with pytest.raises(ValueError):
        m.segment_breakdown(segment_demand(), segment_type="company")
    empty = m.segment_breakdown(segment_demand(), segment_type="seniority")
    assert empty.empty
    assert_titled(mf.segment_breakdown_figure(empty))


# --- salary ---

def salary_inputs():
    rows = [posting(f"t{i}", salary=(k * 1000 - 10_000, k * 1000 + 10_000)) for i, k in enumerate([100, 200, 300, 400, 500])]
    rows += [posting("n1", salary=(150_000, np.nan)), posting("n2", salary=(np.nan, 250_000))]  # one figure each
    rows += [posting("e1", salary=(60_000, 80_000), currency="EUR")]
    rows += [posting("x1", salary=(1_000_000, 1_000_000), is_ml=False)]  # not ML
    rows += [posting("u1", salary=(90_000, 90_000), currency="")]  # no currency: not comparable
    rows += [posting("z1")]  # no salary
    skills = mentions([(f"t{i}", "technical", "Python") for i in range(5)]
                      + [("e1", "technical", "Python"), ("x1", "technical", "Python"), ("z1", "technical", "Python")])
    return pd.DataFrame(rows), skills


def test_salary_by_area_quartiles_of_midpoints_and_small_n():
    postings, skills = salary_inputs()
    frame = m.salary_by_area(postings, skills)
    assert len(frame) == 24 and set(frame[m.CURRENCY]) == {"USD"}
    technical = frame[frame[c.AREA] == "technical"].set_index(m.MENTIONS_AREA)
    yes, no = technical.loc[True], technical.loc[False]
    assert yes[m.N] == 5
    assert (yes[m.Q1], yes[m.MEDIAN], yes[m.Q3]) == (200_000, 300_000, 400_000)
    assert (yes[m.LOW], yes[m.HIGH]) == (100_000, 500_000)
    assert no[m.N] == 2 and no[m.MEDIAN] == 200_000 and no[m.SMALL]
    assert yes[m.SMALL]  # 5 < 10
    teamwork = frame[frame[c.AREA] == "teamwork"].set_index(m.MENTIONS_AREA)
    assert teamwork.loc[True, m.N] == 0 and np.isnan(teamwork.loc[True, m.MEDIAN])
    assert teamwork.loc[False, m.N] == 7
    assert not m.salary_by_area(postings, skills, min_n=5).set_index([c.AREA, m.MENTIONS_AREA]).loc[("technical", True), m.SMALL]
    eur = m.salary_by_area(postings, skills, currency="EUR").set_index([c.AREA, m.MENTIONS_AREA])
    assert eur.loc[("technical", True), m.N] == 1 and eur.loc[("technical", True), m.MEDIAN] == 70_000
    recent = m.salary_by_area(postings.assign(**{c.WEEK: ["2026-W01"] * 5 + ["2026-W10"] * 6}), skills, weeks=1)
    assert recent.set_index([c.AREA, m.MENTIONS_AREA]).loc[("technical", False), m.N] == 2


def test_salary_by_area_without_any_salary():
    postings, skills = salary_inputs()
    none = postings.assign(**{c.SALARY_ANNUAL_MIN: np.nan, c.SALARY_ANNUAL_MAX: np.nan})
    frame = m.salary_by_area(none, skills)
    assert frame.empty and list(frame.columns) == list(m.SALARY_COLUMNS)
    assert m.salary_by_area(postings.iloc[0:0], skills.iloc[0:0]).empty
    fig = mf.salary_by_area_figure(frame)
    assert_titled(fig)
    assert any("no salar" in a.text for a in fig.layout.annotations)


# --- data quality ---

PROCESSING = [
    {"built_at": "2026-03-02T08:00:00+00:00", "mode": "full", "raw_rows": 100, "exact_duplicates": 20,
     "near_duplicates": 8, "postings": 72, "dedup_rate": 0.28},
    {"built_at": "2026-03-01T08:00:00+00:00", "mode": "full", "raw_rows": 0, "exact_duplicates": 0,
     "near_duplicates": 0, "postings": 0},
]


def run(source: str, started: str, *, postings: int = 10, rejected: int = 0, status: str = "ok",
        broken: str | None = "", error: str = "") -> dict:
    row = {"run_id": started, "source": source, "started_at": started, "status": status, "postings": postings,
           "rejected": rejected, "error": error}
    if broken is not None:
        row["possibly_broken"] = broken
    return row


RUNS = [
    run("a", "2026-03-01T06:00:00+00:00", postings=40, rejected=0),
    run("a", "2026-03-02T06:00:00+00:00", postings=6, rejected=4, broken="could not parse 40% of its items"),
    run("b", "2026-03-01T06:00:00+00:00", postings=0, status="failed", broken="failed on every run", error="boom"),
    run("b", "2026-03-02T06:00:00+00:00", postings=20, rejected=0),
    run("c", "2026-03-02T06:00:00+00:00", postings=0, rejected=0, status="empty", broken=None),  # old log: no column
]


def test_data_quality_dedup_rate_broken_sources_and_parse_failures():
    postings = pd.DataFrame([posting("p1", "2026-W01", source="a"), posting("p2", "2026-W03", source="b", is_ml=False),
                             posting("p3", "2026-W03", source="b"), posting("p4", None, source="a")])
    quality = m.data_quality(postings, RUNS, PROCESSING)
    assert set(quality) == {"per_source_week", "dedup", "broken", "parse_failures"}

    per_week = quality["per_source_week"].set_index([c.WEEK, c.SOURCE])
    assert len(per_week) == 3 * 2  # W01..W03 × a, b, zeros included
    assert per_week.loc[("2026-W03", "b"), c.POSTINGS] == 2 and per_week.loc[("2026-W03", "b"), m.ML_POSTINGS] == 1
    assert per_week.loc[("2026-W02", "a"), c.POSTINGS] == 0

    dedup = quality["dedup"]
    assert list(dedup["raw_rows"]) == [0, 100]  # oldest first
    assert np.isnan(dedup[m.DEDUP_RATE].iloc[0])
    assert dedup[m.DEDUP_RATE].iloc[1] == pytest.approx(0.28)
    assert dedup[m.NEAR_DUPLICATE_RATE].iloc[1] == pytest.approx(8 / 80)

    broken = quality["broken"]
    assert list(broken[c.SOURCE]) == ["a"]  # b's flag is on an older run; c's log has no flag
    assert "40%" in broken[m.POSSIBLY_BROKEN].iloc[0]

    failures = quality["parse_failures"].set_index(c.SOURCE)
    assert failures.loc["a", "latest_reject_rate"] == pytest.approx(0.4)
    assert failures.loc["a", "total_reject_rate"] == pytest.approx(4 / 50)
    assert failures.loc["a", m.RUNS] == 2 and failures.loc["b", "latest_status"] == "ok"
    assert np.isnan(failures.loc["c", "latest_reject_rate"])


def test_data_quality_with_no_runs_no_processing_one_source():
    postings = pd.DataFrame([posting("p1", "2026-W01"), posting("p2", "2026-W01")])
    for runs in (None, [], pd.DataFrame()):
        quality = m.data_quality(postings, runs, [])
        assert quality["broken"].empty and quality["parse_failures"].empty and quality["dedup"].empty
    assert quality["per_source_week"][c.POSTINGS].tolist() == [2]
    assert_titled(mf.postings_per_source_figure(quality["per_source_week"]))
    empty = m.data_quality(postings.iloc[0:0], None, None)
    assert empty["per_source_week"].empty
    assert_titled(mf.postings_per_source_figure(empty["per_source_week"]))


# --- the founding article against the market ---

def weekly_demand(week_postings: dict[str, int], mentions_by_area: dict[str, list[int]]) -> pd.DataFrame:
    rows = []
    for i, (week, n) in enumerate(week_postings.items()):
        for area in c.AREA_IDS:
            rows.append({c.WEEK: week, c.AREA: area, c.POSTINGS: n, c.MENTIONS: mentions_by_area.get(area, [0] * 9)[i]})
    return pd.DataFrame(rows)


def test_seed_vs_market_ranks_areas_by_pooled_share():
    weekly = weekly_demand({"2026-W01": 100, "2026-W02": 10, "2026-W03": 30},
                           {"teamwork": [100, 9, 30], "technical": [0, 8, 20], "patience": [0, 8, 20],
                            "security": [0, 1, 3]})
    names = {a: a.title() for a in c.AREA_IDS}
    frame = m.seed_vs_market(weekly, names, c.AREA_IDS, weeks=2).set_index(c.AREA)
    assert list(frame.index) == list(c.AREA_IDS)
    assert (frame[c.POSTINGS] == 40).all()
    assert frame.loc["teamwork", c.SHARE] == pytest.approx(39 / 40)
    assert frame.loc["teamwork", m.MARKET_RANK] == 1 and frame.loc["teamwork", m.ARTICLE_RANK] == 12
    assert frame.loc["teamwork", m.RANK_DIFFERENCE] == 11
    assert frame.loc["technical", m.MARKET_RANK] == 2 and frame.loc["patience", m.MARKET_RANK] == 2  # a tie
    assert frame.loc["security", m.MARKET_RANK] == 4
    assert frame.loc["business_acumen", m.MARKET_RANK] == 5  # the 8 areas at 0 share rank 5th
    low, high = wilson_interval(28, 40)
    assert frame.loc["technical", c.CI_LOW] == pytest.approx(float(low))
    assert frame.loc["technical", m.AREA_NAME] == "Technical"
    pooled = m.seed_vs_market(weekly, names, c.AREA_IDS, weeks=None).set_index(c.AREA)
    assert pooled.loc["teamwork", c.POSTINGS] == 140
    with pytest.raises(ValueError):
        m.seed_vs_market(weekly, names, c.AREA_IDS[:-1])
    empty = m.seed_vs_market(weekly.iloc[0:0], names, c.AREA_IDS)
    assert empty[m.MARKET_RANK].isna().all() and len(empty) == 12
    assert_titled(mf.seed_vs_market_figure(empty))


def heading_areas(lines: list[str], area_names: dict[str, str]) -> list[str]:
    """The area each heading line names: the area whose display name (without "skills") it contains."""
    def words(text: str) -> str:
        return " ".join(re.findall(r"[a-z&]+", text.lower().replace("-", " ")))
    keys = {area: words(name).replace(" skills", "").strip() for area, name in area_names.items()}
    found = []
    for line in lines:
        hits = [area for area, key in keys.items() if key in words(line)]
        assert len(hits) == 1, (line, hits)
        found.append(hits[0])
    return found


def seed_heading_lines() -> list[str]:
    text = (FIXTURES / "seed_headings.txt").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


@pytest.fixture(scope="module")
def taxonomy():
    # The pure-Python matcher: nothing to compile (Hyperscan takes seconds), and the few postings
    # matched below take well under a second.
    return load_taxonomy(REPO / "config" / "skills.yaml", engine="python")


def test_taxonomy_lists_areas_in_the_founding_articles_order(taxonomy):
    names = {area: taxonomy.area_name(area) for area in c.AREA_IDS}
    article_order = heading_areas(seed_heading_lines(), names)
    assert len(article_order) == 12
    assert list(m.seed_order_from_taxonomy(taxonomy)) == article_order
    assert list(c.AREA_IDS) == article_order


@pytest.mark.skipif(not SEED_ARTICLE.exists(), reason="the founding article is not beside this checkout")
def test_seed_headings_fixture_follows_the_article():
    article = SEED_ARTICLE.read_text(encoding="utf-8")
    position = 0
    for line in seed_heading_lines():
        needle = line[2:] if line.startswith("~ ") else f"\n{line}:\n"
        found = article.find(needle, position)
        assert found >= position, line
        position = found + len(needle)


def test_unmentioned_demand_ranks_by_share_and_leaves_out_article_words():
    terms = pd.DataFrame({"term": ["mcp", "data scientist", "vector-databases", "rare"], "postings": [20, 40, 30, 2],
                          "share": [0.2, 0.4, 0.3, 0.02], "early_share": 0.0, "late_share": 0.0,
                          "p_value": 0.5, "direction": ["rising", "flat", "flat", "flat"], "example": "…"})
    result = DiscoverResult(terms, 100, ["2026-W01"])
    frame = m.unmentioned_demand(result, top=2)
    assert list(frame["term"]) == ["data scientist", "vector-databases"]
    low, high = wilson_interval(40, 100)
    assert frame[c.CI_LOW].iloc[0] == pytest.approx(float(low))
    filtered = m.unmentioned_demand(result, article_text="Having Data-Scientist skills and vector databases help.")
    assert list(filtered["term"]) == ["mcp", "rare"]
    empty = m.unmentioned_demand(DiscoverResult(terms.iloc[0:0], 0, []))
    assert empty.empty
    assert_titled(mf.unmentioned_demand_figure(empty))
    fig = mf.unmentioned_demand_figure(frame.assign(term=HOSTILE, example=HOSTILE))
    assert_titled(fig)
    assert not any("<img" in s for s in all_strings(fig.to_plotly_json()))


# --- figures ---

def test_figures_escape_scraped_names_and_keep_them_out_of_templates():
    per_week = pd.DataFrame({c.WEEK: ["2026-W01", "2026-W01", "2026-W02", "2026-W02"],
                             c.SOURCE: [HOSTILE, "ok", HOSTILE, "ok"], c.POSTINGS: [3, 1, 0, 2],
                             m.ML_POSTINGS: [2, 1, 0, 1]})
    demand = pd.DataFrame(segment_rows(HOSTILE, "2026-W10", 40, {"technical": 30})
                          + segment_rows("fine", "2026-W10", 5, {"technical": 5}))
    breakdown = m.segment_breakdown(demand, segment_type="source")
    figures = [mf.postings_per_source_figure(per_week), mf.postings_per_source_figure(per_week, ml_only=True),
               mf.segment_breakdown_figure(breakdown, {a: a for a in c.AREA_IDS})]
    for fig in figures:
        assert_titled(fig)
        strings = all_strings(fig.to_plotly_json())
        assert not any("<img" in s for s in strings)
        assert any('&lt;img src=x onerror="alert(1)"&gt;' in s for s in strings)  # quotes kept: plotly shows &quot; literally
        templates = [t.hovertemplate for t in fig.data if t.hovertemplate]
        assert templates and not any("onerror" in t for t in templates)  # names only in hovertext, never templates
    heatmap = figures[2].data[0]
    assert any("n=5, few" in label for label in heatmap.y)  # the small segment is marked
    assert heatmap.y[0].startswith("&lt;img")  # the larger segment first


def test_cooccurrence_salary_and_seed_figures_build_with_titles_and_counts():
    skills, postings = cooccurrence_inputs()
    co = m.skill_cooccurrence(skills.assign(**{c.SKILL: skills[c.SKILL].replace("A", "A<b>")}), postings, top=3)
    for measure in (m.JACCARD, m.LIFT):
        fig = mf.skill_cooccurrence_figure(co, measure=measure)
        assert_titled(fig)
        heat = fig.data[0]
        assert np.isnan(heat.z[0][0]) and "asked for in 4 ML postings" in heat.text[0][0]
        assert "A&lt;b&gt;" in heat.x[0]
    with pytest.raises(ValueError):
        mf.skill_cooccurrence_figure(co, measure="count")

    salary_postings, salary_skills = salary_inputs()
    fig = mf.salary_by_area_figure(m.salary_by_area(salary_postings, salary_skills), {"technical": "Technical skills"})
    assert_titled(fig)
    assert "USD" in fig.layout.xaxis.title.text
    medians = [t for t in fig.data if t.meta and t.meta.get("role") == "median"]
    assert len(medians) == 2 and "n=5" in medians[0].text
    assert any("n = 5 (few" in h for h in medians[0].hovertext)

    weekly = weekly_demand({"2026-W01": 10}, {"teamwork": [9], "technical": [5]})
    seed = m.seed_vs_market(weekly, {"teamwork": HOSTILE}, c.AREA_IDS)
    fig = mf.seed_vs_market_figure(seed)
    assert_titled(fig)
    assert len(fig.data) == 12
    assert not any("<img" in s for s in all_strings(fig.to_plotly_json()))
    teamwork = next(t for t in fig.data if t.meta["area"] == "teamwork")
    assert list(teamwork.y) == [12, 1] and "9 of 10" in teamwork.hovertext[0]


# --- the demo dataset ---

@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    existing = REPO / "data" / "demo"
    if (existing / "dataset" / "postings.parquet").exists():
        return existing
    from pipeline.cli import app

    data_dir = tmp_path_factory.mktemp("market-demo")
    result = CliRunner().invoke(app, ["demo", "--data-dir", str(data_dir), "--weeks", "16"])
    assert result.exit_code == 0, result.output
    return data_dir


def test_every_function_on_the_demo_dataset(demo_dir, taxonomy):
    from pipeline.dataset import read_processing_log, read_table
    from pipeline.discover import discover_terms

    postings = read_table(demo_dir, "postings")
    skills = read_table(demo_dir, "skill_mentions")
    weekly = read_table(demo_dir, "weekly_area_demand")
    segments = read_table(demo_dir, "segment_area_demand")
    runs_path = demo_dir / "runs.jsonl"
    runs = [json.loads(line) for line in runs_path.read_text().splitlines() if line.strip()]
    names = {area: taxonomy.area_name(area) for area in c.AREA_IDS}

    co = m.skill_cooccurrence(skills, postings, weeks=12, top=15)
    assert len(co) == 15 * 15
    assert (co[m.BOTH] <= np.minimum(co[m.COUNT_A], co[m.COUNT_B])).all()
    assert co[m.JACCARD].between(0, 1).all()

    for segment_type in m.SEGMENT_TYPES:
        breakdown = m.segment_breakdown(segments, segment_type=segment_type)
        assert not breakdown.empty and len(breakdown) % 12 == 0
        assert breakdown[c.SHARE].between(0, 1).all()
        assert (breakdown[c.CI_LOW] <= breakdown[c.SHARE] + 1e-9).all() and (breakdown[c.SHARE] <= breakdown[c.CI_HIGH] + 1e-9).all()
        assert_titled(mf.segment_breakdown_figure(breakdown, names))

    salary = m.salary_by_area(postings, skills)
    assert len(salary) == 24 and salary[m.CURRENCY].nunique() == 1
    known = salary[salary[m.N] > 0]
    assert (known[m.Q1] <= known[m.MEDIAN]).all() and (known[m.MEDIAN] <= known[m.Q3]).all()
    assert (salary.groupby(c.AREA)[m.N].sum() == salary[m.N].iloc[0] + salary[m.N].iloc[1]).all()
    assert_titled(mf.salary_by_area_figure(salary, names))

    quality = m.data_quality(postings, runs, read_processing_log(demo_dir))
    per_week = quality["per_source_week"]
    assert per_week[c.POSTINGS].sum() == postings[c.WEEK].notna().sum()
    assert set(per_week[c.SOURCE]) == set(postings[c.SOURCE])
    assert quality["dedup"][m.DEDUP_RATE].between(0, 1).all() and len(quality["dedup"]) >= 1
    assert set(quality["parse_failures"][c.SOURCE]) == {r["source"] for r in runs}
    assert_titled(mf.postings_per_source_figure(per_week))

    seed = m.seed_vs_market(weekly, names, m.seed_order_from_taxonomy(taxonomy))
    assert sorted(seed[m.MARKET_RANK]) == sorted(seed[c.SHARE].rank(method="min", ascending=False))
    assert seed[m.ARTICLE_RANK].tolist() == list(range(1, 13)) and seed[c.POSTINGS].iloc[0] > 0
    assert_titled(mf.seed_vs_market_figure(seed))

    recent = postings[postings[c.WEEK].astype(str).isin(m.last_weeks(postings[c.WEEK], 2))]
    found = m.unmentioned_demand(discover_terms(recent, taxonomy, top=30, min_postings=3), top=10,
                                 article_text=SEED_ARTICLE.read_text() if SEED_ARTICLE.exists() else None)
    assert 0 < len(found) <= 10 and found[c.SHARE].is_monotonic_decreasing
    assert_titled(mf.unmentioned_demand_figure(found))
    assert_titled(mf.skill_cooccurrence_figure(co, names))
