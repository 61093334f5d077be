"""Arbeitnow adapter against a local HTTP server serving the real recorded page and pages made from it."""
from __future__ import annotations

import copy
from datetime import datetime, timezone

import pytest
from hypothesis import given, strategies as st

from scraper.settings import ArbeitnowSource
from scraper.sources import arbeitnow
from scraper.sources.base import SourceFormatError
from tests.conftest import load_fixture
from tests.source_helpers import check_posting, json_values, mutated_at_slots, property_settings, run_collect

API_PATH = "/api/job-board-api"
FIRST_URL = "https://www.arbeitnow.com/api/job-board-api"


def make_source(server, **overrides) -> ArbeitnowSource:
    values = dict(name="arbeitnow", kind="arbeitnow", base_url=server.url_for("/"))
    values.update(overrides)
    return ArbeitnowSource(**values)


def real_page() -> dict:
    return load_fixture("arbeitnow-page1-2026.json")


def job(number: int) -> dict:
    """The real item under another slug and title."""
    item = copy.deepcopy(real_page()["data"][0])
    item.update(slug=f"ml-engineer-berlin-{number}", title=f"ML Engineer {number}")
    return item


def page_linking(items: list[dict], next_url: str | None) -> dict:
    payload = real_page()
    payload["data"] = items
    payload["links"]["next"] = next_url
    return payload


def serve_pages(server, pages: list[list[dict]]) -> None:
    """Page N at ?page=N (page 1 without a query, as the adapter asks), each linking to the next."""
    for number, items in enumerate(pages, start=1):
        next_url = server.url_for(f"{API_PATH}?page={number + 1}") if number < len(pages) else None
        query = {"page": str(number)} if number > 1 else ""
        server.expect_request(API_PATH, query_string=query).respond_with_json(page_linking(items, next_url))


# --- field mapping of the real payload ---------------------------------------------------------

def test_real_page_and_its_off_host_next_link(allow_robots, fast_settings):
    allow_robots.expect_request(API_PATH).respond_with_json(real_page())
    page = run_collect(arbeitnow, make_source(allow_robots), fast_settings)
    # The recorded next link points at www.arbeitnow.com: a local mirror must never send us there.
    assert page.requests == 1
    assert [request.path for request, _ in allow_robots.log] == ["/robots.txt", API_PATH]
    [posting] = page.postings
    assert posting.source == "arbeitnow" and posting.source_kind == "arbeitnow"
    assert posting.source_id == "studentische-hilfskraft-potsdam-377838"
    assert posting.title == "Studentische Hilfskraft"
    assert posting.company == "MCH Ventures"
    assert posting.location == "Potsdam"
    assert posting.url == (
        "https://www.arbeitnow.com/jobs/companies/mch-ventures/studentische-hilfskraft-potsdam-377838")
    assert posting.posted_at == datetime.fromtimestamp(1791477053, tz=timezone.utc)
    assert posting.posted_at.year == 2026  # seconds, not milliseconds
    assert posting.description_html == "<p>Wir sind eine spezialisierte Beratung … </p>"  # German is normal
    assert posting.remote_hint == "remote"
    assert posting.hints == {"employment": "Working student, berufseinstieg"}
    assert posting.payload == real_page()["data"][0]


def test_html_is_kept_as_given_and_not_remote_says_nothing():
    item = dict(job(1), description="<p>Python &amp; &lt;b&gt; literal</p>", remote=False, job_types=[])
    [posting] = arbeitnow.parse_page({"data": [item]}, "a").postings
    assert posting.description_html == "<p>Python &amp; &lt;b&gt; literal</p>"
    assert posting.remote_hint == "" and posting.hints == {}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1791477053, datetime.fromtimestamp(1791477053, tz=timezone.utc)),
        ("1791477053", datetime.fromtimestamp(1791477053, tz=timezone.utc)),
        ("2026-10-08T17:50:26+02:00", datetime(2026, 10, 8, 15, 50, 26, tzinfo=timezone.utc)),
        (True, None), (None, None), ("yesterday", None), (10**400, None), (float("nan"), None),
    ],
)
def test_created_at_forms(value, expected):
    [posting] = arbeitnow.parse_page({"data": [dict(job(1), created_at=value)]}, "a").postings
    assert posting.posted_at == expected


# --- paging through links.next -----------------------------------------------------------------

def test_follows_next_links_over_several_pages(allow_robots, fast_settings):
    serve_pages(allow_robots, [[job(1), job(2)], [job(3), job(2)], [job(4)]])
    page = run_collect(arbeitnow, make_source(allow_robots), fast_settings)
    assert page.requests == 3
    # job 2 slid onto page 2 while we paged: kept once
    assert [p.source_id for p in page.postings] == [f"ml-engineer-berlin-{n}" for n in (1, 2, 3, 4)]


def test_max_pages_caps_the_run(allow_robots, fast_settings):
    serve_pages(allow_robots, [[job(1)], [job(2)], [job(3)]])
    page = run_collect(arbeitnow, make_source(allow_robots, max_pages=2), fast_settings)
    assert page.requests == 2 and len(page.postings) == 2
    assert not any(request.args.get("page") == "3" for request, _ in allow_robots.log)


def test_empty_data_page_stops_even_with_a_next_link(allow_robots, fast_settings):
    serve_pages(allow_robots, [[job(1)], [], [job(3)]])
    page = run_collect(arbeitnow, make_source(allow_robots), fast_settings)
    assert page.requests == 2 and [p.title for p in page.postings] == ["ML Engineer 1"]


def test_next_link_back_to_a_fetched_page_stops(allow_robots, fast_settings):
    allow_robots.expect_request(API_PATH, query_string="").respond_with_json(
        page_linking([job(1)], allow_robots.url_for(f"{API_PATH}?page=2")))
    allow_robots.expect_request(API_PATH, query_string="page=2").respond_with_json(
        page_linking([job(2)], allow_robots.url_for(f"{API_PATH}?page=2")))
    page = run_collect(arbeitnow, make_source(allow_robots), fast_settings)
    assert page.requests == 2 and len(page.postings) == 2


def test_past_the_end_page_is_empty_not_an_error(allow_robots, fast_settings):
    allow_robots.expect_request(API_PATH).respond_with_json(page_linking([], None))
    page = run_collect(arbeitnow, make_source(allow_robots), fast_settings)
    assert page.postings == [] and page.rejected == [] and page.requests == 1


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.example/api/job-board-api?page=2",
        "http://www.arbeitnow.com/api/job-board-api?page=2",  # https -> http downgrade
        "https://www.arbeitnow.com:8443/api/job-board-api?page=2",
        "https://user:pw@www.arbeitnow.com/api/job-board-api?page=2",
        "https://www.arbeitnow.com/account/delete?page=2",
        "https://www.arbeitnow.com.evil.example/api/job-board-api?page=2",
        "/api/job-board-api?page=2",
        "https://www.arbeitnow.com:notaport/api/job-board-api",
        "", None, 2,
    ],
)
def test_next_link_elsewhere_is_not_followed(link):
    assert arbeitnow.next_page_url({"data": [job(1)], "links": {"next": link}}, FIRST_URL) is None


def test_next_link_on_the_endpoint_is_followed_unchanged():
    link = "https://www.arbeitnow.com/api/job-board-api?page=2&visa_sponsorship=true"
    assert arbeitnow.next_page_url({"links": {"next": link}}, FIRST_URL) == link
    assert arbeitnow.next_page_url(real_page(), FIRST_URL) == "https://www.arbeitnow.com/api/job-board-api?page=2"


# --- malformed items and wrong shapes ----------------------------------------------------------

def test_malformed_items_are_rejected_and_the_rest_kept():
    page = arbeitnow.parse_page({"data": [{"title": "no slug"}, {"slug": "x-1", "title": ""}, [], job(1)]}, "a")
    assert [p.source_id for p in page.postings] == ["ml-engineer-berlin-1"]
    assert [r.reason for r in page.rejected] == ["job without slug (id)", "job without title", "job is not a JSON object"]


@pytest.mark.parametrize("payload", [[], None, {"jobs": []}, {"data": {}}, {"data": "x"}])
def test_wrong_shape_is_a_format_error(payload):
    with pytest.raises(SourceFormatError):
        arbeitnow.parse_page(payload, "a")


def test_wrong_shape_fails_collect(allow_robots, fast_settings):
    allow_robots.expect_request(API_PATH).respond_with_json({"message": "Too Many Attempts."})
    with pytest.raises(SourceFormatError):
        run_collect(arbeitnow, make_source(allow_robots), fast_settings)


# --- property tests ----------------------------------------------------------------------------

# Next links are JSON values too: ones on the endpoint and ones no URL parser reads.
JSON_VALUES = json_values(FIRST_URL + "?page=3", "https://[::1", "http://[bad")


def _pages():
    original = real_page()
    original["data"].append(job(2))
    return (mutated_at_slots(original, JSON_VALUES) | JSON_VALUES
            | st.fixed_dictionaries({"data": st.lists(JSON_VALUES, max_size=5)}))


@property_settings(max_examples=300)
@given(_pages())
def test_parse_page_only_raises_format_errors_and_keeps_every_item(payload):
    try:
        page = arbeitnow.parse_page(payload, "a")
    except SourceFormatError:
        return
    assert len(page.postings) + len(page.rejected) == len(payload["data"])
    for posting in page.postings:
        assert posting.remote_hint in ("", "remote")
        check_posting(posting)


@property_settings(max_examples=300)
@given(_pages())
def test_next_page_url_never_raises_and_stays_on_the_endpoint(payload):
    link = arbeitnow.next_page_url(payload, FIRST_URL)
    assert link is None or link.startswith(FIRST_URL)
