"""Any job listing site, described by CSS selectors in config (kind "html"): no code per site.

Listing page (`selectors.item: li.job`, `next_page: a.next`):
    <li class="job"><a href="/jobs/42">ML Engineer</a> <span class="co">Acme</span>
        <time datetime="2026-05-01">3 days ago</time></li> … <a class="next" href="?page=2">Next</a>
Each item is one job whose id is its page URL (without fragment). `next_page` is followed up to
`max_pages`, stopping when it leads back to a page already read. With `selectors.description` set, each
new job's page is fetched (at most `max_details` a run) for its description; jobs in `context.known`
are re-emitted without a request. Selectors are soupsieve's (beautifulsoup4 `select`) over one lxml
parse per page, so unclosed tags still parse and a 10,000-page listing costs linear time.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Callable
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
import soupsieve
from bs4 import BeautifulSoup, ParserRejectedMarkup, Tag
from dateutil import parser as dateparser

from scraper.fetch import FetchError, Fetcher, FetchResult, RobotsDisallowed
from scraper.records import RawPosting
from scraper.settings import HtmlListingSource, HtmlSelectors
from scraper.sources.base import (ParsedPage, Rejected, SourceContext, SourceFormatError, clean_str, detail_concurrency,
                                  map_concurrently, parse_iso_utc)

log = logging.getLogger(__name__)

KIND = "html"
Clock = Callable[[], datetime]

_REJECTED_HTML_CHARS = 2000  # enough of a rejected item to see what went wrong, not a whole page
_EARLIEST_POSTING = datetime(1990, 1, 1, tzinfo=timezone.utc)
_DATE_TEXT_CHARS = 100  # a date is short; a longer match is a selector that caught a whole block
_RELATIVE_AGO = re.compile(
    r"\b(\d{1,4}|an?|one)\+?\s*"
    r"(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|wks?|w|months?|mos?|years?|yrs?|y)"
    r"\.?\s+ago\b",
    re.IGNORECASE,
)
_UNIT_DELTAS = {  # first letter(s) of the unit -> its length; a month is 30 days, a year 365
    "s": timedelta(seconds=1), "m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1),
    "w": timedelta(weeks=1), "mo": timedelta(days=30), "y": timedelta(days=365),
}
_JUST_NOW = re.compile(r"\b(just now|just posted|moments? ago)\b", re.IGNORECASE)
_TODAY = re.compile(r"\btoday\b", re.IGNORECASE)
_YESTERDAY = re.compile(r"\byesterday\b", re.IGNORECASE)
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)


@dataclass
class ListingPage(ParsedPage):
    """One listing page: its jobs, and the next page's URL when it links one."""

    next_url: str | None = None


@dataclass(frozen=True)
class SiteMirror:
    """`base_url` standing in for the site's own origin: links to the site are followed on the mirror."""

    site_origin: str  # "https://jobs.example.com"
    base_url: str  # "http://127.0.0.1:8000"

    def __call__(self, url: str) -> str:
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}".lower() != self.site_origin:
            return url
        return self.base_url + urlunsplit(("", "", parts.path, parts.query, parts.fragment))


async def collect(
    fetcher: Fetcher,
    source: HtmlListingSource,
    context: SourceContext | None = None,
    *,
    clock: Clock | None = None,
) -> ParsedPage:
    """Read the listing pages, then the detail pages of jobs not stored yet. `clock` dates "3 days ago"."""
    clock = clock or _utc_now
    known = context.known if context else {}
    selectors = source.selectors
    mirror = site_mirror(source)
    company = source.company or source.name
    result = ParsedPage()
    seen_pages: set[str] = set()
    seen_jobs: set[str] = set()
    details_left = source.max_details
    url = mirror(source.start_url) if mirror else source.start_url
    for page_number in range(source.max_pages):
        seen_pages.add(normalized_url(url))
        fetched = await fetcher.get(url)
        result.requests += 1
        seen_pages.add(normalized_url(fetched.url))  # after redirects
        listing = parse_listing(
            page_text(fetched), fetched.url, selectors,
            source_name=source.name, company=company, fetched_at=clock(), mirror=mirror,
        )
        result.rejected.extend(listing.rejected)
        if not listing.postings and not listing.rejected:
            if page_number == 0:
                raise SourceFormatError(f"no element matches selectors.item {selectors.item!r} on {fetched.url}")
            break
        to_fetch: list[RawPosting] = []
        for posting in listing.postings:
            if posting.source_id in seen_jobs:
                continue  # the same job listed twice (e.g. "featured" and in the list)
            seen_jobs.add(posting.source_id)
            if not selectors.description:
                result.postings.append(posting)
            elif posting.source_id in known:
                result.postings.append(known[posting.source_id])
            elif details_left <= 0:
                result.rejected.append(Rejected(
                    f"detail page not fetched: max_details={source.max_details} reached in this run "
                    "(it is fetched on a later run)", posting.payload))
            else:
                details_left -= 1
                to_fetch.append(posting)
        limit = detail_concurrency(fetcher, url)
        for detail in await map_concurrently(lambda job: fetch_detail(fetcher, job, selectors, clock), to_fetch, limit):
            result.extend(detail)
        next_url = listing.next_url
        if not next_url:
            break
        if normalized_url(next_url) in seen_pages:
            log.info("%s: next page %s was already read: stopping", source.name, next_url)
            break
        url = next_url
    return result


async def fetch_detail(fetcher: Fetcher, posting: RawPosting, selectors: HtmlSelectors, clock: Clock) -> ParsedPage:
    """One job's page; a page that cannot be fetched rejects that job only."""
    page = ParsedPage()
    try:
        fetched = await fetcher.get(posting.url)
    except FetchError as exc:
        page.requests = 0 if isinstance(exc, RobotsDisallowed) else 1
        page.rejected.append(Rejected(f"detail page could not be fetched: {exc}", posting.payload))
        return page
    page.extend(parse_detail(page_text(fetched), posting, selectors, fetched_at=clock()))
    page.requests = 1
    return page


def parse_listing(
    markup: str | bytes,
    page_url: str,
    selectors: HtmlSelectors,
    *,
    source_name: str,
    company: str,
    fetched_at: datetime,
    mirror: SiteMirror | None = None,
) -> ListingPage:
    """Every `selectors.item` of one listing page as a posting (description: the item's HTML), and the next link."""
    soup = _soup(markup, page_url)
    base = _document_base(soup, page_url)
    page = ListingPage()
    try:
        this_page = normalized_url(page_url)
    except ValueError:
        this_page = page_url
    for item in _compiled("item", selectors.item).select(soup):
        page.add(_listing_posting(item, base, page_url, this_page, selectors, source_name, company, fetched_at,
                                  mirror))
    if selectors.next_page:
        link = _compiled("next_page", selectors.next_page).select_one(soup)
        href = _href(link) if link is not None else ""
        next_url, _problem = _job_link(href, base, mirror) if href else (None, "")
        page.next_url = next_url
    return page


def parse_detail(
    markup: str | bytes, posting: RawPosting, selectors: HtmlSelectors, *, fetched_at: datetime
) -> ParsedPage:
    """The listing's posting completed from its own page: description (inner HTML) and any detail_* fields."""
    soup = _soup(markup, posting.url)
    page = ParsedPage()
    if not selectors.description:
        page.postings.append(posting)
        return page
    described = _compiled("description", selectors.description).select_one(soup)
    if described is None:
        page.rejected.append(Rejected(
            f"detail page has no element matching selectors.description {selectors.description!r}", posting.payload))
        return page
    found: dict[str, str] = {}
    for field in ("title", "company", "location", "date"):
        selector = getattr(selectors, f"detail_{field}")
        value = _field_text(soup, f"detail_{field}", selector, date=(field == "date")) if selector else ""
        if value:
            found[field] = value
    title = clean_str(found.get("title")) or posting.title
    if not title:
        page.rejected.append(Rejected("job has no title on the listing nor on its page", posting.payload))
        return page
    page.postings.append(replace(
        posting,
        title=title,
        company=clean_str(found.get("company")) or posting.company,
        location=clean_str(found.get("location")) or posting.location,
        posted_at=parse_posted_at(found.get("date"), fetched_at) or posting.posted_at,
        description_html=described.decode_contents(),
        payload={**posting.payload, "detail": found} if found else posting.payload,
    ))
    return page


def parse_posted_at(value: Any, now: datetime) -> datetime | None:
    """A listing's date as aware UTC: ISO, "3 days ago" / "yesterday" / "today" against `now`, or a common format.

    Day-or-coarser relative dates resolve to midnight UTC, so re-reading "3 days ago" later that day gives
    the same value. Ambiguous numeric dates read month first (dateutil's default). A date more than a day
    after `now` (a closing date, a misread) or before 1990 (no web job boards then) gives None.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    text = value.strip()[:_DATE_TEXT_CHARS]
    parsed = parse_iso_utc(text) or _relative_date(text, now) or _common_format_date(text, now)
    if parsed is None or not _EARLIEST_POSTING <= parsed <= now + timedelta(days=1):
        return None
    return parsed


def site_mirror(source: HtmlListingSource) -> SiteMirror | None:
    if not source.base_url:
        return None
    parts = urlsplit(source.start_url)
    return SiteMirror(f"{parts.scheme}://{parts.netloc}".lower(), source.base_url)


def normalized_url(url: str) -> str:
    """A job's id: its URL without fragment, scheme and host lower-cased."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))


def page_text(result: FetchResult) -> str | bytes:
    """The body as text by its declared charset or UTF-8; else bytes, for the parser to read <meta charset>."""
    declared = _CHARSET.search(result.headers.get("content-type", ""))
    if declared:
        try:
            return result.body.decode(declared.group(1), errors="replace")
        except LookupError:
            pass
    try:
        return result.body.decode("utf-8")
    except UnicodeDecodeError:
        return result.body


def _listing_posting(
    item: Tag, base: str, page_url: str, this_page: str, selectors: HtmlSelectors, source_name: str,
    company: str, fetched_at: datetime, mirror: SiteMirror | None,
) -> RawPosting | Rejected:
    link_pattern = _compiled("link", selectors.link)
    link = item if link_pattern.match(item) else link_pattern.select_one(item)
    href = _href(link) if link is not None else ""
    if not href:
        return Rejected(f"item has no link (selectors.link {selectors.link!r} with an href)",
                        _rejected_item(item, page_url))
    url, problem = _job_link(href, base, mirror)
    if url is None:
        return Rejected(problem, _rejected_item(item, page_url))
    if url == this_page:
        return Rejected("item links back to the listing page itself", _rejected_item(item, page_url))
    found: dict[str, str] = {"href": href}
    found["title"] = _field_text(item, "title", selectors.title) if selectors.title else _text(link)
    for field, selector in (("company", selectors.company), ("location", selectors.location)):
        if selector:
            found[field] = _field_text(item, field, selector)
    if selectors.date:
        found["date"] = _field_text(item, "date", selectors.date, date=True)
    title = clean_str(found["title"])
    if not title and not (selectors.description and selectors.detail_title):
        return Rejected("item has no title (selectors.title, else the link's text)", _rejected_item(item, page_url))
    return RawPosting(
        source=source_name,
        source_kind=KIND,
        source_id=url,
        url=url,
        title=title,
        company=clean_str(found.get("company")) or company,
        location=clean_str(found.get("location")),
        posted_at=parse_posted_at(found.get("date"), fetched_at),
        # With a detail page the description comes from there: skip serialising the item (the costly part).
        description_html="" if selectors.description else item.decode(),
        payload={"listing_url": page_url, **{k: v for k, v in found.items() if v}},
    )


def _job_link(href: str, base: str, mirror: SiteMirror | None) -> tuple[str | None, str]:
    """The absolute, fragment-free http(s) URL of an href, or None and why not."""
    scheme = href.split(":", 1)[0].strip().lower() if ":" in href else ""
    if scheme == "javascript":
        return None, "link is a javascript: URL, not a job page"
    if scheme == "mailto":
        return None, "link is a mailto: address, not a job page"
    try:
        url = urljoin(base, href)
        if mirror:
            url = mirror(url)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return None, f"link is not an http(s) URL: {href[:200]!r}"
        parts.port  # noqa: B018 - raises ValueError when out of range
        if not parts.hostname.isascii():
            httpx.URL(url)  # the fetcher's own IDNA check: an invalid host would only fail at request time
    except (ValueError, httpx.InvalidURL) as exc:  # e.g. "http://[::1" (an unclosed IPv6 host)
        return None, f"link is not a valid URL ({exc}): {href[:200]!r}"
    return normalized_url(url), ""


def _field_text(scope: Tag, field: str, selector: str, *, date: bool = False) -> str:
    element = _compiled(field, selector).select_one(scope)
    if element is None:
        return ""
    if date:
        for attribute in ("datetime", "content"):
            value = _attr(element, attribute)
            if value.strip():
                return value.strip()
    return _text(element)


def _text(element: Tag | None) -> str:
    return clean_str(element.get_text(" ")) if element is not None else ""


def _attr(element: Tag, name: str) -> str:
    value = element.get(name)
    if isinstance(value, list):  # multi-valued attributes (rel, class) come as lists
        return " ".join(value)
    return value if isinstance(value, str) else ""


def _href(element: Tag) -> str:
    href = _attr(element, "href").strip()
    if not href:
        inner = element.find("a", href=True)
        href = _attr(inner, "href").strip() if isinstance(inner, Tag) else ""
    return href


def _document_base(soup: BeautifulSoup, page_url: str) -> str:
    """Links resolve against the page's <base href> when it has one, as in a browser."""
    head = soup.head
    tag = head.find("base", href=True) if head is not None else None
    if isinstance(tag, Tag):
        try:
            return urljoin(page_url, _attr(tag, "href").strip())
        except ValueError:
            pass
    return page_url


def _rejected_item(item: Tag, page_url: str) -> dict[str, str]:
    return {"listing_url": page_url, "html": item.decode()[:_REJECTED_HTML_CHARS]}


def _soup(markup: Any, url: str) -> BeautifulSoup:
    if not isinstance(markup, (str, bytes)):
        raise SourceFormatError(f"page {url} is not text but {type(markup).__name__}")
    try:
        return BeautifulSoup(markup, "lxml")
    except (ParserRejectedMarkup, ValueError, UnicodeError) as exc:
        raise SourceFormatError(f"page {url} cannot be parsed as HTML: {exc}") from None


@lru_cache(maxsize=256)
def _compiled(field: str, selector: str) -> soupsieve.SoupSieve:
    try:
        return soupsieve.compile(selector)
    except soupsieve.SelectorSyntaxError as exc:
        raise SourceFormatError(f"selectors.{field} {selector!r} is not a valid CSS selector: {exc}") from None


def _relative_date(text: str, now: datetime) -> datetime | None:
    midnight = now.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    try:
        ago = _RELATIVE_AGO.search(text)
        if ago:
            amount = 1 if ago.group(1).lower() in ("a", "an", "one") else int(ago.group(1))
            unit = ago.group(2).lower()
            step = _UNIT_DELTAS["mo" if unit.startswith("mo") else unit[0]]
            if step >= timedelta(days=1):
                return midnight - amount * step
            return now.astimezone(timezone.utc) - amount * step
        if _JUST_NOW.search(text):
            return now.astimezone(timezone.utc)
        if _YESTERDAY.search(text):
            return midnight - timedelta(days=1)
        if _TODAY.search(text):
            return midnight
    except OverflowError:  # "9999 years ago"
        return None
    return None


def _common_format_date(text: str, now: datetime) -> datetime | None:
    """"May 3, 2026", "2026/05/03", "Posted on 3 May": dateutil, missing parts from `now`'s date."""
    if not any(ch.isdigit() for ch in text):
        return None  # a bare month name or a word is not a date
    default = now.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    try:
        parsed = dateparser.parse(text, default=default, fuzzy=True)
    except (ValueError, OverflowError):
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc)
    try:
        return parsed.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        return None


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)
