"""`process --engine dask`: the partition functions of pipeline/partitions.py on a Dask cluster.

    raw files --from_map--> cleaned rows (a partition per raw file)
      --shuffle on posting_id--> exact_postings --shuffle on dedup_block--> near_merged (the postings)
      --map_partitions--> enriched (ML verdict, normalized fields, skills of each distinct content)

The workers do the parsing, cleaning, deduplication and matching; the client gathers the deduplicated
postings and their enrichment rows and builds the weekly tables and the Parquet dataset with the very
functions the pandas engine uses (pipeline/process.py), so both engines write the same tables (tested in
tests/test_dask_engine.py). With `scheduler` the work goes to that cluster (`tcp://host:8786`); without
it a LocalCluster of one single-threaded worker process per core runs here. This engine keeps no
processing cache: each run reads every raw file, the work a cluster is for.

Raw files are read by the workers themselves, through fsspec, so `raw_url` may be a path every worker
sees (a shared filesystem) or object storage (`s3://bucket/jobtrends`, with s3fs installed on the client
and every worker, credentials from the usual AWS environment variables or files).
"""
from __future__ import annotations

import hashlib
import logging
import os
from contextlib import contextmanager
from typing import Iterator

import pandas as pd

from pipeline import columns as c
from pipeline.clean import clean_postings, raw_frame
from pipeline.dedupe import DedupFigures
from pipeline.enrich import ENRICHMENT_KEY
from pipeline.errors import DatasetError
from pipeline.partitions import (
    DEDUP_BLOCK, cleaned_raw_file, enriched, exact_postings, hints_as_dicts, hints_as_json, near_merged,
    with_dedup_block,
)
from pipeline.skills import Taxonomy
from scraper.rawstore import RAW_SUFFIX, REJECTED_SUFFIX

# Compressed raw bytes per partition after the shuffles (about 20,000 raw rows of ~3 KB text): enough
# work per task to hide the scheduler's overhead, little enough to spread over the workers.
RAW_BYTES_PER_PARTITION = 24 * 2**20
CONNECT_TIMEOUT = "15s"


def dask_available() -> bool:
    try:
        import dask.dataframe  # noqa: F401
        import distributed  # noqa: F401
    except ImportError:
        return False
    return True


def require_dask() -> None:
    if not dask_available():
        raise DatasetError("the dask engine needs dask and distributed: pip install 'jobtrends[dask]'")


def raw_listing(raw_url: str) -> tuple[list[str], int, str]:
    """Every raw file under `raw_url` (a data directory, local or fsspec URL), sorted; their total bytes;
    and the fingerprint of their names."""
    import fsspec

    fs, root = fsspec.core.url_to_fs(raw_url)
    infos = fs.glob(f"{root.rstrip('/')}/raw/*/*{RAW_SUFFIX}", detail=True)
    names = sorted(name for name in infos if not name.endswith(REJECTED_SUFFIX))
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    urls = names if protocol in ("file", "local") else [f"{protocol}://{name}" for name in names]
    # The same fingerprint RawStore.fingerprint gives, so `dataset_is_current` holds for either engine.
    raw_root = f"{root.rstrip('/')}/raw/"
    relative = sorted(name[len(raw_root):] for name in names)
    fingerprint = hashlib.sha256("\n".join(relative).encode("utf-8")).hexdigest()[:16]
    return urls, sum(int(infos[name].get("size") or 0) for name in names), fingerprint


@contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None) -> Iterator[object]:
    """A client of the cluster at `scheduler`, or of a LocalCluster started (and stopped) here."""
    require_dask()
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            raise DatasetError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        with client:
            yield client
        return
    with LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                      dashboard_address=":0", silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        yield client


def _empty_cleaned() -> pd.DataFrame:
    return hints_as_json(clean_postings(raw_frame([])))


def dask_postings(raw_urls: list[str], taxonomy: Taxonomy, *, raw_bytes: int = 0,
                  bytes_per_partition: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame, DedupFigures]:
    """The deduplicated postings (sorted by posting_id, hints as dicts), their enrichment rows and the
    dedup figures, computed on the current Dask client's cluster (see `dask_client`)."""
    import dask

    # Keep pandas' own string dtype: dask would turn text columns into string[pyarrow], whose missing
    # values read differently (pd.NA, not NaN) from the pandas engine's.
    with dask.config.set({"dataframe.convert-string": False}):
        return _dask_postings(raw_urls, taxonomy, raw_bytes, bytes_per_partition or RAW_BYTES_PER_PARTITION)


def _dask_postings(raw_urls: list[str], taxonomy: Taxonomy, raw_bytes: int,
                   bytes_per_partition: int) -> tuple[pd.DataFrame, pd.DataFrame, DedupFigures]:
    import dask
    import dask.dataframe as dd

    meta = _empty_cleaned()
    if not raw_urls:
        postings = near_merged(with_dedup_block(exact_postings(meta)))
        return hints_as_dicts(postings), enriched(postings, taxonomy), DedupFigures(0, 0, 0, 0)
    partitions = max(1, min(len(raw_urls), -(-raw_bytes // bytes_per_partition)))
    cleaned = dd.from_map(cleaned_raw_file, raw_urls, meta=meta, enforce_metadata=False)
    exact_meta = exact_postings(meta)
    exact = (cleaned.shuffle(on=c.POSTING_ID, npartitions=partitions, shuffle_method="tasks")
             .map_partitions(exact_postings, meta=exact_meta))
    blocked_meta = with_dedup_block(exact_meta)
    postings_meta = near_merged(blocked_meta)
    postings = (exact.map_partitions(with_dedup_block, meta=blocked_meta)
                .shuffle(on=DEDUP_BLOCK, npartitions=partitions, shuffle_method="tasks")
                .map_partitions(near_merged, meta=postings_meta))
    # Each task gets its own copy of the taxonomy; partitions.resident compiles its matcher once per worker.
    enrichment = postings.map_partitions(enriched, taxonomy, meta=enriched(postings_meta, taxonomy))
    count = (None, "int64")
    # One compute, so the raw files are read and cleaned once for all four results.
    raw_rows, exact_rows, postings_frame, enrichment_frame = dask.compute(
        cleaned.map_partitions(len, meta=count).sum(), exact.map_partitions(len, meta=count).sum(),
        postings, enrichment)
    postings_frame = hints_as_dicts(postings_frame.sort_values(c.POSTING_ID, ignore_index=True))
    enrichment_frame = enrichment_frame.drop_duplicates(ENRICHMENT_KEY, ignore_index=True)
    raw_rows, exact_rows = int(raw_rows), int(exact_rows)
    figures = DedupFigures(raw_rows=raw_rows, exact_duplicates=raw_rows - exact_rows,
                           near_duplicates=exact_rows - len(postings_frame), postings=len(postings_frame))
    return postings_frame, enrichment_frame, figures
