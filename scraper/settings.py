"""Validated settings of the scraper: politeness limits and the configured sources.

Every default lives here; config/jobtrends.yaml overrides by name.
"""
from __future__ import annotations

import re
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from scraper.cron import cron_fields

_CONTACT = re.compile(r"(mailto:|https?://|[^@\s]+@[^@\s]+\.[^@\s]+)")
_SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


def _check_cron(value: str) -> str:
    cron_fields(value)  # raises ValueError naming the problem
    return " ".join(value.split())


class FetchSettings(BaseModel):
    """How politely and how patiently we fetch."""

    model_config = ConfigDict(extra="forbid")

    user_agent: str = Field(
        "jobtrends/0.1 (+https://github.com/jobtrends/jobtrends; contact: jobtrends@example.org)",
        description="Sent with every request; must name a contact address.",
    )
    timeout_seconds: float = Field(20.0, gt=0)
    min_interval_seconds: float = Field(1.0, ge=0, description="Minimum gap between requests to one host.")
    max_retries: int = Field(3, ge=0, le=10)
    backoff_seconds: float = Field(2.0, ge=0, description="First retry wait; doubles each retry.")
    max_retry_after_seconds: float = Field(120.0, ge=0, description="Longest Retry-After we will honour.")
    max_response_bytes: int = Field(20_000_000, gt=0)
    respect_robots_txt: bool = True
    robots_recheck_seconds: float = Field(
        900.0, ge=0, description="A robots.txt that answered 5xx or was unreachable is asked again after this long."
    )
    backoff_jitter: float = Field(
        0.5, ge=0, le=1, description="Each backoff wait is drawn from [wait * (1 - jitter), wait]."
    )
    max_connections_per_host: int = Field(2, ge=1, le=64, description="Concurrent requests to one host.")
    conditional_requests: bool = Field(
        True, description="Send If-None-Match / If-Modified-Since from the last response; a 304 reuses its body."
    )
    source_time_budget_seconds: float = Field(
        900.0, gt=0, description="Longest a source may take in one run; then it stops and is recorded as failed."
    )
    hosts: dict[str, "HostLimits"] = Field(
        default_factory=dict,
        description="Per-host overrides by host name (e.g. remotive.com); the providers' stated limits are built in.",
    )
    broken_reject_rate: float = Field(
        0.2, ge=0, le=1,
        description="A source that could not parse more than this share of its items is flagged possibly broken.",
    )
    keep_going: bool = Field(
        False,
        description="`jobtrends scrape` exits 0 even when a source failed (failures are still recorded and shown).",
    )

    @field_validator("user_agent")
    @classmethod
    def _has_contact(cls, value: str) -> str:
        if not _CONTACT.search(value):
            raise ValueError("user_agent must include a contact address (an e-mail or an http(s) URL)")
        return value


class HostLimits(BaseModel):
    """Politeness limits for one host; unset fields fall back to the fetch settings."""

    model_config = ConfigDict(extra="forbid")

    min_interval_seconds: float | None = Field(None, ge=0, description="Minimum gap between requests.")
    max_connections: int | None = Field(None, ge=1, le=64, description="Concurrent requests.")


# Providers' stated limits (../shared/sources.md): the defaults for their hosts unless `fetch.hosts` says otherwise.
PROVIDER_HOST_LIMITS: dict[str, HostLimits] = {
    # "excessive requests (more than 2x per minute) will be blocked"; at most 4 runs a day by schedule
    "remotive.com": HostLimits(min_interval_seconds=30.0, max_connections=1),
    "remoteok.com": HostLimits(min_interval_seconds=5.0, max_connections=1),
    # x-ratelimit-limit: 50 (window unknown)
    "www.arbeitnow.com": HostLimits(min_interval_seconds=2.0, max_connections=1),
    "arbeitnow.com": HostLimits(min_interval_seconds=2.0, max_connections=1),
    "weworkremotely.com": HostLimits(min_interval_seconds=5.0, max_connections=1),
    # undocumented endpoint behind Cloudflare: one project keeps >= 2 s between requests
    "apply.workable.com": HostLimits(min_interval_seconds=2.0, max_connections=1),
}


class _SourceBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    base_url: str | None = Field(None, description="Override the API host, e.g. a local mirror.")
    schedule: str = Field("0 6 * * *", description="cron: 5 fields, or 6 with seconds first")
    enabled: bool = True
    ignore_robots: bool = Field(
        False,
        description="Fetch even where robots.txt disallows it: only for a provider's own documented API, "
        "with `ignore_robots_reason`; shown in the run summary and the report.",
    )
    ignore_robots_reason: str | None = Field(None, description="Why robots.txt is ignored (required with it).")
    time_budget_seconds: float | None = Field(
        None, gt=0, description="Override fetch.source_time_budget_seconds for this source."
    )

    @model_validator(mode="after")
    def _ignore_robots_needs_reason(self):
        if self.ignore_robots and not (self.ignore_robots_reason and self.ignore_robots_reason.strip()):
            raise ValueError("ignore_robots: true needs ignore_robots_reason (e.g. the provider's API documentation URL)")
        return self

    @field_validator("name")
    @classmethod
    def _name_is_slug(cls, value: str) -> str:
        if not _SOURCE_NAME.match(value):
            raise ValueError("name must be lower-case letters, digits, '-', '_' or '.' (it names files)")
        return value

    @field_validator("schedule")
    @classmethod
    def _schedule_is_cron(cls, value: str) -> str:
        return _check_cron(value)

    @field_validator("base_url")
    @classmethod
    def _base_url_is_http(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        return value.rstrip("/") if value else value


class GreenhouseSource(_SourceBase):
    kind: Literal["greenhouse"]
    board_token: str = Field(min_length=1)
    company: str | None = None


class LeverSource(_SourceBase):
    kind: Literal["lever"]
    site: str = Field(min_length=1)
    company: str | None = None
    page_size: int = Field(100, ge=1, le=1000)


class HackerNewsSource(_SourceBase):
    kind: Literal["hn"]
    months: int = Field(1, ge=1, le=240, description="How many of the newest monthly threads to read.")
    hits_per_page: int = Field(50, ge=1, le=1000)


class AshbySource(_SourceBase):
    """Ashby's public posting API: `{base}/posting-api/job-board/{job_board}?includeCompensation=true`."""

    kind: Literal["ashby"]
    job_board: str = Field(min_length=1, description="The board name in jobs.ashbyhq.com/{job_board}.")
    company: str | None = None
    include_compensation: bool = True


class WorkableSource(_SourceBase):
    """Workable's careers widget: `{base}/api/v1/widget/accounts/{account}?details=true`."""

    kind: Literal["workable"]
    account: str = Field(min_length=1, description="The slug in apply.workable.com/{account}.")
    company: str | None = None


class SmartRecruitersSource(_SourceBase):
    """SmartRecruiters Posting API: the company's list (offset/limit), then one detail request per new posting."""

    kind: Literal["smartrecruiters"]
    company_id: str = Field(min_length=1, description="The identifier in jobs.smartrecruiters.com/{company_id}.")
    company: str | None = None
    page_size: int = Field(100, ge=1, le=100)
    max_postings: int = Field(
        500, ge=1, description="Stop paging after this many postings (each new one costs a detail request)."
    )
    query: str | None = Field(None, description="Server-side full-text filter (`q`), e.g. 'machine learning'.")


class RemotiveSource(_SourceBase):
    """Remotive's remote-jobs API. Its robots.txt disallows /api/: runs only with ignore_robots and a reason."""

    kind: Literal["remotive"]
    category: str | None = Field(None, description="e.g. software-dev, data, ai-ml")
    search: str | None = None
    limit: int | None = Field(None, ge=1)
    schedule: str = Field("0 6 * * *", description="cron; Remotive asks for at most 4 calls a day")


class RemoteOKSource(_SourceBase):
    """RemoteOK's JSON feed (the ~100 newest jobs); attribution required: keep each posting's URL."""

    kind: Literal["remoteok"]
    tags: list[str] = Field(default_factory=list, description="Keep only jobs with one of these tags (empty: all).")


class ArbeitnowSource(_SourceBase):
    """Arbeitnow's job-board API, following `links.next` up to `max_pages`."""

    kind: Literal["arbeitnow"]
    max_pages: int = Field(5, ge=1, le=200)


class WeWorkRemotelySource(_SourceBase):
    """We Work Remotely's RSS feeds, one per category."""

    kind: Literal["wwr"]
    categories: list[str] = Field(
        default_factory=lambda: ["remote-programming-jobs"], min_length=1,
        description="Feed slugs: weworkremotely.com/categories/{slug}.rss",
    )


class SchemaOrgSource(_SourceBase):
    """Career pages carrying schema.org JobPosting JSON-LD: listed page URLs and/or sitemaps to discover them."""

    kind: Literal["schemaorg"]
    urls: list[str] = Field(default_factory=list, description="Job pages, or listing pages whose links are followed.")
    sitemaps: list[str] = Field(default_factory=list, description="sitemap.xml URLs (sitemap indexes are followed).")
    url_pattern: str | None = Field(None, description="Regex a discovered URL must match to be fetched, e.g. /jobs/")
    company: str | None = Field(None, description="Used when a posting names no hiringOrganization.")
    max_pages: int = Field(500, ge=1, description="Most detail pages fetched in one run.")

    @model_validator(mode="after")
    def _has_somewhere_to_start(self):
        if not self.urls and not self.sitemaps:
            raise ValueError("a schemaorg source needs `urls` or `sitemaps`")
        if self.url_pattern:
            try:
                re.compile(self.url_pattern)
            except re.error as exc:
                raise ValueError(f"url_pattern is not a valid regex: {exc}") from None
        return self


class HtmlSelectors(BaseModel):
    """CSS selectors (beautifulsoup4 `select`) of a listing page and, optionally, of its detail pages."""

    model_config = ConfigDict(extra="forbid")

    item: str = Field(min_length=1, description="One element per job on the listing page.")
    link: str = Field("a", description="Inside an item: the link to the job's page (its href).")
    title: str | None = Field(None, description="Inside an item; default: the link's text.")
    company: str | None = None
    location: str | None = None
    date: str | None = Field(None, description="Inside an item: a date (datetime attribute or text).")
    next_page: str | None = Field(None, description="On the listing page: the link to the next page.")
    description: str | None = Field(
        None, description="On the detail page: the job description; unset: the detail page is not fetched."
    )
    detail_title: str | None = None
    detail_company: str | None = None
    detail_location: str | None = None
    detail_date: str | None = None


class HtmlListingSource(_SourceBase):
    """Any job listing site, described by CSS selectors in config: no code needed."""

    kind: Literal["html"]
    start_url: str = Field(description="The first listing page.")
    selectors: HtmlSelectors
    company: str | None = Field(None, description="Used when the page names no company.")
    max_pages: int = Field(10, ge=1, le=1000, description="Listing pages followed through next_page.")
    max_details: int = Field(500, ge=0, description="Most detail pages fetched in one run.")

    @field_validator("start_url")
    @classmethod
    def _start_url_is_http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("start_url must start with http:// or https://")
        return value


SourceConfig = Annotated[
    Union[GreenhouseSource, LeverSource, HackerNewsSource, AshbySource, WorkableSource, SmartRecruitersSource,
          RemotiveSource, RemoteOKSource, ArbeitnowSource, WeWorkRemotelySource, SchemaOrgSource,
          HtmlListingSource],
    Field(discriminator="kind"),
]


FetchSettings.model_rebuild()
