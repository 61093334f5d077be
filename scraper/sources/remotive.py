"""Remotive's remote-jobs API: one request returns every active job (no paging).

GET {base}/api/remote-jobs[?category=data&search=python&limit=50] ->
    {"00-warning": "Remotive main domain moved to remotive.com ! …",
     "0-legal-notice": "Legal warning - … Please link back to the URL found on Remotive AND mention Remotive …",
     "job-count": 18, "total-job-count": 24,
     "jobs": [{"id": 2091149, "url": "https://remotive.com/remote-jobs/…-2091149", "title": "…",
               "company_name": "CodeForAI", "category": "Software Development", "tags": ["python", …],
               "job_type": "contract", "publication_date": "2026-10-05T05:15:43",
               "candidate_required_location": "USA, UK, …", "salary": "$45-$120/Hour",
               "description": "<p>…</p>"}]}
`publication_date` has no offset: read as UTC. `description` is plain (not entity-escaped) HTML.
Every job is remote; `candidate_required_location` says who may apply, not where an office is.
Terms: link back to each job's `url` and name Remotive as the source; at most 4 calls a day; jobs are
delayed by 24 hours. Remotive's robots.txt disallows /api/, so the fetch layer refuses this source
unless its config sets `ignore_robots` with a reason (the API documentation).
"""
from __future__ import annotations

from typing import Any

from scraper.fetch import Fetcher
from scraper.records import RawPosting
from scraper.settings import RemotiveSource
from scraper.sources.base import (
    ParsedPage, Rejected, SourceContext, clean_str, id_str, list_at, parse_iso_utc,
)

DEFAULT_BASE_URL = "https://remotive.com"


async def collect(fetcher: Fetcher, source: RemotiveSource, context: SourceContext | None = None) -> ParsedPage:
    base = source.base_url or DEFAULT_BASE_URL
    params: dict[str, Any] = {}
    if source.category:
        params["category"] = source.category
    if source.search:
        params["search"] = source.search
    if source.limit:
        params["limit"] = source.limit
    payload = await fetcher.get_json(f"{base}/api/remote-jobs", params or None)
    page = parse_remote_jobs(payload, source.name)
    page.requests = 1
    return page


def parse_remote_jobs(payload: Any, source_name: str) -> ParsedPage:
    """The `jobs` of one response; the notice keys before it are not data."""
    page = ParsedPage()
    for job in list_at(payload, "jobs", "Remotive response"):
        page.add(_posting(job, source_name))
    return page


def _posting(job: Any, source_name: str) -> RawPosting | Rejected:
    if not isinstance(job, dict):
        return Rejected("job is not a JSON object", job)
    job_id = id_str(job.get("id"))  # an int in every recording; a non-empty string is accepted too
    title = clean_str(job.get("title"))
    url = clean_str(job.get("url"))
    if job_id is None or not title:
        return Rejected("job without id or title", job)
    if not url:
        return Rejected("job without url (Remotive's terms require linking back to it)", job)
    hints: dict[str, str] = {}
    if clean_str(job.get("job_type")):
        hints["employment"] = clean_str(job.get("job_type"))
    if clean_str(job.get("salary")):
        hints["pay_range"] = clean_str(job.get("salary"))
    description = job.get("description")
    return RawPosting(
        source=source_name,
        source_kind="remotive",
        source_id=job_id,
        url=url,
        title=title,
        company=clean_str(job.get("company_name")),
        location=clean_str(job.get("candidate_required_location")),
        posted_at=parse_iso_utc(job.get("publication_date")),
        description_html=description if isinstance(description, str) else "",
        remote_hint="remote",
        hints=hints,
        payload=job,
    )

