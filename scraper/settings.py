"""Validated settings of the scraper: politeness limits and the configured sources.

Every default lives here; config/jobtrends.yaml overrides by name.
"""
from __future__ import annotations

import re
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator

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

    @field_validator("user_agent")
    @classmethod
    def _has_contact(cls, value: str) -> str:
        if not _CONTACT.search(value):
            raise ValueError("user_agent must include a contact address (an e-mail or an http(s) URL)")
        return value


class _SourceBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    base_url: str | None = Field(None, description="Override the API host, e.g. a local mirror.")
    schedule: str = Field("0 6 * * *", description="cron: 5 fields, or 6 with seconds first")
    enabled: bool = True

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


SourceConfig = Annotated[
    Union[GreenhouseSource, LeverSource, HackerNewsSource], Field(discriminator="kind")
]
