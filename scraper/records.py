"""The one record every source adapter yields, and its JSON form in the raw store."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class RawPosting:
    """A posting as the source gave it, before any cleaning.

    `description_html` is real (unescaped-once) HTML; `description_text` is the source's own plain
    text twin when it has one (Lever's `descriptionPlain`), else empty. `payload` keeps the source's
    item untouched so later pipeline versions can re-derive fields without scraping again.
    `remote_hint` carries a source's structured remote flag ("remote", "hybrid", "onsite") when it has one.
    `hints` carries other structured fields the source states, for normalization (pipeline/normalize.py):
    `employment` (as stated, e.g. "FULL_TIME"), `country` (ISO code or name), `salary_min`, `salary_max`,
    `salary_currency` (ISO 4217), `salary_interval` (hour/day/week/month/year), `pay_range` (pay as text).
    """

    source: str
    source_kind: str
    source_id: str
    url: str
    title: str
    company: str
    location: str
    posted_at: datetime | None
    description_html: str
    description_text: str = ""
    remote_hint: str = ""
    hints: dict[str, str] = field(default_factory=dict)
    payload: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """A shallow dict, not `dataclasses.asdict`: that deep-copies every payload, the raw store's main cost."""
        row = {name: getattr(self, name) for name in self.__dataclass_fields__}
        row["posted_at"] = self.posted_at.isoformat() if self.posted_at else None
        return row

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> "RawPosting":
        values = dict(row)
        posted = values.get("posted_at")
        values["posted_at"] = datetime.fromisoformat(posted) if posted else None
        known = {name for name in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in values.items() if k in known})
