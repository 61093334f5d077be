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
