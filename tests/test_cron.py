"""Cron schedules mean what crontab means, including weekday numbers, and say clearly when wrong."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from pipeline.errors import ConfigError
from pipeline.settings import ScheduleSettings, load_config
from scraper.cron import cron_fields, cron_trigger

UTC = timezone.utc


def next_fires(expr: str, start: datetime, count: int, tz=UTC) -> list[datetime]:
    trigger = cron_trigger(expr, tz)
    fires, previous, now = [], None, start
    for _ in range(count):
        fire = trigger.get_next_fire_time(previous, now)
        fires.append(fire)
        previous, now = fire, fire
    return fires


@pytest.mark.parametrize(
    "weekday, days",
    [
        ("1", {"Monday"}),
        ("0", {"Sunday"}),
        ("7", {"Sunday"}),
        ("1-5", {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"}),
        ("5-7", {"Friday", "Saturday", "Sunday"}),
        ("*/2", {"Sunday", "Tuesday", "Thursday", "Saturday"}),  # crontab counts from Sunday = 0
        ("sat,SUN", {"Saturday", "Sunday"}),
        ("mon-wed", {"Monday", "Tuesday", "Wednesday"}),
    ],
)
def test_weekdays_follow_crontab_not_apscheduler_numbering(weekday, days):
    fires = next_fires(f"0 7 * * {weekday}", datetime(2026, 11, 1, tzinfo=UTC), 14)
    assert {f.strftime("%A") for f in fires} == days
    assert all((f.hour, f.minute, f.second) == (7, 0, 0) for f in fires)


def test_default_report_schedule_is_monday_seven_local_time():
    berlin = ZoneInfo("Europe/Berlin")
    settings = ScheduleSettings(timezone="Europe/Berlin")
    fire = cron_trigger(settings.report, berlin).get_next_fire_time(None, datetime(2026, 11, 25, 12, tzinfo=UTC))
    assert fire == datetime(2026, 11, 30, 7, 0, tzinfo=berlin)


def test_six_fields_put_seconds_first():
    assert cron_fields("*/5 * * * * *")["second"] == "*/5"
    fires = next_fires("*/5 * * * * *", datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC), 3)
    assert [f.second for f in fires] == [5, 10, 15]
    assert "second" not in cron_fields("15 6 * * *")  # five fields: at second 0


@pytest.mark.parametrize(
    "expr, problem",
    [
        ("every day", "5 fields"),
        ("1 2 3 4 5 6 7", "5 fields"),
        ("0 25 * * *", "maximum value (23)"),
        ("0 7 * * 8", "weekday '8'"),
        ("0 7 * * fri-mon", "backwards"),
        ("0 7 * * */0", "positive"),
        ("0 7 1 * 1", "both day of month and weekday"),
    ],
)
def test_bad_cron_says_what_is_wrong(expr, problem):
    with pytest.raises(ValueError) as info:
        cron_fields(expr)
    assert problem in str(info.value)


@pytest.mark.parametrize(
    "body, key, problem",
    [
        ("schedule:\n  report: '0 7 * * 9'\n", "schedule.report", "weekday '9'"),
        ("schedule:\n  timezone: Mars/Olympus\n", "schedule.timezone", "unknown time zone"),
        ("schedule:\n  misfire_grace_seconds: 0\n", "schedule.misfire_grace_seconds", "greater than or equal to 1"),
        ("schedule:\n  jitter_seconds: -1\n", "schedule.jitter_seconds", "greater than or equal to 0"),
        ("schedule:\n  every: 5\n", "schedule.every", "Extra inputs"),
        ("sources:\n  - {name: x, kind: hn, schedule: '61 * * * *'}\n", "sources.0.hn.schedule", "maximum value (59)"),
    ],
)
def test_bad_schedule_config_names_file_key_and_problem(tmp_path, body, key, problem):
    path = tmp_path / "bad.yaml"
    path.write_text(body)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message and key in message and problem in message


def test_schedule_defaults():
    settings = ScheduleSettings()
    assert settings.report == "0 7 * * 1" and settings.timezone == "local"
    assert settings.misfire_grace_seconds == 86400 and settings.process_after_scrape
    assert ScheduleSettings(misfire_grace_seconds=None).misfire_grace_seconds is None  # null: however late
