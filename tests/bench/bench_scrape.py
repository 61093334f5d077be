"""Benchmark the whole scrape path against a bare httpx loop, on 10,000 pages from a local server.

    .venv/bin/python tests/bench/bench_scrape.py [--listings 100] [--per-listing 99] [--connections 8]
                                                 [--runs 3] [--rate 50]

A server in its own process (asyncio, HTTP/1.1 keep-alive, pages rendered up front) serves
`--listings` listing pages of `--per-listing` jobs each, with next-page links, and one ~2 KB detail page
per job: 100 + 9,900 = 10,000 pages by default, plus robots.txt.

Per run, on one event loop in this process:
* bare loop: an `httpx.AsyncClient` with `--connections` connections fetching the same 10,000 URLs
  (listing URLs first, then details), reading every body, nothing else;
* full scrape: `scraper.collect.scrape_sources` with one `kind: html` source over the same site, with
  politeness limits lifted (no minimum interval, `--connections` connections per host; robots.txt still
  read): fetch layer, listing and detail parsing, raw store (gzip JSONL, atomic write) and runs log.
Prints pages/s of each (median of `--runs`, alternating which goes first) and their ratio. Then a
rate-limited scrape (`--rate` requests/s per host, 6 seconds' worth of pages) checks that the measured
request rate never exceeds the limit: the server records each request's arrival time, and the densest
one-second window is reported.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from scraper.collect import scrape_sources  # noqa: E402
from scraper.rawstore import RawStore  # noqa: E402
from scraper.settings import FetchSettings, HtmlListingSource, SmartRecruitersSource  # noqa: E402

FILLER = ("We train and ship ranking models in Python and SQL, review experiments with product managers, and "
          "write clear design documents. ")


def listing_page(page: int, listings: int, per_listing: int) -> bytes:
    items = "".join(
        f'<li class="job"><a href="/job/{page * per_listing + i}">ML Engineer {page * per_listing + i}</a>'
        f'<span class="company">Acme {i % 7}</span><span class="loc">Berlin, Germany</span>'
        f'<time datetime="2026-11-{1 + i % 28:02d}">Nov</time></li>'
        for i in range(per_listing)
    )
    nxt = f'<a class="next" href="/jobs?page={page + 1}">next</a>' if page + 1 < listings else ""
    return f"<html><body><ul>{items}</ul>{nxt}</body></html>".encode()


def detail_page(job: int) -> bytes:
    body = "".join(f"<p>{FILLER}</p>" for _ in range(15))
    return (f"<html><head><title>Job {job}</title></head><body><h1>ML Engineer {job}</h1>"
            f'<div class="description">{body}</div></body></html>').encode()


SR_LIST = "/v1/companies/bench/postings"


def sr_list_page(offset: int, total: int, page_size: int) -> bytes:
    """A SmartRecruiters-shaped list page (scraper/sources/smartrecruiters.py)."""
    content = [{"id": str(100000 + n), "name": f"ML Engineer {n}", "releasedDate": "2026-11-02T10:00:00.000Z",
                "company": {"identifier": "bench", "name": "Bench Corp"},
                "location": {"city": "Berlin", "country": "de", "remote": False, "hybrid": True,
                             "fullLocation": "Berlin, Germany"},
                "typeOfEmployment": {"id": "permanent", "label": "Full-time"}}
               for n in range(offset, min(offset + page_size, total))]
    return json.dumps({"offset": offset, "limit": page_size, "totalFound": total, "content": content}).encode()


def sr_detail(n: int) -> bytes:
    text = "".join(f"<p>{FILLER}</p>" for _ in range(5))
    return json.dumps({
        "id": str(100000 + n), "name": f"ML Engineer {n}", "releasedDate": "2026-11-02T10:00:00.000Z",
        "company": {"identifier": "bench", "name": "Bench Corp"},
        "location": {"city": "Berlin", "country": "de", "remote": False, "hybrid": True, "fullLocation": "Berlin, Germany"},
        "postingUrl": f"https://jobs.smartrecruiters.com/bench/{100000 + n}",
        "typeOfEmployment": {"id": "permanent", "label": "Full-time"},
        "jobAd": {"sections": {"jobDescription": {"title": "Job Description", "text": text},
                               "qualifications": {"title": "Qualifications", "text": text},
                               "additionalInformation": {"title": "Additional Information", "text": "<p>Benefits.</p>"}}},
    }).encode()


def serve(port_queue, listings: int, per_listing: int) -> None:
    """A minimal asyncio HTTP/1.1 keep-alive server with every page rendered up front.

    http.server manages about 180 pages/s here, which would make the server the bottleneck of both
    loops; this one answers several thousand a second, so the client side is what is measured.
    """
    pages = {"/robots.txt": b"User-agent: *\nAllow: /\n"}
    for page in range(listings):
        pages[f"/jobs?page={page}"] = listing_page(page, listings, per_listing)
    for job in range(listings * per_listing):
        pages[f"/job/{job}"] = detail_page(job)
    total = listings * per_listing
    sr_pages = {offset: sr_list_page(offset, total, 100) for offset in range(0, total, 100)}
    for n in range(total):
        pages[f"{SR_LIST}/{100000 + n}"] = sr_detail(n)
    arrivals: list[float] = []

    def response(status: str, body: bytes, content_type: str = "text/html; charset=utf-8") -> bytes:
        head = (f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
                "Connection: keep-alive\r\n\r\n")
        return head.encode() + body

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                arrivals.append(time.monotonic())
                path = head.split(b" ", 2)[1].decode()
                if path == "/arrivals":
                    writer.write(response("200 OK", json.dumps(arrivals).encode(), "application/json"))
                    arrivals.clear()
                elif path in pages:
                    writer.write(response("200 OK", pages[path]))
                elif path.startswith(SR_LIST + "?"):
                    query = dict(part.split("=", 1) for part in path.split("?", 1)[1].split("&"))
                    body = sr_pages.get(int(query.get("offset", "0")), sr_list_page(total, total, 100))
                    writer.write(response("200 OK", body, "application/json"))
                else:
                    writer.write(response("404 Not Found", b"not found"))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port_queue.put(server.sockets[0].getsockname()[1])
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def all_urls(shape: str, base: str, listings: int, per_listing: int) -> list[str]:
    total = listings * per_listing
    if shape == "json":
        return ([f"{base}{SR_LIST}?limit=100&offset={o}" for o in range(0, total, 100)]
                + [f"{base}{SR_LIST}/{100000 + n}" for n in range(total)])
    return [f"{base}/jobs?page={p}" for p in range(listings)] + [f"{base}/job/{j}" for j in range(total)]


async def bare_loop(urls: list[str], connections: int) -> float:
    queue: asyncio.Queue[str] = asyncio.Queue()
    for url in urls:
        queue.put_nowait(url)
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits) as client:
        async def worker():
            while not queue.empty():
                url = queue.get_nowait()
                response = await client.get(url)
                response.read()

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        return time.perf_counter() - start


def html_source(base: str, listings: int, per_listing: int) -> HtmlListingSource:
    return HtmlListingSource(
        name="bench", kind="html", start_url=f"{base}/jobs?page=0", company="Acme",
        max_pages=listings, max_details=listings * per_listing,
        selectors={"item": "li.job", "link": "a", "company": ".company", "location": ".loc", "date": "time",
                   "next_page": "a.next", "description": ".description"},
    )


def json_source(base: str, listings: int, per_listing: int) -> SmartRecruitersSource:
    return SmartRecruitersSource(name="bench", kind="smartrecruiters", company_id="bench", base_url=base,
                                 max_postings=listings * per_listing)


async def full_scrape(shape: str, base: str, listings: int, per_listing: int, settings: FetchSettings,
                      data_dir: Path):
    store = RawStore(data_dir)
    source = (json_source if shape == "json" else html_source)(base, listings, per_listing)
    start = time.perf_counter()
    runs = await scrape_sources([source], settings, store)
    seconds = time.perf_counter() - start
    return seconds, runs[0]


def densest_second(arrivals: list[float]) -> int:
    arrivals = sorted(arrivals)
    best, lo = 0, 0
    for hi, t in enumerate(arrivals):
        while t - arrivals[lo] >= 1.0:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--listings", type=int, default=100)
    parser.add_argument("--per-listing", type=int, default=99)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--shape", nargs="+", choices=["json", "html"], default=["json", "html"])
    args = parser.parse_args()

    ports: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(ports, args.listings, args.per_listing), daemon=True)
    server.start()
    base = f"http://127.0.0.1:{ports.get(timeout=60)}"
    lifted = FetchSettings(min_interval_seconds=0, max_connections_per_host=args.connections, max_retries=0,
                           conditional_requests=False, timeout_seconds=30)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for shape in args.shape:
                urls = all_urls(shape, base, args.listings, args.per_listing)
                pages = len(urls)
                bare, full = [], []
                for run in range(args.runs):
                    order = ["bare", "full"] if run % 2 == 0 else ["full", "bare"]
                    for which in order:
                        if which == "bare":
                            bare.append(asyncio.run(bare_loop(urls, args.connections)))
                            continue
                        seconds, result = asyncio.run(full_scrape(shape, base, args.listings, args.per_listing,
                                                                  lifted, Path(tmp) / f"{shape}-{run}"))
                        if result.status != "ok" or result.postings != args.listings * args.per_listing:
                            print(f"full scrape incomplete: {result}", file=sys.stderr)
                            return 1
                        full.append(seconds)
                bare_s, full_s = statistics.median(bare), statistics.median(full)
                kind = "SmartRecruiters-shaped JSON list + detail" if shape == "json" else "HTML listing + detail (kind html, beautifulsoup4)"
                print(f"[{shape}] {kind}: {pages} pages, {args.connections} connections, median of {args.runs}")
                print(f"  bare httpx loop   {pages / bare_s:8.0f} pages/s  (runs: {', '.join(f'{pages / t:.0f}' for t in bare)})")
                print(f"  full scrape       {pages / full_s:8.0f} pages/s  (runs: {', '.join(f'{pages / t:.0f}' for t in full)})")
                print(f"  ratio full/bare   {bare_s / full_s:8.2f}")

            # politeness: N requests/s per host is never exceeded
            listings = max(1, int(args.rate * 6 / (args.per_listing + 1)))
            limited = lifted.model_copy(update={"min_interval_seconds": 1.0 / args.rate})
            httpx.get(f"{base}/arrivals")  # clears the server's record
            seconds, result = asyncio.run(full_scrape("html", base, listings, args.per_listing, limited,
                                                      Path(tmp) / "limited"))
            arrivals = json.loads(httpx.get(f"{base}/arrivals").text)[:-1]  # not this request itself
            peak = densest_second(arrivals)
            span = max(arrivals) - min(arrivals)
            print(f"rate limit {args.rate:.0f}/s: {len(arrivals)} requests in {span:.2f} s = "
                  f"{(len(arrivals) - 1) / span:.1f}/s on average; densest 1-second window {peak} requests "
                  f"({'within' if peak <= args.rate else 'OVER'} the limit)")
    finally:
        server.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
