"""The scrape survives the real internet: each fault hits one source of a run of three, one of each shape
(JSON API: Greenhouse, RSS: We Work Remotely, HTML: the CSS-selector listing), against a real local server.

For every case: the run finishes, the other two sources' postings are stored, the faulty source's outcome
is in the runs log, and no file under the data directory is left half-written (*.tmp).
"""
from __future__ import annotations

import asyncio
import gzip
import json
import threading
from pathlib import Path

import pytest
from werkzeug import Response

from scraper.collect import scrape_sources
from scraper.rawstore import RawStore
from scraper.settings import GreenhouseSource, HtmlListingSource, SchemaOrgSource, WeWorkRemotelySource
from tests.conftest import FIXTURES, RecordingSleep, load_fixture

FEED = (FIXTURES / "payloads" / "wwr-remote-jobs-2026.xml").read_bytes()
LISTING = FIXTURES / "html_listing"
BOARD = load_fixture("greenhouse-github-2018.json")
JOBS_PATH = "/v1/boards/github/jobs"
FEED_PATH = "/categories/remote-programming-jobs.rss"
LIST_PATH = "/careers"
SHAPES = ("json", "rss", "html")
FAULT_PATH = {"json": JOBS_PATH, "rss": FEED_PATH, "html": LIST_PATH}


def listing_html() -> bytes:
    items = "".join(f'<li class="job"><a href="/careers/{n}">ML Engineer {n}</a><span class="co">Acme</span>'
                    f'<time datetime="2026-11-0{n}">Nov</time></li>' for n in range(1, 4))
    return f"<html><body><ul>{items}</ul></body></html>".encode()


def detail_html(n: int) -> bytes:
    return f'<html><body><h1>ML Engineer {n}</h1><div class="desc"><p>Python, PyTorch, statistics.</p></div></body></html>'.encode()


GOOD = {
    "json": (json.dumps(BOARD).encode(), "application/json"),
    "rss": (FEED, "application/rss+xml"),
    "html": (listing_html(), "text/html; charset=utf-8"),
}
EXPECTED = {"json": len(BOARD["jobs"]), "rss": 3, "html": 3}


def sources(base: str) -> dict[str, object]:
    return {
        "json": GreenhouseSource(name="json-src", kind="greenhouse", board_token="github", base_url=base),
        "rss": WeWorkRemotelySource(name="rss-src", kind="wwr", base_url=base),
        "html": HtmlListingSource(name="html-src", kind="html", start_url=f"{base}{LIST_PATH}", base_url=base,
                                  company="Acme", selectors={"item": "li.job", "company": ".co", "date": "time",
                                                             "description": ".desc"}),
    }


class Flaky:
    """Answers `failures` error responses, then the good body; counts calls."""

    def __init__(self, shape: str, failures: list[Response]):
        self.shape, self.failures, self.calls = shape, list(failures), 0

    def __call__(self, request):
        self.calls += 1
        if self.failures:
            return self.failures.pop(0)
        body, content_type = GOOD[self.shape]
        return Response(body, content_type=content_type)


def huge_body(request):
    def chunks():
        block = b"x" * (1 << 20)
        for _ in range(50):  # 50 MB, streamed without a Content-Length
            yield block

    return Response(chunks(), content_type="application/json")


def serve(server, faulty: str, handler, robots: str = "User-agent: *\nAllow: /\n") -> None:
    server.expect_request("/robots.txt").respond_with_data(robots, content_type="text/plain")
    for shape in SHAPES:
        if shape == faulty:
            server.expect_request(FAULT_PATH[shape]).respond_with_handler(handler)
        else:
            body, content_type = GOOD[shape]
            server.expect_request(FAULT_PATH[shape]).respond_with_data(body, content_type=content_type)
    for n in range(1, 4):
        server.expect_request(f"{LIST_PATH}/{n}").respond_with_data(detail_html(n), content_type="text/html")


def run(server, tmp_path: Path, settings, sleep=None):
    store = RawStore(tmp_path)
    configured = list(sources(server.url_for("/").rstrip("/")).values())
    kwargs = {"sleep": sleep} if sleep else {}
    runs = asyncio.run(scrape_sources(configured, settings, store, **kwargs))
    return {run.source.removesuffix("-src"): run for run in runs}, store


def stored_count(tmp_path: Path, run) -> int:
    if not run.raw_file:
        return 0
    with gzip.open(tmp_path / run.raw_file, "rt", encoding="utf-8") as handle:
        return sum(1 for line in handle if line.strip())


def assert_others_stored(tmp_path: Path, runs, faulty: str) -> None:
    for shape in SHAPES:
        if shape != faulty:
            assert runs[shape].status == "ok", (shape, runs[shape])
            assert stored_count(tmp_path, runs[shape]) == EXPECTED[shape]
    logged = {row["source"]: row for row in RawStore(tmp_path).read_runs()}
    assert set(logged) == {"json-src", "rss-src", "html-src"}
    assert not list(tmp_path.rglob("*.tmp")), "a half-written file was left behind"


@pytest.fixture
def httpserver():
    """A threaded server: a stalled response to one source must not hold the others' requests."""
    from pytest_httpserver import HTTPServer

    server = HTTPServer(threaded=True)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


@pytest.fixture
def settings(fast_settings):
    return fast_settings.model_copy(update={"backoff_seconds": 0.01, "max_retries": 3, "timeout_seconds": 0.5,
                                            "conditional_requests": False})


@pytest.mark.parametrize("faulty", SHAPES)
@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_then_success_are_retried(httpserver, tmp_path, settings, faulty, status):
    flaky = Flaky(faulty, [Response("down", status=status)] * 2)
    serve(httpserver, faulty, flaky)
    runs, _ = run(httpserver, tmp_path, settings)
    assert flaky.calls == 3
    assert runs[faulty].status == "ok" and stored_count(tmp_path, runs[faulty]) == EXPECTED[faulty]
    assert_others_stored(tmp_path, runs, faulty)


@pytest.mark.parametrize("faulty", SHAPES)
def test_429_with_retry_after_is_honoured(httpserver, tmp_path, settings, faulty):
    flaky = Flaky(faulty, [Response("slow down", status=429, headers={"Retry-After": "7"})])
    serve(httpserver, faulty, flaky)
    sleep = RecordingSleep()
    runs, _ = run(httpserver, tmp_path, settings, sleep=sleep)
    assert 7 in [round(w) for w in sleep.waits]
    assert runs[faulty].status == "ok"
    assert_others_stored(tmp_path, runs, faulty)


@pytest.mark.parametrize("faulty", SHAPES)
def test_read_timeout_fails_that_source_only(httpserver, tmp_path, settings, faulty):
    release = threading.Event()

    def stall(request):
        release.wait(10)  # held until the test ends: the client's 0.5 s read timeout fires first
        return Response("late")

    serve(httpserver, faulty, stall)
    try:
        runs, _ = run(httpserver, tmp_path, settings.model_copy(update={"max_retries": 1}))
    finally:
        release.set()
    assert runs[faulty].status == "failed" and runs[faulty].error_class == "TransportFailure"
    assert_others_stored(tmp_path, runs, faulty)


@pytest.mark.parametrize("faulty", SHAPES)
def test_50_mb_body_is_refused(httpserver, tmp_path, settings, faulty):
    serve(httpserver, faulty, huge_body)
    runs, _ = run(httpserver, tmp_path, settings)
    assert runs[faulty].status == "failed" and runs[faulty].error_class == "ResponseTooLarge"
    assert_others_stored(tmp_path, runs, faulty)


@pytest.mark.parametrize("faulty", SHAPES)
def test_redirect_loop_fails_that_source_only(httpserver, tmp_path, settings, faulty):
    path = FAULT_PATH[faulty]
    serve(httpserver, faulty, lambda request: Response("", status=302, headers={"Location": path}))
    runs, _ = run(httpserver, tmp_path, settings)
    assert runs[faulty].status == "failed" and runs[faulty].error_class == "TooManyRedirects"
    assert_others_stored(tmp_path, runs, faulty)


@pytest.mark.parametrize("faulty", SHAPES)
def test_robots_disallowing_the_path_blocks_that_source_only(httpserver, tmp_path, settings, faulty):
    flaky = Flaky(faulty, [])
    serve(httpserver, faulty, flaky, robots=f"User-agent: *\nDisallow: {FAULT_PATH[faulty]}\n")
    runs, _ = run(httpserver, tmp_path, settings)
    assert flaky.calls == 0
    assert runs[faulty].status == "blocked" and runs[faulty].error_class == "RobotsDisallowed"
    assert_others_stored(tmp_path, runs, faulty)


# Shape-specific corruptions: what each kind of body can get wrong.
CORRUPT = {
    "truncated JSON": ("json", json.dumps(BOARD).encode()[:5000], "failed", "BadPayload"),
    "invalid UTF-8 in JSON": ("json", json.dumps(BOARD).encode().replace(b"GitHub", b"Git\xff\xfeHub"), "failed",
                              "BadPayload"),
    "HTML instead of a feed": ("rss", b"<html><body><h1>502 Bad Gateway</h1></body></html>", "failed",
                               "SourceFormatError"),
    "truncated feed": ("rss", FEED[: len(FEED) * 2 // 3], "ok", ""),
    "invalid UTF-8 in a feed": ("rss", FEED.replace(b"Harney", b"Har\xff\xfeney"), "ok", ""),
    "broken HTML markup": ("html", listing_html().replace(b"</li>", b"").replace(b"</ul>", b"<div><span>"), "ok", ""),
    "invalid UTF-8 in HTML": ("html", listing_html().replace(b"Acme", b"Ac\xffme"), "ok", ""),
    "no items on the page": ("html", b"<html><body><p>We moved!</p></body></html>", "failed", "SourceFormatError"),
}


@pytest.mark.parametrize("case", sorted(CORRUPT))
def test_corrupt_bodies(httpserver, tmp_path, settings, case):
    faulty, body, status, error_class = CORRUPT[case]
    serve(httpserver, faulty, lambda request: Response(body, content_type=GOOD[faulty][1]))
    runs, _ = run(httpserver, tmp_path, settings)
    assert runs[faulty].status == status and runs[faulty].error_class == error_class, runs[faulty]
    if status == "ok":
        assert stored_count(tmp_path, runs[faulty]) >= 1
    assert_others_stored(tmp_path, runs, faulty)


def test_json_ld_block_that_is_not_json_is_quarantined_and_the_page_kept(httpserver, tmp_path, settings):
    good = {"@context": "https://schema.org", "@type": "JobPosting", "title": "ML Engineer",
            "description": "<p>PyTorch and statistics.</p>", "datePosted": "2026-11-03",
            "hiringOrganization": {"@type": "Organization", "name": "Acme"}, "identifier": "job-1"}
    page = ('<html><head><script type="application/ld+json">{"@type": "JobPosting", "title": "Broken",}</script>'
            f'<script type="application/ld+json">{json.dumps(good)}</script></head><body>Job</body></html>')
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nAllow: /\n")
    httpserver.expect_request("/jobs/1").respond_with_data(page, content_type="text/html")
    base = httpserver.url_for("/").rstrip("/")
    source = SchemaOrgSource(name="ld", kind="schemaorg", urls=[f"{base}/jobs/1"], base_url=base)
    store = RawStore(tmp_path)
    (result,) = asyncio.run(scrape_sources([source], settings, store))
    assert result.status == "ok" and result.postings == 1 and result.rejected == 1
    quarantine = tmp_path / result.raw_file.replace(".jsonl.gz", ".rejected.jsonl.gz")
    rejected = [json.loads(line) for line in gzip.open(quarantine, "rt", encoding="utf-8")]
    assert len(rejected) == 1 and "JSON" in rejected[0]["reason"]
    assert not list(tmp_path.rglob("*.tmp"))
