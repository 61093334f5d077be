"""Validator store for conditional GETs: url -> (ETag / Last-Modified, headers, body), one gzip file per URL.

Why not hishel (an RFC 9111 cache for httpx): we do not want a *cache* (freshness, Vary, serving stored
responses without asking) but only revalidation, with the 304 counted per source and the body still subject
to the fetcher's streaming size cap; hishel's transport sits below that cap and its storage is not ours to
bound. What we need fits here: atomic writes (temp file + rename), a size cap when reading an entry back
(a corrupt or tampered file can not inflate into memory), and a corrupt entry ignored and deleted.

File layout: gzip( JSON metadata line + b"\\n" + body ), named sha256(url).gz.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

# Headers that describe the transfer, not the content: meaningless once the body is stored decoded.
TRANSFER_HEADERS = frozenset({"content-length", "content-encoding", "transfer-encoding", "connection"})


@dataclass(frozen=True)
class StoredResponse:
    url: str
    etag: str | None
    last_modified: str | None
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def validators(self) -> dict[str, str]:
        """The request headers that ask the server whether this body is still current."""
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


class ValidatorStore:
    """On-disk store of the last 200 response of each URL that carried ETag and/or Last-Modified."""

    def __init__(self, directory: Path, *, max_body_bytes: int):
        self.directory = Path(directory)
        self.max_body_bytes = max_body_bytes

    def path_for(self, url: str) -> Path:
        return self.directory / f"{hashlib.sha256(url.encode('utf-8')).hexdigest()}.gz"

    def load(self, url: str) -> StoredResponse | None:
        path = self.path_for(url)
        try:
            with gzip.open(path, "rb") as handle:
                # metadata line + body + 1 byte to tell "over the cap" from "exactly at it"
                raw = handle.read(self.max_body_bytes + 64 * 1024 + 1)
            meta_line, sep, body = raw.partition(b"\n")
            if not sep or len(body) > self.max_body_bytes:
                raise ValueError("entry truncated or over the size cap")
            meta = json.loads(meta_line)
            if meta.get("url") != url:
                raise ValueError("entry belongs to another URL")
            return StoredResponse(
                url=url,
                etag=meta.get("etag"),
                last_modified=meta.get("last_modified"),
                headers=dict(meta.get("headers") or {}),
                body=body,
            )
        except FileNotFoundError:
            return None
        except (OSError, EOFError, zlib.error, ValueError, TypeError, AttributeError) as exc:
            log.warning("ignoring corrupt conditional-request entry %s for %s: %s", path.name, url, exc)
            self.delete(url)
            return None

    def save(self, entry: StoredResponse) -> None:
        if len(entry.body) > self.max_body_bytes:
            return
        meta = {
            "url": entry.url,
            "etag": entry.etag,
            "last_modified": entry.last_modified,
            "headers": {k: v for k, v in entry.headers.items() if k.lower() not in TRANSFER_HEADERS},
        }
        self.directory.mkdir(parents=True, exist_ok=True)
        final = self.path_for(entry.url)
        fd, tmp_name = tempfile.mkstemp(dir=self.directory, prefix=final.stem, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) as handle:
                handle.write(json.dumps(meta, ensure_ascii=True).encode("ascii") + b"\n")
                handle.write(entry.body)
            os.replace(tmp_name, final)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise

    def delete(self, url: str) -> None:
        self.path_for(url).unlink(missing_ok=True)
