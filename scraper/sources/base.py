"""What every adapter returns, and the small helpers they share."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Iterable, Mapping, TypeVar

from dateutil import parser as dateparser

from scraper.records import RawPosting


class SourceFormatError(Exception):
    """A response whose overall shape is not the source's documented shape."""


@dataclass
class Rejected:
    """An item we could not turn into a posting, kept with the reason (never silently dropped)."""

    reason: str
    item: Any


@dataclass(frozen=True)
class SourceContext:
    """What the raw store already holds for a source, so adapters fetch detail pages only for new postings.

    `known`: the newest stored copy of each posting of this source, by source_id. An adapter that finds a
    known posting in a listing re-emits that copy (so it counts as seen again) instead of fetching its page.
    """

    known: Mapping[str, RawPosting] = field(default_factory=dict)


@dataclass
class ParsedPage:
    postings: list[RawPosting] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    requests: int = 0

    def extend(self, other: "ParsedPage") -> None:
        self.postings.extend(other.postings)
        self.rejected.extend(other.rejected)
        self.requests += other.requests

    def add(self, item: RawPosting | Rejected) -> None:
        """One parsed item: to `postings`, or to `rejected` with its reason."""
        (self.rejected if isinstance(item, Rejected) else self.postings).append(item)

    def extend_unseen(self, other: "ParsedPage", seen: set[str]) -> list[RawPosting]:
        """Add `other`'s rejects and its postings whose source_id is not in `seen` (updated); returns those postings.

        For sources read in several responses (pages, categories) where one job can appear in more than one.
        """
        fresh = [p for p in other.postings if p.source_id not in seen]
        seen.update(p.source_id for p in fresh)
        self.postings.extend(fresh)
        self.rejected.extend(other.rejected)
        return fresh


def parse_iso_utc(value: Any) -> datetime | None:
    """ISO-8601 string (with or without offset; no offset means UTC) to an aware UTC datetime."""
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = dateparser.isoparse(value)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        return parsed.astimezone(timezone.utc)
    except (ValueError, OverflowError):  # out-of-range years, e.g. "0001-01-01T00:00:00+01:00"
        return None


def epoch_to_utc(value: Any, *, millis: bool) -> datetime | None:
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an int too large for a float
        return None
    if millis:
        number /= 1000.0
    try:
        return datetime.fromtimestamp(number, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def list_at(payload: Any, key: str, response: str) -> list[Any]:
    """`payload[key]` of a JSON object holding a list there; anything else is a SourceFormatError about `response`.

    >>> list_at({"jobs": [{"id": 1}], "meta": {}}, "jobs", "Greenhouse board response")
    [{'id': 1}]
    """
    if not isinstance(payload, dict) or not isinstance(payload.get(key), list):
        raise SourceFormatError(f"{response} has no {key!r} list")
    return payload[key]


def clean_str(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def id_str(value: Any) -> str | None:
    """An id sent as an int or a non-blank string, as a stripped string; None for anything else (bools too)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


DETAIL_CONCURRENCY = 2  # detail requests in flight when the fetcher cannot say what the host allows
_Item = TypeVar("_Item")
_Result = TypeVar("_Result")


def detail_concurrency(fetcher: Any, url: str) -> int:
    """As many detail requests in flight as the URL's host allows: more would only queue inside the pacer,
    which costs about a fifth of the throughput in wake-ups (tests/bench/bench_scrape.py)."""
    connections_for = getattr(fetcher, "connections_for", None)
    return max(1, int(connections_for(url))) if connections_for is not None else DETAIL_CONCURRENCY


async def map_concurrently(
    fetch_one: Callable[[_Item], Awaitable[_Result]], items: Iterable[_Item], limit: int = DETAIL_CONCURRENCY
) -> list[_Result]:
    """fetch_one over items, `limit` at a time, results in item order.

    Detail pages one after another would leave the host's allowed connections idle; the per-host pacing
    and concurrency of scraper/fetch.py still apply to every request. `limit` workers take the next item
    as they finish (a task per item waiting on a semaphore costs a wake-up each). The first exception
    cancels the rest and propagates as itself (not wrapped in an ExceptionGroup), as a sequential loop would.
    """
    pending = list(enumerate(items))
    results: list[Any] = [None] * len(pending)
    queue = iter(pending)

    async def worker() -> None:
        for index, item in queue:  # one shared iterator: each worker takes the next item
            results[index] = await fetch_one(item)

    workers = [asyncio.ensure_future(worker()) for _ in range(min(max(1, limit), len(pending)))]
    try:
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
    return results
