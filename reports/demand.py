"""The report's numbers, from the weekly tables: headline counts, the areas that moved, rankings.

Pure pandas in, plain frames and dicts out, so each number on the page can be tested on a hand-built
table. The period statistics (`change`, `p_value`, `direction`) are the pipeline's (pipeline/trends.py:
the PERIOD_WEEKS weeks ending at a week against the PERIOD_WEEKS before them); this module only adds the counts
behind them, so the page can show each change with the sample it stands on.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.columns import (
    ACTIVE_POSTINGS, AREA, CHANGE, DIRECTION, MENTIONS, NEW_POSTINGS, P_VALUE, POSTINGS, SHARE_MA4, SKILL, WEEK,
)
from pipeline.stats import wilson_interval
from pipeline.trends import PERIOD_WEEKS as TREND_PERIOD_WEEKS
from reports.figures import iso_week_monday, iso_weeks_between

# pipeline.trends.weekly_area_demand's defaults; the page explains changes with them.
PERIOD_WEEKS = TREND_PERIOD_WEEKS
LAG_WEEKS = TREND_PERIOD_WEEKS
MIN_PERIOD_POSTINGS = 30
ALPHA = 0.05
TOP_SKILLS = 30
MOVERS = 3

# Report-only columns of the period tables below.
N_NOW, K_NOW, N_BEFORE, K_BEFORE = "n_now", "k_now", "n_before", "k_before"
SHARE_NOW_PCT, SHARE_BEFORE_PCT = "share_now_pct", "share_before_pct"
WEEK_SHARE_PCT, WEEK_CI_LOW_PCT, WEEK_CI_HIGH_PCT = "week_share_pct", "week_ci_low_pct", "week_ci_high_pct"
CHANGE_PERIOD_PP = "change_period_pp"
SIGNIFICANT = "significant"
VERDICT = "verdict"


def weeks_back(week: str, weeks: int) -> str:
    monday = iso_week_monday(week) - pd.Timedelta(weeks=weeks)
    year, number, _ = monday.isocalendar()
    return f"{year}-W{number:02d}"


def period_weeks(week: str, window: int = PERIOD_WEEKS, lag: int = LAG_WEEKS) -> tuple[list[str], list[str]]:
    """(the `window` weeks ending at `week`, the `window` weeks ending `lag` weeks earlier)."""
    now = iso_weeks_between(weeks_back(week, window - 1), week)
    before_end = weeks_back(week, lag)
    return now, iso_weeks_between(weeks_back(before_end, window - 1), before_end)


def postings_by_week(weekly: pd.DataFrame, column: str) -> pd.Series:
    """One count per ISO week from the first to the last week of the table; NaN for weeks with no rows."""
    values = weekly.groupby(WEEK)[column].max()
    return values.reindex(iso_weeks_between(weekly[WEEK].min(), weekly[WEEK].max()))


def headline_counts(weekly: pd.DataFrame, week: str) -> dict:
    """New and active ML postings in `week`, a week before and 4 weeks before, with the changes.

    Tables without `new_postings`/`active_postings` (older datasets) fall back to `postings` for new
    and report active as unknown rather than as zero.
    """
    out = {}
    for measure, column in (("new", NEW_POSTINGS if NEW_POSTINGS in weekly else POSTINGS), ("active", ACTIVE_POSTINGS)):
        if column not in weekly:
            out[measure] = None
            continue
        series = postings_by_week(weekly, column)
        now = _at(series, week)
        row = {"now": now}
        for key, back in (("last_week", 1), ("four_weeks", 4)):
            then = _at(series, weeks_back(week, back))
            row[key] = {
                "week": weeks_back(week, back), "then": then,
                "delta": None if now is None or then is None else now - then,
                "pct": None if now is None or not then else (now - then) / then * 100,
            }
        out[measure] = row
    return out


def _at(series: pd.Series, week: str) -> int | None:
    value = series.get(week, np.nan)
    return None if pd.isna(value) else int(value)


def period_table(table: pd.DataFrame, keys: list[str], week: str, *, min_postings: int = MIN_PERIOD_POSTINGS,
                 alpha: float = ALPHA, window: int = PERIOD_WEEKS, lag: int = LAG_WEEKS) -> pd.DataFrame:
    """One row per unit (area, or area and skill) at `week`: the week's share with its 95% interval,
    the pooled counts of the current and previous period, and the table's change, p-value and direction.

    `significant` is the page's one test of whether a change may be called rising or falling: the
    table's direction is not flat, p < alpha, and both periods hold at least `min_postings` postings.
    The table's direction already means this; checking again keeps a hand-edited or older table from
    putting "rising" on a change the sample cannot carry.
    """
    now_weeks, before_weeks = period_weeks(week, window, lag)
    current = table[table[WEEK] == week].copy()
    if current.empty:
        raise ValueError(f"week {week!r} is not in the table")
    for label, weeks, k, n in (("now", now_weeks, K_NOW, N_NOW), ("before", before_weeks, K_BEFORE, N_BEFORE)):
        part = table[table[WEEK].isin(weeks)]
        sums = part.groupby(keys)[MENTIONS].sum().rename(k)
        current = current.merge(sums, left_on=keys, right_index=True, how="left")
        # Postings are the same for every unit of a week: summed once per week, not per unit.
        current[n] = int(part.groupby(WEEK)[POSTINGS].max().sum())
        current[k] = current[k].fillna(0).astype("int64")
    k, n = current[MENTIONS].to_numpy(), current[POSTINGS].to_numpy()
    low, high = wilson_interval(k, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        current[WEEK_SHARE_PCT] = np.where(n > 0, k / np.where(n > 0, n, 1) * 100, np.nan)
        current[SHARE_NOW_PCT] = np.where(current[N_NOW] > 0, current[K_NOW] / current[N_NOW].clip(lower=1) * 100, np.nan)
        current[SHARE_BEFORE_PCT] = np.where(current[N_BEFORE] > 0,
                                             current[K_BEFORE] / current[N_BEFORE].clip(lower=1) * 100, np.nan)
    current[WEEK_CI_LOW_PCT], current[WEEK_CI_HIGH_PCT] = low * 100, high * 100
    change = pd.to_numeric(current[CHANGE], errors="coerce") if CHANGE in current else pd.Series(np.nan, current.index)
    p_value = pd.to_numeric(current[P_VALUE], errors="coerce") if P_VALUE in current else pd.Series(np.nan, current.index)
    direction = current[DIRECTION].astype(str) if DIRECTION in current else pd.Series("flat", current.index)
    current[CHANGE_PERIOD_PP] = change * 100
    current[P_VALUE] = p_value
    current[DIRECTION] = direction
    enough = (current[N_NOW] >= min_postings) & (current[N_BEFORE] >= min_postings)
    current[SIGNIFICANT] = (direction.isin(["rising", "falling"]) & (p_value < alpha) & enough
                            & change.notna() & (np.sign(change) == np.where(direction == "rising", 1, -1)))
    current[VERDICT] = [
        _verdict(sig, d, p, c, ok) for sig, d, p, c, ok in
        zip(current[SIGNIFICANT], direction, p_value, change, enough)
    ]
    return current.reset_index(drop=True)


def _verdict(significant: bool, direction: str, p: float, change: float, enough: bool) -> str:
    """The words next to a change: only a significant one is rising or falling."""
    if significant:
        return f"{direction} ({p_phrase(p)})"
    if pd.isna(change):
        return "no earlier period to compare"
    if not enough:
        return f"not significant: fewer than {MIN_PERIOD_POSTINGS} postings in a period"
    if pd.isna(p):
        return "not significant"
    return f"not significant ({p_phrase(p)})"


def p_phrase(p: float) -> str:
    """"p = 0.003" or "p < 0.001"."""
    text = format_p(p)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def format_p(p: float) -> str:
    if pd.isna(p):
        return "n/a"
    if p < 0.001:
        return "< 0.001"
    return f"{p:.3f}" if p < 0.01 else f"{p:.2f}"


def movers(area_period: pd.DataFrame, n: int = MOVERS) -> pd.DataFrame:
    """The `n` areas whose share moved most between the two periods, significant moves first."""
    ranked = area_period[area_period[CHANGE_PERIOD_PP].notna()].assign(
        _abs=lambda f: f[CHANGE_PERIOD_PP].abs(), _sig=lambda f: f[SIGNIFICANT].astype(int))
    return (ranked.sort_values(["_sig", "_abs"], ascending=[False, False], kind="stable")
            .head(n).drop(columns=["_abs", "_sig"]).reset_index(drop=True))


def ranked(period: pd.DataFrame, top: int | None = None) -> pd.DataFrame:
    """Highest share this week first; ties by the period share, then the table's own order."""
    ma4 = period[SHARE_MA4] if SHARE_MA4 in period else pd.Series(np.nan, period.index)
    out = (period.assign(_share=period[WEEK_SHARE_PCT].fillna(-1), _ma4=ma4.fillna(-1), _pos=np.arange(len(period)))
           .sort_values(["_share", "_ma4", "_pos"], ascending=[False, False, True], kind="stable")
           .drop(columns=["_share", "_ma4", "_pos"]))
    return (out.head(top) if top else out).reset_index(drop=True)


def skill_period_table(weekly_skill: pd.DataFrame, week: str, top: int = TOP_SKILLS) -> pd.DataFrame:
    """The top `top` skills of `week` by share, with their period statistics."""
    if week not in set(weekly_skill[WEEK]):
        return weekly_skill.iloc[0:0]
    latest = weekly_skill[weekly_skill[WEEK] == week]
    # Only the skills that can reach the top need their period sums: keep the rows of those skills.
    ma4 = latest[SHARE_MA4] if SHARE_MA4 in latest else pd.Series(0.0, latest.index)
    order = latest.assign(_ma4=ma4.fillna(-1)).sort_values([MENTIONS, "_ma4"], ascending=False, kind="stable")
    keep = order.head(top)[[AREA, SKILL]]
    subset = weekly_skill.merge(keep, on=[AREA, SKILL])
    return ranked(period_table(subset, [AREA, SKILL], week), top)
