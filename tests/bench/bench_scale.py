"""Processing at scale (issue 8): stage times and peak memory of the real pipeline on a large raw store.

    .venv/bin/python tests/bench/bench_scale.py --data-dir /tmp/jt100k [--generate 100000] [--incremental 10000]
                                               [--no-subprocess] [--json out.json]

`--generate N` first writes a corpus of N raw rows with tests/bench/gen_large_corpus.py (timed) when the
directory holds no raw store. Then, in this process, `pipeline.process.process(data_dir, taxonomy, full=True)`
runs unchanged, with timers wrapped around the functions it calls (the pipeline is not re-implemented,
only its pieces are timed where they are looked up):

    load       raw_frame(store.iter_rows([file])) per raw file: gunzip, JSON, payload hints
    clean      clean_postings per raw file: HTML to text, tidy fields, dates, content hash
    cache io   ProcessingCache.write_cleaned/read_cleaned (Parquet per raw file; concatenating them is in `other`)
    exact      drop_exact_duplicates (one row per posting_id)
    near       merge_near_duplicates (shingles + MinHash LSH within company/title blocks)
    keys       enrichment_key (SHA-1 of each posting's content; process computes it 3 times)
    classify   mark_ml (the ML verdict of each distinct content)
    normalize  normalize_postings (title, family, seniority, location, salary)
    match      posting_skills for each distinct content (boilerplate removal + taxonomy.match)
    enrich io  enrichment cache read/write
    aggregate  attach_enrichment + weekly_area_demand + weekly_skill_demand + segment_area_demand
    write      weeks_affected, write_dataset, processing log
    report     reports.build.report_from_dataset (after process)

plus building the matcher (compiling the taxonomy, timed before `process` so `match` is the scan alone) and
`other` (the rest of process's own time). After each stage the peak RSS so far (ru_maxrss) is recorded.
Then, unless `--no-subprocess`: `jobtrends process --full` end to end in a fresh process under
`/usr/bin/time -v` (wall time and peak RSS), then `--incremental` new postings added as one new raw file
and the incremental `jobtrends process` timed the same way.
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pipeline.cache as cache_mod  # noqa: E402
import pipeline.dedupe as dedupe_mod  # noqa: E402
import pipeline.enrich as enrich_mod  # noqa: E402
import pipeline.process as process_mod  # noqa: E402
from pipeline.settings import DEFAULT_TAXONOMY  # noqa: E402
from pipeline.skills import load_taxonomy  # noqa: E402
from scraper.rawstore import RawStore  # noqa: E402
from tests.bench import gen_large_corpus as gen  # noqa: E402

JOBTRENDS = Path(sys.executable).with_name("jobtrends")
STAGES = ("load", "clean", "cache io", "exact", "near", "keys", "classify", "normalize", "match", "enrich io",
          "aggregate", "write")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


class StageClock:
    """Accumulates wall time per stage; nested timed calls count only in the innermost stage."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.peak_after: dict[str, float] = {}
        self._stack: list[tuple[str, float]] = []

    def wrap(self, stage: str, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            now = time.perf_counter()
            if self._stack:  # pause the enclosing stage
                outer, since = self._stack[-1]
                self.seconds[outer] += now - since
            self._stack.append((stage, now))
            try:
                return fn(*args, **kwargs)
            finally:
                end = time.perf_counter()
                _, since = self._stack.pop()
                self.seconds[stage] += end - since
                self.peak_after[stage] = peak_rss_mb()
                if self._stack:
                    outer, _ = self._stack[-1]
                    self._stack[-1] = (outer, end)
        return timed


def instrument(clock: StageClock) -> Callable[[], None]:
    """Wrap the functions process() calls, where process() looks them up; returns an undo."""
    patches: list[tuple[Any, str, Any]] = []

    def patch(owner: Any, name: str, stage: str) -> None:
        original = getattr(owner, name)
        patches.append((owner, name, original))
        setattr(owner, name, clock.wrap(stage, original))

    patch(process_mod, "raw_frame", "load")
    patch(process_mod, "clean_postings", "clean")
    patch(cache_mod.ProcessingCache, "read_cleaned", "cache io")
    patch(cache_mod.ProcessingCache, "write_cleaned", "cache io")
    patch(dedupe_mod, "drop_exact_duplicates", "exact")
    patch(dedupe_mod, "merge_near_duplicates", "near")
    patch(enrich_mod, "enrichment_key", "keys")
    patch(process_mod, "enrichment_key", "keys")
    patch(enrich_mod, "mark_ml", "classify")
    patch(enrich_mod, "normalize_postings", "normalize")
    patch(enrich_mod, "posting_skills", "match")
    patch(cache_mod.ProcessingCache, "read_enrichment", "enrich io")
    patch(cache_mod.ProcessingCache, "write_enrichment", "enrich io")
    for name in ("attach_enrichment", "weekly_area_demand", "weekly_skill_demand", "segment_area_demand"):
        patch(process_mod, name, "aggregate")
    for name in ("weeks_affected", "write_dataset", "append_processing_log", "_previous_postings"):
        patch(process_mod, name, "write")

    def undo() -> None:
        for owner, name, original in reversed(patches):
            setattr(owner, name, original)
    return undo


def run_instrumented(data_dir: Path) -> dict[str, Any]:
    clock = StageClock()
    started = time.perf_counter()
    taxonomy = load_taxonomy(DEFAULT_TAXONOMY)
    taxonomy.match("warm-up")  # builds the engine (Hyperscan compile) outside `match`
    build = time.perf_counter() - started
    rss_build = peak_rss_mb()
    undo = instrument(clock)
    try:
        t0 = time.perf_counter()
        summary = process_mod.process(data_dir, taxonomy, full=True)
        process_seconds = time.perf_counter() - t0
    finally:
        undo()
    rss_process = peak_rss_mb()
    from reports.build import report_from_dataset

    out = Path(tempfile.mkdtemp(prefix="jt-report-"))
    t0 = time.perf_counter()
    report_from_dataset(data_dir, taxonomy, out, generated_at=datetime.now(timezone.utc))
    report_seconds = time.perf_counter() - t0
    shutil.rmtree(out, ignore_errors=True)
    stages = {name: round(clock.seconds.get(name, 0.0), 2) for name in STAGES}
    stages["other"] = round(process_seconds - sum(clock.seconds.get(n, 0.0) for n in STAGES), 2)
    return {
        "raw_rows": summary.raw_rows, "postings": summary.postings, "ml_postings": summary.ml_postings,
        "postings_enriched": summary.postings_enriched, "raw_files": summary.raw_files_parsed,
        "exact_duplicates": summary.dedup.exact_duplicates, "near_duplicates": summary.dedup.near_duplicates,
        "build_matcher": round(build, 2), "stages": stages, "process": round(process_seconds, 2),
        "report": round(report_seconds, 2),
        "peak_rss_mb_after": {"build_matcher": round(rss_build),
                              **{n: round(clock.peak_after[n]) for n in STAGES if n in clock.peak_after},
                              "process": round(rss_process), "report": round(peak_rss_mb())},
    }


def timed_cli(args: list[str]) -> dict[str, Any]:
    """`jobtrends <args>` in a fresh process: wall seconds and, under /usr/bin/time -v, peak RSS."""
    command = [str(JOBTRENDS), *args]
    time_v = Path("/usr/bin/time")
    if time_v.exists():
        command = [str(time_v), "-v", *command]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"})
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr[-3000:]}")
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    tail = [line for line in done.stdout.splitlines() if line.strip()][-3:]
    return {"seconds": round(seconds, 2), "peak_rss_mb": round(int(peak.group(1)) / 1024) if peak else None,
            "output": " / ".join(tail)}


def print_table(result: dict[str, Any]) -> None:
    m = result["instrumented"]
    print(f"\n{m['raw_rows']:,} raw rows in {m['raw_files']:,} files -> {m['postings']:,} postings "
          f"({m['exact_duplicates']:,} exact duplicates, {m['near_duplicates']:,} near duplicates merged); "
          f"{m['postings_enriched']:,} contents enriched")
    print(f"| stage | seconds | µs per raw row | peak RSS after (MB) |\n|---|---:|---:|---:|")
    rows = m["raw_rows"] or 1
    print(f"| build matcher | {m['build_matcher']:.2f} | | {m['peak_rss_mb_after']['build_matcher']:,} |")
    for name, seconds in m["stages"].items():
        peak = m["peak_rss_mb_after"].get(name, "")
        print(f"| {name} | {seconds:.2f} | {seconds / rows * 1e6:,.0f} | {peak:,} |" if peak != ""
              else f"| {name} | {seconds:.2f} | {seconds / rows * 1e6:,.0f} | |")
    print(f"| **process (total)** | **{m['process']:.2f}** | {m['process'] / rows * 1e6:,.0f} | "
          f"{m['peak_rss_mb_after']['process']:,} |")
    print(f"| report | {m['report']:.2f} | | {m['peak_rss_mb_after']['report']:,} |")
    for key in ("generate", "cli_full", "cli_incremental"):
        if key in result:
            print(f"{key}: {json.dumps(result[key])}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--generate", type=int, default=0, help="write a corpus of N raw rows first if none is there")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--incremental", type=int, default=10_000, help="new postings for the incremental step")
    parser.add_argument("--no-subprocess", action="store_true", help="skip the `jobtrends process` timings")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    result: dict[str, Any] = {}
    if args.generate and not RawStore(args.data_dir).raw_files():
        manifest = gen.generate(args.data_dir, args.generate, args.seed)
        result["generate"] = {k: manifest[k] for k in ("rows", "distinct", "files", "bytes", "seconds",
                                                       "rows_per_second")}
    result["instrumented"] = run_instrumented(args.data_dir)
    print_table(result)
    if not args.no_subprocess:
        result["cli_full"] = timed_cli(["process", "--full", "--data-dir", str(args.data_dir)])
        print(f"cli_full: {json.dumps(result['cli_full'])}", flush=True)
        if args.incremental:
            t0 = time.perf_counter()
            path = gen.add_postings(args.data_dir, args.incremental, args.seed)
            result["added"] = {"file": str(path), "postings": args.incremental,
                               "seconds": round(time.perf_counter() - t0, 2)}
            result["cli_incremental"] = timed_cli(["process", "--data-dir", str(args.data_dir)])
            print(f"cli_incremental: {json.dumps(result['cli_incremental'])}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
