"""The fetch layer's fault matrix, against a real local HTTP server (threaded, so requests can overlap).

Waits are observed, not sat through: a recording sleep, a fake clock that only moves when the fetcher
sleeps, and handlers that block on a threading.Event the test sets. The one real-time test measures the
per-host rate limit on the wall clock.
"""
from __future__ import annotations

import asyncio
import random
import threading
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from types import SimpleNamespace

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from scraper.fetch import (
    BadPayload,
    BudgetExceeded,
    Fetcher,
    FetchResult,
    HTTPStatusFailure,
    ResponseTooLarge,
    RobotsDisallowed,
    TooManyRedirects,
    TransportFailure,
)
from scraper.httpcache import ValidatorStore
from scraper.pacing import host_limits
from scraper.settings import FetchSettings, HostLimits

MB = 1_000_000


def no_jitter() -> float:
    return 0.0


class FakeTime:
    """A clock that moves only when the fetcher sleeps: waits are recorded and cost no real time."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@pytest.fixture
def gate():
    """Handlers block on it; set at teardown at the latest, so no server thread outlives its test."""
    return threading.Event()


class QuickStopServer(HTTPServer):
    """A threaded server of its own per test (no stalled handler leaks into the next test) that stops fast."""

    def thread_target(self) -> None:
        assert self.server is not None
        self.server.serve_forever(poll_interval=0.01)


@pytest.fixture
def server(gate):
    srv = QuickStopServer(host="127.0.0.1", port=0, threaded=True)
    srv.start()
    yield srv
    gate.set()
    srv.clear()
    srv.stop()


@pytest.fixture
def settings() -> FetchSettings:
    return FetchSettings(min_interval_seconds=0, backoff_seconds=0.5, max_retries=2, timeout_seconds=5)


def allow_all(server: HTTPServer) -> HTTPServer:
    server.expect_request("/robots.txt").respond_with_data("User-agent: *\nAllow: /\n", content_type="text/plain")
    return server


def paths(server: HTTPServer) -> list[str]:
    return [request.path for request, _ in server.log]


def run(settings, scenario, **fetcher_kwargs):
    fetcher_kwargs.setdefault("random", no_jitter)

    async def main():
        async with Fetcher(settings, **fetcher_kwargs) as fetcher:
            return await scenario(fetcher)

    return asyncio.run(main())


def answers(*responses):
    """A handler giving these responses in turn (the last one again if asked more often)."""
    queue = list(responses)
    return lambda request: queue.pop(0) if len(queue) > 1 else queue[0]


# --- retries ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_error_then_success(server, settings, recording_sleep, status):
    allow_all(server).expect_request("/jobs").respond_with_handler(
        answers(Response("boom", status=status), Response('{"jobs": [1]}', content_type="application/json"))
    )
    assert run(settings, lambda f: f.get_json(server.url_for("/jobs")), sleep=recording_sleep) == {"jobs": [1]}
    assert recording_sleep.waits == [0.5]
    assert paths(server).count("/jobs") == 2


def _in_30_seconds() -> str:
    return format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)


@pytest.mark.parametrize("retry_after, low, high", [(lambda: "7", 7.0, 7.0), (_in_30_seconds, 27.0, 30.0)],
                         ids=["seconds", "http-date"])
def test_429_retry_after_is_honoured(server, settings, recording_sleep, retry_after, low, high):
    allow_all(server).expect_request("/jobs").respond_with_handler(
        answers(Response("slow down", status=429, headers={"Retry-After": retry_after()}),
                Response("[]", content_type="application/json"))
    )
    assert run(settings, lambda f: f.get_json(server.url_for("/jobs")), sleep=recording_sleep) == []
    assert len(recording_sleep.waits) == 1 and low <= recording_sleep.waits[0] <= high


def test_jitter_keeps_each_wait_within_its_bounds(server, recording_sleep):
    allow_all(server).expect_request("/jobs").respond_with_data("down", status=503)
    settings = FetchSettings(min_interval_seconds=0, backoff_seconds=2.0, backoff_jitter=0.5, max_retries=4)
    with pytest.raises(HTTPStatusFailure):
        run(settings, lambda f: f.get(server.url_for("/jobs")), sleep=recording_sleep,
            random=random.Random(7).random)
    full = [2.0, 4.0, 8.0, 16.0]
    assert len(recording_sleep.waits) == 4
    assert all(w * 0.5 <= got <= w for got, w in zip(recording_sleep.waits, full))
    assert recording_sleep.waits != full  # drawn, not the plain exponential


@pytest.mark.parametrize("draw, expected", [(0.0, [2.0, 4.0]), (0.5, [1.5, 3.0]), (0.999999, [1.0, 2.0])])
def test_jitter_draw_maps_onto_the_interval(server, recording_sleep, draw, expected):
    allow_all(server).expect_request("/jobs").respond_with_data("down", status=503)
    settings = FetchSettings(min_interval_seconds=0, backoff_seconds=2.0, backoff_jitter=0.5, max_retries=2)
    with pytest.raises(HTTPStatusFailure, match="HTTP 503"):
        run(settings, lambda f: f.get(server.url_for("/jobs")), sleep=recording_sleep, random=lambda: draw)
    assert recording_sleep.waits == pytest.approx(expected, abs=1e-5)


def test_read_timeout_is_a_transport_failure_after_retries(server, gate, recording_sleep):
    def stalls(request):
        gate.wait(10)  # released by the test once the fetcher gave up
        return Response("[]", content_type="application/json")

    allow_all(server).expect_request("/slow").respond_with_handler(stalls)
    settings = FetchSettings(min_interval_seconds=0, timeout_seconds=0.2, max_retries=1, backoff_seconds=0.5)
    try:
        with pytest.raises(TransportFailure, match="timed out"):
            run(settings, lambda f: f.get(server.url_for("/slow")), sleep=recording_sleep)
    finally:
        gate.set()
    assert recording_sleep.waits == [0.5]


# --- bodies -----------------------------------------------------------------------------------------

def test_truncated_json_is_bad_payload(server, settings):
    allow_all(server).expect_request("/jobs").respond_with_data('{"jobs": [{"id": 1}, {"id"', content_type="application/json")
    with pytest.raises(BadPayload, match="not valid JSON"):
        run(settings, lambda f: f.get_json(server.url_for("/jobs")))


def test_invalid_utf8_text_never_raises_and_json_is_bad_payload(server, settings):
    body = b'{"title": "caf\xe9 \xff ML"}'
    allow_all(server).expect_request("/jobs").respond_with_data(body, content_type="application/json")
    result = run(settings, lambda f: f.get(server.url_for("/jobs")))
    assert result.text == '{"title": "caf\ufffd \ufffd ML"}'
    with pytest.raises(BadPayload):
        result.json()


def test_text_uses_the_declared_charset():
    latin = FetchResult("u", 200, {"content-type": "text/html; charset=ISO-8859-1"}, "café".encode("latin-1"))
    unknown = FetchResult("u", 200, {"content-type": "text/html; charset=x-nonsense"}, "café".encode())
    assert latin.text == "café" and latin.encoding == "iso8859-1"
    assert unknown.text == "café" and unknown.encoding == "utf-8"


def _stream(total: int, chunk: int = 64 * 1024):
    def body():
        sent = 0
        while sent < total:
            size = min(chunk, total - sent)
            sent += size
            yield b"x" * size

    return lambda request: Response(body(), direct_passthrough=True)  # chunked: no Content-Length


def test_size_cap_with_content_length(server, settings):
    allow_all(server).expect_request("/big").respond_with_data(b"x" * (MB + 1))
    with pytest.raises(ResponseTooLarge, match=f"{MB + 1} bytes exceeds"):
        run(settings.model_copy(update={"max_response_bytes": MB}), lambda f: f.get(server.url_for("/big")))


def test_size_cap_without_content_length(server, settings):
    allow_all(server).expect_request("/big").respond_with_handler(_stream(MB + 1))
    with pytest.raises(ResponseTooLarge, match="exceeds the 1000000-byte cap"):
        run(settings.model_copy(update={"max_response_bytes": MB}), lambda f: f.get(server.url_for("/big")))


def test_a_50_mb_body_is_refused_with_the_default_cap(server):
    allow_all(server).expect_request("/huge").respond_with_handler(_stream(50 * MB, chunk=MB))
    settings = FetchSettings(min_interval_seconds=0, max_retries=0)
    assert settings.max_response_bytes == 20 * MB
    with pytest.raises(ResponseTooLarge):
        run(settings, lambda f: f.get(server.url_for("/huge")))


def test_redirect_loop_is_not_retried(server, settings, recording_sleep):
    allow_all(server).expect_request("/loop").respond_with_response(
        Response("", status=302, headers={"Location": "/loop"})
    )
    with pytest.raises(TooManyRedirects, match="redirects"):
        run(settings, lambda f: f.get(server.url_for("/loop")), sleep=recording_sleep)
    assert paths(server).count("/loop") == 11  # the request and 10 redirects, once
    assert recording_sleep.waits == []


# --- robots.txt -------------------------------------------------------------------------------------

def test_robots_disallowing_the_path_means_no_request_to_it(server, settings):
    server.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /private\n")
    server.expect_request("/private/jobs").respond_with_json([])
    with pytest.raises(RobotsDisallowed):
        run(settings, lambda f: f.get(server.url_for("/private/jobs")))
    assert paths(server) == ["/robots.txt"]


@pytest.mark.parametrize("status", [401, 403, 404])
def test_robots_4xx_means_allowed(server, settings, status):
    server.expect_request("/robots.txt").respond_with_data("no", status=status)
    server.expect_request("/jobs").respond_with_json([1])
    assert run(settings, lambda f: f.get_json(server.url_for("/jobs"))) == [1]


def test_robots_redirect_is_followed(server, settings):
    server.expect_request("/robots.txt").respond_with_response(
        Response("", status=301, headers={"Location": "/moved/robots.txt"})
    )
    server.expect_request("/moved/robots.txt").respond_with_data("User-agent: *\nDisallow: /private\n")
    server.expect_request("/jobs").respond_with_json([1])

    async def scenario(f):
        with pytest.raises(RobotsDisallowed):
            await f.get(server.url_for("/private/x"))
        return await f.get_json(server.url_for("/jobs"))

    assert run(settings, scenario) == [1]


def test_robots_5xx_disallows_until_it_recovers_and_the_recheck_time_passes(server, settings):
    server.expect_request("/robots.txt").respond_with_handler(
        answers(Response("down", status=503), Response("User-agent: *\nAllow: /\n"))
    )
    server.expect_request("/jobs").respond_with_json([1])
    fake = FakeTime()
    settings = settings.model_copy(update={"robots_recheck_seconds": 600})

    async def scenario(f):
        with pytest.raises(RobotsDisallowed):
            await f.get(server.url_for("/jobs"))
        fake.now += 599
        with pytest.raises(RobotsDisallowed):  # the failure is remembered until the recheck time
            await f.get(server.url_for("/jobs"))
        fake.now += 1
        return await f.get_json(server.url_for("/jobs"))

    assert run(settings, scenario, sleep=fake.sleep, clock=fake.clock) == [1]
    assert paths(server) == ["/robots.txt", "/robots.txt", "/jobs"]


def test_robots_unreachable_means_disallowed(settings):
    with pytest.raises(RobotsDisallowed):
        run(settings.model_copy(update={"max_retries": 0}), lambda f: f.get("http://127.0.0.1:9/jobs"))


def test_ignore_robots_source_fetches_a_disallowed_path(server, settings):
    server.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /api/\n")
    server.expect_request("/api/jobs").respond_with_json({"jobs": []})
    remotive = SimpleNamespace(name="remotive", ignore_robots=True, ignore_robots_reason="documented public API")
    polite = SimpleNamespace(name="polite")

    async def scenario(f):
        handle = f.for_source(remotive)
        payload = await handle.get_json(server.url_for("/api/jobs"))
        with pytest.raises(RobotsDisallowed):
            await f.for_source(polite).get_json(server.url_for("/api/jobs"))
        return payload, handle.requests_made

    assert run(settings, scenario) == ({"jobs": []}, 1)
    assert paths(server).count("/api/jobs") == 1


# --- per-source time budget -------------------------------------------------------------------------

def test_request_after_the_time_budget_is_not_started(server, settings):
    allow_all(server).expect_request("/jobs").respond_with_json([1])
    fake = FakeTime()
    source = SimpleNamespace(name="slowpoke", time_budget_seconds=10)

    async def scenario(f):
        handle = f.for_source(source)
        await handle.get_json(server.url_for("/jobs"))
        fake.now += 10.5
        with pytest.raises(BudgetExceeded, match="slowpoke.*10s time budget"):
            await handle.get_json(server.url_for("/jobs"))
        return handle.requests_made

    assert run(settings, scenario, sleep=fake.sleep, clock=fake.clock) == 1
    assert paths(server).count("/jobs") == 1


def test_retry_wait_past_the_budget_fails_without_waiting(server, settings):
    allow_all(server).expect_request("/jobs").respond_with_response(
        Response("busy", status=503, headers={"Retry-After": "30"})
    )
    fake = FakeTime()
    settings = settings.model_copy(update={"source_time_budget_seconds": 20})

    async def scenario(f):
        with pytest.raises(BudgetExceeded, match="retry wait.*30.0s"):
            await f.for_source(SimpleNamespace(name="s")).get(server.url_for("/jobs"))

    run(settings, scenario, sleep=fake.sleep, clock=fake.clock)
    assert fake.waits == [] and paths(server).count("/jobs") == 1


# --- conditional requests ---------------------------------------------------------------------------

def _validating_handler(seen, *, etag=None, last_modified=None, body=b'{"jobs": [1, 2]}'):
    def handler(request):
        seen.append(dict(request.headers))
        if etag and request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers={"ETag": etag})
        if last_modified and request.headers.get("If-Modified-Since") == last_modified:
            return Response(status=304)
        headers = {"ETag": etag} if etag else {}
        if last_modified:
            headers["Last-Modified"] = last_modified
        return Response(body, content_type="application/json", headers=headers)

    return handler


def _two_runs(settings, url, cache_dir):
    """Two separate runs (two Fetchers) of one source against the same store."""
    async def once(f):
        handle = f.for_source(SimpleNamespace(name="gh"))
        result = await handle.get(url)
        return result, handle.requests_made, handle.not_modified

    return run(settings, once, http_cache_dir=cache_dir), run(settings, once, http_cache_dir=cache_dir)


@pytest.mark.parametrize("validator", ["etag", "last_modified"])
def test_304_is_served_from_the_store(server, settings, tmp_path, validator):
    seen: list[dict] = []
    value = '"v1"' if validator == "etag" else "Wed, 21 Oct 2026 07:28:00 GMT"
    allow_all(server).expect_request("/jobs").respond_with_handler(_validating_handler(seen, **{validator: value}))
    first, second = _two_runs(settings, server.url_for("/jobs"), tmp_path)
    assert first[0].status == 200 and not first[0].not_modified and first[1:] == (1, 0)
    result, requests, not_modified = second
    assert result.status == 200 and result.not_modified and (requests, not_modified) == (1, 1)
    assert result.json() == {"jobs": [1, 2]} and result.headers["content-type"] == "application/json"
    header = "If-None-Match" if validator == "etag" else "If-Modified-Since"
    assert header not in seen[0] and seen[1][header] == value
    assert not list(tmp_path.glob("*.tmp"))


def test_corrupt_store_entry_is_ignored_and_replaced(server, settings, tmp_path):
    seen: list[dict] = []
    allow_all(server).expect_request("/jobs").respond_with_handler(_validating_handler(seen, etag='"v1"'))
    url = server.url_for("/jobs")
    store = ValidatorStore(tmp_path, max_body_bytes=settings.max_response_bytes)
    store.path_for(url).write_bytes(b"\x1f\x8b not really gzip")
    result = run(settings, lambda f: f.get(url), http_cache_dir=tmp_path)
    assert result.status == 200 and not result.not_modified
    assert "If-None-Match" not in seen[0]
    assert store.load(url).etag == '"v1"'  # rewritten whole


def test_corrupt_entry_is_deleted_when_the_response_has_no_validators(server, settings, tmp_path):
    allow_all(server).expect_request("/jobs").respond_with_json([1])
    url = server.url_for("/jobs")
    store = ValidatorStore(tmp_path, max_body_bytes=settings.max_response_bytes)
    store.path_for(url).write_bytes(b"garbage")
    assert run(settings, lambda f: f.get_json(url), http_cache_dir=tmp_path) == [1]
    assert not store.path_for(url).exists()


def test_304_without_a_stored_body_refetches_without_validators(server, settings, tmp_path):
    seen: list[dict] = []

    def confused(request):
        seen.append(dict(request.headers))
        return Response(status=304) if len(seen) == 1 else Response("[1]", content_type="application/json")

    allow_all(server).expect_request("/jobs").respond_with_handler(confused)
    result = run(settings, lambda f: f.get(server.url_for("/jobs")), http_cache_dir=tmp_path)
    assert result.json() == [1] and not result.not_modified
    assert len(seen) == 2 and "If-None-Match" not in seen[1] and "If-Modified-Since" not in seen[1]


def test_conditional_requests_off_sends_no_validators(server, settings, tmp_path):
    seen: list[dict] = []
    allow_all(server).expect_request("/jobs").respond_with_handler(_validating_handler(seen, etag='"v1"'))
    settings = settings.model_copy(update={"conditional_requests": False})
    _two_runs(settings, server.url_for("/jobs"), tmp_path)
    assert all("If-None-Match" not in headers for headers in seen) and not list(tmp_path.iterdir())


# --- per-host limits --------------------------------------------------------------------------------

def test_host_limits_override_chain():
    settings = FetchSettings(
        max_connections_per_host=4,
        min_interval_seconds=0.5,
        hosts={"remotive.com": HostLimits(max_connections=2), "example.org": HostLimits(min_interval_seconds=3)},
    )
    assert host_limits(settings, "remotive.com") == (2, 30.0)  # the provider's interval still holds
    assert host_limits(settings, "remoteok.com") == (1, 5.0)
    assert host_limits(settings, "example.org") == (4, 3.0)
    assert host_limits(settings, "elsewhere.net") == (4, 0.5)


def test_concurrency_per_host_is_limited(server, gate):
    lock = threading.Condition()
    state = {"in_flight": 0, "max": 0, "served": 0}

    def blocking(request):
        with lock:
            state["in_flight"] += 1
            state["max"] = max(state["max"], state["in_flight"])
            lock.notify_all()
        gate.wait(10)
        with lock:
            state["in_flight"] -= 1
            state["served"] += 1
        return Response("[]", content_type="application/json")

    def three_in_flight_and_no_fourth() -> bool:
        with lock:
            if not lock.wait_for(lambda: state["in_flight"] == 3, timeout=10):
                return False
            # a negative check has to give the fourth request a chance to arrive; it must not
            return not lock.wait_for(lambda: state["in_flight"] > 3, timeout=0.2)

    allow_all(server).expect_request("/jobs").respond_with_handler(blocking)
    settings = FetchSettings(min_interval_seconds=0, hosts={"127.0.0.1": HostLimits(max_connections=3)})

    async def scenario(f):
        tasks = [asyncio.create_task(f.get_json(server.url_for("/jobs"))) for _ in range(8)]
        assert await asyncio.to_thread(three_in_flight_and_no_fourth)
        gate.set()
        return await asyncio.gather(*tasks)

    assert run(settings, scenario) == [[]] * 8
    assert state["max"] == 3 and state["served"] == 8


def test_starts_are_spaced_under_concurrency_fake_clock(server, monkeypatch):
    """min_interval 1/4 s with 3 connections: never more than 4 starts in any 1-second window."""
    allow_all(server).expect_request("/jobs").respond_with_json([])
    fake = FakeTime()
    starts: list[float] = []
    original = Fetcher._request

    async def recording_request(self, url, headers, follow_redirects):
        starts.append(fake.clock())
        return await original(self, url, headers, follow_redirects)

    monkeypatch.setattr(Fetcher, "_request", recording_request)
    settings = FetchSettings(respect_robots_txt=False, min_interval_seconds=0.25,
                             hosts={"127.0.0.1": HostLimits(max_connections=3)})

    async def scenario(f):
        await asyncio.gather(*(f.get(server.url_for("/jobs")) for _ in range(12)))

    run(settings, scenario, sleep=fake.sleep, clock=fake.clock)
    assert len(starts) == 12
    assert all(b - a >= 0.25 - 1e-9 for a, b in zip(starts, starts[1:]))
    assert max(sum(s <= t < s + 1.0 for t in starts) for s in starts) == 4


def test_measured_rate_never_exceeds_the_limit_real_time(server):
    """20 requests/s allowed, 4 connections: 30 starts need at least 29/20 s of wall clock."""
    allow_all(server).expect_request("/jobs").respond_with_json([])
    settings = FetchSettings(respect_robots_txt=False, min_interval_seconds=1 / 20,
                             hosts={"127.0.0.1": HostLimits(max_connections=4)})

    async def scenario(f):
        began = time.monotonic()
        await asyncio.gather(*(f.get(server.url_for("/jobs")) for _ in range(30)))
        return time.monotonic() - began

    elapsed = run(settings, scenario)
    assert elapsed >= 29 / 20 - 0.005
    assert elapsed < 29 / 20 + 3  # pacing, not serialising each request behind a long lock
