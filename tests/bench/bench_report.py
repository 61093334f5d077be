"""Build time and page size of the weekly report: a synthetic 3-year history and the demo dataset.

    .venv/bin/python tests/bench/bench_report.py [--weeks 156] [--postings 60000] [--skills 600] [--demo data/demo]

The synthetic history goes through the pipeline's own table functions (pipeline.trends), so the report
reads tables of the real shape: 156 weeks x 12 areas, ~600 skills, ~60,000 postings, with role families,
seniority, remote status and salaries, so every section of the page is built (the taxonomy too, for the
seed section's discover step). Prints the median of 3 builds, the week page's size (MB = 10^6 bytes) and,
once, the size of the shared plotly.js beside the pages; targets: <= 5 s and <= 5 MB per page.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from pipeline import columns as c  # noqa: E402
from pipeline.trends import segment_area_demand, weekly_area_demand, weekly_skill_demand  # noqa: E402
from reports.build import build_report, report_from_dataset  # noqa: E402

GENERATED_AT = datetime(2026, 1, 5, 7, tzinfo=timezone.utc)
TARGET_SECONDS, TARGET_MB = 5.0, 5.0


def synthetic(weeks: int, n_postings: int, n_skills: int, seed: int = 3) -> dict:
    rng = np.random.default_rng(seed)
    first = pd.Timestamp("2023-01-02", tz="UTC")
    posted = first + pd.to_timedelta(rng.integers(0, weeks * 7 * 24, n_postings), unit="h")
    last_seen = posted + pd.to_timedelta(rng.integers(0, 60, n_postings), unit="D")
    ids = [f"p{i:06d}" for i in range(n_postings)]
    iso = posted.isocalendar()
    postings = pd.DataFrame({
        c.POSTING_ID: ids, c.SOURCE: [f"board-{i % 9}" for i in range(n_postings)], c.SOURCE_KIND: "greenhouse",
        c.SOURCE_ID: ids, c.URL: [f"https://jobs.example.com/{i}" for i in ids], c.TITLE: "ML engineer <b>x</b>",
        c.COMPANY: "Company", c.LOCATION: "Remote", c.REMOTE: "remote", c.POSTED_AT: posted,
        c.FIRST_SEEN_AT: posted, c.LAST_SEEN_AT: last_seen,
        c.WEEK: [f"{y}-W{w:02d}" for y, w in zip(iso["year"], iso["week"])],
        c.IS_ML: rng.random(n_postings) < 0.8, c.ML_REASON: "title", c.DESCRIPTION: "…", c.CONTENT_HASH: ids,
        c.TAXONOMY_VERSION: "bench",
        c.ROLE_FAMILY: rng.choice(c.ROLE_FAMILIES, n_postings), c.SENIORITY: rng.choice(c.SENIORITY_LEVELS, n_postings),
        c.SALARY_CURRENCY: rng.choice(["USD", "EUR", ""], n_postings, p=[0.5, 0.1, 0.4]),
        c.SALARY_ANNUAL_MIN: rng.normal(180_000, 40_000, n_postings).round(-3),
    })
    postings[c.SALARY_ANNUAL_MAX] = postings[c.SALARY_ANNUAL_MIN] + 40_000
    postings.loc[postings[c.SALARY_CURRENCY] == "", [c.SALARY_ANNUAL_MIN, c.SALARY_ANNUAL_MAX]] = np.nan
    # Each posting asks for ~8 of the skills; skill j belongs to area j % 12; popularity falls with j.
    skills = [(c.AREA_IDS[j % 12], f"skill {j:03d}") for j in range(n_skills)]
    weights = 1 / np.arange(1, n_skills + 1) ** 0.8
    picks = rng.choice(n_skills, size=(n_postings, 8), p=weights / weights.sum())
    mentions = pd.DataFrame({
        c.POSTING_ID: np.repeat(ids, 8),
        c.AREA: [skills[j][0] for j in picks.ravel()], c.SKILL: [skills[j][1] for j in picks.ravel()],
    }).drop_duplicates()
    return {
        "postings": postings,
        "weekly": weekly_area_demand(postings, mentions, "bench"),
        "weekly_skill": weekly_skill_demand(postings, mentions, "bench", skills),
        "skill_mentions": mentions,
        "segment": segment_area_demand(postings, mentions, "bench"),
        "runs": pd.DataFrame([{c.SOURCE: f"board-{i % 9}", "started_at": first + pd.Timedelta(days=i), "status": "ok",
                               c.POSTINGS: 400, "rejected": i % 3, "error": "", "finished_at": first + pd.Timedelta(days=i)}
                              for i in range(weeks * 7)]),
        "processing": [{"built_at": str(first + pd.Timedelta(days=i)), "mode": "incremental", "raw_rows": 1000 + i,
                        "exact_duplicates": 10, "near_duplicates": 20, c.POSTINGS: 970 + i} for i in range(weeks)],
    }


def timed(build) -> tuple[float, Path]:
    times, path = [], None
    for _ in range(3):
        start = time.perf_counter()
        path = build()
        times.append(time.perf_counter() - start)
    return statistics.median(times), path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=156)
    parser.add_argument("--postings", type=int, default=60_000)
    parser.add_argument("--skills", type=int, default=600)
    parser.add_argument("--demo", type=Path, default=Path("data/demo"))
    args = parser.parse_args()
    names = {area: area.replace("_", " ").capitalize() for area in c.AREA_IDS}
    from pipeline.skills import load_taxonomy
    taxonomy = load_taxonomy(Path(__file__).resolve().parents[2] / "config" / "skills.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        tables = synthetic(args.weeks, args.postings, args.skills)
        weekly = tables["weekly"]
        print(f"synthetic: {weekly[c.WEEK].nunique()} weeks x 12 areas, "
              f"{tables['weekly_skill'][c.SKILL].nunique()} skills ({len(tables['weekly_skill']):,} skill rows), "
              f"{len(tables['postings']):,} postings")
        seconds, page = timed(lambda: build_report(
            weekly, tables["postings"], names, Path(tmp) / "synthetic", generated_at=GENERATED_AT,
            taxonomy_version="bench", weekly_skill_demand=tables["weekly_skill"], source_runs=tables["runs"],
            skill_mentions=tables["skill_mentions"], segment_area_demand=tables["segment"],
            processing_log=tables["processing"], taxonomy=taxonomy))
        report("3-year synthetic", seconds, page)
        if (args.demo / "dataset" / "meta.json").exists():
            seconds, page = timed(lambda: report_from_dataset(args.demo, taxonomy, Path(tmp) / "demo",
                                                              generated_at=GENERATED_AT))
            report(f"demo ({args.demo})", seconds, page)
        else:
            print(f"no demo dataset at {args.demo}: run `make demo` to measure it too")


def report(label: str, seconds: float, page: Path) -> None:
    size = page.stat().st_size
    assets = sorted((page.parent.parent / "assets").glob("plotly-*.min.js"))
    charts = page.read_text(encoding="utf-8").count("Plotly.newPlot(")
    ok = "ok" if seconds <= TARGET_SECONDS and size / 1e6 <= TARGET_MB else "OVER TARGET"
    print(f"{label}: build {seconds:.2f} s (median of 3), page {size / 1e6:.2f} MB with {charts} charts [{ok}]; "
          f"shared once for all pages: {', '.join(f'{a.name} {a.stat().st_size / 1e6:.2f} MB' for a in assets)}")


if __name__ == "__main__":
    main()
