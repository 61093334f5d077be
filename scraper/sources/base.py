"""What every adapter returns, and the small helpers they share."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping

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


def parse_iso_utc(value: Any) -> datetime | None:
    """ISO-8601 string (with or without offset; no offset means UTC) to an aware UTC datetime."""
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = dateparser.isoparse(value)
    except (ValueError, OverflowError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def epoch_to_utc(value: Any, *, millis: bool) -> datetime | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if millis:
        number /= 1000.0
    try:
        return datetime.fromtimestamp(number, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def clean_str(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""
