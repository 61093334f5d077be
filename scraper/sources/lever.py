"""Lever Postings API (v0): a bare JSON array, offset paging with skip/limit and no total.

GET {base}/v0/postings/{site}?mode=json&skip=0&limit=100 ->
    [{"id": "33538a2f-…", "text": "<title>", "categories": {"location": "…", "commitment": "…"},
      "workplaceType": "remote", "createdAt": 1553186035299, "description": "<div>…</div>",
      "lists": [{"text": "Qualifications", "content": "<li>…</li>"}], "additional": "…",
      "hostedUrl": "https://jobs.lever.co/…"}]
Requirements usually sit in `lists`, so the description is description + lists + additional.
An unknown site answers 404 {"ok": false}; an empty board answers 200 [].
"""
from __future__ import annotations

import html
from typing import Any
from urllib.parse import quote

from scraper.fetch import Fetcher
from scraper.records import RawPosting
from scraper.settings import LeverSource
from scraper.sources.base import ParsedPage, Rejected, SourceContext, SourceFormatError, clean_str, epoch_to_utc

DEFAULT_BASE_URL = "https://api.lever.co"
_WORKPLACE = {"remote": "remote", "hybrid": "hybrid", "on-site": "onsite", "onsite": "onsite"}
_MAX_PAGES = 1000  # a guard against a server that ignores `skip` and repeats the same page forever


async def collect(fetcher: Fetcher, source: LeverSource, context: SourceContext | None = None) -> ParsedPage:
    base = source.base_url or DEFAULT_BASE_URL
    url = f"{base}/v0/postings/{quote(source.site, safe='')}"
    company = source.company or source.site
    result = ParsedPage()
    seen: set[str] = set()
    for page_number in range(_MAX_PAGES):
        payload = await fetcher.get_json(
            url, {"mode": "json", "skip": page_number * source.page_size, "limit": source.page_size}
        )
        result.requests += 1
        page = parse_postings(payload, source.name, company)
        fresh = result.extend_unseen(page, seen)
        if len(payload) < source.page_size or not fresh:
            break
    return result


def parse_postings(payload: Any, source_name: str, company: str) -> ParsedPage:
    if not isinstance(payload, list):
        raise SourceFormatError("Lever response is not a JSON array of postings")
    page = ParsedPage()
    for item in payload:
        if not isinstance(item, dict) or not item.get("id") or not clean_str(item.get("text")):
            page.rejected.append(Rejected("posting without id or text (title)", item))
            continue
        categories = item.get("categories") if isinstance(item.get("categories"), dict) else {}
        page.postings.append(
            RawPosting(
                source=source_name,
                source_kind="lever",
                source_id=str(item["id"]),
                url=clean_str(item.get("hostedUrl")),
                title=clean_str(item.get("text")),
                company=company,
                location=clean_str(categories.get("location")),
                posted_at=epoch_to_utc(item.get("createdAt"), millis=True),
                description_html=full_description_html(item),
                description_text=_html_field(item.get("descriptionPlain")),
                remote_hint=_WORKPLACE.get(str(item.get("workplaceType", "")).lower(), ""),
                payload=item,
            )
        )
    return page


def _html_field(value: Any) -> str:
    """A field that should hold HTML; anything else (a list, a number: a changed API) counts as empty."""
    return value if isinstance(value, str) else ""


def full_description_html(item: dict[str, Any]) -> str:
    parts = [_html_field(item.get("description"))]
    lists = item.get("lists")
    for block in lists if isinstance(lists, list) else []:
        if isinstance(block, dict):
            heading = html.escape(clean_str(block.get("text")))
            parts.append(f"<h3>{heading}</h3><ul>{_html_field(block.get('content'))}</ul>")
    parts.append(_html_field(item.get("additional")))
    return "\n".join(p for p in parts if p)
