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
import itertools
import json

import numpy as np
import pandas as pd

from pipeline import columns as c
from pipeline.boilerplate import demand_text
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
    """Hash of everything enrichment reads; equal keys give equal results under one taxonomy and code."""
    hints = postings[c.HINTS] if c.HINTS in postings.columns else pd.Series([{}] * len(postings), index=postings.index)
    keys = [
        hashlib.sha1("\x1f".join((str(t), str(loc), str(d), json.dumps(h or {}, sort_keys=True))).encode("utf-8"))
        .hexdigest()[:20]
        for t, loc, d, h in zip(postings[c.TITLE], postings[c.LOCATION], postings[c.DESCRIPTION], hints)
    ]
    return pd.Series(keys, index=postings.index, dtype=object, name=ENRICHMENT_KEY)


def enrichment_table(postings: pd.DataFrame, taxonomy: Taxonomy) -> pd.DataFrame:
    """One row per distinct content among `postings` (columns ENRICHMENT_COLUMNS)."""
    unique = postings.assign(**{ENRICHMENT_KEY: enrichment_key(postings)}).drop_duplicates(ENRICHMENT_KEY)
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


def attach_enrichment(postings: pd.DataFrame, table: pd.DataFrame,
                      keys: pd.Series | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`postings` with ENRICHED_COLUMNS from `table` (which must hold every key), and their skill_mentions.

    `keys`: enrichment_key(postings), when the caller has it."""
    keys = enrichment_key(postings) if keys is None else keys
    rows = table.drop_duplicates(ENRICHMENT_KEY).set_index(ENRICHMENT_KEY)
    missing = ~keys.isin(rows.index)
    if missing.any():
        raise KeyError(f"{int(missing.sum())} postings have no enrichment row")
    rows = rows.loc[keys.to_numpy()]
    out = postings.copy(deep=False)  # only new columns are set: the descriptions are not copied
    for column in ENRICHED_COLUMNS:
        out[column] = rows[column].to_numpy()
    out[c.IS_ML] = out[c.IS_ML].astype(bool)
    for column in c.SALARY_NUMBER_COLUMNS:
        out[column] = out[column].astype("float64")
    return out, _mentions(out[c.POSTING_ID].to_numpy(), rows[SKILL_AREAS].tolist(), rows[SKILL_NAMES].tolist())


def _mentions(posting_ids, areas: list, skills: list) -> pd.DataFrame:
    """The long skill_mentions table, sorted by posting_id, area, skill: built from flat arrays and
    ordered by integer ranks (tens of millions of rows at scale; exploding and sorting strings cost minutes)."""
    lengths = np.fromiter(map(len, areas), dtype=np.int64, count=len(areas))
    flat_areas = np.fromiter(itertools.chain.from_iterable(areas), dtype=object, count=int(lengths.sum()))
    flat_skills = np.fromiter(itertools.chain.from_iterable(skills), dtype=object, count=int(lengths.sum()))
    posting_rank = np.repeat(pd.factorize(posting_ids, sort=True)[0], lengths)
    order = np.lexsort((pd.factorize(flat_skills, sort=True)[0], pd.factorize(flat_areas, sort=True)[0], posting_rank))
    return pd.DataFrame({
        c.POSTING_ID: np.repeat(np.asarray(posting_ids, dtype=object), lengths)[order],
        c.AREA: flat_areas[order],
        c.SKILL: flat_skills[order],
    })[list(c.SKILL_MENTIONS_COLUMNS)]
