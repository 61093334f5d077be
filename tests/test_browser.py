"""The report pages in a real browser (Debian's chromium driven by playwright), opened from disk as a
reader opens them: the charts draw, the links work, and scraped text stays text even where plotly or
the browser would gladly run it.

Needs /usr/bin/chromium (`apt-get install chromium`; .ci/run installs it) and the `playwright` package;
playwright's own browser download is never used, so nothing comes from the internet.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from pipeline.columns import AREA_IDS, COMPANY, IS_ML, LOCATION, POSTINGS, SOURCE, TITLE, URL, WEEK
from tests.test_demo_e2e import demo_run  # noqa: F401  the demo, built once for this module
from tests.test_report import GENERATED_AT, TAXONOMY, make_postings, make_weekly
from plotly.offline import get_plotlyjs_version

from reports.build import build_report

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout, sync_playwright
except ImportError as exc:  # the browser fixture skips, naming this
    PLAYWRIGHT_MISSING: str | None = f"{type(exc).__name__}: {exc}"
    PlaywrightTimeout = TimeoutError
else:
    PLAYWRIGHT_MISSING = None

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]
# The sections whose first chart every weekly page has (the area charts); other sections may add charts.
AREA_SECTIONS = ("trend", "ranking", "heatmap")
WAIT_MS = 10_000

# HTML, a javascript: link, and plotly's own label markup (it renders <a href>, <b>, <br> in labels).
HOSTILE = ("<script>alert(1)</script>", "<img src=x onerror=alert(2)>", '<a href="javascript:alert(4)">x</a>',
           "<b onmouseover=alert(5)>bold</b>")
HOSTILE_URLS = ("javascript:alert(3)", 'https://ok.example/a"><img src=x onerror=alert(6)>')

# Every chart as the page holds it after plotly ran: enough to tell "drawn" from "an empty box".
# A mark is drawn when its box has an area; a visible scatter or bar trace gets its own g.trace.
CHARTS_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].map(gd => {
  const drawn = sel => [...gd.querySelectorAll(sel)].filter(e => {
    const b = e.getBBox(); return b.width > 0 || b.height > 0; }).length;
  const visible = (gd._fullData || []).filter(t => t.visible === true);
  return {
    id: gd.id, section: (gd.closest('section') || {}).id, traces: (gd.data || []).length,
    fullTraces: (gd._fullData || []).length, svgs: gd.querySelectorAll('svg.main-svg').length,
    height: gd.getBoundingClientRect().height,
    cartesianTraces: visible.filter(t => t.type === 'scatter' || t.type === 'bar').length,
    traceGroups: gd.querySelectorAll('.scatterlayer g.trace, .barlayer g.trace').length,
    heatmaps: visible.filter(t => t.type === 'heatmap').length,
    lines: drawn('.scatterlayer path.js-line'), points: drawn('.scatterlayer .point'),
    bars: drawn('.barlayer .point path'),
    images: [...gd.querySelectorAll('.heatmaplayer image')].filter(
      i => (i.getAttribute('href') || '').startsWith('data:image/png') && i.getBBox().width > 0).length,
    legend: [...gd.querySelectorAll('.legend .legendtext')].map(t => t.textContent),
  };
})"""
# Anything the page would run or load that its templates did not put there.
INJECTED_JS = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      const value = a.value.replace(/[\\u0000-\\u0020]/g, '').toLowerCase();
      if (a.name.toLowerCase().startsWith('on') || value.startsWith('javascript:') || value.startsWith('data:text'))
        bad.push(el.tagName + ' ' + a.name + '=' + a.value.slice(0, 60));
    }
  }
  for (const el of document.querySelectorAll('img, iframe, object, embed, b, svg a, form, base'))
    bad.push(el.outerHTML.slice(0, 80));
  return {bad, scripts: [...document.scripts].map(s => s.src)};
}"""
# The first drawn mark of a chart: where a reader's mouse gets a hover label.
HOVER_TARGET = ".barlayer .point path, .scatterlayer .point, .heatmaplayer image"


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium; .ci/run does)")
    if PLAYWRIGHT_MISSING:
        pytest.skip(f"playwright is not installed ({PLAYWRIGHT_MISSING}): pip install -e '.[test]'")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        yield browser
        browser.close()


class Watched:
    """A page with everything it said on the way: console errors, uncaught exceptions, dialogs (dismissed)."""

    def __init__(self, browser, *, bypass_csp: bool = False) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=bypass_csp)
        self.page = self.context.new_page()
        self.page.set_default_timeout(WAIT_MS)
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        self.page.on("pageerror", lambda e: self.page_errors.append(str(e)))
        self.page.on("dialog", self._dialog)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def problems(self) -> dict[str, list[str]]:
        return {"console errors": self.console_errors, "page errors": self.page_errors, "dialogs": self.dialogs}


@pytest.fixture
def watched(browser):
    opened: list[Watched] = []

    def open_(bypass_csp: bool = False) -> Watched:
        opened.append(Watched(browser, bypass_csp=bypass_csp))
        return opened[-1]

    yield open_
    for w in opened:
        w.context.close()


def wait_for_charts(page) -> list[dict]:
    """Every chart div of the page once plotly has drawn it (plotly marks a drawn div js-plotly-plot)."""
    page.wait_for_function("""() => { const divs = [...document.querySelectorAll('.plotly-graph-div')];
        return divs.length > 0
            && divs.every(d => d.classList.contains('js-plotly-plot') && d.querySelector('.main-svg')); }""")
    return page.evaluate(CHARTS_JS)


def hover_chart(page, chart_id: str) -> str:
    """Move the mouse onto the chart's first drawn mark, as a reader does; return the hover label's text."""
    spot = page.evaluate("""([id, sel]) => {
        const mark = [...document.getElementById(id).querySelectorAll(sel)].find(e => {
            const b = e.getBoundingClientRect(); return b.width > 0 && b.height > 0; });
        if (!mark) return null;
        mark.scrollIntoView({block: 'center'});
        const b = mark.getBoundingClientRect();
        return {x: b.x + b.width / 2, y: b.y + b.height / 2}; }""", [chart_id, HOVER_TARGET])
    assert spot, f"{chart_id}: no drawn mark to hover over"
    page.mouse.move(spot["x"], spot["y"], steps=2)
    try:
        page.wait_for_function("id => document.getElementById(id).querySelector('.hoverlayer').childElementCount > 0",
                               arg=chart_id, timeout=3000)
    except PlaywrightTimeout:
        pytest.fail(f"{chart_id}: no hover label over its first drawn mark")
    return page.locator(f"#{chart_id} .hoverlayer").text_content()


def area_charts(charts: list[dict]) -> dict[str, dict]:
    """The first chart of the trend, ranking and heatmap sections."""
    first = {}
    for chart in charts:
        first.setdefault(chart["section"], chart)
    assert set(AREA_SECTIONS) <= set(first), [c["id"] for c in charts]
    return {key: first[key] for key in AREA_SECTIONS}


def assert_charts_drawn(charts: list[dict], weeks: int) -> None:
    assert charts
    for chart in charts:
        assert chart["traces"] > 0 and chart["traces"] == chart["fullTraces"], chart
        assert chart["svgs"] >= 3 and chart["height"] > 100, chart
        assert chart["traceGroups"] == chart["cartesianTraces"] and chart["images"] == chart["heatmaps"], chart
        assert chart["lines"] + chart["points"] + chart["bars"] + chart["images"] > 0, chart
    area = area_charts(charts)
    trend, ranking, heatmap = area["trend"], area["ranking"], area["heatmap"]
    assert len(trend["legend"]) == 12 and trend["lines"] + trend["points"] >= 12, trend  # every area drawn
    assert trend["bars"] == weeks, trend  # the week's ML postings, under the shares
    assert ranking["bars"] >= 10, ranking  # a bar per area (an area at 0% draws none)
    assert heatmap["images"] == 1, heatmap  # plotly paints the area x week grid as one image


def click_trend_views(page, trend_id: str) -> list[str]:
    """Each of the trend chart's view buttons (if it has any), in turn, then the first again: every
    view must still draw the twelve areas."""
    buttons = page.locator(f"#{trend_id} .updatemenu-button")
    views: list[str] = []
    count = buttons.count()
    for i in [*range(count), 0] if count else []:
        buttons.nth(i).click()
        views.append(buttons.nth(i).text_content())
        chart = next(c for c in page.evaluate(CHARTS_JS) if c["id"] == trend_id)
        assert chart["lines"] + chart["points"] >= 12, (views[-1], chart)
    return views


def test_demo_report_draws_every_chart_without_errors_and_its_links_work(demo_run, watched, tmp_path):  # noqa: F811
    data_dir, output = demo_run
    week_page = Path(output.strip().splitlines()[-1])
    archive = data_dir / "reports" / "index.html"
    week = week_page.parent.name
    w = watched()
    page = w.page

    page.goto(archive.as_uri())
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
    assert f"{week}/index.html" in hrefs
    assert all((archive.parent / href).is_file() for href in hrefs), hrefs
    page.get_by_role("link", name=f"Latest: week {week}").click()
    page.wait_for_url(week_page.as_uri())
    assert page.locator("h1").inner_text() == f"ML skill demand, week {week}"

    charts = wait_for_charts(page)
    weeks = pd.read_parquet(data_dir / "dataset" / "weekly_area_demand.parquet")[WEEK].nunique()
    assert_charts_drawn(charts, weeks)
    labels = {chart["id"]: hover_chart(page, chart["id"]) for chart in charts}
    area = area_charts(charts)
    assert re.search(r"\d+\.\d% \(\d+ of \d+", labels[area["ranking"]["id"]]), labels
    assert "ML postings" in labels[area["heatmap"]["id"]], labels
    click_trend_views(page, area["trend"]["id"])
    shot = page.screenshot(path=str(tmp_path / f"report-{week}.png"), full_page=True)
    assert len(shot) > 50_000

    page.get_by_role("link", name="All weekly reports").click()
    page.wait_for_url(archive.as_uri())
    assert page.locator("tbody a", has_text=week).get_attribute("href") == f"{week}/index.html"
    assert page.evaluate(INJECTED_JS)["bad"] == []  # the hostile test's checks pass on an honest page
    assert w.problems() == {"console errors": [], "page errors": [], "dialogs": []}


def hostile_report(out_dir: Path) -> tuple[Path, dict[str, str], list[str]]:
    """A report whose every scraped field, and every area name, is an attack: (page, area names, strings to show)."""
    postings = make_postings(2)
    latest = postings.index[(postings[WEEK] == "2026-W02") & postings[IS_ML]]
    for n, i in enumerate(latest):
        postings.loc[i, [TITLE, COMPANY, LOCATION, SOURCE]] = [HOSTILE[(n + k) % len(HOSTILE)] for k in range(4)]
        postings.loc[i, URL] = HOSTILE_URLS[n % len(HOSTILE_URLS)]
    runs = pd.DataFrame([{
        SOURCE: HOSTILE[k], "started_at": GENERATED_AT, "finished_at": GENERATED_AT, "status": "failed",
        POSTINGS: 0, "error": f"HTTP 503 {HOSTILE[k]}", "possibly_broken": HOSTILE[(k + 1) % len(HOSTILE)],
        "ignore_robots_reason": HOSTILE[(k + 2) % len(HOSTILE)]} for k in range(len(HOSTILE))])
    # Area names come from our own taxonomy, but they are the one text that reaches plotly's labels.
    area_names = {area: f"{HOSTILE[k % len(HOSTILE)]} {k}" for k, area in enumerate(AREA_IDS)}
    page = build_report(make_weekly(postings), postings, area_names, out_dir, generated_at=GENERATED_AT,
                        taxonomy_version=TAXONOMY, source_runs=runs)
    return page, area_names, [*HOSTILE, f"HTTP 503 {HOSTILE[0]}"]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    return hostile_report(tmp_path_factory.mktemp("hostile"))


@pytest.fixture(scope="module", params=[False, True], ids=["with-csp", "escaping-alone"])
def hostile_page(request, browser, hostile):
    """The hostile report opened and every chart hovered: (watched page, charts, hover labels).

    Also with the page's CSP switched off, so that escaping alone is what is tested."""
    w = Watched(browser, bypass_csp=request.param)
    w.page.goto(hostile[0].as_uri())
    charts = wait_for_charts(w.page)
    labels = {chart["id"]: hover_chart(w.page, chart["id"]) for chart in charts}
    w.page.locator("#postings tbody tr").first.hover()
    w.page.locator("#notes table tbody tr").first.hover()
    yield w, charts, labels
    w.context.close()


def test_hostile_scraped_text_never_runs_and_shows_as_text(hostile, hostile_page):
    _, area_names, shown = hostile
    w, charts, labels = hostile_page
    page = w.page
    assert_charts_drawn(charts, weeks=2)
    found = page.evaluate(INJECTED_JS)
    assert found["bad"] == []
    # the inline prelude, plotly.js from the shared assets folder next to the pages, one inline script per chart
    plotly_file = (hostile[0].parent.parent / "assets" / f"plotly-{get_plotlyjs_version()}.min.js").as_uri()
    assert found["scripts"] == ["", plotly_file] + [""] * len(charts)
    assert page.locator("a[href^='javascript' i], img[src='x']").count() == 0
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
    assert all(h == "../index.html" or h.startswith(("#", "https://ok.example/")) for h in hrefs), hrefs
    assert w.problems() == {"console errors": [], "page errors": [], "dialogs": []}

    text = page.locator("body").inner_text()
    for s in shown:
        assert s in text, s
    assert page.locator("#postings tbody td", has_text=HOSTILE[1]).count() > 0
    trend = area_charts(charts)["trend"]
    unquoted = [name for name in area_names.values() if '"' not in name]
    assert all(name in labels[trend["id"]] for name in unquoted), labels[trend["id"]]
    assert all(entry.startswith("<") for entry in trend["legend"]), trend["legend"]


def test_chart_labels_show_area_names_exactly(hostile, hostile_page):
    """Names with quotes too: plotly decodes &lt; &gt; &amp; but would draw &quot; literally."""
    _, area_names, _ = hostile
    _, charts, _ = hostile_page
    assert area_charts(charts)["trend"]["legend"] == list(area_names.values())


def test_the_checks_catch_a_page_that_does_not_escape(browser, watched, tmp_path):
    """The same checks on a page that pastes the hostile strings raw: they must see the attack."""
    page_path = tmp_path / "raw.html"
    page_path.write_text("<!doctype html><title>raw</title><table><tr>"
                         + "".join(f"<td>{s}</td>" for s in HOSTILE)
                         + f'</tr></table><a href="{HOSTILE_URLS[0]}">go</a>', encoding="utf-8")
    w = watched(bypass_csp=True)
    w.page.goto(page_path.as_uri())
    w.page.locator("b").hover()
    w.page.wait_for_function("document.readyState === 'complete'")
    found = w.page.evaluate(INJECTED_JS)
    assert any(b.startswith("<img") for b in found["bad"]) and any("javascript:" in b for b in found["bad"])
    assert len(found["scripts"]) == 1
    assert "alert: 1" in w.dialogs and "alert: 5" in w.dialogs
