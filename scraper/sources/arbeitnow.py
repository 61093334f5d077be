"""Arbeitnow Job Board API: pages linked by an absolute `links.next` URL.

GET {base}/api/job-board-api ->
    {"data": [{"slug": "studentische-hilfskraft-potsdam-377838", "company_name": "MCH Ventures",
               "title": "Studentische Hilfskraft", "description": "<p>…</p>", "remote": true,
               "url": "https://www.arbeitnow.com/jobs/companies/…", "job_types": ["Working student"],
               "location": "Potsdam", "created_at": 1791477053}],
     "links": {"next": "https://www.arbeitnow.com/api/job-board-api?page=2", …}, "meta": {…}}
Past the last page: 200 with "data": [] and no next link. Many postings are German; it aggregates other
ATSs, so the same job may also come from our Greenhouse/SmartRecruiters sources (dedupe handles that).
Terms ask for a link back: keep each posting's `url`.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from scraper.fetch import Fetcher
from scraper.records import RawPosting
from scraper.settings import ArbeitnowSource
from scraper.sources.base import (
    ParsedPage, Rejected, SourceContext, clean_str, epoch_to_utc, list_at, parse_iso_utc,
)

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://www.arbeitnow.com"
KIND = "arbeitnow"
API_PATH = "/api/job-board-api"


async def collect(fetcher: Fetcher, source: ArbeitnowSource, context: SourceContext | None = None) -> ParsedPage:
    first_url = f"{source.base_url or DEFAULT_BASE_URL}{API_PATH}"
    result = ParsedPage()
    seen_ids: set[str] = set()
    visited: set[str] = set()
    url: str | None = first_url
    while url and result.requests < source.max_pages:
        visited.add(url)
        payload = await fetcher.get_json(url)
        result.requests += 1
        page = parse_page(payload, source.name)
        # The list is ordered by created_at and changes hourly, so a job can slide onto the next page too.
        result.extend_unseen(page, seen_ids)
        if not payload["data"]:
            break
        url = next_page_url(payload, first_url)
        if url in visited:
            log.warning("arbeitnow %s: next link %s was already fetched; stopping", source.name, url)
            url = None
    return result


def next_page_url(payload: Any, first_url: str) -> str | None:
    """The `links.next` URL, only if it is another page of the endpoint we started on.

    The link is used as given (nothing rewritten), but followed only on the same scheme, host, port and
    path as `first_url`: a response must not steer the fetcher to another host (or from https to http),
    and with a `base_url` mirror it must not leak requests to the real site.
    """
    links = payload.get("links") if isinstance(payload, dict) else None
    link = links.get("next") if isinstance(links, dict) else None
    if not isinstance(link, str) or not link.strip():
        return None
    link = link.strip()
    try:
        start, found = urlsplit(first_url), urlsplit(link)
        same_endpoint = (
            found.scheme == start.scheme
            and found.hostname == start.hostname
            and found.port == start.port
            and not found.username
            and not found.password
            and found.path == start.path
        )
    except ValueError:  # e.g. a port that is not a number
        same_endpoint = False
    if not same_endpoint:
        log.warning("arbeitnow next link %r is not a page of %s; not following it", link[:200], first_url)
        return None
    return link


def parse_page(payload: Any, source_name: str) -> ParsedPage:
    page = ParsedPage()
    for item in list_at(payload, "data", "Arbeitnow response"):
        problem = _problem(item)
        page.add(Rejected(problem, item) if problem else _posting(item, source_name))
    return page


def _posting(item: dict[str, Any], source_name: str) -> RawPosting:
    job_types = item.get("job_types") if isinstance(item.get("job_types"), list) else []
    employment = ", ".join(t for t in (clean_str(v) for v in job_types) if t)
    description = item.get("description")
    return RawPosting(
        source=source_name,
        source_kind=KIND,
        source_id=item["slug"].strip(),
        url=clean_str(item.get("url")),
        title=clean_str(item.get("title")),
        company=clean_str(item.get("company_name")),
        location=clean_str(item.get("location")),
        posted_at=_created_at(item.get("created_at")),
        description_html=description if isinstance(description, str) else "",
        # Arbeitnow has no hybrid notion: `remote: false` covers on-site and hybrid alike, so it says nothing.
        remote_hint="remote" if item.get("remote") is True else "",
        hints={"employment": employment} if employment else {},
        payload=item,
    )


def _problem(item: Any) -> str:
    if not isinstance(item, dict):
        return "job is not a JSON object"
    if not isinstance(item.get("slug"), str) or not item["slug"].strip():
        return "job without slug (id)"
    if not clean_str(item.get("title")):
        return "job without title"
    return ""


def _created_at(value: Any) -> datetime | None:
    """Epoch seconds (int) as recorded; some third-party fixtures show ISO strings, accepted too."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and not value.strip().lstrip("-").replace(".", "", 1).isdigit():
        return parse_iso_utc(value)
    return epoch_to_utc(value, millis=False)
