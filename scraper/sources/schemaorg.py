"""Career pages carrying schema.org JobPosting JSON-LD, found from listed pages and/or sitemaps.

Start points (config): `urls`, each a job page (its JSON-LD is read) or a listing page (its same-host links
matching `url_pattern` are followed), and `sitemaps` (`<urlset>` locs matching `url_pattern` are followed;
`<sitemapindex>` children are fetched, a few levels deep, up to a cap). Detail pages are fetched one by one
through the fetcher (robots.txt and per-host pacing apply: these are ordinary web pages), at most
`max_pages` HTML pages per run. A detail URL that a stored posting already has is not fetched again: that
posting is re-emitted. JSON-LD reading and mapping live in `schemaorg_jsonld` (pure, reusable).

    <sitemapindex><sitemap><loc>https://jobs.example.org/sitemap-jobs.xml</loc></sitemap></sitemapindex>
    <urlset><url><loc>https://jobs.example.org/jobs/123</loc><lastmod>2026-10-07</lastmod></url></urlset>
"""
from __future__ import annotations

import logging
import re
import warnings
import zlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit, urlunsplit

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, UnicodeDammit, XMLParsedAsHTMLWarning
from bs4.exceptions import ParserRejectedMarkup

from scraper.fetch import BudgetExceeded, Fetcher, FetchError, FetchResult, RobotsDisallowed
from scraper.records import RawPosting
from scraper.settings import SchemaOrgSource
from scraper.sources.base import ParsedPage, Rejected, SourceContext, SourceFormatError
from scraper.sources.schemaorg_jsonld import job_postings_in_html, postings_from_job_postings

log = logging.getLogger(__name__)

MAX_SITEMAP_FILES = 50  # sitemap files read per run: an index of indexes stops here
MAX_SITEMAP_DEPTH = 3  # index -> index -> urlset
MAX_SITEMAP_BYTES = 50_000_000  # the sitemap protocol's own limit on an uncompressed file


@dataclass(frozen=True)
class Sitemap:
    """One sitemap file: `index` (its locs are sitemaps) or `urlset` (its locs are pages)."""

    kind: str
    locs: list[str]


async def collect(fetcher: Fetcher, source: SchemaOrgSource, context: SourceContext | None = None) -> ParsedPage:
    crawl = _Crawl(fetcher, source, context or SourceContext())
    return await crawl.run()


@dataclass
class _Crawl:
    """State of one run: what was fetched, emitted and rejected, and how many pages are left."""

    fetcher: Fetcher
    source: SchemaOrgSource
    context: SourceContext
    result: ParsedPage = field(default_factory=ParsedPage)
    pages_left: int = 0
    visited: set[str] = field(default_factory=set)
    emitted_ids: set[str] = field(default_factory=set)
    start_points_read: int = 0
    first_start_failure: Exception | None = None

    def __post_init__(self) -> None:
        self.pages_left = self.source.max_pages
        self.pattern = re.compile(self.source.url_pattern) if self.source.url_pattern else None
        self.company = self.source.company or self.source.name
        self.known_by_url: dict[str, list[RawPosting]] = {}
        for posting in self.context.known.values():
            if posting.url:
                self.known_by_url.setdefault(_without_fragment(posting.url), []).append(posting)

    async def run(self) -> ParsedPage:
        detail_urls: list[str] = []
        for start in self.source.urls:
            detail_urls.extend(await self._start_page(_rebase(start, self.source.base_url)))
        for sitemap_url in self.source.sitemaps:
            detail_urls.extend(await self._sitemap_pages(_rebase(sitemap_url, self.source.base_url)))
        not_fetched = 0
        for url in dict.fromkeys(detail_urls):
            if not await self._detail_page(url):
                not_fetched += 1
        if not_fetched:
            log.info("%s: max_pages=%d reached; %d pages left for later runs",
                     self.source.name, self.source.max_pages, not_fetched)
        if self.start_points_read == 0 and self.first_start_failure is not None:
            raise self.first_start_failure  # nothing configured could be read: fail loudly, not with zero postings
        return self.result

    async def _start_page(self, url: str) -> list[str]:
        """A configured page: its postings when it has JobPosting JSON-LD, else its links to follow."""
        url = _without_fragment(url)
        if self._reemit_known(url):
            self.start_points_read += 1
            return []
        if self.pages_left <= 0:
            return []
        fetched = await self._fetch_page(url, start_point=True)
        if fetched is None:
            return []
        self.start_points_read += 1
        text = page_text(fetched)
        items = self._job_postings(text, url)
        if items:
            self._emit(postings_from_job_postings(items, url, self.source.name, self.company))
            return []
        return same_host_links(text, fetched.url or url, self.pattern)

    async def _detail_page(self, url: str) -> bool:
        """Read one discovered page; False when the page budget is spent."""
        if url in self.visited or self._reemit_known(url):
            return True
        if self.pages_left <= 0:
            return False
        fetched = await self._fetch_page(url, start_point=False)
        if fetched is None:
            return True
        items = self._job_postings(page_text(fetched), url)
        if not items:
            self.result.rejected.append(Rejected("no JobPosting JSON-LD on the page", url))
        self._emit(postings_from_job_postings(items, url, self.source.name, self.company))
        return True

    def _job_postings(self, text: str, url: str) -> list[dict[str, Any]]:
        try:
            items, rejected = job_postings_in_html(text, url)
        except SourceFormatError as exc:  # one unreadable page is that page's problem, not the run's
            self.result.rejected.append(Rejected(str(exc), url))
            return []
        self.result.rejected.extend(rejected)
        return items

    async def _sitemap_pages(self, root_url: str) -> list[str]:
        """Page URLs of a sitemap, following sitemap indexes breadth-first up to the caps."""
        pages: list[str] = []
        queue: list[tuple[str, int]] = [(root_url, 0)]
        read = 0
        while queue and read < MAX_SITEMAP_FILES:
            url, depth = queue.pop(0)
            if url in self.visited:
                continue
            read += 1
            sitemap = await self._fetch_sitemap(url, is_root=depth == 0)
            if sitemap is None:
                continue
            if sitemap.kind == "index":
                if depth < MAX_SITEMAP_DEPTH:
                    queue.extend((loc, depth + 1) for loc in sitemap.locs)
                else:
                    self.result.rejected.append(Rejected(f"sitemap index nested deeper than {MAX_SITEMAP_DEPTH}", url))
            else:
                pages.extend(loc for loc in map(_without_fragment, sitemap.locs) if self._wanted(loc))
        if queue:
            log.info("%s: stopped after %d sitemap files; %d not read", self.source.name, read, len(queue))
        return pages

    async def _fetch_sitemap(self, url: str, *, is_root: bool) -> Sitemap | None:
        self.visited.add(url)
        try:
            fetched = await self._get(url)
            sitemap = read_sitemap(fetched.body)
        except BudgetExceeded:
            raise  # the source's time is up: stop the run, not only this file
        except (FetchError, SourceFormatError) as exc:
            self.result.rejected.append(Rejected(f"sitemap could not be read: {exc}", url))
            if is_root:
                self.first_start_failure = self.first_start_failure or exc
            return None
        if is_root:
            self.start_points_read += 1
        return sitemap

    async def _fetch_page(self, url: str, *, start_point: bool) -> FetchResult | None:
        self.visited.add(url)
        self.pages_left -= 1
        try:
            return await self._get(url)
        except BudgetExceeded:
            raise
        except FetchError as exc:  # an expired job answers 404: the run goes on
            self.result.rejected.append(Rejected(f"page could not be fetched: {exc}", url))
            if start_point:
                self.first_start_failure = self.first_start_failure or exc
            return None

    async def _get(self, url: str) -> FetchResult:
        try:
            fetched = await self.fetcher.get(url)
        except (RobotsDisallowed, BudgetExceeded):
            raise  # refused before any request was sent
        except FetchError:
            self.result.requests += 1
            raise
        self.result.requests += 1
        return fetched

    def _reemit_known(self, url: str) -> bool:
        known = self.known_by_url.get(url)
        if not known:
            return False
        self.visited.add(url)
        self._emit(ParsedPage(postings=list(known)))
        return True

    def _emit(self, page: ParsedPage) -> None:
        self.result.rejected.extend(page.rejected)
        for posting in page.postings:
            if posting.source_id not in self.emitted_ids:  # one job reached through two URLs counts once
                self.emitted_ids.add(posting.source_id)
                self.result.postings.append(posting)

    def _wanted(self, url: str) -> bool:
        return url.startswith(("http://", "https://")) and (self.pattern is None or bool(self.pattern.search(url)))


def read_sitemap(body: Any) -> Sitemap:
    """A sitemap file (XML, or gzip of it) as its kind and `<loc>` URLs; SourceFormatError if it is neither kind."""
    if isinstance(body, str):
        body = body.encode("utf-8", errors="replace")
    if not isinstance(body, (bytes, bytearray)):
        raise SourceFormatError(f"a sitemap must be bytes, not {type(body).__name__}")
    body = bytes(body)
    if body[:2] == b"\x1f\x8b":
        body = _gunzip(body)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        try:
            soup = BeautifulSoup(body, "xml")
        except (ParserRejectedMarkup, ValueError) as exc:
            raise SourceFormatError(f"sitemap is not XML: {exc}") from None
    root = soup.find(True)
    name = root.name.split(":")[-1] if root is not None else ""
    if name not in ("urlset", "sitemapindex"):
        raise SourceFormatError(f"not a sitemap: the root element is <{name or 'nothing'}>, "
                                "expected <urlset> or <sitemapindex>")
    entry = "url" if name == "urlset" else "sitemap"
    locs = []
    for item in root.find_all(lambda tag: tag.name.split(":")[-1] == entry, recursive=False):
        loc = item.find(lambda tag: tag.name.split(":")[-1] == "loc")
        text = loc.get_text().strip() if loc is not None else ""
        if text:
            locs.append(text)
    return Sitemap("urlset" if name == "urlset" else "index", locs)


def same_host_links(page_html: str, page_url: str, pattern: re.Pattern[str] | None) -> list[str]:
    """Absolute links of a listing page to its own host (matching `pattern` when set), in page order."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        try:
            soup = BeautifulSoup(page_html.encode("utf-8", errors="replace").decode("utf-8"), "lxml")
        except (ParserRejectedMarkup, ValueError):
            return []
    base_tag = soup.find("base", href=True)
    base = page_url
    if base_tag is not None and isinstance(base_tag["href"], str):
        base = _join(page_url, base_tag["href"]) or page_url
    host = _host(page_url)
    links = []
    for anchor in soup.find_all("a", href=True):
        href = anchor["href"]
        url = _join(base, href) if isinstance(href, str) else ""
        if not url or _host(url) != host or url == _without_fragment(page_url):
            continue
        if url.startswith(("http://", "https://")) and (pattern is None or pattern.search(url)):
            links.append(url)
    return list(dict.fromkeys(links))


def page_text(fetched: FetchResult) -> str:
    """The page decoded by its declared charset (header, else `<meta>`), else a guess."""
    match = re.search(r"charset=[\"']?([\w.:-]+)", fetched.headers.get("content-type", ""), re.IGNORECASE)
    if match:
        try:
            return fetched.body.decode(match.group(1), errors="replace")
        except LookupError:
            pass
    return UnicodeDammit(fetched.body, is_html=True).unicode_markup or fetched.text


def _gunzip(body: bytes) -> bytes:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, MAX_SITEMAP_BYTES + 1)
    except zlib.error as exc:
        raise SourceFormatError(f"sitemap is not valid gzip: {exc}") from None
    if len(data) > MAX_SITEMAP_BYTES:
        raise SourceFormatError(f"sitemap is larger than {MAX_SITEMAP_BYTES} bytes uncompressed")
    return data


def _rebase(url: str, base_url: str | None) -> str:
    """`base_url` (tests, a local mirror) replaces a configured URL's scheme and host."""
    if not base_url:
        return url
    parts, base = urlsplit(url), urlsplit(base_url)
    return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, parts.fragment))


def _join(base: str, href: str) -> str:
    try:
        return _without_fragment(urljoin(base, href.strip()))
    except ValueError:  # e.g. an unclosed IPv6 host "http://[::1"
        return ""


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _without_fragment(url: str) -> str:
    try:
        return urldefrag(url).url
    except ValueError:
        return url
