"""Skill mentions and weekly demand: the tables the report and analysts read.

Two measures of demand, as Hiring Lab distinguishes them:
- **new** postings of a week: ML postings whose `posted_at` falls in that ISO week (the `week` column of
  `postings`). `postings`/`mentions`/`share` are this measure, and `new_*` repeat it under an explicit name.
- **active** postings of a week: ML postings open during it, from the week of `posted_at` to the week of
  `last_seen_at` (the last scrape that returned them), both included.

Statistics (defaults in the keyword arguments of `weekly_area_demand`):
- `ci_low`/`ci_high`: Wilson 95 % interval of `share`.
- `share_ma4`: mentions summed over the 4 weeks ending at this week ÷ postings summed over them (a
  postings-weighted moving average); NaN for the first 3 weeks.
- `index`: `share` ÷ baseline share × 100, the baseline share being mentions ÷ postings pooled over the
  baseline weeks (the first 4 weeks by default); NaN when the baseline share is 0.
- `change`: `share_ma4` minus the same 4-week pooled share 4 weeks earlier (the preceding, non-overlapping
  period); `p_value` from a two-sided pooled two-proportion z-test of the two periods; `direction` is
  `rising`/`falling` only when p < 0.05 and both periods hold at least `min_count` (30) postings, else `flat`.
"""
from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline import columns as c
from pipeline.boilerplate import demand_text
from pipeline.classify import classify_ml
from pipeline.clean import iso_week
from pipeline.skills import Taxonomy
from pipeline.stats import two_proportion_p_value, wilson_interval


def mark_ml(postings: pd.DataFrame, demands: list[str] | None = None) -> pd.DataFrame:
    """Add is_ml and the reason for it (see ../shared/LABELING.md).

    `demands`: each description's demand text when the caller has it already (it is the slow part)."""
    if demands is None:
        verdicts = [classify_ml(t, d) for t, d in zip(postings[c.TITLE], postings[c.DESCRIPTION])]
    else:
        verdicts = [classify_ml(t, d, demand=m) for t, d, m in zip(postings[c.TITLE], postings[c.DESCRIPTION], demands)]
    out = postings.copy()
    out[c.IS_ML] = pd.Series([v[0] for v in verdicts], index=postings.index, dtype=bool)
    out[c.ML_REASON] = [v[1] for v in verdicts]
    return out


def posting_skills(taxonomy: Taxonomy, title: str, text: str) -> list[tuple[str, str]]:
    """(area, skill) pairs a posting asks for.

    Matching runs on the title plus the description with boilerplate (about us, benefits, EEO)
    removed, so company-wide text does not count as demand.
    """
    return skills_in_demand(taxonomy, title, demand_text(text))


def skills_in_demand(taxonomy: Taxonomy, title: str, demand: str) -> list[tuple[str, str]]:
    """`posting_skills` for a description whose demand text (`boilerplate.demand_text`) is already known."""
    return taxonomy.match(f"{title}\n{demand}")


def skill_mentions(postings: pd.DataFrame, taxonomy: Taxonomy) -> pd.DataFrame:
    """Long table (posting_id, area, skill): one row per skill a posting asks for."""
    rows: list[tuple[str, str, str]] = []
    for pid, title, text in zip(postings[c.POSTING_ID], postings[c.TITLE], postings[c.DESCRIPTION]):
        for area, skill in posting_skills(taxonomy, title, text):
            rows.append((pid, area, skill))
    frame = pd.DataFrame(rows, columns=list(c.SKILL_MENTIONS_COLUMNS))
    return frame.sort_values(list(c.SKILL_MENTIONS_COLUMNS), ignore_index=True)


BASELINE_WEEKS = 4  # the default baseline of `index`: the first weeks of the tables
# The periods the significance test compares: the last PERIOD_WEEKS weeks against the PERIOD_WEEKS before.
# With 30-50 ML postings a week, 4-week periods (~150 postings each) detect only moves of about 15 points;
# 8-week periods detect about 10, the size of real shifts in a quarter (and of the demo's planted trends).
PERIOD_WEEKS = 8
MA_WEEKS = 4  # share_ma4: the moving average drawn in the report, independent of the test's period

# Any Monday: week numbers count from it, so week arithmetic is integer arithmetic.
_EPOCH_MONDAY = pd.Timestamp("1970-01-05")
SEGMENT_TYPES: tuple[str, ...] = (c.ROLE_FAMILY, c.SENIORITY, c.REMOTE, c.SOURCE)


def weekly_area_demand(
    postings: pd.DataFrame,
    mentions: pd.DataFrame,
    taxonomy_version: str,
    *,
    window: int = PERIOD_WEEKS,
    lag: int = PERIOD_WEEKS,
    baseline: int | tuple[str, str] = BASELINE_WEEKS,
    min_count: int = 30,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Per ISO week and area: new and active ML postings, mentions, shares and their statistics.

    Weeks run without gaps from the first to the last week with new ML postings (a week without any
    has 0 postings and NaN shares); every area appears every week, so a missing row never reads as
    "no data". `baseline` is a number of first weeks or an inclusive pair of week labels.
    """
    units = pd.DataFrame({c.AREA: list(c.AREA_IDS)})
    out = _demand(postings, mentions[[c.POSTING_ID, c.AREA]], units,
                  window=window, lag=lag, baseline=baseline, min_count=min_count, alpha=alpha)
    out[c.TAXONOMY_VERSION] = taxonomy_version
    return out[list(c.WEEKLY_AREA_DEMAND_COLUMNS + c.DEMAND_STAT_COLUMNS)]


def weekly_skill_demand(
    postings: pd.DataFrame,
    mentions: pd.DataFrame,
    taxonomy_version: str,
    skills: Iterable[tuple[str, str]] | None = None,
    *,
    window: int = PERIOD_WEEKS,
    lag: int = PERIOD_WEEKS,
    baseline: int | tuple[str, str] = BASELINE_WEEKS,
    min_count: int = 30,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """`weekly_area_demand` per (area, skill): every skill of `skills` (the taxonomy's, in its order)
    every week; without `skills`, the skills that appear in `mentions`."""
    if skills is None:
        units = mentions[[c.AREA, c.SKILL]].drop_duplicates().sort_values([c.AREA, c.SKILL])
    else:
        units = pd.DataFrame(list(skills), columns=[c.AREA, c.SKILL])
    out = _demand(postings, mentions[[c.POSTING_ID, c.AREA, c.SKILL]], units.reset_index(drop=True),
                  window=window, lag=lag, baseline=baseline, min_count=min_count, alpha=alpha)
    out[c.TAXONOMY_VERSION] = taxonomy_version
    return out[list(c.WEEKLY_SKILL_DEMAND_COLUMNS + c.DEMAND_STAT_COLUMNS)]


def segment_area_demand(postings: pd.DataFrame, mentions: pd.DataFrame, taxonomy_version: str) -> pd.DataFrame:
    """New ML postings per segment, week and area: postings, mentions, share and its Wilson interval.

    Segment types are those of SEGMENT_TYPES present as columns of `postings` (a missing value is
    "unknown"); only (segment, week) pairs with at least one posting appear, each with all 12 areas.
    """
    ml = _ml_postings(postings)
    areas = pd.DataFrame({c.AREA: list(c.AREA_IDS)})
    hit_posting, hit_area = _hits(ml[c.POSTING_ID], mentions[[c.POSTING_ID, c.AREA]], areas)
    parts = []
    for segment_type in SEGMENT_TYPES:
        if segment_type not in postings.columns:
            continue
        seg = ml[[c.POSTING_ID, c.WEEK]].assign(
            **{c.SEGMENT: ml[segment_type].astype("string").fillna("unknown").to_numpy()}
        )
        keys = [c.SEGMENT, c.WEEK]
        per = seg.groupby(keys).size().rename(c.POSTINGS).reset_index()
        # mentions per (segment, week) row of `per` and area, counted on integer codes
        row_of = seg.groupby(keys).ngroup().to_numpy()[hit_posting]
        counted = np.bincount(row_of * len(areas) + hit_area, minlength=len(per) * len(areas))
        counts = pd.Series(counted, index=pd.MultiIndex.from_arrays(
            [np.repeat(per[c.SEGMENT].to_numpy(), len(areas)), np.repeat(per[c.WEEK].to_numpy(), len(areas)),
             np.tile(areas[c.AREA].to_numpy(), len(per))], names=[*keys, c.AREA]), name=c.MENTIONS)
        counts = counts[counts > 0]
        grid = per.merge(areas, how="cross")
        grid = grid.merge(counts.reset_index(), on=[*keys, c.AREA], how="left")
        grid[c.SEGMENT_TYPE] = segment_type
        parts.append(grid)
    columns = list(c.SEGMENT_AREA_DEMAND_COLUMNS)
    if not parts:
        return pd.DataFrame(columns=columns)
    out = pd.concat(parts, ignore_index=True)
    out[c.MENTIONS] = out[c.MENTIONS].fillna(0).astype("int64")
    out[c.POSTINGS] = out[c.POSTINGS].astype("int64")
    out[c.SHARE] = (out[c.MENTIONS] / out[c.POSTINGS]).astype("float64")
    out[c.CI_LOW], out[c.CI_HIGH] = wilson_interval(out[c.MENTIONS], out[c.POSTINGS])
    out[c.TAXONOMY_VERSION] = taxonomy_version
    area_order = {area: i for i, area in enumerate(c.AREA_IDS)}
    type_order = {t: i for i, t in enumerate(SEGMENT_TYPES)}
    out = out.sort_values(
        [c.SEGMENT_TYPE, c.SEGMENT, c.WEEK, c.AREA],
        key=lambda s: s.map(type_order) if s.name == c.SEGMENT_TYPE else s.map(area_order) if s.name == c.AREA else s,
        ignore_index=True,
    )
    return out[columns]


def _hits(posting_ids: pd.Series, mentions: pd.DataFrame, units: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (posting, unit) pairs of `mentions` as integer codes: the position of the posting in
    `posting_ids` and of the unit (its key columns: area, or area and skill) in `units`; mentions of
    other postings or units are left out. Arrow hash lookups and integer keys, not string merges: at a
    million raw rows `mentions` has 14 million rows."""
    posting = _positions(mentions[c.POSTING_ID], posting_ids)
    unit_of_key = np.zeros(len(units), dtype=np.int64)  # each unit's key in mixed radix over its columns
    key = np.zeros(len(mentions), dtype=np.int64)
    known = posting >= 0
    radix = 1
    for column in units.columns:
        values = pd.Series(pd.unique(units[column].to_numpy()))
        code = _positions(mentions[column], values)
        known &= code >= 0
        key = key * len(values) + code
        unit_of_key = unit_of_key * len(values) + _positions(units[column], values)
        radix *= len(values)
    unit_at = np.full(radix, -1, dtype=np.int64)
    unit_at[unit_of_key] = np.arange(len(units))
    unit = np.where(known, unit_at[np.where(known, key, 0)], -1)
    keep = unit >= 0
    pair = _distinct(posting[keep].astype(np.int64) * len(units) + unit[keep], len(posting_ids) * len(units))
    return pair // len(units), pair % len(units)


_BITMAP_BYTES = 1 << 30


def _distinct(codes: np.ndarray, size: int) -> np.ndarray:
    """np.unique(codes) for integers in [0, size): marked in a bitmap of `size` bytes when that is at most
    1 GiB (one pass, no sort: 0.15 s where np.unique took 13 s, on 14 million random codes), else np.unique."""
    if size > _BITMAP_BYTES:
        return np.unique(codes)
    seen = np.zeros(size, dtype=bool)
    seen[codes] = True
    return np.flatnonzero(seen)


def _positions(values: pd.Series, value_set: pd.Series) -> np.ndarray:
    """Position of each value in `value_set` (distinct values), -1 where it is not there."""
    if isinstance(values.dtype, pd.CategoricalDtype):  # skill_mentions in processing: each string looked up once
        of_category = _positions(pd.Series(values.cat.categories), value_set)
        codes = values.cat.codes.to_numpy()
        return np.where(codes >= 0, of_category[codes], -1).astype(np.int64)
    found = pc.index_in(_arrow_strings(values), value_set=_arrow_strings(value_set))
    return found.fill_null(-1).to_numpy().astype(np.int64)


def _arrow_strings(values: pd.Series) -> pa.Array:
    array = values.array
    if isinstance(array, pd.arrays.ArrowStringArray):
        arrow = pa.array(array)
    else:
        arrow = pa.array(np.asarray(array, dtype=object), from_pandas=True)
    if isinstance(arrow, pa.ChunkedArray):
        arrow = arrow.combine_chunks()
    return arrow.cast(pa.large_string())


def _ml_postings(postings: pd.DataFrame) -> pd.DataFrame:
    return postings.loc[postings[c.IS_ML] & postings[c.WEEK].notna()].drop_duplicates(c.POSTING_ID)


def _week_numbers(mondays: pd.Series) -> np.ndarray:
    return ((mondays - _EPOCH_MONDAY).dt.days // 7).to_numpy(dtype="int64")


def _spans(ml: pd.DataFrame) -> pd.DataFrame:
    """posting_id, start (week number of `week`), end (week number of `last_seen_at`, never before start)."""
    labels = pd.Series(pd.unique(ml[c.WEEK].astype(str)))
    mondays = pd.to_datetime(labels + "-1", format="%G-W%V-%u")
    start = ml[c.WEEK].astype(str).map(dict(zip(labels, _week_numbers(mondays)))).to_numpy(dtype="int64")
    end = start.copy()
    if c.LAST_SEEN_AT in ml.columns:
        seen = pd.to_datetime(ml[c.LAST_SEEN_AT], utc=True).dt.tz_convert(None)
        seen_monday = seen.dt.normalize() - pd.to_timedelta(seen.dt.day_of_week, unit="D")
        seen_week = ((seen_monday - _EPOCH_MONDAY).dt.days // 7).to_numpy(dtype="float64")
        end = np.where(np.isnan(seen_week), start, np.maximum(start, np.nan_to_num(seen_week))).astype("int64")
    return pd.DataFrame({c.POSTING_ID: ml[c.POSTING_ID].to_numpy(), "start": start, "end": end})


def _new_and_active(start: np.ndarray, end: np.ndarray, groups: np.ndarray, n_groups: int, n_weeks: int):
    """(groups, weeks) counts of postings starting in a week and of postings open in it (start..end)."""
    width = n_weeks + 1
    opened = np.bincount(groups * width + start, minlength=n_groups * width).reshape(n_groups, width)
    closed = np.bincount(groups * width + end + 1, minlength=n_groups * width).reshape(n_groups, width)
    return opened[:, :n_weeks], np.cumsum(opened - closed, axis=1)[:, :n_weeks]


def _rolling_sum(values: np.ndarray, window: int) -> np.ndarray:
    """Sum over the `window` weeks ending at each week, NaN before a full window exists."""
    total = np.concatenate([np.zeros((values.shape[0], 1)), np.cumsum(values, axis=1, dtype=float)], axis=1)
    out = np.full(values.shape, np.nan)
    if values.shape[1] >= window:
        out[:, window - 1:] = total[:, window:] - total[:, :-window]
    return out


def _shifted(values: np.ndarray, lag: int) -> np.ndarray:
    out = np.full(values.shape, np.nan)
    if values.shape[1] > lag:
        out[:, lag:] = values[:, :-lag]
    return out


def _ratio(num, den) -> np.ndarray:
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / den, np.nan)


def _baseline_slice(baseline: int | tuple[str, str], weeks: list[str]) -> slice:
    if isinstance(baseline, int):
        if baseline < 1:
            raise ValueError(f"baseline must be at least 1 week, got {baseline}")
        return slice(0, baseline)
    first, last = baseline
    if first not in weeks or last not in weeks or weeks.index(first) > weeks.index(last):
        raise ValueError(f"baseline {baseline!r} is not a range of weeks between {weeks[0]} and {weeks[-1]}")
    return slice(weeks.index(first), weeks.index(last) + 1)


def _demand(
    postings: pd.DataFrame,
    mentions: pd.DataFrame,
    units: pd.DataFrame,
    *,
    window: int,
    lag: int,
    baseline: int | tuple[str, str],
    min_count: int,
    alpha: float,
) -> pd.DataFrame:
    """The long (week × unit) table of counts and statistics; `units` are the key rows (area, or area and skill)."""
    if window < 1 or lag < 1:
        raise ValueError(f"window and lag must be at least 1 week, got {window} and {lag}")
    keys = list(units.columns)
    spans = _spans(_ml_postings(postings))
    if spans.empty:
        return pd.DataFrame(columns=[c.WEEK, *keys, *c.DEMAND_COUNT_COLUMNS, *c.DEMAND_STAT_COLUMNS])
    first = int(spans["start"].min())
    n_weeks = int(spans["start"].max()) - first + 1
    start = spans["start"].to_numpy() - first
    end = np.minimum(spans["end"].to_numpy() - first, n_weeks - 1)
    mondays = pd.Series(_EPOCH_MONDAY + pd.to_timedelta((first + np.arange(n_weeks)) * 7, unit="D"))
    weeks = iso_week(mondays).astype(str).tolist()

    n_new, n_active = _new_and_active(start, end, np.zeros(len(start), dtype="int64"), 1, n_weeks)
    hit_posting, hit_unit = _hits(spans[c.POSTING_ID], mentions, units.reset_index(drop=True))
    k_new, k_active = _new_and_active(start[hit_posting], end[hit_posting], hit_unit, len(units), n_weeks)
    n_new = np.broadcast_to(n_new, k_new.shape)
    n_active = np.broadcast_to(n_active, k_new.shape)

    share = _ratio(k_new, n_new)
    ci_low, ci_high = wilson_interval(k_new, n_new)
    k_window, n_window = _rolling_sum(k_new, window), _rolling_sum(n_new, window)
    share_window = _ratio(k_window, n_window)
    k_before, n_before = _shifted(k_window, lag), _shifted(n_window, lag)
    change = share_window - _ratio(k_before, n_before)
    p_value = two_proportion_p_value(k_window, n_window, k_before, n_before)
    enough = (n_window >= min_count) & (n_before >= min_count)
    significant = enough & (p_value < alpha)
    direction = np.where(significant & (change > 0), "rising",
                         np.where(significant & (change < 0), "falling", "flat"))
    base = _baseline_slice(baseline, weeks)
    base_share = _ratio(k_new[:, base].sum(axis=1), n_new[:, base].sum(axis=1))[:, None]
    index = _ratio(share * 100, np.broadcast_to(base_share, share.shape))

    columns = {
        c.POSTINGS: n_new, c.MENTIONS: k_new, c.SHARE: share, c.CI_LOW: ci_low, c.CI_HIGH: ci_high,
        c.SHARE_MA4: _ratio(_rolling_sum(k_new, MA_WEEKS), _rolling_sum(n_new, MA_WEEKS)), c.INDEX: index,
        c.NEW_POSTINGS: n_new, c.NEW_MENTIONS: k_new, c.NEW_SHARE: share,
        c.ACTIVE_POSTINGS: n_active, c.ACTIVE_MENTIONS: k_active, c.ACTIVE_SHARE: _ratio(k_active, n_active),
        c.CHANGE: change, c.P_VALUE: p_value, c.DIRECTION: direction,
    }
    # Week-major order (every unit of a week, then the next week), as the report expects.
    out = pd.DataFrame({c.WEEK: np.repeat(weeks, len(units))})
    for key in keys:
        out[key] = np.tile(units[key].to_numpy(), n_weeks)
    for name, values in columns.items():
        out[name] = np.asarray(values).T.ravel()
    for name in (c.POSTINGS, c.MENTIONS, c.NEW_POSTINGS, c.NEW_MENTIONS, c.ACTIVE_POSTINGS, c.ACTIVE_MENTIONS):
        out[name] = out[name].astype("int64")
    return out
