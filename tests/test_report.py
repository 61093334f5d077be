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
from plotly.offline import get_plotlyjs, get_plotlyjs_version

from pipeline.columns import (
    AREA, AREA_IDS, COMPANY, CONTENT_HASH, DESCRIPTION, FIRST_SEEN_AT, IS_ML, LAST_SEEN_AT, LOCATION,
    MENTIONS, ML_REASON, POSTED_AT, POSTING_ID, POSTINGS, POSTINGS_COLUMNS, REMOTE, SHARE, SOURCE,
    SOURCE_ID, SOURCE_KIND, TAXONOMY_VERSION, TITLE, URL, WEEK, WEEKLY_AREA_DEMAND_COLUMNS,
)
from pipeline.columns import (
    ACTIVE_MENTIONS, ACTIVE_POSTINGS, ACTIVE_SHARE, CHANGE, DIRECTION, INDEX, NEW_POSTINGS, P_VALUE, SHARE_MA4, SKILL,
)
from reports import demand
from reports.build import PAGE_SECTIONS, build_report, report_from_dataset, safe_href
from reports.figures import (
    CHANGE_PP, FLAT_COLOR, FALLING_COLOR, RISING_COLOR, area_heatmap_figure, area_ranking, area_ranking_figure,
    share_trend_figure, wilson_interval,
)
from reports.methodology import extraction_accuracy
from reports.sections import Section

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
    """Every start tag with its attributes, the text of every inline script, and every script's src."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self.script_srcs: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script" and dict(attrs).get("src"):
            self.script_srcs.append(dict(attrs)["src"])
        elif tag == "script":
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


PLOTLY_ASSET = f"plotly-{get_plotlyjs_version()}.min.js"


def test_plotlyjs_is_one_shared_file_beside_the_pages_and_nothing_comes_from_the_network(twenty_weeks):
    path, page, _ = twenty_weeks
    assert get_plotlyjs()[:60] not in page
    assert page.count("Plotly.newPlot(") == 5  # trend, areas, heatmap, postings per source, seed vs market
    assert parse(page).script_srcs == [f"../assets/{PLOTLY_ASSET}"]
    asset = path.parent.parent / "assets" / PLOTLY_ASSET
    assert asset.read_text(encoding="utf-8") == get_plotlyjs()
    assert not [attrs for tag, attrs in parse(page).tags if tag in ("link", "img", "iframe")]


def test_plotly_file_is_written_once_and_repaired_when_it_differs(tmp_path):
    build(tmp_path, make_postings(3))
    asset = tmp_path / "assets" / PLOTLY_ASSET
    first = asset.stat()
    build(tmp_path, make_postings(4))  # a second week's page shares the file, which is left alone
    assert asset.stat().st_ino == first.st_ino and asset.stat().st_mtime_ns == first.st_mtime_ns
    assert parse((tmp_path / "2026-W03" / "index.html").read_text()).script_srcs == \
        parse((tmp_path / "2026-W04" / "index.html").read_text()).script_srcs
    asset.write_text("truncated", encoding="utf-8")
    build(tmp_path, make_postings(4))
    assert asset.read_text(encoding="utf-8") == get_plotlyjs()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2026-W03", "2026-W04", "assets", "index.html"]
    assert not list(tmp_path.rglob("*.tmp"))
    archive = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "assets" not in archive  # the archive lists weeks only


def test_content_security_policy_allows_exactly_the_inline_scripts(twenty_weeks):
    _, page, _ = twenty_weeks
    parsed = parse(page)
    csp = next(a["content"] for t, a in parsed.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    allowed = set(re.findall(r"'sha256-([^']+)'", csp))
    digests = {base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() for s in parsed.scripts}
    assert len(parsed.scripts) == 6 and digests == allowed  # the plotly prelude and one per chart
    script_src = csp.split("script-src", 1)[1].split(";", 1)[0].split()
    # plotly.js comes from ../assets by 'self' (see reports/build.py, _report_csp, for why not by hash).
    assert [s for s in script_src if not s.startswith("'sha256-")] == ["'self'", "'unsafe-eval'"]
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
    assert all(len(t.y) == 20 and t.x is None and t.dx == 7 * 24 * 3600 * 1000 for t in lines)
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
    # Scraped text reaches a script only as a figure's data (the data-quality chart names sources), escaped.
    assert not any(re.search(r"<\s*/?\s*(script|img|b)\b", script, re.I) for script in parsed.scripts)
    quality = section_html(page, "quality")
    assert "&lt;\\u002ftd&gt;&lt;script&gt;alert(8)" in quality  # html.escape'd, then plotly's JSON escapes "/"
    assert not [(t, a) for t, a in parsed.tags if any(name.startswith("on") for name in a)]
    hrefs = [a["href"] for t, a in parsed.tags if t == "a"]
    assert all(h == "../index.html" or h.startswith(("https://", "http://", "#")) for h in hrefs)
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


# ---- issue 7 sections, on hand-built tables whose every number is known -----------------------

HAND_WEEKS = [f"2026-W{i:02d}" for i in range(1, 10)]  # periods at W09: W06-W09 against W02-W05
HAND_MOVES = {  # area: (change, p_value, direction) at the last week, as the pipeline would write them
    "security": (0.20, 0.001, "rising"), "patience": (-0.15, 0.002, "falling"), "teamwork": (0.30, 0.20, "flat"),
}


def hand_weekly(per_week: int | None = None, moves: dict = HAND_MOVES) -> pd.DataFrame:
    """Week i (0..8) has 100 + 10 i new ML postings (or `per_week`), 300 + 20 i active ones; security is
    mentioned 10 i times, every other area 5 times; the last week's statistics come from `moves`."""
    rows = []
    for i, week in enumerate(HAND_WEEKS):
        n = per_week if per_week is not None else 100 + 10 * i
        for area in AREA_IDS:
            k = min(n, 10 * i) if area == "security" else min(n, 5)
            change, p, direction = moves.get(area, (0.01, 0.8, "flat")) if i == len(HAND_WEEKS) - 1 else (np.nan, np.nan, "flat")
            rows.append({WEEK: week, AREA: area, POSTINGS: n, MENTIONS: k, SHARE: k / n, TAXONOMY_VERSION: TAXONOMY,
                         SHARE_MA4: k / n, INDEX: 100.0 + i, NEW_POSTINGS: n, ACTIVE_POSTINGS: 300 + 20 * i,
                         ACTIVE_MENTIONS: 30, ACTIVE_SHARE: 30 / (300 + 20 * i),
                         CHANGE: change, P_VALUE: p, DIRECTION: direction})
    return pd.DataFrame(rows)


def hand_postings() -> pd.DataFrame:
    postings = make_postings(9)
    return postings


def hand_skills(names: list[str]) -> pd.DataFrame:
    """One skill per name in area technical; skill j is mentioned 40 - j times in every week of 100 postings."""
    rows = []
    for week in HAND_WEEKS:
        for j, name in enumerate(names):
            sig = (0.25, 0.0001, "rising") if j == 1 else (0.05, 0.5, "flat")
            change, p, direction = sig if week == HAND_WEEKS[-1] else (np.nan, np.nan, "flat")
            rows.append({WEEK: week, AREA: "technical", SKILL: name, POSTINGS: 100, MENTIONS: 40 - j, SHARE: (40 - j) / 100,
                         TAXONOMY_VERSION: TAXONOMY, SHARE_MA4: (40 - j) / 100, CHANGE: change, P_VALUE: p,
                         DIRECTION: direction})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def hand_page(tmp_path_factory) -> str:
    names = [f"skill {j:02d}" for j in range(35)]
    names[3] = "<img src=x onerror=alert(11)>"
    path = build_report(hand_weekly(), hand_postings(), AREA_NAMES, tmp_path_factory.mktemp("hand"),
                        generated_at=GENERATED_AT, taxonomy_version=TAXONOMY, weekly_skill_demand=hand_skills(names),
                        processing_meta={"raw_rows": 1200, "postings": 1100, "exact_duplicates": 40,
                                         "near_duplicates": 60, "dedup_rate": 0.0833})
    return path.read_text(encoding="utf-8")


def section_html(page: str, key: str) -> str:
    return page.split(f'<section id="{key}">', 1)[1].split("</section>", 1)[0]


def test_headline_gives_new_and_active_postings_with_changes(hand_page):
    counts = demand.headline_counts(hand_weekly(), "2026-W09")
    assert counts["new"]["now"] == 180 and counts["new"]["last_week"]["delta"] == 10
    assert counts["new"]["four_weeks"] == {"week": "2026-W05", "then": 140, "delta": 40, "pct": pytest.approx(28.571, abs=1e-3)}
    assert counts["active"]["now"] == 460 and counts["active"]["four_weeks"]["delta"] == 80
    summary = section_html(hand_page, "summary")
    assert "<dd>180<small>first posted this week" in summary
    assert "+10 (+6%) vs last week (170 in 2026-W08)" in summary and "+40 (+29%) vs 4 weeks ago (140 in 2026-W05)" in summary
    assert "<dd>460<small>" in summary and "+80 (+21%) vs 4 weeks ago (380 in 2026-W05)" in summary


def test_headline_movers_prefer_significant_moves_and_show_both_samples(hand_page):
    period = demand.period_table(hand_weekly(), [AREA], "2026-W09", window=4, lag=4)
    moved = demand.movers(period)
    assert moved[AREA].tolist() == ["security", "patience", "teamwork"]  # teamwork moved most, but by chance
    security = moved.iloc[0]
    assert (security[demand.K_NOW], security[demand.N_NOW]) == (260, 660)  # weeks 5..8: 50+60+70+80 of 150+..+180
    assert (security[demand.K_BEFORE], security[demand.N_BEFORE]) == (100, 500)
    items = section_html(hand_page, "summary").split('<ol class="movers">', 1)[1].split("</ol>", 1)[0].split("<li")[1:]
    assert "Security" in items[0] and "+20.0 pp" in items[0] and "rising (p = 0.001)" in items[0]
    assert "0 of 100 postings, then 360 of 1,160" in items[0]  # the page pools 8-week periods (weeks 2..9; before: week 1)
    assert "Patience" in items[1] and "falling (p = 0.002)" in items[1]
    assert 'class="ns"' in items[2] and "Teamwork" in items[2] and "not significant (p = 0.20)" in items[2]
    assert "rising" not in items[2] and "falling" not in items[2]


def test_non_significant_changes_are_grey_and_never_called_rising(hand_page):
    period = demand.ranked(demand.period_table(hand_weekly(), [AREA], "2026-W09", window=4, lag=4))
    fig = area_ranking_figure(hand_weekly(), AREA_NAMES)
    change = next(t for t in fig.data if t.meta["role"] == "change")
    by_area = dict(zip(period[AREA], zip(change.marker.color, change.text)))
    assert by_area["security"][0] == RISING_COLOR and "rising" in by_area["security"][1]
    assert by_area["patience"][0] == FALLING_COLOR and "falling" in by_area["patience"][1]
    for area in set(AREA_IDS) - {"security", "patience"}:
        color, text = by_area[area]
        assert color == FLAT_COLOR and "rising" not in text and "falling" not in text and "not significant" in text
    rows = section_html(hand_page, "ranking").split("<h3>Top", 1)[0].split("<tbody>", 1)[1].split("<tr")[1:]
    assert len(rows) == 12
    teamwork = next(r for r in rows if "Teamwork" in r)
    assert teamwork.startswith(' class="ns"') and "+30.0 pp" in teamwork and "rising" not in teamwork
    assert sum(r.startswith(' class="sig') for r in rows) == 2


def test_too_few_postings_is_not_significant_whatever_the_table_says(tmp_path):
    weekly = hand_weekly(per_week=5)  # 20 postings per 4-week period, under the minimum of 30
    period = demand.period_table(weekly, [AREA], "2026-W09")
    security = period.set_index(AREA).loc["security"]
    assert security[DIRECTION] == "rising" and security[P_VALUE] < 0.05 and not security[demand.SIGNIFICANT]
    assert "fewer than 30 postings" in security[demand.VERDICT]
    page = build_report(weekly, make_postings(9), AREA_NAMES, tmp_path, generated_at=GENERATED_AT,
                        taxonomy_version=TAXONOMY).read_text(encoding="utf-8")
    assert 'class="sig' not in section_html(page, "ranking") and 'class="sig' not in section_html(page, "summary")


def test_trend_has_share_index_and_active_views_behind_buttons():
    fig = share_trend_figure(hand_weekly(), AREA_NAMES)
    menu = fig.layout.updatemenus[0]
    assert [b.label for b in menu.buttons] == ["Share", "Index vs baseline", "New vs active"]
    roles = [(t.meta or {}).get("role") for t in fig.data]
    shown = {b.label: {r for r, v in zip(roles, b.args[0]["visible"]) if v} for b in menu.buttons}
    assert shown["Share"] == {"interval", "share", "share_ma4", "postings"}
    assert shown["Index vs baseline"] == {"index", "baseline", "postings"}
    assert shown["New vs active"] == {"share", "active_share", "active_postings"}
    assert [t.visible for t in fig.data] == menu.buttons[0].args[0]["visible"]  # the page opens on "Share"
    assert menu.buttons[1].args[1]["yaxis.title.text"].startswith("index")
    security = {t.meta["role"]: t for t in fig.data if (t.meta or {}).get("area") == "security"}
    assert security["share_ma4"].y[-1] == 80.0 / 180 * 100 // 0.1 / 10 or security["share_ma4"].y[-1] == pytest.approx(44.4)
    assert security["index"].y[-1] == 108 and security["active_share"].y[-1] == pytest.approx(6.5)
    assert security["share"].customdata[-1][:2] == [80, 180] and security["active_share"].customdata[-1] == 30


def test_top_skills_ranked_with_changes_and_escaped_names(hand_page):
    ranking = section_html(hand_page, "ranking")
    skills = ranking.split("<h3>Top 30 skills</h3>", 1)[1]
    rows = skills.split("<tbody>", 1)[1].split("<tr")[1:]
    assert len(rows) == 30 and "skill 00" in rows[0] and "skill 34" not in skills
    assert rows[1].startswith(' class="sig rising"') and "rising (p &lt; 0.001)" in rows[1]
    assert all(r.startswith(' class="ns"') for i, r in enumerate(rows) if i != 1)
    assert "&lt;img src=x onerror=alert(11)&gt;" in skills and "<img" not in hand_page
    assert hand_page.count("Plotly.newPlot(") == 6  # trend, areas, skills, heatmap, postings per source, seed


def test_methodology_shows_sources_dedup_and_the_measured_accuracy(hand_page):
    text = section_html(hand_page, "methodology")
    acc = extraction_accuracy()
    assert acc["macro_f1"] == 0.966 and acc["is_ml_precision"] == 0.991 and acc["is_ml_recall"] == 0.982
    assert "macro-F1 of <strong>0.966</strong>" in text and "precision <strong>0.991</strong>" in text
    assert "recall <strong>0.982</strong>" in text and "0.817 (36 postings)" in text and "in-sample" in text
    assert "Greenhouse job-board API: 270" in text or "Greenhouse job-board API:" in text
    assert "1,200 raw rows became 1,100 postings: 40 exact and 60 near duplicates merged (8.3%)" in text
    assert f"<code>{TAXONOMY}</code>" in text


def test_a_section_is_one_function_and_its_text_is_escaped(tmp_path):
    def extra(inputs):
        return Section("extra", "Extra <b>section</b>", context={
            "intro": ["Scraped: <script>alert(12)</script>"],
            "tables": [{"caption": "c", "columns": [{"label": "name"}, {"label": "n", "num": True}],
                        "rows": [["<i>x</i>", "3"]]}]},
            figures={"chart": area_heatmap_figure(hand_weekly(), AREA_NAMES)})
    page = build_report(hand_weekly(), make_postings(9), AREA_NAMES, tmp_path, generated_at=GENERATED_AT,
                        taxonomy_version=TAXONOMY, sections=[*PAGE_SECTIONS, extra]).read_text(encoding="utf-8")
    extra_html = section_html(page, "extra")
    assert "Extra &lt;b&gt;section&lt;/b&gt;" in extra_html and "&lt;script&gt;alert(12)" in extra_html
    assert "<td>&lt;i&gt;x&lt;/i&gt;</td>" in extra_html and 'id="chart-extra-chart"' in extra_html
    parsed = parse(page)
    csp = next(a["content"] for t, a in parsed.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    # the plotly prelude + trend, areas, heatmap, postings per source, seed vs market, extra
    assert len(re.findall(r"'sha256-", csp)) == len(parsed.scripts) == 1 + 6


# ---- issue 7 market sections, from a small processed dataset (tests/small_dataset.py) ---------------

MARKET_SECTIONS = ["cooccurrence", "segments", "salary", "quality", "seed", "learn"]


@pytest.fixture(scope="module")
def small_report(tmp_path_factory) -> tuple[Path, str]:
    from tests.small_dataset import build_small_dataset, taxonomy

    data_dir = build_small_dataset(tmp_path_factory.mktemp("small"))
    page = report_from_dataset(data_dir, taxonomy(), data_dir / "reports", generated_at=GENERATED_AT)
    return data_dir, page.read_text(encoding="utf-8")


def table_rows(section: str, caption_start: str) -> list[list[str]]:
    """The cells of the table whose caption starts with `caption_start`, tags stripped."""
    table = section.split(f"<caption>{escape(caption_start)}", 1)[1].split("</table>", 1)[0]
    return [[html.unescape(re.sub(r"<[^>]+>", "", cell)) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
            for row in table.split("<tbody>", 1)[1].split("<tr>")[1:]]


def test_report_from_dataset_shows_every_market_section_in_order(small_report):
    _, page = small_report
    keys = re.findall(r'<section id="(\w+)">', page)
    assert keys == ["summary", "trend", "ranking", "heatmap", *MARKET_SECTIONS, "postings", "methodology", "notes"]
    charts = {key: re.findall(r'id="chart-(\w+)-(\w+)"', section_html(page, key)) for key in MARKET_SECTIONS}
    assert charts["segments"] == [("segments", t) for t in ("role_family", "seniority", "remote", "source")]
    assert charts["seed"] == [("seed", "ranks"), ("seed", "unmentioned")]
    assert all(charts[k] for k in MARKET_SECTIONS if k != "learn")


def test_seed_section_ranks_the_areas_in_the_articles_order_beside_the_market(small_report):
    data_dir, page = small_report
    rows = table_rows(section_html(page, "seed"), "The article's order and the market's")
    from tests.small_dataset import taxonomy
    assert [r[1] for r in rows] == [taxonomy().area_name(a) for a in taxonomy().spec.areas]
    assert [r[0] for r in rows] == [str(i) for i in range(1, 13)]
    by_share = sorted(rows, key=lambda r: -float(r[3].rstrip("%")))
    assert by_share[0][2] == "1" and [int(r[2]) for r in by_share] == sorted(int(r[2]) for r in rows)
    for article, _, market, _, _, moved in rows:
        assert int(moved) == int(article) - int(market)


def test_unmentioned_phrases_leave_out_what_the_article_names(small_report):
    from reports.market_sections import seed_phrases
    _, page = small_report
    seed = section_html(page, "seed")
    terms = re.findall(r'"y":\[([^\]]*)\]', seed.split('id="chart-seed-unmentioned"', 1)[1])[0]
    phrases = [t.strip('"') for t in terms.split(",")]
    article = f" {' '.join(re.findall(r'[a-z0-9+#]+', seed_phrases().lower()))} "
    assert phrases and not any(f" {t} " in article for t in phrases)
    assert "machine learning" in seed_phrases() and not seed_phrases().startswith("#")  # comments dropped


def test_salary_table_counts_each_area_in_one_currency(small_report):
    data_dir, page = small_report
    section = section_html(page, "salary")
    currency = re.search(r"state one in (\w+), the most common currency", section).group(1)
    rows = table_rows(section, f"Annual salary in {currency}")
    postings = pd.read_parquet(data_dir / "dataset" / "postings.parquet")
    with_salary = postings[postings[IS_ML] & (postings["salary_currency"] == currency)
                           & (postings["salary_annual_min"].notna() | postings["salary_annual_max"].notna())]
    assert len(rows) == 12
    assert all(int(r[1].replace(",", "")) + int(r[4].replace(",", "")) == len(with_salary) for r in rows)


def test_learn_next_has_all_roles_and_each_large_role_family(small_report):
    _, page = small_report
    section = section_html(page, "learn")
    captions = re.findall(r"<caption>([^<]*)</caption>", section)
    assert captions[0].startswith("All ML roles: the top 5 skills")
    assert len(captions) >= 2  # at least one role family with 30 ML postings
    for caption in captions:
        rows = table_rows(section, caption)
        assert 1 <= len(rows) <= 5 and [r[0] for r in rows] == [str(i) for i in range(1, len(rows) + 1)]
        scores = [float(r[-1]) for r in rows]
        assert scores == sorted(scores, reverse=True)


def test_data_quality_shows_runs_parse_failures_and_dedup(small_report):
    data_dir, page = small_report
    section = section_html(page, "quality")
    runs = pd.read_json(data_dir / "runs.jsonl", lines=True)
    failures = table_rows(section, "Items each source")
    assert sorted(r[0] for r in failures) == sorted(runs[SOURCE]) and all(r[4] == "0.0%" for r in failures)
    dedup = table_rows(section, "The 1 most recent processing runs")
    meta = pd.read_json(data_dir / "processing.jsonl", lines=True).iloc[-1]
    assert dedup[0][2] == f"{meta['raw_rows']:,}" and dedup[0][5] == f"{meta['postings']:,}"
    assert "None: every source" in section


def test_market_sections_leave_themselves_out_without_their_tables(twenty_weeks):
    _, page, _ = twenty_weeks
    keys = re.findall(r'<section id="(\w+)">', page)
    assert not {"cooccurrence", "segments", "salary", "learn"} & set(keys) and {"quality", "seed"} <= set(keys)
    assert "Needs the taxonomy" in section_html(page, "seed")


def test_hostile_segments_and_skills_are_escaped_in_market_sections(small_report, tmp_path):
    data_dir, _ = small_report
    from pipeline.dataset import read_table
    postings = read_table(data_dir, "postings")
    mentions = read_table(data_dir, "skill_mentions")
    segments = read_table(data_dir, "segment_area_demand")
    evil = "<img src=x onerror=alert(13)>"
    mentions.loc[mentions[SKILL] == mentions[SKILL].mode()[0], SKILL] = evil
    segments.loc[segments["segment_type"] == "source", "segment"] = evil
    page = build_report(read_table(data_dir, "weekly_area_demand"), postings, AREA_NAMES, tmp_path,
                        generated_at=GENERATED_AT, taxonomy_version=TAXONOMY, skill_mentions=mentions,
                        segment_area_demand=segments, weekly_skill_demand=read_table(data_dir, "weekly_skill_demand"))
    page = page.read_text(encoding="utf-8")
    assert "<img" not in page
    assert html.escape(evil) in section_html(page, "cooccurrence")  # the strongest-pairs table
    assert "&lt;img src=x onerror=alert(13)&gt;" in section_html(page, "segments").replace("\\u002f", "/")
