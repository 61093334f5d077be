"""Near-duplicate merging: the current pipeline/dedupe.py against the previous implementation.

    .venv/bin/python tests/bench/gen_large_corpus.py --data-dir /tmp/dd100k --postings 100000
    .venv/bin/python tests/bench/bench_dedupe.py [--data-dir /tmp/dd100k] [--repeats 1]

Loads the raw store, cleans and exact-deduplicates it as `pipeline/process.py` does (the exact-deduplicated
frame is cached next to the data, `<data-dir>/bench_dedupe_exact.pkl`), then times `merge_near_duplicates`
and the reference below (a verbatim copy of the implementation it replaced: per-block MinHash LSH with
128 permutations for blocks over 64 postings, exact Jaccard on frozensets of shingle strings), and
asserts that both give the same frame (same rows, ids, seen_on, duplicates, columns and order).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Iterable

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline import columns as c  # noqa: E402
from pipeline.clean import clean_postings, drop_exact_duplicates, raw_frame  # noqa: E402
from pipeline.dedupe import company_key, merge_near_duplicates, title_key  # noqa: E402
from pipeline.dedupe import _WORD  # noqa: E402
from scraper.rawstore import RawStore  # noqa: E402

# ---- reference: the implementation before the exact block join (kept verbatim) -------------------------
REF_THRESHOLD = 0.8
REF_SHINGLE_WORDS = 5
REF_MAX_WORDS = 800
REF_LSH_BLOCK_SIZE = 64


def ref_shingles(text: str, k: int = REF_SHINGLE_WORDS) -> frozenset[str]:
    words = _WORD.findall((text or "").lower())[:REF_MAX_WORDS]
    if len(words) < k:
        return frozenset([" ".join(words)]) if words else frozenset()
    return frozenset(" ".join(words[i : i + k]) for i in range(len(words) - k + 1))


def ref_jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


class RefUnionFind:
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
            self.parent[max(ra, rb)] = min(ra, rb)


def ref_candidate_pairs(ids: list[str], sets: list[frozenset[str]], lsh: bool = True) -> Iterable[tuple[int, int]]:
    if len(ids) <= REF_LSH_BLOCK_SIZE or not lsh:
        return ((i, j) for i in range(len(ids)) for j in range(i + 1, len(ids)))
    from datasketch import MinHash, MinHashLSH

    index = MinHashLSH(threshold=REF_THRESHOLD * 0.9, num_perm=128)
    hashes = []
    for i, shingle_set in enumerate(sets):
        mh = MinHash(num_perm=128, seed=1)
        mh.update_batch([s.encode("utf-8") for s in shingle_set])
        index.insert(i, mh)
        hashes.append(mh)
    return {(min(i, j), max(i, j)) for i, mh in enumerate(hashes) for j in index.query(mh) if i != j}


def ref_duplicate_groups(postings: pd.DataFrame, lsh: bool = True) -> pd.Series:
    union = RefUnionFind(postings[c.POSTING_ID])
    keyed = postings.assign(
        _company=postings[c.COMPANY].map(company_key), _title=postings[c.TITLE].map(title_key)
    )
    keyed = keyed[(keyed["_company"] != "") & (keyed["_title"] != "")]
    for _, block in keyed.groupby(["_company", "_title"], sort=False):
        if len(block) < 2:
            continue
        ids = list(block[c.POSTING_ID])
        sets = [ref_shingles(text) for text in block[c.DESCRIPTION]]
        for i, j in ref_candidate_pairs(ids, sets, lsh):
            if ref_jaccard(sets[i], sets[j]) >= REF_THRESHOLD:
                union.union(ids[i], ids[j])
    return pd.Series({pid: union.find(pid) for pid in postings[c.POSTING_ID]}, name="group_id")


def ref_merge_near_duplicates(postings: pd.DataFrame, lsh: bool = True) -> pd.DataFrame:
    if postings.empty:
        return postings.assign(**{c.SEEN_ON: pd.Series(dtype=object), c.DUPLICATES: pd.Series(dtype="int64")})
    groups = postings[c.POSTING_ID].map(ref_duplicate_groups(postings, lsh))
    frame = postings.assign(_group=groups.to_numpy())
    spans = frame.groupby("_group").agg(
        _first=(c.FIRST_SEEN_AT, "min"),
        _last=(c.LAST_SEEN_AT, "max"),
        **{c.SEEN_ON: (c.SOURCE, lambda s: sorted(set(s))),
           c.DUPLICATES: (c.POSTING_ID, lambda s: len(s) - 1)},
    )
    order = [col for col in (c.POSTED_AT, c.FIRST_SEEN_AT, c.POSTING_ID) if col in frame.columns]
    keep = frame.sort_values(order).drop_duplicates("_group", keep="first")
    keep = keep.join(spans, on="_group")
    keep[c.FIRST_SEEN_AT] = keep["_first"]
    keep[c.LAST_SEEN_AT] = keep["_last"]
    out = keep.drop(columns=["_group", "_first", "_last"])
    return out.sort_values(c.POSTING_ID, ignore_index=True)
# ---------------------------------------------------------------------------------------------------------


def exact_postings(data_dir: Path) -> pd.DataFrame:
    cached = data_dir / "bench_dedupe_exact.pkl"
    if cached.exists():
        return pd.read_pickle(cached)
    store = RawStore(data_dir)
    frames = [clean_postings(raw_frame(store.iter_rows([path]))) for path in store.raw_files()]
    exact = drop_exact_duplicates(pd.concat(frames, ignore_index=True))
    exact.to_pickle(cached)
    return exact


def timed(fn, frame: pd.DataFrame, repeats: int) -> tuple[float, pd.DataFrame]:
    best, out = float("inf"), None
    for _ in range(repeats):
        started = time.perf_counter()
        out = fn(frame)
        best = min(best, time.perf_counter() - started)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/dd100k"))
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--no-reference", action="store_true", help="time only the current code")
    args = parser.parse_args()
    exact = exact_postings(args.data_dir)
    keys = exact[c.COMPANY].map(company_key) + "\x00" + exact[c.TITLE].map(title_key)
    sizes = keys.value_counts()
    print(f"{len(exact):,} postings after exact dedup; {len(sizes):,} blocks, largest {sizes.iloc[0]}, "
          f"{int((sizes > 64).sum())} over 64 postings ({int(sizes[sizes > 64].sum()):,} postings)")
    new_s, new = timed(merge_near_duplicates, exact, args.repeats)
    print(f"merge_near_duplicates: {new_s:8.2f} s -> {len(new):,} postings")
    if args.no_reference:
        return
    old_s, old = timed(ref_merge_near_duplicates, exact, args.repeats)
    print(f"reference (LSH):       {old_s:8.2f} s -> {len(old):,} postings   x{old_s / new_s:.1f}")
    pd.testing.assert_frame_equal(new, old)
    print("identical output: yes")


if __name__ == "__main__":
    main()
