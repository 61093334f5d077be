"""We Work Remotely: one RSS feed per category, no paging, no JSON API.

GET {base}/categories/{slug}.rss ->
    <item><title>Hospitable: Customer Advocate Lead (North America - Remote)</title>
          <region>Anywhere in the World</region> <country>🇨🇦 Canada and 🇺🇸 United States of America</country>
          <type>Full-Time</type> <description>&lt;p&gt;…&lt;/p&gt;</description>
          <pubDate>Tue, 11 Aug 2026 12:40:35 +0000</pubDate>
          <guid>https://weworkremotely.com/remote-jobs/hospitable-customer-advocate-lead-north-america-remote-1</guid>
          <link>…same URL…</link></item>
`region`, `country`, `type`, `skills`… are un-namespaced custom tags; feedparser keeps them as plain entry keys.
`description` is XML-escaped HTML: feedparser unescapes it once, which is all it needs.
WWR asks that links be attributed back to it: every posting keeps its WWR url.
"""
from __future__ import annotations

import calendar
import io
import re
import time
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, urlsplit

import feedparser

from scraper.fetch import Fetcher
from scraper.records import RawPosting
from scraper.settings import WeWorkRemotelySource
from scraper.sources.base import ParsedPage, Rejected, SourceContext, SourceFormatError, clean_str

DEFAULT_BASE_URL = "https://weworkremotely.com"
DEFAULT_COMPANY = "We Work Remotely"
# Two regional-indicator symbols make a flag emoji, and spell the country's ISO 3166 code: 🇺🇸 -> "US".
_FLAG = re.compile("([\U0001F1E6-\U0001F1FF])([\U0001F1E6-\U0001F1FF])")
# WWR's own tags, kept in the payload as received (feedparser names guid `id`, pubDate `published`,
# description `summary`).
_PAYLOAD_KEYS = ("id", "link", "title", "published", "summary", "region", "country", "state", "skills",
                 "type", "expires_at", "expires")


async def collect(
    fetcher: Fetcher, source: WeWorkRemotelySource, context: SourceContext | None = None
) -> ParsedPage:
    base = source.base_url or DEFAULT_BASE_URL
    # For titles without a "Company: " prefix. The config has no `company` field today; picked up if one is added.
    company = getattr(source, "company", None) or DEFAULT_COMPANY
    result = ParsedPage()
    seen: set[str] = set()
    for category in source.categories:
        response = await fetcher.get(f"{base}/categories/{quote(category, safe='')}.rss")
        result.requests += 1
        page = parse_feed(response.body, source.name, company)
        # A job listed in two categories appears in both feeds: emit it once.
        result.extend_unseen(page, seen)
    return result


def parse_feed(body: bytes, source_name: str, company: str = DEFAULT_COMPANY) -> ParsedPage:
    """One feed's bytes -> postings; `company` is used for titles without a "Company: " prefix."""
    if not isinstance(body, (bytes, bytearray)):
        raise SourceFormatError("We Work Remotely feed body is not bytes")
    # A stream, never a str/bytes: given a string feedparser may fetch it as a URL or open it as a file.
    feed = feedparser.parse(io.BytesIO(bytes(body)))
    if not feed.entries and (not feed.get("version") or (feed.bozo and not feed.feed.get("title"))):
        problem = feed.get("bozo_exception") or "no RSS/Atom root element"
        raise SourceFormatError(f"We Work Remotely response is not an RSS feed: {problem}")
    # A feed with slightly broken XML (bozo) still has usable entries from feedparser's loose parser: keep them.
    page = ParsedPage()
    for entry in feed.entries:
        posting_or_reason = _posting(entry, source_name, company)
        if isinstance(posting_or_reason, RawPosting):
            page.postings.append(posting_or_reason)
        else:
            page.rejected.append(Rejected(posting_or_reason, entry_payload(entry)))
    return page


def _posting(entry: Any, source_name: str, company: str) -> RawPosting | str:
    guid = clean_str(entry.get("id"))
    link = clean_str(entry.get("link"))
    heading = clean_str(entry.get("title"))
    if not (guid or link) or not heading:
        return "item without guid/link or title"
    job_company, title = split_title(heading)
    places = [clean_str(_FLAG.sub("", str(entry.get(key) or ""))) for key in ("region", "country")]
    hints = {"employment": clean_str(entry.get("type"))}
    country = single_country(entry.get("country"))
    if country:
        hints["country"] = country
    return RawPosting(
        source=source_name,
        source_kind="wwr",
        source_id=slug_id(guid or link),
        url=link if _is_http(link) else (guid if _is_http(guid) else ""),
        title=title,
        company=job_company or company,
        location="; ".join(p for p in places if p),
        posted_at=struct_to_utc(entry.get("published_parsed")),
        description_html=str(entry.get("summary") or ""),
        remote_hint="remote",  # WWR lists remote jobs only; region/country say who may apply
        hints={k: v for k, v in hints.items() if v},
        payload=entry_payload(entry),
    )


def split_title(heading: str) -> tuple[str, str]:
    """'Company: Role' -> ('Company', 'Role'), split at the first ': '; no prefix -> ('', heading)."""
    company, sep, role = heading.partition(": ")
    company, role = company.strip(), role.strip()
    if not sep or not company or not role:
        return "", heading
    return company, role


def single_country(value: Any) -> str:
    """The one country a `<country>` names (ISO code from its flag, else the name); '' for none or several."""
    text = clean_str(value)
    if not text:
        return ""
    flags = _FLAG.findall(text)
    if len(flags) == 1:
        return "".join(chr(ord("A") + ord(c) - 0x1F1E6) for c in flags[0])
    if flags or "," in text or " and " in text:
        return ""
    return text


def slug_id(guid: str) -> str:
    """The guid URL's last path segment (the job's slug), else the guid itself."""
    try:
        path = urlsplit(guid).path if _is_http(guid) else ""
    except ValueError:
        path = ""
    segments = [s for s in path.split("/") if s]
    return segments[-1] if segments else guid


def struct_to_utc(value: Any) -> datetime | None:
    """feedparser's `*_parsed` is a UTC struct_time: timegm (not mktime, which reads it as local time)."""
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=timezone.utc)
    except (OverflowError, OSError, ValueError, TypeError):
        return None


def entry_payload(entry: Any) -> dict[str, Any]:
    """The item's fields as feedparser read them, as plain JSON-safe strings."""
    if not hasattr(entry, "get"):
        return {}
    payload: dict[str, Any] = {key: entry.get(key) for key in _PAYLOAD_KEYS if isinstance(entry.get(key), str)}
    tags = entry.get("tags")
    if isinstance(tags, list):
        payload["category"] = [t.get("term") for t in tags if hasattr(t, "get") and isinstance(t.get("term"), str)]
    return payload


def _is_http(value: str) -> bool:
    return value.startswith(("http://", "https://"))
