"""The helpers every adapter shares (scraper/sources/base.py)."""
from __future__ import annotations

import asyncio

import pytest

from scraper.settings import FetchSettings
from scraper.sources.base import DETAIL_CONCURRENCY, detail_concurrency, map_concurrently


def test_map_concurrently_keeps_order_and_never_exceeds_the_limit():
    in_flight, peak = 0, 0

    async def fetch(n: int) -> int:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0 if n % 3 else 0.001)  # finish out of order
        in_flight -= 1
        return n * n

    assert asyncio.run(map_concurrently(fetch, range(50), 4)) == [n * n for n in range(50)]
    assert peak == 4
    assert asyncio.run(map_concurrently(fetch, [], 4)) == []


def test_map_concurrently_raises_the_first_error_itself_and_stops_the_rest():
    started = []

    async def fetch(n: int) -> int:
        started.append(n)
        await asyncio.sleep(0)
        if n == 2:
            raise ValueError("boom")
        await asyncio.sleep(0.01)
        return n

    with pytest.raises(ValueError, match="boom"):
        asyncio.run(map_concurrently(fetch, range(100), 3))
    assert len(started) < 100


def test_detail_concurrency_follows_the_hosts_connection_limit():
    from scraper.fetch import Fetcher

    fetcher = Fetcher(FetchSettings(max_connections_per_host=5, hosts={"slow.example": {"max_connections": 1}}))
    assert detail_concurrency(fetcher.for_source(object()), "https://fast.example/jobs/1") == 5
    assert detail_concurrency(fetcher, "https://slow.example/jobs/1") == 1
    assert detail_concurrency(fetcher, "https://remotive.com/api/remote-jobs") == 1  # a provider's stated limit
    assert detail_concurrency(object(), "https://x.example/") == DETAIL_CONCURRENCY
