"""Near-duplicate postings: the same job on several sources, or reposted under a new id, counts once.

Two postings are the same job when their companies and titles agree after normalization and their
descriptions share at least 80 % of their 5-word shingles (Jaccard). The threshold comes from the real
postings in ../shared/data/real/postings: among description pairs with Jaccard ≥ 0.8, pairs with the same
company and title were reposts or copies of one opening ("AI/ML Engineer (US)" vs "AI/ML Engineer" at the
same company), while pairs with different titles at one company were different openings written from one
template ("ML Engineer" vs "Sr. ML Engineer") — so the title must agree, and the text must agree closely.

Comparisons happen only inside a (company, title) block; large blocks use MinHash LSH (datasketch) to
find candidate pairs instead of comparing every pair.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Iterable

import pandas as pd

from pipeline import columns as c
from pipeline.clean import drop_exact_duplicates

JACCARD_THRESHOLD = 0.8
SHINGLE_WORDS = 5
MAX_WORDS = 800  # the opening of a description is enough to tell copies apart, and bounds the cost
LSH_BLOCK_SIZE = 64  # below this, comparing every pair is cheaper than building an LSH index

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


class _UnionFind:
    def __init__(self, items: Iterable[str]):
        self.parent = {item: item for item in items}

    def find(self, item: str) -> str:
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # the smaller id wins, so the grouping does not depend on input order
            self.parent[max(ra, rb)] = min(ra, rb)


def _candidate_pairs(ids: list[str], sets: list[frozenset[str]]) -> Iterable[tuple[int, int]]:
    if len(ids) <= LSH_BLOCK_SIZE:
        return ((i, j) for i in range(len(ids)) for j in range(i + 1, len(ids)))
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=JACCARD_THRESHOLD * 0.9, num_perm=128)
    hashes = []
    for i, shingle_set in enumerate(sets):
        mh = MinHash(num_perm=128, seed=1)
        mh.update_batch([s.encode("utf-8") for s in shingle_set])
        lsh.insert(i, mh)
        hashes.append(mh)
    return {(min(i, j), max(i, j)) for i, mh in enumerate(hashes) for j in lsh.query(mh) if i != j}


def duplicate_groups(postings: pd.DataFrame) -> pd.Series:
    """posting_id -> id of its group (the smallest posting_id of the group); singletons map to themselves."""
    union = _UnionFind(postings[c.POSTING_ID])
    keyed = postings.assign(
        _company=postings[c.COMPANY].map(company_key), _title=postings[c.TITLE].map(title_key)
    )
    keyed = keyed[(keyed["_company"] != "") & (keyed["_title"] != "")]
    for _, block in keyed.groupby(["_company", "_title"], sort=False):
        if len(block) < 2:
            continue
        ids = list(block[c.POSTING_ID])
        sets = [shingles(text) for text in block[c.DESCRIPTION]]
        for i, j in _candidate_pairs(ids, sets):
            if jaccard(sets[i], sets[j]) >= JACCARD_THRESHOLD:
                union.union(ids[i], ids[j])
    return pd.Series({pid: union.find(pid) for pid in postings[c.POSTING_ID]}, name="group_id")


def merge_near_duplicates(postings: pd.DataFrame) -> pd.DataFrame:
    """One row per group: the earliest member's content, all sources in `seen_on`, widest seen span."""
    if postings.empty:
        return postings.assign(**{c.SEEN_ON: pd.Series(dtype=object), c.DUPLICATES: pd.Series(dtype="int64")})
    groups = postings[c.POSTING_ID].map(duplicate_groups(postings))
    frame = postings.assign(_group=groups.to_numpy())
    spans = frame.groupby("_group").agg(
        _first=(c.FIRST_SEEN_AT, "min"),
        _last=(c.LAST_SEEN_AT, "max"),
        **{c.SEEN_ON: (c.SOURCE, lambda s: sorted(set(s))),
           c.DUPLICATES: (c.POSTING_ID, lambda s: len(s) - 1)},
    )
    # The original is the earliest published member: a repost keeps the week of the first posting.
    order = [col for col in (c.POSTED_AT, c.FIRST_SEEN_AT, c.POSTING_ID) if col in frame.columns]
    keep = frame.sort_values(order).drop_duplicates("_group", keep="first")
    keep = keep.join(spans, on="_group")
    keep[c.FIRST_SEEN_AT] = keep["_first"]
    keep[c.LAST_SEEN_AT] = keep["_last"]
    out = keep.drop(columns=["_group", "_first", "_last"])
    return out.sort_values(c.POSTING_ID, ignore_index=True)


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
    exact = drop_exact_duplicates(cleaned)
    postings = merge_near_duplicates(exact)
    figures = DedupFigures(raw_rows=len(cleaned), exact_duplicates=len(cleaned) - len(exact),
                           near_duplicates=len(exact) - len(postings), postings=len(postings))
    return postings, figures
