"""Per-host politeness: at most `max_connections` requests in flight, their starts at least `min_interval` apart.

Limits come from `fetch.hosts[host]`, else the provider's stated limit (PROVIDER_HOST_LIMITS), else the global
defaults; a robots.txt Crawl-delay raises the interval.
"""
from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import AsyncIterator, Awaitable, Callable
from urllib.parse import urlsplit

from scraper.settings import PROVIDER_HOST_LIMITS, FetchSettings

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


def host_limits(settings: FetchSettings, host: str) -> tuple[int, float]:
    """(max_connections, min_interval_seconds) for a host name.

    Each field separately: `settings.hosts[host]`, else the provider's stated limit, else the global default;
    so overriding one field never loosens the other below the provider's limit.
    """
    chain = [settings.hosts.get(host), PROVIDER_HOST_LIMITS.get(host)]
    connections = next((c.max_connections for c in chain if c and c.max_connections is not None), None)
    interval = next((c.min_interval_seconds for c in chain if c and c.min_interval_seconds is not None), None)
    return (
        connections if connections is not None else settings.max_connections_per_host,
        interval if interval is not None else settings.min_interval_seconds,
    )


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


@dataclass
class _HostState:
    connections: asyncio.Semaphore
    min_interval: float
    start_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last_start: float | None = None
    crawl_delay: float = 0.0

    @property
    def gap(self) -> float:
        return max(self.min_interval, self.crawl_delay)


class HostPacer:
    def __init__(self, settings: FetchSettings, *, sleep: Sleep, clock: Clock):
        self.settings = settings
        self._sleep = sleep
        self._clock = clock
        self._hosts: dict[str, _HostState] = {}

    def set_crawl_delay(self, url: str, seconds: float) -> None:
        self._state(host_of(url)).crawl_delay = seconds

    @asynccontextmanager
    async def slot(
        self,
        url: str,
        *,
        before_wait: Callable[[float], None] | None = None,
        before_start: Callable[[], None] | None = None,
    ) -> AsyncIterator[None]:
        """Hold a connection slot of the URL's host; the body runs at an allowed start time.

        `before_wait(seconds)` / `before_start()` may raise to give up (a source's time budget) instead.
        """
        host = self._state(host_of(url))
        async with host.connections:
            # Only the wait-and-stamp is serialised, not the request: starts stay `gap` apart while up to
            # `connections` requests are in flight. The stamp is taken after the wait, so a task woken late
            # pushes the next one back instead of letting two starts bunch up.
            async with host.start_lock:
                if host.last_start is not None:
                    wait = host.last_start + host.gap - self._clock()
                    if wait > 0:
                        if before_wait is not None:
                            before_wait(wait)
                        await self._sleep(wait)
                if before_start is not None:
                    before_start()
                host.last_start = self._clock()
            yield

    def _state(self, host: str) -> _HostState:
        state = self._hosts.get(host)
        if state is None:
            connections, interval = host_limits(self.settings, host)
            state = self._hosts[host] = _HostState(asyncio.Semaphore(connections), interval)
        return state
