"""What processing derives from a posting's own content: the ML verdict, normalized fields, skills.

This is the slow part of processing (skill matching above all), and it depends on nothing but the
posting's title, location, description and payload hints (and the taxonomy), so `process` computes it
once per distinct content and keeps it in the processing cache (pipeline/cache.py) under
`enrichment_key`. An enrichment table has one row per key:

    enrichment_key | is_ml | ml_reason | title_normalized … salary_source | skill_areas | skill_names
    3f9c…          | True  | title     | machine learning engineer …      | [technical, …] | [Python, …]
"""
from __future__ import annotations

import hashlib
import json

import pandas as pd

from pipeline import columns as c
from pipeline.boilerplate import demand_text
from pipeline.clean import content_hashes
from pipeline.normalize import normalize_postings
from pipeline.skills import Taxonomy
from pipeline.trends import mark_ml, skills_in_demand

ENRICHMENT_KEY = "enrichment_key"
SKILL_AREAS = "skill_areas"  # the (area, skill) pairs of a posting, as two parallel lists
SKILL_NAMES = "skill_names"
ENRICHED_COLUMNS: tuple[str, ...] = (c.IS_ML, c.ML_REASON, *c.NORMALIZED_COLUMNS)
ENRICHMENT_COLUMNS: tuple[str, ...] = (ENRICHMENT_KEY, *ENRICHED_COLUMNS, SKILL_AREAS, SKILL_NAMES)
ENRICHMENT_INPUTS: tuple[str, ...] = (c.TITLE, c.LOCATION, c.DESCRIPTION, c.HINTS)  # all that enrichment reads


def enrichment_key(postings: pd.DataFrame) -> pd.Series:
    """Hash of everything enrichment reads; equal keys give equal results under one taxonomy and code.

    It hashes the content_hash (title, company, location, description: the company is not read, so two
    companies' identical texts are enriched twice) and the hints (dicts, or the JSON the processing cache
    keeps): a few dozen bytes per posting rather than its whole description, on every run. A frame without
    content_hash (one built by hand) gets the one clean_postings would give it."""
    if c.CONTENT_HASH in postings.columns:
        hashes = postings[c.CONTENT_HASH]
    else:
        blank = [""] * len(postings)
        hashes = content_hashes(*(postings[col].astype(str) if col in postings.columns else blank
                                  for col in (c.TITLE, c.COMPANY, c.LOCATION, c.DESCRIPTION)))
    hints = postings[c.HINTS] if c.HINTS in postings.columns else [{}] * len(postings)
    keys = [
        hashlib.sha1(f"{h}\x1f{j if isinstance(j, str) else json.dumps(j or {}, sort_keys=True)}".encode("utf-8"))
        .hexdigest()[:20]
        for h, j in zip(hashes, hints)
    ]
    return pd.Series(keys, index=postings.index, dtype=object, name=ENRICHMENT_KEY)


def enrichment_table(postings: pd.DataFrame, taxonomy: Taxonomy) -> pd.DataFrame:
    """One row per distinct content among `postings` (columns ENRICHMENT_COLUMNS); their keys are the
    ENRICHMENT_KEY column when they have one (a worker's chunk), else enrichment_key(postings)."""
    unique = (postings if ENRICHMENT_KEY in postings.columns
              else postings.assign(**{ENRICHMENT_KEY: enrichment_key(postings)})).drop_duplicates(ENRICHMENT_KEY)
    # Each demand text (the boilerplate-free description, the slow part) is computed once for both the
    # ML verdict and skill matching.
    titles = list(unique[c.TITLE])
    demands = [demand_text(d or "") for d in unique[c.DESCRIPTION]]
    enriched = normalize_postings(mark_ml(unique, demands))
    pairs = [skills_in_demand(taxonomy, t, m) for t, m in zip(titles, demands)]
    table = enriched[[ENRICHMENT_KEY, *ENRICHED_COLUMNS]].reset_index(drop=True)
    table[SKILL_AREAS] = pd.Series([[area for area, _ in found] for found in pairs], dtype=object)
    table[SKILL_NAMES] = pd.Series([[skill for _, skill in found] for found in pairs], dtype=object)
    return table
