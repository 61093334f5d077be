"""The Ashby adapter against a local HTTP server serving the real recorded board, and its parser under hypothesis."""
from __future__ import annotations

import copy
import json
from datetime import datetime, timezone

import pytest
from hypothesis import given, strategies as st

from scraper.fetch import BadPayload, HTTPStatusFailure
from scraper.settings import AshbySource
from scraper.sources import ashby
from scraper.sources.base import SourceFormatError
from tests.conftest import load_fixture
from tests.source_helpers import (
    JSON_VALUES, check_posting, mutated_throughout, odd_values, property_settings, run_collect,
)

BOARD_PATH = "/posting-api/job-board/ashby"


def source_for(server, **overrides) -> AshbySource:
    values = {"name": "ashby-ashby", "kind": "ashby", "job_board": "ashby", "company": "Ashby",
              "base_url": server.url_for("/")} | overrides
    return AshbySource(**values)


def real_job() -> dict:
    return copy.deepcopy(load_fixture("ashby-ashby-2026.json")["jobs"][0])


def parse(jobs: list) -> ashby.ParsedPage:
    return ashby.parse_board({"apiVersion": "1", "jobs": jobs}, "ashby-x", "Fallback Co")


# --- the real board over HTTP -----------------------------------------------------------------

def test_real_board_field_mapping(allow_robots, fast_settings):
    board = load_fixture("ashby-ashby-2026.json")
    allow_robots.expect_request(BOARD_PATH, query_string="includeCompensation=true").respond_with_json(board)
    page = run_collect(ashby, source_for(allow_robots), fast_settings)
    assert page.requests == 1 and page.rejected == []
    [posting] = page.postings
    job = board["jobs"][0]
    assert posting.source == "ashby-ashby" and posting.source_kind == "ashby"
    assert posting.source_id == "7458d4e9-da2e-47bd-98cb-adfda43d42b2"
    assert posting.url == "https://jobs.ashbyhq.com/ashby/7458d4e9-da2e-47bd-98cb-adfda43d42b2"
    assert posting.title == "Engineering Manager - EU"
    assert posting.company == "Ashby"  # the API names no company: config wins
    assert posting.location == "Remote - European Union"
    # ISO-8601 with milliseconds and +00:00
    assert posting.posted_at == datetime(2026, 7, 24, 10, 49, 9, 45000, tzinfo=timezone.utc)
    assert posting.remote_hint == "remote"
    assert posting.description_text == job["descriptionPlain"]
    assert posting.description_html == ""  # the recorded item was trimmed of descriptionHtml: nothing is invented
    # the Bonus component (null figures) comes first and is skipped; the Salary one is stated
    assert posting.hints == {"salary_min": "110000", "salary_max": "185000", "salary_currency": "EUR",
                             "salary_interval": "year", "pay_range": "€110K - €185K"}
    assert posting.payload == job
    json.dumps(posting.to_json())


def test_compensation_param_only_when_configured(allow_robots, fast_settings):
    allow_robots.expect_request(BOARD_PATH).respond_with_json(load_fixture("ashby-ashby-2026.json"))
    page = run_collect(ashby, source_for(allow_robots, include_compensation=False), fast_settings)
    assert len(page.postings) == 1
    [request] = [req for req, _ in allow_robots.log if req.path == BOARD_PATH]
    assert request.query_string == b""


def test_board_name_without_company_names_the_company(allow_robots, fast_settings):
    allow_robots.expect_request(BOARD_PATH).respond_with_json(load_fixture("ashby-ashby-2026.json"))
    page = run_collect(ashby, source_for(allow_robots, company=None), fast_settings)
    assert page.postings[0].company == "ashby"


def test_unknown_board_is_a_plain_text_404(allow_robots, fast_settings):
    allow_robots.expect_request("/posting-api/job-board/nope").respond_with_data(
        "Not Found", status=404, content_type="text/plain")
    with pytest.raises(HTTPStatusFailure) as info:
        run_collect(ashby, source_for(allow_robots, job_board="nope"), fast_settings)
    assert info.value.status == 404


def test_empty_board_is_empty_not_an_error(allow_robots, fast_settings):
    allow_robots.expect_request(BOARD_PATH).respond_with_json({"apiVersion": "1", "jobs": []})
    page = run_collect(ashby, source_for(allow_robots), fast_settings)
    assert page.postings == [] and page.rejected == [] and page.requests == 1


def test_non_json_200_is_a_bad_payload(allow_robots, fast_settings):
    allow_robots.expect_request(BOARD_PATH).respond_with_data("<html>maintenance</html>", content_type="text/html")
    with pytest.raises(BadPayload):
        run_collect(ashby, source_for(allow_robots), fast_settings)


def test_robots_txt_401_does_not_block_the_api(httpserver, fast_settings):
    # api.ashbyhq.com/robots.txt reportedly answers 401; RFC 9309 (and our fetcher) reads a 4xx as "no rules".
    httpserver.expect_request("/robots.txt").respond_with_data("Unauthorized", status=401)
    httpserver.expect_request(BOARD_PATH).respond_with_json(load_fixture("ashby-ashby-2026.json"))
    page = run_collect(ashby, source_for(httpserver), fast_settings)
    assert len(page.postings) == 1


# --- mapping details --------------------------------------------------------------------------

def test_unlisted_jobs_are_rejected_as_unlisted_and_the_rest_kept():
    hidden = real_job() | {"id": "hidden-1", "isListed": False}
    no_flag = {k: v for k, v in real_job().items() if k != "isListed"} | {"id": "no-flag"}
    page = parse([hidden, real_job(), no_flag])
    assert [p.source_id for p in page.postings] == ["7458d4e9-da2e-47bd-98cb-adfda43d42b2", "no-flag"]
    assert [(r.reason, r.item["id"]) for r in page.rejected] == [(ashby.UNLISTED, "hidden-1")]


def test_description_html_is_kept_as_real_html_never_unescaped():
    job = real_job() | {"descriptionHtml": "<p style=\"min-height:1.5em\">Write &lt;b&gt; tags &amp; Python</p>"}
    posting = parse([job]).postings[0]
    # a recruiter's literal "&lt;b&gt;" stays text: unescaping would have made it a tag
    assert posting.description_html == job["descriptionHtml"]


def test_workplace_type_employment_and_country():
    base = real_job()
    hybrid = base | {"id": "h", "workplaceType": "Hybrid", "isRemote": False, "employmentType": "FullTime",
                     "address": {"postalAddress": {"addressLocality": "Houston", "addressCountry": "USA"}}}
    onsite = base | {"id": "o", "workplaceType": "OnSite", "isRemote": False,
                     "address": {"addressCountry": "United States"}}  # the doc example's bare address
    flag_only = {k: v for k, v in base.items() if k != "workplaceType"} | {"id": "f", "isRemote": True}
    neither = {k: v for k, v in base.items() if k not in ("workplaceType", "isRemote")} | {"id": "n"}
    postings = {p.source_id: p for p in parse([hybrid, onsite, flag_only, neither]).postings}
    assert postings["h"].remote_hint == "hybrid"
    assert postings["h"].hints["employment"] == "FullTime" and postings["h"].hints["country"] == "USA"
    assert postings["o"].remote_hint == "onsite" and postings["o"].hints["country"] == "United States"
    assert postings["f"].remote_hint == "remote"
    assert postings["n"].remote_hint == ""


def test_title_spaces_are_trimmed_and_apply_url_is_the_fallback_url():
    job = {k: v for k, v in real_job().items() if k != "jobUrl"} | {
        "title": " Security Engineer, Cloud ", "applyUrl": "https://jobs.ashbyhq.com/ashby/x/application"}
    posting = parse([job]).postings[0]
    assert posting.title == "Security Engineer, Cloud"
    assert posting.url == "https://jobs.ashbyhq.com/ashby/x/application"


def test_compensation_not_for_display_states_no_pay():
    job = real_job() | {"shouldDisplayCompensationOnJobPostings": False}
    posting = parse([job]).postings[0]
    assert not {"salary_min", "salary_max", "pay_range"} & set(posting.hints)
    assert posting.payload["compensation"]  # still in the raw payload


def test_salary_with_one_figure_hourly_and_odd_currency():
    job = real_job()
    job["compensation"] = {"summaryComponents": [
        {"compensationType": "EquityPercentage", "interval": "NONE", "currencyCode": None,
         "minValue": 0.5, "maxValue": 1.75},
        {"compensationType": "Salary", "interval": "1 HOUR", "currencyCode": "usd", "minValue": 52.5,
         "maxValue": None},
    ]}
    assert parse([job]).postings[0].hints == {"salary_min": "52.5", "salary_max": "52.5",
                                              "salary_currency": "USD", "salary_interval": "hour"}
    job["compensation"]["summaryComponents"][1] |= {"currencyCode": "dollars", "interval": "NONE"}
    hints = parse([job]).postings[0].hints
    assert "salary_currency" not in hints and "salary_interval" not in hints and hints["salary_min"] == "52.5"


def test_malformed_jobs_are_rejected_and_the_rest_kept():
    page = parse(["not a job", {"title": "no id"}, real_job() | {"title": "  "}, real_job(), None])
    assert [p.source_id for p in page.postings] == ["7458d4e9-da2e-47bd-98cb-adfda43d42b2"]
    assert len(page.rejected) == 4
    assert all("id or title" in r.reason for r in page.rejected)


@pytest.mark.parametrize("payload", [None, [], "jobs", {"apiVersion": "1"}, {"jobs": {"id": "x"}}, {"jobs": None}])
def test_wrong_overall_shape_is_a_format_error(payload):
    with pytest.raises(SourceFormatError, match="jobs"):
        ashby.parse_board(payload, "a", "A")


# --- hypothesis: random and mutated payloads --------------------------------------------------

ODD_VALUES = odd_values("1 YEAR", "NONE", "Salary", "Remote", "OnSite", "2026-13-45T99:00",
                        "2026-07-24T10:49:09.045+00:00")
COMPONENT = st.fixed_dictionaries({}, optional={
    key: ODD_VALUES for key in ("compensationType", "interval", "currencyCode", "minValue", "maxValue")})
JOB = st.fixed_dictionaries({}, optional={
    **{key: ODD_VALUES for key in ("id", "title", "location", "isListed", "isRemote", "workplaceType",
                                   "employmentType", "publishedAt", "jobUrl", "applyUrl", "descriptionHtml",
                                   "descriptionPlain", "shouldDisplayCompensationOnJobPostings")},
    "address": ODD_VALUES | st.fixed_dictionaries({}, optional={"postalAddress": ODD_VALUES,
                                                                 "addressCountry": ODD_VALUES}),
    "compensation": ODD_VALUES | st.fixed_dictionaries({}, optional={
        "scrapeableCompensationSalarySummary": ODD_VALUES,
        "summaryComponents": ODD_VALUES | st.lists(COMPONENT | ODD_VALUES, max_size=3)}),
})


def check_parse(payload) -> None:
    try:
        page = ashby.parse_board(payload, "ashby-x", "Fallback Co")
    except SourceFormatError:
        assert not (isinstance(payload, dict) and isinstance(payload.get("jobs"), list))
        return
    assert len(page.postings) + len(page.rejected) == len(payload["jobs"])
    for posting in page.postings:
        assert posting.source_kind == "ashby"
        check_posting(posting)


@property_settings(max_examples=300)
@given(st.one_of(JSON_VALUES, st.fixed_dictionaries({"jobs": st.lists(JOB | JSON_VALUES, max_size=5)})))
def test_random_payloads_only_raise_format_errors(payload):
    check_parse(payload)


@property_settings(max_examples=300)
@given(st.data())
def test_mutated_real_payloads_only_raise_format_errors(data):
    board = load_fixture("ashby-ashby-2026.json")
    board["jobs"].append(board["jobs"][0] | {"descriptionHtml": "<p>x</p>", "employmentType": "FullTime",
                                             "address": {"postalAddress": {"addressCountry": "USA"}},
                                             "shouldDisplayCompensationOnJobPostings": True, "isListed": False})
    check_parse(data.draw(mutated_throughout(board, ODD_VALUES, JOB | ODD_VALUES)))
