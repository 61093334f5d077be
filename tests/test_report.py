"""The weekly report: where pages land, what they hold, and that scraped text stays inert."""
from __future__ import annotations

import base64
import hashlib
import html
import re
from datetime import date, datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from markupsafe import escape
from plotly.offline import get_plotlyjs

from pipeline.columns import (
    AREA, AREA_IDS, COMPANY, CONTENT_HASH, DESCRIPTION, FIRST_SEEN_AT, IS_ML, LAST_SEEN_AT, LOCATION,
    MENTIONS, ML_REASON, POSTED_AT, POSTING_ID, POSTINGS, POSTINGS_COLUMNS, REMOTE, SHARE, SOURCE,
    SOURCE_ID, SOURCE_KIND, TAXONOMY_VERSION, TITLE, URL, WEEK, WEEKLY_AREA_DEMAND_COLUMNS,
)
from reports.build import build_report, safe_href
from reports.figures import (
    CHANGE_PP, area_heatmap_figure, area_ranking, area_ranking_figure, share_trend_figure, wilson_interval,
)

AREA_NAMES = {area: area.replace("_", " ").capitalize() for area in AREA_IDS} | {"math_statistics": "Math & statistics"}
GENERATED_AT = datetime(2026, 2, 16, 8, 30, tzinfo=timezone.utc)
TAXONOMY = "tax-test-1"
HOSTILE_TITLE = "<script>alert(1)</script>"
HOSTILE_URLS = ("javascript:alert(1)", " JaVaScRiPt:alert(2)", "java\tscript:alert(3)",
                "data:text/html,<script>alert(4)</script>", "//evil.example/x", "https:javascript:alert(5)")


def week_label(day: date) -> str:
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


def make_postings(n_weeks: int, *, first_monday: date = date(2025, 12, 29), seed: int = 7) -> pd.DataFrame:
    """A cleaned postings table over `n_weeks` weeks from 2026-W01 (crossing no year by default)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_weeks):
        monday = first_monday + timedelta(weeks=i)
        for j in range(int(rng.integers(15, 60))):
            posted = datetime(monday.year, monday.month, monday.day, tzinfo=timezone.utc) + timedelta(hours=int(rng.integers(0, 167)))
            pid = f"p{i:02d}-{j:03d}"
            rows.append({
                POSTING_ID: pid, SOURCE: f"board-{j % 3}", SOURCE_KIND: "greenhouse", SOURCE_ID: pid,
                URL: f"https://jobs.example.com/{pid}", TITLE: f"ML engineer {pid}", COMPANY: f"Company {j % 5}",
                LOCATION: "Remote", REMOTE: "remote", POSTED_AT: posted, FIRST_SEEN_AT: posted, LAST_SEEN_AT: posted,
                WEEK: week_label(monday), IS_ML: bool(rng.random() < 0.7), ML_REASON: "title", DESCRIPTION: "…",
                CONTENT_HASH: pid, TAXONOMY_VERSION: TAXONOMY,
            })
    return pd.DataFrame(rows, columns=list(POSTINGS_COLUMNS))


def make_weekly(postings: pd.DataFrame, seed: int = 11) -> pd.DataFrame:
    """Weekly area demand consistent with `postings`; `passion` is never mentioned."""
    rng = np.random.default_rng(seed)
    rates = dict(zip(AREA_IDS, np.linspace(0.75, 0.0, len(AREA_IDS))))
    rates["passion"] = 0.0
    ml_per_week = postings[postings[IS_ML]].groupby(WEEK).size().reindex(sorted(postings[WEEK].unique()), fill_value=0)
    rows = []
    for week, n in ml_per_week.items():
        for area in AREA_IDS:
            k = int(rng.binomial(n, rates[area]))
            rows.append({WEEK: week, AREA: area, POSTINGS: int(n), MENTIONS: k,
                         SHARE: k / n if n else float("nan"), TAXONOMY_VERSION: TAXONOMY})
    return pd.DataFrame(rows, columns=list(WEEKLY_AREA_DEMAND_COLUMNS))


def build(tmp_path: Path, postings: pd.DataFrame, weekly: pd.DataFrame | None = None, **kwargs) -> Path:
    weekly = make_weekly(postings) if weekly is None else weekly
    return build_report(weekly, postings, AREA_NAMES, tmp_path, generated_at=GENERATED_AT,
                        taxonomy_version=TAXONOMY, **kwargs)


class PageParser(HTMLParser):
    """Every start tag with its attributes, and the text of every script element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = True
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def parse(page: str) -> PageParser:
    parser = PageParser()
    parser.feed(page)
    return parser


@pytest.fixture(scope="module")
def twenty_weeks(tmp_path_factory) -> tuple[Path, str, pd.DataFrame]:
    out = tmp_path_factory.mktemp("report")
    postings = make_postings(20)
    path = build(out, postings, source_runs=pd.DataFrame([{
        SOURCE: "board-0", "started_at": GENERATED_AT, "finished_at": GENERATED_AT, "status": "failed",
        POSTINGS: 0, "error": "<img src=x onerror=alert(9)> HTTP 503"}]))
    return path, path.read_text(encoding="utf-8"), postings


def test_page_is_written_under_latest_week_and_archive_links_every_week(tmp_path):
    postings = make_postings(3)
    first = build(tmp_path, postings)
    assert first == tmp_path / "2026-W03" / "index.html" and first.is_file()
    archive = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert 'href="2026-W03/index.html"' in archive

    second = build(tmp_path, make_postings(4))
    assert second == tmp_path / "2026-W04" / "index.html"
    archive = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert 'href="2026-W04/index.html"' in archive and 'href="2026-W03/index.html"' in archive
    assert archive.index("2026-W04/index.html") < archive.index("2026-W03/index.html")  # newest first
    assert not list(tmp_path.rglob("*.tmp"))


def test_plotlyjs_is_inlined_once_and_nothing_is_loaded_from_the_network(twenty_weeks):
    _, page, _ = twenty_weeks
    assert page.count(get_plotlyjs()[:60]) == 1
    assert page.count("Plotly.newPlot(") == 3
    assert '<script src="http' not in page
    scripts = [attrs for tag, attrs in parse(page).tags if tag == "script"]
    assert scripts and all("src" not in attrs for attrs in scripts)
    assert not [attrs for tag, attrs in parse(page).tags if tag in ("link", "img", "iframe")]


def test_content_security_policy_allows_exactly_the_inline_scripts(twenty_weeks):
    _, page, _ = twenty_weeks
    parsed = parse(page)
    csp = next(a["content"] for t, a in parsed.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    allowed = set(re.findall(r"'sha256-([^']+)'", csp))
    digests = {base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() for s in parsed.scripts}
    assert len(parsed.scripts) == 4 and digests == allowed
    assert "default-src 'none'" in csp and "'unsafe-inline'" not in csp.split("style-src")[0]


def test_all_twelve_areas_appear_on_the_page_and_in_every_chart(twenty_weeks):
    _, page, postings = twenty_weeks
    for name in AREA_NAMES.values():
        assert html.escape(name) in page
    weekly = make_weekly(postings)
    assert weekly.loc[weekly[AREA] == "passion", MENTIONS].sum() == 0  # an area nobody mentions still shows

    names = {html.escape(n) for n in AREA_NAMES.values()}
    trend = share_trend_figure(weekly, AREA_NAMES)
    lines = [t for t in trend.data if (t.meta or {}).get("role") == "share"]
    assert len(lines) == 12 and {t.name for t in lines} == names
    assert all(len(t.x) == 20 for t in lines)
    assert trend.layout.yaxis.title.text == "share of ML postings, %"
    assert [t.type for t in trend.data if (t.meta or {}).get("role") == "postings"] == ["bar"]

    ranking = area_ranking_figure(weekly, AREA_NAMES)
    assert set(ranking.data[0].y) == names and len(ranking.data[0].y) == 12
    heatmap = area_heatmap_figure(weekly, AREA_NAMES)
    assert set(heatmap.data[0].y) == names and len(heatmap.data[0].x) == 20
    for fig in (trend, ranking, heatmap):
        assert fig.layout.title.text


def test_hostile_scraped_text_is_escaped_and_only_http_links_are_live(tmp_path):
    postings = make_postings(2)
    latest = postings.index[(postings[WEEK] == "2026-W02") & postings[IS_ML]]
    hostile = {TITLE: HOSTILE_TITLE, COMPANY: '<img src=x onerror="alert(6)">', LOCATION: "<b onmouseover=alert(7)>x</b>",
               SOURCE: "</td><script>alert(8)</script>"}
    for i, url in zip(latest, HOSTILE_URLS):
        postings.loc[i, [*hostile, URL]] = [*hostile.values(), url]
    quoted = latest[len(HOSTILE_URLS)]
    postings.loc[quoted, URL] = 'https://ok.example/a"><script>alert(10)</script>'
    page = build(tmp_path, postings).read_text(encoding="utf-8")
    parsed = parse(page)

    assert HOSTILE_TITLE not in page and html.escape(HOSTILE_TITLE) in page
    assert "<img" not in page and "<b onmouseover" not in page
    assert not any("alert(" in script for script in parsed.scripts)  # not in a live script, nor in a figure's data
    assert not [(t, a) for t, a in parsed.tags if any(name.startswith("on") for name in a)]
    hrefs = [a["href"] for t, a in parsed.tags if t == "a"]
    assert all(h == "../index.html" or h.startswith(("https://", "http://")) for h in hrefs)
    assert not any("javascript" in h.lower() or "evil.example" in h for h in hrefs)
    assert str(escape(hostile[SOURCE])) in page and str(escape(hostile[COMPANY])) in page
    assert 'https://ok.example/a"><script>alert(10)</script>' in hrefs  # an http link stays inside its attribute


@pytest.mark.parametrize("url, expected", [
    ("https://jobs.example.com/1?a=b", "https://jobs.example.com/1?a=b"),
    ("  http://jobs.example.com/2 ", "http://jobs.example.com/2"),
    *[(url, None) for url in HOSTILE_URLS],
    ("mailto:jobs@example.com", None), ("/relative/path", None), ("", None), (None, None), (float("nan"), None),
])
def test_safe_href_links_only_http_urls(url, expected):
    assert safe_href(url) == expected


def test_run_errors_are_escaped_and_runs_are_optional(twenty_weeks, tmp_path):
    _, page, _ = twenty_weeks
    assert "&lt;img src=x onerror=alert(9)&gt; HTTP 503" in page
    page = build(tmp_path, make_postings(2)).read_text(encoding="utf-8")
    assert "No runs log was given" in page


def test_weeks_without_ml_postings_are_gaps_not_zero(tmp_path):
    postings = make_postings(5)
    weekly = make_weekly(postings)
    empty_week = weekly[WEEK] == "2026-W02"
    weekly.loc[empty_week, [POSTINGS, MENTIONS, SHARE]] = [0, 0, float("nan")]
    weekly = weekly[weekly[WEEK] != "2026-W04"]  # a week with no rows at all: collection stopped
    latest = weekly[WEEK] == "2026-W05"
    weekly.loc[latest, [POSTINGS, MENTIONS, SHARE]] = [0, 0, 0.0]  # and the report week itself is empty
    page = build(tmp_path, postings, weekly).read_text(encoding="utf-8")
    assert "week 2026-W05" in page and "Few ML postings this week (0)" in page

    heatmap = area_heatmap_figure(weekly, AREA_NAMES)
    assert list(heatmap.data[0].x) == [f"2026-W0{i}" for i in range(1, 6)]  # the missing week is back
    z = np.array(heatmap.data[0].z, dtype=float)
    assert np.isnan(z[:, [1, 3, 4]]).all() and not np.isnan(z[:, [0, 2]]).any()
    trend = share_trend_figure(weekly, AREA_NAMES)
    assert all(np.isnan(np.array(t.y, dtype=float)[[1, 3, 4]]).all() for t in trend.data if t.meta["role"] == "share")
    ranking = area_ranking(weekly, AREA_NAMES)
    assert len(ranking) == 12 and ranking[CHANGE_PP].isna().all()


def test_empty_dataset_raises_a_readable_error_and_writes_nothing(tmp_path):
    empty = pd.DataFrame(columns=list(WEEKLY_AREA_DEMAND_COLUMNS))
    with pytest.raises(ValueError, match="no rows, so there is no week to report"):
        build(tmp_path, make_postings(0), empty)
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("mutate, message", [
    (lambda w: w.assign(**{AREA: w[AREA].replace("passion", "vibes")}), "unknown area ids"),
    (lambda w: w.assign(**{MENTIONS: w[POSTINGS] + 1}), "more mentions than"),
    (lambda w: w.assign(**{WEEK: "2026-7"}), "weeks must be existing ISO weeks"),
    (lambda w: w.drop(columns=[MENTIONS]), "missing columns"),
])
def test_broken_weekly_table_is_refused(tmp_path, mutate, message):
    postings = make_postings(2)
    with pytest.raises(ValueError, match=message):
        build(tmp_path, postings, mutate(make_weekly(postings)))


def test_wilson_interval_matches_known_values():
    low, high = wilson_interval(np.array([0, 5, 3]), np.array([10, 10, 0]))
    assert low[0] == 0 and high[0] == pytest.approx(0.2775, abs=1e-4)
    assert (low[1], high[1]) == (pytest.approx(0.2366, abs=1e-4), pytest.approx(0.7634, abs=1e-4))
    assert np.isnan(low[2]) and np.isnan(high[2])


def test_ranking_reports_change_from_the_week_before():
    weekly = pd.DataFrame([(w, a, 50, m, m / 50, TAXONOMY) for w, m in (("2025-W52", 10), ("2026-W01", 20))
                           for a in AREA_IDS], columns=list(WEEKLY_AREA_DEMAND_COLUMNS))
    ranking = area_ranking(weekly, AREA_NAMES)
    assert (ranking[WEEK] == "2026-W01").all() and ranking[CHANGE_PP].tolist() == [20.0] * 12
    assert ranking[AREA].tolist() == list(AREA_IDS)  # ties keep the article's order


def test_same_data_gives_the_same_page(tmp_path):
    postings = make_postings(3)
    first = build(tmp_path / "a", postings).read_bytes()
    assert build(tmp_path / "b", postings).read_bytes() == first


def test_possibly_broken_sources_and_robots_overrides_are_shown_escaped(tmp_path):
    earlier = GENERATED_AT - timedelta(days=7)
    runs = pd.DataFrame([
        {SOURCE: "board-0", "started_at": earlier, "finished_at": earlier, "status": "empty", POSTINGS: 0,
         "error": "", "possibly_broken": "returned 0 postings <script>alert(1)</script>", "ignore_robots_reason": ""},
        {SOURCE: "board-0", "started_at": GENERATED_AT, "finished_at": GENERATED_AT, "status": "ok", POSTINGS: 3,
         "error": "", "possibly_broken": "", "ignore_robots_reason": ""},
        {SOURCE: "remotive", "started_at": GENERATED_AT, "finished_at": GENERATED_AT, "status": "empty",
         POSTINGS: 0, "error": "", "possibly_broken": "returned 0 postings on its last run, after 40 postings",
         "ignore_robots_reason": "documented public API"},
    ])
    page = build(tmp_path, make_postings(3), source_runs=runs).read_text(encoding="utf-8")
    flagged = page.split("Possibly broken sources", 1)[1].split("</ul>", 1)[0]
    assert "remotive: returned 0 postings on its last run" in flagged
    assert "board-0" not in flagged  # its latest run is fine again
    assert "robots.txt overridden by configuration: remotive (documented public API)" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
