"""Benchmark the skill matcher engines on a generated corpus.

    .venv/bin/python tests/bench/bench_matcher.py [--postings 20000] [--size 3000] [--runs 3]
                                                  [--baseline-postings 1000] [--seed 11] [--ascii]

Postings are composed from the demo corpus (scraper.demo.corpus.build_corpus: Greenhouse, Lever and
HN texts, lines shuffled with a fixed seed) until each is ~`--size` characters. Every engine from
pipeline.matcher.available_engines() runs `Taxonomy.match` over all postings in one process (one core);
the median of `--runs` runs is reported as MB/s per core (MB = 10**6 bytes of UTF-8 text); for
Hyperscan also the scan alone, without confirming hits in Python (the ceiling of that design). The Python
engine (the pre-existing matcher, the baseline) runs on the first `--baseline-postings` postings only,
since it needs minutes for the whole corpus. Results are checked equal between engines on every posting
the baseline ran on. `--ascii` also reports a variant of the corpus with non-ASCII characters replaced.
"""
from __future__ import annotations

import argparse
import html
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


def run(tax, texts: list[str]) -> tuple[float, list]:
    match = tax.match
    start = time.perf_counter()
    results = [match(t) for t in texts]
    return time.perf_counter() - start, results


def bench(name: str, tax, texts: list[str], runs: int) -> tuple[float, list]:
    tax.match(texts[0])  # build the engine outside the timing
    nbytes = sum(len(t.encode("utf-8")) for t in texts)
    times, results = [], None
    for _ in range(runs):
        seconds, results = run(tax, texts)
        times.append(seconds)
    median = statistics.median(times)
    print(f"  {name:<10} {len(texts):>6} postings  {nbytes / 1e6:7.1f} MB  median {median:8.3f} s  "
          f"{nbytes / 1e6 / median:8.2f} MB/s per core  {len(texts) / median:10.0f} postings/s  "
          f"(runs: {', '.join(f'{t:.3f}' for t in times)})")
    return nbytes / 1e6 / median, results


def scan_only(tax, texts: list[str], runs: int) -> None:
    """The compiled database alone (text -> proxy bytes -> one scan): the ceiling for this taxonomy."""
    engine = tax._matcher()
    nbytes = sum(len(t.encode("utf-8")) for t in texts)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        for t in texts:
            data = engine._proxy(t)
            if isinstance(data, bytes):
                engine._scan(data)
            elif data is not None:
                engine._scan(data[0]), engine._scan(data[1])
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    print(f"  {'(scan only)':<10} {len(texts):>6} postings  {nbytes / 1e6:7.1f} MB  median {median:8.3f} s  "
          f"{nbytes / 1e6 / median:8.2f} MB/s per core  (Hyperscan scan without confirming hits)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--postings", type=int, default=20000)
    ap.add_argument("--size", type=int, default=3000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--baseline-postings", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--taxonomy", default=str(ROOT / "config" / "skills.yaml"))
    ap.add_argument("--ascii", action="store_true", help="also run on an ASCII-only copy of the corpus")
    args = ap.parse_args(argv)

    texts = generate(args.postings, args.size, args.seed)
    mean = sum(len(t.encode("utf-8")) for t in texts) / len(texts)
    print(f"corpus: {len(texts)} postings, mean {mean:.0f} bytes, "
          f"{sum(not t.isascii() for t in texts) / len(texts):.0%} with non-ASCII characters")
    corpora = [("demo", texts)]
    if args.ascii:
        corpora.append(("demo-ascii", [t.encode("ascii", "replace").decode().replace("?", " ") for t in texts]))
    ok = True
    for label, corpus in corpora:
        print(f"[{label}]")
        reference = None
        for engine in available_engines():
            tax = load_taxonomy(args.taxonomy, engine=engine)
            subset = corpus if engine != "python" else corpus[: args.baseline_postings]
            _, results = bench(engine + (" (baseline)" if engine == "python" else ""), tax, subset, args.runs)
            if engine == "hyperscan":
                scan_only(tax, subset, args.runs)
            if reference is None:
                reference = results
            else:
                n = min(len(reference), len(results))
                same = reference[:n] == results[:n]
                ok &= same
                print(f"  {engine}: results identical to the baseline on {n} postings: {same}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
