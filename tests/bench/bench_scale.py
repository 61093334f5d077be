"""Processing at scale (issue 8): stage times and peak memory of the real pipeline on a large raw store.

    .venv/bin/python tests/bench/bench_scale.py --data-dir /tmp/jt100k [--generate 100000] [--incremental 10000]
                                               [--no-subprocess] [--no-report] [--instrumented-incremental] [--one-company]
                                               [--json out.json]

`--generate N` first writes a corpus of N raw rows with tests/bench/gen_large_corpus.py (timed) when the
directory holds no raw store. Then, in this process, `pipeline.process.process(data_dir, taxonomy, full=True)`
runs unchanged, with timers wrapped around the functions it calls (the pipeline is not re-implemented,
only its pieces are timed where they are looked up):

    clean      clean_raw_files: per raw file gunzip, JSON, payload hints (raw_frame), HTML to text, tidy fields,
               dates, content hash (clean_postings), written to the cache; on every core (wall time)
    cache io   ProcessingCache.cleaned_file (is each raw file's cleaned file there and readable?)
    exact      latest_rows_and_state: narrow scan of the cleaned files (those added since the last run's
               state, when it is there), then each posting's newest row without its description (read
               later by the steps that need it, and timed in theirs); the state read and written
    near       incremental_duplicate_groups + merge_near_duplicates (shingle comparison within company/title
               blocks, new and changed postings only when the cached state is there) and reading the state
    keys       enrichment_key (SHA-1 of each posting's content)
    enrich     enrichment_table_parallel: ML verdict, normalization, boilerplate removal and skill matching
               of each distinct content, on every core (wall time; the workers' parts are not split)
    enrich io  enrichment cache read/write
    aggregate  attach_enrichment + weekly_area_demand + weekly_skill_demand + segment_area_demand
    write      weeks_affected, write_dataset, processing log, the near-duplicate state
    report     reports.build.report_from_dataset (after process)

plus building the matcher (compiling the taxonomy, timed before `process` so `match` is the scan alone) and
`other` (the rest of process's own time). A thread samples this process's RSS every 20 ms and keeps each
stage's peak (worker processes not included; a stage's peak is taken while it is the innermost running).
Until 2026-12-06 the column held ru_maxrss after a stage's *last* call, and `near` includes the state's
write, which comes after the dataset's: so its figure was the whole run's peak. Then, unless
`--no-subprocess`: `jobtrends process --full [--engine E]` end to end in a fresh process for each engine of
`--engines`, its memory sampled every 0.1 s as the sum of the RSS of the process and all its children (the
figure the 4 GB target is about), then `--incremental` new postings added (spread over every board, one
new raw file each, as a week of scrapes would add them; `--one-company`: one raw file, all to one company,
the step used before 2026-12-06) and the incremental `jobtrends process` timed the same way.
`--skip-instrumented` leaves out the in-process run. `--instrumented-incremental` adds `--incremental`
postings after the in-process full run and times the incremental run in-process too, stage by stage. The
rows `build matcher` and `process` show ru_maxrss, the process's peak so far (after a full run, the full
run's). Each such step adds its raw files to the store for good.
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
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
STAGES = ("clean", "cache io", "exact", "near", "keys", "enrich", "enrich io", "aggregate", "write")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def current_rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


class StageClock:
    """Accumulates wall time and the peak RSS per stage; nested timed calls count only in the innermost
    stage. Sampling starts with `start` and ends with `stop`."""

    SAMPLE_SECONDS = 0.02

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.peak_during: dict[str, float] = defaultdict(float)
        self._stack: list[tuple[str, float]] = []
        self._stopped = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)

    def start(self) -> None:
        self._sampler.start()

    def stop(self) -> None:
        self._stopped.set()
        self._sampler.join()

    def _sample(self) -> None:
        while not self._stopped.wait(self.SAMPLE_SECONDS):
            self._note(current_rss_mb())

    def _note(self, rss_mb: float) -> None:
        stack = self._stack
        stage = stack[-1][0] if stack else "other"
        self.peak_during[stage] = max(self.peak_during[stage], rss_mb)

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
                self._note(current_rss_mb())  # a stage shorter than a sample still gets a figure
                _, since = self._stack.pop()
                self.seconds[stage] += end - since
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

    patch(process_mod, "clean_raw_files", "clean")
    patch(cache_mod.ProcessingCache, "cleaned_file", "cache io")
    patch(process_mod, "latest_rows_and_state", "exact")
    patch(cache_mod.ProcessingCache, "read_latest", "exact")
    patch(cache_mod.ProcessingCache, "write_latest", "exact")
    patch(process_mod, "incremental_duplicate_groups", "near")
    patch(dedupe_mod, "merge_near_duplicates", "near")
    patch(cache_mod.ProcessingCache, "read_near_duplicates", "near")
    patch(cache_mod.ProcessingCache, "write_near_duplicates", "write")  # after the dataset, like the log
    patch(enrich_mod, "enrichment_key", "keys")
    patch(process_mod, "enrichment_key", "keys")
    patch(process_mod, "enrichment_table_parallel", "enrich")
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


def run_instrumented(data_dir: Path, full: bool = True, report: bool = True) -> dict[str, Any]:
    clock = StageClock()
    started = time.perf_counter()
    taxonomy = load_taxonomy(DEFAULT_TAXONOMY)
    taxonomy.match("warm-up")  # builds the engine (Hyperscan compile) outside `match`
    build = time.perf_counter() - started
    rss_build = peak_rss_mb()
    undo = instrument(clock)
    clock.start()
    try:
        t0 = time.perf_counter()
        summary = process_mod.process(data_dir, taxonomy, full=full)
        process_seconds = time.perf_counter() - t0
    finally:
        clock.stop()
        undo()
    rss_process = peak_rss_mb()
    from reports.build import report_from_dataset

    report_seconds = None
    if report:
        out = Path(tempfile.mkdtemp(prefix="jt-report-"))
        t0 = time.perf_counter()
        report_from_dataset(data_dir, taxonomy, out, generated_at=datetime.now(timezone.utc))
        report_seconds = round(time.perf_counter() - t0, 2)
        shutil.rmtree(out, ignore_errors=True)
    stages = {name: round(clock.seconds.get(name, 0.0), 2) for name in STAGES}
    stages["other"] = round(process_seconds - sum(clock.seconds.get(n, 0.0) for n in STAGES), 2)
    return {
        "raw_rows": summary.raw_rows, "postings": summary.postings, "ml_postings": summary.ml_postings,
        "postings_enriched": summary.postings_enriched, "raw_files": summary.raw_files_parsed,
        "full": full,
        "exact_duplicates": summary.dedup.exact_duplicates, "near_duplicates": summary.dedup.near_duplicates,
        "build_matcher": round(build, 2), "stages": stages, "process": round(process_seconds, 2),
        "report": report_seconds,
        "peak_rss_mb": {"build_matcher": round(rss_build),
                        **{n: round(clock.peak_during[n]) for n in (*STAGES, "other") if n in clock.peak_during},
                        "process": round(rss_process), "report": round(peak_rss_mb())},
    }


def timed_cli(args: list[str]) -> dict[str, Any]:
    """`jobtrends <args>` in a fresh process: wall seconds and the peak of its process tree's summed RSS."""
    import psutil

    command = [str(JOBTRENDS), *args]
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(command, stdout=out, stderr=err, env={**os.environ, "COLUMNS": "200"})
        tree, peak = psutil.Process(child.pid), 0
        while child.poll() is None:
            total = 0
            try:
                for proc in [tree, *tree.children(recursive=True)]:
                    total += proc.memory_info().rss
            except psutil.Error:  # a worker ended between listing and reading
                pass
            peak = max(peak, total)
            time.sleep(0.1)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if child.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{stdout}\n{stderr[-3000:]}")
    tail = [line for line in stdout.splitlines() if line.strip()][-3:]
    return {"seconds": round(seconds, 2), "peak_tree_rss_mb": round(peak / 2**20), "output": " / ".join(tail)}


def print_table(m: dict[str, Any]) -> None:
    print(f"\n{'full' if m['full'] else 'incremental'}: "
          f"{m['raw_rows']:,} raw rows, {m['raw_files']:,} files cleaned -> {m['postings']:,} postings "
          f"({m['exact_duplicates']:,} exact duplicates, {m['near_duplicates']:,} near duplicates merged); "
          f"{m['postings_enriched']:,} contents enriched")
    print(f"| stage | seconds | µs per raw row | peak RSS during (MB) |\n|---|---:|---:|---:|")
    rows = m["raw_rows"] or 1
    print(f"| build matcher | {m['build_matcher']:.2f} | | {m['peak_rss_mb']['build_matcher']:,} |")
    for name, seconds in m["stages"].items():
        peak = m["peak_rss_mb"].get(name, "")
        print(f"| {name} | {seconds:.2f} | {seconds / rows * 1e6:,.0f} | {peak:,} |" if peak != ""
              else f"| {name} | {seconds:.2f} | {seconds / rows * 1e6:,.0f} | |")
    print(f"| **process (total)** | **{m['process']:.2f}** | {m['process'] / rows * 1e6:,.0f} | "
          f"{m['peak_rss_mb']['process']:,} |")
    if m["report"] is not None:
        print(f"| report | {m['report']:.2f} | | {m['peak_rss_mb']['report']:,} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--generate", type=int, default=0, help="write a corpus of N raw rows first if none is there")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--incremental", type=int, default=10_000, help="new postings for the incremental step")
    parser.add_argument("--no-subprocess", action="store_true", help="skip the `jobtrends process` timings")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--engines", default="pandas", help="engines for the end-to-end runs, e.g. pandas,dask")
    parser.add_argument("--skip-instrumented", action="store_true", help="only the end-to-end runs")
    parser.add_argument("--no-report", action="store_true", help="leave the report out of the instrumented run")
    parser.add_argument("--one-company", dest="spread", action="store_false",
                        help="add the incremental postings to one company, as before 2026-12-06 (default: across "
                             "every board, one new raw file each, as a week of scrapes would)")
    parser.add_argument("--instrumented-incremental", action="store_true",
                        help="after the instrumented full run, add --incremental postings and time the "
                             "incremental run the same way")
    args = parser.parse_args(argv)
    result: dict[str, Any] = {}
    if args.generate and not RawStore(args.data_dir).raw_files():
        manifest = gen.generate(args.data_dir, args.generate, args.seed)
        result["generate"] = {k: manifest[k] for k in ("rows", "distinct", "files", "bytes", "seconds",
                                                       "rows_per_second")}
    if not args.skip_instrumented:
        result["instrumented"] = run_instrumented(args.data_dir, report=not args.no_report)
        print_table(result["instrumented"])
        if args.instrumented_incremental and args.incremental:
            path = gen.add_postings(args.data_dir, args.incremental, args.seed, spread=args.spread)
            result["instrumented_added"] = str(path)
            result["instrumented_incremental"] = run_instrumented(args.data_dir, full=False, report=False)
            print_table(result["instrumented_incremental"])
    if not args.no_subprocess:
        for engine in args.engines.split(","):
            result[f"cli_full_{engine}"] = timed_cli(["process", "--full", "--engine", engine,
                                                      "--data-dir", str(args.data_dir)])
            print(f"cli_full_{engine}: {json.dumps(result[f'cli_full_{engine}'])}", flush=True)
        if args.incremental:
            # the incremental run starts from the pandas engine's cache
            if args.engines.split(",")[-1] != "pandas":
                timed_cli(["process", "--full", "--data-dir", str(args.data_dir)])
            t0 = time.perf_counter()
            path = gen.add_postings(args.data_dir, args.incremental, args.seed, spread=args.spread)
            result["added"] = {"file": str(path), "postings": args.incremental,
                               "seconds": round(time.perf_counter() - t0, 2)}
            result["cli_incremental"] = timed_cli(["process", "--data-dir", str(args.data_dir)])
            print(f"cli_incremental: {json.dumps(result['cli_incremental'])}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
