"""Analyses behind the report's market sections: which skills come together, how segments differ, what
pay goes with each area, how healthy the data is, and how the market's ranking compares with the
founding article's.

Pure pandas over the dataset's tables (README, "Data dictionary"): frames in, tidy frames out, no I/O
and no HTML. Strings in the outputs are raw (source names and segment values come from config and
scraped data): whoever shows them escapes them (reports/market_figures.py does).

"The last N weeks" always means N calendar ISO weeks ending at the latest week in the input, so a week
without postings still uses up one of the N rather than reaching further back.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from itertools import combinations_with_replacement
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from pipeline import columns as c
from pipeline.stats import wilson_interval
from reports.figures import iso_weeks_between, iso_week_monday

# Pooling a quarter: at ~35 ML postings a week that is ~400 postings, enough for shares within ±5 points.
DEFAULT_WEEKS = 12
# Below 30 postings a share's 95% interval is wider than ±15 points around 50% (as reports/build.py).
SMALL_SEGMENT = 30
# Below 10 salaries a median and quartiles are anecdotes, not a distribution.
SMALL_SALARY = 10
SEGMENT_TYPES: tuple[str, ...] = (c.ROLE_FAMILY, c.SENIORITY, c.REMOTE, c.SOURCE)

# Output columns of this module (report-side, not dataset contracts).
SKILL_A, AREA_A, SKILL_B, AREA_B = "skill_a", "area_a", "skill_b", "area_b"
COUNT_A, COUNT_B, BOTH = "count_a", "count_b", "both"
JACCARD, LIFT = "jaccard", "lift"
SMALL = "small"
MENTIONS_AREA = "mentions_area"
N, MEDIAN, Q1, Q3, LOW, HIGH = "n", "median", "q1", "q3", "min", "max"
CURRENCY = "currency"
SALARY_MID = "salary_mid"
ARTICLE_RANK, MARKET_RANK, RANK_DIFFERENCE = "article_rank", "market_rank", "rank_difference"
AREA_NAME = "area_name"
ML_POSTINGS = "ml_postings"
REJECT_RATE = "reject_rate"
RUNS = "runs"
POSSIBLY_BROKEN = "possibly_broken"
DEDUP_RATE, NEAR_DUPLICATE_RATE = "dedup_rate", "near_duplicate_rate"


# --- weeks -------------------------------------------------------------------------------------------

def last_weeks(weeks: Iterable[object], n: int | None) -> list[str]:
    """The last `n` calendar ISO weeks ending at the latest of `weeks` (all of them, first to last,
    when n is None); [] when there are no weeks."""
    labels = sorted({str(w) for w in weeks if isinstance(w, str) or (w is not None and not pd.isna(w))})
    if not labels:
        return []
    span = iso_weeks_between(labels[0], labels[-1])
    if n is None:
        return span
    if n < 1:
        raise ValueError(f"weeks must be at least 1, not {n}")
    if len(span) >= n:
        return span[-n:]
    # Fewer weeks of data than asked for: the window still reaches n weeks back.
    end = iso_week_monday(labels[-1])
    return iso_weeks_between(_week_label(end - timedelta(weeks=n - 1)), labels[-1])


def _week_label(day: date) -> str:
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


def _ml_postings(postings: pd.DataFrame, weeks: int | None) -> pd.DataFrame:
    """ML postings with a week, restricted to the last `weeks` weeks."""
    ml = postings[postings[c.IS_ML].fillna(False).astype(bool) & postings[c.WEEK].notna()]
    if weeks is not None and not ml.empty:
        ml = ml[ml[c.WEEK].astype(str).isin(last_weeks(ml[c.WEEK], weeks))]
    return ml


def _with_wilson(frame: pd.DataFrame, k: str, n: str) -> pd.DataFrame:
    low, high = wilson_interval(frame[k].to_numpy(), frame[n].to_numpy())
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(frame[n] > 0, frame[k] / frame[n].where(frame[n] > 0, 1), np.nan)
    return frame.assign(**{c.SHARE: share, c.CI_LOW: low, c.CI_HIGH: high})


# --- skill co-occurrence -----------------------------------------------------------------------------

COOCCURRENCE_COLUMNS = (SKILL_A, AREA_A, SKILL_B, AREA_B, COUNT_A, COUNT_B, BOTH, JACCARD, LIFT)


def skill_cooccurrence(
    skill_mentions: pd.DataFrame, postings: pd.DataFrame, *, weeks: int | None = None, top: int = 25,
) -> pd.DataFrame:
    """Which of the `top` most-asked skills ML postings ask for together.

    One row per ordered pair (both orders, diagonal included, so a pivot gives the full matrix), in
    the skills' order of demand. `both` is the number of ML postings asking for both (on the diagonal:
    the skill's own count); `jaccard` = both ÷ postings asking for either (1 on the diagonal); `lift` =
    how many times more often the pair occurs than if the two were independent (both × N ÷ (a × b)),
    which, unlike raw counts, does not just repeat that popular skills are popular (NaN on the diagonal).
    """
    ml = _ml_postings(postings, weeks)
    ids = set(ml[c.POSTING_ID])
    mentions = skill_mentions[skill_mentions[c.POSTING_ID].isin(ids)][[c.POSTING_ID, c.AREA, c.SKILL]]
    mentions = mentions.drop_duplicates()
    if mentions.empty or top < 1:
        return pd.DataFrame({col: pd.Series(dtype="float64" if col in (JACCARD, LIFT) else
                                            "int64" if col in (COUNT_A, COUNT_B, BOTH) else "object")
                             for col in COOCCURRENCE_COLUMNS})
    counts = mentions.groupby([c.AREA, c.SKILL]).size().rename("count").reset_index()
    counts = counts.sort_values(["count", c.AREA, c.SKILL], ascending=[False, True, True]).head(top)
    keys = list(zip(counts[c.AREA], counts[c.SKILL]))
    index = {key: i for i, key in enumerate(keys)}
    chosen = mentions.assign(_key=list(zip(mentions[c.AREA], mentions[c.SKILL])))
    chosen = chosen[chosen["_key"].isin(index)]
    # Posting × skill indicator matrix; its Gram matrix counts the postings asking for both.
    rows = pd.factorize(chosen[c.POSTING_ID])[0]
    cols = chosen["_key"].map(index).to_numpy()
    indicator = np.zeros((rows.max() + 1, len(keys)), dtype=np.int64)
    indicator[rows, cols] = 1
    both = indicator.T @ indicator
    own = np.diag(both)
    total = len(ids)
    out = []
    for i, j in combinations_with_replacement(range(len(keys)), 2):
        k, a, b = int(both[i, j]), int(own[i]), int(own[j])
        jaccard = k / (a + b - k) if a + b - k else np.nan
        # On the diagonal lift would be N ÷ a, a restatement of the count, not an association.
        lift = k * total / (a * b) if a and b and i != j else np.nan
        pair = [(keys[i], keys[j], a, b)] if i == j else [(keys[i], keys[j], a, b), (keys[j], keys[i], b, a)]
        for (area_a, skill_a), (area_b, skill_b), count_a, count_b in pair:
            out.append((skill_a, area_a, skill_b, area_b, count_a, count_b, k, jaccard, lift))
    frame = pd.DataFrame(out, columns=list(COOCCURRENCE_COLUMNS))
    order = {skill: i for i, (_, skill) in enumerate(keys)}
    frame = frame.sort_values([SKILL_A, SKILL_B], key=lambda s: s.map(order)).reset_index(drop=True)
    return frame


# --- segments ----------------------------------------------------------------------------------------

def segment_breakdown(
    segment_area_demand: pd.DataFrame, *, segment_type: str, weeks: int | None = DEFAULT_WEEKS,
    min_postings: int = SMALL_SEGMENT,
) -> pd.DataFrame:
    """Per value of one segment type, the share of its ML postings (pooled over the last `weeks`
    weeks) mentioning each area, with the Wilson 95% interval.

    Columns: segment_type, segment, area, postings, mentions, share, ci_low, ci_high, small (fewer
    than `min_postings` postings: read the share as a hint). Segments by postings, largest first;
    areas in taxonomy order within each.
    """
    if segment_type not in SEGMENT_TYPES:
        raise ValueError(f"segment_type must be one of {list(SEGMENT_TYPES)}, not {segment_type!r}")
    frame = segment_area_demand[segment_area_demand[c.SEGMENT_TYPE] == segment_type]
    columns = [c.SEGMENT_TYPE, c.SEGMENT, c.AREA, c.POSTINGS, c.MENTIONS, c.SHARE, c.CI_LOW, c.CI_HIGH, SMALL]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    frame = frame.astype({c.WEEK: str, c.SEGMENT: str, c.AREA: str})
    frame = frame[frame[c.WEEK].isin(last_weeks(frame[c.WEEK], weeks))]
    # Every (segment, week) row repeats the segment's postings once per area: count it once.
    postings = frame.groupby([c.SEGMENT, c.WEEK])[c.POSTINGS].max().groupby(level=c.SEGMENT).sum()
    mentions = frame.groupby([c.SEGMENT, c.AREA])[c.MENTIONS].sum()
    grid = pd.MultiIndex.from_product([postings.index, c.AREA_IDS], names=[c.SEGMENT, c.AREA])
    out = mentions.reindex(grid, fill_value=0).rename(c.MENTIONS).reset_index()
    out[c.POSTINGS] = out[c.SEGMENT].map(postings).astype("int64")
    out[c.MENTIONS] = out[c.MENTIONS].astype("int64")
    out = _with_wilson(out, c.MENTIONS, c.POSTINGS)
    out[SMALL] = out[c.POSTINGS] < min_postings
    out[c.SEGMENT_TYPE] = segment_type
    area_order = {a: i for i, a in enumerate(c.AREA_IDS)}
    out = out.assign(_area=out[c.AREA].map(area_order)).sort_values(
        [c.POSTINGS, c.SEGMENT, "_area"], ascending=[False, True, True])
    return out[columns].reset_index(drop=True)


# --- salary ------------------------------------------------------------------------------------------

SALARY_COLUMNS = (c.AREA, MENTIONS_AREA, CURRENCY, N, MEDIAN, Q1, Q3, LOW, HIGH, SMALL)


def salary_midpoints(postings: pd.DataFrame, *, weeks: int | None = None) -> pd.DataFrame:
    """ML postings with a known annual salary: posting_id, currency, salary_mid (the midpoint of
    min and max; the one figure when only one is known)."""
    ml = _ml_postings(postings, weeks)
    low = pd.to_numeric(ml[c.SALARY_ANNUAL_MIN], errors="coerce")
    high = pd.to_numeric(ml[c.SALARY_ANNUAL_MAX], errors="coerce")
    mid = pd.concat([low, high], axis=1).mean(axis=1, skipna=True)
    currency = ml[c.SALARY_CURRENCY].fillna("").astype(str) if c.SALARY_CURRENCY in ml else ""
    frame = pd.DataFrame({c.POSTING_ID: ml[c.POSTING_ID], CURRENCY: currency, SALARY_MID: mid})
    return frame[frame[SALARY_MID].notna()].reset_index(drop=True)


def salary_by_area(
    postings: pd.DataFrame, skill_mentions: pd.DataFrame, *, weeks: int | None = None,
    currency: str | None = None, min_n: int = SMALL_SALARY,
) -> pd.DataFrame:
    """Annual salary midpoints of ML postings mentioning each area against those not mentioning it.

    Salaries are in the currency stated (the dataset does not convert), so one currency is compared:
    `currency`, else the most common one among the ML postings with a salary; figures without a
    currency are left out. Two rows per area (mentions_area True / False) with n, median, quartiles,
    min and max; `small` marks n < `min_n`, and statistics are NaN when n is 0. Empty when no ML
    posting has a salary.
    """
    salaries = salary_midpoints(postings, weeks=weeks)
    salaries = salaries[salaries[CURRENCY] != ""]
    if currency is None and not salaries.empty:
        counts = salaries[CURRENCY].value_counts()
        currency = sorted(counts[counts == counts.max()].index)[0]
    salaries = salaries[salaries[CURRENCY] == currency]
    if salaries.empty:
        return pd.DataFrame({col: pd.Series(dtype=_salary_dtype(col)) for col in SALARY_COLUMNS})
    mentioned = skill_mentions[skill_mentions[c.POSTING_ID].isin(salaries[c.POSTING_ID])]
    by_area = mentioned.groupby(c.AREA)[c.POSTING_ID].agg(set)
    rows = []
    for area in c.AREA_IDS:
        has = salaries[c.POSTING_ID].isin(by_area.get(area, set()))
        for flag, values in ((True, salaries.loc[has, SALARY_MID]), (False, salaries.loc[~has, SALARY_MID])):
            n = len(values)
            stats = values.quantile([0.25, 0.5, 0.75]).to_numpy() if n else [np.nan] * 3
            rows.append((area, flag, currency, n, stats[1], stats[0], stats[2],
                         values.min() if n else np.nan, values.max() if n else np.nan, n < min_n))
    return pd.DataFrame(rows, columns=list(SALARY_COLUMNS)).astype({N: "int64"})


def _salary_dtype(column: str) -> str:
    return {c.AREA: "object", MENTIONS_AREA: "bool", CURRENCY: "object", N: "int64", SMALL: "bool"}.get(column, "float64")


# --- data quality ------------------------------------------------------------------------------------

def _frame(rows: pd.DataFrame | Sequence[Mapping[str, Any]] | None) -> pd.DataFrame:
    if rows is None:
        return pd.DataFrame()
    return rows.copy() if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))


def _number(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame:
        return pd.Series(0, index=frame.index, dtype="int64")
    return pd.to_numeric(frame[column], errors="coerce").fillna(0).astype("int64")


def _text_column(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame:
        return pd.Series("", index=frame.index, dtype="object")
    return frame[column].fillna("").astype(str)


def postings_per_source_week(postings: pd.DataFrame) -> pd.DataFrame:
    """New postings (by `posted_at` week) per source and week: week, source, postings, ml_postings,
    every week from the first to the last for every source (0 where none). A merged posting counts
    once, under its own source."""
    columns = [c.WEEK, c.SOURCE, c.POSTINGS, ML_POSTINGS]
    dated = postings[postings[c.WEEK].notna()] if c.WEEK in postings else postings.iloc[0:0]
    if dated.empty:
        return pd.DataFrame({col: pd.Series(dtype="int64" if col in (c.POSTINGS, ML_POSTINGS) else "object")
                             for col in columns})
    dated = dated.assign(**{c.WEEK: dated[c.WEEK].astype(str), c.SOURCE: dated[c.SOURCE].fillna("").astype(str),
                            "_ml": dated[c.IS_ML].fillna(False).astype(bool)})
    counts = dated.groupby([c.WEEK, c.SOURCE]).agg(**{c.POSTINGS: ("_ml", "size"), ML_POSTINGS: ("_ml", "sum")})
    grid = pd.MultiIndex.from_product([last_weeks(dated[c.WEEK], None), sorted(dated[c.SOURCE].unique())],
                                      names=[c.WEEK, c.SOURCE])
    return counts.reindex(grid, fill_value=0).astype("int64").reset_index()[columns]


def dedup_by_run(processing: pd.DataFrame | Sequence[Mapping[str, Any]] | None) -> pd.DataFrame:
    """The processing log's dedup figures, one row per `process` run, oldest first. Rates are
    recomputed from the counts (README: dedup_rate = (raw_rows − postings) ÷ raw_rows, near_duplicate_rate
    = near_duplicates ÷ (raw_rows − exact_duplicates)), NaN when the denominator is 0."""
    frame = _frame(processing)
    columns = ["built_at", "mode", "raw_rows", "exact_duplicates", "near_duplicates", c.POSTINGS,
               DEDUP_RATE, NEAR_DUPLICATE_RATE]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    out = pd.DataFrame({"built_at": pd.to_datetime(_text_column(frame, "built_at"), utc=True, errors="coerce"),
                        "mode": _text_column(frame, "mode")})
    for column in ("raw_rows", "exact_duplicates", "near_duplicates", c.POSTINGS):
        out[column] = _number(frame, column)
    distinct = out["raw_rows"] - out["exact_duplicates"]
    out[DEDUP_RATE] = ((out["raw_rows"] - out[c.POSTINGS]) / out["raw_rows"]).where(out["raw_rows"] > 0)
    out[NEAR_DUPLICATE_RATE] = (out["near_duplicates"] / distinct).where(distinct > 0)
    return out.sort_values("built_at", kind="stable", na_position="first").reset_index(drop=True)[columns]


def _latest_runs(runs: pd.DataFrame) -> pd.DataFrame:
    started = pd.to_datetime(_text_column(runs, "started_at"), utc=True, errors="coerce")
    return (runs.assign(_started=started).sort_values("_started", kind="stable", na_position="first")
            .groupby(c.SOURCE, sort=True).tail(1).sort_values(c.SOURCE).reset_index(drop=True))


def broken_sources(runs: pd.DataFrame | Sequence[Mapping[str, Any]] | None) -> pd.DataFrame:
    """Sources whose latest run is flagged possibly broken: source, started_at, status, error,
    possibly_broken (the reason). Runs logs from before the flag existed have no such column: none flagged."""
    frame = _frame(runs)
    columns = [c.SOURCE, "started_at", "status", "error", POSSIBLY_BROKEN]
    if frame.empty or c.SOURCE not in frame:
        return pd.DataFrame(columns=columns)
    latest = _latest_runs(frame)
    out = pd.DataFrame({col: _text_column(latest, col) for col in columns})
    return out[out[POSSIBLY_BROKEN] != ""].reset_index(drop=True)


def parse_failures(runs: pd.DataFrame | Sequence[Mapping[str, Any]] | None) -> pd.DataFrame:
    """Per source, items its adapter could not parse (quarantined, `rejected`) against those it parsed
    (`postings`), on its latest run and over all runs: reject_rate = rejected ÷ (postings + rejected),
    as scraper/health.py judges breakage; NaN when a run saw no items."""
    frame = _frame(runs)
    columns = [c.SOURCE, RUNS, "latest_started_at", "latest_status", "latest_postings", "latest_rejected",
               "latest_reject_rate", "total_postings", "total_rejected", "total_reject_rate"]
    if frame.empty or c.SOURCE not in frame:
        return pd.DataFrame(columns=columns)
    frame = frame.assign(_postings=_number(frame, c.POSTINGS), _rejected=_number(frame, "rejected"))
    totals = frame.groupby(c.SOURCE).agg(runs=(c.SOURCE, "size"), total_postings=("_postings", "sum"),
                                        total_rejected=("_rejected", "sum"))
    latest = _latest_runs(frame).set_index(c.SOURCE)
    out = totals.join(pd.DataFrame({
        "latest_started_at": _text_column(latest, "started_at"), "latest_status": _text_column(latest, "status"),
        "latest_postings": latest["_postings"], "latest_rejected": latest["_rejected"],
    })).reset_index()

    def rate(rejected: pd.Series, parsed: pd.Series) -> pd.Series:
        seen = rejected + parsed
        return (rejected / seen.where(seen > 0)).astype("float64")

    out["latest_reject_rate"] = rate(out["latest_rejected"], out["latest_postings"])
    out["total_reject_rate"] = rate(out["total_rejected"], out["total_postings"])
    return out[columns]


def data_quality(
    postings: pd.DataFrame,
    runs: pd.DataFrame | Sequence[Mapping[str, Any]] | None,
    processing: pd.DataFrame | Sequence[Mapping[str, Any]] | None,
) -> dict[str, pd.DataFrame]:
    """Everything the data-quality section shows, as frames: `per_source_week`
    (postings_per_source_week), `dedup` (dedup_by_run), `broken` (broken_sources) and
    `parse_failures`. `runs` and `processing` are the runs log and the processing log, as rows or frames."""
    return {
        "per_source_week": postings_per_source_week(postings),
        "dedup": dedup_by_run(processing),
        "broken": broken_sources(runs),
        "parse_failures": parse_failures(runs),
    }


# --- the founding article against the market ---------------------------------------------------------

def seed_order_from_taxonomy(taxonomy) -> tuple[str, ...]:
    """The founding article's order of the 12 areas: config/skills.yaml lists its areas in the order
    of the article's sections (tests/test_market.py checks it against tests/fixtures/seed_headings.txt)."""
    return tuple(taxonomy.spec.areas)


def seed_vs_market(
    weekly_area_demand: pd.DataFrame, area_names: Mapping[str, str], seed_order: Sequence[str], *,
    weeks: int | None = DEFAULT_WEEKS,
) -> pd.DataFrame:
    """The article's ranking of the areas beside the market's: share of new ML postings asking for
    each area, pooled over the last `weeks` weeks, with its Wilson 95% interval.

    Columns: area, area_name, article_rank (1 = named first), market_rank (1 = highest share; ties
    share the better rank; NaN with no postings), postings, mentions, share, ci_low, ci_high, and
    rank_difference = article_rank − market_rank (positive: the market asks for it more than the
    article's place suggests). In article order.
    """
    if sorted(seed_order) != sorted(c.AREA_IDS):
        raise ValueError(f"seed_order must name each of the 12 areas once, not {list(seed_order)}")
    columns = [c.AREA, AREA_NAME, ARTICLE_RANK, MARKET_RANK, c.POSTINGS, c.MENTIONS, c.SHARE, c.CI_LOW,
               c.CI_HIGH, RANK_DIFFERENCE]
    weekly = weekly_area_demand.astype({c.WEEK: str, c.AREA: str}) if not weekly_area_demand.empty else None
    out = pd.DataFrame({c.AREA: list(seed_order), ARTICLE_RANK: range(1, len(seed_order) + 1)})
    out[AREA_NAME] = [str(area_names.get(a) or a) for a in seed_order]
    if weekly is None:
        out[c.POSTINGS], out[c.MENTIONS] = 0, 0
    else:
        weekly = weekly[weekly[c.WEEK].isin(last_weeks(weekly[c.WEEK], weeks))]
        total = int(weekly.groupby(c.WEEK)[c.POSTINGS].max().sum())
        out[c.POSTINGS] = total
        out[c.MENTIONS] = out[c.AREA].map(weekly.groupby(c.AREA)[c.MENTIONS].sum()).fillna(0).astype("int64")
    out = _with_wilson(out, c.MENTIONS, c.POSTINGS)
    out[MARKET_RANK] = out[c.SHARE].rank(method="min", ascending=False)
    out[RANK_DIFFERENCE] = out[ARTICLE_RANK] - out[MARKET_RANK]
    return out[columns]


def _words(text: object) -> list[str]:
    return re.findall(r"[a-z0-9+#]+", str(text).lower())


def unmentioned_demand(discover_result, top: int = 10, *, article_text: str | None = None) -> pd.DataFrame:
    """The most-demanded phrases that neither the taxonomy nor (given `article_text`) the article
    mentions, from `pipeline.discover.discover_terms` (run it with sort="share": the "rise" order keeps
    only rising phrases).

    Columns: term, postings, share (of the result's ML postings), ci_low, ci_high (Wilson 95%),
    direction (rising/falling/flat between the halves of the period), example (a scraped snippet:
    escape it to show it). Highest share first.
    """
    columns = ["term", c.POSTINGS, c.SHARE, c.CI_LOW, c.CI_HIGH, c.DIRECTION, "example"]
    terms = discover_result.terms
    if terms.empty:
        return pd.DataFrame(columns=columns)
    if article_text:
        words = f" {' '.join(_words(article_text))} "
        terms = terms[[f" {' '.join(_words(t))} " not in words for t in terms["term"]]]
    terms = terms.assign(_n=int(discover_result.ml_postings))
    terms = _with_wilson(terms.astype({c.POSTINGS: "int64"}), c.POSTINGS, "_n")
    terms = terms.sort_values([c.SHARE, "term"], ascending=[False, True]).head(top)
    return terms[columns].reset_index(drop=True)
