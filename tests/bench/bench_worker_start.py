"""How long enrichment workers take to start: the taxonomy as the pool's start argument, or by file.

    .venv/bin/python tests/bench/bench_worker_start.py [--rounds 5] [--workers 2]

Each round starts a spawn pool of `--workers` processes both ways, in turn, and submits six one-posting
chunks (pipeline/parallel._enrich_chunk). Prints, per way, the median seconds from the pool's start to the
last result, and how long this process was blocked in `submit` (the pool starts its workers there). The
taxonomy carries the matcher's compilations (about 2 MB pickled), as it does in `process`.
"""
from __future__ import annotations

import argparse
import multiprocessing
import pickle
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

import pipeline.parallel as parallel  # noqa: E402
from pipeline.enrich import ENRICHMENT_KEY  # noqa: E402
from pipeline.settings import DEFAULT_TAXONOMY  # noqa: E402
from pipeline.skills import load_taxonomy  # noqa: E402


def start_with_taxonomy(taxonomy) -> None:
    """The way before 2026-12-06: the taxonomy itself as the start argument."""
    parallel._worker_taxonomy = taxonomy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    taxonomy = load_taxonomy(DEFAULT_TAXONOMY)
    taxonomy.prepared_matcher()  # the compilations travel with it, as in process
    print(f"pickled taxonomy: {len(pickle.dumps(taxonomy)):,} bytes")
    chunk = pd.DataFrame({ENRICHMENT_KEY: ["k"], "title": ["ML Engineer"], "location": ["Berlin"],
                          "description": ["Python, statistics and PyTorch. " * 50], "hints": [{}]})
    context = multiprocessing.get_context("spawn")
    timings: dict[str, list[tuple[float, float]]] = {"argument": [], "file": []}
    for _ in range(args.rounds):
        for way in timings:
            started = time.perf_counter()
            with tempfile.TemporaryDirectory() as folder:
                if way == "file":
                    shipped = Path(folder) / "taxonomy.pickle"
                    shipped.write_bytes(pickle.dumps(taxonomy))
                    initializer, initargs = parallel._start_worker, (str(shipped),)
                else:
                    initializer, initargs = start_with_taxonomy, (taxonomy,)
                with ProcessPoolExecutor(args.workers, mp_context=context, initializer=initializer,
                                         initargs=initargs) as pool:
                    futures = [pool.submit(parallel._enrich_chunk, chunk) for _ in range(6)]
                    blocked = time.perf_counter() - started
                    for future in futures:
                        future.result()
            timings[way].append((time.perf_counter() - started, blocked))
    for way, runs in timings.items():
        print(f"taxonomy by {way}: first results {statistics.median(r[0] for r in runs):.2f} s, blocked in submit "
              f"{statistics.median(r[1] for r in runs):.2f} s (medians of {len(runs)}; "
              f"{', '.join(f'{r[0]:.2f}' for r in runs)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
