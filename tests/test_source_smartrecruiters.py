"""SmartRecruiters adapter against a local HTTP server serving the real recorded list and detail."""
from __future__ import annotations

import copy
from datetime import datetime, timezone

import pytest
from hypothesis import given, strategies as st

from scraper.fetch import HTTPStatusFailure
from scraper.records import RawPosting
from scraper.settings import FetchSettings, SmartRecruitersSource
from scraper.sources import smartrecruiters
from scraper.sources.base import SourceContext, SourceFormatError
from tests.conftest import load_fixture
from tests.source_helpers import JSON_VALUES, check_posting, mutated_at_slots, property_settings, run_collect

LIST_PATH = "/v1/companies/BoschGroup/postings"
REAL_ID = "744000154502129"


def make_source(server, **overrides) -> SmartRecruitersSource:
    values = dict(name="sr-bosch", kind="smartrecruiters", company_id="BoschGroup", base_url=server.url_for("/"))
    values.update(overrides)
    return SmartRecruitersSource(**values)


def real_list() -> dict:
    return load_fixture("smartrecruiters-boschgroup-list-2026.json")


def real_detail() -> dict:
    return load_fixture("smartrecruiters-boschgroup-detail-2026.json")


def listed_item(number: int) -> dict:
    """The real list item under another id and title."""
    item = copy.deepcopy(real_list()["content"][0])
    item.update(id=f"10000{number}", name=f"ML Engineer {number}")
    return item


def detail_of(item: dict) -> dict:
    detail = copy.deepcopy(real_detail())
    detail.update(id=item["id"], name=item["name"],
                  postingUrl=f"https://jobs.smartrecruiters.com/BoschGroup/{item['id']}")
    return detail


def list_page(items: list[dict], offset: int, total: int) -> dict:
    return {"offset": offset, "limit": len(items), "totalFound": total, "content": items}


def requested_paths(server) -> list[str]:
    return [request.path for request, _ in server.log]


# --- field mapping of the real payloads --------------------------------------------------------

def test_real_list_and_detail(allow_robots, fast_settings):
    # The recorded request was limit=1 (totalFound 4884): max_postings=1 asks for exactly that one page.
    allow_robots.expect_request(LIST_PATH, query_string={"limit": "1", "offset": "0"}).respond_with_json(real_list())
    allow_robots.expect_request(f"{LIST_PATH}/{REAL_ID}").respond_with_json(real_detail())
    page = run_collect(smartrecruiters, make_source(allow_robots, max_postings=1), fast_settings)
    assert page.requests == 2 and page.rejected == []
    [posting] = page.postings
    assert posting.source == "sr-bosch" and posting.source_kind == "smartrecruiters"
    assert posting.source_id == REAL_ID
    assert posting.title == "Operator 2 - 2nd shift"  # the API's double and trailing spaces collapsed
    assert posting.company == "Bosch Group"
    assert posting.location == "St. Joseph, MI, United States"
    assert posting.url == "https://jobs.smartrecruiters.com/BoschGroup/744000154502129-operator-2-2nd-shift-"
    assert posting.posted_at == datetime(2026, 10, 8, 17, 50, 26, 27000, tzinfo=timezone.utc)
    assert posting.remote_hint == "onsite"  # remote: false and hybrid: false
    assert posting.hints == {"employment": "Full-time", "country": "US"}
    assert posting.description_html == (
        "<h3>Job Description</h3><p>…</p>\n<h3>Qualifications</h3><p>…</p>\n<h3>Additional Information</h3><p>…</p>"
    )
    assert posting.description_text == ""
    assert posting.payload["postingUrl"] == posting.url
    assert posting.payload["refNumber"] == "REF298063T"  # list-only fields kept next to the detail's


def test_detail_keeps_html_as_given_and_leaves_out_company_boilerplate():
    detail = real_detail()
    detail["jobAd"]["sections"] = {
        "companyDescription": {"title": "Company Description", "text": "<p>We are Bosch, about us</p>"},
        "jobDescription": {"title": "Job & Role", "text": "<p>Build models; use &lt;b&gt; tags</p>"},
        "qualifications": {"title": "Qualifications", "text": "  "},
        "additionalInformation": {"text": "<ul><li>Hybrid</li></ul>"},
    }
    detail["creator"] = {"name": "A Recruiter"}
    [posting] = smartrecruiters.parse_detail(detail, "sr", "Fallback").postings
    assert "about us" not in posting.description_html
    # literal "&lt;b&gt;" stays text (the API's HTML is not escaped: no unescaping), the title is escaped once
    assert posting.description_html == (
        "<h3>Job &amp; Role</h3><p>Build models; use &lt;b&gt; tags</p>\n<ul><li>Hybrid</li></ul>"
    )
    assert "creator" not in posting.payload  # a recruiter's name is personal data


@pytest.mark.parametrize(
    ("location", "hint"),
    [
        ({"remote": True, "hybrid": False}, "remote"),
        ({"remote": False, "hybrid": True}, "hybrid"),
        ({"remote": False, "hybrid": False}, "onsite"),
        ({"remote": False}, ""),  # older shape without `hybrid`: could still be hybrid
        ({}, ""),
    ],
)
def test_remote_hint_from_location_flags(location, hint):
    item = {"id": "1", "name": "Data Scientist", "location": location}
    assert smartrecruiters.parse_list(list_page([item], 0, 1), "sr", "A").postings[0].remote_hint == hint


def test_list_posting_without_company_or_url_falls_back():
    item = {"id": 42, "name": "Data Scientist", "company": {"identifier": "Acme"},
            "location": {"city": "Berlin", "country": "de"}}
    [posting] = smartrecruiters.parse_list(list_page([item], 0, 1), "sr", "Acme GmbH").postings
    assert posting.source_id == "42" and posting.company == "Acme GmbH"
    assert posting.location == "Berlin, de" and posting.hints == {"country": "DE"}
    assert posting.url == "https://jobs.smartrecruiters.com/Acme/42"


# --- paging, max_postings, query ---------------------------------------------------------------

def test_pages_by_offset_over_several_pages(allow_robots, fast_settings):
    items = [listed_item(n) for n in range(5)]
    for offset in (0, 2, 4):
        allow_robots.expect_request(
            LIST_PATH, query_string={"limit": "2", "offset": str(offset), "q": "machine learning"}
        ).respond_with_json(list_page(items[offset:offset + 2], offset, 5))
    for item in items:
        allow_robots.expect_request(f"{LIST_PATH}/{item['id']}").respond_with_json(detail_of(item))
    page = run_collect(smartrecruiters, make_source(allow_robots, page_size=2, query="machine learning"), fast_settings)
    assert [p.title for p in page.postings] == [f"ML Engineer {n}" for n in range(5)]
    assert page.requests == 3 + 5
    assert [p.url for p in page.postings] == [f"https://jobs.smartrecruiters.com/BoschGroup/{i['id']}" for i in items]
    assert requested_paths(allow_robots).count(LIST_PATH) == 3


def test_max_postings_stops_paging_and_details(allow_robots, fast_settings):
    items = [listed_item(n) for n in range(6)]
    allow_robots.expect_request(LIST_PATH, query_string={"limit": "2", "offset": "0"}).respond_with_json(
        list_page(items[:2], 0, 6))
    allow_robots.expect_request(LIST_PATH, query_string={"limit": "1", "offset": "2"}).respond_with_json(
        list_page(items[2:3], 2, 6))
    for item in items:
        allow_robots.expect_request(f"{LIST_PATH}/{item['id']}").respond_with_json(detail_of(item))
    page = run_collect(smartrecruiters, make_source(allow_robots, page_size=2, max_postings=3), fast_settings)
    assert [p.source_id for p in page.postings] == [i["id"] for i in items[:3]]
    assert page.requests == 2 + 3


def test_server_ignoring_offset_does_not_loop(allow_robots, fast_settings):
    items = [listed_item(n) for n in range(2)]
    allow_robots.expect_request(LIST_PATH).respond_with_json(list_page(items, 0, 1000))
    for item in items:
        allow_robots.expect_request(f"{LIST_PATH}/{item['id']}").respond_with_json(detail_of(item))
    page = run_collect(smartrecruiters, make_source(allow_robots, page_size=2), fast_settings)
    assert len(page.postings) == 2 and page.requests == 2 + 2


# --- known postings: no detail request -----------------------------------------------------------

def test_known_postings_are_re_emitted_without_a_detail_request(allow_robots, fast_settings):
    items = [listed_item(n) for n in range(3)]
    allow_robots.expect_request(LIST_PATH).respond_with_json(list_page(items, 0, 3))
    for item in items:
        allow_robots.expect_request(f"{LIST_PATH}/{item['id']}").respond_with_json(detail_of(item))
    stored = RawPosting(source="sr-bosch", source_kind="smartrecruiters", source_id=items[1]["id"], url="u",
                        title="stored copy", company="Bosch Group", location="", posted_at=None,
                        description_html="<p>stored</p>")
    context = SourceContext(known={stored.source_id: stored})
    page = run_collect(smartrecruiters, make_source(allow_robots), fast_settings, context)
    assert [p.source_id for p in page.postings] == [i["id"] for i in items]
    assert page.postings[1] is stored
    paths = requested_paths(allow_robots)
    assert f"{LIST_PATH}/{items[1]['id']}" not in paths
    assert f"{LIST_PATH}/{items[0]['id']}" in paths and f"{LIST_PATH}/{items[2]['id']}" in paths
    assert page.requests == 1 + 2


# --- documented error shapes ---------------------------------------------------------------------

def test_unknown_company_is_an_empty_page_not_an_error(allow_robots, fast_settings):
    allow_robots.expect_request("/v1/companies/NoSuchCo/postings").respond_with_json(
        {"offset": 0, "limit": 100, "totalFound": 0, "content": []})
    page = run_collect(smartrecruiters, make_source(allow_robots, company_id="NoSuchCo"), fast_settings)
    assert page.postings == [] and page.rejected == [] and page.requests == 1


def test_failed_details_reject_their_posting_and_the_run_goes_on(allow_robots, fast_settings):
    items = [listed_item(n) for n in range(3)]
    allow_robots.expect_request(LIST_PATH).respond_with_json(list_page(items, 0, 3))
    allow_robots.expect_request(f"{LIST_PATH}/{items[0]['id']}").respond_with_json(
        {"id": items[0]["id"], "httpCode": 404, "code": "RESOURCE_NOT_FOUND", "message": "Resource not found"},
        status=404)
    allow_robots.expect_request(f"{LIST_PATH}/{items[1]['id']}").respond_with_data(
        "<html>oops</html>", content_type="text/html")
    allow_robots.expect_request(f"{LIST_PATH}/{items[2]['id']}").respond_with_json(detail_of(items[2]))
    page = run_collect(smartrecruiters, make_source(allow_robots), fast_settings)
    assert [p.source_id for p in page.postings] == [items[2]["id"]]
    reasons = [r.reason for r in page.rejected]
    assert "404" in reasons[0] and "JSON" in reasons[1]
    assert [r.item["id"] for r in page.rejected] == [items[0]["id"], items[1]["id"]]
    assert page.requests == 1 + 3


def test_detail_server_error_fails_the_source(allow_robots):
    items = [listed_item(0)]
    allow_robots.expect_request(LIST_PATH).respond_with_json(list_page(items, 0, 1))
    allow_robots.expect_request(f"{LIST_PATH}/{items[0]['id']}").respond_with_data("down", status=503)
    settings = FetchSettings(min_interval_seconds=0, max_retries=0, timeout_seconds=5)
    with pytest.raises(HTTPStatusFailure) as info:
        run_collect(smartrecruiters, make_source(allow_robots), settings)
    assert info.value.status == 503


def test_detail_for_another_id_is_rejected():
    page = smartrecruiters.parse_detail(real_detail(), "sr", "A", listed={"id": "999", "name": "x"})
    assert page.postings == [] and "another posting id" in page.rejected[0].reason


def test_malformed_list_items_are_rejected_and_the_rest_kept():
    good = real_list()["content"][0]
    payload = list_page([{"name": "no id"}, {"id": "1", "name": "  "}, "junk", None, good], 0, 5)
    page = smartrecruiters.parse_list(payload, "sr", "A")
    assert [p.source_id for p in page.postings] == [REAL_ID]
    assert [r.reason for r in page.rejected] == [
        "posting without id", "posting without name (title)", "posting is not a JSON object",
        "posting is not a JSON object",
    ]


@pytest.mark.parametrize(
    "payload", [[], {"error": "nope"}, {"content": []}, {"content": {}, "totalFound": 0},
                {"content": [], "totalFound": "3"}, None],
)
def test_wrong_list_shape_is_a_format_error(payload):
    with pytest.raises(SourceFormatError):
        smartrecruiters.parse_list(payload, "sr", "A")


def test_wrong_detail_shape_is_a_format_error():
    with pytest.raises(SourceFormatError):
        smartrecruiters.parse_detail([real_detail()], "sr", "A")


def test_wrong_list_shape_fails_collect(allow_robots, fast_settings):
    allow_robots.expect_request(LIST_PATH).respond_with_json({"message": "changed API"})
    with pytest.raises(SourceFormatError):
        run_collect(smartrecruiters, make_source(allow_robots), fast_settings)


# --- property tests --------------------------------------------------------------------------------

def _list_payloads():
    original = real_list()
    original["content"] = [original["content"][0], listed_item(1)]
    return mutated_at_slots(original) | JSON_VALUES | st.fixed_dictionaries(
        {"totalFound": st.integers(), "content": st.lists(JSON_VALUES, max_size=5)})


def _detail_payloads():
    detail = real_detail()
    detail["jobAd"]["sections"]["companyDescription"] = {"title": "About", "text": "<p>us</p>"}
    return mutated_at_slots(detail) | JSON_VALUES


@property_settings(max_examples=300)
@given(_list_payloads())
def test_parse_list_only_raises_format_errors_and_keeps_every_item(payload):
    try:
        page = smartrecruiters.parse_list(payload, "sr", "A")
    except SourceFormatError:
        return
    assert len(page.postings) + len(page.rejected) == len(payload["content"])
    for posting in page.postings:
        check_posting(posting)


@property_settings(max_examples=300)
@given(_detail_payloads(), st.none() | mutated_at_slots(real_list()["content"][0]) | JSON_VALUES)
def test_parse_detail_only_raises_format_errors_and_gives_one_result(payload, listed):
    try:
        page = smartrecruiters.parse_detail(payload, "sr", "A", listed=listed)
    except SourceFormatError:
        return
    assert len(page.postings) + len(page.rejected) == 1
    for posting in page.postings:
        assert "us</p>" not in posting.description_html
        assert "creator" not in posting.payload
        check_posting(posting)
