"""The pipeline end to end: raw store -> cleaned dataset. Re-running on the same raw data gives the same tables.

raw files -> clean (per file, cached) -> exact dedup (a narrow scan of the cleaned files added since the
last run, taken with the newest rows that run kept; only each posting's newest row is loaded, without its
description: pipeline/latest.py; each step below reads the descriptions it needs from the cleaned files) ->
near-duplicate merge (new and changed postings compared with their blocks, the other pairs from the cached
state) -> enrich: ML verdict, normalized fields, skills (per distinct content, cached, on every core:
pipeline/parallel.py) -> weekly tables (all weeks). Cleaning, deduplication and enrichment are cached, so a
new run costs about its own new rows plus the tables and the write over every posting; see
pipeline/cache.py. `engine="dask"` is the same on a cluster (pipeline/dask_engine.py).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np
import pandas as pd
import pyarrow

from pipeline import columns as c
from pipeline.affected import PREVIOUS_COLUMNS, weeks_affected
from pipeline.cache import ProcessingCache
from pipeline.classify import classify_ml
from pipeline.clean import clean_postings, raw_frame
from pipeline.dataset import append_processing_log, read_meta, read_table, write_dataset
from pipeline.dedupe import (
    DedupFigures, NearDuplicates, deduplicate, deduplicate_exact, incremental_duplicate_groups,
)
from pipeline.enrich import ENRICHMENT_INPUTS, ENRICHMENT_KEY, enrichment_key, enrichment_table
from pipeline.latest import StoredDescriptions, as_in, description_reader, latest_rows_and_state
from pipeline.memory import release_freed_memory
from pipeline.mentions import attach_enrichment
from pipeline.parallel import clean_raw_files, enrichment_table_parallel
from pipeline.partitions import hints_as_dicts
from pipeline.errors import DatasetError
from pipeline.skills import Taxonomy
from pipeline.text import html_to_text
from pipeline.trends import (
    BASELINE_WEEKS, posting_skills, segment_area_demand, weekly_area_demand, weekly_skill_demand,
)
from scraper.rawstore import RawStore


@dataclass(frozen=True)
class ProcessSummary:
    raw_rows: int
    postings: int
    ml_postings: int
    mentions: int
    weeks: int
    taxonomy_version: str
    dataset_dir: Path
    dedup: DedupFigures
    full: bool
    raw_files_parsed: int  # raw files read and cleaned this run; the others came from the cache
    raw_files_reused: int
    postings_enriched: int  # postings classified, normalized and matched this run; the others reused
    weeks_affected: int  # weeks whose rows may differ from the previous dataset's (all of them when full)
    seconds: float


def build_tables(raw: pd.DataFrame, taxonomy: Taxonomy) -> dict[str, pd.DataFrame]:
    """The dataset's tables from raw rows, all in memory (`process` is the same, with its cache)."""
    postings, _ = deduplicate(clean_postings(raw))
    tables = demand_tables(postings, enrichment_table(postings, taxonomy), taxonomy)
    tables["skill_mentions"] = tables["skill_mentions"].astype("str")  # as the dataset holds it
    return tables


def demand_tables(postings: pd.DataFrame, enrichment: pd.DataFrame, taxonomy: Taxonomy,
                  keys: pd.Series | None = None) -> dict[str, pd.DataFrame]:
    """Deduplicated postings and their enrichment rows (`keys`: the postings' enrichment keys, when
    known) -> the dataset's tables; skill_mentions with Categorical columns (pipeline/mentions.py), which
    the dataset writes as strings."""
    postings, mentions = attach_enrichment(postings, enrichment, keys)
    postings[c.TAXONOMY_VERSION] = taxonomy.version
    postings = postings[as_in(postings, c.POSTINGS_COLUMNS)]
    skills = [(area, skill) for area in c.AREA_IDS for skill in taxonomy.skills_of(area)]
    return {
        "postings": postings, "skill_mentions": mentions,
        "weekly_area_demand": weekly_area_demand(postings, mentions, taxonomy.version),
        "weekly_skill_demand": weekly_skill_demand(postings, mentions, taxonomy.version, skills),
        "segment_area_demand": segment_area_demand(postings, mentions, taxonomy.version),
    }


ENGINES = ("pandas", "dask")


def process(data_dir: str | Path, taxonomy: Taxonomy, *, full: bool = False, engine: str = "pandas",
            scheduler: str | None = None, workers: int | None = None, raw_url: str | None = None) -> ProcessSummary:
    """Build the dataset from the raw store, reading and matching only what the cache lacks.

    `full` empties the cache first (`jobtrends process --full`); the result is the same either way.
    The pandas engine matches new contents on `workers` processes (default: one per core).
    `engine="dask"` runs the work on a Dask cluster instead (pipeline/dask_engine.py: the one at
    `scheduler`, else a LocalCluster of `workers` processes), reading the raw files at `raw_url` (default:
    this data directory's); it keeps no cache, and writes the same dataset.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: one of {', '.join(ENGINES)}")
    if engine != "dask" and (scheduler or raw_url):
        raise ValueError("--scheduler and --raw-url belong to the dask engine (--engine dask)")
    started = time.perf_counter()
    # Processing allocates and frees the descriptions several times over; Arrow's default allocator
    # (mimalloc) keeps freed pages, the system one gives them back: about a fifth less peak memory.
    pyarrow.set_memory_pool(pyarrow.system_memory_pool())
    store = RawStore(data_dir)
    cache = ProcessingCache(store, taxonomy.version)
    if full:
        cache.clear()
    if engine == "dask":
        from pipeline.dask_engine import dask_client, dask_postings, raw_listing

        urls, raw_bytes, fingerprint = raw_listing(raw_url or str(store.data_dir))
        with dask_client(scheduler, workers):
            postings, enrichment, dedup = dask_postings(urls, taxonomy, raw_bytes=raw_bytes)
        raw_files, parsed, enriched = len(urls), len(urls), len(enrichment)
        keys, near, descriptions = None, None, None
    else:
        # One listing for the rows and the meta: scrapes may add files while we read.
        raw_paths = store.raw_files()
        cleaned_paths, parsed = _cleaned_files(store, cache, raw_paths, workers)
        if cleaned_paths:
            postings, dedup, near, descriptions = _deduplicated(cache, cleaned_paths)
        else:
            (postings, dedup), near, descriptions = deduplicate(clean_postings(raw_frame([]))), None, None
        keys = enrichment_key(postings)
        enrichment, enriched = _enrichment(cache, postings, keys, taxonomy, workers, descriptions)
        release_freed_memory()  # the descriptions read for the workers, the results they sent back
        raw_files, fingerprint = len(raw_paths), store.fingerprint(raw_paths)
    tables = demand_tables(postings, enrichment, taxonomy, keys)
    del enrichment
    release_freed_memory()  # the skill_mentions table's makings
    postings = tables["postings"]
    weeks = sorted(tables["weekly_area_demand"][c.WEEK].unique())
    affected = weeks_affected(None if full or engine == "dask" else _previous_postings(data_dir), postings, weeks,
                              BASELINE_WEEKS)
    meta = {
        "taxonomy_version": taxonomy.version,
        "built_at": datetime.now(timezone.utc).isoformat(),
        "mode": "full" if full or engine == "dask" else "incremental",
        "engine": engine,
        "raw_files": raw_files,
        "raw_fingerprint": fingerprint,
        **dedup.as_dict(),
        "ml_postings": int(postings[c.IS_ML].sum()),
        "raw_files_parsed": parsed,
        "raw_files_reused": raw_files - parsed,
        "postings_enriched": enriched,
        "postings_enrichment_reused": len(postings) - enriched,
        "cache_files_discarded": cache.discarded,
        "weeks": len(weeks),
        "weeks_affected": len(affected),
        "first_affected_week": affected[0] if affected else None,
    }
    meta["seconds"] = round(time.perf_counter() - started, 3)
    folder = write_dataset(data_dir, tables, meta, descriptions)
    append_processing_log(data_dir, meta)
    if near is not None:
        cache.write_near_duplicates(near)
    cache.prune_other_versions()
    return ProcessSummary(
        raw_rows=dedup.raw_rows, postings=len(postings), ml_postings=meta["ml_postings"],
        mentions=len(tables["skill_mentions"]), weeks=len(weeks), taxonomy_version=taxonomy.version,
        dataset_dir=folder, dedup=dedup, full=full or engine == "dask", raw_files_parsed=parsed,
        raw_files_reused=raw_files - parsed, postings_enriched=enriched,
        weeks_affected=len(affected), seconds=meta["seconds"],
    )


def _cleaned_files(store: RawStore, cache: ProcessingCache, raw_paths: list[Path],
                   workers: int | None = None) -> tuple[list[Path], int]:
    """Every raw file's cleaned file, cleaning (on `workers` processes) and caching the raw files that have
    none; and how many those were.

    Rows are not kept here: pipeline/latest.py reads from the files only what exact deduplication keeps."""
    missing = [path for path in raw_paths if cache.cleaned_file(path) is None]
    clean_raw_files(cache, missing, workers)
    return [cache.cleaned_path(path) for path in raw_paths], len(missing)


def _deduplicated(cache: ProcessingCache, cleaned_paths: list[Path]
                  ) -> tuple[pd.DataFrame, DedupFigures, NearDuplicates, StoredDescriptions | None]:
    """Exact then near-duplicate merging of the cleaned files, comparing only the postings the cached
    near-duplicate state lacks; the state for the next run (written once the dataset is); and where the
    descriptions are, which the postings hold only the places of (DESCRIPTION_AT): each later step reads
    those it needs (near-duplicate comparison, enrichment, the week files written)."""
    # Hints stay JSON: only the postings enriched this run need them as dicts (see _enrichment).
    previous = cache.read_latest()
    exact, raw_rows, descriptions, latest = latest_rows_and_state(cleaned_paths, previous, decode_hints=False)
    # true of the cleaned files whatever happens to this run: kept now (unless it covers the same files
    # as the one read), and let go
    if latest is not None and (previous is None or latest.files != previous.files):
        cache.write_latest(latest)
    del latest, previous
    release_freed_memory()  # what the scan of the cleaned files decoded
    groups, near = incremental_duplicate_groups(exact, cache.read_near_duplicates(),
                                                description_reader(exact, descriptions))
    postings, dedup = deduplicate_exact(exact, raw_rows, groups)
    del exact, groups
    release_freed_memory()  # the descriptions compared
    return postings, dedup, near, descriptions


def _enrichment(cache: ProcessingCache, postings: pd.DataFrame, keys: pd.Series, taxonomy: Taxonomy,
                workers: int | None = None,
                descriptions: StoredDescriptions | None = None) -> tuple[pd.DataFrame, int]:
    """Enrichment rows for every posting (`keys`: their enrichment keys): cached ones, and the rest computed
    (on `workers` processes) and cached now. `descriptions`: where they are, when `postings` holds
    DESCRIPTION_AT instead."""
    cached = cache.read_enrichment()
    known = cached[_among(cached[ENRICHMENT_KEY], keys)]
    new = pd.Series(~_among(keys, known[ENRICHMENT_KEY]), index=keys.index)
    if new.any():
        _prepare_matcher(cache, taxonomy)
    columns = as_in(postings, ENRICHMENT_INPUTS)
    # a full run: no row selection, so no copy of every row
    inputs = postings[columns] if new.all() else postings.loc[new, columns]
    # the skill lists as the cached rows are read (Arrow lists)
    fresh = enrichment_table_parallel(hints_as_dicts(inputs), taxonomy, workers, keys=keys[new],
                                      descriptions=descriptions, arrow_lists=True)
    if fresh.empty and not known.empty:
        in_use = known  # nothing new: no copy of every cached row
    else:
        in_use = pd.concat([known, _strings_as_in(fresh, known)], ignore_index=True) if not known.empty else fresh
    cache.write_enrichment(fresh, in_use)
    return in_use, len(fresh)


def _strings_as_in(fresh: pd.DataFrame, known: pd.DataFrame) -> pd.DataFrame:
    """`fresh` (workers' rows: Python strings) with its string columns in the dtype `known` (cached rows,
    read as pandas 3's Arrow-backed `str`) has them: concatenated as they are, every such column of the
    whole table became Python strings, and attaching them turned each back (1.1 s at 400,000 postings)."""
    casts = {col: known[col].dtype for col in fresh.columns
             if col in known.columns and isinstance(known[col].dtype, pd.StringDtype)
             and fresh[col].dtype != known[col].dtype}
    return fresh.astype(casts) if casts else fresh


def _among(values: pd.Series, others: pd.Series) -> np.ndarray:
    """Which `values` are among `others`, compared as Python strings: pandas 3's Arrow-backed `str` columns
    (what the cache's keys read as) took 1.7-2.3 s per isin of 400,000 keys, object arrays 0.1-0.2 s."""
    objects = pd.Series(values.to_numpy(dtype=object), dtype=object)
    return objects.isin(others.to_numpy(dtype=object)).to_numpy(dtype=bool)


def _prepare_matcher(cache: ProcessingCache, taxonomy: Taxonomy) -> None:
    """Build the taxonomy's matcher here from the compilations the cache keeps (0.3 s), or compile it and
    keep what it compiled when they are missing or do not fit (damaged ones included): the workers get the
    taxonomy with them, and each would otherwise compile them again (about 4.5 s before matching a posting)."""
    kept = cache.read_matcher()
    taxonomy.use_prepared(kept)
    compiled = taxonomy.prepared_matcher()
    if compiled is not None and compiled != kept:
        cache.write_matcher(compiled)


def _previous_postings(data_dir: str | Path) -> pd.DataFrame | None:
    """The last dataset's postings, without their descriptions (content_hash stands for them)."""
    try:
        return read_table(data_dir, "postings", columns=PREVIOUS_COLUMNS)
    except DatasetError:
        return None
    except (KeyError, ValueError, pyarrow.ArrowException):  # written by a version without some column
        return None


def dataset_is_current(data_dir: str | Path, taxonomy: Taxonomy) -> bool:
    """True when the dataset was built from exactly the raw files now in the store, with this taxonomy."""
    try:
        meta = read_meta(data_dir)
    except DatasetError:
        return False
    store = RawStore(data_dir)
    return (meta.get("taxonomy_version") == taxonomy.version
            and meta.get("raw_fingerprint") == store.fingerprint(store.raw_files()))


def extract_records(records: Iterable[dict[str, Any]], taxonomy: Taxonomy) -> Iterator[dict[str, Any]]:
    """`jobtrends extract`: is_ml, areas and skills for each {"id", "title", "description"} record."""
    for record in records:
        title = str(record.get("title") or "")
        text = html_to_text(str(record.get("description") or ""))
        is_ml, _reason = classify_ml(title, text)
        pairs = posting_skills(taxonomy, title, text)
        areas = [a for a in c.AREA_IDS if any(area == a for area, _ in pairs)]
        yield {
            "id": record.get("id"),
            "is_ml": is_ml,
            "areas": areas,
            "skills": [skill for _, skill in pairs],
        }
