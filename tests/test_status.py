"""`jobtrends status`: next runs from the job store, last runs from runs.jsonl, sources that look broken."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.lock import DaemonLock
from pipeline.settings import load_config
from pipeline.status import NOT_STORED, collect_status, human_bytes, possibly_broken, status_json
from scraper.rawstore import RawStore, SourceRun
from tests.test_schedule import running_daemon, write_config

runner = CliRunner()


def run(source: str, status: str, postings: int, day: int, error: str = "") -> SourceRun:
    started = datetime(2026, 11, day, 6, 0, tzinfo=timezone.utc).isoformat()
    return SourceRun(run_id=f"202611{day:02d}T060000000000Z", source=source, kind="greenhouse", started_at=started,
                     finished_at=started, status=status, postings=postings, rejected=0, requests=1,
                     error_class="HTTPStatusFailure" if error else "", error=error, raw_file="")


def rows(*runs: SourceRun) -> list[dict]:
    from dataclasses import asdict

    return [asdict(r) for r in runs]


@pytest.mark.parametrize(
    "history, flagged",
    [
        ([], None),
        ([run("s", "ok", 10, 1)], None),
        ([run("s", "ok", 10, 1), run("s", "ok", 12, 2)], None),
        ([run("s", "ok", 10, 1), run("s", "failed", 0, 2, "HTTP 404")], "failed on its last run (HTTPStatusFailure: HTTP 404), after 10 postings on 2026-11-01"),
        ([run("s", "ok", 10, 1), run("s", "empty", 0, 2)], "returned 0 postings on its last run, after 10 postings on 2026-11-01"),
        ([run("s", "failed", 0, 1, "HTTP 500"), run("s", "failed", 0, 2, "HTTP 404")], "failed on every run so far (2)"),
        ([run("s", "empty", 0, 1), run("s", "empty", 0, 2)], None),  # a board that never had postings
        ([run("s", "empty", 0, 1), run("s", "failed", 0, 2, "timeout")], None),  # failed once, never had postings
        ([run("s", "ok", 10, 1), run("s", "failed", 0, 2, "x"), run("s", "ok", 3, 3)], None),  # recovered
    ],
)
def test_possibly_broken_rule(history, flagged):
    reason = possibly_broken(rows(*history))
    if flagged is None:
        assert reason is None
    else:
        assert reason is not None and reason.startswith(flagged)


@pytest.fixture
def watched(tmp_path):
    """A config of five sources, a runs log covering them (and one that left the config), and a job store."""
    sources = [{"name": n, "kind": "greenhouse", "board_token": n, "base_url": "http://127.0.0.1:9",
                "schedule": "0 6 * * *"} for n in ("steady", "broke", "emptied", "never", "quiet")]
    config = write_config(tmp_path / "jobtrends.yaml", sources, timezone="Europe/Berlin")
    data_dir = tmp_path / "data"
    RawStore(data_dir).append_runs([
        run("steady", "ok", 10, 1), run("steady", "ok", 11, 2),
        run("broke", "ok", 7, 1), run("broke", "failed", 0, 2, "HTTP 404"),
        run("emptied", "ok", 4, 1), run("emptied", "empty", 0, 2),
        run("never", "failed", 0, 1, "HTTP 404"), run("never", "failed", 0, 2, "HTTP 404"),
        run("quiet", "empty", 0, 2),
        run("retired", "ok", 9, 1),
    ])
    with running_daemon(config):  # daily crons: it only writes the schedule
        pass
    return config


def test_status_shows_schedule_last_runs_broken_sources_and_size(watched):
    status = collect_status(load_config(watched))
    assert status.daemon_pid is None and status.data_bytes > 0
    jobs = {job.id: job for job in status.jobs}
    assert set(jobs) == {f"scrape:{n}" for n in ("steady", "broke", "emptied", "never", "quiet")} | {"report"}
    assert all(job.next_run is not None and job.note == "" for job in jobs.values())
    assert jobs["scrape:steady"].next_run.tzinfo.key == "Europe/Berlin"
    assert (jobs["scrape:steady"].next_run.hour, jobs["report"].next_run.strftime("%a %H:%M")) == (6, "Mon 07:00")
    by_name = {s.name: s for s in status.sources}
    assert by_name["steady"].last_run["postings"] == 11 and by_name["steady"].runs == 2
    assert [s.name for s in status.broken] == ["broke", "emptied", "never"]
    assert not by_name["retired"].in_config and by_name["retired"].broken is None

    data = status_json(status)
    json.dumps(data)  # plain JSON all the way down
    assert data["possibly_broken"] == ["broke", "emptied", "never"]
    assert data["daemon"] == {"running": False, "pid": None}


def test_status_command_table_and_json(watched):
    table = runner.invoke(app, ["status", "--config", str(watched)], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    for text in ("daemon not running", "scrape:steady", "0 6 * * *", "possibly broken: broke",
                 "failed on its last run (HTTPStatusFailure: HTTP 404)", "possibly broken: never", "kB"):
        assert text in table.output, text
    as_json = runner.invoke(app, ["status", "--config", str(watched), "--format", "json"])
    assert json.loads(as_json.stdout)["possibly_broken"] == ["broke", "emptied", "never"]
    assert runner.invoke(app, ["status", "--config", str(watched), "--format", "xml"]).exit_code == 2


def test_status_sees_a_running_daemon_and_config_drift(watched):
    cfg = load_config(watched)
    text = watched.read_text().replace("name: quiet", "name: newcomer").replace("board_token: quiet", "board_token: n")
    watched.write_text(text)
    with DaemonLock(cfg.data_dir):
        status = collect_status(load_config(watched))
    assert status.daemon_pid is not None
    jobs = {job.id: job for job in status.jobs}
    assert jobs["scrape:newcomer"].note == NOT_STORED and jobs["scrape:newcomer"].next_run is None
    assert "removed when" in jobs["scrape:quiet"].note


def test_status_before_anything_ran(tmp_path):
    config = write_config(tmp_path / "jobtrends.yaml", [{"name": "a", "kind": "hn"}])
    status = collect_status(load_config(config))
    assert status.data_bytes == 0 and status.report is None and status.dataset_built_at is None
    assert {job.id: job.note for job in status.jobs} == {"scrape:a": NOT_STORED, "report": NOT_STORED}
    assert status.sources[0].last_run is None and not status.broken
    result = runner.invoke(app, ["status", "--config", str(config)])
    assert result.exit_code == 0 and "never run" in result.output


def test_human_bytes():
    assert [human_bytes(n) for n in (0, 999, 1500, 2_500_000, 7_000_000_000)] == \
        ["0 B", "999 B", "1.5 kB", "2.5 MB", "7.0 GB"]
