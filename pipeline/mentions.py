"""Enrichment rows attached to the postings they belong to, and the long skill_mentions table.

Kept apart from pipeline/enrich.py on purpose: the processing cache's enrichment entries are keyed by the
source of pipeline.enrich and what it imports (pipeline/cache.py), and how rows are attached changes no
enrichment result, so editing this module keeps the cache.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline import columns as c
from pipeline.enrich import ENRICHED_COLUMNS, ENRICHMENT_KEY, SKILL_AREAS, SKILL_NAMES, enrichment_key

SKILL_LIST = pa.list_(pa.string())  # SKILL_AREAS and SKILL_NAMES, as the cache stores them


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
        # the column's own array taken: through numpy, pandas 3 turned each string column into Python
        # strings and back (1.1 s at 400,000 postings)
        out[column] = table[column].array.take(at)
    out[c.IS_ML] = out[c.IS_ML].astype(bool)
    for column in c.SALARY_NUMBER_COLUMNS:
        out[column] = out[column].astype("float64")
    return out, _mentions(out[c.POSTING_ID].to_numpy(), table[SKILL_AREAS], table[SKILL_NAMES], at)


def with_arrow_skill_lists(table: pd.DataFrame) -> pd.DataFrame:
    """`table` (enrichment rows) with its skill lists as Arrow list columns: 14 million mentions at a million
    raw rows are two Arrow string buffers instead of 29 million Python strings."""
    out = table.copy(deep=False)
    for column in (SKILL_AREAS, SKILL_NAMES):
        if not isinstance(out[column].dtype, pd.ArrowDtype):
            array = pa.array(out[column].tolist(), type=SKILL_LIST)
            out[column] = pd.Series(pd.arrays.ArrowExtensionArray(array), index=out.index)
    return out


def _list_chunks(column: pd.Series) -> list[pa.Array]:
    """A column of string lists (Python lists or arrays, or Arrow lists) as Arrow list arrays: the chunks
    of an Arrow column as they are (the cache's rows come in one chunk per file; joining them copied 540 MB
    at a million raw rows)."""
    if isinstance(column.dtype, pd.ArrowDtype):
        array = pa.array(column.array)
        return array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    return [pa.array(column.tolist(), type=SKILL_LIST)]


def _codes(column: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, pa.Array]:
    """Of a column of string lists: each row's list length and the place of its first value, every value's
    code (all the chunks' values one after another) and the codes' strings, in string order."""
    chunks = _list_chunks(column)
    value_type = chunks[0].type.value_type if chunks else pa.string()
    values = pa.chunked_array([chunk.values for chunk in chunks], value_type)
    distinct = pc.unique(values)
    distinct = distinct.take(pc.sort_indices(distinct))  # code order is string order (UTF-8 bytes)
    value_base = np.cumsum([0, *(len(chunk.values) for chunk in chunks)], dtype=np.int64)
    # a chunk's offsets count from the start of its values (slices included): shift them to all the values'
    starts = [chunk.offsets.to_numpy().astype(np.int64)[:-1] + base for chunk, base in zip(chunks, value_base)]
    lengths = [pc.list_value_length(chunk).fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
               for chunk in chunks]
    codes = [pc.index_in(chunk.values, value_set=distinct).to_numpy(zero_copy_only=False) for chunk in chunks]
    joined = (lambda parts, dtype: np.concatenate(parts) if parts else np.zeros(0, dtype))
    return joined(lengths, np.int64), joined(starts, np.int64), joined(codes, np.int32), distinct


def _mentions(posting_ids: np.ndarray, areas: pd.Series, skills: pd.Series, at: np.ndarray) -> pd.DataFrame:
    """The long skill_mentions table, sorted by posting_id, area, skill, from the lists of row `at[i]` of
    `areas` and `skills` for posting i: built in Arrow and ordered by one integer key per mention (at a
    million raw rows it has 14 million rows; as Python strings, exploding, sorting and building the frame
    took 16 s). The key (posting rank, area code, skill code) sorted in place gives every column, so no
    permutation nor string column is made before the output's. Its columns are Categoricals: a code per
    mention and each string once (as strings the three columns held 0.9 GB at a million raw rows, the
    peak of the run); pipeline/dataset.py writes them as the strings they stand for."""
    rank, ids = pd.factorize(np.asarray(posting_ids, dtype=object), sort=True)
    key = None
    codebooks = []
    for column in (areas, skills):
        row_lengths, row_starts, codes, distinct = _codes(column)
        lengths = row_lengths[at]
        if key is None:
            key = np.repeat(rank.astype(np.int64), lengths)
            # each mention's place in its posting's list
            into_own_list = np.arange(len(key), dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        key *= max(len(distinct), 1)
        key += codes[np.repeat(row_starts[at], lengths) + into_own_list]
        codebooks.append(distinct)
        del codes
    del into_own_list
    key.sort()
    n_areas, n_skills = max(len(codebooks[0]), 1), max(len(codebooks[1]), 1)
    skill_code, key = key % n_skills, key // n_skills
    area_code, posting = key % n_areas, key // n_areas
    del key
    return pd.DataFrame({
        c.POSTING_ID: pd.Categorical.from_codes(posting, categories=pd.Index(ids, dtype="str")),
        c.AREA: _categorical(area_code, codebooks[0]),
        c.SKILL: _categorical(skill_code, codebooks[1]),
    })[list(c.SKILL_MENTIONS_COLUMNS)]


def _categorical(codes: np.ndarray, distinct: pa.Array) -> pd.Categorical:
    """`codes` into the strings `distinct` (each once, in string order), as a pandas Categorical."""
    return pd.Categorical.from_codes(codes, categories=pd.Index(distinct.to_pylist(), dtype="str"))
