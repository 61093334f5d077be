"""Writes the week's report page and the archive page that links every week's page.

Scraped text (titles, companies, locations, sources, URLs, run errors) reaches a page only through
the jinja2 templates with autoescape on, and becomes a link only when its scheme is http(s). Each
page also carries a Content-Security-Policy naming the hash of every inline script it ships, so a
script that slipped in any other way would not run, and nothing is loaded from the network.
"""
from __future__ import annotations

import base64
import hashlib
import os
import re
import tempfile
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from plotly.offline import get_plotlyjs

from pipeline.columns import (
    AREA, AREA_IDS, COMPANY, IS_ML, LOCATION, MENTIONS, POSTED_AT, POSTINGS, SOURCE,
    TAXONOMY_VERSION, TITLE, URL, WEEK,
)
from reports.figures import (
    AREA_COLORS, CHANGE_PP, CI_HIGH_PCT, CI_LOW_PCT, SHARE_PCT, area_heatmap_figure, area_ranking,
    area_ranking_figure, iso_week_monday, share_trend_figure, with_intervals,
)

TEMPLATES_DIR = Path(__file__).parent / "templates"
WEEK_PATTERN = re.compile(r"\d{4}-W(0[1-9]|[1-4]\d|5[0-3])")
RECENT_POSTINGS = 15
RECENT_RUNS = 20
# Below 30 ML postings a share's 95% interval is wider than ±15 points around 50%.
SMALL_WEEK = 30
TEXT_LIMIT = 160

# The runs log has no entry in pipeline/columns.py yet; these are its other column names.
STARTED_AT, FINISHED_AT, STATUS, ERROR = "started_at", "finished_at", "status", "error"

_POSTINGS_NEEDED = (WEEK, IS_ML, TITLE, COMPANY, LOCATION, SOURCE, URL, POSTED_AT)
_DEMAND_NEEDED = (WEEK, AREA, POSTINGS, MENTIONS)
# What plotly's own full-page output sets before its bundle (MathJax, unused here, is left alone).
_PLOTLY_PRELUDE = "window.PlotlyConfig = {MathJaxConfig: 'local'};\n"


def build_report(
    weekly_area_demand: pd.DataFrame,
    postings: pd.DataFrame,
    area_names: dict[str, str],
    out_dir: Path,
    *,
    generated_at: datetime,
    taxonomy_version: str,
    source_runs: pd.DataFrame | None = None,
) -> Path:
    """Write `out_dir/<latest week>/index.html` and refresh `out_dir/index.html`; return the former.

    Raises ValueError when there is nothing to report or the weekly table breaks its contract,
    rather than writing a page that looks fine and says nothing.
    """
    weekly = _checked_demand(weekly_area_demand)
    _require_columns(postings, _POSTINGS_NEEDED, "postings")
    week = weekly[WEEK].max()
    figures = {
        "trend": share_trend_figure(weekly, area_names),
        "ranking": area_ranking_figure(weekly, area_names, week),
        "heatmap": area_heatmap_figure(weekly, area_names),
    }
    charts = {key: _chart_html(fig, key, week) for key, fig in figures.items()}
    plotly_script = _PLOTLY_PRELUDE + _plotlyjs()
    scripts = [plotly_script, *(_inline_script(chart) for chart in charts.values())]
    headline = _headline(weekly, with_intervals(weekly, area_names), postings, week)
    page = _env().get_template("report.html.j2").render(
        week=week,
        week_dates=_week_dates(week),
        csp=_report_csp(scripts),
        plotly_script=Markup(plotly_script),
        charts={key: Markup(chart) for key, chart in charts.items()},
        headline=headline,
        small_week=headline["ml_postings_week"] < SMALL_WEEK,
        small_week_limit=SMALL_WEEK,
        ranking=_ranking_rows(weekly, area_names, week),
        recent=_recent_postings(postings, week),
        recent_limit=RECENT_POSTINGS,
        runs=_run_rows(source_runs),
        flagged=_source_flags(source_runs)[0],
        robots_overrides=_source_flags(source_runs)[1],
        runs_limit=RECENT_RUNS,
        taxonomy_version=taxonomy_version,
        data_taxonomy_versions=_data_taxonomy_versions(weekly_area_demand),
        generated=_format_time(generated_at),
    )
    out_dir = Path(out_dir)
    page_path = out_dir / week / "index.html"
    _write_atomic(page_path, page)
    _write_archive(out_dir, generated_at)
    return page_path


def report_from_dataset(data_dir: str | Path, taxonomy, out_dir: Path, *, generated_at: datetime) -> Path:
    """`build_report` fed from the cleaned dataset and the runs log under `data_dir` (a `Taxonomy` names the areas)."""
    from pipeline.dataset import read_meta, read_table
    from scraper.rawstore import RawStore

    meta = read_meta(data_dir)
    runs = RawStore(data_dir).read_runs()
    return build_report(
        read_table(data_dir, "weekly_area_demand"),
        read_table(data_dir, "postings"),
        {area: taxonomy.area_name(area) for area in AREA_IDS},
        out_dir,
        generated_at=generated_at,
        taxonomy_version=meta["taxonomy_version"],
        source_runs=pd.DataFrame(runs) if runs else None,
    )


def safe_href(url: object) -> str | None:
    """The URL to link to if its scheme is http or https and it names a host, else None.

    urlsplit drops the tabs, newlines and leading control characters that browsers also ignore,
    so "java\\tscript:" and " javascript:" are seen for what they are; relative and
    scheme-relative URLs are refused because a scraped link should say where it goes.
    """
    if not isinstance(url, str):
        return None
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return urlunsplit(parts)


def _checked_demand(weekly_area_demand: pd.DataFrame) -> pd.DataFrame:
    _require_columns(weekly_area_demand, _DEMAND_NEEDED, "weekly_area_demand")
    if weekly_area_demand.empty:
        raise ValueError(
            "weekly_area_demand has no rows, so there is no week to report: "
            "collect postings and run the pipeline before building the report"
        )
    weekly = weekly_area_demand.astype({WEEK: str, AREA: str})
    bad_weeks = sorted(w for w in weekly[WEEK].unique() if not _is_iso_week(w))
    if bad_weeks:
        raise ValueError(f"weekly_area_demand: weeks must be existing ISO weeks like '2026-W07', got {bad_weeks[:5]}")
    unknown = sorted(set(weekly[AREA]) - set(AREA_IDS))
    if unknown:
        raise ValueError(f"weekly_area_demand: unknown area ids {unknown[:5]}; expected ids from AREA_IDS")
    for column in (POSTINGS, MENTIONS):
        values = pd.to_numeric(weekly[column], errors="coerce")
        if values.isna().any() or (values < 0).any() or (values != values.round()).any():
            raise ValueError(f"weekly_area_demand: {column!r} must hold whole non-negative counts")
        weekly[column] = values.astype("int64")
    if (weekly[MENTIONS] > weekly[POSTINGS]).any():
        raise ValueError("weekly_area_demand: an area has more mentions than the week has ML postings")
    if weekly.duplicated([WEEK, AREA]).any():
        raise ValueError("weekly_area_demand: more than one row for the same week and area")
    if (weekly.groupby(WEEK)[POSTINGS].nunique() > 1).any():
        raise ValueError("weekly_area_demand: areas of the same week disagree on the week's ML postings")
    return weekly


def _require_columns(frame: object, needed: tuple[str, ...], name: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [column for column in needed if column not in frame.columns]
    if missing:
        raise ValueError(f"{name} is missing columns {missing}")


def _is_iso_week(week: str) -> bool:
    """'2025-W53' matches the pattern but does not exist: 2025 has 52 ISO weeks (2026 has 53)."""
    if not WEEK_PATTERN.fullmatch(week):
        return False
    try:
        iso_week_monday(week)
    except ValueError:
        return False
    return True


def _week_dates(week: str) -> str:
    monday = iso_week_monday(week)
    return f"{monday:%a %d %b %Y} – {monday + timedelta(days=6):%a %d %b %Y}"


def _chart_html(fig, key: str, week: str) -> str:
    # A fixed div id keeps the page byte-for-byte reproducible for the same data.
    config = {"displaylogo": False, "responsive": True,
              "toImageButtonOptions": {"format": "png", "filename": f"jobtrends-{week}-{key}"}}
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{key}", config=config)


@lru_cache(maxsize=1)
def _plotlyjs() -> str:
    bundle = get_plotlyjs()
    if "</script" in bundle.lower():
        raise RuntimeError("the plotly.js bundle contains '</script' and cannot be inlined as is")
    return bundle


def _inline_script(chart_html: str) -> str:
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", chart_html, flags=re.S)
    if len(scripts) != 1:
        raise RuntimeError(f"expected one inline script in plotly's chart HTML, found {len(scripts)}")
    return scripts[0]


def _report_csp(scripts: list[str]) -> str:
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in scripts
    )
    # plotly.js keeps a couple of Function()/eval fallbacks; the hashes are what keep injected
    # scripts out, so allowing eval costs little and keeps every chart interaction working.
    return (f"default-src 'none'; script-src {hashes} 'unsafe-eval'; style-src 'unsafe-inline'; "
            "img-src data: blob:; font-src data:; base-uri 'none'; form-action 'none'")


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True, undefined=StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )
    env.filters["thousands"] = lambda value: f"{int(value):,}"
    return env


def _text(value: object, limit: int = TEXT_LIMIT) -> str:
    """Scraped text as one short line; escaping is the template's job."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _format_time(value: object) -> str:
    """UTC, to the minute; naive times are taken as UTC."""
    if value is None or pd.isna(value):
        return ""
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return f"{stamp:%Y-%m-%d %H:%M} UTC"


def _format_date(value: object) -> str:
    return _format_time(value)[:10]


def _is_ml(postings: pd.DataFrame) -> pd.Series:
    return postings[IS_ML].astype("boolean").fillna(False).astype(bool)


def _headline(weekly: pd.DataFrame, demand: pd.DataFrame, postings: pd.DataFrame, week: str) -> dict:
    per_week = demand.groupby(WEEK)[POSTINGS].max()
    is_ml = _is_ml(postings)
    sources = (
        pd.DataFrame({SOURCE: postings[SOURCE], IS_ML: is_ml})
        .groupby(SOURCE, dropna=False, sort=False)[IS_ML].agg(["size", "sum"])
        .sort_values("size", ascending=False, kind="stable")
    )
    return {
        "ml_postings_week": int(per_week[week]),
        "postings_total": len(postings),
        "ml_postings_total": int(is_ml.sum()),
        "first_week": per_week.index.min(),
        "last_week": week,
        "weeks_with_data": int(weekly[WEEK].nunique()),
        "weeks_in_range": len(per_week),
        "weeks_without_ml": int((per_week == 0).sum()),
        "sources": [{"name": _text(name) or "(unnamed)", "postings": int(row["size"]), "ml": int(row["sum"])}
                    for name, row in sources.iterrows()],
    }


def _ranking_rows(weekly: pd.DataFrame, area_names: dict[str, str], week: str) -> list[dict]:
    """The ranking chart's numbers as a table, for readers who cannot see or run the chart."""
    rows = []
    for row in area_ranking(weekly, area_names, week).to_dict("records"):
        has_share, has_change = not np.isnan(row[SHARE_PCT]), not np.isnan(row[CHANGE_PP])
        rows.append({
            "name": area_names.get(row[AREA]) or row[AREA],
            "color": AREA_COLORS[row[AREA]],
            "mentions": int(row[MENTIONS]),
            "postings": int(row[POSTINGS]),
            "share": f"{row[SHARE_PCT]:.1f}%" if has_share else "–",
            "interval": f"{row[CI_LOW_PCT]:.1f}–{row[CI_HIGH_PCT]:.1f}%" if has_share else "–",
            "change": f"{row[CHANGE_PP]:+.1f} pp" if has_change else "n/a",
        })
    return rows


def _recent_postings(postings: pd.DataFrame, week: str) -> list[dict]:
    this_week = postings[(postings[WEEK].astype(str) == week) & _is_ml(postings)]
    posted = pd.to_datetime(this_week[POSTED_AT], utc=True, errors="coerce")
    latest = this_week.assign(_posted=posted).sort_values("_posted", ascending=False, na_position="last",
                                                          kind="stable").head(RECENT_POSTINGS)
    return [
        {"posted": _format_date(row["_posted"]), "title": _text(row[TITLE]) or "(untitled)",
         "href": safe_href(row[URL]), "company": _text(row[COMPANY]), "location": _text(row[LOCATION]),
         "source": _text(row[SOURCE])}
        for row in latest.to_dict("records")
    ]


def _run_rows(source_runs: pd.DataFrame | None) -> list[dict] | None:
    if source_runs is None:
        return None
    _require_columns(source_runs, (SOURCE, STARTED_AT, FINISHED_AT, STATUS, POSTINGS, ERROR), "source_runs")
    started = pd.to_datetime(source_runs[STARTED_AT], utc=True, errors="coerce")
    latest = source_runs.assign(_started=started).sort_values("_started", ascending=False, na_position="last",
                                                              kind="stable").head(RECENT_RUNS)
    return [
        {"source": _text(row[SOURCE]), "started": _format_time(row["_started"]),
         "finished": _format_time(pd.to_datetime(row[FINISHED_AT], utc=True, errors="coerce")),
         "status": _text(row[STATUS], 40),
         "postings": _count(row[POSTINGS]),
         "error": _text(row[ERROR], 300),
         "note": _text(_run_note(row), 300)}
        for row in latest.to_dict("records")
    ]


def _run_note(row: dict) -> str:
    broken = row.get("possibly_broken")
    robots = row.get("ignore_robots_reason")
    notes = [f"possibly broken: {broken}" if isinstance(broken, str) and broken else "",
             f"robots.txt overridden: {robots}" if isinstance(robots, str) and robots else ""]
    return "; ".join(n for n in notes if n)


def _source_flags(source_runs: pd.DataFrame | None) -> tuple[list[dict], list[dict]]:
    """(sources whose latest run is flagged possibly broken, sources whose latest run overrode robots.txt)."""
    if source_runs is None or source_runs.empty:
        return [], []
    started = pd.to_datetime(source_runs[STARTED_AT], utc=True, errors="coerce")
    latest = (source_runs.assign(_started=started).sort_values("_started", kind="stable")
              .groupby(SOURCE, sort=True).tail(1))
    flagged, overrides = [], []
    for row in latest.to_dict("records"):
        broken, robots = row.get("possibly_broken"), row.get("ignore_robots_reason")
        if isinstance(broken, str) and broken:
            flagged.append({"source": _text(row[SOURCE]), "reason": _text(broken, 300)})
        if isinstance(robots, str) and robots:
            overrides.append({"source": _text(row[SOURCE]), "reason": _text(robots, 300)})
    return flagged, overrides


def _count(value: object) -> str:
    number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
    return "" if pd.isna(number) else f"{int(number):,}"


def _data_taxonomy_versions(weekly_area_demand: pd.DataFrame) -> list[str]:
    if TAXONOMY_VERSION not in weekly_area_demand.columns:
        return []
    return sorted(_text(v, 80) for v in weekly_area_demand[TAXONOMY_VERSION].dropna().unique())


def _write_archive(out_dir: Path, generated_at: datetime) -> Path:
    """The archive lists the week pages actually on disk, so it also covers weeks built earlier
    from data that has since been pruned."""
    weeks = sorted((p.parent.name for p in out_dir.glob("*/index.html") if WEEK_PATTERN.fullmatch(p.parent.name)),
                   reverse=True)
    page = _env().get_template("archive.html.j2").render(
        weeks=[{"week": w, "dates": _week_dates(w), "href": f"{w}/index.html"} for w in weeks],
        generated=_format_time(generated_at),
        csp="default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
    )
    path = out_dir / "index.html"
    _write_atomic(path, page)
    return path


def _write_atomic(path: Path, text: str) -> None:
    """Readers (a web server, a browser refresh) see the old page or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide the page from a web server's user
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


__all__ = ["build_report", "safe_href", "WEEK_PATTERN"]
