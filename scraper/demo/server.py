"""The demo sources on 127.0.0.1: a `DemoCorpus` served under the real hosts' paths.

A source's `base_url` simply replaces the real host (boards-api.greenhouse.io, api.lever.co,
hn.algolia.com). Routes:

    GET /robots.txt                                   allow all
    GET /v1/boards/{token}                            Greenhouse board: {"name", "content"}
    GET /v1/boards/{token}/jobs[?content=true]        Greenhouse list (content/departments/offices only with content=true)
    GET /v1/boards/{token}/jobs/{id}                  Greenhouse single job (always with content)
    GET /v0/postings/{site}?mode=json[&skip=&limit=]  Lever list, offset paging; without mode=json an HTML list
    GET /v0/postings/{site}/{id}                      Lever single posting
    GET /api/v1/search_by_date?tags=&query=&page=&hitsPerPage=&numericFilters=   Algolia search, newest first
    GET /api/v1/items/{id}                            Algolia item with nested children

    with DemoServer(build_corpus()) as server:
        httpx.get(f"{server.base_url}/v0/postings/northloom", params={"mode": "json", "limit": 5})

Every body is serialized once when the server is built; a request only slices and joins bytes.
"""
from __future__ import annotations

import html
import json
import math
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from scraper.demo.corpus import DemoCorpus

JSON = "application/json; charset=utf-8"
_GREENHOUSE_CONTENT_ONLY = ("content", "departments", "offices")
_NUMERIC_FILTER = re.compile(r"^\s*(\w+)\s*(<=|>=|!=|<|>|=)\s*(-?\d+)\s*$")
_TAG_GROUP = re.compile(r"\([^)]*\)|[^,]+")
_WORD = re.compile(r"\w+")
_MARKUP = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str = JSON


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _error(status: int, value: dict[str, Any]) -> Response:
    return Response(status, _json(value))


NOT_FOUND = _error(404, {"status": 404, "error": "Not Found"})


@dataclass
class _SearchRecord:
    hit: dict[str, Any]
    body: bytes
    tags: frozenset[str]
    words: tuple[str, ...]


class DemoRoutes:
    """Maps (path, query) to a precomputed response. No sockets here, so it is easy to test alone."""

    def __init__(self, corpus: DemoCorpus):
        self.boards: dict[str, Response] = {}
        self.board_jobs: dict[str, tuple[Response, Response]] = {}  # (with content, without)
        self.board_job: dict[tuple[str, str], Response] = {}
        for token, board in corpus.greenhouse.items():
            jobs = board["jobs"]
            name = jobs[0]["company_name"] if jobs else token
            intro = _first_intro(jobs[0]["content"]) if jobs else ""
            self.boards[token] = Response(200, _json({"name": name, "content": intro}))
            plain = {**board, "jobs": [{k: v for k, v in job.items() if k not in _GREENHOUSE_CONTENT_ONLY}
                                       for job in jobs]}
            self.board_jobs[token] = (Response(200, _json(board)), Response(200, _json(plain)))
            for job in jobs:
                self.board_job[(token, str(job["id"]))] = Response(200, _json(job))
        self.lever_items: dict[str, list[bytes]] = {}
        self.lever_html: dict[str, Response] = {}
        self.lever_posting: dict[tuple[str, str], Response] = {}
        for site, postings in corpus.lever.items():
            self.lever_items[site] = [_json(p) for p in postings]
            self.lever_html[site] = Response(200, _lever_html(postings), "text/html; charset=utf-8")
            for posting, body in zip(postings, self.lever_items[site]):
                self.lever_posting[(site, posting["id"])] = Response(200, body)
        self.items: dict[str, Response] = {}
        for story in [*corpus.hn_threads, *corpus.hn_other_items]:
            self._index_item(story)
        records = [self._record(hit) for hit in [*corpus.hn_search_hits, *corpus.hn_comment_hits]]
        self.search_records = sorted(records, key=lambda r: r.hit["created_at_i"], reverse=True)

    def _index_item(self, item: dict[str, Any]) -> None:
        self.items[str(item["id"])] = Response(200, _json(item))
        for child in item["children"]:
            self._index_item(child)

    @staticmethod
    def _record(hit: dict[str, Any]) -> _SearchRecord:
        searchable = " ".join(str(hit.get(k) or "") for k in ("title", "story_text", "comment_text", "author", "url"))
        text = html.unescape(_MARKUP.sub(" ", searchable)).lower()
        return _SearchRecord(hit, _json(hit), frozenset(hit["_tags"]), tuple(sorted(set(_WORD.findall(text)))))

    # --- dispatch ---

    def handle(self, raw_path: str, accept: str = "") -> Response:
        parts = urlsplit(raw_path)
        path = unquote(parts.path).rstrip("/") or "/"
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        segments = path.strip("/").split("/")
        if path == "/robots.txt":
            return Response(200, b"User-agent: *\nAllow: /\n", "text/plain; charset=utf-8")
        if segments[:2] == ["v1", "boards"] and len(segments) in (3, 4, 5):
            return self.greenhouse(segments[2:], query)
        if segments[:2] == ["v0", "postings"] and len(segments) in (3, 4):
            return self.lever(segments[2:], query, accept)
        if path == "/api/v1/search_by_date":
            return self.search_by_date(query, parts.query)
        if segments[:3] == ["api", "v1", "items"] and len(segments) == 4:
            return self.items.get(segments[3], NOT_FOUND)
        return NOT_FOUND

    def greenhouse(self, segments: list[str], query: dict[str, str]) -> Response:
        token = segments[0]
        if token not in self.boards:
            return _error(404, {"status": 404, "error": "Job board not found"})
        if len(segments) == 1:
            return self.boards[token]
        if segments[1] != "jobs":
            return NOT_FOUND
        if len(segments) == 3:
            return self.board_job.get((token, segments[2]), _error(404, {"status": 404, "error": "Job not found"}))
        with_content, without = self.board_jobs[token]
        return with_content if query.get("content", "").lower() == "true" else without

    def lever(self, segments: list[str], query: dict[str, str], accept: str) -> Response:
        site = segments[0]
        if site not in self.lever_items:
            return _error(404, {"ok": False, "error": "Document not found"})
        if len(segments) == 2:
            return self.lever_posting.get((site, segments[1]), _error(404, {"ok": False, "error": "Document not found"}))
        if query.get("mode") != "json" and "application/json" not in accept:
            return self.lever_html[site]  # what the real API answers when mode=json is forgotten
        items = self.lever_items[site]
        try:
            skip = int(query.get("skip") or 0)
            limit = int(query["limit"]) if query.get("limit") else len(items)
        except ValueError:
            return _error(400, {"ok": False, "error": "skip and limit must be integers"})
        if skip < 0 or limit < 0:
            return _error(400, {"ok": False, "error": "skip and limit must not be negative"})
        return Response(200, b"[" + b",".join(items[skip:skip + limit]) + b"]")

    def search_by_date(self, query: dict[str, str], raw_query: str) -> Response:
        try:
            page = int(query.get("page") or 0)
            per_page = int(query.get("hitsPerPage") or 20)
            numeric = _numeric_filters(query.get("numericFilters", ""))
        except ValueError as exc:
            return _error(400, {"message": str(exc), "status": 400})
        if page < 0 or not 1 <= per_page <= 1000:
            return _error(400, {"message": "page must be >= 0 and hitsPerPage between 1 and 1000", "status": 400})
        groups = _tag_groups(query.get("tags", ""))
        terms = _WORD.findall(query.get("query", "").lower())
        matches = [r for r in self.search_records
                   if all(g & r.tags for g in groups)
                   and all(any(w.startswith(t) for w in r.words) for t in terms)
                   and all(_compare(r.hit.get(f), op, v) for f, op, v in numeric)]
        shown = matches[page * per_page:(page + 1) * per_page]
        meta = {"nbHits": len(matches), "page": page, "nbPages": math.ceil(len(matches) / per_page),
                "hitsPerPage": per_page, "exhaustiveNbHits": True, "exhaustiveTypo": True,
                "exhaustive": {"nbHits": True, "typo": True}, "query": query.get("query", ""),
                "params": raw_query, "processingTimeMS": 1, "serverTimeMS": 1}
        return Response(200, b'{"hits":[' + b",".join(r.body for r in shown) + b"]," + _json(meta)[1:])


def _first_intro(escaped_content: str) -> str:
    found = re.search(r'<div class="content-intro">(.*?)</div>', html.unescape(escaped_content), re.S)
    return found.group(1) if found else ""


def _lever_html(postings: list[dict[str, Any]]) -> bytes:
    rows = "".join(
        f'<div class="posting" data-qa-posting-id="{p["id"]}"><a class="posting-title" href="{p["hostedUrl"]}">'
        f'<h5 data-qa="posting-name">{html.escape(p["text"])}</h5></a></div>'
        for p in postings
    )
    return f'<div class="postings-group">{rows}</div>'.encode("utf-8")


def _tag_groups(value: str) -> list[frozenset[str]]:
    """Algolia tagFilters: comma = AND, a parenthesised comma list = OR."""
    groups = []
    for token in _TAG_GROUP.findall(value):
        token = token.strip()
        names = token[1:-1].split(",") if token.startswith("(") else [token]
        group = frozenset(n.strip() for n in names if n.strip())
        if group:
            groups.append(group)
    return groups


def _numeric_filters(value: str) -> list[tuple[str, str, int]]:
    filters = []
    for part in filter(str.strip, value.split(",")):
        found = _NUMERIC_FILTER.match(part)
        if not found:
            raise ValueError(f"invalid numericFilters: {part!r}")
        filters.append((found.group(1), found.group(2), int(found.group(3))))
    return filters


def _compare(actual: Any, op: str, expected: int) -> bool:
    if not isinstance(actual, (int, float)):
        return False
    return {"<": actual < expected, "<=": actual <= expected, ">": actual > expected,
            ">=": actual >= expected, "=": actual == expected, "!=": actual != expected}[op]


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._respond(self.server.routes.handle(self.path, self.headers.get("Accept", "")), head=False)

    def do_HEAD(self) -> None:  # noqa: N802
        self._respond(self.server.routes.handle(self.path, self.headers.get("Accept", "")), head=True)

    def _respond(self, response: Response, *, head: bool) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if not head:
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (signature of the base class)
        pass  # the demo runs inside a CLI whose output must stay readable


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    routes: DemoRoutes

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # a client that hung up early is not our error
        super().handle_error(request, client_address)


class DemoServer:
    """The demo corpus over real HTTP on a free port of 127.0.0.1, in a daemon thread."""

    def __init__(self, corpus: DemoCorpus, host: str = "127.0.0.1", port: int = 0):
        self.routes = DemoRoutes(corpus)
        self.host, self.port = host, port
        self.base_url = ""
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> "DemoServer":
        if self._server is not None:
            raise RuntimeError("demo server already started")
        server = _Server((self.host, self.port), _Handler)
        server.routes = self.routes
        self.port = server.server_address[1]
        self.base_url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="jobtrends-demo-server", daemon=True)
        self._server = server
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> "DemoServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
