"""Greenhouse Job Board API: one request returns the whole board.

GET {base}/v1/boards/{token}/jobs?content=true ->
    {"jobs": [{"id": 712339, "title": "…", "first_published": "2026-05-22T09:16:29-04:00",
               "location": {"name": "Remote - US"}, "absolute_url": "…",
               "content": "&lt;p&gt;…"}], "meta": {"total": 1}}
`content` is HTML entity-escaped once: unescape once, never twice.
"""
from __future__ import annotations

import html
from typing import Any
from urllib.parse import quote

from bs4 import BeautifulSoup

from scraper.fetch import Fetcher
from scraper.records import RawPosting
from scraper.settings import GreenhouseSource
from scraper.sources.base import ParsedPage, Rejected, SourceContext, clean_str, list_at, parse_iso_utc

DEFAULT_BASE_URL = "https://boards-api.greenhouse.io"
# Board-level intro/conclusion blocks repeat on every post of a company (about us, EEO): not demand.
_BOARD_BOILERPLATE = ("content-intro", "content-conclusion")


async def collect(fetcher: Fetcher, source: GreenhouseSource, context: SourceContext | None = None) -> ParsedPage:
    base = source.base_url or DEFAULT_BASE_URL
    url = f"{base}/v1/boards/{quote(source.board_token, safe='')}/jobs"
    payload = await fetcher.get_json(url, {"content": "true"})
    page = parse_board(payload, source.name, source.company or source.board_token)
    page.requests = 1
    return page


def parse_board(payload: Any, source_name: str, company: str) -> ParsedPage:
    page = ParsedPage()
    for job in list_at(payload, "jobs", "Greenhouse board response"):
        if not isinstance(job, dict) or job.get("id") is None or not clean_str(job.get("title")):
            page.rejected.append(Rejected("job without id or title", job))
            continue
        location = job.get("location") if isinstance(job.get("location"), dict) else {}
        page.postings.append(
            RawPosting(
                source=source_name,
                source_kind="greenhouse",
                source_id=str(job["id"]),
                url=clean_str(job.get("absolute_url")),
                title=clean_str(job.get("title")),
                company=clean_str(job.get("company_name")) or company,
                location=clean_str(location.get("name")),
                posted_at=parse_iso_utc(job.get("first_published")) or parse_iso_utc(job.get("updated_at")),
                description_html=job_body_html(job["content"] if isinstance(job.get("content"), str) else ""),
                payload=job,
            )
        )
    return page


def job_body_html(content: str) -> str:
    """The post's own HTML: unescaped once, with the board's intro/conclusion blocks removed."""
    markup = html.unescape(content)
    if not any(cls in markup for cls in _BOARD_BOILERPLATE):
        return markup
    soup = BeautifulSoup(markup, "lxml")
    for block in soup.find_all(class_=list(_BOARD_BOILERPLATE)):
        block.decompose()
    body = soup.body
    return body.decode_contents() if body else str(soup)
