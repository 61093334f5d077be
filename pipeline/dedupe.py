"""Near-duplicate postings: the same job on several sources, or reposted under a new id, counts once.

Two postings are the same job when their companies and titles agree after normalization and their
descriptions share at least 80 % of their 5-word shingles (Jaccard). The threshold comes from the real
postings in ../shared/data/real/postings: among description pairs with Jaccard ≥ 0.8, pairs with the same
company and title were reposts or copies of one opening ("AI/ML Engineer (US)" vs "AI/ML Engineer" at the
same company), while pairs with different titles at one company were different openings written from one
template ("ML Engineer" vs "Sr. ML Engineer") — so the title must agree, and the text must agree closely.

Comparisons happen only inside a (company, title) block, and they are exact: every pair of a block whose
descriptions share a shingle is checked (no MinHash sketch, so no pair above the threshold is missed and
nothing depends on a random seed). Shingles are encoded once as integers — word ids, a 5-word window read
as one number, made specific to its block — and a sparse incidence matrix (posting x block-shingle) times
its transpose gives the shared-shingle count of every such pair at once; a pair is the same job when
shared / (|a| + |b| - shared) >= JACCARD_THRESHOLD, the very float `jaccard` computes. On 100,000 generated
raw rows (tests/bench/bench_dedupe.py) this replaced per-block MinHash LSH and Python set intersections.
Words are found on the descriptions' UTF-8 bytes with numpy (`_words`, the words `shingles` reads), and
read groups are read and compared on one thread per core.

Incremental runs (`incremental_duplicate_groups`, from pipeline/process.py) start from the last run's
state (`NearDuplicates`, kept by pipeline/cache.py in `cache/near-<code>/state.parquet`): every similar
pair found, and the (posting_id, content_hash) of every posting it was decided for. content_hash covers
title, company and description, so a posting with the same id and hash has the same block and shingles:
its pairs with other such postings still hold and are kept, never multiplied again. Only new or changed
postings are compared, with every posting of their blocks (their rows times the block's matrix); pairs
with a posting gone or changed are dropped. Descriptions are read only for the blocks that hold a new or
changed posting (processing keeps them in the cleaned files until then). Empty descriptions (one job per
block: jaccard(∅, ∅) == 1.0) are linked afresh every run, those of untouched blocks from the state. The pairs, and so the groups, are those a full comparison gives
(tests/test_near_state.py); the dask engine keeps no state and compares everything.
"""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Callable, Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from pipeline import columns as c
from pipeline.clean import drop_exact_duplicates
from pipeline.cores import available_cores

JACCARD_THRESHOLD = 0.8
SHINGLE_WORDS = 5
MAX_WORDS = 800  # the opening of a description is enough to tell copies apart, and bounds the cost
BATCH_POSTINGS = 4096  # blocks are compared a batch at a time: whole blocks, about this many postings
PRODUCT_CELLS = 1 << 22  # a batch's rows are multiplied a slice at a time: slice rows x batch rows at most this

_WORD = re.compile(r"[a-z0-9]+")
_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]|\{[^}]*\}")
_TITLE_NOISE = re.compile(r"\b(remote|hybrid|onsite|on-site|us|usa|uk|eu|emea|apac|anywhere|req\s*\d+|\d{4,})\b")
_COMPANY_SUFFIX = re.compile(
    r"\b(inc|incorporated|llc|l\.l\.c|ltd|limited|corp|corporation|co|company|gmbh|ag|sa|s\.a|plc|bv|b\.v|pty|srl)\b\.?"
)


def title_key(title: str) -> str:
    """Title without bracketed notes, location/remote markers and requisition numbers."""
    text = _BRACKETS.sub(" ", (title or "").lower())
    text = _TITLE_NOISE.sub(" ", text)
    return " ".join(_WORD.findall(text))


def company_key(company: str) -> str:
    text = _COMPANY_SUFFIX.sub(" ", (company or "").lower())
    return " ".join(_WORD.findall(text))


def shingles(text: str, k: int = SHINGLE_WORDS) -> frozenset[str]:
    words = _WORD.findall((text or "").lower())[:MAX_WORDS]
    if len(words) < k:
        return frozenset([" ".join(words)]) if words else frozenset()
    return frozenset(" ".join(words[i : i + k]) for i in range(len(words) - k + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def _factorize(keys: np.ndarray) -> tuple[np.ndarray, int]:
    codes, uniques = pd.factorize(keys, sort=False)
    return codes.astype(np.int64, copy=False), len(uniques)


# Byte tables for `_words`: ASCII lowercase, and which lowercased bytes make words (`_WORD`).
_LOWER = np.arange(256, dtype=np.uint8)
_LOWER[ord("A"):ord("Z") + 1] += 32
_WORD_BYTE = np.zeros(256, dtype=bool)
_WORD_BYTE[[*range(ord("0"), ord("9") + 1), *range(ord("a"), ord("z") + 1)]] = True
_WORD_BYTE = _WORD_BYTE[_LOWER]  # indexed by the byte before lowering
# The only characters beyond ASCII whose str.lower() holds an ASCII letter or digit (every code point checked:
# tests/test_dedupe.py). Every other non-ASCII byte, and every byte of their UTF-8, ends a word.
_LOWERS_TO_WORDS = (("\u0130", "i\u0307"), ("\u212a", "k"))


def _text_array(texts: Iterable[str | None] | pd.Series | pa.Array | pa.ChunkedArray) -> pa.LargeStringArray:
    """The texts as one Arrow array of strings, a missing text as the empty one."""
    if isinstance(texts, (pa.Array, pa.ChunkedArray)):
        array = texts.cast(pa.large_string())
    else:
        array = pa.array(texts if isinstance(texts, pd.Series) else list(texts), type=pa.large_string(),
                         from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks() if array.num_chunks else pa.array([], pa.large_string())
    return pc.fill_null(array, "") if array.null_count else array


def _words(texts) -> tuple[np.ndarray, np.ndarray, int]:
    """Each text's first MAX_WORDS words as ids from 1 (0 is left for padding), one text after another;
    each text's number of words (before MAX_WORDS: 0 means the text has no shingle); and the largest id
    + 1. The words are exactly `_WORD.findall(text.lower())`, as `shingles` reads them, found on the
    UTF-8 bytes of all the texts at once: a word is a run of ASCII letters and digits, and a word id
    names the same word in every text of the call (and only in that call).

    Python reading each text cost about 0.1 ms per description: 40 s of an incremental run at 1M that
    compares 364,000 postings' descriptions."""
    array = _text_array(texts)
    for char, lowered in _LOWERS_TO_WORDS:
        if pc.any(pc.match_substring(array, char)).as_py():
            array = pc.replace_substring(array, char, lowered)
    n_texts = len(array)
    _, offsets_buffer, data_buffer = array.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64, count=n_texts + 1, offset=array.offset * 8)
    first, last = int(offsets[0]), int(offsets[-1])
    data = np.frombuffer(data_buffer, dtype=np.uint8)[first:last] if last > first else np.zeros(0, np.uint8)
    bounds = offsets - first  # each text's first byte in `data`, and the end
    in_word = _WORD_BYTE[data]
    # a word starts where a word byte follows a non-word byte or begins a text, and ends likewise
    starts = in_word.copy()
    starts[1:] &= ~in_word[:-1]
    ends = in_word.copy()
    ends[:-1] &= ~in_word[1:]
    text_first, text_last = bounds[:-1][bounds[:-1] < bounds[1:]], bounds[1:][bounds[:-1] < bounds[1:]] - 1
    starts[text_first] = in_word[text_first]
    ends[text_last] = in_word[text_last]
    word_start = np.flatnonzero(starts)
    word_length = np.flatnonzero(ends) + 1 - word_start
    del starts, ends
    owner = np.searchsorted(bounds, word_start, side="right") - 1
    counts = np.bincount(owner, minlength=n_texts).astype(np.int64)
    # the word bytes, lowercased, one word after another: an Arrow array of the words without a copy each
    letters = _LOWER[data[in_word]]
    word_offsets = np.zeros(len(word_start) + 1, dtype=np.int64)
    np.cumsum(word_length, out=word_offsets[1:])
    words = pa.LargeStringArray.from_buffers(len(word_start), pa.py_buffer(word_offsets), pa.py_buffer(letters))
    encoded = pc.dictionary_encode(words)
    ids = encoded.indices.to_numpy().astype(np.int64) + 1
    rank = np.arange(len(owner), dtype=np.int64) - (np.cumsum(counts) - counts)[owner]
    kept = rank < MAX_WORDS
    return ids[kept], counts, len(encoded.dictionary) + 1


def _shingle_matrix(word_ids: np.ndarray, counts: np.ndarray, radix: int, blocks: np.ndarray) -> sparse.csr_matrix:
    """0/1 matrix, one row per text: column = (block, shingle), so only texts of one block share columns.

    The texts are given by `_words`. A row's columns are exactly `shingles(text)` (the same words, the
    same 5-word windows, the same lone shingle for texts under 5 words), each shingle an exact integer
    code rather than a string.
    """
    n_rows = len(blocks)
    length = np.minimum(counts, MAX_WORDS)
    # each text's words followed by k - 1 pads (id 0), so a short text's lone window is its words padded
    padded = np.where(length > 0, length + SHINGLE_WORDS - 1, 0)
    first = np.concatenate([[0], np.cumsum(padded)[:-1]]).astype(np.int64)
    words = np.zeros(int(padded.sum()), dtype=np.int64)
    word_first = np.concatenate([[0], np.cumsum(length)[:-1]]).astype(np.int64)
    owner_of_word = np.repeat(np.arange(n_rows, dtype=np.int64), length)
    words[first[owner_of_word] + np.arange(len(word_ids), dtype=np.int64) - word_first[owner_of_word]] = word_ids
    # each text with words has max(len - k + 1, 1) windows, starting at its first word in `words`
    windows = np.where(length > 0, np.maximum(length - SHINGLE_WORDS + 1, 1), 0)
    owner = np.repeat(np.arange(n_rows, dtype=np.int64), windows)
    window_first = np.concatenate([[0], np.cumsum(windows)[:-1]]).astype(np.int64)
    start = first[owner] + (np.arange(len(owner), dtype=np.int64) - window_first[owner])
    # (block, w0, ..., w4) read as one number in base `radix`, compacted whenever it would overflow int64.
    key, key_max = blocks[owner].astype(np.int64), int(blocks.max()) + 1 if n_rows else 1
    for offset in range(SHINGLE_WORDS):
        if key_max * radix >= 2**62:
            key, key_max = _factorize(key)
        key = key * radix + words[start + offset]
        key_max *= radix
    column, n_columns = _factorize(key)
    matrix = sparse.csr_matrix(
        (np.ones(len(column), dtype=np.int32), (owner, column)), shape=(n_rows, max(n_columns, 1))
    )
    matrix.sum_duplicates()
    matrix.data[:] = 1  # a set: a shingle repeated in one text counts once
    return matrix


def _similar_pairs(words: tuple[np.ndarray, np.ndarray, int], blocks: np.ndarray,
                   dirty: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Row pairs (i < j) of one block whose non-empty descriptions have Jaccard >= JACCARD_THRESHOLD, the
    descriptions given by their `_words`.

    With `dirty` (a mask of the rows), only the pairs with at least one dirty row: the dirty rows times
    every row, so the clean rows' products with each other, known from an earlier run, are never computed.
    Empty descriptions share no shingle; `_empty_pairs` pairs them.
    """
    word_ids, counts, radix = words
    matrix = _shingle_matrix(word_ids, counts, radix, blocks)
    sizes = np.diff(matrix.indptr).astype(np.int64)
    dirty = np.ones(len(blocks), dtype=bool) if dirty is None else dirty
    rows = np.flatnonzero(dirty)
    transposed = matrix.T.tocsr()
    lefts, rights = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    # A few rows' products at a time: in a big block nearly every pair shares a shingle, and all of a
    # batch's products at once held gigabytes (the rows times the block, five arrays of them).
    step = max(1, PRODUCT_CELLS // max(len(blocks), 1))
    for lo in range(0, len(rows), step):
        part = rows[lo:lo + step]
        shared = (matrix[part] @ transposed).tocoo()
        left, right = part[shared.row], shared.col.astype(np.int64)
        # each pair once: a dirty row with every clean row, and with the dirty rows after it
        once = ~dirty[right] | (left < right)
        left, right = np.minimum(left, right)[once], np.maximum(left, right)[once]
        common = shared.data[once].astype(np.int64)
        # the same division as `jaccard`: len(a & b) / len(a | b), as a float64
        similar = common / (sizes[left] + sizes[right] - common) >= JACCARD_THRESHOLD
        lefts.append(left[similar])
        rights.append(right[similar])
    return np.concatenate(lefts), np.concatenate(rights)


def _empty_pairs(empty: np.ndarray, blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row pairs chaining the empty descriptions of each block (rows sorted by block): jaccard(∅, ∅) == 1.0.

    A chain, not every pair, so it is cheap however many there are; it is recomputed on every run (it
    needs no shingles) and never kept in the state, where a removed link would split the chain.
    """
    rows = np.flatnonzero(empty)
    same = blocks[rows[1:]] == blocks[rows[:-1]]
    return rows[:-1][same], rows[1:][same]


def _batches(block: np.ndarray, size: int = BATCH_POSTINGS) -> Iterable[tuple[int, int]]:
    """[lo, hi) ranges of the sorted block ids, whole blocks, about `size` postings each (bounds memory)."""
    bounds = np.flatnonzero(np.diff(block)) + 1
    lo = 0
    for cut in [*bounds.tolist(), len(block)]:
        if cut - lo >= size or cut == len(block):
            # close the batch at the last block boundary at or after `size` postings
            yield lo, cut
            lo = cut


PAIR_COLUMNS = ("posting_id", "similar_id")  # a similar pair of postings by id, the smaller id first


@dataclass(frozen=True)
class NearDuplicates:
    """What an incremental run starts from: every similar pair among `members`, the postings it was decided
    for (posting_id -> content_hash). content_hash covers title, company and description, so a member
    whose hash is unchanged sits in the same block with the same shingles, and its pairs with other such
    members still hold. Pairs of empty descriptions are left out: `_empty_pairs` finds them every run."""

    members: pd.Series  # content_hash, indexed by posting_id
    pairs: pd.DataFrame  # PAIR_COLUMNS
    # the members sharing a block with another whose descriptions have no word: a later run that reads
    # no description of their block (none of its members changed) still links them (see _groups_and_pairs)
    blank: frozenset[str] = frozenset()


# The descriptions of some rows of a postings frame, given their positions: a Series of strings indexed by
# position, in any order. The frame's own column, or read from the cleaned files when the frame has none
# (pipeline/latest.py, in the files' order).
DescriptionReader = Callable[[np.ndarray], pd.Series]
READ_POSTINGS = 32_768  # descriptions read at a time by each thread of near-duplicate comparison (about 100 MB)


def _blocks(postings: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the postings that share their (company, title) block with another, ordered by block,
    and their block numbers: the only postings ever compared. Blocks are numbered in (company, title)
    order, so a company's blocks are compared, and their descriptions read, together: a company's postings
    sit in its source's files. Numbered in posting_id order, nearly every read group touched every file
    (generated store of 989,778 raw rows: 43,064 file reads over 7,064 files; in this order 8,767)."""
    keys = pd.DataFrame({"_company": _keyed(postings[c.COMPANY], company_key),
                         "_title": _keyed(postings[c.TITLE], title_key)})
    valid = ((keys["_company"] != "") & (keys["_title"] != "")).to_numpy()
    positions = np.flatnonzero(valid)
    block = keys[valid].groupby(["_company", "_title"], sort=True).ngroup().to_numpy(dtype=np.int64)
    if len(block):
        in_pairs = np.bincount(block)[block] >= 2
        positions, block = positions[in_pairs], block[in_pairs]
    order = np.argsort(block, kind="stable")
    return positions[order], block[order]


def _keyed(values: pd.Series, key) -> np.ndarray:
    """`values.map(key)`, each distinct value keyed once: a company has hundreds of postings, and a title
    repeats across companies."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=False)
    return np.array([key(value) for value in uniques], dtype=object)[codes] if len(uniques) else np.zeros(0, object)


def _read_groups(block: np.ndarray) -> Iterable[list[tuple[int, int]]]:
    """The batches (`_batches`) of the sorted block ids, grouped so that each group holds about
    READ_POSTINGS postings: their descriptions are read together (a read opens whole files, so reading
    each small batch alone would open a big source's files many times)."""
    group: list[tuple[int, int]] = []
    for lo, hi in _batches(block, BATCH_POSTINGS) if len(block) else ():
        group.append((lo, hi))
        if hi - group[0][0] >= READ_POSTINGS:
            yield group
            group = []
    if group:
        yield group


def _pairs_and_blanks(read_rows: np.ndarray, positions: np.ndarray, block: np.ndarray, dirty: np.ndarray,
                      read: DescriptionReader) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Over the rows `read_rows` (whole blocks, sorted by block): the row pairs of similar non-empty
    descriptions with at least one dirty row, and which of these rows have an empty description.

    Their descriptions are read a group of batches at a time, so only a group's are held per thread. The
    groups are read and compared on one thread per core: Parquet decoding, Arrow, numpy and the sparse
    products leave the GIL for most of their time (two threads on two cores: 1.7x)."""
    groups = list(_read_groups(block[read_rows]))

    def compare(group: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        wanted = positions[read_rows[group[0][0]:group[-1][1]]]
        texts = read(wanted)
        # in row order: the reader gives them indexed by position, in any order
        where = pd.Series(np.arange(len(texts)), index=texts.index.to_numpy(dtype=np.int64))
        ordered = _text_array(texts).take(pa.array(where.loc[wanted].to_numpy()))
        del texts
        return _compare_group(group, ordered, read_rows, block, dirty)

    lefts, rights, empties = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], [np.zeros(0, dtype=bool)]
    threads = min(available_cores(), max(len(groups), 1))
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="near") as pool:
        for empty, left, right in pool.map(compare, groups):  # in the groups' order, whichever ends first
            empties.append(empty)
            lefts.append(left)
            rights.append(right)
    return np.concatenate(lefts), np.concatenate(rights), np.concatenate(empties)


def _compare_group(group: list[tuple[int, int]], ordered: pa.LargeStringArray, read_rows: np.ndarray,
                   block: np.ndarray, dirty: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One read group of `_pairs_and_blanks`, batch by batch (`ordered`: its descriptions in row order):
    which of its rows are empty, and its pairs."""
    base = group[0][0]
    empty = np.zeros(group[-1][1] - base, dtype=bool)
    lefts, rights = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for lo, hi in group:
        batch = read_rows[lo:hi]
        words = _words(ordered.slice(lo - base, hi - lo))
        empty[lo - base:hi - base] = words[1] == 0
        compare = dirty[batch] & ~empty[lo - base:hi - base]
        if compare.any():
            left, right = _similar_pairs(words, block[batch] - block[batch[0]], compare)
            lefts.append(batch[left])
            rights.append(batch[right])
    return empty, np.concatenate(lefts), np.concatenate(rights)


def _pair_frame(ids: np.ndarray, left: np.ndarray, right: np.ndarray) -> pd.DataFrame:
    """Row pairs as posting-id pairs, the smaller id first: one spelling per pair, whichever row came first."""
    first, second = ids[left], ids[right]
    swap = (first > second).astype(bool)
    return pd.DataFrame({PAIR_COLUMNS[0]: np.where(swap, second, first),
                         PAIR_COLUMNS[1]: np.where(swap, first, second)})


def _groups(ids: pd.Series, *pair_lists: tuple[np.ndarray, np.ndarray]) -> pd.Series:
    """posting_id -> smallest posting_id of its connected component (the pairs: arrays of ids, left and
    right): the same whichever pairs link it. Connected components of the pair graph on integer codes; a
    union-find over the ids in Python took 2.7 s at a million raw rows (445,000 postings)."""
    codes, sorted_ids = pd.factorize(ids, sort=True)  # code order is id order: a component's smallest code is its smallest id
    lefts, rights = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for left, right in pair_lists:
        for side, out in ((left, lefts), (right, rights)):
            side_codes = sorted_ids.get_indexer(pd.Index(side, dtype=sorted_ids.dtype))
            if (side_codes < 0).any():
                raise KeyError(f"{int((side_codes < 0).sum())} paired ids are not among the postings")
            out.append(side_codes.astype(np.int64))
    left, right = np.concatenate(lefts), np.concatenate(rights)
    graph = sparse.coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)),
                              shape=(len(sorted_ids), len(sorted_ids)))
    _, component = connected_components(graph, directed=False)
    _, smallest = np.unique(component, return_index=True)  # each component's first code: its smallest id
    root = sorted_ids.take(smallest[component])
    # in the order the ids came (each once)
    first = np.unique(codes, return_index=True)[1]
    in_order = codes[np.sort(first)]
    return pd.Series(root.take(in_order).to_numpy(), index=sorted_ids.take(in_order), name="group_id")


def _groups_and_pairs(postings: pd.DataFrame, dirty: np.ndarray, kept: pd.DataFrame,
                      blank: frozenset[str] = frozenset(),
                      read: DescriptionReader | None = None) -> tuple[pd.Series, pd.DataFrame, frozenset[str]]:
    """The groups, given the pairs already `kept` among the postings that are not `dirty` (a mask of the
    rows) and the `blank` ones among them; every similar pair of non-empty descriptions, kept and new; and
    the blank postings among those sharing a block.

    Descriptions are read (by `read`, default the DESCRIPTION column) only for the blocks that hold a dirty
    posting: every block in a full run, a few in an incremental one. The members of another block are all
    unchanged since the run that gave `kept` and `blank`, so they shared that block then too (block keys
    come from the company and title, which content_hash covers), and `blank` says which are empty."""
    positions, block = _blocks(postings)
    ids = postings[c.POSTING_ID].to_numpy(dtype=object)[positions]
    dirty_rows = dirty[positions]
    read_rows = np.flatnonzero(np.isin(block, block[dirty_rows]))
    left, right, empty_read = _pairs_and_blanks(read_rows, positions, block, dirty_rows,
                                                read or _description_column(postings))
    empty = pd.Index(ids).isin(list(blank)) if blank else np.zeros(len(positions), dtype=bool)
    empty[read_rows] = empty_read
    new = _pair_frame(ids, left, right)
    pairs = pd.concat([kept, new], ignore_index=True) if len(kept) else new
    empty_left, empty_right = _empty_pairs(empty, block)
    groups = _groups(postings[c.POSTING_ID], (pairs[PAIR_COLUMNS[0]], pairs[PAIR_COLUMNS[1]]),
                     (ids[empty_left], ids[empty_right]))
    return groups, pairs, frozenset(ids[empty].tolist())


def _description_column(postings: pd.DataFrame) -> DescriptionReader:
    column = postings[c.DESCRIPTION]
    return lambda rows: column.iloc[rows].set_axis(rows)


def duplicate_groups(postings: pd.DataFrame) -> pd.Series:
    """posting_id -> id of its group (the smallest posting_id of the group); singletons map to themselves."""
    return _groups_and_pairs(postings, np.ones(len(postings), dtype=bool), _no_pairs())[0]


def incremental_duplicate_groups(postings: pd.DataFrame, previous: NearDuplicates | None,
                                 read: DescriptionReader | None = None) -> tuple[pd.Series, NearDuplicates]:
    """`duplicate_groups(postings)` from the pairs `previous` holds, comparing only the postings it was not
    decided for (new, or with another content_hash) with their blocks; and the state for the next run.
    `read`: the descriptions of rows of `postings`, when it has no description column.

    Pairs of two unchanged members are kept as they are; pairs with a member gone or changed are dropped,
    and a changed member is compared again. So the pairs are exactly those a full comparison finds.
    """
    # copies: the state outlives the frame
    members = pd.Series(postings[c.CONTENT_HASH].to_numpy(dtype=object, copy=True),
                        index=postings[c.POSTING_ID].to_numpy(dtype=object, copy=True))
    unchanged = _unchanged(members, previous)
    kept = _pairs_among(previous.pairs, members.index[unchanged]) if previous is not None else _no_pairs()
    groups, pairs, blank = _groups_and_pairs(postings, ~unchanged, kept,
                                             previous.blank if previous is not None else frozenset(), read)
    return groups, NearDuplicates(members, pairs, blank)


def _unchanged(members: pd.Series, previous: NearDuplicates | None) -> np.ndarray:
    """Which of `members` `previous` holds with the same content_hash."""
    if previous is None:
        return np.zeros(len(members), dtype=bool)
    return previous.members.reindex(members.index).to_numpy() == members.to_numpy()


def _pairs_among(pairs: pd.DataFrame, ids: Iterable[str]) -> pd.DataFrame:
    # a set: Series.isin against a large object Index took a second for a few thousand pairs; of a list:
    # iterating an Arrow-backed Index converts value by value (0.36 against 0.11 s for 475,000 ids)
    among = set(ids.tolist() if isinstance(ids, pd.Index) else ids)
    both = [a in among and b in among for a, b in zip(pairs[PAIR_COLUMNS[0]].tolist(), pairs[PAIR_COLUMNS[1]].tolist())]
    return pairs[np.array(both, dtype=bool)].reset_index(drop=True)


def _no_pairs() -> pd.DataFrame:
    return pd.DataFrame({col: pd.Series(dtype=object) for col in PAIR_COLUMNS})


def merge_near_duplicates(postings: pd.DataFrame, groups: pd.Series | None = None) -> pd.DataFrame:
    """One row per group: the earliest member's content, all sources in `seen_on`, widest seen span.

    `groups` is `duplicate_groups(postings)` when already known (an incremental run's). Decided on integer
    codes (the group, the source, times as integers), the kept rows then taken once (the descriptions are
    most of the bytes): grouping and sorting by the Arrow-backed group ids took 2.8-3.5 s at 475,000
    postings, this 1.3-1.7 s."""
    if postings.empty:
        return postings.assign(**{c.SEEN_ON: pd.Series(dtype=object), c.DUPLICATES: pd.Series(dtype="int64")})
    if groups is None:
        groups = duplicate_groups(postings)
    group, group_ids = pd.factorize(postings[c.POSTING_ID].map(groups).to_numpy(dtype=object),
                                   use_na_sentinel=False)
    n_groups = len(group_ids)
    # The original is the earliest published member: a repost keeps the week of the first posting. Sorted
    # by posted_at, first_seen_at, posting_id (missing times last, as pandas sorts them); the first of each
    # group in that order is kept.
    keys = [np.arange(len(postings)) if postings[c.POSTING_ID].is_monotonic_increasing
            else _sort_codes(postings[c.POSTING_ID])]
    keys += [_nat_last(postings[col]) for col in (c.FIRST_SEEN_AT, c.POSTED_AT) if col in postings.columns]
    order = np.lexsort(keys)
    first_in_order = np.unique(group[order], return_index=True)[1]
    kept = np.sort(order[first_in_order])  # the kept rows in their own order
    kept_group = group[kept]
    spans = pd.DataFrame({"group": group, "first": postings[c.FIRST_SEEN_AT].array,
                          "last": postings[c.LAST_SEEN_AT].array}).groupby("group").agg(
                              first=("first", "min"), last=("last", "max"))
    out = postings.take(kept)
    out[c.FIRST_SEEN_AT] = spans["first"].array.take(kept_group)
    out[c.LAST_SEEN_AT] = spans["last"].array.take(kept_group)
    out[c.SEEN_ON] = _sources_of_groups(group, n_groups, postings[c.SOURCE])[kept_group]
    out[c.DUPLICATES] = (np.bincount(group, minlength=n_groups) - 1).astype("int64")[kept_group]
    if out[c.POSTING_ID].is_monotonic_increasing:
        return out.reset_index(drop=True)
    return out.sort_values(c.POSTING_ID, ignore_index=True)


def _sources_of_groups(group: np.ndarray, n_groups: int, sources: pd.Series) -> np.ndarray:
    """Each group's distinct sources, sorted, as a list (an object array, one per group)."""
    source, names = pd.factorize(sources.to_numpy(dtype=object), sort=True, use_na_sentinel=False)
    names = np.asarray(names, dtype=object)
    pairs = np.unique(group.astype(np.int64) * max(len(names), 1) + source)  # group-major, sources in order
    pair_group, pair_source = pairs // max(len(names), 1), pairs % max(len(names), 1)
    out = np.empty(n_groups, dtype=object)
    alone = np.bincount(pair_group, minlength=n_groups)[pair_group] == 1
    for owner, name in zip(pair_group[alone].tolist(), names[pair_source[alone]].tolist()):
        out[owner] = [name]  # one at a time: numpy may read a list of lists as a 2-d array
    several = ~alone
    if several.any():
        cuts = np.flatnonzero(np.diff(pair_group[several])) + 1
        for members, owner in zip(np.split(pair_source[several], cuts),
                                  pair_group[several][np.r_[0, cuts]].tolist()):
            out[owner] = names[members].tolist()
    return out


def _sort_codes(values: pd.Series) -> np.ndarray:
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), sort=True)
    return np.where(codes < 0, len(uniques), codes)


def _nat_last(times: pd.Series) -> np.ndarray:
    """Times as integers that sort as pandas sorts them: a missing one after every other."""
    values = pd.to_datetime(times, utc=True).array.asi8.copy()
    values[pd.isna(times).to_numpy()] = np.iinfo(np.int64).max
    return values


def dedup_rate(before: int, after: int) -> float:
    return 0.0 if before == 0 else (before - after) / before


@dataclass(frozen=True)
class DedupFigures:
    """What deduplication removed: every scrape returns open postings again (exact duplicates), and
    reposts and cross-posts are near duplicates. `dedup_rate` is a fraction of `raw_rows`, which grows
    with every scrape; `near_duplicate_rate` is a fraction of the distinct postings (source, id), so it
    says how much of the market is posted twice, however often it was scraped."""

    raw_rows: int
    exact_duplicates: int  # raw rows that repeat a posting_id already seen
    near_duplicates: int  # postings merged into another (seen_on, duplicates)
    postings: int

    @property
    def dedup_rate(self) -> float:
        return dedup_rate(self.raw_rows, self.postings)

    @property
    def near_duplicate_rate(self) -> float:
        distinct = self.raw_rows - self.exact_duplicates
        return 0.0 if distinct == 0 else self.near_duplicates / distinct

    def as_dict(self) -> dict[str, int | float]:
        return {**asdict(self), "dedup_rate": round(self.dedup_rate, 6),
                "near_duplicate_rate": round(self.near_duplicate_rate, 6)}


def deduplicate(cleaned: pd.DataFrame) -> tuple[pd.DataFrame, DedupFigures]:
    """Cleaned rows (one per raw row) -> one row per job, and the figures of what was removed."""
    return deduplicate_exact(drop_exact_duplicates(cleaned), len(cleaned))


def deduplicate_exact(exact: pd.DataFrame, raw_rows: int,
                      groups: pd.Series | None = None) -> tuple[pd.DataFrame, DedupFigures]:
    """`deduplicate` for rows already exact-deduplicated (one per posting_id) from `raw_rows` cleaned rows
    (`groups`: their `duplicate_groups`, when known)."""
    postings = merge_near_duplicates(exact, groups)
    figures = DedupFigures(raw_rows=raw_rows, exact_duplicates=raw_rows - len(exact),
                           near_duplicates=len(exact) - len(postings), postings=len(postings))
    return postings, figures
