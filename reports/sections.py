"""The weekly page as a list of sections: each section function takes the report's inputs and
returns its context and figures (or None to leave itself out), and build.py renders them in order.

Adding a section is one function and one entry in build.PAGE_SECTIONS. A section with a template of its own
names it (templates/sections/<key>.html.j2, given `s`, the Section); one without uses the generic
template, which places `intro` paragraphs, every figure, and `tables` (caption, columns, rows), all
autoescaped. Figures must follow reports/figures.py's rule: only escaped text in labels and hovers.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

import pandas as pd
import plotly.graph_objects as go

from pipeline.columns import AREA, POSTINGS, SKILL, WEEK
from reports import demand as d
from reports import methodology
from reports.figures import (
    AREA_COLORS, area_heatmap_figure, display_names, ranking_figure, share_trend_figure, TREND_VIEWS,
)


@dataclass(frozen=True)
class ReportInputs:
    """Everything a section may read; tables are as in the dataset (pipeline/columns.py)."""
    weekly: pd.DataFrame                      # weekly_area_demand, checked by build.py
    postings: pd.DataFrame
    area_names: dict[str, str]
    week: str
    generated_at: datetime
    taxonomy_version: str
    weekly_skill: pd.DataFrame | None = None  # weekly_skill_demand
    source_runs: pd.DataFrame | None = None
    processing_meta: dict | None = None
    data_dir: str | None = None               # for sections that read more of the dataset
    skill_mentions: pd.DataFrame | None = None
    segment_area_demand: pd.DataFrame | None = None
    processing_log: list[dict] | None = None  # pipeline.dataset.read_processing_log: one dict per `process`
    taxonomy: object | None = None            # pipeline.skills.Taxonomy: the article's area order, discover


@dataclass
class Section:
    key: str                                  # the section's HTML id and chart id prefix
    title: str
    context: dict = field(default_factory=dict)
    figures: dict[str, go.Figure] = field(default_factory=dict)
    template: str | None = None               # "sections/<key>.html.j2"; None: the generic template
    charts: dict = field(default_factory=dict)  # filled by build.py: figure name -> chart HTML


SectionFunction = Callable[[ReportInputs], "Section | None"]


def summary_section(inputs: ReportInputs) -> Section:
    """Headline: new and active ML postings with their changes, and the three areas that moved most."""
    period = d.period_table(inputs.weekly, [AREA], inputs.week)
    names = display_names(inputs.area_names)
    moved = [_change_row(row, names[row[AREA]], AREA_COLORS[row[AREA]]) for row in d.movers(period).to_dict("records")]
    now, before = d.period_weeks(inputs.week)
    return Section("summary", "This week in numbers", template="sections/summary.html.j2", context={
        "counts": d.headline_counts(inputs.weekly, inputs.week),
        "movers": moved, "period_now": f"{now[0]} to {now[-1]}", "period_before": f"{before[0]} to {before[-1]}",
        "alpha": d.ALPHA, "min_postings": d.MIN_PERIOD_POSTINGS, "period_weeks": d.PERIOD_WEEKS,
    })


def trend_section(inputs: ReportInputs) -> Section:
    return Section("trend", "Share of ML postings asking for each skill area", template="sections/trend.html.j2",
                   figures={"trend": share_trend_figure(inputs.weekly, inputs.area_names)},
                   context={"views": [label for label, *_ in TREND_VIEWS.values()]})


def ranking_section(inputs: ReportInputs) -> Section:
    """This week's ranking of areas and of the top skills, each beside its period change."""
    names = display_names(inputs.area_names)
    areas = d.ranked(d.period_table(inputs.weekly, [AREA], inputs.week))
    n = int(areas[POSTINGS].iloc[0])
    figures = {"areas": ranking_figure(
        areas, [names[a] for a in areas[AREA]], [AREA_COLORS[a] for a in areas[AREA]],
        title=f"Skill areas in week {inputs.week}, ranked by share of ML postings",
        subtitle=(f"n = {n:,} ML postings this week; whiskers: 95% Wilson interval; grey change: not significant"
                  if n else "no ML postings this week: no shares to rank"))}
    skills_rows = None
    if inputs.weekly_skill is not None and not inputs.weekly_skill.empty:
        skills = d.skill_period_table(inputs.weekly_skill.astype({WEEK: str, AREA: str, SKILL: str}), inputs.week)
        if not skills.empty:
            labels = [html.escape(str(s), quote=False) for s in skills[SKILL]]
            hover = [f"{html.escape(str(s), quote=False)} ({names.get(a, html.escape(a, quote=False))})"
                     for s, a in zip(skills[SKILL], skills[AREA])]
            figures["skills"] = ranking_figure(
                skills, labels, [AREA_COLORS.get(a, "rgb(120, 120, 120)") for a in skills[AREA]],
                title=f"Top {len(skills)} skills in week {inputs.week}, by share of ML postings",
                subtitle="Bar colour: the skill's area; grey change: not significant", hover_names=hover)
            skills_rows = [_change_row(r, str(r[SKILL]), AREA_COLORS.get(r[AREA], "rgb(120, 120, 120)"),
                                       area=inputs.area_names.get(r[AREA]) or r[AREA]) for r in skills.to_dict("records")]
    now, before = d.period_weeks(inputs.week)
    return Section("ranking", "This week's ranking", template="sections/ranking.html.j2", figures=figures, context={
        "areas": [_change_row(r, inputs.area_names.get(r[AREA]) or r[AREA], AREA_COLORS[r[AREA]])
                  for r in areas.to_dict("records")],
        "skills": skills_rows, "top_skills": d.TOP_SKILLS, "ml_postings": n,
        "period_now": f"{now[0]} to {now[-1]}", "period_before": f"{before[0]} to {before[-1]}",
        "alpha": d.ALPHA, "min_postings": d.MIN_PERIOD_POSTINGS, "period_weeks": d.PERIOD_WEEKS,
    })


def heatmap_section(inputs: ReportInputs) -> Section:
    return Section("heatmap", "Area × week", figures={"heatmap": area_heatmap_figure(inputs.weekly, inputs.area_names)})


def methodology_section(inputs: ReportInputs) -> Section:
    return Section("methodology", "Methodology", template="sections/methodology.html.j2", context={
        "kinds": methodology.source_kinds(inputs.postings),
        "dedup": methodology.dedup_figures(inputs.processing_meta),
        "accuracy": methodology.extraction_accuracy(),
        "taxonomy_version": inputs.taxonomy_version,
        "alpha": d.ALPHA, "min_postings": d.MIN_PERIOD_POSTINGS, "period_weeks": d.PERIOD_WEEKS,
    })


def _change_row(row: dict, name: str, color: str, area: str | None = None) -> dict:
    """One ranked unit as the tables show it; text is escaped by the template."""
    def pct(value: float) -> str:
        return "–" if pd.isna(value) else f"{value:.1f}%"
    return {
        "name": name, "area": area, "color": color,
        "mentions": int(row["mentions"]), "postings": int(row[POSTINGS]),
        "share": pct(row[d.WEEK_SHARE_PCT]),
        "interval": "–" if pd.isna(row[d.WEEK_SHARE_PCT]) else f"{row[d.WEEK_CI_LOW_PCT]:.1f}–{row[d.WEEK_CI_HIGH_PCT]:.1f}%",
        "share_now": pct(row[d.SHARE_NOW_PCT]), "share_before": pct(row[d.SHARE_BEFORE_PCT]),
        "k_now": int(row[d.K_NOW]), "n_now": int(row[d.N_NOW]),
        "k_before": int(row[d.K_BEFORE]), "n_before": int(row[d.N_BEFORE]),
        "change": "n/a" if pd.isna(row[d.CHANGE_PERIOD_PP]) else f"{row[d.CHANGE_PERIOD_PP]:+.1f} pp",
        "significant": bool(row[d.SIGNIFICANT]), "direction": row[d.DIRECTION] if row[d.SIGNIFICANT] else None,
        "verdict": row[d.VERDICT],
    }
