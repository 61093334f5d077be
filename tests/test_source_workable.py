"""The Workable adapter against a local HTTP server serving the real recorded account, and its parser under hypothesis."""
from __future__ import annotations

import copy
import json
from datetime import datetime, timezone

import pytest
from hypothesis import given, strategies as st

from scraper.fetch import HTTPStatusFailure
from scraper.settings import WorkableSource
from scraper.sources import workable
from scraper.sources.base import SourceFormatError
from tests.conftest import load_fixture
from tests.source_helpers import (
    JSON_VALUES, check_posting, mutated_throughout, odd_values, property_settings, run_collect,
)

ACCOUNT_PATH = "/api/v1/widget/accounts/huggingface"


def source_for(server, **overrides) -> WorkableSource:
    values = {"name": "workable-hf", "kind": "workable", "account": "huggingface", "company": "HF (config)",
              "base_url": server.url_for("/")} | overrides
    return WorkableSource(**values)


def real_job() -> dict:
    return copy.deepcopy(load_fixture("workable-huggingface-2026.json")["jobs"][0])


def parse(jobs: list, name: str | None = "Hugging Face") -> workable.ParsedPage:
    payload = {"jobs": jobs} if name is None else {"name": name, "jobs": jobs}
    return workable.parse_account(payload, "workable-x", "fallback-co")


# --- the real account over HTTP ---------------------------------------------------------------

def test_real_account_field_mapping(allow_robots, fast_settings):
    account = load_fixture("workable-huggingface-2026.json")
    allow_robots.expect_request(ACCOUNT_PATH, query_string="details=true").respond_with_json(account)
    page = run_collect(workable, source_for(allow_robots), fast_settings)
    assert page.requests == 1 and page.rejected == []
    [posting] = page.postings
    job = account["jobs"][0]
    assert posting.source == "workable-hf" and posting.source_kind == "workable"
    assert posting.source_id == "81B46579FE"
    assert posting.url == "https://apply.workable.com/j/81B46579FE"
    assert posting.title == "Open-Source Machine Learning Engineer - EMEA Remote"
    assert posting.company == "Hugging Face"  # the account's own name beats the config
    assert posting.location == "Paris, Île-de-France, France"
    assert posting.posted_at == datetime(2026, 5, 29, tzinfo=timezone.utc)  # date only: midnight UTC
    assert posting.remote_hint == "remote"  # telecommuting: true
    assert posting.description_html == job["description"]  # real HTML, kept as is
    assert posting.description_html.startswith("<p>At Hugging Face")
    assert posting.description_text == ""  # Workable gives no plain-text twin
    assert posting.hints == {"employment": "Full-time", "country": "FR"}
    assert posting.payload == job
    json.dumps(posting.to_json())


def test_unknown_account_is_a_plain_text_404(allow_robots, fast_settings):
    allow_robots.expect_request("/api/v1/widget/accounts/nope").respond_with_data(
        "Not Found", status=404, content_type="text/plain")
    with pytest.raises(HTTPStatusFailure) as info:
        run_collect(workable, source_for(allow_robots, account="nope"), fast_settings)
    assert info.value.status == 404


def test_account_without_jobs_is_empty_not_an_error(allow_robots, fast_settings):
    allow_robots.expect_request(ACCOUNT_PATH).respond_with_json({"name": "Hugging Face", "jobs": []})
    page = run_collect(workable, source_for(allow_robots), fast_settings)
    assert page.postings == [] and page.rejected == [] and page.requests == 1


def test_account_without_name_uses_config_then_slug(allow_robots, fast_settings):
    account = load_fixture("workable-huggingface-2026.json")
    del account["name"]
    allow_robots.expect_request(ACCOUNT_PATH).respond_with_json(account)
    page = run_collect(workable, source_for(allow_robots), fast_settings)
    assert page.postings[0].company == "HF (config)"
    page = run_collect(workable, source_for(allow_robots, company=None), fast_settings)
    assert page.postings[0].company == "huggingface"


# --- mapping details --------------------------------------------------------------------------

def test_entity_escaped_description_is_unescaped_exactly_once():
    job = real_job() | {"description": "&lt;p&gt;Write &amp;lt;b&amp;gt; tags &amp;amp; Python&lt;/p&gt;"}
    assert parse([job]).postings[0].description_html == "<p>Write &lt;b&gt; tags &amp; Python</p>"
    real = real_job() | {"description": "<p>Write &lt;b&gt; tags &amp; Python</p>"}
    assert parse([real]).postings[0].description_html == real["description"]  # real HTML: untouched


def test_url_falls_back_to_shortlink_then_the_application_page():
    job = {k: v for k, v in real_job().items() if k != "url"} | {"shortlink": "https://apply.workable.com/j/SHORT"}
    assert parse([job]).postings[0].url == "https://apply.workable.com/j/SHORT"
    job = {k: v for k, v in real_job().items() if k not in ("url", "shortlink")}
    assert parse([job]).postings[0].url == "https://apply.workable.com/j/81B46579FE"


def test_dates_and_remote_flag():
    no_published = {k: v for k, v in real_job().items() if k != "published_on"} | {"created_at": "2026-05-20"}
    impossible = real_job() | {"published_on": "2026-02-30", "created_at": None}
    onsite_or_hybrid = real_job() | {"telecommuting": False}
    page = parse([no_published, impossible, onsite_or_hybrid])
    assert page.postings[0].posted_at == datetime(2026, 5, 20, tzinfo=timezone.utc)
    assert page.postings[1].posted_at is None
    assert page.postings[2].remote_hint == ""  # false means on-site or hybrid: no hint


def test_location_from_locations_when_top_level_is_empty():
    job = real_job() | {"city": "", "state": "", "country": "",
                        "locations": [{"country": "Germany", "countryCode": "DE", "city": "Berlin", "hidden": True},
                                      {"country": "United States", "countryCode": "US", "city": "New York",
                                       "region": "New York", "hidden": False}]}
    posting = parse([job]).postings[0]
    assert posting.location == "New York, New York, United States"
    assert posting.hints["country"] == "US"
    job = real_job() | {"country": "Spain", "city": "Madrid", "state": ""}  # locations[] says France
    posting = parse([job]).postings[0]
    assert posting.location == "Madrid, Spain" and posting.hints["country"] == "Spain"


def test_malformed_jobs_are_rejected_and_the_rest_kept():
    page = parse([42, {"title": "no shortcode"}, real_job() | {"title": None}, real_job(), []])
    assert [p.source_id for p in page.postings] == ["81B46579FE"]
    assert len(page.rejected) == 4
    assert all("shortcode or title" in r.reason for r in page.rejected)


@pytest.mark.parametrize("payload", [None, [], "jobs", {"name": "X"}, {"jobs": {"shortcode": "x"}}, {"jobs": 3}])
def test_wrong_overall_shape_is_a_format_error(payload):
    with pytest.raises(SourceFormatError, match="jobs"):
        workable.parse_account(payload, "w", "W")


# --- hypothesis: random and mutated payloads --------------------------------------------------

ODD_VALUES = odd_values("&lt;p&gt;x&lt;/p&gt;", "2026-05-29", "2026-02-30", "0000-00-00", "2026-05-29T10:00:00Z",
                        "/apply")
PLACE = st.fixed_dictionaries({}, optional={key: ODD_VALUES for key in ("country", "countryCode", "city", "region",
                                                                          "hidden")})
JOB = st.fixed_dictionaries({}, optional={
    **{key: ODD_VALUES for key in ("shortcode", "title", "employment_type", "telecommuting", "url", "shortlink",
                                   "application_url", "published_on", "created_at", "country", "city", "state",
                                   "description")},
    "locations": ODD_VALUES | st.lists(PLACE | ODD_VALUES, max_size=3),
})


def check_parse(payload) -> None:
    try:
        page = workable.parse_account(payload, "workable-x", "fallback-co")
    except SourceFormatError:
        assert not (isinstance(payload, dict) and isinstance(payload.get("jobs"), list))
        return
    assert len(page.postings) + len(page.rejected) == len(payload["jobs"])
    for posting in page.postings:
        assert posting.source_kind == "workable" and posting.company and isinstance(posting.url, str)
        assert posting.remote_hint in ("", "remote")
        check_posting(posting)


@property_settings(max_examples=300)
@given(st.one_of(JSON_VALUES, st.fixed_dictionaries({"jobs": st.lists(JOB | JSON_VALUES, max_size=5)},
                                                     optional={"name": ODD_VALUES})))
def test_random_payloads_only_raise_format_errors(payload):
    check_parse(payload)


@property_settings(max_examples=300)
@given(st.data())
def test_mutated_real_payloads_only_raise_format_errors(data):
    account = load_fixture("workable-huggingface-2026.json")
    account["jobs"].append(account["jobs"][0] | {"shortcode": "ESCAPED01", "telecommuting": False,
                                                 "description": "&lt;p&gt;escaped&lt;/p&gt;"})
    check_parse(data.draw(mutated_throughout(account, ODD_VALUES, JOB | ODD_VALUES)))
