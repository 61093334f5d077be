"""`jobtrends backfill hn` against a local Algolia stand-in serving months of threads built from real payloads."""
from __future__ import annotations

import asyncio
import copy
import gzip
import json
import math
import signal
import subprocess
import sys
import threading
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner
from werkzeug import Request, Response

from pipeline.cli import app
from scraper.backfill import BackfillError, parse_since, run_backfill, stored_thread_ids
from scraper.collect import scrape_sources
from scraper.rawstore import RawStore
from scraper.settings import FetchSettings, HackerNewsSource
from scraper.sources import hackernews
from tests.conftest import load_fixture

JOBTRENDS = Path(sys.executable).parent / "jobtrends"
SEARCH = load_fixture("hn-search-page0.json")  # the real hiring threads of March to September 2023
THREAD = load_fixture("hn-items-2396027.json")  # a real thread (April 2011): 12 top-level posts
POSTS_PER_THREAD = sum(1 for c in THREAD["children"] if c.get("text") and c.get("author"))
SINCE = "2023-05"
runner = CliRunner()


def _siblings() -> list[dict]:
    """The account's other monthly stories, which are not hiring threads."""
    newest = SEARCH["hits"][0]
    wanted = {**copy.deepcopy(newest), "objectID": "37351668",
              "title": "Ask HN: Who wants to be hired? (September 2023)"}
    freelance = {**copy.deepcopy(newest), "objectID": "37351669",
                 "title": "Ask HN: Freelancer? Seeking freelancer? (September 2023)"}
    return [wanted, freelance]


def _thread_payload(hit: dict) -> dict:
    """The recorded April 2011 thread, moved to `hit`: its id, title and month, with fresh comment ids."""
    story = copy.deepcopy(THREAD)
    thread_id = int(hit["objectID"])
    posted = datetime.fromisoformat(hit["created_at"].replace("Z", "+00:00"))
    story.update(id=thread_id, title=hit["title"], created_at=hit["created_at"], created_at_i=hit["created_at_i"])
    for number, comment in enumerate(story["children"], start=1):
        when = posted + timedelta(minutes=number)
        comment.update(id=thread_id + number, parent_id=thread_id, story_id=thread_id,
                       created_at=when.strftime("%Y-%m-%dT%H:%M:%S.000Z"), created_at_i=int(when.timestamp()))
    return story


class FakeAlgolia:
    """search_by_date with Algolia's numericFilters and page/hitsPerPage/nbPages, and items/{id}."""

    def __init__(self, server, hits: list[dict]):
        self.server = server
        self.hits = sorted(hits, key=lambda h: -h["created_at_i"])  # search_by_date: newest first
        self.payloads = {int(h["objectID"]): _thread_payload(h) for h in hits}
        server.expect_request("/api/v1/search_by_date").respond_with_handler(self.search)
        for thread_id, payload in self.payloads.items():
            self.serve(thread_id, lambda request, payload=payload: _json(payload))

    def serve(self, thread_id: int, handler) -> None:
        self.server.expect_request(f"/api/v1/items/{thread_id}").respond_with_handler(handler)

    def search(self, request: Request) -> Response:
        args = request.args
        assert args["tags"] == "story,author_whoishiring"
        field, minimum = args.get("numericFilters", "created_at_i>=0").split(">=")  # the monthly scrape has none
        assert field == "created_at_i"
        hits = [h for h in self.hits if h["created_at_i"] >= int(minimum)]
        per_page, page = int(args.get("hitsPerPage", 20)), int(args.get("page", 0))
        return _json({"hits": hits[page * per_page:(page + 1) * per_page], "nbHits": len(hits), "page": page,
                      "nbPages": math.ceil(len(hits) / per_page), "hitsPerPage": per_page})

    def item_requests(self) -> list[int]:
        return [int(r.path.rsplit("/", 1)[1]) for r, _ in self.server.log if r.path.startswith("/api/v1/items/")]


def _json(payload) -> Response:
    return Response(json.dumps(payload), content_type="application/json")


@pytest.fixture
def algolia(allow_robots) -> FakeAlgolia:
    return FakeAlgolia(allow_robots, [*copy.deepcopy(SEARCH["hits"]), *_siblings()])


def threads_since(month: str) -> list[dict]:
    """The recorded hiring threads from `month` on, oldest first."""
    year, number = map(int, month.split("-"))
    keep = [h for h in SEARCH["hits"] if hackernews.thread_month(h["title"]) >= (year, number)]
    return sorted(keep, key=lambda h: h["created_at_i"])


def hn_source(server, **extra) -> HackerNewsSource:
    return HackerNewsSource(name="hn", kind="hn", base_url=server.url_for("/"), hits_per_page=2, **extra)


def settings() -> FetchSettings:
    return FetchSettings(min_interval_seconds=0, max_retries=1, backoff_seconds=0, timeout_seconds=5)


def backfill(server, data_dir: Path, since: str = SINCE):
    return asyncio.run(run_backfill(settings(), hn_source(server), parse_since(since), RawStore(data_dir)))


def write_config(tmp_path: Path, server, sources: list[dict] | None = None) -> Path:
    body = {
        "data_dir": str(tmp_path / "data"),
        "fetch": {"min_interval_seconds": 0, "max_retries": 1, "backoff_seconds": 0, "timeout_seconds": 5},
        "sources": sources if sources is not None else [
            {"name": "gh", "kind": "greenhouse", "board_token": "x", "base_url": server.url_for("/")},
            {"name": "hn-history", "kind": "hn", "base_url": server.url_for("/"), "hits_per_page": 2},
        ],
    }
    path = tmp_path / "jobtrends.yaml"
    path.write_text(yaml.safe_dump(body))
    return path


def backfill_files(data_dir: Path, source: str = "hn") -> list[Path]:
    return sorted((data_dir / "raw" / source).glob("backfill-hn-*[0-9].jsonl.gz"))


def rows_of(paths) -> list[dict]:
    rows = []
    for path in paths:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            rows.extend(json.loads(line) for line in handle if line.strip())
    return rows


# --- what gets stored -------------------------------------------------------------------------

def test_stores_every_hiring_thread_since_the_month_once_oldest_first(algolia, tmp_path):
    summary = backfill(algolia.server, tmp_path)
    expected = threads_since(SINCE)
    assert len(expected) == 5
    assert [t.id for t in summary.found] == [int(h["objectID"]) for h in expected]
    assert algolia.item_requests() == [int(h["objectID"]) for h in expected]  # oldest first, each once
    files = backfill_files(tmp_path)
    labels = [f"2023-{m:02d}" for m in range(5, 10)]
    assert [f.name for f in files] == [f"backfill-hn-{label}-{h['objectID']}.jsonl.gz"
                                       for label, h in zip(labels, expected)]
    rows = rows_of(files)
    assert len(rows) == 5 * POSTS_PER_THREAD == summary.postings
    assert not [sid for sid, n in Counter(r["source_id"] for r in rows).items() if n > 1]
    # the search was paged (2 hits a page) with the time filter, from a little before the month
    searches = [r for r, _ in algolia.server.log if r.path == "/api/v1/search_by_date"]
    assert len(searches) > 2 and {r.args["page"] for r in searches} >= {"0", "1", "2"}
    start = int(searches[0].args["numericFilters"].split(">=")[1])
    assert datetime(2023, 4, 20, tzinfo=timezone.utc) < datetime.fromtimestamp(start, timezone.utc) <= datetime(
        2023, 5, 1, tzinfo=timezone.utc)
    runs = RawStore(tmp_path).read_runs()
    assert [(r["run_id"], r["kind"], r["status"], r["postings"]) for r in runs] == [
        (f.name.removesuffix(".jsonl.gz"), "hn", "ok", POSTS_PER_THREAD) for f in files]


def test_threads_before_since_and_other_stories_are_ignored(algolia, tmp_path):
    backfill(algolia.server, tmp_path)
    requested = set(algolia.item_requests())
    too_old = {int(h["objectID"]) for h in SEARCH["hits"]} - {int(h["objectID"]) for h in threads_since(SINCE)}
    assert too_old == {34983767, 35424807}  # March and April 2023
    assert not requested & too_old
    assert not requested & {37351668, 37351669}  # "Who wants to be hired?", "Freelancer?"


def test_postings_keep_the_comment_time_and_are_open_until_the_month_ends(algolia, tmp_path):
    from pipeline.clean import clean_postings, drop_exact_duplicates, raw_frame

    backfill(algolia.server, tmp_path, since="2023-09")
    payload = algolia.payloads[37351667]
    rows = rows_of(backfill_files(tmp_path))
    first = next(r for r in rows if r["source_id"] == str(payload["children"][0]["id"]))
    assert first["posted_at"] == "2023-09-01T15:01:25+00:00"  # the comment's created_at
    assert first["payload"]["story_id"] == 37351667 and first["payload"]["thread_title"] == payload["title"]
    postings = drop_exact_duplicates(clean_postings(raw_frame(rows)))
    assert set(postings["week"]) == {"2023-W35"}
    # the pipeline's "active until" is the end of the thread's month, not the day of the backfill
    assert set(postings["last_seen_at"]) == {datetime(2023, 9, 30, 23, 59, 59, tzinfo=timezone.utc)}


def test_second_run_stores_nothing_new(algolia, tmp_path):
    backfill(algolia.server, tmp_path)
    files = {p: p.read_bytes() for p in (tmp_path / "raw").rglob("*") if p.is_file()}
    runs = RawStore(tmp_path).read_runs()
    algolia.server.clear_log()
    summary = backfill(algolia.server, tmp_path)
    assert len(summary.skipped) == 5 and summary.outcomes == [] and summary.postings == 0
    assert algolia.item_requests() == []
    assert {p: p.read_bytes() for p in (tmp_path / "raw").rglob("*") if p.is_file()} == files
    assert RawStore(tmp_path).read_runs() == runs


def test_thread_stored_by_the_regular_scrape_is_skipped(algolia, tmp_path):
    store = RawStore(tmp_path)
    regular = asyncio.run(scrape_sources([hn_source(algolia.server, months=1)], settings(), store))
    assert regular[0].status == "ok" and regular[0].postings == POSTS_PER_THREAD  # September's thread
    assert stored_thread_ids(store, "hn") >= {37351667}
    algolia.server.clear_log()
    summary = backfill(algolia.server, tmp_path)
    assert [t.id for t in summary.skipped] == [37351667]
    assert 37351667 not in algolia.item_requests() and len(algolia.item_requests()) == 4
    rows = rows_of(store.raw_files())
    assert not [sid for sid, n in Counter(r["source_id"] for r in rows).items() if n > 1]


def test_failing_thread_is_recorded_and_the_others_kept(algolia, tmp_path):
    june, july = 36152014, 36573871
    algolia.server.clear_all_handlers()
    algolia.server.expect_request("/robots.txt").respond_with_data("User-agent: *\nAllow: /\n")
    algolia.server.expect_request(f"/api/v1/items/{june}").respond_with_data("busy", status=503)
    algolia.server.expect_request(f"/api/v1/items/{july}").respond_with_data("<html>oops</html>")
    FakeAlgolia(algolia.server, algolia.hits)  # the other threads as before
    config = write_config(tmp_path, algolia.server)

    result = runner.invoke(app, ["backfill", "hn", "--since", SINCE, "--config", str(config)])
    assert result.exit_code == 1, result.output
    assert "HTTP 503 after 2 attempts" in result.output and "not valid JSON" in result.output
    data = tmp_path / "data"
    assert len(backfill_files(data, "hn-history")) == 3
    runs = RawStore(data).read_runs()
    failed = {r["run_id"]: (r["error_class"], r["requests"]) for r in runs if r["status"] == "failed"}
    assert failed == {f"backfill-hn-2023-06-{june}": ("HTTPStatusFailure", 2),  # one retry
                      f"backfill-hn-2023-07-{july}": ("BadPayload", 1)}
    assert "threads found" in result.output and "postings written" in result.output
    assert all(r["source"] == "hn-history" and r["kind"] == "hn" for r in runs)

    algolia.server.clear_all_handlers()  # the API is back: the next run fetches just the two
    algolia.server.expect_request("/robots.txt").respond_with_data("User-agent: *\nAllow: /\n")
    FakeAlgolia(algolia.server, algolia.hits)
    algolia.server.clear_log()
    result = runner.invoke(app, ["backfill", "hn", "--since", SINCE, "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert sorted(algolia.item_requests()) == [june, july]
    assert len(backfill_files(data, "hn-history")) == 5
    assert len(rows_of(backfill_files(data, "hn-history"))) == 5 * POSTS_PER_THREAD


def test_search_failure_is_recorded_and_exits_1(allow_robots, tmp_path):
    allow_robots.expect_request("/api/v1/search_by_date").respond_with_data("down", status=500)
    config = write_config(tmp_path, allow_robots)
    result = runner.invoke(app, ["backfill", "hn", "--since", SINCE, "--config", str(config)])
    assert result.exit_code == 1 and "could not list the hiring threads" in result.output
    (run,) = RawStore(tmp_path / "data").read_runs()
    assert run["status"] == "failed" and run["run_id"].startswith("backfill-hn-search-")


def test_killed_between_raw_file_and_runs_row_is_repaired_not_refetched(algolia, tmp_path):
    backfill(algolia.server, tmp_path)
    store = RawStore(tmp_path)
    runs = store.read_runs()
    store.runs_path.write_text("".join(json.dumps(r) + "\n" for r in runs[:-1]))  # the last row never written
    stale = tmp_path / "raw" / "hn" / ".backfill-hn-2023-10-99.jsonl.gz.x1y2.tmp"  # a write cut by kill -9
    stale.write_bytes(b"half")
    algolia.server.clear_log()
    summary = backfill(algolia.server, tmp_path)
    assert summary.runs_repaired == 1 and summary.outcomes == [] and algolia.item_requests() == []
    repaired = store.read_runs()[-1]
    assert repaired["run_id"] == runs[-1]["run_id"]
    assert (repaired["status"], repaired["postings"]) == ("ok", POSTS_PER_THREAD)
    assert not stale.exists()


def test_one_backfill_per_source_at_a_time(algolia, tmp_path):
    from scraper.backfill import backfill_lock

    config = write_config(tmp_path, algolia.server)
    with backfill_lock(RawStore(tmp_path / "data"), "hn-history"):
        result = runner.invoke(app, ["backfill", "hn", "--since", SINCE, "--config", str(config)])
    assert result.exit_code == 3 and "another backfill" in result.output
    assert algolia.item_requests() == []


# --- usage errors -----------------------------------------------------------------------------

@pytest.mark.parametrize("since, message", [
    ("2011-03", "April 2011"), ("2010-12", "April 2011"), ("2023-13", "YYYY-MM"), ("May 2023", "YYYY-MM"),
    ("2999-01", "future"),
])
def test_bad_since_is_a_usage_error(tmp_path, since, message):
    config = write_config(tmp_path, None, sources=[{"name": "hn", "kind": "hn"}])
    result = runner.invoke(app, ["backfill", "hn", "--since", since, "--config", str(config)])
    assert result.exit_code == 2 and message in result.output
    assert not (tmp_path / "data").exists()


def test_earliest_month_is_april_2011():
    assert parse_since("2011-04") == date(2011, 4, 1)
    with pytest.raises(BackfillError):
        parse_since("2011-03")


@pytest.mark.parametrize("sources, option, message", [
    ([{"name": "gh", "kind": "greenhouse", "board_token": "x"}], [], "no source of kind hn"),
    ([{"name": "gh", "kind": "greenhouse", "board_token": "x"}], ["--source", "gh"], "not hn"),
    ([{"name": "hn", "kind": "hn"}], ["--source", "nope"], "no source named"),
])
def test_source_must_be_a_configured_hn_source(tmp_path, sources, option, message):
    config = write_config(tmp_path, None, sources=sources)
    result = runner.invoke(app, ["backfill", "hn", "--since", SINCE, "--config", str(config), *option])
    assert result.exit_code == 2 and message in result.output


def test_thread_month_reads_the_title():
    assert hackernews.thread_month("Ask HN: Who is Hiring? (April 2011)") == (2011, 4)
    assert hackernews.thread_month("Ask HN: Who is hiring? (September 2023)  ") == (2023, 9)
    assert hackernews.thread_month("Ask HN: Who wants to be hired? (September 2023)") is None
    assert hackernews.thread_month("Ask HN: Who is hiring? (Smarch 2023)") is None


# --- resume after the process dies --------------------------------------------------------------

@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["kill-9", "ctrl-c"])
def test_resume_after_being_killed_stores_every_thread_once(algolia, tmp_path, sig):
    expected = [int(h["objectID"]) for h in threads_since(SINCE)]
    third = expected[2]
    reached, release = threading.Event(), threading.Event()

    def blocking(request: Request) -> Response:
        reached.set()
        release.wait(timeout=30)
        return _json(algolia.payloads[third])

    algolia.server.clear_all_handlers()
    algolia.server.expect_request("/robots.txt").respond_with_data("User-agent: *\nAllow: /\n")
    algolia.serve(third, blocking)  # registered first: it wins over FakeAlgolia's handler for the thread
    FakeAlgolia(algolia.server, algolia.hits)
    config = write_config(tmp_path, algolia.server)
    data = tmp_path / "data"
    command = [str(JOBTRENDS), "backfill", "hn", "--since", SINCE, "--config", str(config)]

    first = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # The third thread is asked for only after the second is stored (threads go one at a time).
        assert reached.wait(timeout=15), first.communicate(timeout=5)
        assert len(backfill_files(data, "hn-history")) == 2
        first.send_signal(sig)
        out, err = first.communicate(timeout=10)
    finally:
        release.set()
        if first.poll() is None:
            first.kill()
            first.wait()
    if sig == signal.SIGKILL:
        assert first.returncode == -signal.SIGKILL
    else:
        assert first.returncode == 130 and "interrupted after storing 2 threads" in err
    assert len(backfill_files(data, "hn-history")) == 2

    second = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert second.returncode == 0, second.stderr
    assert "5 hiring threads found, 2 already stored, 3 to fetch" in second.stderr
    files = backfill_files(data, "hn-history")
    assert [int(f.name.removesuffix(".jsonl.gz").rsplit("-", 1)[1]) for f in files] == expected
    rows = rows_of(files)
    assert len(rows) == 5 * POSTS_PER_THREAD
    assert not [sid for sid, n in Counter(r["source_id"] for r in rows).items() if n > 1]
    assert list(data.rglob("*.tmp")) == []
    runs = RawStore(data).read_runs()
    ok_runs = sorted(r["run_id"] for r in runs if r["status"] == "ok")
    assert ok_runs == sorted(f.name.removesuffix(".jsonl.gz") for f in files)  # one row per thread
    assert Counter(algolia.item_requests())[expected[0]] == 1  # the first thread was never fetched again
