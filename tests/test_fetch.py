"""The shared fetch layer against a real local HTTP server."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from types import SimpleNamespace

import pytest
from werkzeug import Response

from scraper.fetch import (
    BadPayload,
    Fetcher,
    FetchError,
    HTTPStatusFailure,
    ResponseTooLarge,
    RobotsDisallowed,
    TransportFailure,
    parse_retry_after,
)
from scraper.settings import FetchSettings, GreenhouseSource


def no_jitter() -> float:
    """Stands in for random.random: every backoff wait is the full exponential wait."""
    return 0.0


def fetch(settings, coro_factory, sleep=None):
    async def main():
        kwargs = {"sleep": sleep} if sleep else {}
        async with Fetcher(settings, random=no_jitter, **kwargs) as fetcher:
            return await coro_factory(fetcher)

    return asyncio.run(main())


def test_sends_user_agent_from_config(allow_robots, fast_settings):
    seen = {}

    def handler(request):
        seen["ua"] = request.headers.get("User-Agent")
        return Response('{"ok": true}', content_type="application/json")

    allow_robots.expect_request("/jobs").respond_with_handler(handler)
    settings = fast_settings.model_copy(update={"user_agent": "jobtrends-test (contact: ops@example.org)"})
    assert fetch(settings, lambda f: f.get_json(allow_robots.url_for("/jobs"))) == {"ok": True}
    assert seen["ua"] == "jobtrends-test (contact: ops@example.org)"


def test_user_agent_without_contact_is_rejected():
    with pytest.raises(ValueError, match="contact"):
        FetchSettings(user_agent="jobtrends/0.1")


def test_robots_disallow_is_honoured(httpserver, fast_settings):
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /private\n")
    httpserver.expect_request("/private/jobs").respond_with_json({"secret": 1})
    with pytest.raises(RobotsDisallowed):
        fetch(fast_settings, lambda f: f.get_json(httpserver.url_for("/private/jobs")))
    assert all(req.path != "/private/jobs" for req, _ in httpserver.log)


def test_robots_4xx_means_no_restrictions(httpserver, fast_settings):
    httpserver.expect_request("/robots.txt").respond_with_data("nope", status=404)
    httpserver.expect_request("/jobs").respond_with_json([1, 2])
    assert fetch(fast_settings, lambda f: f.get_json(httpserver.url_for("/jobs"))) == [1, 2]


def test_robots_5xx_means_disallow(httpserver, fast_settings):
    httpserver.expect_request("/robots.txt").respond_with_data("down", status=503)
    httpserver.expect_request("/jobs").respond_with_json([1])
    settings = fast_settings.model_copy(update={"max_retries": 0})
    with pytest.raises(RobotsDisallowed):
        fetch(settings, lambda f: f.get_json(httpserver.url_for("/jobs")))


def test_robots_fetched_once_per_host(allow_robots, fast_settings):
    allow_robots.expect_request("/a").respond_with_json(1)
    allow_robots.expect_request("/b").respond_with_json(2)

    async def both(f):
        return [await f.get_json(allow_robots.url_for("/a")), await f.get_json(allow_robots.url_for("/b"))]

    assert fetch(fast_settings, both) == [1, 2]
    assert [req.path for req, _ in allow_robots.log].count("/robots.txt") == 1


def test_429_retry_after_is_honoured(allow_robots, fast_settings, recording_sleep):
    answers = iter([Response("slow down", status=429, headers={"Retry-After": "7"}),
                    Response('{"jobs": []}', content_type="application/json")])
    allow_robots.expect_request("/jobs").respond_with_handler(lambda request: next(answers))
    result = fetch(fast_settings, lambda f: f.get_json(allow_robots.url_for("/jobs")), recording_sleep)
    assert result == {"jobs": []}
    assert 7.0 in recording_sleep.waits


def test_retry_after_as_http_date():
    now = datetime(2026, 11, 25, 12, 0, 0, tzinfo=timezone.utc)
    header = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(header, now=now) == pytest.approx(30.0)
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_retry_after_beyond_limit_fails_without_waiting(allow_robots, fast_settings, recording_sleep):
    allow_robots.expect_request("/jobs").respond_with_response(
        Response("later", status=429, headers={"Retry-After": "86400"})
    )
    with pytest.raises(FetchError, match="Retry-After"):
        fetch(fast_settings, lambda f: f.get_json(allow_robots.url_for("/jobs")), recording_sleep)
    assert 86400.0 not in recording_sleep.waits


def test_5xx_retried_with_exponential_backoff_then_fails(allow_robots, fast_settings, recording_sleep):
    allow_robots.expect_request("/jobs").respond_with_data("boom", status=502)
    with pytest.raises(HTTPStatusFailure) as info:
        fetch(fast_settings, lambda f: f.get_json(allow_robots.url_for("/jobs")), recording_sleep)
    assert info.value.status == 502
    assert info.value.attempts == 3  # first try + max_retries=2
    assert recording_sleep.waits == [0.5, 1.0]


def test_404_is_not_retried(allow_robots, fast_settings, recording_sleep):
    allow_robots.expect_request("/jobs").respond_with_json({"ok": False}, status=404)
    with pytest.raises(HTTPStatusFailure) as info:
        fetch(fast_settings, lambda f: f.get_json(allow_robots.url_for("/jobs")), recording_sleep)
    assert info.value.status == 404 and info.value.attempts == 1
    assert recording_sleep.waits == []


def test_response_size_cap(allow_robots, fast_settings):
    allow_robots.expect_request("/big").respond_with_data("x" * 5000)
    settings = fast_settings.model_copy(update={"max_response_bytes": 1000})
    with pytest.raises(ResponseTooLarge):
        fetch(settings, lambda f: f.get(allow_robots.url_for("/big")))


def test_response_size_cap_without_content_length(allow_robots, fast_settings):
    def streamed(request):
        return Response((b"y" * 1000 for _ in range(10)), direct_passthrough=True)

    allow_robots.expect_request("/stream").respond_with_handler(streamed)
    settings = fast_settings.model_copy(update={"max_response_bytes": 4000})
    with pytest.raises(ResponseTooLarge):
        fetch(settings, lambda f: f.get(allow_robots.url_for("/stream")))


def test_invalid_json_is_a_clear_error(allow_robots, fast_settings):
    allow_robots.expect_request("/jobs").respond_with_data("<html>maintenance</html>", content_type="text/html")
    with pytest.raises(BadPayload, match="not valid JSON"):
        fetch(fast_settings, lambda f: f.get_json(allow_robots.url_for("/jobs")))


def test_connection_refused_is_a_transport_failure(fast_settings, recording_sleep):
    settings = fast_settings.model_copy(update={"respect_robots_txt": False, "max_retries": 1})
    with pytest.raises(TransportFailure):
        fetch(settings, lambda f: f.get("http://127.0.0.1:9/jobs"), recording_sleep)
    assert recording_sleep.waits == [0.5]


def test_per_host_minimum_interval(allow_robots, recording_sleep):
    allow_robots.expect_request("/a").respond_with_json(1)
    settings = FetchSettings(min_interval_seconds=5.0, max_retries=0)

    async def three(f):
        for _ in range(3):
            await f.get_json(allow_robots.url_for("/a"))

    fetch(settings, three, recording_sleep)
    # robots.txt, then three requests: every request after the first waits for the gap.
    assert len(recording_sleep.waits) == 3
    assert all(4.0 < w <= 5.0 for w in recording_sleep.waits)


def test_robots_crawl_delay_raises_the_interval(httpserver, recording_sleep):
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nCrawl-delay: 30\nAllow: /\n")
    httpserver.expect_request("/a").respond_with_json(1)
    settings = FetchSettings(min_interval_seconds=1.0, max_retries=0)

    async def two(f):
        await f.get_json(httpserver.url_for("/a"))
        await f.get_json(httpserver.url_for("/a"))

    fetch(settings, two, recording_sleep)
    assert max(recording_sleep.waits) > 25


def test_source_handle_counts_its_own_requests(allow_robots, fast_settings, recording_sleep):
    answers = iter([Response("boom", status=503), Response("[1]", content_type="application/json")])
    allow_robots.expect_request("/jobs").respond_with_handler(lambda request: next(answers))

    async def scenario(f):
        handle = f.for_source(SimpleNamespace(name="gh"))
        payload = await handle.get_json(allow_robots.url_for("/jobs"))
        return payload, handle.requests_made, handle.not_modified, f.requests_made

    # the retry counts for the source; the shared robots.txt request only for the fetcher
    assert fetch(fast_settings, scenario, recording_sleep) == ([1], 2, 0, 3)


def test_source_handle_defaults_come_from_settings(fast_settings):
    async def scenario(f):
        return f.for_source(SimpleNamespace(name="plain")), f.for_source(
            GreenhouseSource(name="gh", kind="greenhouse", board_token="x", time_budget_seconds=30)
        )

    settings = fast_settings.model_copy(update={"source_time_budget_seconds": 600})
    plain, configured = fetch(settings, scenario)
    assert (plain.time_budget_seconds, plain.ignore_robots) == (600, False)
    assert (configured.time_budget_seconds, configured.name) == (30, "gh")
