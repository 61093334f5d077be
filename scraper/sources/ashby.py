"""Ashby public posting API: one request returns the whole board (no paging, no single-job endpoint).

GET {base}/posting-api/job-board/{job_board}?includeCompensation=true ->
    {"apiVersion": "1", "jobs": [{"id": "7458d4e9-…", "title": "Engineering Manager - EU",
      "location": "Remote - European Union", "isListed": true, "isRemote": true, "workplaceType": "Remote",
      "employmentType": "FullTime", "publishedAt": "2026-07-24T10:49:09.045+00:00",
      "jobUrl": "https://jobs.ashbyhq.com/ashby/7458d4e9-…", "descriptionHtml": "<p>…</p>", "descriptionPlain": "…",
      "address": {"postalAddress": {"addressCountry": "USA"}},
      "compensation": {"scrapeableCompensationSalarySummary": "€110K - €185K",
                       "summaryComponents": [{"compensationType": "Salary", "interval": "1 YEAR",
                                              "currencyCode": "EUR", "minValue": 110000, "maxValue": 185000}]}}]}
`descriptionHtml` is real HTML (not entity-escaped): it is kept as is. The payload names no company.
An unknown board answers 404 with a plain-text body (the fetcher raises on the status before any JSON).
"""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from scraper.fetch import Fetcher
from scraper.records import RawPosting
from scraper.settings import AshbySource
from scraper.sources.base import ParsedPage, Rejected, SourceContext, clean_str, list_at, parse_iso_utc

DEFAULT_BASE_URL = "https://api.ashbyhq.com"
# Ashby lists postings hidden from the careers page too (`isListed: false`); they are not public demand,
# so they go to `rejected` under this reason: counted and kept in the raw store, never in postings.
UNLISTED = "unlisted"
_WORKPLACE = {"remote": "remote", "hybrid": "hybrid", "onsite": "onsite", "on-site": "onsite"}
# Ashby states intervals as "1 YEAR", "1 HOUR", …; "NONE" (equity) and anything else has no pay period.
_INTERVAL = re.compile(r"^\s*1\s+(hour|day|week|month|year)s?\s*$", re.IGNORECASE)
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_MAX_PAY = 1e12  # above any yearly pay in any currency: a bigger figure is a data error, not a salary


async def collect(fetcher: Fetcher, source: AshbySource, context: SourceContext | None = None) -> ParsedPage:
    base = source.base_url or DEFAULT_BASE_URL
    url = f"{base}/posting-api/job-board/{quote(source.job_board, safe='')}"
    params = {"includeCompensation": "true"} if source.include_compensation else None
    payload = await fetcher.get_json(url, params)
    page = parse_board(payload, source.name, source.company or source.job_board)
    page.requests = 1
    return page


def parse_board(payload: Any, source_name: str, company: str) -> ParsedPage:
    page = ParsedPage()
    for job in list_at(payload, "jobs", "Ashby job-board response"):
        if not isinstance(job, dict) or not clean_str(job.get("id")) or not clean_str(job.get("title")):
            page.rejected.append(Rejected("job without id or title", job))
            continue
        if job.get("isListed") is False:
            page.rejected.append(Rejected(UNLISTED, job))
            continue
        page.postings.append(
            RawPosting(
                source=source_name,
                source_kind="ashby",
                source_id=clean_str(job["id"]),
                url=clean_str(job.get("jobUrl")) or clean_str(job.get("applyUrl")),
                title=clean_str(job.get("title")),
                company=company,
                location=clean_str(job.get("location")),
                posted_at=parse_iso_utc(job.get("publishedAt")),
                description_html=_str(job.get("descriptionHtml")),
                description_text=_str(job.get("descriptionPlain")),
                remote_hint=remote_hint(job),
                hints=job_hints(job),
                payload=job,
            )
        )
    return page


def remote_hint(job: dict[str, Any]) -> str:
    """`workplaceType` ("Remote" | "Hybrid" | "OnSite") first; the older `isRemote` flag only says remote or not."""
    workplace = _WORKPLACE.get(clean_str(job.get("workplaceType")).lower(), "")
    if workplace:
        return workplace
    return "remote" if job.get("isRemote") is True else ""


def job_hints(job: dict[str, Any]) -> dict[str, str]:
    hints = {"employment": clean_str(job.get("employmentType")), "country": _country(job.get("address"))}
    hints.update(salary_hints(job))
    return {key: value for key, value in hints.items() if value}


def salary_hints(job: dict[str, Any]) -> dict[str, str]:
    """The first `Salary` summary component with a figure, plus the salary summary as free text.

    Employers may send compensation with `shouldDisplayCompensationOnJobPostings: false` ("not for display"):
    then we state no pay at all (it stays in the raw payload only).
    """
    compensation = job.get("compensation")
    if not isinstance(compensation, dict) or job.get("shouldDisplayCompensationOnJobPostings") is False:
        return {}
    hints = {"pay_range": clean_str(compensation.get("scrapeableCompensationSalarySummary"))}
    components = compensation.get("summaryComponents")
    for component in components if isinstance(components, list) else []:
        if not isinstance(component, dict) or clean_str(component.get("compensationType")).lower() != "salary":
            continue
        low, high = _pay(component.get("minValue")), _pay(component.get("maxValue"))
        if not (low or high):
            continue
        hints["salary_min"], hints["salary_max"] = low or high, high or low
        currency = clean_str(component.get("currencyCode")).upper()
        hints["salary_currency"] = currency if _CURRENCY.match(currency) else ""
        interval = _INTERVAL.match(_str(component.get("interval")))
        hints["salary_interval"] = interval.group(1).lower() if interval else ""
        break
    return hints


def _pay(value: Any) -> str:
    # `not 0 < value < max` is also true for NaN and infinities
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < _MAX_PAY:
        return ""
    number = float(value)
    return str(int(number)) if number.is_integer() else str(number)


def _country(address: Any) -> str:
    """`address.postalAddress.addressCountry`; the doc example also shows the bare address object."""
    if not isinstance(address, dict):
        return ""
    postal = address.get("postalAddress", address)
    return clean_str(postal.get("addressCountry")) if isinstance(postal, dict) else ""


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""
