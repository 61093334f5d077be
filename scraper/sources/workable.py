"""Workable careers widget (undocumented but public): one request returns every published job of an account.

GET {base}/api/v1/widget/accounts/{account}?details=true ->
    {"name": "Hugging Face", "jobs": [{"shortcode": "81B46579FE", "title": "Open-Source ML Engineer",
      "employment_type": "Full-time", "telecommuting": true, "url": "https://apply.workable.com/j/81B46579FE",
      "shortlink": "…/j/81B46579FE", "application_url": "…/j/81B46579FE/apply",
      "published_on": "2026-05-29", "created_at": "2026-05-29",
      "country": "France", "city": "Paris", "state": "Île-de-France",
      "locations": [{"country": "France", "countryCode": "FR", "city": "Paris", "region": "…", "hidden": false}],
      "description": "<p>…</p>"}]}
Times are dates only (taken as midnight UTC). `telecommuting: false` means on-site *or* hybrid, so it gives
no hint. `description` is real HTML, but one scraper saw it entity-escaped: then it is unescaped once.
An unknown account answers 404 `text/plain` "Not Found".
"""
from __future__ import annotations

import html
import re
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from scraper.fetch import Fetcher
from scraper.records import RawPosting
from scraper.settings import WorkableSource
from scraper.sources.base import ParsedPage, Rejected, SourceContext, clean_str, list_at, parse_iso_utc

DEFAULT_BASE_URL = "https://apply.workable.com"
_DATE_ONLY = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")


async def collect(fetcher: Fetcher, source: WorkableSource, context: SourceContext | None = None) -> ParsedPage:
    base = source.base_url or DEFAULT_BASE_URL
    url = f"{base}/api/v1/widget/accounts/{quote(source.account, safe='')}"
    payload = await fetcher.get_json(url, {"details": "true"})
    page = parse_account(payload, source.name, source.company or source.account)
    page.requests = 1
    return page


def parse_account(payload: Any, source_name: str, company: str) -> ParsedPage:
    """`company` is the fallback when the account names no `name`."""
    jobs = list_at(payload, "jobs", "Workable widget response")
    company = clean_str(payload.get("name")) or company
    page = ParsedPage()
    for job in jobs:
        if not isinstance(job, dict) or not clean_str(job.get("shortcode")) or not clean_str(job.get("title")):
            page.rejected.append(Rejected("job without shortcode or title", job))
            continue
        place = _primary_location(job)
        hints = {"employment": clean_str(job.get("employment_type")), "country": _country(job, place)}
        page.postings.append(
            RawPosting(
                source=source_name,
                source_kind="workable",
                source_id=clean_str(job["shortcode"]),
                url=job_url(job),
                title=clean_str(job.get("title")),
                company=company,
                location=_location_text(job, place),
                posted_at=date_to_utc(job.get("published_on")) or date_to_utc(job.get("created_at")),
                description_html=description_html(job.get("description")),
                remote_hint="remote" if job.get("telecommuting") is True else "",
                hints={key: value for key, value in hints.items() if value},
                payload=job,
            )
        )
    return page


def job_url(job: dict[str, Any]) -> str:
    """The job's public page: `url`, else `shortlink` (the same page), else the apply form's page."""
    url = clean_str(job.get("url")) or clean_str(job.get("shortlink"))
    return url or clean_str(job.get("application_url")).removesuffix("/apply")


def date_to_utc(value: Any) -> datetime | None:
    """"YYYY-MM-DD" as midnight UTC; a full ISO timestamp, should Workable ever send one, as itself."""
    if not isinstance(value, str):
        return None
    match = _DATE_ONLY.match(value)
    if not match:
        return parse_iso_utc(value)
    try:
        return datetime(*map(int, match.groups()), tzinfo=timezone.utc)
    except ValueError:
        return None


def description_html(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    return html.unescape(value) if value.lstrip().startswith("&lt;") else value


def _primary_location(job: dict[str, Any]) -> dict[str, Any]:
    """The first visible entry of `locations`, which repeats the top-level city/state/country with a country code."""
    locations = job.get("locations")
    for place in locations if isinstance(locations, list) else []:
        if isinstance(place, dict) and place.get("hidden") is not True:
            return place
    return {}


def _country(job: dict[str, Any], place: dict[str, Any]) -> str:
    """The ISO code of the primary location when it is the job's country, else the country name as stated."""
    country = clean_str(job.get("country"))
    code = clean_str(place.get("countryCode"))
    if code and (not country or clean_str(place.get("country")) in ("", country)):
        return code
    return country


def _location_text(job: dict[str, Any], place: dict[str, Any]) -> str:
    parts = [clean_str(job.get(key)) for key in ("city", "state", "country")]
    if not any(parts):
        parts = [clean_str(place.get(key)) for key in ("city", "region", "country")]
    return ", ".join(part for part in parts if part)
