"""The report's market sections (issue 7: 4b, 5, 6, 7 and "What to learn next"): each a function of the
report's inputs, built from reports/market.py's analyses, reports/market_figures.py's charts and
pipeline/advise.py's ranking.

A section whose table was not given (older datasets have no skill_mentions or segment_area_demand)
leaves itself out; one whose data is there but empty says so in a line instead of drawing an empty chart.
Every section uses templates/sections/blocks.html.j2: an ordered list of headings, paragraphs, charts and
tables, all autoescaped there; figures escape their own labels (market_figures._esc).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from pipeline import columns as c
from reports import market as m
from reports import market_figures as mf
from reports.sections import ReportInputs, Section

WEEKS = m.DEFAULT_WEEKS
TOP_SKILLS = 25
LEARN_TOP = 5
UNMENTIONED_TOP = 12
RECENT_PROCESS_RUNS = 12
SEED_PHRASES = Path(__file__).parent / "seed_phrases.txt"
SEGMENT_LABELS = {c.ROLE_FAMILY: "Role family", c.SENIORITY: "Seniority", c.REMOTE: "Remote, hybrid or onsite",
                  c.SOURCE: "Source"}
ROLE_LABELS = {"ml_engineer": "ML engineer", "data_scientist": "Data scientist",
               "research_scientist": "Research scientist", "applied_scientist": "Applied scientist",
               "mlops": "MLOps", "ai_engineer": "AI engineer", "data_engineer": "Data engineer",
               "analyst": "Analyst", "other": "Other ML roles"}


def blocks_section(key: str, title: str, blocks: list[dict], figures: dict | None = None) -> Section:
    return Section(key, title, template="sections/blocks.html.j2", context={"blocks": blocks}, figures=figures or {})


def table(caption: str, columns: list[tuple[str, bool]], rows: list[list]) -> dict:
    """A table block: columns as (label, numeric), rows of already formatted cells."""
    return {"kind": "table", "caption": caption, "columns": [{"label": l, "num": n} for l, n in columns], "rows": rows}


def cooccurrence_section(inputs: ReportInputs) -> Section | None:
    """4b: which of the most-asked skills come together, as a Jaccard heatmap and the strongest pairs."""
    if inputs.skill_mentions is None:
        return None
    pairs = m.skill_cooccurrence(inputs.skill_mentions, inputs.postings, weeks=WEEKS, top=TOP_SKILLS)
    title = "Skills asked for together"
    if pairs.empty:
        return blocks_section("cooccurrence", title, [_note(f"No ML posting of the last {WEEKS} weeks asks for a skill.")])
    skills = pairs[m.SKILL_A].nunique()
    blocks = [
        _p(f"The {skills} skills most ML postings of the last {WEEKS} weeks ask for, against each other. A cell's colour is "
           "the Jaccard index: of the postings asking for either skill, the share asking for both. Hover a cell for "
           "the counts and the lift (how many times more often the two come together than if they were independent)."),
        {"kind": "chart", "name": "cooccurrence"},
    ]
    strong = pairs[(pairs[m.SKILL_A] < pairs[m.SKILL_B]) & (pairs[m.BOTH] >= m.SMALL_SALARY)]
    strong = strong.sort_values([m.LIFT, m.BOTH], ascending=[False, False], kind="stable").head(10)
    if not strong.empty:
        blocks.append(table(
            f"The 10 pairs asked for together most often relative to chance (lift; pairs of at least {m.SMALL_SALARY} postings)",
            [("Skill", False), ("Skill", False), ("Both", True), ("Either", True), ("Jaccard", True), ("Lift", True)],
            [[r[m.SKILL_A], r[m.SKILL_B], f"{r[m.BOTH]:,}", f"{r[m.COUNT_A] + r[m.COUNT_B] - r[m.BOTH]:,}",
              f"{r[m.JACCARD]:.2f}", f"{r[m.LIFT]:.2f}×"] for r in strong.to_dict("records")]))
    return blocks_section("cooccurrence", title, blocks,
                          {"cooccurrence": mf.skill_cooccurrence_figure(pairs, inputs.area_names)})


def segments_section(inputs: ReportInputs) -> Section | None:
    """5: area shares by role family, seniority, remote status and source, one small heatmap each."""
    if inputs.segment_area_demand is None:
        return None
    blocks = [_p(f"Share of ML postings mentioning each area within each group, pooled over the last {WEEKS} weeks; "
                 "n is the group's ML postings. Groups under 30 postings are marked “few”: their shares can be off by "
                 "15 points or more (hover a cell for its 95% interval).")]
    figures = {}
    for segment_type, label in SEGMENT_LABELS.items():
        breakdown = m.segment_breakdown(inputs.segment_area_demand, segment_type=segment_type, weeks=WEEKS)
        blocks.append({"kind": "h3", "text": label})
        if breakdown.empty:
            blocks.append(_note(f"No ML postings with a {label.lower()} in the period."))
            continue
        figures[segment_type] = mf.segment_breakdown_figure(breakdown, inputs.area_names)
        blocks.append({"kind": "chart", "name": segment_type})
    return blocks_section("segments", "Breakdowns: role, seniority, remote work, source", blocks, figures)


def salary_section(inputs: ReportInputs) -> Section | None:
    """5: pay of ML postings mentioning each area against those not mentioning it, in one currency."""
    if inputs.skill_mentions is None or c.SALARY_ANNUAL_MIN not in inputs.postings:
        return None
    title = "Salary ranges by skill area"
    salary = m.salary_by_area(inputs.postings, inputs.skill_mentions, weeks=None)
    if salary.empty:
        return blocks_section("salary", title, [_note("No ML posting in the dataset states an annual salary.")])
    currency = str(salary[m.CURRENCY].iloc[0])
    stated = m.salary_midpoints(inputs.postings)
    stated = stated[stated[m.CURRENCY] != ""]
    in_currency = int((stated[m.CURRENCY] == currency).sum())
    others = stated[stated[m.CURRENCY] != currency][m.CURRENCY].value_counts()
    left_out = ", ".join(f"{n:,} in {cur}" for cur, n in others.items())
    rows = []
    by = salary.set_index([c.AREA, m.MENTIONS_AREA])
    for area in c.AREA_IDS:
        yes, no = by.loc[(area, True)], by.loc[(area, False)]
        diff = yes[m.MEDIAN] - no[m.MEDIAN]
        rows.append([inputs.area_names.get(area) or area, f"{int(yes[m.N]):,}", _money(yes[m.MEDIAN]),
                     _range(yes), f"{int(no[m.N]):,}", _money(no[m.MEDIAN]), _range(no),
                     "–" if pd.isna(diff) else f"{diff:+,.0f}"])
    blocks = [
        _p(f"Annual salary (the midpoint of the stated range) of the {in_currency:,} ML postings that state one in "
           f"{currency}, the most common currency; salaries are not converted, so "
           + (f"the other stated salaries ({left_out}) are left out. " if left_out else "no posting is left out. ")
           + "Mentioning an area is not the cause of a salary: seniority, role and place differ between the groups. "
           "Hollow diamonds and the table's small n: fewer than 10 salaries, an anecdote rather than a distribution."),
        {"kind": "chart", "name": "salary"},
        table(f"Annual salary in {currency} of ML postings mentioning each area vs not (all weeks)",
              [("Skill area", False), ("n mentioning", True), ("Median", True), ("Middle half", True),
               ("n not", True), ("Median", True), ("Middle half", True), ("Difference of medians", True)], rows),
    ]
    return blocks_section("salary", title, blocks, {"salary": mf.salary_by_area_figure(salary, inputs.area_names)})


def data_quality_section(inputs: ReportInputs) -> Section:
    """6: is the data healthy: postings per source and week, dedup per processing run, flagged sources,
    parse failures."""
    quality = m.data_quality(inputs.postings, inputs.source_runs, inputs.processing_log)
    figures, blocks = {}, []
    if quality["per_source_week"].empty:
        blocks.append(_note("No dated postings."))
    else:
        figures["per_source"] = mf.postings_per_source_figure(quality["per_source_week"])
        blocks += [_p("A source whose bars stop or jump from one week to the next has changed, failed or been "
                      "added; see the runs below."), {"kind": "chart", "name": "per_source"}]
    blocks.append({"kind": "h3", "text": "Sources flagged possibly broken"})
    broken = quality["broken"]
    if broken.empty:
        blocks.append(_note("None: every source's latest run returned postings as before." if inputs.source_runs is not None
                            else "No runs log was given for this report."))
    else:
        blocks.append(table("Sources whose latest run is flagged possibly broken",
                            [("Source", False), ("Latest run", False), ("Status", False), ("Why flagged", False)],
                            [[r[c.SOURCE], _time(r["started_at"]), r["status"], r[m.POSSIBLY_BROKEN]]
                             for r in broken.to_dict("records")]))
    failures = quality["parse_failures"]
    blocks.append({"kind": "h3", "text": "Parse failures"})
    if failures.empty:
        blocks.append(_note("No runs log was given for this report."))
    else:
        blocks.append(table("Items each source's adapter could not parse (quarantined), on its latest run and over all runs",
                            [("Source", False), ("Runs", True), ("Latest: parsed", True), ("rejected", True),
                             ("rate", True), ("All runs: parsed", True), ("rejected", True), ("rate", True)],
                            [[r[c.SOURCE], f"{r[m.RUNS]:,}", f"{r['latest_postings']:,}", f"{r['latest_rejected']:,}",
                              _pct(r["latest_reject_rate"]), f"{r['total_postings']:,}", f"{r['total_rejected']:,}",
                              _pct(r["total_reject_rate"])] for r in failures.to_dict("records")]))
    dedup = quality["dedup"]
    blocks.append({"kind": "h3", "text": "Deduplication per processing run"})
    if dedup.empty:
        blocks.append(_note("No processing log was given for this report."))
    else:
        recent = dedup.tail(RECENT_PROCESS_RUNS).iloc[::-1]
        blocks.append(table(f"The {len(recent)} most recent processing runs (of {len(dedup)}), newest first: raw rows "
                            "merged into postings",
                            [("Run", False), ("Mode", False), ("Raw rows", True), ("Exact duplicates", True),
                             ("Near duplicates", True), ("Postings", True), ("Dedup rate", True), ("Near-duplicate rate", True)],
                            [[_time(r["built_at"]), r["mode"], f"{r['raw_rows']:,}", f"{r['exact_duplicates']:,}",
                              f"{r['near_duplicates']:,}", f"{r[c.POSTINGS]:,}", _pct(r[m.DEDUP_RATE]),
                              _pct(r[m.NEAR_DUPLICATE_RATE])] for r in recent.to_dict("records")]))
    return blocks_section("quality", "Data quality", blocks, figures)


def seed_section(inputs: ReportInputs) -> Section:
    """7: the founding article's order of the areas against the market's, and the phrases postings use
    most that the article does not name."""
    order = m.seed_order_from_taxonomy(inputs.taxonomy) if inputs.taxonomy is not None else c.AREA_IDS
    ranks = m.seed_vs_market(inputs.weekly, inputs.area_names, order, weeks=WEEKS)
    n = int(ranks[c.POSTINGS].max())
    figures = {"ranks": mf.seed_vs_market_figure(ranks)}
    blocks = [
        _p(f"The twelve areas in the order the founding article names them, beside their rank by share of the {n:,} new "
           f"ML postings of the last {WEEKS} weeks. A line going up: the market asks for the area more than its place "
           "in the article suggests. Shares a few points apart are within each other's intervals, so neighbouring "
           "ranks can swap by chance."),
        {"kind": "chart", "name": "ranks"},
        table("The article's order and the market's",
              [("Article", True), ("Skill area", False), ("Market", True), ("Share", True), ("95% interval", True),
               ("Moved", True)],
              [[r[m.ARTICLE_RANK], r[m.AREA_NAME], "–" if pd.isna(r[m.MARKET_RANK]) else int(r[m.MARKET_RANK]),
                _pct(r[c.SHARE]), f"{_pct(r[c.CI_LOW])}–{_pct(r[c.CI_HIGH])}",
                "–" if pd.isna(r[m.RANK_DIFFERENCE]) else f"{int(r[m.RANK_DIFFERENCE]):+d}"]
               for r in ranks.to_dict("records")]),
        {"kind": "h3", "text": "What postings ask for that the article does not name"},
    ]
    unmentioned = _unmentioned(inputs)
    if unmentioned is None:
        blocks.append(_note("Needs the taxonomy and the postings' descriptions; not given for this report."))
    elif unmentioned.empty:
        blocks.append(_note("No phrase outside the taxonomy and the article is common enough in ML postings."))
    else:
        figures["unmentioned"] = mf.unmentioned_demand_figure(unmentioned)
        blocks += [_p(f"The 1–3-word phrases most ML postings of the last {WEEKS} weeks use that no skill of the "
                      "taxonomy matches and the article does not use (boilerplate, stop words and phrases as common "
                      "outside ML left out; the command jobtrends discover lists more). Candidates for the taxonomy, not findings."),
                   {"kind": "chart", "name": "unmentioned"}]
    return blocks_section("seed", "The seed against the market", blocks, figures)


def learn_next_section(inputs: ReportInputs) -> Section | None:
    """What to learn next: skills by share × momentum, for all ML roles and per role family."""
    if inputs.weekly_skill is None or inputs.weekly_skill.empty or inputs.skill_mentions is None \
            or c.ROLE_FAMILY not in inputs.postings:
        return None
    from pipeline.advise import learn_next, learn_next_by_role

    weekly_skill = inputs.weekly_skill.astype({c.WEEK: str})
    everyone = learn_next(weekly_skill, inputs.postings, inputs.skill_mentions, taxonomy=inputs.taxonomy,
                          weeks=WEEKS, top=LEARN_TOP)
    by_role = learn_next_by_role(weekly_skill, inputs.postings, inputs.skill_mentions, inputs.taxonomy,
                                 weeks=WEEKS, top=LEARN_TOP)
    blocks = [_p(f"Skills ranked by share × (1 + momentum) over the last {WEEKS} weeks: share is the part of the "
                 "period's ML postings asking for the skill; momentum compares its two halves and counts only when "
                 "the change is significant (p < 0.05), so a skill that doubled scores 1.5 × its share and a flat one "
                 "just its share. Role families with fewer than 30 ML postings in the period are left out. "
                 "The command jobtrends advise --have … gives the list without the skills you already have.")]
    families = [(None, "All ML roles", everyone)] + [
        (role, ROLE_LABELS.get(role, role.replace("_", " ")), rows)
        for role, rows in by_role.groupby(c.ROLE_FAMILY, sort=False)]
    for _, label, rows in families:
        if rows.empty:
            continue
        n = int(rows[c.POSTINGS].iloc[0])
        blocks.append(table(f"{label}: the top {len(rows)} skills ({n:,} ML postings in the period)",
                            [("#", True), ("Skill", False), ("Area", False), ("Share", True), ("95% interval", True),
                             ("First half → second half", True), ("Trend", False), ("Score", True)],
                            [[int(r["rank"]), r[c.SKILL], r["area_name"], _pct(r[c.SHARE]),
                              f"{_pct(r[c.CI_LOW])}–{_pct(r[c.CI_HIGH])}",
                              f"{_pct(r['early_share'])} → {_pct(r['late_share'])}", r[c.DIRECTION], f"{r['score']:.2f}"]
                             for r in rows.to_dict("records")]))
    if len(blocks) == 1:
        blocks.append(_note("No ML posting of the period asks for a skill."))
    return blocks_section("learn", "What to learn next", blocks)


@lru_cache(maxsize=1)
def seed_phrases() -> str:
    """The article's key phrases (seed_phrases.txt), without its comment lines."""
    lines = SEED_PHRASES.read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if not line.startswith("#"))


def _unmentioned(inputs: ReportInputs) -> pd.DataFrame | None:
    if inputs.taxonomy is None or c.DESCRIPTION not in inputs.postings:
        return None
    from pipeline.discover import discover_terms

    try:
        found = discover_terms(inputs.postings, inputs.taxonomy, weeks=WEEKS, sort="share")
    except ValueError:  # no ML postings in the period: nothing to discover
        return pd.DataFrame()
    return m.unmentioned_demand(found, UNMENTIONED_TOP, article_text=seed_phrases())


def _p(text: str) -> dict:
    return {"kind": "p", "text": text}


def _note(text: str) -> dict:
    return {"kind": "note", "text": text}


def _pct(value: object) -> str:
    return "–" if value is None or pd.isna(value) else f"{float(value) * 100:.1f}%"


def _money(value: object) -> str:
    return "–" if value is None or pd.isna(value) else f"{float(value):,.0f}"


def _range(row: pd.Series) -> str:
    return "–" if pd.isna(row[m.Q1]) else f"{row[m.Q1]:,.0f}–{row[m.Q3]:,.0f}"


def _time(value: object) -> str:
    stamp = pd.to_datetime(value, utc=True, errors="coerce")
    return "" if pd.isna(stamp) else f"{stamp:%Y-%m-%d %H:%M} UTC"
