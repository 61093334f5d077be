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

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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


def attach_enrichment(postings: pd.DataFrame, table: pd.DataFrame,
                      keys: pd.Series | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`postings` with ENRICHED_COLUMNS from `table` (which must hold every key), and their skill_mentions.

    `keys`: enrichment_key(postings), when the caller has it. Each column is taken from `table` on its own
    (a copy of every row of `table` per posting held 600 MB more at a million raw rows)."""
    keys = enrichment_key(postings) if keys is None else keys
    first_of_key = pd.Series(np.arange(len(table)), index=table[ENRICHMENT_KEY].to_numpy())
    first_of_key = first_of_key[~first_of_key.index.duplicated()]
    at = first_of_key.reindex(keys.to_numpy()).to_numpy()
    missing = np.isnan(at) if at.dtype.kind == "f" else np.zeros(len(at), dtype=bool)
    if missing.any():
        raise KeyError(f"{int(missing.sum())} postings have no enrichment row")
    at = at.astype(np.int64)
    out = postings.copy(deep=False)  # only new columns are set: the descriptions are not copied
    for column in ENRICHED_COLUMNS:
        out[column] = table[column].to_numpy()[at]
    out[c.IS_ML] = out[c.IS_ML].astype(bool)
    for column in c.SALARY_NUMBER_COLUMNS:
        out[column] = out[column].astype("float64")
    return out, _mentions(out[c.POSTING_ID].to_numpy(), table[SKILL_AREAS], table[SKILL_NAMES], at)


SKILL_LIST = pa.list_(pa.string())  # SKILL_AREAS and SKILL_NAMES, as the cache stores them


def with_arrow_skill_lists(table: pd.DataFrame) -> pd.DataFrame:
    """`table` (enrichment rows) with its skill lists as Arrow list columns: 14 million mentions at a million
    raw rows are two Arrow string buffers instead of 29 million Python strings."""
    out = table.copy(deep=False)
    for column in (SKILL_AREAS, SKILL_NAMES):
        if not isinstance(out[column].dtype, pd.ArrowDtype):
            out[column] = pd.Series(pd.arrays.ArrowExtensionArray(_list_array(out[column])), index=out.index)
    return out


def _list_array(column: pd.Series) -> pa.Array:
    """A column of string lists (Python lists or arrays, or Arrow lists) as one Arrow list array."""
    if isinstance(column.dtype, pd.ArrowDtype):
        array = pa.array(column.array)
        return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
    return pa.array(column.tolist(), type=SKILL_LIST)


def _mentions(posting_ids: np.ndarray, areas: pd.Series, skills: pd.Series, at: np.ndarray) -> pd.DataFrame:
    """The long skill_mentions table, sorted by posting_id, area, skill, from the lists of row `at[i]` of
    `areas` and `skills` for posting i: built in Arrow and ordered by one integer key per mention (at a
    million raw rows it has 14 million rows; as Python strings, exploding, sorting and building the frame
    took 16 s). The key (posting rank, area code, skill code) sorted in place gives every column, so no
    permutation nor string column is made before the output's; its strings are large_string, which
    pandas takes without a copy."""
    area_lists, skill_lists = _list_array(areas), _list_array(skills)
    lengths = pc.list_value_length(area_lists).fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)[at]
    rank, ids = pd.factorize(np.asarray(posting_ids, dtype=object), sort=True)
    key = np.repeat(rank.astype(np.int64), lengths)
    # each mention's place in its posting's list
    into_own_list = np.arange(len(key), dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    codebooks = []
    for lists in (area_lists, skill_lists):
        # a posting's mentions are its enrichment row's list: their places in the lists' values
        starts = lists.offsets.to_numpy().astype(np.int64)[:-1][at]
        values = lists.values
        distinct = pc.unique(values)
        distinct = distinct.take(pc.sort_indices(distinct))  # code order is string order (UTF-8 bytes)
        codes = pc.index_in(values, value_set=distinct).to_numpy(zero_copy_only=False)
        key *= max(len(distinct), 1)
        key += codes[np.repeat(starts, lengths) + into_own_list]
        codebooks.append(distinct.cast(pa.large_string()))
        del values, codes
    del into_own_list
    key.sort()
    n_areas, n_skills = max(len(codebooks[0]), 1), max(len(codebooks[1]), 1)
    skill_code, key = key % n_skills, key // n_skills
    area_code, posting = key % n_areas, key // n_areas
    del key
    return pa.table({
        c.POSTING_ID: pa.array(np.asarray(ids, dtype=object), pa.large_string()).take(pa.array(posting)),
        c.AREA: codebooks[0].take(pa.array(area_code)),
        c.SKILL: codebooks[1].take(pa.array(skill_code)),
    }).to_pandas()[list(c.SKILL_MENTIONS_COLUMNS)]
