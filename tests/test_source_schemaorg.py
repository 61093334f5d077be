"""schema.org JobPosting JSON-LD: the real blocks, the forms pages bend it into, and crawling a local site."""
from __future__ import annotations

import asyncio
import copy
import gzip
import json
import re
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from werkzeug import Response

from scraper.fetch import BudgetExceeded, Fetcher, HTTPStatusFailure
from scraper.records import RawPosting
from scraper.settings import SchemaOrgSource
from scraper.sources import schemaorg
from scraper.sources.base import SourceContext, SourceFormatError
from scraper.sources.schemaorg import read_sitemap, same_host_links
from scraper.sources.schemaorg_jsonld import (
    date_posted_utc,
    job_postings_in_html,
    parse_job_page,
    posting_from_job_posting,
    postings_from_job_postings,
    salary_hints,
)
from tests.conftest import FIXTURES
from tests.source_helpers import check_posting, run_collect

SEEK_PAGE = (FIXTURES / "payloads" / "schemaorg-seek-2017.html").read_text(encoding="utf-8")
TU_PAGE = (FIXTURES / "payloads" / "schemaorg-tuberlin-2026.html").read_text(encoding="utf-8")
PAGE_URL = "https://jobs.example.org/job/1"


def real_block(page: str) -> dict:
    items, rejected = job_postings_in_html(page, PAGE_URL)
    assert len(items) == 1 and not rejected
    return items[0]


def html_page(*blocks: str, body: str = "<p>hello</p>") -> str:
    scripts = "".join(f'<script type="application/ld+json">{block}</script>' for block in blocks)
    return f"<!DOCTYPE html><html><head><title>t</title>{scripts}</head><body>{body}</body></html>"


def job(title: str = "ML Engineer", **fields) -> dict:
    return {"@context": "https://schema.org", "@type": "JobPosting", "title": title, **fields}


def parse(page: str, company: str = "Fallback Co"):
    return parse_job_page(page, PAGE_URL, "so", company)


# --- the real blocks ------------------------------------------------------------------------------

def test_real_seek_2017_block():
    page = parse(SEEK_PAGE)
    assert not page.rejected
    [posting] = page.postings
    assert posting.source == "so" and posting.source_kind == "schemaorg"
    assert posting.title == "PHP Developer (M2529)"
    assert posting.company == "10collective"
    # no identifier: the posting's own url is its id, and its link
    assert posting.source_id == posting.url == "https://www.seek.com.au/job/33019010"
    assert posting.location == "Eastern Suburbs, Melbourne"
    assert posting.posted_at == datetime(2017, 3, 14, 5, 1, 30, tzinfo=timezone.utc)
    assert posting.description_html.startswith("Talented PHP Developer")
    assert posting.hints == {"employment": "Full Time"}  # free text, not Google's enum: kept as stated
    assert posting.remote_hint == ""
    assert posting.payload["industry"] == "Information & Communication Technology"


def test_real_tu_berlin_2026_block():
    [posting] = parse(TU_PAGE).postings
    assert posting.source_id == "VI-SB-0081-2026"  # identifier.value
    assert posting.url == PAGE_URL  # no `url` in the block: the page it came from
    assert posting.title == "Studentische Beschäftigung mit 40 Monatsstunden"
    assert posting.company == "Technische Universität Berlin"
    assert posting.location == "Berlin, Deutschland"  # locality == region is said once
    assert posting.hints == {"employment": "PART_TIME", "country": "Deutschland"}
    assert posting.posted_at == datetime(2026, 10, 7, tzinfo=timezone.utc)  # date only
    assert posting.description_html.startswith("<h3>Ihre Aufgaben</h3>\n<ul>\n<li>")
    assert posting.payload["validThrough"] == "2026-11-04T00:00:00+01:00"  # no hint key: kept in the payload
    json.dumps(posting.to_json())


# --- the forms JSON-LD comes in -------------------------------------------------------------------

def test_graph_array_nested_and_typed_forms():
    graph = {"@context": "https://schema.org", "@graph": [
        {"@type": "WebPage", "name": "careers"},
        {"@type": "Organization", "name": "Acme"},
        {"@type": "WebPage", "mainEntity": job("Nested in mainEntity", identifier="n1")},
        {"@graph": [job("Graph in graph", identifier="n2")]},
    ]}
    array = [job("First of array", identifier="a1"),
             {**job("List type", identifier="a2"), "@type": ["JobPosting", "Thing"]},
             {**job("Prefixed", identifier="a3"), "@type": "schema:JobPosting"},
             {**job("Full URL", identifier="a4"), "@type": "http://schema.org/JobPosting"},
             {"@type": "Organization", "name": "not a job"}]
    page = parse(html_page(json.dumps(graph), json.dumps(array)))
    assert [p.title for p in page.postings] == [
        "Nested in mainEntity", "Graph in graph", "First of array", "List type", "Prefixed", "Full URL"]
    assert not page.rejected


def test_several_postings_on_one_page_get_distinct_ids():
    # e.g. one block with the internal requisition title, one with the public title, neither with an id
    page = parse(html_page(json.dumps(job("REQ-7 MLE")), json.dumps(job("Machine Learning Engineer"))))
    assert [p.source_id for p in page.postings] == [PAGE_URL, PAGE_URL + "#2"]
    assert all(p.url == PAGE_URL for p in page.postings)


def test_invalid_json_block_is_rejected_and_the_others_still_read():
    page = parse(html_page('{"@type": "JobPosting", "title": "broken",}', "", json.dumps(job("Kept"))))
    assert [p.title for p in page.postings] == ["Kept"]
    reasons = [r.reason for r in page.rejected]
    assert len(reasons) == 2
    assert "block 1" in reasons[0] and "not valid JSON" in reasons[0]
    assert "empty" in reasons[1]
    assert page.rejected[0].item.startswith('{"@type"')  # the block's text, for a human to look at


def test_tolerated_json_quirks_and_script_type_spelling():
    one = json.dumps(job("Trailing semicolon")) + ";"
    two = "<!--\n" + json.dumps(job("Comment wrapped", identifier="2")) + "\n-->"
    three = "//<![CDATA[\n" + json.dumps(job("CDATA", identifier="3")) + "\n//]]>"
    four = '{"@type": "JobPosting", "identifier": "4", "title": "Raw newline", "description": "<p>a\nb</p>"}'
    five = json.dumps(job("Escaped \u002f slash", identifier="5")).replace("/", "\\u002F")
    page_html = html_page(one, two, three, four, five) + (
        '<script type=" Application/LD+JSON ">' + json.dumps(job("Odd type spelling", identifier="6")) + "</script>"
        '<script type="application/json">' + json.dumps(job("Not JSON-LD")) + "</script>"
        "<script>" + json.dumps(job("Plain script")) + "</script>"
    )
    page = parse(page_html)
    assert [p.title for p in page.postings] == [
        "Trailing semicolon", "Comment wrapped", "CDATA", "Raw newline", "Escaped / slash", "Odd type spelling"]
    assert page.postings[3].description_html == "<p>a\nb</p>"
    assert not page.rejected


def test_broken_markup_around_the_script():
    first = json.dumps(job("Survives broken markup", identifier="b1"))
    second = json.dumps(job("Second, in the body", identifier="b2"))
    broken = (
        '<html><head><meta charset="utf-8"><div class="x><p>'
        f'<script type=application/ld+json>{first}</script>'
        "<body><table><tr><td><p>unclosed <b>tags <a href='/x'>link</td></tr><tr>"
        f'<script type="application/ld+json">{second}</script>'
        "</i></span></html></div>"
    )
    assert [p.title for p in parse(broken).postings] == ["Survives broken markup", "Second, in the body"]
    # an unclosed <title> swallows the rest of the page in any HTML parser: the raw-text scan recovers the blocks
    swallowed = f'<html><head><title>Jobs<script type="application/ld+json">{first}</script>' \
                f'<script type="application/ld+json">{second}</script></head></html>'
    assert [p.title for p in parse(swallowed).postings] == ["Survives broken markup", "Second, in the body"]


def test_description_is_unescaped_once_and_only_when_escaped():
    escaped = job("Gupy", identifier="e1",
                  description="&lt;p&gt;A Memed é healthtech &amp;amp; more: use &amp;lt;b&amp;gt;&lt;/p&gt;")
    real = job("Real HTML", identifier="e2", description="<p>salary &lt; 50k &amp; &lt;b&gt; is text</p>")
    plain = job("Plain", identifier="e3", description="R&amp;D team, no tags")
    by_title = {p.title: p for p in parse(html_page(json.dumps([escaped, real, plain]))).postings}
    # escaped once in the source: unescaped once, the recruiter's literal "&lt;b&gt;" stays text
    assert by_title["Gupy"].description_html == "<p>A Memed é healthtech &amp; more: use &lt;b&gt;</p>"
    assert by_title["Real HTML"].description_html == "<p>salary &lt; 50k &amp; &lt;b&gt; is text</p>"
    assert by_title["Plain"].description_html == "R&amp;D team, no tags"


@pytest.mark.parametrize("base_salary, expected", [
    ({"@type": "MonetaryAmount", "currency": "USD",
      "value": {"@type": "QuantitativeValue", "minValue": 120000, "maxValue": 160000, "unitText": "YEAR"}},
     {"salary_min": "120000", "salary_max": "160000", "salary_currency": "USD", "salary_interval": "year"}),
    ({"currency": "eur", "value": {"value": 42.5, "unitText": "HOUR"}},
     {"salary_min": "42.5", "salary_max": "42.5", "salary_currency": "EUR", "salary_interval": "hour"}),
    ({"currency": "GBP", "value": "55,000", "unitText": "MONTH"},
     {"salary_min": "55000", "salary_max": "55000", "salary_currency": "GBP", "salary_interval": "month"}),
    ({"currency": "CHF", "minValue": 90000, "maxValue": "110000"},
     {"salary_min": "90000", "salary_max": "110000", "salary_currency": "CHF"}),
    ([{"currency": "USD", "value": {"minValue": 50, "unitText": "weekly"}}],
     {"salary_min": "50", "salary_currency": "USD", "salary_interval": "week"}),
    ({"currency": "Dollars", "value": {"value": "competitive", "unitText": "YEAR"}}, {}),
    ({"currency": "USD", "value": "competitive"}, {"pay_range": "competitive"}),
    ("$100k - $120k a year", {"pay_range": "$100k - $120k a year"}),
    (70000, {"salary_min": "70000", "salary_max": "70000"}),
    ({"value": {"minValue": -5, "maxValue": float("nan"), "unitText": "DAY"}}, {}),
    (None, {}),
    (True, {}),
])
def test_base_salary_forms(base_salary, expected):
    assert salary_hints(base_salary) == expected


@pytest.mark.parametrize("value, expected", [
    ("2017-03-14T05:01:30Z", datetime(2017, 3, 14, 5, 1, 30, tzinfo=timezone.utc)),
    ("2026-10-07", datetime(2026, 10, 7, tzinfo=timezone.utc)),
    ("2026-10-07T10:00:00+02:00", datetime(2026, 10, 7, 8, tzinfo=timezone.utc)),
    ("2026-10-07T10:00:00", datetime(2026, 10, 7, 10, tzinfo=timezone.utc)),  # no offset: UTC
    ("2026-9-21", datetime(2026, 9, 21, tzinfo=timezone.utc)),  # unpadded (a Kaiser page)
    ("20261007", datetime(2026, 10, 7, tzinfo=timezone.utc)),
    ("0001-01-01T00:00:00+05:00", datetime(1, 1, 1, tzinfo=timezone.utc)),  # out of range in UTC: its date
    ("2026-13-45", None),
    ("yesterday", None),
    (1700000000, None),
])
def test_date_posted_variants(value, expected):
    assert date_posted_utc(value) == expected


def test_locations_remote_company_and_identifier_forms():
    remote = job("Remote", identifier={"@type": "PropertyValue", "name": "Acme", "value": 4711},
                 jobLocationType="TELECOMMUTE", hiringOrganization="Acme Plain String",
                 applicantLocationRequirements=[{"@type": "Country", "name": "USA"}, {"@type": "State", "name": "CA"}],
                 employmentType=["FULL_TIME", "CONTRACTOR"])
    places = job("Places", identifier=["", {"value": "p-1"}], url="/jobs/p-1#apply",
                 jobLocation=[{"@type": "Place", "address": {"addressLocality": "Zürich",
                                                             "addressCountry": {"@type": "Country", "name": "CH"}}},
                              {"@type": "Place", "address": "Remote, Europe",
                               "additionalProperty": {"@type": "PropertyValue", "value": "TELECOMMUTE"}}])
    odd = job("R&amp;D Lead", identifier="o", hiringOrganization={"name": None}, jobLocation={"address": None},
              jobLocationType=["telecommute"], employmentType=7)
    first, second, third = parse(html_page(json.dumps([remote, places, odd]))).postings
    assert first.source_id == "4711" and first.company == "Acme Plain String" and first.remote_hint == "remote"
    assert first.location == "USA; CA" and first.hints["country"] == "USA"
    assert first.hints["employment"] == "FULL_TIME, CONTRACTOR"
    assert second.source_id == "p-1" and second.url == "https://jobs.example.org/jobs/p-1"
    assert second.location == "Zürich, CH; Remote, Europe" and second.hints == {"country": "CH"}
    assert second.remote_hint == "remote"  # from jobLocation.additionalProperty
    assert third.title == "R&D Lead" and third.company == "Fallback Co" and third.location == ""
    assert third.remote_hint == "remote" and third.hints == {}


def test_malformed_posting_is_rejected_and_the_rest_kept():
    page = parse(html_page(json.dumps([job(title=""), {"@type": "JobPosting", "title": ["x"]}, job("Kept")])))
    assert [p.title for p in page.postings] == ["Kept"]
    assert [r.reason for r in page.rejected] == ["JobPosting without title"] * 2


def test_huge_numbers_are_not_crashes():
    digits = "1" * 5000  # past Python's 4300-digit int<->str limit
    page = parse(html_page('{"@type": "JobPosting", "title": "x", "identifier": ' + digits + "}", json.dumps(job())))
    assert [p.title for p in page.postings] == ["ML Engineer"] and "not valid JSON" in page.rejected[0].reason
    posting = posting_from_job_posting(job(identifier=int(digits[:400]) ** 11, baseSalary=10**400), PAGE_URL, "s", "c")
    assert posting.source_id == PAGE_URL and posting.hints == {}


def test_wrong_overall_shapes_are_format_errors():
    with pytest.raises(SourceFormatError):
        job_postings_in_html({"not": "html"}, PAGE_URL)
    with pytest.raises(SourceFormatError, match="root element is <html>"):
        read_sitemap(b"<html><body>Not found</body></html>")
    with pytest.raises(SourceFormatError):
        read_sitemap(b"\x1f\x8b not really gzip")
    assert parse("<html><body>no JSON-LD here</body></html>").postings == []


def test_sitemap_forms():
    urlset = ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
              "<url><loc>\n  https://a.example/jobs/1 </loc><lastmod>2026-10-07</lastmod></url>"
              "<url><lastmod>no loc</lastmod></url><url><loc>https://a.example/jobs/2</loc></url></urlset>")
    assert read_sitemap(urlset.encode()) == schemaorg.Sitemap("urlset", ["https://a.example/jobs/1",
                                                                         "https://a.example/jobs/2"])
    assert read_sitemap(gzip.compress(urlset.encode())).locs == ["https://a.example/jobs/1", "https://a.example/jobs/2"]
    index = ('<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
             "<sitemap><loc>https://a.example/s1.xml</loc></sitemap></sitemapindex>")
    assert read_sitemap(index.encode()) == schemaorg.Sitemap("index", ["https://a.example/s1.xml"])


def test_listing_links_same_host_and_pattern():
    listing = ('<a href="/jobs/1">one</a><a href="jobs/2#apply">two</a><a href="/about">about</a>'
               '<a href="https://elsewhere.example/jobs/3">other host</a><a href="mailto:x@y.z">mail</a>'
               '<a href="/jobs/1">again</a><a href="http://[::1">broken</a>')
    assert same_host_links(listing, "https://a.example/careers/", re.compile(r"/jobs/")) == [
        "https://a.example/jobs/1", "https://a.example/careers/jobs/2"]
    assert "https://a.example/about" in same_host_links(listing, "https://a.example/careers/", None)


# --- crawling a local site ------------------------------------------------------------------------

def serve_html(server, path: str, body: str, status: int = 200) -> None:
    server.expect_request(path).respond_with_data(body, status=status, content_type="text/html; charset=utf-8")


def requested(server) -> list[str]:
    return [request.path for request, _ in server.log if request.path != "/robots.txt"]


def test_detail_pages_listed_in_config(allow_robots, fast_settings):
    serve_html(allow_robots, "/job/seek", SEEK_PAGE)
    serve_html(allow_robots, "/job/tu", TU_PAGE)
    source = SchemaOrgSource(name="so", kind="schemaorg", company="Config Co",
                             urls=[allow_robots.url_for("/job/seek"), allow_robots.url_for("/job/tu")])
    page = run_collect(schemaorg, source, fast_settings)
    assert [p.source_id for p in page.postings] == ["https://www.seek.com.au/job/33019010", "VI-SB-0081-2026"]
    assert page.postings[1].url == allow_robots.url_for("/job/tu")
    assert page.requests == 2 and not page.rejected


def test_listing_page_links_are_followed(allow_robots, fast_settings):
    serve_html(allow_robots, "/careers", '<ul><li><a href="/jobs/tu">TU</a><li><a href="/jobs/gone">gone</a>'
                                         '<li><a href="/about">About us</a><li><a href="/jobs/plain">plain</a></ul>')
    serve_html(allow_robots, "/jobs/tu", TU_PAGE)
    serve_html(allow_robots, "/jobs/gone", "<h1>Not found</h1>", status=404)
    serve_html(allow_robots, "/jobs/plain", "<html><body>a job page without JSON-LD</body></html>")
    source = SchemaOrgSource(name="so", kind="schemaorg", urls=[allow_robots.url_for("/careers")],
                             url_pattern=r"/jobs/")
    page = run_collect(schemaorg, source, fast_settings)
    assert [p.source_id for p in page.postings] == ["VI-SB-0081-2026"]
    assert requested(allow_robots) == ["/careers", "/jobs/tu", "/jobs/gone", "/jobs/plain"]  # /about skipped
    reasons = [r.reason for r in page.rejected]
    assert len(reasons) == 2 and "HTTP 404" in reasons[0] and "no JobPosting" in reasons[1]
    assert page.requests == 4


def test_sitemap_index_to_sitemap_to_pages(allow_robots, fast_settings):
    url = allow_robots.url_for
    index = ('<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
             f"<sitemap><loc>{url('/sitemap-jobs.xml.gz')}</loc></sitemap>"
             f"<sitemap><loc>{url('/sitemap-missing.xml')}</loc></sitemap></sitemapindex>")
    jobs = ('<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<url><loc>{url('/jobs/seek')}</loc></url><url><loc>{url('/blog/post')}</loc></url>"
            f"<url><loc>{url('/jobs/tu')}</loc></url><url><loc>{url('/jobs/seek')}</loc></url></urlset>")
    allow_robots.expect_request("/sitemap.xml").respond_with_data(index, content_type="application/xml")
    allow_robots.expect_request("/sitemap-jobs.xml.gz").respond_with_data(
        gzip.compress(jobs.encode()), content_type="application/gzip")
    allow_robots.expect_request("/sitemap-missing.xml").respond_with_data("gone", status=404)
    serve_html(allow_robots, "/jobs/seek", SEEK_PAGE)
    serve_html(allow_robots, "/jobs/tu", TU_PAGE)
    source = SchemaOrgSource(name="so", kind="schemaorg", sitemaps=[url("/sitemap.xml")], url_pattern=r"/jobs/")
    page = run_collect(schemaorg, source, fast_settings)
    assert [p.title for p in page.postings] == ["PHP Developer (M2529)",
                                                "Studentische Beschäftigung mit 40 Monatsstunden"]
    assert requested(allow_robots) == ["/sitemap.xml", "/sitemap-jobs.xml.gz", "/sitemap-missing.xml",
                                       "/jobs/seek", "/jobs/tu"]
    assert page.requests == 5
    assert len(page.rejected) == 1 and "sitemap could not be read" in page.rejected[0].reason


def test_known_url_is_not_fetched_again_and_max_pages(allow_robots, fast_settings):
    url = allow_robots.url_for
    jobs = ('<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + "".join(f"<url><loc>{url(path)}</loc></url>" for path in ("/jobs/tu", "/jobs/seek", "/jobs/later"))
            + "</urlset>")
    allow_robots.expect_request("/sitemap.xml").respond_with_data(jobs, content_type="application/xml")
    serve_html(allow_robots, "/jobs/seek", SEEK_PAGE)
    [stored] = parse_job_page(TU_PAGE, url("/jobs/tu"), "so", "x").postings
    context = SourceContext(known={stored.source_id: stored})
    source = SchemaOrgSource(name="so", kind="schemaorg", sitemaps=[url("/sitemap.xml")], max_pages=1)
    page = run_collect(schemaorg, source, fast_settings, context)
    assert requested(allow_robots) == ["/sitemap.xml", "/jobs/seek"]  # /jobs/tu known, /jobs/later over budget
    assert page.postings == [stored, parse_job_page(SEEK_PAGE, url("/jobs/seek"), "so", "so").postings[0]]
    assert page.requests == 2


def test_one_failing_start_point_is_rejected_all_failing_raise(allow_robots, fast_settings):
    serve_html(allow_robots, "/job/tu", TU_PAGE)
    serve_html(allow_robots, "/job/closed", "closed", status=404)
    base = allow_robots.url_for("/").rstrip("/")
    # base_url replaces the configured URLs' scheme and host
    source = SchemaOrgSource(name="so", kind="schemaorg", base_url=base,
                             urls=["https://careers.example.org/job/closed", "https://careers.example.org/job/tu"])
    page = run_collect(schemaorg, source, fast_settings)
    assert [p.source_id for p in page.postings] == ["VI-SB-0081-2026"]
    assert len(page.rejected) == 1 and "HTTP 404" in page.rejected[0].reason
    only_closed = SchemaOrgSource(name="so", kind="schemaorg", base_url=base,
                                  urls=["https://careers.example.org/job/closed"])
    with pytest.raises(HTTPStatusFailure):
        run_collect(schemaorg, only_closed, fast_settings)
    allow_robots.expect_request("/sitemap.xml").respond_with_data("<html>soft 404</html>", content_type="text/html")
    soft_404 = SchemaOrgSource(name="so", kind="schemaorg", sitemaps=[allow_robots.url_for("/sitemap.xml")])
    with pytest.raises(SourceFormatError):
        run_collect(schemaorg, soft_404, fast_settings)


# --- property tests: odd input never escapes as anything but SourceFormatError -------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
    | st.sampled_from(["JobPosting", "TELECOMMUTE", "2026-9-21", "&lt;p&gt;x&lt;/p&gt;", "0001-01-01T00:00+05:00",
                       "http://[::1", "/rel", "x" * 5000]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["@type", "@graph", "name", "value", "minValue", "maxValue", "unitText", "currency",
                         "address", "addressCountry", "addressLocality", "additionalProperty"]) | st.text(max_size=8),
        children, max_size=4),
    max_leaves=12,
)
REAL_BLOCKS = [real_block(SEEK_PAGE), real_block(TU_PAGE)]


@st.composite
def mutated_job_postings(draw):
    item = copy.deepcopy(draw(st.sampled_from(REAL_BLOCKS)))
    for key in draw(st.lists(st.sampled_from(sorted(item)), max_size=4)):
        item.pop(key, None)
    for key in draw(st.lists(st.sampled_from([
        "title", "description", "datePosted", "identifier", "url", "hiringOrganization", "jobLocation",
        "jobLocationType", "employmentType", "baseSalary", "applicantLocationRequirements", "@type", "name",
    ]), max_size=5)):
        item[key] = draw(json_values)
    return item


@st.composite
def pages_with_json_ld(draw):
    items = draw(st.lists(mutated_job_postings(), min_size=1, max_size=3))
    shape = draw(st.sampled_from(["object", "array", "graph"]))
    data = items[0] if shape == "object" else items if shape == "array" else {"@graph": items}
    text = json.dumps(data)
    if draw(st.booleans()):  # corrupt the JSON text itself
        cut = draw(st.integers(0, len(text)))
        text = text[:cut] + draw(st.text(max_size=5)) + text[cut + draw(st.integers(0, 3)):]
    return html_page(text, body=draw(st.text(max_size=50)))


def check_every_posting_accounted_for(page_html) -> None:
    try:
        items, _ = job_postings_in_html(page_html, PAGE_URL)
    except SourceFormatError:
        return
    page = postings_from_job_postings(items, PAGE_URL, "so", "co")
    assert len(page.postings) + len(page.rejected) == len(items)
    for posting in page.postings:
        assert isinstance(posting, RawPosting)
        check_posting(posting)
    parse_job_page(page_html, PAGE_URL, "so", "co")


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pages_with_json_ld())
def test_property_mutated_json_ld(page_html):
    check_every_posting_accounted_for(page_html)


@hsettings(max_examples=150, deadline=None)
@given(st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(list('<>/"=;& \n!-[]{}:,') + ["<script", 'type="application/ld+json"',
                                "</script>", "<!--", "-->", "<![CDATA[", "]]>", "JobPosting", "@graph"]),
             max_size=60).map("".join),
    st.binary(max_size=200),
))
def test_property_random_text_and_html(page_html):
    check_every_posting_accounted_for(page_html)


@hsettings(max_examples=100, deadline=None)
@given(json_values)
def test_property_any_json_as_a_job_posting(value):
    item = value if not isinstance(value, dict) else {**value, "@type": "JobPosting"}
    result = posting_from_job_posting(item, PAGE_URL, "so", "co")
    assert isinstance(result, RawPosting) or result.reason


@hsettings(max_examples=100, deadline=None)
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300),
                 st.lists(st.sampled_from(["<urlset>", "</urlset>", "<url>", "</url>", "<loc>", "</loc>",
                                           "<sitemapindex>", "<sitemap>", "x", " ", "&", "<"]),
                          max_size=30).map("".join)))
def test_property_sitemaps(body):
    try:
        sitemap = read_sitemap(body)
    except SourceFormatError:
        return
    assert sitemap.kind in ("urlset", "index") and all(isinstance(loc, str) and loc for loc in sitemap.locs)
    same_host_links(body if isinstance(body, str) else body.decode("utf-8", "replace"), "https://a.example/", None)


def test_robots_disallowed_detail_page_is_rejected_without_a_request(httpserver, fast_settings):
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /private/\n")
    serve_html(httpserver, "/careers", '<a href="/jobs/tu">open</a><a href="/private/jobs/x">hidden</a>')
    serve_html(httpserver, "/jobs/tu", TU_PAGE)
    source = SchemaOrgSource(name="so", kind="schemaorg", urls=[httpserver.url_for("/careers")], url_pattern="/jobs/")
    page = run_collect(schemaorg, source, fast_settings)
    assert [p.source_id for p in page.postings] == ["VI-SB-0081-2026"]
    assert requested(httpserver) == ["/careers", "/jobs/tu"] and page.requests == 2
    assert len(page.rejected) == 1 and "robots.txt disallows" in page.rejected[0].reason


def test_time_budget_stops_the_crawl_instead_of_rejecting_every_page(allow_robots, fast_settings):
    now = [0.0]
    serve_html(allow_robots, "/careers", '<a href="/jobs/a">a</a><a href="/jobs/b">b</a>')

    def slow_page(request):
        now[0] += 1000  # this page "took" longer than the source's budget
        return Response(TU_PAGE, content_type="text/html")

    allow_robots.expect_request("/jobs/a").respond_with_handler(slow_page)
    source = SchemaOrgSource(name="so", kind="schemaorg", urls=[allow_robots.url_for("/careers")],
                             time_budget_seconds=60)

    async def main():
        async with Fetcher(fast_settings, clock=lambda: now[0]) as fetcher:
            return await schemaorg.collect(fetcher.for_source(source), source)

    with pytest.raises(BudgetExceeded):
        asyncio.run(main())
    assert requested(allow_robots) == ["/careers", "/jobs/a"]
