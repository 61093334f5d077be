"""The pipeline's steps as functions of one partition, for engines that split the work (pipeline/dask_engine.py).

Each step is exact on a partition that holds every row its rule compares:

    cleaned_raw_file   one raw file                  -> its cleaned rows (clean_postings)
    exact_postings     every row of each posting_id  -> one row per posting (drop_exact_duplicates)
    near_merged        every posting of each block   -> one row per job (merge_near_duplicates)
    enriched           any postings                  -> enrichment rows of their distinct contents

so hashing rows on `posting_id`, then on `dedup_block`, before the two dedup steps gives the tables the
in-memory pipeline gives. Hints travel as JSON text between steps: a column of dicts does not survive a
shuffle through Arrow, and JSON is what the processing cache stores too.
"""
from __future__ import annotations

import gzip
import json
from typing import Any, Iterator

import pandas as pd

from pipeline import columns as c
from pipeline.clean import clean_postings, drop_exact_duplicates, raw_frame
from pipeline.dedupe import company_key, merge_near_duplicates, title_key
from pipeline.enrich import enrichment_table
from pipeline.skills import Taxonomy

DEDUP_BLOCK = "dedup_block"


def hints_as_json(frame: pd.DataFrame) -> pd.DataFrame:
    """Hints as the processing cache stores them (pipeline/cache.py), and as they cross a shuffle."""
    return frame.assign(**{c.HINTS: [json.dumps(h or {}, sort_keys=True) for h in frame[c.HINTS]]})


def hints_as_dicts(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(**{c.HINTS: [json.loads(h) if isinstance(h, str) else (h or {}) for h in frame[c.HINTS]]})


def read_raw_rows(url: str) -> Iterator[dict[str, Any]]:
    """The rows of one raw file (`raw/<source>/<run_id>.jsonl.gz`), local or any fsspec URL (s3://…)."""
    if "://" not in url:
        opened = gzip.open(url, "rt", encoding="utf-8")
    else:
        import fsspec  # installed with the dask extra; local paths never need it

        opened = fsspec.open(url, "rt", compression="gzip", encoding="utf-8").open()
    with opened as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def cleaned_raw_file(url: str) -> pd.DataFrame:
    return hints_as_json(clean_postings(raw_frame(read_raw_rows(url))))


def exact_postings(rows: pd.DataFrame) -> pd.DataFrame:
    return drop_exact_duplicates(rows)


def dedup_block(postings: pd.DataFrame) -> pd.Series:
    """The block near-duplicate merging compares within; a posting without company or title key is its
    own block (it is never merged), so it does not pile up in one partition."""
    companies = postings[c.COMPANY].map(company_key)
    titles = postings[c.TITLE].map(title_key)
    keys = [f"{co}\x1f{ti}" if co and ti else f"\x1e{pid}"
            for co, ti, pid in zip(companies, titles, postings[c.POSTING_ID])]
    return pd.Series(keys, index=postings.index, dtype=object, name=DEDUP_BLOCK)


def with_dedup_block(postings: pd.DataFrame) -> pd.DataFrame:
    return postings.assign(**{DEDUP_BLOCK: dedup_block(postings)})


def near_merged(postings: pd.DataFrame) -> pd.DataFrame:
    return merge_near_duplicates(postings.drop(columns=[DEDUP_BLOCK], errors="ignore"))


# One taxonomy per worker process: compiling its matcher takes seconds, and each task gets a fresh copy.
_RESIDENT: dict[tuple[str, str], Taxonomy] = {}


def resident(taxonomy: Taxonomy) -> Taxonomy:
    return _RESIDENT.setdefault((taxonomy.version, taxonomy.engine), taxonomy)


def enriched(postings: pd.DataFrame, taxonomy: Taxonomy) -> pd.DataFrame:
    return enrichment_table(hints_as_dicts(postings), resident(taxonomy))
