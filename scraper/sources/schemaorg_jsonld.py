"""schema.org `JobPosting` JSON-LD: find it in an HTML page and map it to a RawPosting (pure, no HTTP).

Any adapter whose pages carry JSON-LD can reuse `parse_job_page`, or its halves `job_postings_in_html`
(page -> JobPosting dicts) and `postings_from_job_postings` / `posting_from_job_posting` (dicts -> RawPostings).

    <script type="application/ld+json">
    {"@context": "https://schema.org", "@type": "JobPosting", "title": "…", "description": "<h3>…</h3>",
     "datePosted": "2026-10-07", "validThrough": "2026-11-04T00:00:00+01:00", "employmentType": ["PART_TIME"],
     "hiringOrganization": {"@type": "Organization", "name": "…"},
     "jobLocation": [{"@type": "Place", "address": {"addressLocality": "Berlin", "addressCountry": "Deutschland"}}],
     "identifier": {"@type": "PropertyValue", "value": "VI-SB-0081-2026"}}
    </script>

A block may be one object, an array, or `{"@graph": [...]}`, and the JobPosting may sit nested anywhere
(e.g. a WebPage's `mainEntity`). Real pages bend the JSON: raw line breaks inside strings, a trailing `;`,
`<!-- -->` or CDATA wrappers; all tolerated. `validThrough` has no hint key: it stays in the payload.
"""
from __future__ import annotations

import html
import json
import math
import re
import warnings
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning
from bs4.exceptions import ParserRejectedMarkup

from scraper.records import RawPosting
from scraper.sources.base import ParsedPage, Rejected, SourceFormatError, clean_str, parse_iso_utc

SOURCE_KIND = "schemaorg"
JSON_LD_TYPE = "application/ld+json"

_WRAPPERS = (("<!--", "-->"), ("<![CDATA[", "]]>"), ("//<![CDATA[", "//]]>"), ("/*<![CDATA[*/", "/*]]>*/"))
_TAG = re.compile(r"<[a-zA-Z/!]")
_ESCAPED_TAG = re.compile(r"&lt;\s*/?[a-zA-Z]")
_LOOSE_DATE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})")  # "2026-9-21" (a Kaiser page): isoparse refuses it
_INTERVALS = {
    "hour": "hour", "hourly": "hour", "day": "day", "daily": "day", "week": "week", "weekly": "week",
    "month": "month", "monthly": "month", "year": "year", "yearly": "year", "annual": "year", "annually": "year",
}
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_RAW_JSON_LD = re.compile(
    r"<script\b[^>]*\btype\s*=\s*[\"']?\s*application/ld\+json\s*[\"']?[^>]*>(.*?)</script\s*>",
    re.IGNORECASE | re.DOTALL,
)


def parse_job_page(
    page_html: Any, page_url: str, source_name: str, company: str, source_kind: str = SOURCE_KIND
) -> ParsedPage:
    """Every JobPosting on one page as RawPostings; broken blocks and postings go to `rejected`."""
    items, rejected = job_postings_in_html(page_html, page_url)
    page = postings_from_job_postings(items, page_url, source_name, company, source_kind)
    page.rejected[:0] = rejected
    return page


def postings_from_job_postings(
    items: list[Any], page_url: str, source_name: str, company: str, source_kind: str = SOURCE_KIND
) -> ParsedPage:
    """The JobPosting dicts of one page as RawPostings, each with an id unique on the page."""
    page = ParsedPage()
    ids: set[str] = set()
    for item in items:
        posting = posting_from_job_posting(item, page_url, source_name, company, source_kind)
        if isinstance(posting, Rejected):
            page.rejected.append(posting)
            continue
        # Several postings of one page without identifier or url would share the page URL as id.
        source_id, n = posting.source_id, 1
        while source_id in ids:
            n += 1
            source_id = f"{posting.source_id}#{n}"
        ids.add(source_id)
        if source_id != posting.source_id:
            posting = _with_source_id(posting, source_id)
        page.postings.append(posting)
    return page


def job_postings_in_html(page_html: Any, page_url: str = "") -> tuple[list[dict[str, Any]], list[Rejected]]:
    """The JobPosting objects of every JSON-LD block of a page, in document order.

    A block that is not JSON becomes a Rejected (reason + the block's text); the page's other blocks
    are still read. Raises SourceFormatError only when the page itself is not text.
    """
    if isinstance(page_html, bytes):
        page_html = page_html.decode("utf-8", errors="replace")
    if not isinstance(page_html, str):
        raise SourceFormatError(f"a page must be HTML text, not {type(page_html).__name__}")
    postings: list[dict[str, Any]] = []
    rejected: list[Rejected] = []
    for number, block in enumerate(json_ld_blocks(page_html), start=1):
        try:
            data = parse_json_ld(block)
        except ValueError as exc:
            where = f" on {page_url}" if page_url else ""
            rejected.append(Rejected(f"JSON-LD block {number}{where} is not valid JSON: {exc}", block))
            continue
        postings.extend(find_job_postings(data))
    return postings, rejected


def json_ld_blocks(page_html: str) -> list[str]:
    """The text of each `<script type="application/ld+json">` (type compared case-insensitively)."""
    if "ld+json" not in page_html.lower():
        return []  # most pages: no need to build a tree
    # lxml takes UTF-8 only: a lone surrogate (never in a decoded response, possible from a caller) becomes "?"
    page_html = page_html.encode("utf-8", errors="replace").decode("utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        try:
            soup = BeautifulSoup(page_html, "lxml")
        except (ParserRejectedMarkup, ValueError) as exc:
            raise SourceFormatError(f"page could not be parsed as HTML: {exc}") from None
    blocks = []
    for script in soup.find_all("script"):
        kind = script.get("type")
        if isinstance(kind, list):
            kind = " ".join(kind)
        if isinstance(kind, str) and kind.strip().lower().split(";")[0].strip() == JSON_LD_TYPE:
            blocks.append(script.get_text())
    # A browser-like parse can swallow blocks (an unclosed <title> or attribute quote eats the rest of the
    # page, as it would in a browser); a scan of the raw text recovers them.
    scanned = [match.group(1) for match in _RAW_JSON_LD.finditer(page_html)]
    return scanned if len(scanned) > len(blocks) else blocks


def parse_json_ld(block: str) -> Any:
    """JSON of one block, tolerating comment/CDATA wrappers, a trailing ';' and raw control characters."""
    text = block.strip()
    changed = True
    while changed:
        changed = False
        for opening, closing in _WRAPPERS:
            if text.startswith(opening) and text.endswith(closing) and len(text) >= len(opening) + len(closing):
                text = text[len(opening):len(text) - len(closing)].strip()
                changed = True
        while text.endswith(";"):
            text = text[:-1].rstrip()
            changed = True
    if not text:
        raise ValueError("the block is empty")
    try:
        # strict=False: raw line breaks inside strings, which browsers accept and real pages contain
        return json.loads(text, strict=False)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise ValueError(str(exc)) from None


def find_job_postings(data: Any) -> list[dict[str, Any]]:
    """Every dict typed JobPosting inside parsed JSON-LD (arrays, `@graph`, nesting), in document order.

    Iterative, so JSON nested as deep as the parser allows cannot overflow the stack here.
    """
    found: list[dict[str, Any]] = []
    stack: list[Any] = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if is_job_posting(node):
                found.append(node)
                continue
            stack.extend(reversed(list(node.values())))
        elif isinstance(node, list):
            stack.extend(reversed(node))
    return found


def is_job_posting(node: dict[str, Any]) -> bool:
    """`@type` "JobPosting", a list holding it, or a prefixed form ("schema:JobPosting", full URL)."""
    kinds = node.get("@type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    for kind in kinds:
        if isinstance(kind, str) and re.split(r"[/#:]", kind.strip())[-1].lower() == "jobposting":
            return True
    return False


def posting_from_job_posting(
    item: Any, page_url: str, source_name: str, company: str, source_kind: str = SOURCE_KIND
) -> RawPosting | Rejected:
    """One JobPosting dict as a RawPosting, or a Rejected saying what is missing."""
    if not isinstance(item, dict):
        return Rejected("JobPosting is not a JSON object", item)
    title = _text(item.get("title")) or _text(item.get("name"))
    if not title:
        return Rejected("JobPosting without title", item)
    url = _absolute_url(item.get("url"), page_url) or _strip_fragment(page_url)
    source_id = _identifier(item.get("identifier")) or url
    if not source_id:
        return Rejected("JobPosting without identifier, url or page URL", item)
    places = _as_list(item.get("jobLocation"))
    location, country = _places(places)
    applicant_areas = [_name(area) for area in _as_list(item.get("applicantLocationRequirements"))]
    applicant_areas = [area for area in applicant_areas if area]
    if not location and applicant_areas:
        location = "; ".join(dict.fromkeys(applicant_areas))
    hints: dict[str, str] = {}
    employment = ", ".join(dict.fromkeys(_text(kind) for kind in _as_list(item.get("employmentType")) if _text(kind)))
    if employment:
        hints["employment"] = employment
    if country or applicant_areas:
        hints["country"] = country or applicant_areas[0]
    hints.update(salary_hints(item.get("baseSalary")))
    return RawPosting(
        source=source_name,
        source_kind=source_kind,
        source_id=source_id,
        url=url,
        title=title,
        company=_organization(item.get("hiringOrganization")) or company,
        location=location,
        posted_at=date_posted_utc(item.get("datePosted")),
        description_html=description_html(item.get("description")),
        remote_hint="remote" if _is_telecommute(item, places) else "",
        hints=hints,
        payload=item,
    )


def description_html(value: Any) -> str:
    """The description as HTML: unescaped once only when it holds escaped tags and no real ones (a Gupy page)."""
    if not isinstance(value, str):
        return ""
    if not _TAG.search(value) and _ESCAPED_TAG.search(value):
        return html.unescape(value)
    return value


def date_posted_utc(value: Any) -> datetime | None:
    """ISO 8601 date or date-time (also unpadded "2026-9-21") as aware UTC; None when unreadable."""
    if not isinstance(value, str):
        return None
    parsed = parse_iso_utc(value.strip())
    if parsed is not None:
        return parsed
    loose = _LOOSE_DATE.match(value)
    if not loose:
        return None
    try:
        return datetime(*(int(part) for part in loose.groups()), tzinfo=timezone.utc)
    except ValueError:
        return None


def salary_hints(value: Any) -> dict[str, str]:
    """baseSalary (MonetaryAmount with a QuantitativeValue, a bare number, or text) as salary hints."""
    amount = next((a for a in _as_list(value) if a is not None), None)
    if isinstance(amount, str):
        text = clean_str(amount)
        return {"pay_range": text} if text else {}
    number = _number(amount)
    if number is not None:
        return {"salary_min": number, "salary_max": number}
    if not isinstance(amount, dict):
        return {}
    hints: dict[str, str] = {}
    quantity = amount.get("value")
    quantity = next((q for q in _as_list(quantity) if q is not None), None)
    if isinstance(quantity, dict):
        low = _number(quantity.get("minValue"))
        high = _number(quantity.get("maxValue"))
        exact = _number(quantity.get("value"))
        unit = quantity.get("unitText") or amount.get("unitText")
    else:
        # schema.org also allows min/max on the MonetaryAmount itself
        low, high, exact = _number(amount.get("minValue")), _number(amount.get("maxValue")), _number(quantity)
        unit = amount.get("unitText")
        if exact is None and isinstance(quantity, str) and clean_str(quantity):
            hints["pay_range"] = clean_str(quantity)
    low, high = low or exact, high or exact
    if low is not None:
        hints["salary_min"] = low
    if high is not None:
        hints["salary_max"] = high
    if low is None and high is None:
        return hints  # a currency or unit without an amount says nothing
    currency = clean_str(amount.get("currency")).upper()
    if _CURRENCY.match(currency):
        hints["salary_currency"] = currency
    interval = _INTERVALS.get(clean_str(unit).lower()) if isinstance(unit, str) else None
    if interval:
        hints["salary_interval"] = interval
    return hints


def _with_source_id(posting: RawPosting, source_id: str) -> RawPosting:
    values = {name: getattr(posting, name) for name in RawPosting.__dataclass_fields__}
    values["source_id"] = source_id
    return RawPosting(**values)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _text(value: Any) -> str:
    """A plain-text field; titles and names are often entity-escaped in JSON-LD ("R&amp;D")."""
    return clean_str(html.unescape(value)) if isinstance(value, str) else ""


def _name(value: Any) -> str:
    """A string, or a Thing's `name` (Organization, Country, AdministrativeArea)."""
    if isinstance(value, dict):
        return _text(value.get("name"))
    return _text(value)


def _organization(value: Any) -> str:
    return next((name for name in map(_name, _as_list(value)) if name), "")


def _places(places: list[Any]) -> tuple[str, str]:
    """("City, Region, Country; City2, …", first country) from jobLocation Places."""
    locations: list[str] = []
    country = ""
    for place in places:
        if isinstance(place, str):
            parts = [_text(place)]
        elif isinstance(place, dict):
            address = place.get("address")
            address = next((a for a in _as_list(address) if a), None)
            if isinstance(address, dict):
                place_country = _name(address.get("addressCountry"))
                parts = [_name(address.get("addressLocality")), _name(address.get("addressRegion")), place_country]
                country = country or place_country
            else:
                parts = [_text(address) or _text(place.get("name"))]
        else:
            continue
        distinct = list(dict.fromkeys(part for part in parts if part))  # "Berlin, Berlin, Deutschland"
        if distinct:
            locations.append(", ".join(distinct))
    return "; ".join(dict.fromkeys(locations)), country


def _is_telecommute(item: dict[str, Any], places: list[Any]) -> bool:
    kinds = [clean_str(kind).upper() for kind in _as_list(item.get("jobLocationType")) if isinstance(kind, str)]
    if "TELECOMMUTE" in kinds:
        return True
    # Some pages put it in jobLocation.additionalProperty instead of jobLocationType.
    for place in places:
        if isinstance(place, dict):
            for prop in _as_list(place.get("additionalProperty")):
                if isinstance(prop, dict) and clean_str(prop.get("value")).upper() == "TELECOMMUTE":
                    return True
    return False


def _identifier(value: Any) -> str:
    """The employer's job id: PropertyValue `value`, or a bare string/number."""
    for candidate in _as_list(value):
        if isinstance(candidate, dict):
            candidate = candidate.get("value")
        if isinstance(candidate, bool):
            continue
        if isinstance(candidate, int) and abs(candidate) < 10**30:  # str() refuses ints past 4300 digits
            return str(candidate)
        if isinstance(candidate, float) and math.isfinite(candidate):
            return repr(candidate)
        if isinstance(candidate, str) and clean_str(candidate):
            return clean_str(candidate)
    return ""


def _absolute_url(value: Any, page_url: str) -> str:
    if not isinstance(value, str) or not value.strip():
        return ""
    try:
        url = urljoin(page_url, value.strip()) if page_url else value.strip()
        scheme = urlsplit(url).scheme
    except ValueError:  # e.g. "http://[::1" (an unclosed IPv6 host)
        return ""
    return _strip_fragment(url) if scheme in ("http", "https") else ""


def _strip_fragment(url: str) -> str:
    try:
        return urldefrag(url).url if url else ""
    except ValueError:
        return url


def _number(value: Any) -> str | None:
    """A non-negative finite amount as a hint string ("120000", "42.5"); None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip().replace(",", "")
        try:
            value = float(value)
        except ValueError:
            return None
    if not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:  # a huge int
        return None
    if not math.isfinite(number) or number < 0:
        return None
    return str(int(number)) if number.is_integer() else repr(number)
