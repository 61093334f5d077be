"""The CSS-selector listing adapter (kind "html") against a local server serving hand-made job pages."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from scraper.records import RawPosting
from scraper.settings import HtmlListingSource, HtmlSelectors
from scraper.sources import html_listing
from scraper.sources.base import SourceContext, SourceFormatError
from tests.source_helpers import run_collect

PAGES = Path(__file__).parent / "fixtures" / "html_listing"
NOW = datetime(2026, 5, 10, 15, 0, tzinfo=timezone.utc)
SITE = "https://careers.example-ai.com"

SELECTORS = HtmlSelectors(
    item="li.job-card",
    company=".company",
    location=".location",
    date="time, .posted",
    next_page="a.next",
    description="section.description",
    detail_title="h1.job-title",
    detail_company=".meta .company",
    detail_location=".job-location",
    detail_date=".meta time, meta[itemprop=datePosted]",
)
DETAILS = {  # path -> fixture (None: the job is gone, 404)
    "/jobs/101-ml-engineer": "job-101.html",
    "/jobs/102-data-scientist": "job-102.html",
    "/jobs/103-mlops": "job-103.html",
    "/jobs/201-nlp-scientist": "job-201.html",
    "/jobs/301-cv-engineer": "job-301.html",
    "/jobs/302-rl-researcher": None,
}


def page(name: str) -> str:
    return (PAGES / name).read_text(encoding="utf-8")


def make_source(server, **overrides) -> HtmlListingSource:
    config = {"name": "example-ai", "kind": "html", "start_url": f"{SITE}/jobs", "company": "Example AI",
              "base_url": server.url_for("/"), "selectors": SELECTORS}
    config.update(overrides)
    return HtmlListingSource(**config)


def serve_site(server) -> None:
    for number in (2, 3):
        server.expect_request("/jobs", query_string=f"page={number}").respond_with_data(
            page(f"listing-page{number}.html"), content_type="text/html; charset=utf-8")
    server.expect_request("/jobs", query_string="").respond_with_data(
        page("listing-page1.html"), content_type="text/html; charset=utf-8")
    for path, fixture in DETAILS.items():
        if fixture is None:
            server.expect_request(path).respond_with_data("<h1>Not found</h1>", status=404, content_type="text/html")
        else:
            server.expect_request(path).respond_with_data(page(fixture), content_type="text/html")


def collect(source, settings, context=None):
    return run_collect(html_listing, source, settings, context, clock=lambda: NOW)


def requested(server) -> list[str]:
    return [req.full_path.rstrip("?") for req, _ in server.log if req.path != "/robots.txt"]


def listing(name: str, selectors: HtmlSelectors = SELECTORS, url: str = f"{SITE}/jobs") -> html_listing.ListingPage:
    return html_listing.parse_listing(page(name), url, selectors, source_name="s", company="Fallback",
                                      fetched_at=NOW)


# --- the whole run against the local server ----------------------------------------------------

def test_three_pages_with_details(allow_robots, fast_settings):
    serve_site(allow_robots)
    result = collect(make_source(allow_robots), fast_settings)
    base = allow_robots.url_for("/").rstrip("/")

    assert [p.source_id for p in result.postings] == [
        f"{base}/jobs/101-ml-engineer", f"{base}/jobs/102-data-scientist", f"{base}/jobs/103-mlops",
        f"{base}/jobs/201-nlp-scientist", f"{base}/jobs/301-cv-engineer",
    ]
    # a listing page's details are fetched concurrently (any order among them), before the next listing page
    order = requested(allow_robots)
    pages = [i for i, path in enumerate(order) if path.startswith("/jobs") and not path.startswith("/jobs/")]
    assert [order[i] for i in pages] == ["/jobs", "/jobs?page=2", "/jobs?page=3"]
    assert set(order[1:pages[1]]) == set(list(DETAILS)[:3]) and len(order[1:pages[1]]) == 3
    assert order[pages[1] + 1:pages[2]] == ["/jobs/201-nlp-scientist"]
    assert sorted(order[pages[2] + 1:]) == ["/jobs/301-cv-engineer", "/jobs/302-rl-researcher"]
    assert result.requests == 9

    ml, data, mlops, nlp, cv = result.postings
    # detail fields override the listing's
    assert ml.source == "example-ai" and ml.source_kind == "html"
    assert ml.url == ml.source_id
    assert ml.title == "Senior Machine Learning Engineer"
    assert ml.company == "Acme AI GmbH"
    assert ml.location == "Berlin (hybrid)"
    assert ml.posted_at == datetime(2026, 5, 4, tzinfo=timezone.utc)
    # description: the selected element's inner HTML, entities kept as the page had them (unescaped once)
    assert ml.description_html.strip().startswith("<p>We train &amp; deploy <strong>PyTorch</strong>")
    assert "&lt;b&gt;" in ml.description_html and "<b>" not in ml.description_html
    assert "section" not in ml.description_html and "Apply now" not in ml.description_html
    assert ml.payload["listing_url"] == f"{base}/jobs"
    assert ml.payload["detail"]["company"] == "Acme AI GmbH"
    # an absolute link to the real site is followed on base_url, without its #fragment
    assert data.title == "Data Scientist & Analyst"
    assert data.company == "Orbit Analytics Ltd"
    assert data.posted_at == datetime(2026, 5, 7, tzinfo=timezone.utc)  # listing's "3 days ago"; detail has no date
    # no company anywhere: the configured one; whitespace of the link text collapsed; "Posted yesterday"
    assert mlops.title == "MLOps Engineer" and mlops.company == "Example AI"
    assert mlops.location == "Remote – EU time zones"
    assert mlops.posted_at == datetime(2026, 5, 9, tzinfo=timezone.utc)
    # page 2 has unclosed tags: still parsed
    assert (nlp.title, nlp.company, nlp.location) == ("NLP Research Scientist", "Lingo Labs", "Remote")
    assert nlp.posted_at == datetime(2026, 4, 26, tzinfo=timezone.utc)
    assert "<li>Transformers, RLHF" in nlp.description_html
    # a date in a `content` attribute on the detail page
    assert cv.posted_at == datetime(2026, 3, 27, tzinfo=timezone.utc)

    reasons = [r.reason for r in result.rejected]
    assert len(reasons) == 3
    assert any("no link" in r for r in reasons)  # the talent-pool promo
    assert any("mailto:" in r for r in reasons)
    assert any("HTTP 404" in r for r in reasons)  # the detail that is gone; the others are kept
    gone = next(r for r in result.rejected if "HTTP 404" in r.reason)
    assert gone.item["href"] == "/jobs/302-rl-researcher"


def test_known_jobs_are_re_emitted_without_fetching_their_pages(allow_robots, fast_settings):
    serve_site(allow_robots)
    source = make_source(allow_robots)
    base = allow_robots.url_for("/").rstrip("/")
    stored = {
        f"{base}/jobs/101-ml-engineer": RawPosting("example-ai", "html", f"{base}/jobs/101-ml-engineer",
                                                   f"{base}/jobs/101-ml-engineer", "Stored ML Engineer", "Acme AI",
                                                   "Berlin", None, "<p>stored</p>"),
        f"{base}/jobs/201-nlp-scientist": RawPosting("example-ai", "html", f"{base}/jobs/201-nlp-scientist",
                                                     f"{base}/jobs/201-nlp-scientist", "Stored NLP", "Lingo Labs",
                                                     "Remote", None, "<p>stored</p>"),
    }
    result = collect(source, fast_settings, SourceContext(known=stored))
    paths = requested(allow_robots)
    assert "/jobs/101-ml-engineer" not in paths and "/jobs/201-nlp-scientist" not in paths
    assert "/jobs/102-data-scientist" in paths
    assert result.requests == 7
    by_id = {p.source_id: p for p in result.postings}
    assert by_id[f"{base}/jobs/101-ml-engineer"] is stored[f"{base}/jobs/101-ml-engineer"]
    assert by_id[f"{base}/jobs/201-nlp-scientist"] is stored[f"{base}/jobs/201-nlp-scientist"]
    assert len(result.postings) == 5


def test_without_description_selector_no_detail_page_is_fetched(allow_robots, fast_settings):
    serve_site(allow_robots)
    selectors = SELECTORS.model_copy(update={"description": None})
    result = collect(make_source(allow_robots, selectors=selectors), fast_settings)
    assert requested(allow_robots) == ["/jobs", "/jobs?page=2", "/jobs?page=3"]
    assert len(result.postings) == 6  # 302 included: its page is never asked for
    first = result.postings[0]
    assert first.title == "Machine Learning Engineer" and first.company == "Acme AI"
    assert first.posted_at == datetime(2026, 5, 4, 7, 30, tzinfo=timezone.utc)  # the datetime attribute, to UTC
    # the item's own HTML is the description
    assert first.description_html.startswith('<li class="job-card" data-id="101">')
    assert "Berlin, Germany" in first.description_html


def test_max_pages_and_max_details_are_limits(allow_robots, fast_settings):
    serve_site(allow_robots)
    result = collect(make_source(allow_robots, max_pages=1, max_details=2), fast_settings)
    order = requested(allow_robots)  # details are fetched concurrently: any order after the listing
    assert order[0] == "/jobs" and sorted(order[1:]) == ["/jobs/101-ml-engineer", "/jobs/102-data-scientist"]
    assert len(result.postings) == 2
    assert len(result.rejected) == 1 and "max_details=2" in result.rejected[0].reason


def test_next_page_loop_is_stopped(allow_robots, fast_settings):
    def loop_page(title: str, next_href: str) -> str:
        return (f'<html><body><div class="job"><a href="/job/{title}">{title}</a></div>'
                f'<a class="more" href="{next_href}">More</a></body></html>')

    allow_robots.expect_request("/loop/a").respond_with_data(loop_page("a", "/loop/b#top"), content_type="text/html")
    allow_robots.expect_request("/loop/b").respond_with_data(loop_page("b", "a"), content_type="text/html")
    selectors = HtmlSelectors(item="div.job", next_page="a.more")
    source = make_source(allow_robots, start_url=f"{SITE}/loop/a", selectors=selectors, max_pages=50)
    result = collect(source, fast_settings)
    assert requested(allow_robots) == ["/loop/a", "/loop/b"]
    assert [p.title for p in result.postings] == ["a", "b"]


def test_first_page_without_items_is_a_format_error(allow_robots, fast_settings):
    allow_robots.expect_request("/jobs").respond_with_data("<html><body><p>Redesigned!</p></body></html>",
                                                           content_type="text/html")
    with pytest.raises(SourceFormatError, match="selectors.item"):
        collect(make_source(allow_robots), fast_settings)


def test_non_utf8_page_is_read_by_its_declared_charset(allow_robots, fast_settings):
    body = '<html><body><li class="job-card"><a href="/j/1">Ingénieur ML</a></li></body></html>'.encode("latin-1")
    allow_robots.expect_request("/jobs").respond_with_data(body, content_type="text/html; charset=iso-8859-1")
    selectors = HtmlSelectors(item="li.job-card")
    result = collect(make_source(allow_robots, selectors=selectors), fast_settings)
    assert result.postings[0].title == "Ingénieur ML"


# --- the pure parsers ----------------------------------------------------------------------------

def test_broken_markup_still_parsed():
    parsed = listing("listing-page2.html", url=f"{SITE}/jobs?page=2")
    assert [p.title for p in parsed.postings] == ["Machine Learning Engineer", "NLP Research Scientist"]
    assert parsed.postings[1].location == "Remote"
    assert parsed.next_url == f"{SITE}/jobs?page=3"
    assert len(parsed.rejected) == 2


def test_item_without_link_or_with_a_non_web_link_is_rejected():
    markup = """<ul>
      <li class="job"><span>Talent pool</span></li>
      <li class="job"><a href="javascript:openJob(7)">ML Engineer</a></li>
      <li class="job"><a href="mailto:hr@example.com">Data Scientist</a></li>
      <li class="job"><a href="ftp://example.com/job.txt">Old school</a></li>
      <li class="job"><a href="#">Self link</a></li>
      <li class="job"><a href="http://[::1">Broken</a></li>
      <li class="job"><a href="/jobs/9"></a></li>
      <li class="job"><a href=" /jobs/8#apply ">Research Engineer</a></li>
    </ul>"""
    parsed = html_listing.parse_listing(markup, f"{SITE}/jobs", HtmlSelectors(item="li.job"), source_name="s",
                                        company="C", fetched_at=NOW)
    assert [p.source_id for p in parsed.postings] == [f"{SITE}/jobs/8"]
    reasons = [r.reason for r in parsed.rejected]
    assert len(reasons) == 7
    assert "no link" in reasons[0]
    assert "javascript:" in reasons[1] and "mailto:" in reasons[2] and "not an http(s)" in reasons[3]
    assert "listing page itself" in reasons[4] and "not a valid URL" in reasons[5] and "no title" in reasons[6]
    assert "Talent pool" in parsed.rejected[0].item["html"]


def test_item_that_is_itself_the_link_and_base_href():
    markup = ('<html><head><base href="https://jobs.example.org/en/"></head><body>'
              '<a class="card" href="roles/1"><h2>ML Engineer</h2><span class="co">Acme</span></a></body></html>')
    selectors = HtmlSelectors(item="a.card", title="h2", company=".co")
    parsed = html_listing.parse_listing(markup, f"{SITE}/x", selectors, source_name="s", company="C", fetched_at=NOW)
    posting = parsed.postings[0]
    assert posting.url == "https://jobs.example.org/en/roles/1"
    assert (posting.title, posting.company) == ("ML Engineer", "Acme")


def test_detail_without_description_element_is_rejected():
    posting = listing("listing-page1.html").postings[0]
    result = html_listing.parse_detail("<html><body><h1>Job closed</h1></body></html>", posting, SELECTORS,
                                       fetched_at=NOW)
    assert not result.postings and "selectors.description" in result.rejected[0].reason


def test_invalid_selector_is_a_format_error():
    with pytest.raises(SourceFormatError, match="selectors.item"):
        listing("listing-page1.html", HtmlSelectors(item="li[class="))


@pytest.mark.parametrize("text, expected", [
    ("3 days ago", datetime(2026, 5, 7, tzinfo=timezone.utc)),
    ("Posted 30+ days ago", datetime(2026, 4, 10, tzinfo=timezone.utc)),
    ("an hour ago", NOW - timedelta(hours=1)),
    ("5h ago", NOW - timedelta(hours=5)),
    ("2 weeks ago", datetime(2026, 4, 26, tzinfo=timezone.utc)),
    ("a month ago", datetime(2026, 4, 10, tzinfo=timezone.utc)),
    ("1 year ago", datetime(2025, 5, 10, tzinfo=timezone.utc)),
    ("yesterday", datetime(2026, 5, 9, tzinfo=timezone.utc)),
    ("Posted Today", datetime(2026, 5, 10, tzinfo=timezone.utc)),
    ("just now", NOW),
    ("2026-05-01T12:00:00+02:00", datetime(2026, 5, 1, 10, tzinfo=timezone.utc)),
    ("2026-05-01", datetime(2026, 5, 1, tzinfo=timezone.utc)),
    ("May 3, 2026", datetime(2026, 5, 3, tzinfo=timezone.utc)),
    ("Posted on 3 May 2026", datetime(2026, 5, 3, tzinfo=timezone.utc)),
    ("Mon, 04 May 2026 08:00:00 GMT", datetime(2026, 5, 4, 8, tzinfo=timezone.utc)),
    ("Apr 28", datetime(2026, 4, 28, tzinfo=timezone.utc)),  # no year: the fetch's year
    ("9999 years ago", None),
    ("2099-01-01", None),  # in the future: a closing date or a misread
    ("New", None),
    ("", None),
])
def test_posted_at_formats(text, expected):
    assert html_listing.parse_posted_at(text, NOW) == expected


# --- property tests: nothing but SourceFormatError escapes ----------------------------------------

REAL_PAGES = [page(name) for name in ("listing-page1.html", "listing-page2.html", "listing-page3.html")]
REAL_DETAILS = [page(name) for name in DETAILS.values() if name]
HTML_BITS = st.sampled_from([
    "<", ">", "</li>", '<li class="job-card">', "<a href=", '"', "'", "&", "&amp;", "&#0;", "\x00", "<!--",
    "<![CDATA[", "<script>", "</", "<time datetime=", "javascript:x()", "http://[", "\ud800", "é", "\n",
    "<base href=", "3 days ago", "99999999999 days ago", "<a class=next href=", "x" * 5000,
])


@st.composite
def mutated(draw, originals):
    text = draw(st.sampled_from(originals))
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "delete", "truncate", "duplicate"]))
        if op == "insert":
            text = text[:at] + draw(st.one_of(HTML_BITS, st.text(max_size=30))) + text[at:]
        elif op == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 200)):]
        elif op == "truncate":
            text = text[:at]
        else:
            text = text[:at] + text[max(0, at - 300):at] + text[at:]
    return text


ANY_MARKUP = st.one_of(st.text(max_size=300), st.binary(max_size=300), mutated(REAL_PAGES), mutated(REAL_DETAILS),
                       st.none(), st.integers(), st.lists(st.text(max_size=5), max_size=3))


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markup=ANY_MARKUP, page_url=st.sampled_from([f"{SITE}/jobs", "http://[::1", "not a url", ""]))
@pytest.mark.filterwarnings("ignore")
def test_parse_listing_only_raises_format_error(markup, page_url):
    try:
        parsed = html_listing.parse_listing(markup, page_url, SELECTORS, source_name="s", company="C",
                                            fetched_at=NOW)
    except SourceFormatError:
        return
    from bs4 import BeautifulSoup

    items = BeautifulSoup(markup, "lxml").select(SELECTORS.item)
    assert len(parsed.postings) + len(parsed.rejected) == len(items)
    for posting in parsed.postings:
        assert posting.url.startswith(("http://", "https://"))
        assert posting.title or SELECTORS.detail_title  # an untitled item may take its title from its page
        assert posting.posted_at is None or posting.posted_at.tzinfo is not None


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markup=ANY_MARKUP)
@pytest.mark.filterwarnings("ignore")
def test_parse_detail_only_raises_format_error(markup):
    posting = listing("listing-page1.html").postings[0]
    try:
        result = html_listing.parse_detail(markup, posting, SELECTORS, fetched_at=NOW)
    except SourceFormatError:
        return
    assert len(result.postings) + len(result.rejected) == 1


@hsettings(max_examples=300, deadline=None)
@given(value=st.one_of(st.text(max_size=60), st.none(), st.integers(), st.floats(), HTML_BITS,
                       st.from_regex(r"\d{1,6}\+? ?(d|days?|mo|months?|h|years?) ago", fullmatch=True)))
def test_parse_posted_at_never_raises(value):
    parsed = html_listing.parse_posted_at(value, NOW)
    assert parsed is None or (parsed.tzinfo is not None and parsed <= NOW + timedelta(days=1))


def test_links_the_fetcher_could_not_request_are_rejected():
    markup = ('<li class="job"><a href="http://[::1]:99999/j">Bad port</a></li>'
              '<li class="job"><a href="http://x\u200b.example/j">Bad host</a></li>')
    parsed = html_listing.parse_listing(markup, f"{SITE}/jobs", HtmlSelectors(item="li.job"), source_name="s",
                                        company="C", fetched_at=NOW)
    assert not parsed.postings
    assert all("not a valid URL" in r.reason for r in parsed.rejected) and len(parsed.rejected) == 2
