"""SmartRecruiters Posting API: offset paging over the company's list, then one detail request per new posting.

1. GET {base}/v1/companies/{company_id}/postings?limit=100&offset=0[&q=…] ->
   {"offset": 0, "limit": 100, "totalFound": 4884, "content": [{"id": "744000154502129", "name": "Operator 2 ",
    "company": {"identifier": "BoschGroup", "name": "Bosch Group"}, "releasedDate": "2026-10-08T17:50:26.027Z",
    "location": {"country": "us", "remote": false, "hybrid": false, "fullLocation": "St. Joseph, MI, United States"},
    "typeOfEmployment": {"id": "permanent", "label": "Full-time"}}]}
   An unknown company answers 200 with totalFound 0 and no content: indistinguishable from an empty board.
2. GET {base}/v1/companies/{company_id}/postings/{id} -> the list fields plus "postingUrl" and
   "jobAd": {"sections": {"jobDescription": {"title": "…", "text": "<p>…</p>"}, "qualifications": …}}.
   Only the detail has the description; an unknown id answers 404.
"""
from __future__ import annotations

import html
from typing import Any
from urllib.parse import quote

from scraper.fetch import BadPayload, Fetcher, HTTPStatusFailure
from scraper.records import RawPosting
from scraper.settings import SmartRecruitersSource
from scraper.sources.base import (
    ParsedPage, Rejected, SourceContext, SourceFormatError, clean_str, detail_concurrency, id_str, map_concurrently,
    parse_iso_utc,
)

DEFAULT_BASE_URL = "https://api.smartrecruiters.com"
KIND = "smartrecruiters"
# `companyDescription` is the same "about us" on every posting of a company: not demand, so left out.
DESCRIPTION_SECTIONS = ("jobDescription", "qualifications", "additionalInformation")
# The detail names the recruiter who created the posting: personal data we never store.
_PERSONAL_FIELDS = ("creator",)
# A detail that answers one of these is gone or malformed for this posting only; 429/5xx mean the host is in
# trouble (the fetcher already retried them), so those still fail the source.
_POSTING_GONE_STATUSES = frozenset({400, 403, 404, 410})


async def collect(
    fetcher: Fetcher, source: SmartRecruitersSource, context: SourceContext | None = None
) -> ParsedPage:
    known = context.known if context else {}
    base = source.base_url or DEFAULT_BASE_URL
    list_url = f"{base}/v1/companies/{quote(source.company_id, safe='')}/postings"
    company = source.company or source.company_id
    listed = await list_postings(fetcher, list_url, source, company)
    result = ParsedPage(rejected=listed.rejected, requests=listed.requests)

    async def detail(summary: RawPosting) -> ParsedPage:
        if summary.source_id in known:
            return ParsedPage(postings=[known[summary.source_id]])
        page = await fetch_detail(fetcher, f"{list_url}/{quote(summary.source_id, safe='')}", summary, company)
        page.requests += 1
        return page

    for page in await map_concurrently(detail, listed.postings, detail_concurrency(fetcher, list_url)):
        result.extend(page)
    return result


async def list_postings(fetcher: Fetcher, list_url: str, source: SmartRecruitersSource, company: str) -> ParsedPage:
    """Every listed posting (without description), paging by offset until totalFound or max_postings items."""
    result = ParsedPage()
    seen: set[str] = set()
    offset = 0
    while offset < source.max_postings:
        params: dict[str, Any] = {"limit": min(source.page_size, source.max_postings - offset), "offset": offset}
        if source.query:
            params["q"] = source.query
        payload = await fetcher.get_json(list_url, params)
        result.requests += 1
        page = parse_list(payload, source.name, company)
        fresh = result.extend_unseen(page, seen)
        received = len(payload["content"])
        # A page with nothing new means a server that ignores `offset` and would repeat it forever.
        if not received or not (fresh or page.rejected) or offset + received >= payload["totalFound"]:
            break
        offset += received
    del result.postings[source.max_postings:]
    return result


async def fetch_detail(fetcher: Fetcher, url: str, summary: RawPosting, company: str) -> ParsedPage:
    """One posting with its description; a detail that is gone or unreadable rejects this posting only."""
    try:
        payload = await fetcher.get_json(url)
        return parse_detail(payload, summary.source, company, listed=summary.payload)
    except HTTPStatusFailure as exc:
        if exc.status not in _POSTING_GONE_STATUSES:
            raise
        return ParsedPage(rejected=[Rejected(f"detail request failed: HTTP {exc.status}", summary.payload)])
    except BadPayload as exc:
        return ParsedPage(rejected=[Rejected(f"detail is not JSON: {exc}", summary.payload)])
    except SourceFormatError as exc:
        return ParsedPage(rejected=[Rejected(f"detail has the wrong shape: {exc}", summary.payload)])


def parse_list(payload: Any, source_name: str, company: str) -> ParsedPage:
    """A list page: postings without description (the list has none), for deciding which details to fetch."""
    if (
        not isinstance(payload, dict)
        or not isinstance(payload.get("content"), list)
        or not _is_count(payload.get("totalFound"))
    ):
        raise SourceFormatError("SmartRecruiters list response has no 'content' list and 'totalFound' count")
    page = ParsedPage()
    for item in payload["content"]:
        problem = _problem(item)
        page.add(Rejected(problem, item) if problem else _posting(_without_personal(item), source_name, company))
    return page


def parse_detail(payload: Any, source_name: str, company: str, listed: dict[str, Any] | None = None) -> ParsedPage:
    """One posting from its detail, over the list item's fields (`listed`) when the detail omits some."""
    if not isinstance(payload, dict):
        raise SourceFormatError("SmartRecruiters detail response is not a JSON object")
    listed = listed if isinstance(listed, dict) else {}
    item = _without_personal({**listed, **payload})
    problem = _problem(item)
    if not problem and listed.get("id") is not None and _id(payload.get("id", listed["id"])) != _id(listed["id"]):
        problem = f"detail answered for another posting id ({_id(payload.get('id'))!r})"
    if problem:
        return ParsedPage(rejected=[Rejected(problem, item)])
    return ParsedPage(postings=[_posting(item, source_name, company)])


def description_html(item: dict[str, Any]) -> str:
    """The job's own sections as HTML (already real HTML in the API), each under its title."""
    job_ad = item.get("jobAd") if isinstance(item.get("jobAd"), dict) else {}
    sections = job_ad.get("sections") if isinstance(job_ad.get("sections"), dict) else {}
    parts = []
    for key in DESCRIPTION_SECTIONS:
        section = sections.get(key)
        if not isinstance(section, dict) or not isinstance(section.get("text"), str) or not section["text"].strip():
            continue
        title = clean_str(section.get("title"))
        parts.append((f"<h3>{html.escape(title)}</h3>" if title else "") + section["text"])
    return "\n".join(parts)


def _posting(item: dict[str, Any], source_name: str, company: str) -> RawPosting:
    source_id = _id(item["id"])
    provider_company = _mapping(item, "company")
    location = _mapping(item, "location")
    employment = _mapping(item, "typeOfEmployment")
    hints = {
        "employment": clean_str(employment.get("label")) or clean_str(employment.get("id")),
        "country": clean_str(location.get("country")).upper(),
    }
    return RawPosting(
        source=source_name,
        source_kind=KIND,
        source_id=source_id,
        url=clean_str(item.get("postingUrl")) or _public_url(provider_company, source_id),
        title=clean_str(item.get("name")),
        company=clean_str(provider_company.get("name")) or company,
        location=clean_str(location.get("fullLocation")) or _joined_location(location),
        posted_at=parse_iso_utc(item.get("releasedDate")),
        description_html=description_html(item),
        remote_hint=_remote_hint(location),
        hints={key: value for key, value in hints.items() if value},
        payload=item,
    )


def _problem(item: Any) -> str:
    if not isinstance(item, dict):
        return "posting is not a JSON object"
    if not _id(item.get("id")):
        return "posting without id"
    if not clean_str(item.get("name")):
        return "posting without name (title)"
    return ""


def _id(value: Any) -> str:
    """The id is a string of digits; an int is accepted, anything else is no id ("")."""
    return id_str(value) or ""


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _mapping(item: dict[str, Any], key: str) -> dict[str, Any]:
    value = item.get(key)
    return value if isinstance(value, dict) else {}


def _without_personal(item: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in item.items() if key not in _PERSONAL_FIELDS}


def _remote_hint(location: dict[str, Any]) -> str:
    if location.get("remote") is True:
        return "remote"
    if location.get("hybrid") is True:
        return "hybrid"
    # Older payloads have only `remote`: false there may still be hybrid, so only both false says on-site.
    if location.get("remote") is False and location.get("hybrid") is False:
        return "onsite"
    return ""


def _joined_location(location: dict[str, Any]) -> str:
    parts = (clean_str(location.get(key)) for key in ("city", "region", "country"))
    return ", ".join(part for part in parts if part)


def _public_url(provider_company: dict[str, Any], source_id: str) -> str:
    """The job page when the detail gave no postingUrl: jobs.smartrecruiters.com/{identifier}/{id} (unslugged)."""
    identifier = clean_str(provider_company.get("identifier"))
    if not identifier:
        return ""
    return f"https://jobs.smartrecruiters.com/{quote(identifier, safe='')}/{quote(source_id, safe='')}"
