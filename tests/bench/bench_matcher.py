"""Benchmark the skill matcher engines on a generated corpus and, when present, on real postings.

    .venv/bin/python tests/bench/bench_matcher.py [--postings 20000] [--size 3000] [--runs 3]
                                                  [--baseline-postings 1000] [--seed 11] [--ascii]
                                                  [--real DIR | --real '']

Generated corpus: postings composed from the demo corpus (scraper.demo.corpus.build_corpus: Greenhouse,
Lever and HN texts, lines shuffled with a fixed seed) until each is ~`--size` characters; `--ascii` adds
a copy with non-ASCII characters replaced. Real corpus: every `*.jsonl` file in `--real` (default
/work/shared/data/real/postings when it exists; `--real ''` skips it), one posting per line, matched as
title + "\\n" + description, as pipeline.trends does.

For each corpus, in one process (one core), the median of `--runs` runs of:
* each engine of pipeline.matcher.available_engines() running `Taxonomy.match` on every posting; the
  Python engine (the reference and pre-Hyperscan matcher, the baseline) only on the first
  `--baseline-postings` generated postings (it needs minutes for the whole corpus), on every real one;
* for Hyperscan also the scan with its hit list but no confirmation, and the raw scan - proxy bytes and
  Hyperscan without a match callback - the ceiling of the design.
Speeds are MB/s per core (MB = 10**6 bytes of UTF-8 text). Results of `match` and `find` are checked
equal between engines on every posting the baseline ran on; the exit status is 1 if any differ.
"""
from __future__ import annotations

import argparse
import html
import json
import random
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.matcher import available_engines  # noqa: E402
from pipeline.skills import load_taxonomy  # noqa: E402

REAL_POSTINGS = Path("/work/shared/data/real/postings")
_TAG = re.compile(r"<[^>]+>")


def _plain(markup: str) -> str:
    text = html.unescape(html.unescape(markup or ""))
    text = re.sub(r"<(?:p|br|li|div|h\d)[^>]*>", "\n", text)
    return html.unescape(_TAG.sub("", text))


def demo_lines() -> list[str]:
    from scraper.demo.corpus import build_corpus

    corpus = build_corpus()
    texts: list[str] = []
    for board in corpus.greenhouse.values():
        texts += [f"{j['title']}\n{_plain(j['content'])}" for j in board["jobs"]]
    for postings in corpus.lever.values():
        for p in postings:
            texts.append(p.get("text", "") + "\n" + p.get("descriptionPlain", "") + "\n"
                         + "\n".join(f"{x.get('text', '')}\n{_plain(x.get('content', ''))}" for x in p.get("lists", []))
                         + "\n" + p.get("additionalPlain", ""))
    texts += [_plain(hit.get("comment_text") or "") for hit in corpus.hn_comment_hits]
    lines = sorted({line.strip() for t in texts for line in t.splitlines() if len(line.strip()) > 3})
    return lines


def generate(postings: int, size: int, seed: int) -> list[str]:
    lines = demo_lines()
    rng = random.Random(seed)
    out = []
    for _ in range(postings):
        parts, n = [], 0
        while n < size:
            line = rng.choice(lines)
            parts.append(line)
            n += len(line) + 1
        out.append("\n".join(parts))
    return out


def real_postings(directory: Path) -> list[str]:
    texts = []
    for path in sorted(directory.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").split("\n"):  # not splitlines(): U+2028 in JSON strings
            if line.strip():
                row = json.loads(line)
                texts.append(f"{row.get('title') or ''}\n{row.get('description') or ''}")
    return texts


def timed(label: str, texts: list[str], runs: int, work) -> tuple[float, list]:
    """Median MB/s of `work(texts)` over `runs` runs, printed; returns it and the last run's result."""
    nbytes = sum(len(t.encode("utf-8")) for t in texts)
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = work(texts)
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    speed = nbytes / 1e6 / median
    print(f"  {label:<22} {len(texts):>6} postings {nbytes / 1e6:6.1f} MB  median {median:7.3f} s  "
          f"{speed:8.2f} MB/s per core  (runs: {', '.join(f'{t:.3f}' for t in times)})", flush=True)
    return speed, result


def bench_corpus(label: str, corpus: list[str], baseline_postings: int, runs: int, taxonomy: str) -> bool:
    print(f"[{label}]  {len(corpus)} postings, mean {sum(len(t.encode()) for t in corpus) / len(corpus):.0f} "
          f"bytes, {sum(not t.isascii() for t in corpus) / len(corpus):.0%} with non-ASCII characters")
    taxonomies = {engine: load_taxonomy(taxonomy, engine=engine) for engine in available_engines()}
    for tax in taxonomies.values():
        tax.match(corpus[0])  # build the engine outside the timing
    speeds, matches = {}, {}
    for engine, tax in taxonomies.items():
        subset = corpus[:baseline_postings] if engine == "python" else corpus
        name = "python (baseline)" if engine == "python" else engine
        speeds[engine], matches[engine] = timed(name, subset, runs, lambda ts, m=tax.match: [m(t) for t in ts])
    ok = True
    if "hyperscan" in taxonomies:
        hs = taxonomies["hyperscan"]._matcher()
        timed("hyperscan scan + hits", corpus, runs, lambda ts: [hs._hits(t) for t in ts])
        ceiling, _ = timed("hyperscan raw scan", corpus, runs, lambda ts: [hs.scan_only(t) for t in ts])
        print(f"  hyperscan engine at {speeds['hyperscan'] / ceiling:.0%} of the raw scan, "
              f"{speeds['hyperscan'] / speeds['python']:.0f}x the baseline")
        if "python" in taxonomies:
            n = len(matches["python"])
            same_match = matches["python"] == matches["hyperscan"][:n]
            py_find, hs_find = taxonomies["python"].find, taxonomies["hyperscan"].find
            same_find = all(py_find(t) == hs_find(t) for t in corpus[:n])
            ok = same_match and same_find
            print(f"  hyperscan == python on {n} postings: match {same_match}, find {same_find}")
    return ok


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--postings", type=int, default=20000)
    ap.add_argument("--size", type=int, default=3000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--baseline-postings", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--taxonomy", default=str(ROOT / "config" / "skills.yaml"))
    ap.add_argument("--ascii", action="store_true", help="also run on an ASCII-only copy of the corpus")
    ap.add_argument("--real", default=str(REAL_POSTINGS) if REAL_POSTINGS.is_dir() else "",
                    help="directory of real postings (*.jsonl with title, description); '' to skip")
    args = ap.parse_args(argv)

    texts = generate(args.postings, args.size, args.seed)
    corpora = [("demo", texts, args.baseline_postings)]
    if args.ascii:
        ascii_texts = [t.encode("ascii", "replace").decode().replace("?", " ") for t in texts]
        corpora.append(("demo-ascii", ascii_texts, args.baseline_postings))
    if args.real:
        real = real_postings(Path(args.real))
        if real:
            corpora.append((f"real: {args.real}", real, len(real)))
        else:
            print(f"no postings in {args.real}: real corpus skipped")
    ok = True
    for label, corpus, baseline_postings in corpora:
        ok &= bench_corpus(label, corpus, baseline_postings, args.runs, args.taxonomy)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
