"""Hacker News "Ask HN: Who is hiring?" threads via the Algolia HN Search API.

1. GET {base}/api/v1/search_by_date?tags=story,author_whoishiring&query=hiring&page=N
   -> {"hits": [{"objectID": "37351667", "title": "Ask HN: Who is hiring? (September 2023)", …}],
       "page": 0, "nbPages": 8}
   The account also posts "Who wants to be hired?" and "Freelancer?" threads: keep only hiring ones.
2. GET {base}/api/v1/items/{id} -> the story with nested `children`; each top-level child is one job.
   Replies are discussion. Text is normalized HTML (`<p>` per paragraph).
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from scraper.fetch import Fetcher
from scraper.records import RawPosting
from scraper.settings import HackerNewsSource
from scraper.sources.base import ParsedPage, Rejected, SourceContext, SourceFormatError, clean_str, parse_iso_utc

DEFAULT_BASE_URL = "https://hn.algolia.com"
THREAD_TITLE = re.compile(r"^\s*Ask HN: Who is hiring\?\s*\((\w+)\s+(\d{4})\)\s*$", re.IGNORECASE)
# English month names by their first three letters (calendar.month_name follows the locale).
_MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_MAX_SEARCH_PAGES = 50
_TAG = re.compile(r"<[^>]+>")
_SEPARATORS = re.compile(r"\s+\|\s+|\s*\|\s*|\s+[-–—•/;]\s+")
_REMOTE = re.compile(r"\bremote\b", re.IGNORECASE)
_NOT_REMOTE = re.compile(r"\bno\s+remote\b|\bnot\s+remote\b", re.IGNORECASE)
_ONSITE = re.compile(r"\bon-?site\b|\bin[- ]office\b", re.IGNORECASE)
_HYBRID = re.compile(r"\bhybrid\b", re.IGNORECASE)
_ROLE_WORDS = re.compile(
    r"\b(engineer|engineers|scientist|scientists|developer|developers|researcher|programmer|"
    r"architect|manager|designer|analyst|lead|head of|director|intern|founding|cto|sre|devops|"
    r"ml|ai|machine learning|data|roles|positions|hiring)\b",
    re.IGNORECASE,
)
_EMPLOYMENT = re.compile(
    r"^(full[- ]?time|part[- ]?time|contract(or)?|intern(ship)?s?|permanent|freelance|ft|pt|"
    r"visa|h1b|no visa|equity)\b",
    re.IGNORECASE,
)
_SALARY = re.compile(r"[$€£]\s?\d|\d+\s?k\b", re.IGNORECASE)
_LOCATION_HINT = re.compile(
    r"(?i:\b(remote|onsite|on-site|hybrid|sf|nyc|new york|san francisco|london|berlin|boston|seattle|"
    r"austin|toronto|paris|amsterdam|usa|us|uk|eu|europe|canada|anywhere|worldwide)\b)|\b[A-Z]{2}\b|,"
)


@dataclass(frozen=True)
class PostHeader:
    """What the first line of a post tells, with how sure we are about the split."""

    company: str
    title: str
    location: str
    remote: str
    confident: bool


async def collect(fetcher: Fetcher, source: HackerNewsSource, context: SourceContext | None = None) -> ParsedPage:
    base = source.base_url or DEFAULT_BASE_URL
    result = ParsedPage()
    threads = await find_threads(fetcher, base, source.months, source.hits_per_page, result)
    for thread in threads:
        result.extend(await fetch_thread(fetcher, base, int(thread["objectID"]), source.name))
    return result


async def fetch_thread(fetcher: Fetcher, base: str, thread_id: int, source_name: str) -> ParsedPage:
    """One thread's postings: one `items/{id}` request (the whole comment tree), parsed."""
    story = await fetcher.get_json(item_url(base, thread_id))
    page = parse_thread(story, source_name)
    page.requests += 1
    return page


def search_url(base: str) -> str:
    return f"{base}/api/v1/search_by_date"


def item_url(base: str, item_id: int) -> str:
    return f"{base}/api/v1/items/{item_id}"


def thread_month(title: str) -> tuple[int, int] | None:
    """(year, month) named by a hiring thread's title; None for any other title ("Who wants to be hired?", …).

    The month comes from the title, not from `created_at`: threads go up on the first weekday of the month.
    """
    match = THREAD_TITLE.match(title or "")
    if not match:
        return None
    month = _MONTHS.get(match.group(1).lower()[:3])
    return (int(match.group(2)), month) if month else None


async def find_threads(
    fetcher: Fetcher, base: str, months: int, hits_per_page: int, result: ParsedPage
) -> list[dict[str, Any]]:
    """The newest `months` hiring threads, newest first."""
    threads: list[dict[str, Any]] = []
    for page in range(_MAX_SEARCH_PAGES):
        payload = await fetcher.get_json(
            search_url(base),
            {"tags": "story,author_whoishiring", "query": "hiring", "page": page, "hitsPerPage": hits_per_page},
        )
        result.requests += 1
        if not isinstance(payload, dict) or not isinstance(payload.get("hits"), list):
            raise SourceFormatError("Algolia search response has no 'hits' list")
        for hit in payload["hits"]:
            if isinstance(hit, dict) and THREAD_TITLE.match(str(hit.get("title") or "")) and hit.get("objectID"):
                threads.append(hit)
                if len(threads) >= months:
                    return threads
        if not payload["hits"] or page >= int(payload.get("nbPages", 0)) - 1:
            break
    return threads


def parse_thread(story: Any, source_name: str) -> ParsedPage:
    if not isinstance(story, dict) or not isinstance(story.get("children"), list):
        raise SourceFormatError("Algolia item response has no 'children' list")
    page = ParsedPage()
    thread_title = str(story.get("title") or "")
    for comment in story["children"]:
        if not isinstance(comment, dict):
            page.rejected.append(Rejected("comment is not an object", comment))
            continue
        text = comment.get("text") or ""
        author = comment.get("author") or ""
        if not text or not author:
            continue  # deleted or dead: no content to keep
        if not isinstance(text, str) or not isinstance(author, str):
            page.rejected.append(Rejected("comment text or author is not a string", comment))
            continue
        if author == "whoishiring" or comment.get("type", "comment") != "comment":
            continue
        first = first_line(text)
        if len(first) < 3 or comment.get("id") is None:
            page.rejected.append(Rejected("comment without a readable first line", comment))
            continue
        header = parse_header(first)
        page.postings.append(
            RawPosting(
                source=source_name,
                source_kind="hn",
                source_id=str(comment["id"]),
                url=f"https://news.ycombinator.com/item?id={comment['id']}",
                title=header.title,
                company=header.company,
                location=header.location,
                posted_at=parse_iso_utc(comment.get("created_at")),
                description_html=text.replace("\\n", "\n"),
                remote_hint=header.remote,
                payload={**comment, "children": [], "thread_title": thread_title},
            )
        )
    return page


def first_line(comment_html: str) -> str:
    """The post's first line as text: items give `<p>` per paragraph, search/Firebase leave the first bare."""
    text = comment_html.replace("\\n", "\n").strip()
    if text.startswith("<p>"):
        end = text.find("</p>")
        text = text[3:end] if end != -1 else text[3:]
    else:
        cut = text.find("<p>")
        text = text[:cut] if cut != -1 else text
    text = html.unescape(_TAG.sub("", text.replace("<br>", "\n")))
    return clean_str(text.strip().split("\n", 1)[0])[:300]


def parse_header(line: str) -> PostHeader:
    """Split "Company | Role | Location | REMOTE | …" (or " - "-separated) into its parts.

    Field order varies in the wild, so fields are recognised by what they look like, and the
    result says whether the line had a header shape at all.
    """
    remote = remote_flag(line)
    fields = [clean_str(f) for f in _SEPARATORS.split(line) if clean_str(f)]
    if len(fields) < 2:
        return PostHeader(company="", title=line[:200], location="", remote=remote, confident=False)
    company = re.sub(r"\s*\((https?://[^)]*|YC [^)]*)\)\s*", " ", fields[0]).strip() or fields[0]
    rest = fields[1:]
    title = next((f for f in rest if _ROLE_WORDS.search(f) and not _EMPLOYMENT.match(f)), "")
    location = next(
        (
            f
            for f in rest
            if f != title and _LOCATION_HINT.search(f) and not _SALARY.search(f) and not _EMPLOYMENT.match(f)
        ),
        "",
    )
    if not title:
        title = next((f for f in rest if f != location and not _SALARY.search(f) and not _EMPLOYMENT.match(f)), "")
    return PostHeader(
        company=company[:200],
        title=(title or line)[:200],
        location=location[:200],
        remote=remote,
        confident=bool(title),
    )


def remote_flag(line: str) -> str:
    if _HYBRID.search(line):
        return "hybrid"
    if _REMOTE.search(line) and not _NOT_REMOTE.search(line):
        return "remote"
    if _ONSITE.search(line) or _NOT_REMOTE.search(line):
        return "onsite"
    return ""
