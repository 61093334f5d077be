"""Benchmark enrichment (pipeline/enrich.py) step by step, and check it against a reference version.

    .venv/bin/python tests/bench/bench_enrich.py [--runs 3] [--real DIR | --real ''] [--reference COMMIT]
                                                 [--profile demo|real] [--no-check]

Corpora: the 24-week demo (scraper.demo.corpus, parsed by the real adapters and cleaned as `process`
does) and every posting of `--real` (default /work/shared/data/real/postings; one JSON posting per line
with title, location, description).

Steps timed (one process, one core, medians of `--runs`; MB = 10^6 bytes of UTF-8 title + description):

* classify        classify_ml(title, description) per posting (pipeline/classify.py, demand_text included)
* normalize       normalize_postings (pipeline/normalize.py)
* demand_text     pipeline/boilerplate.demand_text alone
* match           taxonomy.match(title + demand text) alone (the demand texts computed beforehand)
* posting_skills  demand_text + match (pipeline/trends.posting_skills)
* enrichment      enrichment_table, everything together (keys, classify, normalize, skills)

Reference: the modules pipeline/boilerplate.py, classify.py and enrich.py as of `--reference` (a git
commit; default the commit before the speed-up) are loaded from git into separate module objects, and
the bench checks that the current code gives identical demand texts, verdicts and enrichment tables on
every demo and real posting, and prints the reference's timings next to the current ones.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

import pandas as pd  # noqa: E402

from pipeline import columns as c  # noqa: E402
from pipeline import enrich  # noqa: E402
from pipeline.boilerplate import demand_text  # noqa: E402
from pipeline.classify import classify_ml  # noqa: E402
from pipeline.normalize import normalize_postings  # noqa: E402
from pipeline.skills import load_taxonomy  # noqa: E402
from pipeline.trends import posting_skills  # noqa: E402

REAL_POSTINGS = Path("/work/shared/data/real/postings")
REFERENCE_COMMIT = "e64be3e"  # boilerplate.py, classify.py, enrich.py before the speed-up


# ---- corpora ------------------------------------------------------------------------------------
def demo_frame() -> pd.DataFrame:
    from conftest import demo_postings
    from pipeline.clean import clean_postings, raw_frame
    from scraper.demo.corpus import build_corpus

    rows = []
    for postings in demo_postings(build_corpus()).values():
        for p in postings:
            row = p.to_json()
            row["fetched_at"] = "2026-01-05T00:00:00+00:00"
            rows.append(row)
    return clean_postings(raw_frame(rows)).reset_index(drop=True)


def real_frame(directory: Path) -> pd.DataFrame:
    rows = []
    for path in sorted(directory.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").split("\n"):  # not splitlines(): U+2028 in JSON strings
            if line.strip():
                r = json.loads(line)
                rows.append({c.POSTING_ID: str(r.get("id")), c.TITLE: str(r.get("title") or ""),
                             c.LOCATION: str(r.get("location") or ""), c.DESCRIPTION: str(r.get("description") or ""),
                             c.HINTS: {}})
    return pd.DataFrame(rows)


# ---- the reference version --------------------------------------------------------------------------
def _git_source(commit: str, path: str) -> str:
    return subprocess.run(["git", "-C", str(REPO), "show", f"{commit}:{path}"], check=True,
                          capture_output=True, text=True).stdout


def reference(commit: str) -> types.SimpleNamespace:
    """The reference demand_text, classify_ml and enrichment_table, loaded from `commit`."""
    def load(name: str, source: str, **names) -> types.ModuleType:
        module = types.ModuleType(f"reference_{name}")
        module.__dict__.update(names)
        exec(compile(source, f"{commit}:pipeline/{name}.py", "exec"), module.__dict__)
        module.__dict__.update(names)  # the reference's own imports replaced by reference functions
        return module

    boilerplate = load("boilerplate", _git_source(commit, "pipeline/boilerplate.py"))
    source = _git_source(commit, "pipeline/classify.py")
    classify = load("classify", source, demand_text=boilerplate.demand_text)

    def mark_ml(postings: pd.DataFrame) -> pd.DataFrame:  # pipeline.trends.mark_ml with the reference classify_ml
        verdicts = [classify.classify_ml(t, d) for t, d in zip(postings[c.TITLE], postings[c.DESCRIPTION])]
        out = postings.copy()
        out[c.IS_ML] = pd.Series([v[0] for v in verdicts], index=postings.index, dtype=bool)
        out[c.ML_REASON] = [v[1] for v in verdicts]
        return out

    def ref_posting_skills(taxonomy, title, text):  # pipeline.trends.posting_skills with the reference demand_text
        return taxonomy.match(f"{title}\n{boilerplate.demand_text(text)}")

    enrich_ref = load("enrich", _git_source(commit, "pipeline/enrich.py"), mark_ml=mark_ml,
                      posting_skills=ref_posting_skills)
    return types.SimpleNamespace(demand_text=boilerplate.demand_text, classify_ml=classify.classify_ml,
                                 posting_skills=ref_posting_skills, enrichment_table=enrich_ref.enrichment_table)


def current() -> types.SimpleNamespace:
    return types.SimpleNamespace(demand_text=demand_text, classify_ml=classify_ml, posting_skills=posting_skills,
                                 enrichment_table=enrich.enrichment_table)


# ---- timing -------------------------------------------------------------------------------------
def _clear_caches() -> None:
    """Empty the current code's memo caches, so that every run starts cold like a new process."""
    from pipeline import boilerplate

    for value in vars(boilerplate).values():
        if hasattr(value, "cache_clear"):
            value.cache_clear()


def median_time(work, runs: int) -> float:
    times = []
    for _ in range(runs):
        _clear_caches()
        t0 = time.perf_counter()
        work()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def steps(impl: types.SimpleNamespace, frame: pd.DataFrame, taxonomy) -> dict[str, object]:
    titles, texts = list(frame[c.TITLE]), list(frame[c.DESCRIPTION])
    demands = [impl.demand_text(d) for d in texts]
    return {
        "classify": lambda: [impl.classify_ml(t, d) for t, d in zip(titles, texts)],
        "normalize": lambda: normalize_postings(frame),
        "demand_text": lambda: [impl.demand_text(d) for d in texts],
        "match": lambda: [taxonomy.match(f"{t}\n{d}") for t, d in zip(titles, demands)],
        "posting_skills": lambda: [impl.posting_skills(taxonomy, t, d) for t, d in zip(titles, texts)],
        "enrichment": lambda: impl.enrichment_table(frame, taxonomy),
    }


def bench(label: str, frame: pd.DataFrame, taxonomy, impls: dict[str, types.SimpleNamespace], runs: int) -> None:
    n = len(frame)
    mb = sum(len(f"{t}\n{d}".encode("utf-8")) for t, d in zip(frame[c.TITLE], frame[c.DESCRIPTION])) / 1e6
    print(f"\n{label}: {n} postings, {mb:.2f} MB (medians of {runs})")
    print(f"  {'step':<15} " + "  ".join(f"{name:>26}" for name in impls))
    works = {name: steps(impl, frame, taxonomy) for name, impl in impls.items()}
    times: dict[str, dict[str, list[float]]] = {name: {step: [] for step in w} for name, w in works.items()}
    for step in next(iter(works.values())):
        for _ in range(runs):  # the versions alternate run by run, so that load on a shared machine hits both
            for name in impls:
                times[name][step].append(median_time(works[name][step], 1))
    timings = {name: {step: statistics.median(t) for step, t in by_step.items()} for name, by_step in times.items()}
    for step in next(iter(timings.values())):
        cells = []
        for name in impls:
            s = timings[name][step]
            cells.append(f"{n / s:8.0f} post/s {mb / s:6.2f} MB/s")
        print(f"  {step:<15} " + "  ".join(f"{cell:>26}" for cell in cells))


# ---- equality -----------------------------------------------------------------------------------
def check(label: str, frame: pd.DataFrame, taxonomy, ref: types.SimpleNamespace, new: types.SimpleNamespace) -> bool:
    ok = True
    texts, titles = list(frame[c.DESCRIPTION]), list(frame[c.TITLE])
    bad = [i for i, d in enumerate(texts) if ref.demand_text(d) != new.demand_text(d)]
    print(f"  {label}: demand_text differs on {len(bad)} of {len(texts)}" + (f" (first: row {bad[0]})" if bad else ""))
    ok &= not bad
    bad = [i for i, (t, d) in enumerate(zip(titles, texts)) if ref.classify_ml(t, d) != new.classify_ml(t, d)]
    print(f"  {label}: classify_ml differs on {len(bad)} of {len(texts)}" + (f" (first: row {bad[0]})" if bad else ""))
    ok &= not bad
    a, b = ref.enrichment_table(frame, taxonomy), new.enrichment_table(frame, taxonomy)
    same = list(a.columns) == list(b.columns) and a.dtypes.equals(b.dtypes) and a.equals(b)
    print(f"  {label}: enrichment_table identical ({len(a)} rows): {same}")
    return ok and same


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--real", default=str(REAL_POSTINGS) if REAL_POSTINGS.is_dir() else "")
    ap.add_argument("--reference", default=REFERENCE_COMMIT, help="git commit of the reference modules; '' for none")
    ap.add_argument("--profile", choices=["demo", "real"], help="only cProfile enrichment_table on one corpus")
    ap.add_argument("--no-check", action="store_true", help="skip the equality check against the reference")
    args = ap.parse_args(argv)

    taxonomy = load_taxonomy(REPO / "config" / "skills.yaml")
    taxonomy.match("warm up the matcher")  # builds the engine (compiles the Hyperscan database) once
    corpora = [("demo (24 weeks)", demo_frame())]
    if args.real:
        corpora.append((f"real: {args.real}", real_frame(Path(args.real))))

    if args.profile:
        frame = dict(zip(("demo", "real"), (f for _, f in corpora)))[args.profile]
        profiler = cProfile.Profile()
        profiler.runcall(enrich.enrichment_table, frame, taxonomy)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        return 0

    impls = {"current": current()}
    if args.reference:
        impls = {"reference " + args.reference: reference(args.reference), **impls}
    ok = True
    if args.reference and not args.no_check:
        print("equality, reference vs current:")
        for label, frame in corpora:
            ok &= check(label, frame, taxonomy, impls["reference " + args.reference], impls["current"])
    for label, frame in corpora:
        bench(label, frame, taxonomy, impls, args.runs)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
