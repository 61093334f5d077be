"""RemoteOK adapter against a local HTTP server serving real recorded feeds (2021 and 2026), and its parser under hypothesis."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given, strategies as st

from scraper.fetch import BadPayload, HTTPStatusFailure
from scraper.settings import RemoteOKSource
from scraper.sources import remoteok
from scraper.sources.base import SourceFormatError
from tests.conftest import load_fixture
from tests.source_helpers import JSON_VALUES, check_posting, property_settings, run_collect, with_odd_fields

FEED_2021 = "remoteok-2021.json"
FEED_2026 = "remoteok-2026.json"


def source_for(server, **fields) -> RemoteOKSource:
    return RemoteOKSource(name="remoteok", kind="remoteok", base_url=server.url_for("/"), **fields)


def test_real_2026_feed_field_mapping(allow_robots, fast_settings):
    feed = load_fixture(FEED_2026)
    allow_robots.expect_request("/api", query_string="").respond_with_json(feed)
    page = run_collect(remoteok, source_for(allow_robots), fast_settings)
    assert page.requests == 1
    # element 0 is the legal notice: neither a posting nor a rejected job
    assert page.rejected == [] and len(page.postings) == len(feed) - 1 == 2
    first, second = page.postings
    assert first.source == "remoteok" and first.source_kind == "remoteok"
    assert first.source_id == "1137465"
    assert first.url == feed[1]["url"]  # attribution: link back to the job on Remote OK
    assert first.payload["apply_url"] == feed[1]["apply_url"]
    assert first.title == "Platform and Integration Engineer Security Telemetry"
    assert first.company == "RedMimicry"
    assert first.location == ""
    assert first.remote_hint == "remote"
    assert first.posted_at == datetime(2026, 10, 5, 13, 0, 2, tzinfo=timezone.utc)
    assert first.hints == {}  # salary_min/max 0 means not stated
    assert second.hints == {"salary_min": "170000", "salary_max": "350000",
                            "salary_currency": "USD", "salary_interval": "year"}
    # HTML (cut by the recorder) is kept as received; the plain-text one becomes one escaped paragraph.
    assert second.description_html == feed[2]["description"]
    assert first.description_html == "<p>Remote - Location: Mostly remote (within Germany)...</p>"
    assert second.payload == feed[2]


def test_real_2021_feed_string_epoch_and_html(allow_robots, fast_settings):
    feed = load_fixture(FEED_2021)
    allow_robots.expect_request("/api").respond_with_json(feed)
    page = run_collect(remoteok, source_for(allow_robots), fast_settings)
    assert [p.source_id for p in page.postings] == ["123456", "987654", "564738"] and page.rejected == []
    golang, aspnet, success = page.postings
    assert golang.posted_at == datetime(2021, 4, 30, 11, 8, 17, tzinfo=timezone.utc)
    assert golang.url == "https://remoteOK.io/remote-jobs/123456-some-awesome-job"
    assert golang.company == "ACME Inc" and golang.title == "Golang Software Engineer"
    assert success.location == "North America"
    # Real HTML whose entities belong to it: kept exactly as received (no unescaping layer).
    assert golang.description_html == feed[1]["description"]
    assert golang.description_html.startswith("<p>We&rsquo;re looking")
    # This job's description is plain (markdown-ish) text: escaped into paragraphs, text unchanged.
    assert aspnet.description_html.startswith("<p>**About Us**</p><p>At [GreatCo](https://epicamazingcompany.com), we're")
    assert "\n\n" not in aspnet.description_html
    assert success.description_html == feed[3]["description"]


def test_epoch_used_when_date_missing():
    feed = load_fixture(FEED_2021)
    del feed[1]["date"]
    feed[2]["date"] = "garbled"
    feed[2]["epoch"] = 1619725322  # a number, as in 2026
    page = remoteok.parse_feed(feed, "r")
    assert page.postings[0].posted_at == datetime.fromtimestamp(1619780897, tz=timezone.utc)
    assert page.postings[1].posted_at == datetime(2021, 4, 29, 19, 42, 2, tzinfo=timezone.utc)


def test_entities_in_names_are_unescaped_once():
    feed = load_fixture(FEED_2026)
    feed[1].update(company="AT&amp;T", position="R&amp;D &amp;lt;ML&amp;gt; Engineer", id=42)
    posting = remoteok.parse_feed(feed, "r").postings[0]
    assert posting.company == "AT&T"
    assert posting.title == "R&D &lt;ML&gt; Engineer"  # once, never twice
    assert posting.source_id == "42"  # an int id is accepted and stored as a string


def test_plain_text_description_is_escaped_not_parsed():
    assert remoteok.as_html("Use Vec<T> & Python\nDaily\n\nApply") == "<p>Use Vec&lt;T&gt; &amp; Python<br>Daily</p><p>Apply</p>"
    assert remoteok.as_html("<p>kept</p>") == "<p>kept</p>"
    assert remoteok.as_html("We&rsquo;re kept") == "We&rsquo;re kept"


def test_tags_filter_is_case_insensitive(allow_robots, fast_settings):
    allow_robots.expect_request("/api").respond_with_json(load_fixture(FEED_2026))
    page = run_collect(remoteok, source_for(allow_robots, tags=["GoLang", "python"]), fast_settings)
    assert [p.source_id for p in page.postings] == ["1137465"]


def test_no_tags_keeps_everything():
    postings = remoteok.parse_feed(load_fixture(FEED_2026), "r").postings
    assert remoteok.with_any_tag(postings, []) == postings
    assert remoteok.with_any_tag(postings, ["EXEC"])[0].source_id == "1137461"


@pytest.mark.parametrize("body", [[], "notice-only"])
def test_feed_without_jobs_is_empty_not_error(allow_robots, fast_settings, body):
    if body == "notice-only":
        body = load_fixture(FEED_2026)[:1]
    allow_robots.expect_request("/api").respond_with_json(body)
    page = run_collect(remoteok, source_for(allow_robots), fast_settings)
    assert page.postings == [] and page.rejected == [] and page.requests == 1


@pytest.mark.parametrize("status", [403, 404])
def test_error_status_raises(allow_robots, fast_settings, status):
    allow_robots.expect_request("/api").respond_with_data("nope", status=status)
    with pytest.raises(HTTPStatusFailure) as info:
        run_collect(remoteok, source_for(allow_robots), fast_settings)
    assert info.value.status == status


def test_html_challenge_page_is_a_bad_payload(allow_robots, fast_settings):
    allow_robots.expect_request("/api").respond_with_data("<!DOCTYPE html><title>Just a moment</title>",
                                                          content_type="text/html")
    with pytest.raises(BadPayload):
        run_collect(remoteok, source_for(allow_robots), fast_settings)


def test_malformed_job_rejected_rest_kept():
    feed = load_fixture(FEED_2026)
    good = feed[1]
    feed[2:] = [
        {**good, "id": None},
        {**good, "position": ""},
        {**good, "url": None},
        ["not", "a", "job"],
        {"explanation": "no legal key, no id: not the notice either"},
        {**good, "id": "7", "date": None, "epoch": "soon", "salary_min": "lots", "salary_max": True,
         "tags": "python", "company": None, "description": 12},
    ]
    page = remoteok.parse_feed(feed, "r")
    assert [p.source_id for p in page.postings] == ["1137465", "7"]
    assert len(page.rejected) == 5
    assert "id" in page.rejected[0].reason and "position" in page.rejected[1].reason
    assert "url" in page.rejected[2].reason
    odd = page.postings[1]
    assert odd.posted_at is None and odd.hints == {} and odd.company == "" and odd.description_html == ""
    assert remoteok.with_any_tag([odd], ["python"]) == []  # tags not a list: no tags


@pytest.mark.parametrize("payload", [{}, {"jobs": []}, "[]", None, 0])
def test_wrong_overall_shape_is_a_format_error(payload):
    with pytest.raises(SourceFormatError):
        remoteok.parse_feed(payload, "r")


# --- hypothesis: random and mutated real payloads --------------------------------------------

REAL_JOB_KEYS = {key for name in (FEED_2021, FEED_2026) for job in load_fixture(name)[1:] for key in job}


@st.composite
def mutated_feeds(draw):
    notice, *jobs = load_fixture(draw(st.sampled_from([FEED_2021, FEED_2026])))
    return draw(st.permutations([notice, *draw(with_odd_fields(jobs, REAL_JOB_KEYS))]))


def check_parse(payload, tags=("golang", "DEV")):
    try:
        page = remoteok.parse_feed(payload, "r")
    except SourceFormatError:
        return
    notices = [item for item in payload if remoteok.is_notice(item)]
    assert len(page.postings) + len(page.rejected) + len(notices) == len(payload)
    for posting in page.postings:
        assert posting.url
        check_posting(posting)
    kept = remoteok.with_any_tag(page.postings, tags)
    assert all(p in page.postings for p in kept)


@property_settings(max_examples=200)
@given(st.one_of(JSON_VALUES, st.lists(JSON_VALUES, max_size=6)))
def test_random_payloads_only_raise_format_errors(payload):
    check_parse(payload)


@property_settings(max_examples=300)
@given(mutated_feeds())
def test_mutated_real_feeds_keep_or_reject_every_job(payload):
    check_parse(payload)
