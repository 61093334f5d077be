"""The report's charts: one function per chart, the `weekly_area_demand` frame in, a go.Figure out.

Scraped text never enters a figure. plotly renders a subset of HTML in titles, tick labels, legends
and hover labels, so figures carry only area names (our own taxonomy, HTML-escaped all the same),
ISO week labels and numbers.

Shares are recomputed here from `mentions` and `postings`, so a week without ML postings is a gap,
never 0%, and every share comes with its 95% Wilson interval: a week of 12 postings is noisy, and
the reader should see that rather than a confident line.
"""
from __future__ import annotations

import html
from datetime import date, timedelta

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative, unlabel_rgb
from plotly.subplots import make_subplots

from pipeline.columns import AREA, AREA_IDS, MENTIONS, POSTINGS, SHARE, WEEK
from pipeline.stats import wilson_interval

# Report-only columns derived from the counts (not part of any dataset contract).
AREA_NAME = "area_name"
SHARE_PCT = "share_pct"
CI_LOW_PCT = "ci_low_pct"
CI_HIGH_PCT = "ci_high_pct"
PREVIOUS_SHARE_PCT = "previous_share_pct"
CHANGE_PP = "change_pp"

# plotly's Safe palette (Tol / CARTO, colour-blind safe) has 11 colours; the twelfth area gets
# near-black. The second half of the areas is dashed so no pair of lines relies on hue alone.
# zip(strict=True): a taxonomy that grows past 12 areas must choose its colours, not wrap around.
AREA_COLORS: dict[str, str] = dict(zip(AREA_IDS, [*qualitative.Safe, "rgb(34, 34, 34)"], strict=True))
AREA_DASHES: dict[str, str] = {area: "solid" if i < 6 else "dash" for i, area in enumerate(AREA_IDS)}

_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
_PCT_AXIS = "share of ML postings, %"
_WEEK_AXIS = "ISO week"


def iso_week_monday(week: str) -> date:
    """The Monday of an ISO week label such as "2026-W07"; ValueError if there is no such week."""
    return date.fromisocalendar(int(week[:4]), int(week[6:]), 1)


def _iso_week_label(day: date) -> str:
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


def previous_iso_week(week: str) -> str:
    """The ISO week before `week`: "2026-W01" -> "2025-W52", "2027-W01" -> "2026-W53"."""
    return _iso_week_label(iso_week_monday(week) - timedelta(days=7))


def iso_weeks_between(first: str, last: str) -> list[str]:
    """Every ISO week label from `first` to `last`, both included."""
    start, end = iso_week_monday(first), iso_week_monday(last)
    return [_iso_week_label(start + timedelta(weeks=i)) for i in range((end - start).days // 7 + 1)]


def display_names(area_names: dict[str, str]) -> dict[str, str]:
    """Area id -> escaped display name, falling back to the id; escaped because plotly reads HTML."""
    return {area: html.escape(str(area_names.get(area) or area)) for area in AREA_IDS}


def with_intervals(weekly_area_demand: pd.DataFrame, area_names: dict[str, str]) -> pd.DataFrame:
    """The weekly frame completed to every week × all 12 areas, with share and 95% bounds in percent.

    An area missing from a week had no mentions that week. A week between the first and the last
    with no rows at all counts as a week without ML postings, so the charts show a gap where
    collection stopped instead of drawing a line across it.
    """
    if weekly_area_demand.empty:
        raise ValueError("weekly_area_demand is empty: there are no weeks to chart")
    weekly = weekly_area_demand.astype({WEEK: str, AREA: str})
    weeks = iso_weeks_between(weekly[WEEK].min(), weekly[WEEK].max())
    per_week = weekly.groupby(WEEK)[POSTINGS].max()
    grid = pd.MultiIndex.from_product([weeks, AREA_IDS], names=[WEEK, AREA]).to_frame(index=False)
    frame = grid.merge(weekly[[WEEK, AREA, MENTIONS]], on=[WEEK, AREA], how="left")
    frame[POSTINGS] = frame[WEEK].map(per_week).fillna(0).astype("int64")
    frame[MENTIONS] = frame[MENTIONS].fillna(0).astype("int64")
    low, high = wilson_interval(frame[MENTIONS].to_numpy(), frame[POSTINGS].to_numpy())
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(frame[POSTINGS] > 0, frame[MENTIONS] / frame[POSTINGS].replace(0, 1), np.nan)
    frame[SHARE] = share
    frame[SHARE_PCT] = share * 100
    frame[CI_LOW_PCT] = low * 100
    frame[CI_HIGH_PCT] = high * 100
    frame[AREA_NAME] = frame[AREA].map(display_names(area_names))
    return frame


def area_ranking(weekly_area_demand: pd.DataFrame, area_names: dict[str, str], week: str | None = None) -> pd.DataFrame:
    """One row per area for `week` (default: the latest), highest share first, with the change
    in percentage points from the ISO week before (NaN when that week had no ML postings)."""
    frame = with_intervals(weekly_area_demand, area_names)
    week = week or frame[WEEK].max()
    if week not in set(frame[WEEK]):
        raise ValueError(f"week {week!r} is not in weekly_area_demand")
    current = frame[frame[WEEK] == week].set_index(AREA)
    previous = frame[frame[WEEK] == previous_iso_week(week)].set_index(AREA)[SHARE_PCT]
    current[PREVIOUS_SHARE_PCT] = previous.reindex(current.index)
    current[CHANGE_PP] = current[SHARE_PCT] - current[PREVIOUS_SHARE_PCT]
    order = current[SHARE_PCT].fillna(-1).rank(method="first", ascending=False)
    return current.assign(_order=order).sort_values("_order").drop(columns="_order").reset_index()


def _layout(fig: go.Figure, title: str, subtitle: str, height: int, left: int = 70, right: int = 30) -> go.Figure:
    fig.update_layout(
        template="plotly_white",
        title={"text": title, "subtitle": {"text": subtitle}, "x": 0, "xanchor": "left"},
        height=height,
        font={"family": _FONT, "size": 13},
        margin={"l": left, "r": right, "t": 100, "b": 60},
    )
    return fig


def _rgba(color: str, alpha: float) -> str:
    r, g, b = unlabel_rgb(color)
    return f"rgba({r:.0f}, {g:.0f}, {b:.0f}, {alpha})"


def _band_xy(weeks: list[str], low: np.ndarray, high: np.ndarray) -> tuple[list, list]:
    """One closed polygon per run of weeks with data, separated by a gap (fill="toself" closes
    each segment on its own, so a week without postings splits the band instead of bridging it)."""
    xs: list = []
    ys: list = []
    run: list[int] = []
    for i in [*range(len(weeks)), None]:
        if i is not None and not np.isnan(low[i]):
            run.append(i)
            continue
        if run:
            xs += [weeks[j] for j in run] + [weeks[j] for j in reversed(run)] + [weeks[run[-1]]]
            ys += [high[j] for j in run] + [low[j] for j in reversed(run)] + [None]
            run = []
    return xs, ys


def share_trend_figure(weekly_area_demand: pd.DataFrame, area_names: dict[str, str]) -> go.Figure:
    """Share of ML postings mentioning each area, by week: 12 lines with 95% bands, and under them
    the number of ML postings each week, so a jump can be read against the sample it stands on."""
    frame = with_intervals(weekly_area_demand, area_names)
    weeks = sorted(frame[WEEK].unique())
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.76, 0.24], vertical_spacing=0.05)
    band_indices = []
    for area in AREA_IDS:
        rows = frame[frame[AREA] == area].set_index(WEEK).reindex(weeks)
        name = rows[AREA_NAME].iloc[0]
        bx, by = _band_xy(weeks, rows[CI_LOW_PCT].to_numpy(), rows[CI_HIGH_PCT].to_numpy())
        band_indices.append(len(fig.data))
        fig.add_trace(go.Scatter(
            x=bx, y=by, fill="toself", mode="lines", line={"width": 0}, fillcolor=_rgba(AREA_COLORS[area], 0.10),
            legendgroup=area, showlegend=False, hoverinfo="skip", name=f"{name} 95% interval",
            meta={"area": area, "role": "interval"},
        ), row=1, col=1)
        fig.add_trace(go.Scatter(
            x=weeks, y=rows[SHARE_PCT].tolist(), mode="lines+markers", name=name, legendgroup=area,
            line={"color": AREA_COLORS[area], "dash": AREA_DASHES[area], "width": 2}, marker={"size": 5},
            customdata=rows[[MENTIONS, POSTINGS, CI_LOW_PCT, CI_HIGH_PCT]].to_numpy().tolist(),
            hovertemplate=(f"{name}: %{{y:.1f}}% (%{{customdata[0]:,d}} of %{{customdata[1]:,d}}; "
                           "95% CI %{customdata[2]:.1f}–%{customdata[3]:.1f}%)<extra></extra>"),
            meta={"area": area, "role": "share"},
        ), row=1, col=1)
    totals = frame.groupby(WEEK)[POSTINGS].max().reindex(weeks)
    fig.add_trace(go.Bar(
        x=weeks, y=totals.tolist(), name="ML postings", showlegend=False, marker={"color": "rgb(150, 150, 150)"},
        text=totals.tolist(), textposition="outside", cliponaxis=False, textfont={"size": 10},
        hovertemplate="%{x}: %{y:,d} ML postings<extra></extra>", meta={"role": "postings"},
    ), row=2, col=1)
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=weeks)
    fig.update_xaxes(title_text=_WEEK_AXIS, row=2, col=1)
    fig.update_yaxes(title_text=_PCT_AXIS, rangemode="tozero", ticksuffix="%", row=1, col=1)
    fig.update_yaxes(title_text="ML postings (n)", rangemode="tozero", row=2, col=1)
    fig.update_layout(
        hovermode="x unified",
        legend={"title": {"text": "skill area (click to hide, double-click to isolate)"}, "groupclick": "togglegroup"},
        updatemenus=[{
            "type": "buttons", "direction": "right", "x": 1.02, "xanchor": "left", "y": 0, "yanchor": "bottom",
            "showactive": True, "pad": {"r": 0, "t": 0},
            "buttons": [
                {"label": "95% bands on", "method": "restyle", "args": [{"visible": True}, band_indices]},
                {"label": "off", "method": "restyle", "args": [{"visible": False}, band_indices]},
            ],
        }],
    )
    return _layout(
        fig, "Share of ML postings mentioning each skill area, by week",
        "Lines: share; bands: 95% Wilson interval; bars: ML postings that week (small weeks are noisy)", 680,
    )


def _ranking_hover(row: dict) -> str:
    """Hover text from numbers and the escaped area name only."""
    name, k, n = row[AREA_NAME], row[MENTIONS], row[POSTINGS]
    if not n:
        return f"{name}: no ML postings this week"
    text = (f"{name}: {row[SHARE_PCT]:.1f}% ({k:,} of {n:,} ML postings)<br>"
            f"95% CI {row[CI_LOW_PCT]:.1f}–{row[CI_HIGH_PCT]:.1f}%")
    if np.isnan(row[PREVIOUS_SHARE_PCT]):
        return text + "<br>previous week: no ML postings, no change to show"
    return text + f"<br>previous week {row[PREVIOUS_SHARE_PCT]:.1f}%, change {row[CHANGE_PP]:+.1f} pp"


def _ranking_label(share: float, change: float) -> str:
    if np.isnan(share):
        return "no data"
    if np.isnan(change):
        return f"{share:.1f}%  (no previous week)"
    arrow = "▲" if change > 0 else "▼" if change < 0 else "="
    return f"{share:.1f}%  {arrow} {abs(change):.1f} pp"


def area_ranking_figure(weekly_area_demand: pd.DataFrame, area_names: dict[str, str], week: str | None = None) -> go.Figure:
    """The week's ranking of the 12 areas with 95% intervals and a tick at the previous week's share,
    so a change can be judged against the interval rather than read as news."""
    ranking = area_ranking(weekly_area_demand, area_names, week)
    week = ranking[WEEK].iloc[0]
    n = int(ranking[POSTINGS].iloc[0])
    names = ranking[AREA_NAME].tolist()
    fig = go.Figure()
    fig.add_trace(go.Bar(
        x=ranking[SHARE_PCT].tolist(), y=names, orientation="h", name=f"{week}",
        marker={"color": [AREA_COLORS[a] for a in ranking[AREA]]},
        error_x={"type": "data", "symmetric": False, "color": "rgb(60, 60, 60)", "thickness": 1.2,
                 "array": (ranking[CI_HIGH_PCT] - ranking[SHARE_PCT]).tolist(),
                 "arrayminus": (ranking[SHARE_PCT] - ranking[CI_LOW_PCT]).tolist()},
        hovertext=[_ranking_hover(row) for row in ranking.to_dict("records")],
        hovertemplate="%{hovertext}<extra></extra>",
        meta={"role": "share", "week": week},
    ))
    fig.add_trace(go.Scatter(
        x=ranking[PREVIOUS_SHARE_PCT].tolist(), y=names, mode="markers", name=f"{previous_iso_week(week)} (previous week)",
        marker={"symbol": "line-ns", "size": 18, "line": {"width": 3, "color": "rgb(20, 20, 20)"}},
        hovertemplate="%{y}: %{x:.1f}% the week before<extra></extra>", meta={"role": "previous"},
    ))
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=names, autorange="reversed",
                     title_text="skill area")
    top = np.nanmax(np.r_[ranking[CI_HIGH_PCT].to_numpy(), ranking[PREVIOUS_SHARE_PCT].to_numpy(), 1.0])
    fig.update_xaxes(title_text=_PCT_AXIS, range=[0, min(100, top * 1.25 + 5)], ticksuffix="%")
    # The numbers sit in a column right of the plot, where whiskers and ticks cannot cover them.
    for name, share, change in zip(names, ranking[SHARE_PCT], ranking[CHANGE_PP]):
        fig.add_annotation(x=1.01, xref="paper", xanchor="left", y=name, yref="y", showarrow=False, align="left",
                           text=_ranking_label(share, change))
    fig.add_annotation(x=1.01, xref="paper", xanchor="left", y=1.0, yref="paper", yanchor="bottom", showarrow=False,
                       text="<b>share · vs previous week</b>", font={"size": 11})
    fig.update_layout(showlegend=False, bargap=0.25)
    subtitle = (f"n = {n:,} ML postings; whiskers: 95% Wilson interval; black tick: share in {previous_iso_week(week)}"
                if n else "no ML postings this week: no shares to rank")
    return _layout(fig, f"Skill areas in week {week}, ranked by share of ML postings", subtitle, 560, left=180, right=190)


def area_heatmap_figure(weekly_area_demand: pd.DataFrame, area_names: dict[str, str]) -> go.Figure:
    """Area × week shares on one colour scale, for the pattern across all areas at a glance;
    blank cells are weeks without ML postings. Cividis because it reads the same to most
    colour-blind readers and in greyscale."""
    frame = with_intervals(weekly_area_demand, area_names)
    weeks = sorted(frame[WEEK].unique())
    names = display_names(area_names)
    def grid(column: str) -> np.ndarray:
        return frame.pivot(index=AREA, columns=WEEK, values=column).reindex(index=list(AREA_IDS), columns=weeks).to_numpy(dtype=float)
    z = grid(SHARE_PCT)
    custom = np.stack([grid(MENTIONS), grid(POSTINGS), grid(CI_LOW_PCT), grid(CI_HIGH_PCT)], axis=-1)
    zmax = float(np.nanmax(z)) if np.isfinite(z).any() else 1.0
    fig = go.Figure(go.Heatmap(
        z=z.tolist(), x=weeks, y=[names[a] for a in AREA_IDS], customdata=custom.tolist(),
        colorscale="Cividis", zmin=0, zmax=max(zmax, 1.0), xgap=1, ygap=1, hoverongaps=False,
        colorbar={"title": {"text": "share, %"}, "ticksuffix": "%"},
        texttemplate="%{z:.0f}" if len(weeks) <= 26 else None, textfont={"size": 10},
        hovertemplate=("%{y}, %{x}: %{z:.1f}% (%{customdata[0]:,d} of %{customdata[1]:,d} ML postings)<br>"
                       "95% CI %{customdata[2]:.1f}–%{customdata[3]:.1f}%<extra></extra>"),
        meta={"role": "share"},
    ))
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=weeks, title_text=_WEEK_AXIS)
    fig.update_yaxes(type="category", autorange="reversed", title_text="skill area")
    return _layout(fig, "Share of ML postings mentioning each area, area × week (%)",
                   "Cell: % of that week's ML postings; blank: no ML postings that week", 520, left=180)
