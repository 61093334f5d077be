"""Processing time, full rebuild vs incremental, when one scrape run is added.

    .venv/bin/python tests/bench/bench_process.py [--repeats 3]

Two data directories, each processed up to its last run, then that run added:
- `demo rescrape`: the 24-week demo scraped over HTTP on 127.0.0.1 as `jobtrends demo` does, then
  scraped again (same postings, new fetch time): the daily case of a quiet day.
- `new postings`: the 12-week demo corpus scraped four times (tests/test_incremental.py), the fourth run
  bringing the postings of three new weeks.
Each timing is `jobtrends process [--full]` in a fresh process on a fresh copy of the directory, as a
user or the daemon runs it (Python start-up and loading the taxonomy included); medians are printed.
"""
from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.cli import demo_config  # noqa: E402
from pipeline.dataset import read_meta  # noqa: E402
from pipeline.process import process  # noqa: E402
from pipeline.settings import DEFAULT_TAXONOMY  # noqa: E402
from pipeline.skills import load_taxonomy  # noqa: E402
from scraper.collect import scrape_sources  # noqa: E402
from scraper.demo.corpus import build_corpus  # noqa: E402
from scraper.demo.server import DemoServer  # noqa: E402
from scraper.rawstore import RawStore  # noqa: E402
from tests.test_incremental import scrape_runs  # noqa: E402

JOBTRENDS = Path(sys.executable).with_name("jobtrends")


def demo_rescrape(base: Path, taxonomy) -> None:
    corpus = build_corpus(weeks=24)
    with DemoServer(corpus) as server:
        cfg = demo_config(corpus.source_configs(server.base_url), base)
        asyncio.run(scrape_sources(cfg.sources, cfg.fetch, RawStore(base)))
        process(base, taxonomy)
        time.sleep(0.01)  # a distinct run id
        asyncio.run(scrape_sources(cfg.sources, cfg.fetch, RawStore(base)))


def new_postings(base: Path, taxonomy) -> None:
    runs = scrape_runs(base)
    for _ in range(3):
        next(runs)
        process(base, taxonomy)
    next(runs)


def timed(base: Path, work: Path, full: bool) -> tuple[float, dict]:
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(base, work)
    command = [str(JOBTRENDS), "process", "--data-dir", str(work), *(["--full"] if full else [])]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started, read_meta(work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-process-"))
    taxonomy = load_taxonomy(DEFAULT_TAXONOMY)
    try:
        for name, prepare in (("demo rescrape", demo_rescrape), ("new postings", new_postings)):
            base = root / name.replace(" ", "-")
            prepare(base, taxonomy)
            for mode, full in (("incremental", False), ("full", True)):
                runs = [timed(base, root / "work", full) for _ in range(args.repeats)]
                meta = runs[-1][1]
                print(f"{name:13s} {mode:11s} median {statistics.median(s for s, _ in runs):5.2f} s "
                      f"({', '.join(f'{s:.2f}' for s, _ in runs)}); raw files parsed {meta['raw_files_parsed']}/"
                      f"{meta['raw_files']}, postings matched {meta['postings_enriched']}/{meta['postings']}, "
                      f"weeks affected {meta['weeks_affected']}/{meta['weeks']}, raw rows {meta['raw_rows']}, "
                      f"dedup rate {meta['dedup_rate']:.1%}, in-process {meta['seconds']:.2f} s")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
