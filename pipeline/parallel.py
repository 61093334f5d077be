"""The pandas engine's slow steps on every core: cleaning raw files, and enrichment of distinct contents.

Cleaning workers each take a run of consecutive raw files (a source's weeks in order, so the repeated
descriptions their memo in pipeline/clean.py catches stay with one worker), clean them in one call and
write each file's cleaned rows into the processing cache themselves; nothing else comes back. Each
enrichment worker receives the taxonomy once (at start, by a temporary file) and builds its own matcher;
chunks go out as frames of the enrichment key, title, location, description and hints only, so little more
than the text crosses the pipe. When the postings hold only where their descriptions are (pipeline/latest.py), a chunk's
are read just before it goes out, a few chunks ahead of the workers: this process never holds them all.
Worker processes are spawned, not forked: the parent may hold Arrow and DuckDB threads, and a fork would
copy their locks. Small batches stay in this process, where they cost less than starting workers.
"""
from __future__ import annotations

import itertools
import multiprocessing
import pickle
import tempfile
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Iterable, Iterator

import pandas as pd

from pipeline.cache import ProcessingCache
from pipeline.clean import clean_postings, raw_frame
from pipeline.cores import available_cores
from pipeline.enrich import ENRICHMENT_INPUTS, ENRICHMENT_KEY, enrichment_key, enrichment_table
from pipeline.latest import DESCRIPTION_AT, StoredDescriptions, as_in, with_descriptions
from pipeline.mentions import with_arrow_skill_lists
from pipeline.skills import Taxonomy
from scraper.rawstore import RawStore

# Below this many distinct contents, starting workers (a few seconds: imports and the matcher) costs more
# than it saves.
MIN_PARALLEL_POSTINGS = 4_000
CHUNK_POSTINGS = 2_000
IN_FLIGHT_PER_WORKER = 3  # chunks sent ahead of their results, per worker: none waits for the next
READ_CHUNKS = 8  # chunks whose descriptions are read together
MIN_PARALLEL_FILES = 24  # raw files to clean; fewer are cleaned here
CHUNK_FILES = 16
_worker_taxonomy: Taxonomy | None = None


def _start_worker(shipped: str) -> None:
    global _worker_taxonomy
    _worker_taxonomy = pickle.loads(Path(shipped).read_bytes())


def _enrich_chunk(chunk: pd.DataFrame) -> pd.DataFrame:
    assert _worker_taxonomy is not None
    return enrichment_table(chunk, _worker_taxonomy)


def _enrich_chunk_arrow_lists(chunk: pd.DataFrame) -> pd.DataFrame:
    return with_arrow_skill_lists(_enrich_chunk(chunk))


def enrichment_table_parallel(postings: pd.DataFrame, taxonomy: Taxonomy, workers: int | None = None,
                              keys: pd.Series | None = None,
                              descriptions: StoredDescriptions | None = None,
                              arrow_lists: bool = False) -> pd.DataFrame:
    """`enrichment_table(postings, taxonomy)`, computed by `workers` processes (default: one per core).

    `keys`: enrichment_key(postings), when the caller has it. `postings` may hold DESCRIPTION_AT in place of
    the description (rows of pipeline/latest.latest_rows): each chunk's descriptions are then read from
    `descriptions` just before it goes out, so this process holds a few chunks' worth, not all of them.
    `arrow_lists`: the skill lists as `with_arrow_skill_lists` gives them, made so by each worker, so that
    this process never holds them as Python lists (14 million entries at a million raw rows)."""
    workers = workers or available_cores()
    keys = enrichment_key(postings) if keys is None else keys
    repeated = keys.duplicated().to_numpy()
    # Selecting rows copies them; with every content distinct (the usual case) only columns are selected.
    inputs = postings[as_in(postings, ENRICHMENT_INPUTS)]
    # the workers use these keys, not their own
    inputs.insert(0, ENRICHMENT_KEY, pd.Series(keys.to_numpy(), index=inputs.index, dtype=object))
    unique = inputs[~repeated] if repeated.any() else inputs
    if DESCRIPTION_AT in unique.columns:
        # neighbours in the cleaned files: a chunk's descriptions are read from a few files
        unique = unique.sort_values(DESCRIPTION_AT, kind="stable")
    if workers <= 1 or len(unique) < MIN_PARALLEL_POSTINGS:
        table = enrichment_table(with_descriptions(unique, descriptions), taxonomy)
        return with_arrow_skill_lists(table) if arrow_lists else table
    context = multiprocessing.get_context("spawn")
    enrich = _enrich_chunk_arrow_lists if arrow_lists else _enrich_chunk
    # The taxonomy (with the matcher's compilations, about 2 MB) goes by file, not as the workers' start
    # arguments: those are written into the pipe at each start, and a write bigger than the pipe waited for
    # the worker to import what unpickling them needs, one worker after the other (tests/bench/
    # bench_worker_start.py: first results 2.94 -> 2.04 s, this process blocked 2.58 -> 0.01 s).
    with tempfile.TemporaryDirectory(prefix="jobtrends-taxonomy-") as folder:
        shipped = Path(folder) / "taxonomy.pickle"
        shipped.write_bytes(pickle.dumps(taxonomy, protocol=pickle.HIGHEST_PROTOCOL))
        with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker,
                                 initargs=(str(shipped),)) as pool:
            parts = list(_in_order(pool, enrich, _chunks(unique, descriptions), IN_FLIGHT_PER_WORKER * workers))
    return pd.concat(parts, ignore_index=True).drop_duplicates(ENRICHMENT_KEY, ignore_index=True)


def _chunks(unique: pd.DataFrame, descriptions: StoredDescriptions | None) -> Iterator[pd.DataFrame]:
    """CHUNK_POSTINGS rows at a time, with their descriptions; those are read READ_CHUNKS chunks at a time
    (each read opens the files that hold them: with the earlier dataset reader, 2,000 rows a read took 1.5
    times as long in all; not measured again with the one-file-at-a-time reads)."""
    step = CHUNK_POSTINGS * (READ_CHUNKS if DESCRIPTION_AT in unique.columns else 1)
    for lo in range(0, len(unique), step):
        read = with_descriptions(unique.iloc[lo:lo + step], descriptions)
        for i in range(0, len(read), CHUNK_POSTINGS):
            yield read.iloc[i:i + CHUNK_POSTINGS]


def _in_order(pool: ProcessPoolExecutor, function, items: Iterable, in_flight: int) -> Iterator:
    """`pool.map(function, items)` with at most `in_flight` items submitted and not yet returned: map
    would take (and here read the descriptions of) every chunk at once."""
    pending: deque = deque()
    for item in items:
        pending.append(pool.submit(function, item))
        if len(pending) >= in_flight:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def _clean_files(job: tuple[str, str, list[str]]) -> None:
    """Clean a run of raw files in one clean_postings call, and cache each file's slice of it.

    Cleaning has a fixed cost per call (a frame, a dozen passes over columns: about 10 ms), and a store
    of weekly scrapes holds thousands of small files. Every cleaned row depends on its raw row alone, so a
    file's slice is what cleaning the file alone gives (tests/test_parallel.py)."""
    data_dir, taxonomy_version, raw_paths = job
    store = RawStore(data_dir)
    cache = ProcessingCache(store, taxonomy_version)
    paths = [Path(p) for p in raw_paths]
    rows_of = [list(store.iter_rows([path])) for path in paths]
    cleaned = clean_postings(raw_frame(itertools.chain.from_iterable(rows_of)))
    start = 0
    for path, rows in zip(paths, rows_of):
        cache.write_cleaned(path, cleaned.iloc[start:start + len(rows)].reset_index(drop=True))
        start += len(rows)


def clean_raw_files(cache: ProcessingCache, raw_paths: list[Path], workers: int | None = None) -> None:
    """Clean each of `raw_paths` and write it into `cache`, on `workers` processes (default: one per core)."""
    workers = workers or available_cores()
    jobs = [(str(cache.store.data_dir), cache.taxonomy_version, [str(p) for p in raw_paths[i:i + CHUNK_FILES]])
            for i in range(0, len(raw_paths), CHUNK_FILES)]
    if workers <= 1 or len(raw_paths) < MIN_PARALLEL_FILES:
        for job in jobs:
            _clean_files(job)
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        for _ in pool.map(_clean_files, jobs):
            pass
