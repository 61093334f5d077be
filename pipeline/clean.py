"""Raw rows -> cleaned postings: text from HTML, tidy strings, UTC times, ISO weeks, exact dedup.

Each function takes a DataFrame and returns a new one; I/O stays at the edges (pipeline/process.py).
"""
from __future__ import annotations

import functools
import hashlib
import re
from typing import Any, Iterable

import pandas as pd

from pipeline import columns as c
from pipeline.normalize import payload_hints, stated_hints
from pipeline.text import html_to_text, normalize_whitespace

RAW_COLUMNS = (
    "source", "source_kind", "source_id", "url", "title", "company", "location", "posted_at",
    "description_html", "description_text", "remote_hint", "fetched_at",
)
_REMOTE_WORD = re.compile(r"\bremote\b|\banywhere\b|\bwfh\b|\bwork from home\b", re.IGNORECASE)
_HYBRID_WORD = re.compile(r"\bhybrid\b", re.IGNORECASE)
_NOT_REMOTE = re.compile(r"\b(?:no|not|non)[- ]remote\b|\bremote(?: work)? (?:is )?not (?:possible|available|an option)\b",
                         re.IGNORECASE)
_ONSITE_WORD = re.compile(r"\bon[- ]?site\b|\bin[- ](?:office|person)\b", re.IGNORECASE)


def raw_frame(rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """Raw-store rows as a frame with the raw columns; of the payload only its normalization hints."""
    records = [
        {**{col: row.get(col) for col in RAW_COLUMNS},
         c.HINTS: {**payload_hints(row.get("source_kind"), row.get("payload")), **stated_hints(row.get("hints"))}}
        for row in rows
    ]
    return pd.DataFrame.from_records(records, columns=[*RAW_COLUMNS, c.HINTS])


def make_posting_id(source: str, source_id: str) -> str:
    return hashlib.sha1(f"{source}\x1f{source_id}".encode("utf-8")).hexdigest()[:16]


def iso_week(ts: pd.Series) -> pd.Series:
    """'YYYY-Www' ISO week labels (ISO year, so 2026-12-31 can be 2027-W53's neighbour correctly)."""
    iso = ts.dt.isocalendar()
    labels = iso["year"].astype("string") + "-W" + iso["week"].astype("string").str.zfill(2)
    return labels.where(ts.notna())


def remote_status(hint: str, location: str, title: str) -> str:
    """Structured source flag first, then the free text of location and title."""
    if hint in c.REMOTE_VALUES and hint != "unknown":
        return hint
    text = f"{location} {title}"
    if _HYBRID_WORD.search(text):
        return "hybrid"
    if _NOT_REMOTE.search(text):
        return "onsite"
    if _REMOTE_WORD.search(text):
        return "remote"  # "Remote or onsite": remote work is possible
    if _ONSITE_WORD.search(text):
        return "onsite"
    return "unknown"


@functools.lru_cache(maxsize=4096)
def _html_text(html: str) -> str:
    """html_to_text, remembered: each weekly scrape returns the postings still open, so the same
    description comes back in file after file of a source (about half of all raw rows). Raw files are
    cleaned in store order, a source's weeks one after another, so a few thousand entries catch them."""
    return html_to_text(html)


def _text_of(html: Any, plain: Any) -> str:
    if isinstance(html, str) and html.strip():
        return _html_text(html)
    return normalize_whitespace(plain) if isinstance(plain, str) else ""


def _tidy(series: pd.Series) -> pd.Series:
    return series.fillna("").astype(str).map(normalize_whitespace).str.replace("\n", " ", regex=False)


def clean_postings(raw: pd.DataFrame) -> pd.DataFrame:
    """One cleaned row per raw row (duplicates are still there; see drop_exact_duplicates)."""
    out = pd.DataFrame(index=raw.index)
    out[c.SOURCE] = raw["source"].astype(str)
    out[c.SOURCE_KIND] = raw["source_kind"].astype(str)
    out[c.SOURCE_ID] = raw["source_id"].astype(str)
    out[c.POSTING_ID] = [make_posting_id(s, i) for s, i in zip(out[c.SOURCE], out[c.SOURCE_ID])]
    out[c.URL] = _tidy(raw["url"])
    out[c.TITLE] = _tidy(raw["title"])
    out[c.COMPANY] = _tidy(raw["company"])
    out[c.LOCATION] = _tidy(raw["location"])
    out[c.DESCRIPTION] = [
        _text_of(h, p) for h, p in zip(raw["description_html"], raw["description_text"])
    ]
    out[c.REMOTE] = [
        remote_status(str(h or ""), loc, t)
        for h, loc, t in zip(raw["remote_hint"], out[c.LOCATION], out[c.TITLE])
    ]
    fetched = pd.to_datetime(raw["fetched_at"], utc=True, format="ISO8601")
    posted = pd.to_datetime(raw["posted_at"], utc=True, format="ISO8601", errors="coerce")
    # A posting without a date of its own counts in the week we first saw it.
    out[c.POSTED_AT] = posted.fillna(fetched)
    out["fetched_at"] = fetched
    out[c.HINTS] = raw[c.HINTS] if c.HINTS in raw.columns else [{} for _ in range(len(raw))]
    out[c.CONTENT_HASH] = content_hashes(out[c.TITLE], out[c.COMPANY], out[c.LOCATION], out[c.DESCRIPTION])
    return out


def content_hashes(titles: Iterable[str], companies: Iterable[str], locations: Iterable[str],
                   descriptions: Iterable[str]) -> list[str]:
    """What stands for a posting's content (title, company, location, description) in comparisons."""
    return [hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]
            for parts in zip(titles, companies, locations, descriptions)]


def drop_exact_duplicates(cleaned: pd.DataFrame) -> pd.DataFrame:
    """One row per posting_id: the newest version's content, first/last time we saw it.

    The same posting comes back on every scrape of its board; each copy is the same job.
    """
    if cleaned.empty:
        out = cleaned.drop(columns=["fetched_at"]).copy()
        out[c.FIRST_SEEN_AT] = pd.Series(dtype="datetime64[ns, UTC]")
        out[c.LAST_SEEN_AT] = pd.Series(dtype="datetime64[ns, UTC]")
        out[c.WEEK] = pd.Series(dtype="string")
        # the order the non-empty branch gives (posting_id first, from the index)
        return out[[c.POSTING_ID, *(col for col in out.columns if col != c.POSTING_ID)]]
    seen = cleaned.groupby(c.POSTING_ID)["fetched_at"].agg(["min", "max"])
    latest = (
        cleaned.sort_values([c.POSTING_ID, "fetched_at", c.CONTENT_HASH])
        .drop_duplicates(c.POSTING_ID, keep="last")
        .set_index(c.POSTING_ID)
    )
    latest[c.FIRST_SEEN_AT] = seen["min"]
    latest[c.LAST_SEEN_AT] = seen["max"]
    out = latest.drop(columns=["fetched_at"]).reset_index()
    out[c.WEEK] = iso_week(out[c.POSTED_AT])
    return out.sort_values(c.POSTING_ID, ignore_index=True)
