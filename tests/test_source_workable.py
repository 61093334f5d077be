"""The Workable adapter against a local HTTP server serving the real recorded account, and its parser under hypothesis."""
from __future__ import annotations

import asyncio
import copy
import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from scraper.fetch import Fetcher, HTTPStatusFailure
from scraper.settings import WorkableSource
from scraper.sources import workable
from scraper.sources.base import SourceFormatError
from tests.conftest import load_fixture

ACCOUNT_PATH = "/api/v1/widget/accounts/huggingface"
STATED_HINTS = {"employment", "country", "salary_min", "salary_max", "salary_currency", "salary_interval", "pay_range"}


def collect(source, settings):
    async def main():
        async with Fetcher(settings) as fetcher:
            return await workable.collect(fetcher, source)

    return asyncio.run(main())


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
    page = collect(source_for(allow_robots), fast_settings)
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
        collect(source_for(allow_robots, account="nope"), fast_settings)
    assert info.value.status == 404


def test_account_without_jobs_is_empty_not_an_error(allow_robots, fast_settings):
    allow_robots.expect_request(ACCOUNT_PATH).respond_with_json({"name": "Hugging Face", "jobs": []})
    page = collect(source_for(allow_robots), fast_settings)
    assert page.postings == [] and page.rejected == [] and page.requests == 1


def test_account_without_name_uses_config_then_slug(allow_robots, fast_settings):
    account = load_fixture("workable-huggingface-2026.json")
    del account["name"]
    allow_robots.expect_request(ACCOUNT_PATH).respond_with_json(account)
    assert collect(source_for(allow_robots), fast_settings).postings[0].company == "HF (config)"
    assert collect(source_for(allow_robots, company=None), fast_settings).postings[0].company == "huggingface"


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

ODD_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30), st.floats(),
    st.text(max_size=40), st.just("x" * 200_000), st.just("\u202e\x00\ufeff名前"),
    st.sampled_from(["", " ", "&lt;p&gt;x&lt;/p&gt;", "2026-05-29", "2026-02-30", "0000-00-00", "2026-05-29T10:00:00Z",
                     "99999-01-01", "/apply"]),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)
JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20)),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
PLACE = st.fixed_dictionaries({}, optional={key: ODD_VALUES for key in ("country", "countryCode", "city", "region",
                                                                          "hidden")})
JOB = st.fixed_dictionaries({}, optional={
    **{key: ODD_VALUES for key in ("shortcode", "title", "employment_type", "telecommuting", "url", "shortlink",
                                   "application_url", "published_on", "created_at", "country", "city", "state",
                                   "description")},
    "locations": ODD_VALUES | st.lists(PLACE | ODD_VALUES, max_size=3),
})


@st.composite
def mutated(draw, value, depth=0):
    """The value with some keys dropped, some values swapped for odd ones, recursively."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            action = draw(st.sampled_from(["keep", "keep", "recurse", "drop", "odd"]))
            if action == "keep":
                out[key] = item
            elif action == "recurse":
                out[key] = draw(mutated(item, depth + 1))
            elif action == "odd":
                out[key] = draw(ODD_VALUES)
        return out
    if isinstance(value, list):
        items = [draw(mutated(item, depth + 1)) for item in value]
        return items + draw(st.lists(JOB | ODD_VALUES, max_size=2)) if depth == 0 or draw(st.booleans()) else items
    return value if draw(st.booleans()) else draw(ODD_VALUES)


def check_parse(payload) -> None:
    try:
        page = workable.parse_account(payload, "workable-x", "fallback-co")
    except SourceFormatError:
        assert not (isinstance(payload, dict) and isinstance(payload.get("jobs"), list))
        return
    assert len(page.postings) + len(page.rejected) == len(payload["jobs"])
    for posting in page.postings:
        assert posting.source_kind == "workable" and posting.source_id and posting.title and posting.company
        assert posting.posted_at is None or posting.posted_at.utcoffset() == timedelta(0)
        assert posting.remote_hint in ("", "remote")
        assert set(posting.hints) <= STATED_HINTS
        assert all(isinstance(v, str) and v for v in posting.hints.values())
        assert isinstance(posting.description_html, str) and isinstance(posting.url, str)
        json.dumps(posting.to_json())


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.one_of(JSON_VALUES, st.fixed_dictionaries({"jobs": st.lists(JOB | JSON_VALUES, max_size=5)},
                                                     optional={"name": ODD_VALUES})))
def test_random_payloads_only_raise_format_errors(payload):
    check_parse(payload)


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_mutated_real_payloads_only_raise_format_errors(data):
    account = load_fixture("workable-huggingface-2026.json")
    account["jobs"].append(account["jobs"][0] | {"shortcode": "ESCAPED01", "telecommuting": False,
                                                 "description": "&lt;p&gt;escaped&lt;/p&gt;"})
    check_parse(data.draw(mutated(account)))
