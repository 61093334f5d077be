"""Charts for the report's market sections: one function per chart, a frame from reports/market.py in,
a go.Figure out.

Some of these frames carry scraped or configured text (source names, segment values, discovered
phrases). plotly renders a subset of HTML in titles, tick labels, legends and hover text, so every
string that reaches a figure goes through `_esc` (skill and area names too, though ours), and no
such string is ever put inside a hovertemplate, where "%{...}" in a name would be interpolated:
hover text is built here, as plain escaped strings.

Colours: reports/figures.py's AREA_COLORS (plotly's "Safe" palette, Paul Tol's colour-blind-safe
muted set, plus near-black) for areas and sources; Cividis for heatmaps (reads the same to most
colour-blind readers and in greyscale).
"""
from __future__ import annotations

import html
from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

from pipeline import columns as c
from reports import market as m
from reports.figures import AREA_COLORS, _layout

_PCT_AXIS = "share of ML postings, %"
_SOURCE_COLORS = [*qualitative.Safe, "rgb(34, 34, 34)"]
# A second round of the palette gets a hatch, so two sources never differ by nothing.
_PATTERNS = ["", "/", ".", "x", "-", "|", "+"]
_GREY = "rgb(150, 150, 150)"


def _esc(value: object) -> str:
    # quote=False: plotly decodes &lt; &gt; &amp; in labels but would show &quot; literally
    return html.escape("" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value),
                       quote=False)


def _clip(value: object, limit: int = 160) -> str:
    text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _area_label(area: str, area_names: Mapping[str, str] | None) -> str:
    return _esc((area_names or {}).get(area) or area)


def _pct(value: float) -> str:
    return "–" if value is None or np.isnan(value) else f"{value * 100:.1f}%"


def _money(value: float, currency: str) -> str:
    return "–" if value is None or np.isnan(value) else f"{value:,.0f} {_esc(currency)}"


def _empty(fig: go.Figure, message: str) -> go.Figure:
    fig.add_annotation(text=_esc(message), x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                       font={"size": 15})
    return fig


def skill_cooccurrence_figure(cooccurrence: pd.DataFrame, area_names: Mapping[str, str] | None = None, *,
                              measure: str = m.JACCARD) -> go.Figure:
    """Skill × skill heatmap of `measure` (jaccard or lift) for the top skills; the diagonal is left
    blank on the colour scale (it would be 1, or the count) but its hover gives the skill's own count."""
    if measure not in (m.JACCARD, m.LIFT):
        raise ValueError(f"measure must be {m.JACCARD!r} or {m.LIFT!r}, not {measure!r}")
    fig = go.Figure()
    title = "Skills asked for together in ML postings"
    axis = "skill (most asked first)"
    if cooccurrence.empty:
        _layout(fig, title, "no ML postings with skills in the period", 420)
        fig.update_xaxes(title_text=axis)
        fig.update_yaxes(title_text=axis)
        return _empty(fig, "no data")
    skills = list(dict.fromkeys(cooccurrence[m.SKILL_A]))
    labels = [_esc(s) for s in skills]
    index = {s: i for i, s in enumerate(skills)}
    size = len(skills)
    z = np.full((size, size), np.nan)
    hover = [[""] * size for _ in range(size)]
    for row in cooccurrence.to_dict("records"):
        i, j = index[row[m.SKILL_A]], index[row[m.SKILL_B]]
        a, b = _esc(row[m.SKILL_A]), _esc(row[m.SKILL_B])
        if i == j:
            hover[i][j] = f"{a}: asked for in {row[m.COUNT_A]:,} ML postings"
            continue
        z[i, j] = row[measure]
        lift = "–" if np.isnan(row[m.LIFT]) else f"{row[m.LIFT]:.2f}×"
        hover[i][j] = (f"{a} + {b}: {row[m.BOTH]:,} ML postings ask for both<br>"
                       f"{a}: {row[m.COUNT_A]:,}; {b}: {row[m.COUNT_B]:,}<br>"
                       f"Jaccard {row[m.JACCARD]:.2f} (both ÷ either); lift {lift} (vs independent)")
    colorbar = ("Jaccard (both ÷ either)" if measure == m.JACCARD else "lift (× independent)")
    fig.add_trace(go.Heatmap(
        z=z.tolist(), x=labels, y=labels, text=hover, hovertemplate="%{text}<extra></extra>",
        hoverongaps=True, colorscale="Cividis", zmin=0, xgap=1, ygap=1,
        colorbar={"title": {"text": colorbar}}, meta={"role": measure},
    ))
    fig.update_xaxes(type="category", title_text=axis, tickangle=-45)
    fig.update_yaxes(type="category", title_text=axis, autorange="reversed")
    subtitle = ("Colour: Jaccard index, the share of postings asking for either skill that ask for both"
                if measure == m.JACCARD else "Colour: lift, how many times more often than if the skills were independent")
    return _layout(fig, title, subtitle + "; diagonal: the skill's own count (hover)", 640 + 8 * size, left=220)


def segment_breakdown_figure(breakdown: pd.DataFrame, area_names: Mapping[str, str] | None = None) -> go.Figure:
    """Segments × areas heatmap of shares, with postings per segment in the row label; segments with
    few postings are labelled so and their cells shown with the interval in the hover."""
    fig = go.Figure()
    segment_type = breakdown[c.SEGMENT_TYPE].iloc[0] if not breakdown.empty else "segment"
    readable = _esc(str(segment_type).replace("_", " "))
    title = f"Share of ML postings mentioning each area, by {readable}"
    if breakdown.empty:
        _layout(fig, title, "no ML postings in the period", 420)
        fig.update_xaxes(title_text="skill area")
        fig.update_yaxes(title_text=readable)
        return _empty(fig, "no data")
    segments = list(dict.fromkeys(breakdown[c.SEGMENT]))
    areas = [a for a in c.AREA_IDS if a in set(breakdown[c.AREA])]
    per_segment = breakdown.groupby(c.SEGMENT).agg(n=(c.POSTINGS, "first"), small=(m.SMALL, "first"))
    row_labels = [f"{_esc(_clip(s, 60))} (n={per_segment.at[s, 'n']:,}{', few' if per_segment.at[s, 'small'] else ''})"
                  for s in segments]
    grid = breakdown.set_index([c.SEGMENT, c.AREA])
    z = np.full((len(segments), len(areas)), np.nan)
    hover = [[""] * len(areas) for _ in segments]
    for i, segment in enumerate(segments):
        for j, area in enumerate(areas):
            row = grid.loc[(segment, area)]
            z[i, j] = row[c.SHARE] * 100 if row[c.POSTINGS] else np.nan
            note = "<br>few postings: read as a hint" if row[m.SMALL] else ""
            hover[i][j] = (f"{_esc(segment)}, {_area_label(area, area_names)}: {_pct(row[c.SHARE])} "
                           f"({int(row[c.MENTIONS]):,} of {int(row[c.POSTINGS]):,} ML postings)<br>"
                           f"95% CI {_pct(row[c.CI_LOW])}–{_pct(row[c.CI_HIGH])}{note}")
    fig.add_trace(go.Heatmap(
        z=z.tolist(), x=[_area_label(a, area_names) for a in areas], y=row_labels, text=hover,
        hovertemplate="%{text}<extra></extra>", hoverongaps=False, colorscale="Cividis", zmin=0, zmax=100,
        xgap=1, ygap=1, texttemplate="%{z:.0f}", textfont={"size": 10},
        colorbar={"title": {"text": "share, %"}, "ticksuffix": "%"}, meta={"role": "share"},
    ))
    fig.update_xaxes(type="category", title_text="skill area", tickangle=-30)
    fig.update_yaxes(type="category", title_text=readable, autorange="reversed", automargin=True)
    return _layout(fig, title, "Cell: % of the segment's n ML postings, pooled over the period; "
                   "“few”: under 30 postings, wide intervals (hover)", 340 + 34 * len(segments), left=260)


def salary_by_area_figure(salary: pd.DataFrame, area_names: Mapping[str, str] | None = None) -> go.Figure:
    """Per area, the annual salary midpoints of ML postings mentioning it against those not: median
    (marker), interquartile range (thick bar) and min–max (thin line), with n beside each; groups
    under 10 salaries are hollow."""
    fig = go.Figure()
    title = "Annual salary of ML postings mentioning each area, vs not mentioning it"
    if salary.empty:
        _layout(fig, title, "no ML posting in the period states a salary", 420)
        fig.update_xaxes(title_text="annual salary (midpoint of the stated range)")
        fig.update_yaxes(title_text="skill area")
        return _empty(fig, "no salaries to show")
    currency = str(salary[m.CURRENCY].iloc[0])
    areas = [a for a in c.AREA_IDS if a in set(salary[c.AREA])]
    position = {a: i for i, a in enumerate(areas)}
    for flag, offset, color, name in ((True, -0.18, "rgb(51, 34, 136)", "mentions the area"),
                                      (False, 0.18, "rgb(221, 204, 119)", "does not mention it")):
        rows = salary[salary[m.MENTIONS_AREA] == flag]
        rows = rows.assign(_y=[position[a] + offset for a in rows[c.AREA]])
        shown = rows[rows[m.N] > 0]
        hover = [(f"{_area_label(r[c.AREA], area_names)}, {name}: n = {int(r[m.N]):,}"
                  f"{' (few: read as anecdote)' if r[m.SMALL] else ''}<br>"
                  f"median {_money(r[m.MEDIAN], currency)}; quartiles {_money(r[m.Q1], currency)}–"
                  f"{_money(r[m.Q3], currency)}<br>range {_money(r[m.LOW], currency)}–{_money(r[m.HIGH], currency)}")
                 for r in shown.to_dict("records")]
        for low, high, width, role in ((m.LOW, m.HIGH, 1.5, "range"), (m.Q1, m.Q3, 7, "iqr")):
            xs, ys = [], []
            for r in shown.to_dict("records"):
                xs += [r[low], r[high], None]
                ys += [r["_y"], r["_y"], None]
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line={"color": color, "width": width},
                                     hoverinfo="skip", showlegend=False, legendgroup=name, meta={"role": role}))
        fig.add_trace(go.Scatter(
            x=shown[m.MEDIAN].tolist(), y=shown["_y"].tolist(), mode="markers", name=_esc(name),
            legendgroup=name,
            marker={"color": [("white" if s else color) for s in shown[m.SMALL]], "size": 11,
                    "symbol": "diamond", "line": {"color": color if flag else "rgb(120, 100, 20)", "width": 2}},
            text=[f"n={int(n):,}" for n in shown[m.N]],
            hovertext=hover, hovertemplate="%{hovertext}<extra></extra>", meta={"role": "median", "mentions": flag},
        ))
    n_of = salary.set_index([c.AREA, m.MENTIONS_AREA])[m.N]
    fig.update_yaxes(tickmode="array", tickvals=list(range(len(areas))), autorange="reversed", zeroline=False,
                     ticktext=[f"{_area_label(a, area_names)}<br><sub>n = {n_of[(a, True)]:,} vs {n_of[(a, False)]:,}</sub>"
                               for a in areas],
                     title_text="skill area (n: salaries mentioning vs not)")
    known = salary[salary[m.N] > 0]
    low, high = float(known[m.LOW].min()), float(known[m.HIGH].max())
    pad = max((high - low) * 0.04, high * 0.01)
    fig.update_xaxes(title_text=f"annual salary, {_esc(currency)} (midpoint of the stated range)",
                     tickformat=",.0f", range=[low - pad, high + pad])
    fig.update_layout(legend={"orientation": "h", "y": -0.12})
    return _layout(fig, title, "Diamond: median; thick bar: middle half (quartiles); thin line: lowest to "
                   "highest; hollow: fewer than 10 salaries", 200 + 46 * len(areas), left=180)


def postings_per_source_figure(per_source_week: pd.DataFrame, *, ml_only: bool = False) -> go.Figure:
    """New postings per ISO week, stacked by source, to spot a source that stopped or flooded."""
    value = m.ML_POSTINGS if ml_only else c.POSTINGS
    kind = "ML postings" if ml_only else "postings"
    fig = go.Figure()
    title = f"New {kind} per week, by source"
    if per_source_week.empty:
        _layout(fig, title, "no postings", 420)
        fig.update_xaxes(title_text="ISO week of posting")
        fig.update_yaxes(title_text=f"new {kind} (n)")
        return _empty(fig, "no data")
    weeks = sorted(per_source_week[c.WEEK].astype(str).unique())
    sources = list(per_source_week.groupby(c.SOURCE)[value].sum().sort_values(ascending=False, kind="stable").index)
    for i, source in enumerate(sources):
        rows = per_source_week[per_source_week[c.SOURCE] == source].set_index(c.WEEK).reindex(weeks)
        counts = rows[value].fillna(0).astype(int).tolist()
        name = _esc(_clip(source, 60))
        round_ = i // len(_SOURCE_COLORS)
        fig.add_trace(go.Bar(
            x=weeks, y=counts, name=name,
            marker={"color": _SOURCE_COLORS[i % len(_SOURCE_COLORS)],
                    "pattern": {"shape": _PATTERNS[round_ % len(_PATTERNS)]}},
            hovertext=[f"{name}, {w}: {n:,} new {kind}" for w, n in zip(weeks, counts)],
            hovertemplate="%{hovertext}<extra></extra>", meta={"role": "source"},
        ))
    fig.update_layout(barmode="stack", legend={"title": {"text": "source"}})
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=weeks, title_text="ISO week of posting")
    fig.update_yaxes(title_text=f"new {kind} (n)", rangemode="tozero")
    return _layout(fig, title, "By the week each posting was published (merged duplicates count once, "
                   "under their own source)", 460)


def seed_vs_market_figure(seed_vs_market: pd.DataFrame) -> go.Figure:
    """Slope chart: each area's rank in the founding article (left) and by share of ML postings
    (right); a line going up means the market asks for it more than the article's order suggests."""
    fig = go.Figure()
    title = "The founding article's order of the skill areas vs the market's"
    left, right = "founding article (order named)", "ML postings (share asking)"
    if seed_vs_market.empty:
        _layout(fig, title, "no areas", 420)
        return _empty(fig, "no data")
    n = int(seed_vs_market[c.POSTINGS].max())
    for row in seed_vs_market.to_dict("records"):
        name = _esc(row[m.AREA_NAME])
        color = AREA_COLORS.get(row[c.AREA], _GREY)
        article, market = int(row[m.ARTICLE_RANK]), row[m.MARKET_RANK]
        if np.isnan(market):
            xs, ys, texts = [left], [article], [f"{article}. {name}"]
            hover = f"{name}: named {article} of 12 in the article; no ML postings in the period"
        else:
            market = int(market)
            xs, ys = [left, right], [article, market]
            texts = [f"{article}. {name}", f"{market}. {name} {_pct(row[c.SHARE])}"]
            moved = int(row[m.RANK_DIFFERENCE])
            hover = (f"{name}: article rank {article}, market rank {market} "
                     f"({'up ' + str(moved) if moved > 0 else 'down ' + str(-moved) if moved < 0 else 'same'})<br>"
                     f"{_pct(row[c.SHARE])} of ML postings ({int(row[c.MENTIONS]):,} of {int(row[c.POSTINGS]):,}); "
                     f"95% CI {_pct(row[c.CI_LOW])}–{_pct(row[c.CI_HIGH])}")
        fig.add_trace(go.Scatter(
            x=xs, y=ys, mode="lines+markers+text", name=name, text=texts,
            textposition=["middle left", "middle right"][: len(xs)], textfont={"size": 11, "color": "rgb(40, 40, 40)"},
            line={"color": color, "width": 2.5}, marker={"size": 9, "color": color},
            hovertext=[hover] * len(xs), hovertemplate="%{hovertext}<extra></extra>",
            meta={"role": "area", "area": row[c.AREA]}, showlegend=False,
        ))
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=[left, right],
                     title_text="ranking (1 = first)", range=[-0.9, 1.9])
    fig.update_yaxes(title_text="rank (1 = named first / asked for most)", autorange="reversed", dtick=1,
                     range=[len(seed_vs_market) + 0.5, 0.5])
    return _layout(fig, title, f"Market: share of {n:,} new ML postings in the period asking for the area; "
                   "hover for the 95% interval (close shares make ranks uncertain)", 620)


def unmentioned_demand_figure(unmentioned: pd.DataFrame) -> go.Figure:
    """The most-used phrases of ML postings that the taxonomy (and the article) do not name, as bars
    of share with 95% intervals: candidates for the taxonomy, not findings."""
    fig = go.Figure()
    title = "What ML postings ask for that the founding article does not name"
    if unmentioned.empty:
        _layout(fig, title, "no phrase outside the taxonomy is common enough", 420)
        fig.update_xaxes(title_text=_PCT_AXIS)
        fig.update_yaxes(title_text="phrase")
        return _empty(fig, "no data")
    terms = [_esc(t) for t in unmentioned["term"]]
    share = (unmentioned[c.SHARE] * 100).tolist()
    hover = [f"“{t}”: {_pct(r[c.SHARE])} of ML postings ({int(r[c.POSTINGS]):,}); 95% CI "
             f"{_pct(r[c.CI_LOW])}–{_pct(r[c.CI_HIGH])}; {_esc(r[c.DIRECTION])}<br>{_esc(_clip(r['example']))}"
             for t, r in zip(terms, unmentioned.to_dict("records"))]
    fig.add_trace(go.Bar(
        x=share, y=terms, orientation="h", marker={"color": _SOURCE_COLORS[0]},
        error_x={"type": "data", "symmetric": False, "color": "rgb(60, 60, 60)",
                 "array": (unmentioned[c.CI_HIGH] * 100 - unmentioned[c.SHARE] * 100).tolist(),
                 "arrayminus": (unmentioned[c.SHARE] * 100 - unmentioned[c.CI_LOW] * 100).tolist()},
        hovertext=hover, hovertemplate="%{hovertext}<extra></extra>", meta={"role": "share"},
    ))
    fig.update_yaxes(type="category", autorange="reversed", title_text="phrase (no taxonomy skill matches it)")
    fig.update_xaxes(title_text=_PCT_AXIS, ticksuffix="%", rangemode="tozero")
    return _layout(fig, title, "Share of ML postings using the phrase; whiskers: 95% Wilson interval",
                   200 + 30 * len(terms), left=220)
