"""The jobs of `jobtrends schedule`: what the config asks for, and making the job store match it.

The job store is APScheduler's SQLAlchemyJobStore on <data_dir>/scheduler.sqlite. It holds, per job, a
reference to a module-level function of `pipeline.schedule` and plain arguments (a source name), never code.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.settings import AppConfig, resolve_timezone
from scraper.cron import cron_trigger

JOB_STORE_FILE = "scheduler.sqlite"
JOB_TABLE = "apscheduler_jobs"

SCRAPE_PREFIX = "scrape:"
PROCESS_JOB = "process"
REPORT_JOB = "report"
SCRAPE_FUNC = "pipeline.schedule:scrape_job"
PROCESS_FUNC = "pipeline.schedule:process_job"
REPORT_FUNC = "pipeline.schedule:report_job"


def job_store_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / JOB_STORE_FILE


@dataclass(frozen=True)
class JobSpec:
    id: str
    func: str
    args: tuple[str, ...]
    trigger: Any


def planned_jobs(cfg: AppConfig) -> list[JobSpec]:
    """The cron jobs of the config (the process job is added on demand, after scrapes)."""
    tz = resolve_timezone(cfg.schedule.timezone)
    jitter = cfg.schedule.jitter_seconds
    jobs = [
        JobSpec(f"{SCRAPE_PREFIX}{s.name}", SCRAPE_FUNC, (s.name,), cron_trigger(s.schedule, tz, jitter))
        for s in cfg.sources if s.enabled
    ]
    jobs.append(JobSpec(REPORT_JOB, REPORT_FUNC, (), cron_trigger(cfg.schedule.report, tz, jitter)))
    return jobs


def job_options(cfg: AppConfig) -> dict[str, Any]:
    return {"coalesce": True, "max_instances": 1, "misfire_grace_time": cfg.schedule.misfire_grace_seconds}


@dataclass
class Reconciliation:
    added: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    rescheduled: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def _trigger_key(trigger: Any) -> tuple[str, str, str, Any]:
    return type(trigger).__name__, str(trigger), str(getattr(trigger, "timezone", "")), getattr(trigger, "jitter", None)


def reconcile(scheduler: Any, planned: list[JobSpec], options: dict[str, Any]) -> Reconciliation:
    """Make the job store match the plan, keeping the stored next run time of every unchanged job.

    A pending process job is dropped too: whether processing is due is read from the data instead
    (`Daemon._dataset_stale`), which also covers a pending run that would now be past its grace time.
    """
    done = Reconciliation()
    stored = {job.id: job for job in scheduler.get_jobs()}
    for spec in planned:
        job = stored.pop(spec.id, None)
        if job is None or job.func_ref != spec.func or tuple(job.args) != spec.args or job.kwargs:
            scheduler.add_job(spec.func, spec.trigger, args=spec.args, id=spec.id, name=spec.id,
                              replace_existing=True, **options)
            (done.added if job is None else done.replaced).append(spec.id)
            continue
        if _trigger_key(job.trigger) != _trigger_key(spec.trigger):
            scheduler.reschedule_job(spec.id, trigger=spec.trigger)
            done.rescheduled.append(spec.id)
        else:
            done.kept.append(spec.id)
        if any(getattr(job, key) != value for key, value in options.items()):
            scheduler.modify_job(spec.id, **options)
    for job in stored.values():
        scheduler.remove_job(job.id)
        if job.id != PROCESS_JOB:
            done.removed.append(job.id)
    return done
