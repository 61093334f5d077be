"""Writes the week's report page and the archive page that links every week's page.

Scraped text (titles, companies, locations, sources, URLs, run errors) reaches a page only through
the jinja2 templates with autoescape on, and becomes a link only when its scheme is http(s). Each
page also carries a Content-Security-Policy naming the hash of every inline script it ships, so a
script that slipped in any other way would not run, and nothing is loaded from the network.

plotly.js (4.8 MB) is not inlined: every week's page loads the one copy at
`<output>/assets/plotly-<version>.min.js`, which build_report writes when it is missing or differs.
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

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from plotly.offline import get_plotlyjs, get_plotlyjs_version

from pipeline.columns import (
    AREA, AREA_IDS, COMPANY, IS_ML, LOCATION, MENTIONS, POSTED_AT, POSTINGS, SKILL, SOURCE,
    TAXONOMY_VERSION, TITLE, URL, WEEK,
)
from reports.figures import iso_week_monday, iso_weeks_between
from reports.sections import (
    ReportInputs, Section, SectionFunction, heatmap_section, methodology_section, ranking_section,
    summary_section, trend_section,
)
from reports.market_sections import (
    cooccurrence_section, data_quality_section, learn_next_section, salary_section, seed_section, segments_section,
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
_PLOTLY_PRELUDE = "window.PlotlyConfig = {MathJaxConfig: 'local'};"
ASSETS_DIR = "assets"


def postings_section(inputs: ReportInputs) -> Section:
    return Section("postings", "Most recent ML postings this week", template="sections/postings.html.j2",
                   context={"recent": _recent_postings(inputs.postings, inputs.week), "limit": RECENT_POSTINGS})


def notes_section(inputs: ReportInputs) -> Section:
    flagged, overrides = _source_flags(inputs.source_runs)
    return Section("notes", "Data notes", template="sections/notes.html.j2", context={
        "taxonomy_version": inputs.taxonomy_version,
        "data_taxonomy_versions": _data_taxonomy_versions(inputs.weekly),
        "runs": _run_rows(inputs.source_runs), "flagged": flagged, "robots_overrides": overrides,
        "limit": RECENT_RUNS,
    })


# The page, top to bottom: each entry returns a Section (or None to leave itself out).
PAGE_SECTIONS: list[SectionFunction] = [
    summary_section,
    trend_section,
    ranking_section,
    heatmap_section,
    cooccurrence_section,   # issue 7, 4b
    segments_section,       # 5
    salary_section,         # 5
    data_quality_section,   # 6
    seed_section,           # 7
    learn_next_section,
    postings_section,
    methodology_section,
    notes_section,
]


def build_report(
    weekly_area_demand: pd.DataFrame,
    postings: pd.DataFrame,
    area_names: dict[str, str],
    out_dir: Path,
    *,
    generated_at: datetime,
    taxonomy_version: str,
    source_runs: pd.DataFrame | None = None,
    weekly_skill_demand: pd.DataFrame | None = None,
    processing_meta: dict | None = None,
    data_dir: str | Path | None = None,
    skill_mentions: pd.DataFrame | None = None,
    segment_area_demand: pd.DataFrame | None = None,
    processing_log: list[dict] | None = None,
    taxonomy=None,
    sections: list[SectionFunction] | None = None,
) -> Path:
    """Write `out_dir/<latest week>/index.html` and refresh `out_dir/index.html` and the shared
    plotly.js under `out_dir/assets/`; return the week's page.

    The optional tables feed the market sections; a section whose table is missing leaves itself out.
    `taxonomy` (a pipeline.skills.Taxonomy) gives the founding article's area order and lets the seed
    section look for phrases the taxonomy misses (pipeline.discover, 0.5-5 s).

    Raises ValueError when there is nothing to report or the weekly table breaks its contract,
    rather than writing a page that looks fine and says nothing.
    """
    weekly = _checked_demand(weekly_area_demand)
    _require_columns(postings, _POSTINGS_NEEDED, "postings")
    if weekly_skill_demand is not None:
        _require_columns(weekly_skill_demand, (WEEK, AREA, SKILL, POSTINGS, MENTIONS), "weekly_skill_demand")
    week = weekly[WEEK].max()
    inputs = ReportInputs(
        weekly=weekly, postings=postings, area_names=area_names, week=week, generated_at=generated_at,
        taxonomy_version=taxonomy_version, weekly_skill=weekly_skill_demand, source_runs=source_runs,
        processing_meta=processing_meta, data_dir=None if data_dir is None else str(data_dir),
        skill_mentions=skill_mentions, segment_area_demand=segment_area_demand, processing_log=processing_log,
        taxonomy=taxonomy,
    )
    built = [section for make in (PAGE_SECTIONS if sections is None else sections)
             if (section := make(inputs)) is not None]
    scripts = [_PLOTLY_PRELUDE]
    for section in built:
        for name, fig in section.figures.items():
            chart = _chart_html(fig, f"{section.key}-{name}", week)
            scripts.append(_inline_script(chart))
            section.charts[name] = Markup(chart)
    out_dir = Path(out_dir)
    plotly_name = _write_plotly_asset(out_dir)
    headline = _headline(weekly, postings, week)
    page = _env().get_template("report.html.j2").render(
        week=week,
        week_dates=_week_dates(week),
        csp=_report_csp(scripts),
        plotly_prelude=Markup(scripts[0]),
        plotly_src=f"../{ASSETS_DIR}/{plotly_name}",
        sections=built,
        headline=headline,
        small_week=headline["ml_postings_week"] < SMALL_WEEK,
        small_week_limit=SMALL_WEEK,
        generated=_format_time(generated_at),
    )
    page_path = out_dir / week / "index.html"
    _write_atomic(page_path, page)
    _write_archive(out_dir, generated_at)
    return page_path


def report_from_dataset(data_dir: str | Path, taxonomy, out_dir: Path, *, generated_at: datetime) -> Path:
    """`build_report` fed from the cleaned dataset and the runs log under `data_dir` (a `Taxonomy` names the areas)."""
    from pipeline.dataset import dataset_dir, read_meta, read_processing_log, read_table
    from scraper.rawstore import RawStore

    meta = read_meta(data_dir)
    runs = RawStore(data_dir).read_runs()

    def optional(name: str) -> pd.DataFrame | None:  # datasets built before a table existed lack it
        return read_table(data_dir, name) if (dataset_dir(data_dir) / f"{name}.parquet").exists() else None

    return build_report(
        read_table(data_dir, "weekly_area_demand"),
        read_table(data_dir, "postings"),
        {area: taxonomy.area_name(area) for area in AREA_IDS},
        out_dir,
        generated_at=generated_at,
        taxonomy_version=meta["taxonomy_version"],
        source_runs=pd.DataFrame(runs) if runs else None,
        weekly_skill_demand=optional("weekly_skill_demand"),
        processing_meta=meta,
        data_dir=data_dir,
        skill_mentions=optional("skill_mentions"),
        segment_area_demand=optional("segment_area_demand"),
        processing_log=read_processing_log(data_dir),
        taxonomy=taxonomy,
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
    return get_plotlyjs()


def _write_plotly_asset(out_dir: Path) -> str:
    """Write plotly.js once for all week pages, as `assets/plotly-<version>.min.js`; return its name.

    Rewritten (atomically) only when missing or different, so an old page keeps working while the
    file is replaced, and a plotly upgrade adds a new file beside the old one that older pages use.
    """
    name = f"plotly-{get_plotlyjs_version()}.min.js"
    path = out_dir / ASSETS_DIR / name
    bundle = _plotlyjs()
    try:
        current = path.read_text(encoding="utf-8")
    except (FileNotFoundError, UnicodeDecodeError):
        current = None
    if current != bundle:
        _write_atomic(path, bundle)
    return name


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
    # plotly.js itself comes from ../assets/ by 'self'. CSP3 would let a 'sha384-…' source allow it
    # by its integrity attribute instead, but Chromium checks integrity only on CORS-enabled
    # responses and a file:// page can make none: with integrity="…" the script is blocked
    # ("requires the request to be CORS enabled"), with crossorigin it is refused by CORS, and
    # without integrity a hash source never matches an external script (all tried in chromium 156).
    # A host-source cannot name a path relative to the page, and an absolute one (*/abs/path) breaks
    # when the folder is moved or served. So 'self': on file:// a local file, on a web server the
    # site's own scripts; an injected inline script is still refused, and nothing comes from the network.
    return (f"default-src 'none'; script-src 'self' {hashes} 'unsafe-eval'; style-src 'unsafe-inline'; "
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


def _headline(weekly: pd.DataFrame, postings: pd.DataFrame, week: str) -> dict:
    per_week = weekly.groupby(WEEK)[POSTINGS].max()
    per_week = per_week.reindex(iso_weeks_between(per_week.index.min(), week), fill_value=0)
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


__all__ = ["build_report", "safe_href", "WEEK_PATTERN", "PAGE_SECTIONS"]
