"""The report's charts: one function per chart, the `weekly_area_demand` frame in, a go.Figure out.

Scraped text never enters a figure. plotly renders a subset of HTML in titles, tick labels, legends
and hover labels, so figures carry only area and skill names (our own taxonomy, HTML-escaped all the
same), ISO week labels and numbers. Numbers are rounded to what the page shows and the weekly charts
share one x definition (x0 + dx), which keeps a 3-year page small.

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
from plotly.colors import unlabel_rgb
from plotly.subplots import make_subplots

from pipeline.columns import (
    ACTIVE_MENTIONS, ACTIVE_POSTINGS, ACTIVE_SHARE, AREA, AREA_IDS, INDEX, MENTIONS, POSTINGS, SHARE, SHARE_MA4, WEEK,
)
from pipeline.stats import wilson_interval

# Report-only columns derived from the counts (not part of any dataset contract).
AREA_NAME = "area_name"
SHARE_PCT = "share_pct"
CI_LOW_PCT = "ci_low_pct"
CI_HIGH_PCT = "ci_high_pct"
PREVIOUS_SHARE_PCT = "previous_share_pct"
CHANGE_PP = "change_pp"

# Twelve colours for twelve areas: Paul Tol's "muted" scheme (9 colours, designed to stay apart for
# the common colour-vision deficiencies) plus Okabe-Ito's orange, blue and black. Hue alone cannot keep
# 12 lines apart for every reader, so areas 7-12 are also dashed and every area has its own marker.
# zip(strict=True): a taxonomy that grows past 12 areas must choose its colours, not wrap around.
AREA_COLORS: dict[str, str] = dict(zip(AREA_IDS, [
    "rgb(51, 34, 136)", "rgb(204, 102, 119)", "rgb(17, 119, 51)", "rgb(136, 204, 238)", "rgb(221, 204, 119)",
    "rgb(136, 34, 85)", "rgb(68, 170, 153)", "rgb(153, 153, 51)", "rgb(170, 68, 153)", "rgb(230, 159, 0)",
    "rgb(0, 114, 178)", "rgb(0, 0, 0)",
], strict=True))
AREA_DASHES: dict[str, str] = {area: "solid" if i < 6 else "dash" for i, area in enumerate(AREA_IDS)}
AREA_SYMBOLS: dict[str, str] = dict(zip(AREA_IDS, [
    "circle", "square", "diamond", "triangle-up", "triangle-down", "cross",
    "x", "star", "hexagon", "pentagon", "triangle-left", "hourglass"], strict=True))
# A change is drawn in colour only when significant: blue up, vermillion down (Okabe-Ito), grey otherwise.
RISING_COLOR, FALLING_COLOR, FLAT_COLOR = "rgb(0, 114, 178)", "rgb(213, 94, 0)", "rgb(187, 187, 187)"
FLAT_TEXT_COLOR = "rgb(130, 130, 130)"

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
    # quote=False: plotly's label renderer decodes &lt; &gt; &amp; but shows &quot; literally
    return {area: html.escape(str(area_names.get(area) or area), quote=False) for area in AREA_IDS}


# Optional weekly columns carried to the charts when the table has them (older tables lack them).
_CARRIED = (SHARE_MA4, INDEX, ACTIVE_POSTINGS, ACTIVE_MENTIONS, ACTIVE_SHARE)


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
    carried = [column for column in _CARRIED if column in weekly.columns]
    grid = pd.MultiIndex.from_product([weeks, AREA_IDS], names=[WEEK, AREA]).to_frame(index=False)
    frame = grid.merge(weekly[[WEEK, AREA, MENTIONS, *carried]], on=[WEEK, AREA], how="left")
    frame[POSTINGS] = frame[WEEK].map(per_week).fillna(0).astype("int64")
    frame[MENTIONS] = frame[MENTIONS].fillna(0).astype("int64")
    low, high = wilson_interval(frame[MENTIONS].to_numpy(), frame[POSTINGS].to_numpy())
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(frame[POSTINGS] > 0, frame[MENTIONS] / frame[POSTINGS].replace(0, 1), np.nan)
    frame[SHARE] = share
    frame[SHARE_PCT] = share * 100
    frame[CI_LOW_PCT] = low * 100
    frame[CI_HIGH_PCT] = high * 100
    for column in _CARRIED:
        if column not in frame:
            frame[column] = np.nan
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


# plotly_white's look without its per-trace-type defaults: the full template is ~9 kB of JSON in
# every chart of the page.
_AXIS = {"gridcolor": "rgb(235, 240, 248)", "linecolor": "rgb(235, 240, 248)", "zerolinecolor": "rgb(235, 240, 248)",
         "ticks": "", "automargin": True}
_TEMPLATE = go.layout.Template(layout={
    "paper_bgcolor": "white", "plot_bgcolor": "white", "xaxis": _AXIS, "yaxis": _AXIS,
    "hoverlabel": {"align": "left"}, "font": {"color": "rgb(42, 63, 95)"},
})


def _layout(fig: go.Figure, title: str, subtitle: str, height: int, left: int = 70, right: int = 30,
            top: int = 100) -> go.Figure:
    fig.update_layout(
        template=_TEMPLATE,
        title={"text": title, "subtitle": {"text": subtitle}, "x": 0, "xanchor": "left"},
        height=height,
        font={"family": _FONT, "size": 13},
        margin={"l": left, "r": right, "t": top, "b": 60},
    )
    return fig


def _rgba(color: str, alpha: float) -> str:
    r, g, b = unlabel_rgb(color)
    return f"rgba({r:.0f}, {g:.0f}, {b:.0f}, {alpha})"


def rounded(values, digits: int = 1) -> list:
    """Plain floats rounded for the page, None (a gap in plotly) for NaN: 3 years of weekly
    lines in full float precision would cost more bytes than the charts' library."""
    array = np.round(np.asarray(values, dtype=float), digits)
    return [None if v != v else v for v in array.tolist()]


def _counts(values) -> list:
    array = np.asarray(values, dtype=float)
    return [None if v != v else int(v) for v in array.tolist()]


# Which view of the trend chart shows a trace (the chart's buttons switch between them).
VIEW_SHARE, VIEW_INDEX, VIEW_ACTIVE = "share", "index", "active"
TREND_VIEWS = {
    VIEW_SHARE: ("Share", _PCT_AXIS, "%",
                 "Markers: weekly share of new ML postings; lines: 4-week moving average; bands: 95% Wilson interval"),
    VIEW_INDEX: ("Index vs baseline", "index (baseline share = 100)", "",
                 "Weekly share ÷ the area's share in the baseline weeks (the first 4) × 100"),
    VIEW_ACTIVE: ("New vs active", "share of ML postings, %", "%",
                  "Lines: share of active (open) ML postings; markers: share of new postings that week"),
}
_WEEK_MS = 7 * 24 * 3600 * 1000
DETAILED_HOVER_WEEKS = 53


def share_trend_figure(weekly_area_demand: pd.DataFrame, area_names: dict[str, str]) -> go.Figure:
    """Share of ML postings mentioning each area, by week, with three views behind buttons: the
    weekly share with its 95% band and 4-week average, the index against the baseline, and new
    against active postings. Under it the week's ML postings, the sample every share stands on.

    The weeks are a date axis built from x0 and a 7-day step (labelled as ISO weeks), so no trace
    repeats the week labels."""
    frame = with_intervals(weekly_area_demand, area_names)
    weeks = sorted(frame[WEEK].unique())
    common = {"x0": iso_week_monday(weeks[0]).isoformat(), "dx": _WEEK_MS, "xhoverformat": "%G-W%V"}
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.76, 0.24], vertical_spacing=0.05)
    shown_in: list[set[str]] = []
    detailed = len(weeks) <= DETAILED_HOVER_WEEKS

    def add(trace: go.Scatter | go.Bar, views: set[str], row: int = 1) -> None:
        trace.visible = VIEW_SHARE in views
        fig.add_trace(trace, row=row, col=1)
        shown_in.append(views)

    for area in AREA_IDS:
        rows = frame[frame[AREA] == area].set_index(WEEK).reindex(weeks)
        name, color = rows[AREA_NAME].iloc[0], AREA_COLORS[area]
        line = {"color": color, "dash": AREA_DASHES[area], "width": 2.2}
        band = {"mode": "lines", "line": {"width": 0}, "hoverinfo": "skip", "showlegend": False, "legendgroup": area}
        add(go.Scatter(y=rounded(rows[CI_LOW_PCT]), name=f"{name} 95% interval, low",
                       meta={"area": area, "role": "interval"}, **band, **common), {VIEW_SHARE})
        add(go.Scatter(y=rounded(rows[CI_HIGH_PCT]), name=f"{name} 95% interval", fill="tonexty",
                       fillcolor=_rgba(color, 0.10), meta={"area": area, "role": "interval"}, **band, **common),
            {VIEW_SHARE})
        # Counts and interval only: the 4-week average is the line itself, and every byte here is
        # paid 12 x weeks times on a 3-year page.
        custom = np.column_stack([rows[MENTIONS], rows[POSTINGS], np.round(rows[CI_LOW_PCT]), np.round(rows[CI_HIGH_PCT])])
        add(go.Scatter(
            y=rounded(rows[SHARE_PCT]), mode="markers", name=name, legendgroup=area, showlegend=False,
            marker={"color": color, "symbol": AREA_SYMBOLS[area], "size": 6, "opacity": 0.7},
            # Past a year of weeks the counts leave the hover (the heatmap and the tables keep them):
            # they would cost more bytes than all the lines together.
            customdata=[[None if v != v else int(v) for v in r] for r in custom.tolist()] if detailed else None,
            hovertemplate=(f"{name}: %{{y:.1f}}% (%{{customdata[0]:,d}} of %{{customdata[1]:,d}}; 95% CI "
                           "%{customdata[2]:.0f}–%{customdata[3]:.0f}%)<extra></extra>" if detailed
                           else f"{name}: %{{y:.1f}}%<extra></extra>"),
            meta={"area": area, "role": "share"}, **common), {VIEW_SHARE, VIEW_ACTIVE})
        add(go.Scatter(y=rounded(rows[SHARE_MA4] * 100), mode="lines", name=name, legendgroup=area, line=line,
                       hoverinfo="skip", meta={"area": area, "role": "share_ma4"}, **common), {VIEW_SHARE})
        add(go.Scatter(y=rounded(rows[INDEX], 0), mode="lines+markers", name=name, legendgroup=area, line=line,
                       marker={"symbol": AREA_SYMBOLS[area], "size": 5},
                       hovertemplate=f"{name}: index %{{y:.0f}}<extra></extra>",
                       meta={"area": area, "role": "index"}, **common), {VIEW_INDEX})
        add(go.Scatter(y=rounded(rows[ACTIVE_SHARE] * 100), mode="lines", name=name, legendgroup=area, line=line,
                       customdata=_counts(rows[ACTIVE_MENTIONS]),  # the week's open postings: the bars' hover
                       hovertemplate=f"{name}, active: %{{y:.1f}}% (%{{customdata:,d}} open ML postings)<extra></extra>",
                       meta={"area": area, "role": "active_share"}, **common), {VIEW_ACTIVE})
    add(go.Scatter(y=[100] * len(weeks), mode="lines", name="baseline", showlegend=False, hoverinfo="skip",
                   line={"color": "rgb(90, 90, 90)", "width": 1, "dash": "dot"}, meta={"role": "baseline"}, **common),
        {VIEW_INDEX})
    totals = frame.groupby(WEEK)[POSTINGS].max().reindex(weeks)
    few = len(weeks) <= 30
    add(go.Bar(y=_counts(totals), name="new ML postings", showlegend=False, marker={"color": "rgb(150, 150, 150)"},
               text=_counts(totals) if few else None, textposition="outside", cliponaxis=False, textfont={"size": 10},
               hovertemplate="%{y:,d} new ML postings<extra></extra>", meta={"role": "postings"}, **common),
        {VIEW_SHARE, VIEW_INDEX}, row=2)
    open_ = frame.groupby(WEEK)[ACTIVE_POSTINGS].max().reindex(weeks)
    add(go.Bar(y=_counts(open_), name="active ML postings", showlegend=False, marker={"color": "rgb(120, 120, 120)"},
               text=_counts(open_) if few else None, textposition="outside", cliponaxis=False, textfont={"size": 10},
               hovertemplate="%{y:,d} active ML postings<extra></extra>", meta={"role": "active_postings"}, **common),
        {VIEW_ACTIVE}, row=2)
    buttons = []
    for view, (label, axis, suffix, subtitle) in TREND_VIEWS.items():
        bars = "active ML postings (open that week)" if view == VIEW_ACTIVE else "new ML postings"
        buttons.append({"label": label, "method": "update", "args": [
            {"visible": [view in views for views in shown_in]},
            {"yaxis.title.text": axis, "yaxis.ticksuffix": suffix, "yaxis2.title.text": f"{bars} (n)",
             "title.subtitle.text": f"{subtitle}; bars: {bars} each week"},
        ]})
    fig.update_xaxes(type="date", tickformat="%G-W%V", hoverformat="%G-W%V")
    fig.update_xaxes(title_text=_WEEK_AXIS, row=2, col=1)
    fig.update_yaxes(title_text=_PCT_AXIS, rangemode="tozero", ticksuffix="%", row=1, col=1)
    fig.update_yaxes(title_text="new ML postings (n)", rangemode="tozero", row=2, col=1)
    fig.update_layout(
        hovermode="x unified", bargap=0.15 if few else 0.05,
        legend={"title": {"text": "skill area (click to hide, double-click to isolate)"}, "groupclick": "togglegroup"},
        updatemenus=[{"type": "buttons", "direction": "right", "x": 0, "xanchor": "left", "y": 1.01, "yanchor": "bottom",
                      "showactive": True, "active": 0, "pad": {"b": 6}, "buttons": buttons}],
    )
    return _layout(fig, "Share of ML postings mentioning each skill area, by week",
                   f"{TREND_VIEWS[VIEW_SHARE][3]}; bars: new ML postings each week", 760, top=150)


def change_label(change_pp: float, significant: bool, direction: str, p_phrase: str) -> str:
    """The words on a change bar: rising/falling only for a significant change."""
    if change_pp != change_pp:
        return "no earlier period"
    if significant:
        arrow = "▲" if direction == "rising" else "▼"
        return f"{arrow} {direction} {change_pp:+.1f} pp, {p_phrase}"
    return f"{change_pp:+.1f} pp, not significant"


def ranking_figure(period: pd.DataFrame, labels: list[str], colors: list[str], *, title: str, subtitle: str,
                   hover_names: list[str] | None = None) -> go.Figure:
    """Ranked shares this week (bars with 95% whiskers) beside each one's change between the two
    PERIOD_WEEKS-week periods. `period` is a reports.demand.period_table frame in display order; `labels` and
    `hover_names` are escaped display names. A change that is not significant is drawn grey and its
    label never says rising or falling."""
    from reports import demand as d

    hover_names = hover_names or labels
    share = period[d.WEEK_SHARE_PCT].to_numpy(dtype=float)
    change = period[d.CHANGE_PERIOD_PP].to_numpy(dtype=float)
    significant = period[d.SIGNIFICANT].astype(bool).tolist()
    directions = period[d.DIRECTION].astype(str).tolist()
    bar_colors = [(RISING_COLOR if dr == "rising" else FALLING_COLOR) if sig else FLAT_COLOR
                  for sig, dr in zip(significant, directions)]
    text_colors = [c if sig else FLAT_TEXT_COLOR for c, sig in zip(bar_colors, significant)]
    texts = [change_label(ch, sig, dr, d.p_phrase(p))
             for ch, sig, dr, p in zip(change, significant, directions, period[d.P_VALUE])]
    rows = period.to_dict("records")
    share_hover = [
        f"{nm}: {r[d.WEEK_SHARE_PCT]:.1f}% ({r[MENTIONS]:,} of {r[POSTINGS]:,} ML postings)<br>"
        f"95% CI {r[d.WEEK_CI_LOW_PCT]:.1f}–{r[d.WEEK_CI_HIGH_PCT]:.1f}%" if r[POSTINGS] else f"{nm}: no ML postings"
        for nm, r in zip(hover_names, rows)]
    change_hover = [
        f"{nm}: {r[d.SHARE_NOW_PCT]:.1f}% of {r[d.N_NOW]:,} postings in the last {d.PERIOD_WEEKS} weeks<br>"
        f"vs {r[d.SHARE_BEFORE_PCT]:.1f}% of {r[d.N_BEFORE]:,} in the {d.PERIOD_WEEKS} weeks before<br>{html.escape(r[d.VERDICT])}"
        if r[d.N_NOW] and r[d.N_BEFORE] else f"{nm}: {html.escape(r[d.VERDICT])}"
        for nm, r in zip(hover_names, rows)]
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, column_widths=[0.5, 0.5], horizontal_spacing=0.03,
                        subplot_titles=["share of this week's ML postings, %",
                                        f"change: last {d.PERIOD_WEEKS} weeks vs the {d.PERIOD_WEEKS} before, pp"])
    fig.add_trace(go.Bar(
        x=rounded(share), y=labels, orientation="h", marker={"color": colors}, name="share this week",
        error_x={"type": "data", "symmetric": False, "color": "rgb(60, 60, 60)", "thickness": 1.2,
                 "array": rounded(period[d.WEEK_CI_HIGH_PCT] - period[d.WEEK_SHARE_PCT]),
                 "arrayminus": rounded(period[d.WEEK_SHARE_PCT] - period[d.WEEK_CI_LOW_PCT])},
        hovertext=share_hover, hovertemplate="%{hovertext}<extra></extra>", meta={"role": "share"},
    ), row=1, col=1)
    fig.add_trace(go.Bar(
        x=[0 if v != v else v for v in rounded(change)], y=labels, orientation="h", name="change",
        marker={"color": bar_colors}, text=texts, textposition="outside", cliponaxis=False,
        textfont={"color": text_colors, "size": 11}, hovertext=change_hover,
        hovertemplate="%{hovertext}<extra></extra>", meta={"role": "change", "significant": significant},
    ), row=1, col=2)
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=labels, autorange="reversed")
    top = np.nanmax(np.r_[period[d.WEEK_CI_HIGH_PCT].to_numpy(dtype=float), 1.0])
    reach = np.nanmax(np.r_[np.abs(change), 1.0])
    fig.update_xaxes(range=[0, min(100, top * 1.1 + 2)], ticksuffix="%", title_text="share, %", row=1, col=1)
    fig.update_xaxes(range=[-reach * 2.6, reach * 2.6], ticksuffix=" pp", zeroline=True, zerolinecolor="rgb(90, 90, 90)",
                     title_text="change, percentage points", row=1, col=2)
    fig.update_layout(showlegend=False, bargap=0.25)
    return _layout(fig, title, subtitle, 160 + 26 * len(labels), left=230, right=170)


def area_ranking_figure(weekly_area_demand: pd.DataFrame, area_names: dict[str, str], week: str | None = None) -> go.Figure:
    """The week's ranking of the 12 areas with 95% intervals, beside each area's period change."""
    from reports import demand as d

    frame = with_intervals(weekly_area_demand, area_names)  # checks the table and fills its week grid
    week = week or frame[WEEK].max()
    table = weekly_area_demand.astype({WEEK: str, AREA: str})
    period = d.ranked(d.period_table(table, [AREA], week))
    names = display_names(area_names)
    n = int(period[POSTINGS].iloc[0])
    subtitle = (f"n = {n:,} ML postings this week; whiskers: 95% Wilson interval; grey change: not significant"
                if n else "no ML postings this week: no shares to rank")
    return ranking_figure(period, [names[a] for a in period[AREA]], [AREA_COLORS[a] for a in period[AREA]],
                          title=f"Skill areas in week {week}, ranked by share of ML postings", subtitle=subtitle)


def area_heatmap_figure(weekly_area_demand: pd.DataFrame, area_names: dict[str, str]) -> go.Figure:
    """Area × week shares on one colour scale, for the pattern across all areas at a glance;
    blank cells are weeks without ML postings. Cividis because it reads the same to most
    colour-blind readers and in greyscale."""
    frame = with_intervals(weekly_area_demand, area_names)
    weeks = sorted(frame[WEEK].unique())
    names = display_names(area_names)

    def grid(column: str) -> np.ndarray:
        return (frame.pivot(index=AREA, columns=WEEK, values=column)
                .reindex(index=list(AREA_IDS), columns=weeks).to_numpy(dtype=float))

    z = grid(SHARE_PCT)
    zmax = float(np.nanmax(z)) if np.isfinite(z).any() else 1.0
    fig = go.Figure(go.Heatmap(
        z=[rounded(row) for row in z], x=weeks, y=[names[a] for a in AREA_IDS],
        customdata=[_counts(row) for row in grid(MENTIONS)],  # the week's postings: the trend chart's bars
        colorscale="Cividis", zmin=0, zmax=max(zmax, 1.0), xgap=1 if len(weeks) <= 60 else 0,
        ygap=1, hoverongaps=False,
        colorbar={"title": {"text": "share, %"}, "ticksuffix": "%"},
        texttemplate="%{z:.0f}" if len(weeks) <= 26 else None, textfont={"size": 10},
        hovertemplate="%{y}, %{x}: %{z:.1f}% (%{customdata:,d} ML postings)<extra></extra>",
        meta={"role": "share"},
    ))
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=weeks, title_text=_WEEK_AXIS)
    fig.update_yaxes(type="category", autorange="reversed", title_text="skill area")
    return _layout(fig, "Share of ML postings mentioning each area, area × week (%)",
                   "Cell: % of that week's new ML postings; blank: no ML postings that week", 520, left=180)
