"""Near-duplicate merging: the current pipeline/dedupe.py against the previous implementation.

    .venv/bin/python tests/bench/gen_large_corpus.py --data-dir /tmp/dd100k --postings 100000
    .venv/bin/python tests/bench/bench_dedupe.py [--data-dir /tmp/dd100k] [--repeats 1]

Loads the raw store, cleans and exact-deduplicates it as `pipeline/process.py` does (the exact-deduplicated
frame is cached next to the data, `<data-dir>/bench_dedupe_exact.pkl`), then times `merge_near_duplicates`
and the reference (pipeline/dedupe.py at `--reference`, loaded from git: per-block MinHash LSH with 128
permutations for blocks over 64 postings, exact Jaccard on frozensets of shingle strings), and
asserts that both give the same frame (same rows, ids, seen_on, duplicates, columns and order).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
import types
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline import columns as c  # noqa: E402
from pipeline.clean import clean_postings, drop_exact_duplicates, raw_frame  # noqa: E402
from pipeline.dedupe import company_key, merge_near_duplicates, title_key  # noqa: E402
from scraper.rawstore import RawStore  # noqa: E402

# ---- reference: pipeline/dedupe.py as it was before the exact block join -------------------------------
REFERENCE_COMMIT = "e64be3e"  # per-block MinHash LSH (datasketch) over 64 postings, Jaccard on string shingles


def reference_dedupe(commit: str = REFERENCE_COMMIT) -> types.ModuleType:
    """The former module, loaded from git rather than copied here."""
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{commit}:pipeline/dedupe.py"], check=True,
                            capture_output=True, text=True).stdout
    module = types.ModuleType("reference_dedupe")
    sys.modules[module.__name__] = module  # its dataclasses look their module up there
    exec(compile(source, f"{commit}:pipeline/dedupe.py", "exec"), module.__dict__)
    return module


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
    parser.add_argument("--reference", default=REFERENCE_COMMIT, help="commit holding the reference dedupe.py")
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
    old_s, old = timed(reference_dedupe(args.reference).merge_near_duplicates, exact, args.repeats)
    print(f"reference (LSH):       {old_s:8.2f} s -> {len(old):,} postings   x{old_s / new_s:.1f}")
    pd.testing.assert_frame_equal(new, old)
    print("identical output: yes")


if __name__ == "__main__":
    main()
