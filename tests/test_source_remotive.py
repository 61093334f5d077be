"""Remotive adapter against a local HTTP server serving a real recorded response, and its parser under hypothesis."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given, strategies as st

from scraper.fetch import BadPayload, HTTPStatusFailure, RobotsDisallowed
from scraper.settings import RemotiveSource
from scraper.sources import remotive
from scraper.sources.base import SourceFormatError
from tests.conftest import load_fixture
from tests.source_helpers import JSON_VALUES, check_posting, property_settings, run_collect, with_odd_fields

FIXTURE = "remotive-2026.json"


def source_for(server, **fields) -> RemotiveSource:
    return RemotiveSource(name="remotive", kind="remotive", base_url=server.url_for("/"), **fields)


def test_real_response_field_mapping(allow_robots, fast_settings):
    body = load_fixture(FIXTURE)
    allow_robots.expect_request("/api/remote-jobs", query_string="").respond_with_json(body)
    page = run_collect(remotive, source_for(allow_robots), fast_settings)
    assert page.requests == 1 and page.rejected == []
    assert len(page.postings) == len(body["jobs"]) == 2
    first, second = page.postings
    job = body["jobs"][0]
    assert first.source == "remotive" and first.source_kind == "remotive"
    assert first.source_id == "2091149"
    assert first.url == job["url"]  # attribution: Remotive requires linking back to it
    assert first.title == "Software Engineer / AI Code Trainer (Python, Web, Full Stack)"
    assert first.company == "CodeForAI"
    assert first.location.startswith("USA, UK, India")
    assert first.remote_hint == "remote"
    assert first.hints == {"employment": "contract", "pay_range": "$45-$120/Hour"}
    assert first.payload == job
    assert second.hints == {"employment": "freelance", "pay_range": "$20k - $35k"}
    assert second.location == "Worldwide"


def test_publication_date_without_offset_is_utc(allow_robots, fast_settings):
    allow_robots.expect_request("/api/remote-jobs").respond_with_json(load_fixture(FIXTURE))
    first, second = run_collect(remotive, source_for(allow_robots), fast_settings).postings
    assert first.posted_at == datetime(2026, 10, 5, 5, 15, 43, tzinfo=timezone.utc)
    assert second.posted_at == datetime(2026, 10, 2, 20, 1, tzinfo=timezone.utc)


def test_description_is_plain_html_kept_as_is():
    body = load_fixture(FIXTURE)
    page = remotive.parse_remote_jobs(body, "r")
    assert page.postings[1].description_html == "<p>CT Marketing Agency is seeking skilled Freelance Copywriters...</p>"
    # Not entity-escaped by Remotive: a literal "&lt;b&gt;" written by the recruiter stays text.
    body["jobs"][1]["description"] = "<p>Use &lt;b&gt; and &amp; in <b>Python</b></p>"
    assert remotive.parse_remote_jobs(body, "r").postings[1].description_html == body["jobs"][1]["description"]


def test_query_parameters_sent_when_configured(allow_robots, fast_settings):
    allow_robots.expect_request(
        "/api/remote-jobs", query_string={"category": "data", "search": "machine learning", "limit": "5"}
    ).respond_with_json(load_fixture(FIXTURE))
    source = source_for(allow_robots, category="data", search="machine learning", limit=5)
    page = run_collect(remotive, source, fast_settings)
    assert len(page.postings) == 2


def test_empty_jobs_is_empty_not_error(allow_robots, fast_settings):
    body = load_fixture(FIXTURE)
    body.update({"job-count": 0, "jobs": []})
    allow_robots.expect_request("/api/remote-jobs").respond_with_json(body)
    page = run_collect(remotive, source_for(allow_robots), fast_settings)
    assert page.postings == [] and page.rejected == [] and page.requests == 1


@pytest.mark.parametrize("status", [403, 404])
def test_error_status_raises(allow_robots, fast_settings, status):
    allow_robots.expect_request("/api/remote-jobs").respond_with_data("Forbidden", status=status)
    with pytest.raises(HTTPStatusFailure) as info:
        run_collect(remotive, source_for(allow_robots), fast_settings)
    assert info.value.status == status


def test_html_instead_of_json_is_a_bad_payload(allow_robots, fast_settings):
    allow_robots.expect_request("/api/remote-jobs").respond_with_data("<html>blocked</html>", content_type="text/html")
    with pytest.raises(BadPayload):
        run_collect(remotive, source_for(allow_robots), fast_settings)


def test_robots_disallowing_api_is_obeyed_by_default(httpserver, fast_settings):
    httpserver.expect_request("/robots.txt").respond_with_data(
        "User-agent: *\nDisallow: /api/\nDisallow: /*search=\n", content_type="text/plain"
    )
    httpserver.expect_request("/api/remote-jobs").respond_with_json(load_fixture(FIXTURE))
    source = source_for(httpserver)
    assert source.ignore_robots is False
    with pytest.raises(RobotsDisallowed):
        run_collect(remotive, source, fast_settings)
    assert not [req.path for req, _ in httpserver.log if req.path.startswith("/api/")]


def test_malformed_job_rejected_rest_kept():
    body = load_fixture(FIXTURE)
    good = body["jobs"][0]
    body["jobs"] = [
        {**good, "id": None},
        {**good, "title": "   "},
        {**good, "url": ""},
        "not a job",
        {**good, "publication_date": "yesterday", "salary": None, "job_type": 7, "description": None},
    ]
    page = remotive.parse_remote_jobs(body, "r")
    assert len(page.postings) == 1 and len(page.rejected) == 4
    assert "id" in page.rejected[0].reason and "title" in page.rejected[1].reason
    assert "url" in page.rejected[2].reason
    kept = page.postings[0]
    assert kept.posted_at is None and kept.hints == {} and kept.description_html == ""


@pytest.mark.parametrize("payload", [[], {}, {"jobs": None}, {"jobs": {"0": {}}}, "jobs", None, 3])
def test_wrong_overall_shape_is_a_format_error(payload):
    with pytest.raises(SourceFormatError):
        remotive.parse_remote_jobs(payload, "r")


# --- hypothesis: random and mutated real payloads --------------------------------------------

REAL_JOB_KEYS = load_fixture(FIXTURE)["jobs"][0].keys()


@st.composite
def mutated_payloads(draw):
    body = load_fixture(FIXTURE)
    body["jobs"] = draw(with_odd_fields(body["jobs"] * 2, REAL_JOB_KEYS))
    return body


def check_parse(payload):
    try:
        page = remotive.parse_remote_jobs(payload, "r")
    except SourceFormatError:
        return
    assert len(page.postings) + len(page.rejected) == len(payload["jobs"])
    for posting in page.postings:
        assert posting.url
        check_posting(posting)


@property_settings(max_examples=200)
@given(st.one_of(JSON_VALUES, st.dictionaries(st.just("jobs"), st.lists(JSON_VALUES, max_size=5))))
def test_random_payloads_only_raise_format_errors(payload):
    check_parse(payload)


@property_settings(max_examples=300)
@given(mutated_payloads())
def test_mutated_real_payloads_keep_or_reject_every_job(payload):
    check_parse(payload)
