"""Each source adapter against a local HTTP server serving real recorded responses."""
from __future__ import annotations

import copy
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from scraper.fetch import HTTPStatusFailure
from scraper.settings import GreenhouseSource, HackerNewsSource, LeverSource
from scraper.sources import greenhouse, hackernews, lever
from scraper.sources.base import SourceFormatError
from tests.conftest import load_fixture
from tests.source_helpers import run_collect


# --- Greenhouse -------------------------------------------------------------------------------

def test_greenhouse_real_board(allow_robots, fast_settings):
    board = load_fixture("greenhouse-github-2018.json")
    allow_robots.expect_request("/v1/boards/github/jobs", query_string="content=true").respond_with_json(board)
    source = GreenhouseSource(name="gh-github", kind="greenhouse", board_token="github", company="GitHub",
                              base_url=allow_robots.url_for("/"))
    page = run_collect(greenhouse, source, fast_settings)
    assert len(page.postings) == len(board["jobs"]) == 4
    first = page.postings[0]
    assert first.source == "gh-github" and first.source_kind == "greenhouse"
    assert first.source_id == "712339"
    assert first.title == "Account Manager"
    assert first.company == "GitHub"  # the 2018 payload has no company_name: config wins
    assert first.location == "Tokyo - Japan"
    assert first.posted_at == datetime(2018, 11, 16, 0, 37, 17, tzinfo=timezone.utc)
    # content is entity-escaped once in the API: the record holds real HTML, unescaped once.
    assert first.description_html.lstrip().startswith("<p>")
    assert "&lt;p&gt;" not in first.description_html
    assert first.payload["id"] == 712339


def test_greenhouse_unescapes_once_and_drops_board_boilerplate():
    content = (
        "&lt;div class=&quot;content-intro&quot;&gt;&lt;p&gt;About us: a communications platform&lt;/p&gt;&lt;/div&gt;"
        "&lt;p&gt;Use &amp;lt;b&amp;gt; tags and Python&lt;/p&gt;"
        "&lt;div class=&quot;content-conclusion&quot;&gt;&lt;p&gt;Equal opportunity employer&lt;/p&gt;&lt;/div&gt;"
    )
    page = greenhouse.parse_board(
        {"jobs": [{"id": 1, "title": " ML Engineer ", "content": content, "company_name": "Acme",
                   "first_published": "2026-05-22T09:16:29-04:00"}]},
        "gh", "fallback",
    )
    posting = page.postings[0]
    assert posting.title == "ML Engineer"
    assert posting.company == "Acme"
    assert "About us" not in posting.description_html
    assert "Equal opportunity" not in posting.description_html
    # The recruiter's literal "&lt;b&gt;" text stays text: unescaping twice would have made it a tag.
    assert "&lt;b&gt;" in posting.description_html
    assert posting.posted_at == datetime(2026, 5, 22, 13, 16, 29, tzinfo=timezone.utc)


def test_greenhouse_malformed_job_is_rejected_not_dropped():
    page = greenhouse.parse_board({"jobs": [{"title": "no id"}, {"id": 2, "title": "Data Scientist"}]}, "gh", "A")
    assert [p.source_id for p in page.postings] == ["2"]
    assert len(page.rejected) == 1 and "id" in page.rejected[0].reason


def test_greenhouse_wrong_shape_is_a_format_error():
    with pytest.raises(SourceFormatError):
        greenhouse.parse_board({"error": "nope"}, "gh", "A")


def test_greenhouse_unknown_board_404(allow_robots, fast_settings):
    allow_robots.expect_request("/v1/boards/nope/jobs").respond_with_json({"status": 404}, status=404)
    source = GreenhouseSource(name="gh", kind="greenhouse", board_token="nope", base_url=allow_robots.url_for("/"))
    with pytest.raises(HTTPStatusFailure) as info:
        run_collect(greenhouse, source, fast_settings)
    assert info.value.status == 404


# --- Lever ------------------------------------------------------------------------------------

def test_lever_real_postings_with_paging(allow_robots, fast_settings):
    postings = load_fixture("lever-leverdemo-2026.json")
    allow_robots.expect_request(
        "/v0/postings/leverdemo", query_string="mode=json&skip=0&limit=2"
    ).respond_with_json(postings[:2])
    allow_robots.expect_request(
        "/v0/postings/leverdemo", query_string="mode=json&skip=2&limit=2"
    ).respond_with_json(postings[2:])
    source = LeverSource(name="lever-demo", kind="lever", site="leverdemo", company="Lever Demo",
                         page_size=2, base_url=allow_robots.url_for("/"))
    page = run_collect(lever, source, fast_settings)
    assert page.requests == 2
    assert [p.title for p in page.postings] == [p["text"] for p in postings]
    first = page.postings[0]
    assert first.source_id == postings[0]["id"]
    assert first.company == "Lever Demo"
    assert first.url == postings[0]["hostedUrl"]
    assert first.remote_hint == "hybrid"
    assert first.posted_at == datetime.fromtimestamp(postings[0]["createdAt"] / 1000, tz=timezone.utc)
    assert first.posted_at.year >= 2015  # ms, not seconds
    # requirements live in lists: they must be part of the description
    for block in postings[0].get("lists", []):
        assert block["text"] in first.description_html


def test_lever_empty_board_is_empty_not_error(allow_robots, fast_settings):
    allow_robots.expect_request("/v0/postings/quiet").respond_with_json([])
    source = LeverSource(name="l", kind="lever", site="quiet", base_url=allow_robots.url_for("/"))
    page = run_collect(lever, source, fast_settings)
    assert page.postings == [] and page.requests == 1


def test_lever_unknown_site_404(allow_robots, fast_settings):
    allow_robots.expect_request("/v0/postings/nope").respond_with_json(
        {"ok": False, "error": "Document not found"}, status=404
    )
    source = LeverSource(name="l", kind="lever", site="nope", base_url=allow_robots.url_for("/"))
    with pytest.raises(HTTPStatusFailure):
        run_collect(lever, source, fast_settings)


# --- Hacker News ------------------------------------------------------------------------------

def test_hn_real_thread(allow_robots, fast_settings):
    search = load_fixture("hn-search-page0.json")
    sibling = copy.deepcopy(search["hits"][0])
    sibling.update(objectID="999", title="Ask HN: Who wants to be hired? (September 2023)")
    search["hits"].insert(0, sibling)
    thread = load_fixture("hn-items-2396027.json")
    newest = search["hits"][1]["objectID"]
    allow_robots.expect_request("/api/v1/search_by_date").respond_with_json(search)
    allow_robots.expect_request(f"/api/v1/items/{newest}").respond_with_json(thread)
    source = HackerNewsSource(name="hn", kind="hn", months=1, base_url=allow_robots.url_for("/"))
    page = run_collect(hackernews, source, fast_settings)
    requested = [req.path for req, _ in allow_robots.log]
    assert "/api/v1/items/999" not in requested  # "Who wants to be hired?" is not a hiring thread
    assert page.requests == 2
    top_level = [c for c in thread["children"] if c.get("text") and c.get("author")]
    assert len(page.postings) == len(top_level)
    first = page.postings[0]
    assert first.source_id == "2396109"
    assert first.url == "https://news.ycombinator.com/item?id=2396109"
    assert first.posted_at == datetime(2011, 4, 1, 13, 35, 50, tzinfo=timezone.utc)
    assert first.title == "PHP/MySQL Developer" and first.company == "Montreal"
    # replies are discussion, never postings
    reply_ids = {str(r["id"]) for c in thread["children"] for r in c.get("children", [])}
    assert not reply_ids & {p.source_id for p in page.postings}


def test_hn_pages_until_enough_threads(allow_robots, fast_settings):
    search = load_fixture("hn-search-page0.json")
    empty = load_fixture("hn-search-page8-empty.json")
    thread = load_fixture("hn-items-2396027.json")
    allow_robots.expect_request("/api/v1/search_by_date", query_string={"tags": "story,author_whoishiring",
                                "query": "hiring", "page": "0", "hitsPerPage": "50"}).respond_with_json(
        {**search, "nbPages": 2})
    allow_robots.expect_request("/api/v1/search_by_date").respond_with_json(empty)
    for hit in search["hits"]:
        allow_robots.expect_request(f"/api/v1/items/{hit['objectID']}").respond_with_json(thread)
    source = HackerNewsSource(name="hn", kind="hn", months=50, base_url=allow_robots.url_for("/"))
    page = run_collect(hackernews, source, fast_settings)
    assert page.requests == 2 + len(search["hits"])


def test_hn_header_modern_pipe_form():
    header = hackernews.parse_header("Portless | AI Engineer | Remote (North America) | $180k-$230k | Full-time")
    assert header == hackernews.PostHeader("Portless", "AI Engineer", "Remote (North America)", "remote", True)


def test_hn_header_variants():
    h = hackernews.parse_header("Acme (YC W21) | Senior ML Engineer | NYC | ONSITE | Full-time")
    assert (h.company, h.title, h.location, h.remote) == ("Acme", "Senior ML Engineer", "NYC", "onsite")
    h = hackernews.parse_header("Groupon is hiring all kinds of computery people in Chicago")
    assert not h.confident and h.title.startswith("Groupon")
    assert hackernews.parse_header("Foo | Data Scientist | Berlin | Hybrid").remote == "hybrid"
    assert hackernews.parse_header("Foo | Engineer | SF | no remote").remote == "onsite"


def test_hn_first_line_both_html_forms():
    assert hackernews.first_line("<p>Acme | ML Engineer</p><p>More</p>") == "Acme | ML Engineer"
    assert hackernews.first_line("Acme &#x2F; Co | Dev<p>More") == "Acme / Co | Dev"
    assert hackernews.first_line("Austin, TX - Ruby Programmer\\nAcademicWorks") == "Austin, TX - Ruby Programmer"


def test_hn_thread_title_pattern():
    assert hackernews.THREAD_TITLE.match("Ask HN: Who is Hiring? (April 2011)")
    assert hackernews.THREAD_TITLE.match("Ask HN: Who is hiring? (September 2023)  ")
    assert not hackernews.THREAD_TITLE.match("Ask HN: Who wants to be hired? (September 2023)")
    assert not hackernews.THREAD_TITLE.match("Ask HN: Freelancer? Seeking freelancer? (September 2023)")


@hsettings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_hn_header_parser_never_raises(line):
    header = hackernews.parse_header(line)
    assert header.remote in ("", "remote", "onsite", "hybrid")
    assert len(header.title) <= 200 and len(header.company) <= 200


@hsettings(max_examples=300, deadline=None)
@given(st.text(max_size=500))
def test_hn_first_line_never_raises_and_is_one_line(text):
    line = hackernews.first_line(text)
    assert "\n" not in line and len(line) <= 300


# --- property tests: random and mutated real payloads for the original three parsers ----------------------

from tests.source_helpers import JSON_VALUES, ODD_VALUES, check_posting, mutated_throughout, property_settings  # noqa: E402


def _check_page(parse, payload, items_of) -> None:
    try:
        page = parse(payload)
    except SourceFormatError:
        return
    for posting in page.postings:
        check_posting(posting)
    items = items_of(payload)
    if items is not None:
        assert len(page.postings) + len(page.rejected) <= len(items)


@property_settings(200)
@given(st.data())
def test_greenhouse_parser_survives_random_and_mutated_boards(data):
    board = load_fixture("greenhouse-github-2018.json")
    payload = data.draw(st.one_of(JSON_VALUES, mutated_throughout(board, ODD_VALUES, JSON_VALUES)))
    _check_page(lambda p: greenhouse.parse_board(p, "gh", "GitHub"), payload,
                lambda p: p.get("jobs") if isinstance(p, dict) and isinstance(p.get("jobs"), list) else None)


@property_settings(200)
@given(st.data())
def test_lever_parser_survives_random_and_mutated_postings(data):
    postings = load_fixture("lever-leverdemo-2026.json")
    payload = data.draw(st.one_of(JSON_VALUES, mutated_throughout(postings, ODD_VALUES, JSON_VALUES)))
    _check_page(lambda p: lever.parse_postings(p, "lever", "Lever"), payload,
                lambda p: p if isinstance(p, list) else None)


@property_settings(100)
@given(st.data())
def test_hn_thread_parser_survives_random_and_mutated_threads(data):
    thread = load_fixture("hn-items-2396027.json")
    thread["children"] = thread["children"][:8]
    payload = data.draw(st.one_of(JSON_VALUES, mutated_throughout(thread, ODD_VALUES, JSON_VALUES)))
    _check_page(lambda p: hackernews.parse_thread(p, "hn"), payload,
                lambda p: p.get("children") if isinstance(p, dict) and isinstance(p.get("children"), list) else None)
