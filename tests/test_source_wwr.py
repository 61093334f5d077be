"""We Work Remotely RSS adapter against a local HTTP server serving the real recorded feed."""
from __future__ import annotations

import io
import json
import re
from datetime import datetime, timezone

import feedparser
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from scraper.fetch import HTTPStatusFailure
from scraper.settings import WeWorkRemotelySource
from scraper.sources import wwr
from scraper.sources.base import SourceFormatError
from tests.conftest import FIXTURES
from tests.source_helpers import check_posting, run_collect

FEED = (FIXTURES / "payloads" / "wwr-remote-jobs-2026.xml").read_bytes()
FEED_TEXT = FEED.decode("utf-8")
_ITEM = re.compile(r"\s*<item>.*?</item>", re.S)
ITEMS = _ITEM.findall(FEED_TEXT)
HEAD = FEED_TEXT[: FEED_TEXT.index(ITEMS[0])]
TAIL = FEED_TEXT[FEED_TEXT.index(ITEMS[-1]) + len(ITEMS[-1]):]
HTML_ERROR_PAGE = (
    b"<!DOCTYPE html><html><head><title>We're sorry, but something went wrong (500)</title></head>"
    b"<body><h1>Oops</h1><p>Please try again later.</p></body></html>"
)


def feed_of(*items: str) -> bytes:
    return (HEAD + "".join(items) + TAIL).encode("utf-8")


def wwr_source(server, *categories: str) -> WeWorkRemotelySource:
    return WeWorkRemotelySource(name="wwr", kind="wwr", categories=list(categories), base_url=server.url_for("/"))


def serve_feed(server, slug: str, body: bytes, status: int = 200, content_type: str = "application/rss+xml"):
    server.expect_request(f"/categories/{slug}.rss").respond_with_data(body, status=status, content_type=content_type)


# --- the real feed ------------------------------------------------------------------------------

def test_real_feed_field_mapping(allow_robots, fast_settings):
    assert len(ITEMS) == 3
    serve_feed(allow_robots, "remote-programming-jobs", FEED)
    page = run_collect(wwr, wwr_source(allow_robots, "remote-programming-jobs"), fast_settings)
    assert page.requests == 1 and page.rejected == []
    assert [p.company for p in page.postings] == ["Hospitable", "Harney & Sons Fine Teas", "Justworks"]
    first, second, third = page.postings
    assert first.source == "wwr" and first.source_kind == "wwr"
    assert first.source_id == "hospitable-customer-advocate-lead-north-america-remote-1"
    assert first.url == ("https://weworkremotely.com/remote-jobs/"
                         "hospitable-customer-advocate-lead-north-america-remote-1")
    assert first.title == "Customer Advocate Lead (North America - Remote)"
    assert first.location == "Anywhere in the World"
    assert first.remote_hint == "remote"
    assert first.hints == {"employment": "Full-Time"}
    # pubDate is RFC 822 with +0000
    assert first.posted_at == datetime(2026, 8, 11, 12, 40, 35, tzinfo=timezone.utc)
    assert third.posted_at == datetime(2026, 8, 9, 18, 30, 22, tzinfo=timezone.utc)
    # "&amp;" in the XML title is one ampersand; the en dash survives
    assert second.title == "Associate – ERP Operations (SAP Business One)"
    # The description is XML-escaped HTML: unescaped once it is real HTML whose own entities remain.
    assert first.description_html.lstrip().startswith("<p>")
    assert "&lt;p&gt;" not in first.description_html
    assert "experience.&nbsp;</p>" in first.description_html  # "&amp;nbsp;" in the XML, unescaped once only
    assert '<a href="https://hospitable.com/careers">' in first.description_html
    # Justworks: no region, two flagged countries -> location without flags, no single-country hint
    assert third.location == "Canada and United States of America"
    assert "country" not in third.hints
    assert first.payload["region"] == "Anywhere in the World"
    assert first.payload["skills"].endswith("and Team Management")
    assert first.payload["category"] == ["Customer Support"]
    assert first.payload["expires_at"] == "Thu, 10 Sep 2026 12:40:35 +0000"
    json.dumps([p.to_json() for p in page.postings])  # the raw store writes JSON


def test_two_categories_with_an_overlapping_job_emit_it_once(allow_robots, fast_settings):
    serve_feed(allow_robots, "remote-programming-jobs", feed_of(ITEMS[0], ITEMS[1]))
    serve_feed(allow_robots, "remote-devops-sysadmin-jobs", feed_of(ITEMS[1], ITEMS[2]))
    source = wwr_source(allow_robots, "remote-programming-jobs", "remote-devops-sysadmin-jobs")
    page = run_collect(wwr, source, fast_settings)
    assert page.requests == 2
    ids = [p.source_id for p in page.postings]
    assert ids == ["hospitable-customer-advocate-lead-north-america-remote-1",
                   "harney-sons-fine-teas-associate-erp-operations-sap-business-one",
                   "justworks-international-consultant-apac"]
    requested = [req.path for req, _ in allow_robots.log]
    assert "/categories/remote-programming-jobs.rss" in requested
    assert "/categories/remote-devops-sysadmin-jobs.rss" in requested


def test_empty_category_feed_is_empty_not_error(allow_robots, fast_settings):
    serve_feed(allow_robots, "remote-design-jobs", feed_of())
    page = run_collect(wwr, wwr_source(allow_robots, "remote-design-jobs"), fast_settings)
    assert page.postings == [] and page.rejected == [] and page.requests == 1


def test_unknown_category_404(allow_robots, fast_settings):
    serve_feed(allow_robots, "no-such-jobs", b"Not found", status=404, content_type="text/html")
    with pytest.raises(HTTPStatusFailure) as info:
        run_collect(wwr, wwr_source(allow_robots, "no-such-jobs"), fast_settings)
    assert info.value.status == 404


def test_html_error_page_is_a_format_error(allow_robots, fast_settings):
    serve_feed(allow_robots, "remote-programming-jobs", HTML_ERROR_PAGE, content_type="text/html")
    with pytest.raises(SourceFormatError, match="not an RSS feed"):
        run_collect(wwr, wwr_source(allow_robots, "remote-programming-jobs"), fast_settings)


@pytest.mark.parametrize("body", [b"", b'{"error": "nope"}', b"Service unavailable", b"\x00\xff\xfe garbage",
                                  b"<html><head><title>Just a moment...</title></head><body></body></html>"])
def test_not_a_feed_is_a_format_error(body):
    with pytest.raises(SourceFormatError):
        wwr.parse_feed(body, "wwr")


# --- broken and malformed feeds -----------------------------------------------------------------

def test_broken_xml_feed_keeps_its_entries():
    broken = FEED.replace(b"Harney &amp; Sons", b"Harney & Sons")  # a bare "&": not well-formed XML
    assert feedparser.parse(io.BytesIO(broken)).bozo
    page = wwr.parse_feed(broken, "wwr")
    assert len(page.postings) == 3
    assert page.postings[1].company == "Harney & Sons Fine Teas"


def test_truncated_feed_keeps_whole_items_and_rejects_the_cut_one():
    cut = FEED_TEXT.index("<pubDate>Mon, 10 Aug")  # inside the second item, before its guid and link
    page = wwr.parse_feed(FEED[: len(FEED_TEXT[:cut].encode("utf-8"))], "wwr")
    assert [p.company for p in page.postings] == ["Hospitable"]
    assert len(page.rejected) == 1 and "guid/link" in page.rejected[0].reason
    assert page.rejected[0].item["title"].startswith("Harney & Sons")


def test_item_without_title_or_guid_is_rejected_rest_kept():
    no_title = re.sub(r"<title>.*?</title>", "", ITEMS[0], count=1)
    no_guid = re.sub(r"<(guid|link)>.*?</\1>", "", ITEMS[1])
    page = wwr.parse_feed(feed_of(no_title, no_guid, ITEMS[2]), "wwr")
    assert [p.company for p in page.postings] == ["Justworks"]
    reasons = [r.reason for r in page.rejected]
    assert reasons == ["item without guid/link or title"] * 2


def test_title_without_company_prefix_and_first_colon_split():
    plain = ITEMS[2].replace("Justworks: International Consultant, APAC", "International Consultant")
    colons = ITEMS[0].replace("Hospitable: Customer Advocate Lead", "Acme: ML Engineer: Ranking")
    page = wwr.parse_feed(feed_of(plain, colons), "wwr")
    assert (page.postings[0].company, page.postings[0].title) == ("We Work Remotely", "International Consultant")
    assert page.postings[1].company == "Acme"
    assert page.postings[1].title == "ML Engineer: Ranking (North America - Remote)"
    assert wwr.split_title("Ratio:1 Labs") == ("", "Ratio:1 Labs")  # ":" without a space is part of a name


def test_escaped_markup_in_text_stays_text_and_dates_convert_to_utc():
    item = ITEMS[2].replace("Consulting role supporting", "Write &amp;lt;b&amp;gt; tags. Consulting role supporting")
    item = item.replace("Sun, 09 Aug 2026 18:30:22 +0000", "Sun, 09 Aug 2026 20:30:22 +0200")
    posting = wwr.parse_feed(feed_of(item), "wwr").postings[0]
    # the recruiter's literal "<b>" text: unescaping twice would have turned it into a tag
    assert "Write &lt;b&gt; tags." in posting.description_html
    assert posting.posted_at == datetime(2026, 8, 9, 18, 30, 22, tzinfo=timezone.utc)


def test_single_country_hint():
    assert wwr.single_country("🇩🇪 Germany") == "DE"
    assert wwr.single_country("🇨🇦 Canada and 🇺🇸 United States of America") == ""
    assert wwr.single_country("Portugal") == "Portugal"
    assert wwr.single_country("Spain, Portugal") == ""
    assert wwr.single_country("") == "" and wwr.single_country(None) == ""
    item = ITEMS[0].replace("<country></country>", "<country>🇩🇪 Germany</country>")
    posting = wwr.parse_feed(feed_of(item), "wwr").postings[0]
    assert posting.hints == {"employment": "Full-Time", "country": "DE"}
    assert posting.location == "Anywhere in the World; Germany"


def test_guid_that_is_not_a_url_keeps_the_link_as_url():
    item = re.sub(r"<guid>.*?</guid>", '<guid isPermaLink="false">wwr-job-42</guid>', ITEMS[2])
    posting = wwr.parse_feed(feed_of(item), "wwr").postings[0]
    assert posting.source_id == "wwr-job-42"
    assert posting.url == "https://weworkremotely.com/remote-jobs/justworks-international-consultant-apac"


# --- property tests: only SourceFormatError may escape --------------------------------------------

def _check_parse(body: bytes) -> None:
    try:
        page = wwr.parse_feed(body, "wwr")
    except SourceFormatError:
        return
    entries = feedparser.parse(io.BytesIO(body)).entries
    assert len(page.postings) + len(page.rejected) == len(entries)
    for posting in page.postings:
        check_posting(posting)


@hsettings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_only_format_errors(body):
    _check_parse(body)


_ODD_TEXT = st.one_of(
    st.text(max_size=50),
    st.sampled_from(["", "&", "&amp;", "<", "]]>", "<![CDATA[x]]>", "\x00", "🇺🇸", "🇺", ": ", "Acme:",
                     "not a date", "Mon, 99 Foo 9999 99:99:99 +9999", "http://[", "https://", "/", "x" * 20000]),
)
_TAGS = ["title", "guid", "link", "pubDate", "description", "region", "country", "state", "skills", "type",
         "category", "expires_at", "item", "channel", "rss"]


@st.composite
def mutated_feeds(draw) -> bytes:
    text = FEED_TEXT
    for _ in range(draw(st.integers(1, 4))):
        tag = draw(st.sampled_from(_TAGS))
        action = draw(st.sampled_from(["drop", "replace", "slice", "insert"]))
        if action == "drop":
            text = re.sub(rf"<{tag}\b[^>]*>.*?</{tag}>", "", text, count=draw(st.integers(0, 3)), flags=re.S)
        elif action == "replace":
            text = re.sub(rf"(<{tag}\b[^>]*>).*?(</{tag}>)",
                          lambda m, v=draw(_ODD_TEXT): m.group(1) + v + m.group(2), text, flags=re.S)
        elif action == "slice":
            start = draw(st.integers(0, len(text)))
            text = text[:start] + text[start + draw(st.integers(0, 400)):]
        else:
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(_ODD_TEXT) + text[at:]
    return text.encode("utf-8", errors="surrogatepass")


@hsettings(max_examples=200, deadline=None)
@given(mutated_feeds())
def test_mutated_real_feed_only_format_errors(body):
    _check_parse(body)
