"""A small processed data directory for tests that read the dataset: every third posting of the 16-week demo
corpus, parsed by the real adapters (no HTTP), stored as one scrape with its runs-log rows, then `process`ed
for real. A third keeps every source, week and area, at a third of the cost (matching and HTML parsing)."""
from __future__ import annotations

import functools
from datetime import datetime, time, timezone
from pathlib import Path

from pipeline.process import process
from pipeline.skills import Taxonomy, load_taxonomy
from scraper.demo.corpus import build_corpus
from scraper.rawstore import RawStore, SourceRun
from tests.conftest import REPO, demo_postings

WEEKS = 16
KEEP_EVERY = 3


@functools.lru_cache(maxsize=1)
def taxonomy() -> Taxonomy:
    """Built once per test session, with the pure-Python matcher: it gives the same results as Hyperscan
    and, on a few hundred postings, builds and runs faster than compiling the Hyperscan database."""
    return load_taxonomy(REPO / "config" / "skills.yaml", engine="python")


def build_small_dataset(data_dir: Path) -> Path:
    corpus = build_corpus(weeks=WEEKS)
    fetched = datetime.combine(corpus.anchor, time(23), timezone.utc)
    store = RawStore(data_dir)
    runs = []
    for source, postings in demo_postings(corpus).items():
        postings = postings[::KEEP_EVERY]
        path = store.write_postings(source, "run-1", fetched, postings)
        runs.append(SourceRun(
            run_id="run-1", source=source, kind=postings[0].source_kind if postings else "demo",
            started_at=fetched.isoformat(), finished_at=fetched.isoformat(), status="ok",
            postings=len(postings), rejected=0, requests=1, error_class="", error="", raw_file=str(path),
            new=len(postings),
        ))
    store.append_runs(runs)
    process(data_dir, taxonomy())
    return data_dir
