"""`jobtrends schedule` with real APScheduler, a real SQLite job store and the demo sources on 127.0.0.1.

Schedules are six-field crons (seconds first) a few seconds apart; every wait polls a file against a
deadline. In-process tests run the daemon in a thread and stop it with `request_stop`; the subprocess
tests send it real signals.
"""
from __future__ import annotations

import asyncio
import gzip
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import yaml
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.errors import DaemonRunning
from pipeline.jobplan import job_store_path
from pipeline.lock import DaemonLock, running_daemon_pid
from pipeline.schedule import Daemon
from pipeline.settings import DEFAULT_TAXONOMY, load_config, load_taxonomy_for
from pipeline.status import collect_status, read_next_runs
from scraper.demo.corpus import build_corpus
from scraper.demo.server import DemoServer
from scraper.rawstore import RawStore

runner = CliRunner()
_SCRIPT = Path(sys.executable).with_name("jobtrends")  # the installed command, beside the venv's python
JOBTRENDS = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "pipeline.cli"]
UTC = timezone.utc


# --- the demo sources, with a switch to make one of them slow -----------------------------------

class SlowPaths:
    """Wraps the demo routes: a request whose path starts with a prefix in `delays` waits that long."""

    def __init__(self, handle: Callable[..., Any]):
        self.handle = handle
        self.delays: dict[str, float] = {}
        self.arrived = threading.Event()

    def __call__(self, raw_path: str, accept: str = "") -> Any:
        for prefix, seconds in list(self.delays.items()):
            if raw_path.startswith(prefix):
                self.arrived.set()
                time.sleep(seconds)
        return self.handle(raw_path, accept)


@pytest.fixture(scope="module")
def corpus():
    return build_corpus(weeks=16)


@pytest.fixture(scope="module")
def demo(corpus):
    server = DemoServer(corpus)
    slow = SlowPaths(server.routes.handle)
    server.routes.handle = slow
    with server:
        yield server, slow


@pytest.fixture
def slow(demo):
    _, paths = demo
    paths.delays.clear()
    paths.arrived.clear()
    yield paths
    paths.delays.clear()


def demo_sources(demo, corpus, cron: str, kinds=("greenhouse", "lever", "hn")) -> list[dict[str, Any]]:
    server, _ = demo
    first_of_kind: dict[str, dict[str, Any]] = {}
    for source in corpus.source_configs(server.base_url):
        first_of_kind.setdefault(source["kind"], source)
    return [{**first_of_kind[kind], "schedule": cron} for kind in kinds]


def write_config(path: Path, sources: list[dict[str, Any]], **schedule: Any) -> Path:
    body = {
        "data_dir": str(path.parent / "data"),
        "taxonomy": str(DEFAULT_TAXONOMY),
        "fetch": {"min_interval_seconds": 0, "max_retries": 0, "backoff_seconds": 0, "timeout_seconds": 60},
        "schedule": {"timezone": "UTC", "jitter_seconds": 0, "process_delay_seconds": 0, **schedule},
        "sources": sources,
    }
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    return path


def wait_for(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}")


def runs_of(data_dir: Path, source: str | None = None) -> list[dict[str, Any]]:
    return [r for r in RawStore(data_dir).read_runs() if source is None or r["source"] == source]


def reports(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "reports").glob("*/index.html"))


def assert_store_consistent(data_dir: Path) -> None:
    """Nothing half-written: no temp files, every raw file a whole gzip of JSON lines, a parseable runs log."""
    assert not [p for p in data_dir.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".dataset-")]
    for raw in RawStore(data_dir).raw_files():
        with gzip.open(raw, "rt", encoding="utf-8") as handle:
            for line in handle:
                json.loads(line)
    for run in RawStore(data_dir).read_runs():  # parses every line
        assert run["status"] in ("ok", "empty", "failed")


@contextmanager
def running_daemon(config: Path) -> Iterator[Daemon]:
    """The daemon in a thread of this process (no signal handlers), stopped on exit."""
    cfg = load_config(config)
    daemon = Daemon(cfg, load_taxonomy_for(cfg), handle_signals=False)
    failures: list[BaseException] = []

    def serve() -> None:
        try:
            asyncio.run(daemon.serve())
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            failures.append(exc)
            daemon.ready.set()

    thread = threading.Thread(target=serve, name="test-daemon", daemon=True)
    thread.start()
    assert daemon.ready.wait(20), "daemon did not start"
    assert not failures, failures
    try:
        yield daemon
    finally:
        daemon.request_stop()
        thread.join(30)
        assert not thread.is_alive(), "daemon did not stop"
        assert not failures, failures


def seed_next_run(data_dir: Path, job_id: str, when: datetime) -> None:
    """Set a stored job's next run time through APScheduler's job store API, as if the daemon had been down.

    (Not through a second scheduler: shutting one down runs its due jobs' bookkeeping once more.)
    """
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    store = SQLAlchemyJobStore(url=f"sqlite:///{job_store_path(data_dir)}")
    store.start(None, "default")
    try:
        job = store.lookup_job(job_id)
        job.next_run_time = when
        store.update_job(job)
    finally:
        store.shutdown()


# --- in process ---------------------------------------------------------------------------------

def test_jobs_are_scheduled_from_config(tmp_path, demo, corpus):
    sources = demo_sources(demo, corpus, "0 6 * * *")
    sources[1]["schedule"] = "30 0 6 * * *"       # six fields: 06:00:30
    sources[2]["enabled"] = False
    config = write_config(tmp_path / "jobtrends.yaml", sources, timezone="Europe/Berlin", jitter_seconds=20,
                          misfire_grace_seconds=900)
    with running_daemon(config) as daemon:
        jobs = {job.id: job for job in daemon.scheduler.get_jobs()}
    names = [s["name"] for s in sources]
    assert set(jobs) == {f"scrape:{names[0]}", f"scrape:{names[1]}", "report"}
    for job in jobs.values():
        assert job.coalesce and job.max_instances == 1 and job.misfire_grace_time == 900
        assert job.trigger.jitter == 20 and str(job.trigger.timezone) == "Europe/Berlin"
    assert jobs[f"scrape:{names[0]}"].args == (names[0],)
    assert jobs[f"scrape:{names[1]}"].next_run_time.second in range(30, 51)  # 30 s plus up to 20 s of jitter
    report = jobs["report"].next_run_time
    assert (report.strftime("%A"), report.hour, report.minute) == ("Monday", 7, 0)  # the default: Monday 07:00
    stored = read_next_runs(tmp_path / "data")  # what `status` reads, without a scheduler
    assert set(stored) == set(jobs)
    assert all(stored[i] == jobs[i].next_run_time for i in jobs)


def test_config_change_is_picked_up_on_restart(tmp_path, demo, corpus, caplog):
    caplog.set_level(logging.INFO, logger="pipeline.schedule")
    gh, lever, hn = demo_sources(demo, corpus, "0 6 * * *")
    config = tmp_path / "jobtrends.yaml"
    write_config(config, [gh, {**lever, "schedule": "0 7 * * *"}, hn])
    data_dir = tmp_path / "data"
    with running_daemon(config):
        pass
    kept_at = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2, minutes=3)
    seed_next_run(data_dir, f"scrape:{gh['name']}", kept_at)   # not a time its cron would pick: must survive
    before = read_next_runs(data_dir)

    renamed = {**hn, "name": "hn-renamed"}
    write_config(config, [gh, {**lever, "schedule": "30 7 * * *"}, renamed], misfire_grace_seconds=120)
    caplog.clear()
    with running_daemon(config) as daemon:
        jobs = {job.id: job for job in daemon.scheduler.get_jobs()}
    assert set(jobs) == {f"scrape:{gh['name']}", f"scrape:{lever['name']}", "scrape:hn-renamed", "report"}
    assert jobs[f"scrape:{gh['name']}"].next_run_time == kept_at        # unchanged: kept as stored
    assert jobs[f"scrape:{gh['name']}"].misfire_grace_time == 120       # ... with the new options
    lever_job = jobs[f"scrape:{lever['name']}"]
    assert "minute='30'" in str(lever_job.trigger) and lever_job.next_run_time != before[f"scrape:{lever['name']}"]
    log = caplog.text
    assert f"jobs kept: scrape:{gh['name']}" in log and f"jobs rescheduled: scrape:{lever['name']}" in log
    assert "jobs added: scrape:hn-renamed" in log and f"jobs removed: scrape:{hn['name']}" in log


def test_a_run_missed_while_down_runs_once_on_restart(tmp_path, demo, corpus):
    (gh,) = demo_sources(demo, corpus, "0 6 * * *", kinds=("greenhouse",))
    config = write_config(tmp_path / "jobtrends.yaml", [gh], misfire_grace_seconds=4 * 86400,
                          process_after_scrape=False)
    data_dir = tmp_path / "data"
    with running_daemon(config) as daemon:
        trigger = daemon.scheduler.get_job(f"scrape:{gh['name']}").trigger
    assert not runs_of(data_dir)
    # Down for three days: three or four 06:00 runs were missed.
    three_days_ago = trigger.get_next_fire_time(None, datetime.now(UTC) - timedelta(days=3))
    seed_next_run(data_dir, f"scrape:{gh['name']}", three_days_ago)
    assert len(_fire_times(trigger, three_days_ago, datetime.now(UTC))) >= 3

    with running_daemon(config):
        wait_for(lambda: runs_of(data_dir), 20, "the catch-up run")
        assert read_next_runs(data_dir)[f"scrape:{gh['name']}"] > datetime.now(UTC)  # next: the coming 06:00
        time.sleep(0.5)
    runs = runs_of(data_dir)
    assert len(runs) == 1 and runs[0]["status"] == "ok"   # coalesced: one run, not one per missed day


def test_a_run_missed_beyond_the_grace_time_is_skipped(tmp_path, demo, corpus, caplog):
    caplog.set_level(logging.WARNING, logger="apscheduler")
    (gh,) = demo_sources(demo, corpus, "0 6 * * *", kinds=("greenhouse",))
    config = write_config(tmp_path / "jobtrends.yaml", [gh], misfire_grace_seconds=60, process_after_scrape=False)
    data_dir = tmp_path / "data"
    with running_daemon(config) as daemon:
        trigger = daemon.scheduler.get_job(f"scrape:{gh['name']}").trigger
    seed_next_run(data_dir, f"scrape:{gh['name']}", trigger.get_next_fire_time(None, datetime.now(UTC) - timedelta(days=3)))
    with running_daemon(config):
        wait_for(lambda: read_next_runs(data_dir)[f"scrape:{gh['name']}"] > datetime.now(UTC), 20, "the missed run")
        time.sleep(0.5)
    assert not runs_of(data_dir)
    assert "was missed by" in caplog.text


def _fire_times(trigger, start: datetime, end: datetime) -> list[datetime]:
    times, fire = [], start
    while fire and fire <= end:
        times.append(fire)
        fire = trigger.get_next_fire_time(fire, fire)
    return times


def test_a_failing_source_does_not_stop_the_others_or_the_report(tmp_path, demo, corpus):
    gh, lever = demo_sources(demo, corpus, "*/2 * * * * *", kinds=("greenhouse", "lever"))
    gone = {**gh, "name": "greenhouse-gone", "board_token": "no-such-board"}  # the demo server answers 404
    config = write_config(tmp_path / "jobtrends.yaml", [gone, gh, lever], report="*/3 * * * * *")
    data_dir = tmp_path / "data"
    with running_daemon(config):
        wait_for(lambda: runs_of(data_dir, "greenhouse-gone") and runs_of(data_dir, gh["name"])
                 and runs_of(data_dir, lever["name"]) and reports(data_dir), 40, "runs of every source and a report")
    failed = runs_of(data_dir, "greenhouse-gone")
    assert all(r["status"] == "failed" and r["error_class"] == "HTTPStatusFailure" and "404" in r["error"]
               for r in failed)
    assert all(r["status"] == "ok" for r in runs_of(data_dir, gh["name"]) + runs_of(data_dir, lever["name"]))
    status = collect_status(load_config(config))
    assert [s.name for s in status.broken] == ["greenhouse-gone"]
    assert "failed on every run so far" in status.broken[0].broken
    assert_store_consistent(data_dir)


def test_stop_lets_a_running_scrape_finish_within_the_timeout(tmp_path, demo, corpus, slow):
    (gh,) = demo_sources(demo, corpus, "*/2 * * * * *", kinds=("greenhouse",))
    config = write_config(tmp_path / "jobtrends.yaml", [gh], stop_timeout_seconds=20, process_after_scrape=False)
    slow.delays[f"/v1/boards/{gh['board_token']}/jobs"] = 1.5
    data_dir = tmp_path / "data"
    with running_daemon(config):
        assert slow.arrived.wait(10)
        # leaving the block asks the daemon to stop while the scrape waits for its response
    runs = runs_of(data_dir)
    assert len(runs) == 1 and runs[0]["status"] == "ok" and runs[0]["postings"] > 0
    assert_store_consistent(data_dir)


def test_a_second_stop_request_cuts_without_waiting(tmp_path, demo, corpus, slow):
    (gh,) = demo_sources(demo, corpus, "*/2 * * * * *", kinds=("greenhouse",))
    config = write_config(tmp_path / "jobtrends.yaml", [gh], stop_timeout_seconds=60, process_after_scrape=False)
    slow.delays[f"/v1/boards/{gh['board_token']}/jobs"] = 30
    with running_daemon(config) as daemon:
        assert slow.arrived.wait(10)
        daemon.request_stop()  # waits up to 60 s for the scrape...
        time.sleep(0.3)
        started = time.monotonic()
        # ...leaving the block asks again: cut now
    assert time.monotonic() - started < 5
    assert not runs_of(tmp_path / "data")


def test_the_dataset_is_current_until_new_raw_files_land(tmp_path, demo, corpus):
    from pipeline.dataset import read_meta
    from pipeline.process import dataset_is_current, process
    from scraper.collect import scrape_sources

    (gh,) = demo_sources(demo, corpus, "0 6 * * *", kinds=("greenhouse",))
    cfg = load_config(write_config(tmp_path / "jobtrends.yaml", [gh]))
    taxonomy = load_taxonomy_for(cfg)
    store = RawStore(cfg.data_dir)
    assert not dataset_is_current(cfg.data_dir, taxonomy)           # nothing built yet
    asyncio.run(scrape_sources(cfg.sources, cfg.fetch, store))
    process(cfg.data_dir, taxonomy)
    assert dataset_is_current(cfg.data_dir, taxonomy)
    assert read_meta(cfg.data_dir)["raw_fingerprint"] == store.fingerprint(store.raw_files())
    asyncio.run(scrape_sources(cfg.sources, cfg.fetch, store))
    assert not dataset_is_current(cfg.data_dir, taxonomy)           # a new raw file
    process(cfg.data_dir, taxonomy)
    assert dataset_is_current(cfg.data_dir, taxonomy)


def test_a_second_daemon_on_the_same_data_directory_is_refused(tmp_path):
    data_dir = tmp_path / "data"
    with DaemonLock(data_dir):
        assert running_daemon_pid(data_dir) == os.getpid()
        with pytest.raises(DaemonRunning, match=f"already running on {data_dir}.*pid {os.getpid()}|"
                                                f"pid {os.getpid()}.*already running"):
            DaemonLock(data_dir).acquire(wait_seconds=0.1)
    assert running_daemon_pid(data_dir) is None
    DaemonLock(data_dir).acquire().release()  # free again once the first let go


def test_an_invalid_config_refuses_to_start_and_leaves_the_job_store_alone(tmp_path, demo, corpus):
    sources = demo_sources(demo, corpus, "0 6 * * *")
    config = write_config(tmp_path / "jobtrends.yaml", sources)
    data_dir = tmp_path / "data"
    with running_daemon(config):
        pass
    store = job_store_path(data_dir)
    before = (store.read_bytes(), store.stat().st_mtime_ns)
    cases = [
        ("sources:\n  - {name: a, kind: hn, schedule: '0 6 * * * * *'}\n", "sources.0.hn.schedule", "5 fields"),
        ("schedule:\n  timezone: Mars/Olympus\n", "schedule.timezone", "unknown time zone"),
        ("schedule:\n  report: '0 7 1 * 1'\n", "schedule.report", "both day of month and weekday"),
    ]
    for body, key, problem in cases:
        bad = tmp_path / "bad.yaml"
        bad.write_text(f"data_dir: {data_dir}\n{body}")
        result = runner.invoke(app, ["schedule", "--config", str(bad)])
        assert result.exit_code == 2, result.output
        assert str(bad) in result.output and key in result.output and problem in result.output
    assert (store.read_bytes(), store.stat().st_mtime_ns) == before
    assert not (data_dir / "logs").exists()


# --- as a real process, with real signals --------------------------------------------------------

def start_daemon(config: Path, log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([*JOBTRENDS, "schedule", "--config", str(config)], stdout=log.open("ab"),
                            stderr=subprocess.STDOUT, env=env)


def stop_daemon(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
    proc.send_signal(sig)
    return proc.wait(timeout=timeout)


@pytest.fixture
def processes():
    started: list[subprocess.Popen] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_sigterm_during_a_scrape_cuts_it_cleanly_and_the_next_run_completes(tmp_path, demo, corpus, slow, processes):
    gh, lever = demo_sources(demo, corpus, "*/2 * * * * *", kinds=("greenhouse", "lever"))
    config = write_config(tmp_path / "jobtrends.yaml", [gh, lever], stop_timeout_seconds=0.5,
                          process_after_scrape=False)
    data_dir, log = tmp_path / "data", tmp_path / "daemon.log"
    slow.delays[f"/v1/boards/{gh['board_token']}/jobs"] = 30  # far longer than the stop timeout
    proc = start_daemon(config, log)
    processes.append(proc)
    assert slow.arrived.wait(30), log.read_text()
    time.sleep(0.3)  # the other source is queued behind it: one request at a time per host
    started = time.monotonic()
    assert stop_daemon(proc) == 0, log.read_text()
    assert time.monotonic() - started < 10             # cut after 0.5 s, not after the 30 s response
    text = log.read_text()
    assert f"scrape of {gh['name']} cut by shutdown" in text and "schedule stopped" in text
    assert not runs_of(data_dir, gh["name"]) and not (data_dir / "raw" / gh["name"]).exists()
    assert_store_consistent(data_dir)

    slow.delays.clear()
    proc = start_daemon(config, log)
    processes.append(proc)
    wait_for(lambda: runs_of(data_dir, gh["name"]) and runs_of(data_dir, lever["name"]), 20, "the next runs")
    assert stop_daemon(proc) == 0, log.read_text()
    assert all(r["status"] == "ok" and r["postings"] > 0 for r in runs_of(data_dir))
    assert_store_consistent(data_dir)


def test_the_daemon_end_to_end(tmp_path, demo, corpus, processes):
    """Done when: two scrape runs and a report on a fast schedule, SIGTERM, restart resumes, status shows it."""
    sources = demo_sources(demo, corpus, "*/5 * * * * *")
    names = [s["name"] for s in sources]
    config = write_config(tmp_path / "jobtrends.yaml", sources, report="*/10 * * * * *")
    data_dir, log = tmp_path / "data", tmp_path / "daemon.log"

    proc = start_daemon(config, log)
    processes.append(proc)
    wait_for(lambda: all(len(runs_of(data_dir, n)) >= 2 for n in names) and reports(data_dir), 60,
             "two runs of every source and a report")
    assert proc.poll() is None, log.read_text()

    status = json.loads(runner.invoke(app, ["status", "--config", str(config), "--format", "json"]).stdout)
    assert status["daemon"] == {"running": True, "pid": proc.pid}
    assert {f"scrape:{n}" for n in names} | {"report"} <= {j["id"] for j in status["jobs"] if j["next_run"]}
    assert all(s["last_run"]["status"] == "ok" and s["runs"] >= 2 for s in status["sources"])
    assert status["possibly_broken"] == [] and status["data_dir_bytes"] > 0 and status["report"]

    second = subprocess.run([*JOBTRENDS, "schedule", "--config", str(config)], capture_output=True, text=True,
                            timeout=60)
    assert second.returncode == 3 and "already running" in second.stderr and f"pid {proc.pid}" in second.stderr

    assert stop_daemon(proc) == 0, log.read_text()
    assert_store_consistent(data_dir)
    first_session = {n: len(runs_of(data_dir, n)) for n in names}
    stopped = json.loads(runner.invoke(app, ["status", "--config", str(config), "--format", "json"]).stdout)
    assert stopped["daemon"]["running"] is False
    assert all(j["next_run"] for j in stopped["jobs"] if j["id"] != "process")  # the schedule is kept on disk

    proc = start_daemon(config, log)
    processes.append(proc)
    wait_for(lambda: all(len(runs_of(data_dir, n)) > first_session[n] for n in names), 30, "runs after the restart")
    assert stop_daemon(proc) == 0, log.read_text()
    assert_store_consistent(data_dir)

    text = log.read_text()
    assert text.count("schedule running on") == 2 and text.count("schedule stopped") == 2
    assert "jobs kept: " in text.split("schedule stopped")[1]        # the restart resumed the stored schedule
    assert (data_dir / "logs" / "jobtrends.log").read_text().count("schedule running on") == 2
    counts = runner.invoke(app, ["query", "select source, count(*) as n from runs group by 1", "--format", "json",
                                 "--config", str(config)])
    assert {r["source"]: r["n"] for r in json.loads(counts.stdout)} == {n: len(runs_of(data_dir, n)) for n in names}
    print(f"runs per source: first session {first_session}, total "
          f"{ {n: len(runs_of(data_dir, n)) for n in names} }, reports {len(reports(data_dir))}")


def test_demo_serve_keeps_the_demo_sources_up_and_writes_a_config(tmp_path, processes):
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    proc = subprocess.Popen([*JOBTRENDS, "demo", "--serve", "--weeks", "16", "--data-dir", str(tmp_path / "demo")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    processes.append(proc)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    wait_for(lambda: any(line.startswith("config: ") for line in lines), 60, "the printed config path")
    url = next(line.split()[-1] for line in lines if line.startswith("demo sources served at"))
    path = Path(next(line.split(": ", 1)[1].strip() for line in lines if line.startswith("config: ")))
    cfg = load_config(path)
    assert cfg.sources and all(s.base_url == url and s.schedule == "* * * * *" for s in cfg.sources)
    assert cfg.data_dir == (tmp_path / "demo").resolve()

    scraped = runner.invoke(app, ["scrape", "--config", str(path)])
    assert scraped.exit_code == 0, scraped.output
    runs = runner.invoke(app, ["query", "select status, count(*) as n from runs group by 1", "--format", "json",
                               "--config", str(path)])
    assert json.loads(runs.stdout) == [{"status": "ok", "n": len(cfg.sources)}]  # runs queryable before `process`
    assert stop_daemon(proc, signal.SIGINT, timeout=10) == 0
