"""Scrape orchestration: raw files, runs log, a failing source does not stop the others."""
from __future__ import annotations

import asyncio
import gzip
import json

from scraper.collect import scrape_sources
from scraper.rawstore import RawStore
from scraper.settings import GreenhouseSource, LeverSource
from tests.conftest import load_fixture


def test_failing_source_is_recorded_and_others_go_on(allow_robots, fast_settings, tmp_path):
    allow_robots.expect_request("/v1/boards/github/jobs").respond_with_json(load_fixture("greenhouse-github-2018.json"))
    allow_robots.expect_request("/v0/postings/broken").respond_with_data("<html>oops</html>", status=500)
    allow_robots.expect_request("/v0/postings/quiet").respond_with_json([])
    base = allow_robots.url_for("/")
    sources = [
        GreenhouseSource(name="gh", kind="greenhouse", board_token="github", base_url=base),
        LeverSource(name="broken", kind="lever", site="broken", base_url=base),
        LeverSource(name="quiet", kind="lever", site="quiet", base_url=base),
    ]
    store = RawStore(tmp_path)
    settings = fast_settings.model_copy(update={"backoff_seconds": 0, "max_retries": 1})
    runs = asyncio.run(scrape_sources(sources, settings, store))
    by_name = {r.source: r for r in runs}
    assert by_name["gh"].status == "ok" and by_name["gh"].postings == 4
    assert by_name["broken"].status == "failed"
    assert by_name["broken"].error_class == "HTTPStatusFailure" and "500" in by_name["broken"].error
    assert by_name["quiet"].status == "empty" and by_name["quiet"].postings == 0

    # raw file: gzip JSONL, one line per posting, with the run's fetched_at
    raw = tmp_path / by_name["gh"].raw_file
    lines = [json.loads(l) for l in gzip.open(raw, "rt")]
    assert len(lines) == 4 and all(l["fetched_at"] and l["source"] == "gh" for l in lines)
    assert lines[0]["payload"]["id"] == 712339
    assert not list(tmp_path.rglob("*.tmp"))

    # runs log: one row per source per run, appended on the next run
    assert len(store.read_runs()) == 3
    asyncio.run(scrape_sources(sources[:1], settings, store))
    rows = store.read_runs()
    assert len(rows) == 4 and {r["source"] for r in rows} == {"gh", "broken", "quiet"}
    assert len(store.raw_files()) == 2 + 1  # gh twice, quiet once (empty file), broken none


def test_raw_store_is_append_only(tmp_path):
    from datetime import datetime, timezone

    import pytest

    store = RawStore(tmp_path)
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    store.write_postings("s", "run1", now, [])
    with pytest.raises(FileExistsError):
        store.write_postings("s", "run1", now, [])


def test_runs_log_survives_a_torn_last_line(tmp_path):
    from scraper.rawstore import SourceRun

    store = RawStore(tmp_path)
    tmp_path.joinpath("runs.jsonl").write_text('{"source": "a"}')  # no trailing newline
    store.append_runs([SourceRun("r", "b", "lever", "t0", "t1", "ok", 1, 0, 1, "", "", "")])
    assert [r["source"] for r in store.read_runs()] == ["a", "b"]


def test_runs_log_loses_no_rows_to_concurrent_writers(tmp_path):
    """The daemon and a `jobtrends scrape` beside it append to one runs log: each rewrite holds a lock."""
    import threading

    from scraper.rawstore import SourceRun

    def writer(name: str) -> None:
        store = RawStore(tmp_path)  # one store per writer, as two processes would have
        for i in range(40):
            store.append_runs([SourceRun(f"r{i}", name, "hn", "t0", "t1", "ok", 1, 0, 1, "", "", "")])

    threads = [threading.Thread(target=writer, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rows = RawStore(tmp_path).read_runs()
    assert len(rows) == 160 and {r["source"] for r in rows} == {"w0", "w1", "w2", "w3"}


# --- new / updated, known postings, health flags, robots policy --------------------------------------

def _board(jobs):
    return {"jobs": jobs, "meta": {"total": len(jobs)}}


def _job(job_id, title="ML Engineer", content="&lt;p&gt;Build models.&lt;/p&gt;"):
    return {"id": job_id, "title": title, "first_published": "2026-11-02T10:00:00Z", "content": content,
            "location": {"name": "Remote"}, "absolute_url": f"https://example.org/jobs/{job_id}"}


def _scrape(server, settings, store, sources):
    return {r.source: r for r in asyncio.run(scrape_sources(sources, settings, store))}


def test_new_and_updated_are_counted_against_the_store(allow_robots, fast_settings, tmp_path):
    from scraper.collect import content_key

    base = allow_robots.url_for("/")
    source = GreenhouseSource(name="gh", kind="greenhouse", board_token="acme", base_url=base)
    store = RawStore(tmp_path)
    settings = fast_settings.model_copy(update={"conditional_requests": False})
    allow_robots.expect_oneshot_request("/v1/boards/acme/jobs").respond_with_json(_board([_job(1), _job(2)]))
    first = _scrape(allow_robots, settings, store, [source])["gh"]
    assert (first.postings, first.new, first.updated) == (2, 2, 0)
    changed = _job(2, content="&lt;p&gt;Build models and evaluate them.&lt;/p&gt;")
    allow_robots.expect_oneshot_request("/v1/boards/acme/jobs").respond_with_json(_board([_job(1), changed, _job(3)]))
    second = _scrape(allow_robots, settings, store, [source])["gh"]
    assert (second.postings, second.new, second.updated) == (3, 1, 1)
    known = store.known_postings("gh")
    assert set(known) == {"1", "2", "3"} and "evaluate" in known["2"].description_html
    assert content_key(known["1"]) == content_key(known["1"])
    row = store.read_runs()[-1]
    assert row["new"] == 1 and row["updated"] == 1 and row["duration_seconds"] >= 0


def test_adapters_get_the_known_postings(allow_robots, fast_settings, tmp_path, monkeypatch):
    """The context an adapter receives holds the store's newest copy of each of the source's postings."""
    from scraper import sources as registry
    from scraper.sources.base import ParsedPage

    seen = {}

    async def spy(fetcher, source, context):
        seen[source.name] = dict(context.known)
        return ParsedPage(postings=list(context.known.values()))

    base = allow_robots.url_for("/")
    allow_robots.expect_request("/v1/boards/acme/jobs").respond_with_json(_board([_job(7)]))
    store = RawStore(tmp_path)
    source = GreenhouseSource(name="gh", kind="greenhouse", board_token="acme", base_url=base)
    _scrape(allow_robots, fast_settings, store, [source])
    monkeypatch.setitem(registry.ADAPTERS, "greenhouse", spy)  # our own adapter registry, not httpx
    run = _scrape(allow_robots, fast_settings, store, [source])["gh"]
    assert list(seen["gh"]) == ["7"] and seen["gh"]["7"].title == "ML Engineer"
    assert (run.postings, run.new, run.updated) == (1, 0, 0)


def test_a_source_that_suddenly_returns_nothing_is_flagged(allow_robots, fast_settings, tmp_path):
    base = allow_robots.url_for("/")
    source = GreenhouseSource(name="gh", kind="greenhouse", board_token="acme", base_url=base)
    store = RawStore(tmp_path)
    settings = fast_settings.model_copy(update={"conditional_requests": False})
    allow_robots.expect_oneshot_request("/v1/boards/acme/jobs").respond_with_json(_board([_job(1), _job(2)]))
    assert _scrape(allow_robots, settings, store, [source])["gh"].possibly_broken == ""
    allow_robots.expect_oneshot_request("/v1/boards/acme/jobs").respond_with_json(_board([]))
    run = _scrape(allow_robots, settings, store, [source])["gh"]
    assert run.status == "empty" and "returned 0 postings" in run.possibly_broken
    assert "returned 0 postings" in store.read_runs()[-1]["possibly_broken"]


def test_a_source_that_cannot_parse_most_items_is_flagged(allow_robots, fast_settings, tmp_path):
    base = allow_robots.url_for("/")
    source = GreenhouseSource(name="gh", kind="greenhouse", board_token="acme", base_url=base)
    store = RawStore(tmp_path)
    settings = fast_settings.model_copy(update={"conditional_requests": False})
    allow_robots.expect_oneshot_request("/v1/boards/acme/jobs").respond_with_json(_board([_job(1), _job(2)]))
    _scrape(allow_robots, settings, store, [source])
    broken = [{"title": "no id"}, {"id": 5}, {"id": 6, "title": ""}, _job(1)]
    allow_robots.expect_oneshot_request("/v1/boards/acme/jobs").respond_with_json(_board(broken))
    run = _scrape(allow_robots, settings, store, [source])["gh"]
    assert run.status == "ok" and run.rejected == 3
    assert "could not parse 75%" in run.possibly_broken
    quarantined = [json.loads(l) for l in gzip.open(tmp_path / run.raw_file.replace(".jsonl.gz", ".rejected.jsonl.gz"), "rt")]
    assert [q["item"] for q in quarantined] == broken[:3] and all(q["reason"] for q in quarantined)


def test_robots_blocked_source_is_blocked_not_failed_and_ignore_robots_needs_a_reason(httpserver, fast_settings, tmp_path):
    from scraper.settings import RemotiveSource
    from pipeline.scrapeview import exit_code

    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /api/\n")
    httpserver.expect_request("/api/remote-jobs").respond_with_json({"jobs": []})
    base = httpserver.url_for("/")
    store = RawStore(tmp_path)
    default = RemotiveSource(name="remotive", kind="remotive", base_url=base)
    run = _scrape(httpserver, fast_settings, store, [default])["remotive"]
    assert run.status == "blocked" and run.error_class == "RobotsDisallowed" and "ignore_robots" in run.error
    assert run.possibly_broken == "" and exit_code([run], keep_going=False) == 0
    assert not [r for r, _ in httpserver.log if r.path.startswith("/api/")]
    allowed = RemotiveSource(name="remotive", kind="remotive", base_url=base, ignore_robots=True,
                             ignore_robots_reason="documented public API: github.com/remotive-com/remote-jobs-api")
    run = _scrape(httpserver, fast_settings, store, [allowed])["remotive"]
    assert run.status == "empty" and run.ignore_robots_reason.startswith("documented public API")
    assert store.read_runs()[-1]["ignore_robots_reason"].startswith("documented public API")


def test_exit_code_follows_keep_going():
    from pipeline.scrapeview import exit_code
    from scraper.rawstore import SourceRun

    ok = SourceRun("r", "a", "lever", "t0", "t1", "ok", 1, 0, 1, "", "", "")
    failed = SourceRun("r", "b", "lever", "t0", "t1", "failed", 0, 0, 1, "HTTPStatusFailure", "HTTP 500", "")
    assert exit_code([ok], keep_going=False) == 0
    assert exit_code([ok, failed], keep_going=False) == 1
    assert exit_code([ok, failed], keep_going=True) == 0


def test_scrape_table_shows_every_column_and_scraped_text_as_text():
    from rich.console import Console

    from pipeline.scrapeview import results_table
    from scraper.rawstore import SourceRun

    runs = [
        SourceRun("r", "gh", "greenhouse", "t0", "t1", "ok", 12, 2, 1, "", "", "raw/gh/r.jsonl.gz", new=5, updated=3,
                  duration_seconds=1.25, possibly_broken="could not parse 40% of its items"),
        SourceRun("r", "lv", "lever", "t0", "t1", "failed", 0, 0, 4, "HTTPStatusFailure", "HTTP 503 [bold]x[/bold]", ""),
        SourceRun("r", "rm", "remotive", "t0", "t1", "ok", 7, 0, 1, "", "", "raw/rm/r.jsonl.gz",
                  ignore_robots_reason="documented API", not_modified=1),
    ]
    console = Console(record=True, width=250)
    console.print(results_table(runs))
    text = console.export_text()
    for column in ("source", "status", "fetched", "new", "updated", "errors", "duration"):
        assert column in text
    gh = next(line for line in text.splitlines() if "│ gh" in line)
    assert [cell.strip() for cell in gh.split("│")[1:8]] == ["gh", "ok", "12", "5", "3", "2", "1.2 s"]
    assert "HTTP 503 [bold]x[/bold]" in text  # markup in an error message is shown, not interpreted
    assert "possibly broken: could not parse 40% of its items" in text
    assert "robots.txt ignored by config: documented API" in text and "1 not modified (304)" in text
    assert "2 items quarantined (raw/gh/r.rejected.jsonl.gz)" in text
