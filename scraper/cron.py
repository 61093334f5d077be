"""Cron expressions for `jobtrends schedule`: crontab semantics, run by APScheduler 3.

Five fields (minute hour day month weekday) as in crontab, or six with seconds first
("*/5 * * * * *": every five seconds, handy for trying the scheduler and for tests).

Two places where APScheduler 3's CronTrigger differs from crontab are handled here, so a schedule
means what a crontab reader expects:
- weekday numbers: crontab counts 0 (or 7) = Sunday, APScheduler 0 = Monday (its issue #286). The
  weekday field is expanded to day names ("1-5" -> "mon,tue,wed,thu,fri") before it reaches APScheduler.
- day of month *and* weekday both restricted: crontab runs on either, APScheduler only on both. Rather
  than pick one silently, such a schedule is refused.

    cron_trigger("0 7 * * 1", ZoneInfo("Europe/Berlin"))   # Mondays at 07:00, Berlin time
"""
from __future__ import annotations

from datetime import timezone, tzinfo

from apscheduler.triggers.cron import CronTrigger

FIVE_FIELDS = ("minute", "hour", "day", "month", "day_of_week")
SIX_FIELDS = ("second", *FIVE_FIELDS)
_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # index = crontab weekday number


def cron_fields(expr: str) -> dict[str, str]:
    """CronTrigger keyword arguments for a crontab expression; ValueError says what is wrong."""
    parts = expr.split()
    if len(parts) not in (5, 6):
        raise ValueError(
            f"cron schedule {expr!r} must have 5 fields (minute hour day month weekday) "
            "or 6 with seconds first"
        )
    fields = dict(zip(SIX_FIELDS if len(parts) == 6 else FIVE_FIELDS, parts))
    fields["day_of_week"] = _weekday_names(fields["day_of_week"])
    if fields["day"] != "*" and fields["day_of_week"] != "*":
        raise ValueError(
            f"cron schedule {expr!r} restricts both day of month and weekday; crontab runs on either, "
            "the scheduler only on both, so use one of them"
        )
    try:
        CronTrigger(**fields, timezone=timezone.utc)
    except ValueError as exc:
        raise ValueError(f"cron schedule {expr!r}: {exc}") from None
    return fields


def cron_trigger(expr: str, tz: tzinfo, jitter: int | None = None) -> CronTrigger:
    return CronTrigger(**cron_fields(expr), timezone=tz, jitter=jitter or None)


def _weekday_names(field: str) -> str:
    """Crontab weekday field -> APScheduler day names; "*" stays "*"."""
    if field == "*":
        return "*"
    days: set[int] = set()
    for part in field.lower().split(","):
        span, slash, step_text = part.partition("/")
        if slash and not (step_text.isdigit() and int(step_text) > 0):
            raise ValueError(f"weekday step {step_text!r} must be a positive whole number")
        step = int(step_text) if slash else 1
        if span == "*":
            low, high = 0, 6
        elif "-" in span:
            first, _, last = span.partition("-")
            low, high = _weekday(first), _weekday(last)
        else:
            low = _weekday(span)
            high = 6 if slash else low  # "1/2" means from Monday on, every other day
        if low > high:
            raise ValueError(f"weekday range {span!r} runs backwards (0 and 7 are Sunday, 6 is Saturday)")
        days.update(day % 7 for day in range(low, high + 1, step))
    if len(days) == 7:
        return "*"
    return ",".join(_DAY_NAMES[d] for d in sorted(days, key=lambda d: (d - 1) % 7))


def _weekday(token: str) -> int:
    if token.isdigit() and 0 <= int(token) <= 7:
        return int(token)
    if token in _DAY_NAMES:
        return _DAY_NAMES.index(token)
    raise ValueError(f"weekday {token!r} must be 0-7 (0 and 7 are Sunday) or a name such as mon")
