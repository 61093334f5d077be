from __future__ import annotations

import json
from pathlib import Path

import pytest

from scraper.settings import FetchSettings

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parent.parent


def load_fixture(name: str):
    return json.loads((FIXTURES / "payloads" / name).read_text(encoding="utf-8"))


def demo_postings(corpus) -> dict[str, list]:
    """The demo corpus parsed by the real adapters (no HTTP): each source's RawPostings, as a scrape returns them."""
    from scraper.sources.greenhouse import parse_board
    from scraper.sources.hackernews import parse_thread
    from scraper.sources.lever import parse_postings

    by_source = {}
    for source in corpus.source_configs("http://127.0.0.1"):
        name = source["name"]
        if source["kind"] == "greenhouse":
            by_source[name] = parse_board(corpus.greenhouse[source["board_token"]], name, source["company"]).postings
        elif source["kind"] == "lever":
            by_source[name] = parse_postings(corpus.lever[source["site"]], name, source["company"]).postings
        else:
            by_source[name] = [p for thread in corpus.hn_threads for p in parse_thread(thread, name).postings]
    return by_source


class RecordingSleep:
    """Stands in for asyncio.sleep: records the waits the fetcher asked for instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def recording_sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def fast_settings() -> FetchSettings:
    return FetchSettings(min_interval_seconds=0, backoff_seconds=0.5, max_retries=2, timeout_seconds=5)


@pytest.fixture
def allow_robots(httpserver):
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nAllow: /\n", content_type="text/plain")
    return httpserver
