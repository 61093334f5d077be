"""Benchmark the HTML-to-text engines of pipeline/text.py and check that they agree.

    .venv/bin/python tests/bench/bench_html_text.py [--runs 3] [--weeks 24] [--real DIR | --real '']
                                                    [--payloads DIR] [--write-fixture N]

Corpora:
* demo: every description of the demo corpus (scraper.demo.corpus.build_corpus) as the real adapters
  parse it (tests/conftest.py demo_postings): Greenhouse, Lever and HN HTML;
* real HTML: the descriptions the real adapters make of the recorded real API payloads (`--payloads`,
  default /work/shared/data/real/payloads when it exists, else tests/fixtures/payloads): Greenhouse,
  Lever, HN, RemoteOK, Remotive, SmartRecruiters, Workable, Arbeitnow, Ashby, We Work Remotely; plus
  the descriptions of the real postings (`--real`, default /work/shared/data/real/postings) that hold a
  tag;
* real text: the other real postings' descriptions. They are plain text, but `jobtrends extract` gives
  every description to html_to_text, and the ~40 % with an "&" go through the parser.

Speeds: for each engine, the median of `--runs` passes over the whole corpus, in one process pinned to one
core; MB = 10**6 bytes of UTF-8 input. Agreement: each engine's text against the reference (bs4) on every
posting, and for postings whose text differs, whether what the pipeline derives from it differs:
boilerplate.demand_text, the skill pairs (trends.posting_skills on the configured taxonomy) and the ML
verdict (classify.classify_ml). The exit status is 1 if the default engine differs anywhere.

`--write-fixture N` (re)writes tests/fixtures/html_text_real.jsonl with N real HTML descriptions (every
payload kind represented, then those with the most varied markup) for tests/test_html_text.py.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.text import DEFAULT_ENGINE, available_engines, html_to_text  # noqa: E402

SHARED_REAL = Path("/work/shared/data/real")
FIXTURE_PAYLOADS = ROOT / "tests" / "fixtures" / "payloads"
FIXTURE = ROOT / "tests" / "fixtures" / "html_text_real.jsonl"
REFERENCE = "bs4"


def demo_descriptions(weeks: int) -> list[str]:
    from scraper.demo.corpus import build_corpus
    from tests.conftest import demo_postings

    return [p.description_html for ps in demo_postings(build_corpus(weeks=weeks)).values() for p in ps]


def _payload_parsers() -> dict[str, Callable[[Path], list]]:
    from scraper.sources import (arbeitnow, ashby, greenhouse, hackernews, lever, remoteok, remotive,
                                 smartrecruiters, workable, wwr)

    def js(path: Path):
        return json.loads(path.read_text(encoding="utf-8"))

    return {  # file-name prefix -> postings, for both the shared names and the tests/fixtures names
        "greenhouse": lambda p: greenhouse.parse_board(js(p), "gh", "Co").postings,
        "lever": lambda p: lever.parse_postings(js(p), "lever", "Co").postings,
        "hn-algolia-1": lambda p: hackernews.parse_thread(js(p), "hn").postings,
        "hn-items": lambda p: hackernews.parse_thread(js(p), "hn").postings,
        "remoteok": lambda p: remoteok.parse_feed(js(p), "rok").postings,
        "remotive": lambda p: remotive.parse_remote_jobs(js(p), "rem").postings,
        "smartrecruiters-2": lambda p: smartrecruiters.parse_detail(js(p), "sr", "Co").postings,
        "smartrecruiters-boschgroup-detail": lambda p: smartrecruiters.parse_detail(js(p), "sr", "Co").postings,
        "workable": lambda p: workable.parse_account(js(p), "wk", "Co").postings,
        "arbeitnow": lambda p: arbeitnow.parse_page(js(p), "an").postings,
        "ashby": lambda p: ashby.parse_board(js(p), "ash", "Co").postings,
        "wwr": lambda p: wwr.parse_feed(p.read_bytes(), "wwr").postings,
    }


def payload_descriptions(folder: Path) -> Iterator[tuple[str, str]]:
    """(origin, description_html) of every posting the real adapters make of the recorded payloads."""
    from scraper.sources.base import SourceFormatError

    parsers = _payload_parsers()
    for path in sorted(folder.glob("*.*")):
        parse = next((f for prefix, f in parsers.items() if path.name.startswith(prefix)), None)
        if parse is None:
            continue
        try:
            postings = parse(path)
        except SourceFormatError as exc:  # greenhouse-3.json: the legacy single-job endpoint
            print(f"skipped {path.name}: {exc}")
            continue
        for posting in postings:
            if posting.description_html.strip():
                yield f"{path.name}:{posting.source_id}", posting.description_html


def real_postings(folder: Path) -> Iterator[tuple[str, str]]:
    for path in sorted(folder.glob("*.jsonl")):
        with path.open(encoding="utf-8") as lines:  # not splitlines(): descriptions hold U+2028
            for line in lines:
                row = json.loads(line)
                yield str(row["id"]), str(row.get("description") or "")


def has_markup(text: str) -> bool:
    return "<" in text and ">" in text


def speed(engine: str, docs: list[str], runs: int) -> float:
    megabytes = sum(len(d.encode("utf-8")) for d in docs) / 1e6
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        for doc in docs:
            html_to_text(doc, engine)
        times.append(time.perf_counter() - start)
    return megabytes / statistics.median(times)


def agreement(engine: str, docs: list[str], taxonomy) -> dict[str, object]:
    """Postings whose text differs from the reference, and whether the pipeline's outputs differ."""
    from pipeline.boilerplate import demand_text
    from pipeline.classify import classify_ml
    from pipeline.trends import posting_skills

    differing = demand = skills = verdict = 0
    examples = []
    for doc in docs:
        ref, got = html_to_text(doc, REFERENCE), html_to_text(doc, engine)
        if ref == got:
            continue
        differing += 1
        demand += demand_text(ref) != demand_text(got)
        skills += posting_skills(taxonomy, "", ref) != posting_skills(taxonomy, "", got)
        verdict += classify_ml("", ref)[0] != classify_ml("", got)[0]
        if len(examples) < 3:
            examples.append(_first_difference(ref, got))
    return {"identical": len(docs) - differing, "differing": differing, "demand_text_differs": demand,
            "skills_differ": skills, "ml_verdict_differs": verdict, "examples": examples}


def _first_difference(ref: str, got: str) -> str:
    i = next((i for i, (a, b) in enumerate(zip(ref, got)) if a != b), min(len(ref), len(got)))
    return f"at {i}: reference {ref[max(0, i - 30):i + 30]!r} vs {got[max(0, i - 30):i + 30]!r}"


def write_fixture(items: list[tuple[str, str]], count: int) -> None:
    by_kind: dict[str, list[tuple[str, str]]] = {}
    for origin, doc in items:
        by_kind.setdefault(origin.split("-")[0].split(".")[0], []).append((origin, doc))
    chosen = [max(group, key=lambda item: len(item[1])) for group in by_kind.values()]
    # then the most varied markup (distinct tag names; HN's misnested <p>/<pre> among them), short ones first
    rest = sorted((item for item in items if item not in chosen and len(item[1]) <= 3000),
                  key=lambda item: (-len(set(re.findall(r"<(\w+)", item[1]))), len(item[1])))
    chosen += rest[:max(0, count - len(chosen))]
    with FIXTURE.open("w", encoding="utf-8") as out:
        for origin, doc in chosen:
            out.write(json.dumps({"origin": origin, "html": doc}, ensure_ascii=False) + "\n")
    print(f"wrote {len(chosen)} descriptions to {FIXTURE.relative_to(ROOT)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--weeks", type=int, default=24)
    parser.add_argument("--real", default=str(SHARED_REAL / "postings") if SHARED_REAL.exists() else "")
    parser.add_argument("--payloads",
                        default=str(SHARED_REAL / "payloads" if SHARED_REAL.exists() else FIXTURE_PAYLOADS))
    parser.add_argument("--write-fixture", type=int, default=0, metavar="N")
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    real_html = list(payload_descriptions(Path(args.payloads)))
    real_text: list[str] = []
    if args.real:
        for origin, doc in real_postings(Path(args.real)):
            if has_markup(doc):
                real_html.append((origin, doc))
            else:
                real_text.append(doc)
    if args.write_fixture:
        write_fixture(real_html, args.write_fixture)

    from pipeline.skills import load_taxonomy

    taxonomy = load_taxonomy(ROOT / "config" / "skills.yaml")
    corpora = {"demo": demo_descriptions(args.weeks), "real HTML": [doc for _, doc in real_html]}
    if real_text:
        corpora["real text (extract)"] = real_text
    engines = available_engines()
    failed = False
    for name, docs in corpora.items():
        size = sum(len(d.encode("utf-8")) for d in docs)
        print(f"\n{name}: {len(docs)} descriptions, {size / 1e6:.2f} MB, median {statistics.median(map(len, docs)):.0f} chars")
        for engine in engines:
            print(f"  {engine:7} {speed(engine, docs, args.runs):7.1f} MB/s")
        for engine in engines:
            if engine == REFERENCE:
                continue
            result = agreement(engine, docs, taxonomy)
            examples = result.pop("examples")
            print(f"  {engine} vs {REFERENCE}: {json.dumps(result)}")
            for example in examples:
                print(f"    {example}")
            failed |= engine == DEFAULT_ENGINE and bool(result["differing"])
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
