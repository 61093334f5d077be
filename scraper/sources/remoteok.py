"""RemoteOK's JSON feed: one array of the ~100 newest jobs (no paging, no parameters).

GET {base}/api ->
    [{"last_updated": 1791205202, "legal": "API Terms of Service: Please link back …"},   # not a job
     {"id": "1137465", "slug": "…-1137465", "epoch": 1791205202, "date": "2026-10-05T13:00:02+00:00",
      "company": "RedMimicry", "position": "Platform and Integration Engineer", "tags": ["golang", …],
      "description": "<p>We&rsquo;re …</p>", "location": "", "salary_min": 0, "salary_max": 0,
      "url": "https://remoteOK.com/remote-jobs/…-1137465", "apply_url": "…"}]
The first element is the legal notice. `id` and `epoch` are strings in some years, numbers in others.
`description` is real HTML (entities such as &rsquo; are part of it, not an escaping layer), but some
jobs carry plain text instead. `salary_*` are yearly USD, 0 when not stated.
Terms: link back to each job's `url` and name Remote OK as the source. Jobs are delayed by 24 hours and
scroll out after about a week: poll at least daily.
"""
from __future__ import annotations

import html
import math
import re
from datetime import datetime
from typing import Any, Iterable

from scraper.fetch import Fetcher
from scraper.records import RawPosting
from scraper.settings import RemoteOKSource
from scraper.sources.base import (
    ParsedPage, Rejected, SourceContext, SourceFormatError, clean_str, epoch_to_utc, id_str, parse_iso_utc,
)

DEFAULT_BASE_URL = "https://remoteok.com"
# Markup = a common HTML tag or an entity; "Vec<T>" in a plain-text description is not a tag.
_MARKUP = re.compile(
    r"</?(p|br|hr|div|span|ul|ol|li|b|i|u|em|strong|a|h[1-6]|table|tr|td|th|img|pre|code|blockquote|font)\b[^>]*>"
    r"|&(#\d+|#[xX][0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]*);",
    re.IGNORECASE,
)
_BLANK_LINE = re.compile(r"\n\s*\n")


async def collect(fetcher: Fetcher, source: RemoteOKSource, context: SourceContext | None = None) -> ParsedPage:
    base = source.base_url or DEFAULT_BASE_URL
    payload = await fetcher.get_json(f"{base}/api")
    page = parse_feed(payload, source.name)
    page.postings = with_any_tag(page.postings, source.tags)
    page.requests = 1
    return page


def parse_feed(payload: Any, source_name: str) -> ParsedPage:
    """Every job of the feed; notice elements are skipped, malformed jobs rejected."""
    if not isinstance(payload, list):
        raise SourceFormatError("RemoteOK response is not a JSON array")
    page = ParsedPage()
    for item in payload:
        if is_notice(item):
            continue
        page.add(_posting(item, source_name))
    return page


def is_notice(item: Any) -> bool:
    """The legal element (`legal`, `last_updated`, once `explanation`): it has neither id nor position."""
    return isinstance(item, dict) and "legal" in item and "id" not in item and "position" not in item


def with_any_tag(postings: list[RawPosting], tags: Iterable[str]) -> list[RawPosting]:
    """Keep postings carrying one of `tags` (case-insensitive); no tags keeps all.

    Done here because the feed reportedly ignores `?tags=` (2026).
    """
    wanted = {t.strip().lower() for t in tags if t.strip()}
    if not wanted:
        return postings
    return [p for p in postings if wanted & {t.strip().lower() for t in _tags(p.payload)}]


def _posting(item: Any, source_name: str) -> RawPosting | Rejected:
    if not isinstance(item, dict):
        return Rejected("job is not a JSON object", item)
    job_id = id_str(item.get("id"))  # a string in the recordings; some clients saw an int
    title = _text(item.get("position"))
    url = clean_str(item.get("url"))
    if job_id is None or not title:
        return Rejected("job without id or position (title)", item)
    if not url:
        return Rejected("job without url (RemoteOK's terms require linking back to it)", item)
    description = item.get("description")
    return RawPosting(
        source=source_name,
        source_kind="remoteok",
        source_id=job_id,
        url=url,
        title=title,
        company=_text(item.get("company")),
        location=_text(item.get("location")),
        posted_at=_posted_at(item.get("date"), item.get("epoch")),
        description_html=as_html(description) if isinstance(description, str) else "",
        remote_hint="remote",
        hints=_salary_hints(item),
        payload=item,
    )


def as_html(description: str) -> str:
    """The description as HTML: kept as is when it has markup, else plain text escaped into paragraphs."""
    if _MARKUP.search(description) or not description.strip():
        return description
    paragraphs = (p.strip() for p in _BLANK_LINE.split(description))
    return "".join(
        "<p>" + html.escape(p, quote=False).replace("\n", "<br>") + "</p>" for p in paragraphs if p
    )


def _text(value: Any) -> str:
    # Names are shown on RemoteOK's HTML pages and sometimes arrive entity-encoded ("AT&amp;T").
    return clean_str(html.unescape(value)) if isinstance(value, str) else ""


def _tags(item: dict[str, Any]) -> list[str]:
    tags = item.get("tags")
    return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []


def _posted_at(date: Any, epoch: Any) -> datetime | None:
    """`date` (ISO with offset) when readable, else `epoch` (seconds; a string in 2021)."""
    parsed = parse_iso_utc(date)
    if parsed is not None or isinstance(epoch, bool):
        return parsed
    return epoch_to_utc(epoch, millis=False)


def _salary_hints(item: dict[str, Any]) -> dict[str, str]:
    low, high = _amount(item.get("salary_min")), _amount(item.get("salary_max"))
    if low is None and high is None:
        return {}
    hints = {"salary_currency": "USD", "salary_interval": "year"}
    if low is not None:
        hints["salary_min"] = low
    if high is not None:
        hints["salary_max"] = high
    return hints


def _amount(value: Any) -> str | None:
    """A positive yearly amount as a string; 0, missing or garbled means not stated."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    if not math.isfinite(number) or number <= 0:
        return None
    return str(int(number)) if number.is_integer() else str(number)
