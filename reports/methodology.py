"""The methodology section's facts: how postings are collected, merged, classified and counted, and
how accurate the extraction measured.

The accuracy figures live in one file, reports/extraction_accuracy.json, next to this module (the
README's "Extraction accuracy" section quotes the same measurement); the page reads them from there
and nowhere else, so a new measurement is one edit.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import pandas as pd

from pipeline.columns import IS_ML, SOURCE, SOURCE_KIND

ACCURACY_FILE = Path(__file__).with_name("extraction_accuracy.json")

# How each source kind is read (README "Sources"), for the reader who wants to know where numbers come from.
SOURCE_KINDS = {
    "greenhouse": "Greenhouse job-board API", "lever": "Lever postings API",
    "hn": 'Hacker News "Who is hiring?" threads (Algolia API)', "ashby": "Ashby posting API",
    "workable": "Workable careers widget", "smartrecruiters": "SmartRecruiters posting API",
    "remotive": "Remotive API", "remoteok": "Remote OK API", "arbeitnow": "Arbeitnow job-board API",
    "wwr": "We Work Remotely RSS", "schemaorg": "career pages with schema.org JobPosting data",
    "html": "career pages read with configured CSS selectors",
}


@lru_cache(maxsize=1)
def extraction_accuracy() -> dict:
    return json.loads(ACCURACY_FILE.read_text(encoding="utf-8"))


def source_kinds(postings: pd.DataFrame) -> list[dict]:
    """Postings per source kind, most first; kinds not known here show their id (escaped by the template)."""
    if SOURCE_KIND not in postings:
        return []
    kinds = postings[SOURCE_KIND].fillna("unknown").astype(str)
    is_ml = postings[IS_ML].astype("boolean").fillna(False).astype(bool)
    table = (pd.DataFrame({"kind": kinds, "ml": is_ml, "source": postings[SOURCE].astype(str)})
             .groupby("kind").agg(postings=("ml", "size"), ml=("ml", "sum"), sources=("source", "nunique"))
             .sort_values("postings", ascending=False, kind="stable"))
    return [{"kind": kind, "label": SOURCE_KINDS.get(kind, kind), "postings": int(r.postings), "ml": int(r.ml),
             "sources": int(r.sources)} for kind, r in table.iterrows()]


def dedup_figures(processing_meta: dict | None) -> dict | None:
    """The latest processing run's duplicate counts (pipeline meta.json), or None when not given."""
    if not processing_meta:
        return None
    keys = ("raw_rows", "postings", "exact_duplicates", "near_duplicates", "dedup_rate")
    if not all(key in processing_meta for key in keys):
        return None
    return {key: processing_meta[key] for key in keys}
