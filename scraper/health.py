"""Is a source broken? Judged from its runs, so a site that changes or blocks us never fails silently."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

DEFAULT_REJECT_RATE = 0.2
# Backfill runs (scraper/backfill.py) read old threads one by one: their failures say nothing of the live source.
BACKFILL_PREFIX = "backfill-"


def _count(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _day(value: Any) -> str:
    return str(value or "")[:10] or "an earlier run"


def reject_rate(run: Mapping[str, Any]) -> float:
    """Share of the items a run could not parse (quarantined in its .rejected file)."""
    postings, rejected = _count(run.get("postings")), _count(run.get("rejected"))
    return rejected / (postings + rejected) if postings + rejected else 0.0


def possibly_broken(runs: Sequence[Mapping[str, Any]], reject_threshold: float = DEFAULT_REJECT_RATE) -> str | None:
    """Why a source (its runs, oldest first) looks broken, or None.

    Flagged: the last run failed, returned no postings, or could not parse more than `reject_threshold`
    of its items, after an earlier run had postings (the site changed or blocks us); or every run so far
    failed (the config is wrong). A run blocked by robots.txt is a policy, not breakage: not flagged; backfill
    runs are left out.
    """
    runs = [r for r in runs if not str(r.get("run_id") or "").startswith(BACKFILL_PREFIX)]
    if not runs:
        return None
    last = runs[-1]
    had = [r for r in runs[:-1] if _count(r.get("postings")) > 0]
    since = f"after {_count(had[-1].get('postings'))} postings on {_day(had[-1].get('started_at'))}" if had else ""
    status = last.get("status")
    if status == "blocked":
        return None
    if status == "ok" and _count(last.get("postings")) > 0:
        rate = reject_rate(last)
        if had and rate > reject_threshold:
            return f"could not parse {rate:.0%} of its items on its last run (over {reject_threshold:.0%}), {since}"
        return None
    if status == "failed":
        error = f" ({last.get('error_class')}: {last.get('error')})" if last.get("error") else ""
        if had:
            return f"failed on its last run{error}, {since}"
        if all(r.get("status") == "failed" for r in runs):
            return f"failed on every run so far ({len(runs)}){error}"
        return None
    if had:
        return f"returned 0 postings on its last run, {since}"
    return None
