"""The one HTTP client every source uses: robots.txt, per-host pacing, retries, size cap.

Source adapters never build their own client; they call `Fetcher.get_json` / `Fetcher.get`.
"""
from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable
from urllib.parse import urlsplit

import httpx
from protego import Protego

from scraper.settings import FetchSettings

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class FetchError(Exception):
    """A request that could not give a usable response."""

    def __init__(self, url: str, message: str):
        self.url = url
        super().__init__(f"{message} ({url})")


class HTTPStatusFailure(FetchError):
    def __init__(self, url: str, status: int, attempts: int):
        self.status = status
        self.attempts = attempts
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        super().__init__(url, f"HTTP {status}{tries}")


class TransportFailure(FetchError):
    """Timeouts, refused connections, broken transfers."""


class ResponseTooLarge(FetchError):
    pass


class RobotsDisallowed(FetchError):
    pass


class BadPayload(FetchError):
    """The body is not what the source promises (e.g. not JSON)."""


@dataclass(frozen=True)
class FetchResult:
    url: str
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BadPayload(self.url, f"response is not valid JSON: {exc}") from None


@dataclass
class _HostState:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last_request_at: float | None = None
    crawl_delay: float = 0.0


Sleep = Callable[[float], Awaitable[None]]


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), None if absent/garbled."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


class Fetcher:
    """Async, polite HTTP fetching shared by every source of a run.

    Use as `async with Fetcher(settings) as fetcher: await fetcher.get_json(url)`.
    `sleep` and `clock` are injectable so tests can observe waits instead of sitting through them.
    """

    def __init__(
        self,
        settings: FetchSettings,
        *,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.settings = settings
        self._sleep = sleep
        self._clock = clock
        self._hosts: dict[str, _HostState] = {}
        self._robots: dict[str, Protego | bool] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}
        self._client: httpx.AsyncClient | None = None
        self.requests_made = 0

    async def __aenter__(self) -> "Fetcher":
        self._client = httpx.AsyncClient(
            headers={"User-Agent": self.settings.user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(self.settings.timeout_seconds),
            follow_redirects=True,
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def get_json(self, url: str, params: dict[str, Any] | None = None) -> Any:
        return (await self.get(url, params)).json()

    async def get(self, url: str, params: dict[str, Any] | None = None) -> FetchResult:
        """GET with robots.txt check, per-host pacing and retries on 429/5xx/transport errors."""
        if params:
            url = str(httpx.URL(url, params=params))
        if self.settings.respect_robots_txt and not await self._allowed(url):
            raise RobotsDisallowed(url, "robots.txt disallows this URL for our user agent")
        attempt = 0
        while True:
            attempt += 1
            try:
                result = await self._paced_request(url)
            except TransportFailure:
                if attempt > self.settings.max_retries:
                    raise
                await self._sleep(self._backoff(attempt))
                continue
            if result.status < 400:
                return result
            if result.status not in RETRY_STATUSES or attempt > self.settings.max_retries:
                raise HTTPStatusFailure(url, result.status, attempt)
            wait = parse_retry_after(result.headers.get("retry-after"))
            if wait is None:
                wait = self._backoff(attempt)
            elif wait > self.settings.max_retry_after_seconds:
                raise FetchError(
                    url,
                    f"HTTP {result.status} with Retry-After {wait:.0f}s, longer than "
                    f"max_retry_after_seconds={self.settings.max_retry_after_seconds:.0f}",
                )
            log.info("HTTP %s from %s, retrying in %.1fs", result.status, url, wait)
            await self._sleep(wait)

    def _backoff(self, attempt: int) -> float:
        return self.settings.backoff_seconds * (2 ** (attempt - 1))

    async def _paced_request(self, url: str) -> FetchResult:
        host = self._host_state(url)
        async with host.lock:
            gap = max(self.settings.min_interval_seconds, host.crawl_delay)
            if host.last_request_at is not None:
                wait = host.last_request_at + gap - self._clock()
                if wait > 0:
                    await self._sleep(wait)
            try:
                return await self._request(url)
            finally:
                host.last_request_at = self._clock()

    async def _request(self, url: str) -> FetchResult:
        if self._client is None:
            raise RuntimeError("Fetcher used outside 'async with'")
        cap = self.settings.max_response_bytes
        self.requests_made += 1
        try:
            async with self._client.stream("GET", url) as response:
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > cap:
                    raise ResponseTooLarge(url, f"response of {declared} bytes exceeds the {cap}-byte cap")
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > cap:
                        raise ResponseTooLarge(url, f"response exceeds the {cap}-byte cap")
                    chunks.append(chunk)
                return FetchResult(
                    url=str(response.url),
                    status=response.status_code,
                    headers={k.lower(): v for k, v in response.headers.items()},
                    body=b"".join(chunks),
                )
        except httpx.TimeoutException as exc:
            raise TransportFailure(url, f"timed out ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise TransportFailure(url, f"transport error: {type(exc).__name__}: {exc}") from None

    def _host_state(self, url: str) -> _HostState:
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}"
        return self._hosts.setdefault(key, _HostState())

    async def _allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        lock = self._robots_locks.setdefault(origin, asyncio.Lock())
        async with lock:
            if origin not in self._robots:
                self._robots[origin] = await self._load_robots(origin)
        rules = self._robots[origin]
        if isinstance(rules, bool):
            return rules
        return rules.can_fetch(url, self.settings.user_agent)

    async def _load_robots(self, origin: str) -> Protego | bool:
        """RFC 9309: 4xx means no restrictions; 5xx or unreachable means disallow everything."""
        robots_url = f"{origin}/robots.txt"
        try:
            result = await self._paced_request(robots_url)
        except (TransportFailure, ResponseTooLarge) as exc:
            log.warning("robots.txt unreachable at %s (%s): treating the host as disallowed", robots_url, exc)
            return False
        if 400 <= result.status < 500:
            return True
        if result.status >= 500:
            log.warning("robots.txt at %s answered %s: treating the host as disallowed", robots_url, result.status)
            return False
        rules = Protego.parse(result.text)
        delay = rules.crawl_delay(self.settings.user_agent)
        if delay:
            self._host_state(robots_url).crawl_delay = float(delay)
        return rules
