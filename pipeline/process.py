"""The pipeline end to end: raw store -> cleaned dataset. Re-running on the same raw data gives the same tables."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

import pandas as pd

from pipeline import columns as c
from pipeline.classify import classify_ml
from pipeline.clean import clean_postings, drop_exact_duplicates, raw_frame
from pipeline.dataset import read_meta, write_dataset
from pipeline.errors import DatasetError
from pipeline.normalize import normalize_postings
from pipeline.skills import Taxonomy
from pipeline.text import html_to_text
from pipeline.trends import (
    mark_ml, posting_skills, segment_area_demand, skill_mentions, weekly_area_demand, weekly_skill_demand,
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


def build_tables(raw: pd.DataFrame, taxonomy: Taxonomy) -> dict[str, pd.DataFrame]:
    postings = drop_exact_duplicates(clean_postings(raw)).pipe(mark_ml).pipe(normalize_postings)
    postings[c.TAXONOMY_VERSION] = taxonomy.version
    postings = postings[list(c.POSTINGS_COLUMNS)]
    mentions = skill_mentions(postings, taxonomy)
    weekly = weekly_area_demand(postings, mentions, taxonomy.version)
    skills = [(area, skill) for area in c.AREA_IDS for skill in taxonomy.skills_of(area)]
    return {
        "postings": postings, "skill_mentions": mentions, "weekly_area_demand": weekly,
        "weekly_skill_demand": weekly_skill_demand(postings, mentions, taxonomy.version, skills),
        "segment_area_demand": segment_area_demand(postings, mentions, taxonomy.version),
    }


def process(data_dir: str | Path, taxonomy: Taxonomy) -> ProcessSummary:
    store = RawStore(data_dir)
    # One listing for the rows and the meta: scrapes may add files while we read.
    raw_paths = store.raw_files()
    raw = raw_frame(store.iter_rows(raw_paths))
    tables = build_tables(raw, taxonomy)
    postings = tables["postings"]
    meta = {
        "taxonomy_version": taxonomy.version,
        "built_at": datetime.now(timezone.utc).isoformat(),
        "raw_files": len(raw_paths),
        "raw_fingerprint": store.fingerprint(raw_paths),
        "raw_rows": len(raw),
        "postings": len(postings),
        "ml_postings": int(postings[c.IS_ML].sum()),
    }
    folder = write_dataset(data_dir, tables, meta)
    return ProcessSummary(
        raw_rows=len(raw),
        postings=len(postings),
        ml_postings=meta["ml_postings"],
        mentions=len(tables["skill_mentions"]),
        weeks=tables["weekly_area_demand"][c.WEEK].nunique(),
        taxonomy_version=taxonomy.version,
        dataset_dir=folder,
    )


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
