"""The one HTTP client every source uses: robots.txt, per-host limits, retries, size cap, conditional GETs.

Source adapters never build their own client; they get a per-source handle (`Fetcher.for_source`) and call
`get_json` / `get` on it. The handle applies the source's policy (ignore_robots, time budget) and counts its
requests; everything shared between sources (connections, per-host pacing, robots.txt rules) lives in the
`Fetcher`.
"""
from __future__ import annotations

import asyncio
import codecs
import email.utils
import json
import logging
import random as _random
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Awaitable, Callable, Protocol
from urllib.parse import urljoin, urlsplit

import httpx
from protego import Protego

from scraper.httpcache import TRANSFER_HEADERS, StoredResponse, ValidatorStore
from scraper.pacing import HostPacer, host_limits, host_of
from scraper.settings import FetchSettings

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 10
# RFC 9309 2.3.1.2: follow at least five consecutive redirects for robots.txt, then it MAY count as unavailable.
ROBOTS_MAX_REDIRECTS = 5

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]
Random = Callable[[], float]


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
    """The body is not what the source promises (e.g. not JSON, or a broken compressed stream)."""


class TooManyRedirects(FetchError):
    """A redirect loop or a chain longer than MAX_REDIRECTS; not retried."""


class BudgetExceeded(FetchError):
    """The source ran out of its time budget (source.time_budget_seconds or fetch.source_time_budget_seconds)."""


_CHARSET = re.compile(r"charset\s*=\s*[\"']?([^\s;\"']+)", re.IGNORECASE)


@dataclass(frozen=True)
class FetchResult:
    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    not_modified: bool = False  # True: the server answered 304 and `body` is the stored copy

    @property
    def encoding(self) -> str:
        """The charset the Content-Type declares when Python knows it, else utf-8."""
        match = _CHARSET.search(self.headers.get("content-type", ""))
        if match:
            try:
                return codecs.lookup(match.group(1)).name
            except LookupError:
                pass
        return "utf-8"

    @property
    def text(self) -> str:
        return self.body.decode(self.encoding, errors="replace")

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise BadPayload(self.url, f"response is not valid JSON: {exc}") from None


class Getter(Protocol):
    """What a source adapter may call: a `SourceFetcher` (or, in old call sites and tests, a `Fetcher`)."""

    async def get(self, url: str, params: dict[str, Any] | None = None) -> FetchResult: ...

    async def get_json(self, url: str, params: dict[str, Any] | None = None) -> Any: ...


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


@dataclass
class _RobotsRules:
    rules: Protego | bool  # True: no restrictions; False: everything disallowed
    fetched_at: float
    failed: bool  # 5xx or unreachable: ask again after robots_recheck_seconds


class SourceFetcher:
    """One source's view of the shared `Fetcher`: same `get` / `get_json`, plus that source's policy.

    - `ignore_robots`: this source's requests skip the robots.txt check (its config must give a reason).
    - time budget: `time_budget_seconds` (source) or `source_time_budget_seconds` (settings), from this
      handle's creation on the fetcher's clock; a request that would start after it, or a retry wait that
      would end after it, raises `BudgetExceeded` instead.
    - `requests_made` counts this source's HTTP requests (retries included, shared robots.txt fetches not);
      `not_modified` counts the 304 answers served from the validator store.

    `source` is any object with `name`, and optionally `ignore_robots`, `ignore_robots_reason`,
    `time_budget_seconds` (a `SourceConfig` in the app, a SimpleNamespace in tests).
    """

    def __init__(self, fetcher: "Fetcher", source: object):
        self.fetcher = fetcher
        self.name: str = getattr(source, "name", "source")
        self.ignore_robots: bool = bool(getattr(source, "ignore_robots", False))
        self.ignore_robots_reason: str | None = getattr(source, "ignore_robots_reason", None)
        budget = getattr(source, "time_budget_seconds", None)
        self.time_budget_seconds: float = float(
            budget if budget is not None else fetcher.settings.source_time_budget_seconds
        )
        self.deadline = fetcher._clock() + self.time_budget_seconds
        self.requests_made = 0
        self.not_modified = 0
        if self.ignore_robots:
            log.info("source %s ignores robots.txt: %s", self.name, self.ignore_robots_reason or "(no reason given)")

    @property
    def settings(self) -> FetchSettings:
        return self.fetcher.settings

    async def get(self, url: str, params: dict[str, Any] | None = None) -> FetchResult:
        return await self.fetcher._get(url, params, self)

    async def get_json(self, url: str, params: dict[str, Any] | None = None) -> Any:
        return (await self.get(url, params)).json()

    def connections_for(self, url: str) -> int:
        return self.fetcher.connections_for(url)

    def check_start(self, url: str) -> None:
        if self.fetcher._clock() > self.deadline:
            raise BudgetExceeded(
                url, f"source {self.name!r} used its {self.time_budget_seconds:g}s time budget: request not started"
            )

    def check_wait(self, url: str, wait: float, what: str) -> None:
        if self.fetcher._clock() + wait > self.deadline:
            raise BudgetExceeded(
                url,
                f"source {self.name!r}: {what} of {wait:.1f}s would end past its "
                f"{self.time_budget_seconds:g}s time budget",
            )


class Fetcher:
    """Async, polite HTTP fetching shared by every source of a run.

    Use as `async with Fetcher(settings) as fetcher: await fetcher.for_source(source).get_json(url)`.
    `sleep`, `clock` and `random` (a float in [0, 1) for backoff jitter) are injectable so tests can observe
    waits instead of sitting through them. `http_cache_dir`: where the validators of conditional GETs are
    kept between runs (None: no conditional requests).
    """

    def __init__(
        self,
        settings: FetchSettings,
        *,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
        random: Random = _random.random,
        http_cache_dir: Path | None = None,
    ):
        self.settings = settings
        self._sleep = sleep
        self._clock = clock
        self._random = random
        self._pacer = HostPacer(settings, sleep=sleep, clock=clock)
        self._robots: dict[str, _RobotsRules] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}
        self._client: httpx.AsyncClient | None = None
        self._store: ValidatorStore | None = None
        if http_cache_dir is not None and settings.conditional_requests:
            self._store = ValidatorStore(http_cache_dir, max_body_bytes=settings.max_response_bytes)
        self.requests_made = 0

    async def __aenter__(self) -> "Fetcher":
        self._client = httpx.AsyncClient(
            headers={"User-Agent": self.settings.user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(self.settings.timeout_seconds),
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=20),
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def connections_for(self, url: str) -> int:
        """Requests the URL's host may have in flight: how many detail pages an adapter usefully fetches at once."""
        return host_limits(self.settings, host_of(url))[0]

    def for_source(self, source: object) -> SourceFetcher:
        """The handle to give a source's adapter; its time budget starts now."""
        return SourceFetcher(self, source)

    async def get_json(self, url: str, params: dict[str, Any] | None = None) -> Any:
        return (await self.get(url, params)).json()

    async def get(self, url: str, params: dict[str, Any] | None = None) -> FetchResult:
        """GET with robots.txt check, per-host limits and retries, outside any source's policy."""
        return await self._get(url, params, None)

    async def _get(self, url: str, params: dict[str, Any] | None, handle: SourceFetcher | None) -> FetchResult:
        if params:
            url = str(httpx.URL(url, params=params))
        if handle is not None:
            handle.check_start(url)
        check_robots = self.settings.respect_robots_txt and not (handle is not None and handle.ignore_robots)
        if check_robots and not await self._allowed(url):
            raise RobotsDisallowed(url, "robots.txt disallows this URL for our user agent")
        stored = await asyncio.to_thread(self._store.load, url) if self._store else None
        headers = stored.validators() if stored else {}
        refetched_after_304 = False
        attempt = 0
        while True:
            attempt += 1
            try:
                result = await self._paced_request(url, headers, handle)
            except TransportFailure:
                if attempt > self.settings.max_retries:
                    raise
                await self._retry_wait(url, self._backoff(attempt), handle, "transport failure")
                continue
            if result.status == 304:
                if stored is not None:
                    return await self._from_store(url, result, stored, handle)
                if refetched_after_304:
                    raise HTTPStatusFailure(url, 304, attempt)
                # 304 to a request without validators: a confused cache on the way; ask past it, once.
                refetched_after_304 = True
                headers = {"Cache-Control": "no-cache"}
                continue
            if result.status < 400:
                await self._remember(url, result, stored)
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
            await self._retry_wait(url, wait, handle, f"HTTP {result.status}")

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff, drawn from [w * (1 - jitter), w] so that retrying clients spread out."""
        wait = self.settings.backoff_seconds * (2 ** (attempt - 1))
        return wait * (1.0 - self.settings.backoff_jitter * self._random())

    async def _retry_wait(self, url: str, wait: float, handle: SourceFetcher | None, reason: str) -> None:
        if handle is not None:
            handle.check_wait(url, wait, f"retry wait after {reason}")
        log.info("%s from %s, retrying in %.1fs", reason, url, wait)
        await self._sleep(wait)

    async def _paced_request(
        self,
        url: str,
        headers: dict[str, str],
        handle: SourceFetcher | None,
        *,
        follow_redirects: bool = True,
    ) -> FetchResult:
        before_wait = before_start = None
        if handle is not None:
            before_wait = lambda wait: handle.check_wait(url, wait, "wait for the host's request interval")  # noqa: E731
            before_start = lambda: handle.check_start(url)  # noqa: E731
        async with self._pacer.slot(url, before_wait=before_wait, before_start=before_start):
            if handle is not None:
                handle.requests_made += 1
            return await self._request(url, headers, follow_redirects)

    async def _request(self, url: str, headers: dict[str, str], follow_redirects: bool) -> FetchResult:
        if self._client is None:
            raise RuntimeError("Fetcher used outside 'async with'")
        cap = self.settings.max_response_bytes
        self.requests_made += 1
        try:
            async with self._client.stream("GET", url, headers=headers, follow_redirects=follow_redirects) as response:
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > cap:
                    raise ResponseTooLarge(url, f"response of {declared} bytes exceeds the {cap}-byte cap")
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():  # decoded bytes: the cap also stops gzip bombs
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
        except httpx.TooManyRedirects:
            raise TooManyRedirects(url, f"more than {MAX_REDIRECTS} redirects (a redirect loop?)") from None
        except httpx.DecodingError as exc:
            raise BadPayload(url, f"response body could not be decoded: {exc}") from None
        except httpx.TimeoutException as exc:
            raise TransportFailure(url, f"timed out ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise TransportFailure(url, f"transport error: {type(exc).__name__}: {exc}") from None

    # -- conditional requests ------------------------------------------------------------------------

    async def _remember(self, url: str, result: FetchResult, stored: StoredResponse | None) -> None:
        if self._store is None:
            return
        etag, last_modified = result.headers.get("etag"), result.headers.get("last-modified")
        if result.status == 200 and (etag or last_modified):
            entry = StoredResponse(url, etag, last_modified, result.body, result.headers)
            await asyncio.to_thread(self._store.save, entry)
        elif stored is not None:
            await asyncio.to_thread(self._store.delete, url)

    async def _from_store(
        self, url: str, result: FetchResult, stored: StoredResponse, handle: SourceFetcher | None
    ) -> FetchResult:
        if handle is not None:
            handle.not_modified += 1
        fresh = {k: v for k, v in result.headers.items() if k not in TRANSFER_HEADERS}
        headers = {**stored.headers, **fresh}
        etag = fresh.get("etag", stored.etag)
        last_modified = fresh.get("last-modified", stored.last_modified)
        if (etag, last_modified) != (stored.etag, stored.last_modified) and self._store is not None:
            await asyncio.to_thread(self._store.save, StoredResponse(url, etag, last_modified, stored.body, headers))
        return FetchResult(url=result.url, status=200, headers=headers, body=stored.body, not_modified=True)

    # -- robots.txt ----------------------------------------------------------------------------------

    async def _allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        lock = self._robots_locks.setdefault(origin, asyncio.Lock())
        async with lock:
            known = self._robots.get(origin)
            stale = known is not None and known.failed and (
                self._clock() - known.fetched_at >= self.settings.robots_recheck_seconds
            )
            if known is None or stale:
                known = self._robots[origin] = await self._load_robots(origin)
        if isinstance(known.rules, bool):
            return known.rules
        return known.rules.can_fetch(url, self.settings.user_agent)

    async def _load_robots(self, origin: str) -> _RobotsRules:
        """RFC 9309: 4xx means no restrictions; 5xx or unreachable means disallow everything, until a recheck."""
        robots_url = target = f"{origin}/robots.txt"
        try:
            for _ in range(ROBOTS_MAX_REDIRECTS + 1):
                result = await self._paced_request(target, {}, None, follow_redirects=False)
                location = result.headers.get("location")
                if result.status not in REDIRECT_STATUSES or not location:
                    break
                target = urljoin(target, location)
            else:
                log.warning("robots.txt at %s redirects more than %d times: no restrictions", robots_url,
                            ROBOTS_MAX_REDIRECTS)
                return _RobotsRules(True, self._clock(), failed=False)
        except (TransportFailure, ResponseTooLarge, BadPayload) as exc:
            log.warning("robots.txt unreachable at %s (%s): treating the host as disallowed", robots_url, exc)
            return _RobotsRules(False, self._clock(), failed=True)
        if result.status >= 500:
            log.warning("robots.txt at %s answered %s: treating the host as disallowed", robots_url, result.status)
            return _RobotsRules(False, self._clock(), failed=True)
        if result.status >= 300:  # 4xx (401 and 403 included), or a redirect without a Location: unavailable
            return _RobotsRules(True, self._clock(), failed=False)
        rules = Protego.parse(result.text)
        delay = rules.crawl_delay(self.settings.user_agent)
        if delay:
            self._pacer.set_crawl_delay(robots_url, float(delay))
        return _RobotsRules(rules, self._clock(), failed=False)
