"""Measure the skill-area extractor and the ML classifier against hand-labeled postings.

    .venv/bin/python tests/bench/measure_extraction.py [labeled.jsonl] [--taxonomy config/skills.yaml] [--errors AREA]

For every labeled posting: demand_text -> Taxonomy.match (an area is present when any of its skills
matched) and classify_ml(title, description). Prints per-area precision / recall / F1 and macro-F1,
the predicted vs labeled share of each area among the labeled ML postings, is_ml precision / recall,
and the macro-F1 of a naive baseline (one case-insensitive keyword regex per area on the raw text).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.boilerplate import demand_text  # noqa: E402
from pipeline.classify import classify_ml  # noqa: E402
from pipeline.columns import AREA_IDS  # noqa: E402
from pipeline.skills import Taxonomy, load_taxonomy  # noqa: E402

DEFAULT_LABELED = ROOT / "tests" / "fixtures" / "labeled_postings.jsonl"
DEFAULT_TAXONOMY = ROOT / "config" / "skills.yaml"

# The naive baseline: the area's own name as one keyword regex, on the raw text.
BASELINE: dict[str, re.Pattern[str]] = {
    area: re.compile(pattern, re.IGNORECASE)
    for area, pattern in {
        "technical": r"\b(?:technical|programming|python|sql)\b",
        "business_acumen": r"\bbusiness\b",
        "communication": r"\bcommunicat",
        "math_statistics": r"\b(?:math|statistic)",
        "creative_thinking": r"\bcreativ",
        "problem_solving": r"\bproblem[- ]solv",
        "networking": r"\bnetwork",
        "security": r"\bsecurity\b",
        "passion": r"\bpassion",
        "patience": r"\bpatien",
        "attention_to_detail": r"\bdetail",
        "teamwork": r"\bteam",
    }.items()
}


# The naive is_ml baseline: ML words in the title.
TITLE_BASELINE = re.compile(
    r"machine learning|\bml\b|\bmlops\b|\bai\b|artificial intelligence|deep learning|data scien|\bnlp\b|\bllms?\b"
    r"|computer vision|generative",
    re.IGNORECASE,
)


def load_labeled(path: str | Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def predicted_areas(taxonomy: Taxonomy, description: str) -> set[str]:
    return {area for area, _skill in taxonomy.match(demand_text(description))}


def baseline_areas(description: str) -> set[str]:
    return {area for area, pattern in BASELINE.items() if pattern.search(description)}


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def area_scores(labeled: list[dict], predictions: list[set[str]]) -> dict[str, tuple[float, float, float]]:
    scores = {}
    for area in AREA_IDS:
        tp = sum(1 for row, pred in zip(labeled, predictions) if area in pred and area in row["areas"])
        fp = sum(1 for row, pred in zip(labeled, predictions) if area in pred and area not in row["areas"])
        fn = sum(1 for row, pred in zip(labeled, predictions) if area not in pred and area in row["areas"])
        scores[area] = prf(tp, fp, fn)
    return scores


def macro_f1(scores: dict[str, tuple[float, float, float]]) -> float:
    return sum(f for _, _, f in scores.values()) / len(scores)


def evaluate(labeled_path: str | Path = DEFAULT_LABELED, taxonomy_path: str | Path = DEFAULT_TAXONOMY) -> dict:
    """All the figures this script prints, as a dict (used by the tests for their floors)."""
    labeled = load_labeled(labeled_path)
    taxonomy = load_taxonomy(taxonomy_path)
    started = time.perf_counter()
    predictions = [predicted_areas(taxonomy, row["description"]) for row in labeled]
    extraction_seconds = time.perf_counter() - started
    ml = [classify_ml(row["title"], row["description"]) for row in labeled]
    scores = area_scores(labeled, predictions)
    baseline = area_scores(labeled, [baseline_areas(row["description"]) for row in labeled])

    title_pred = [bool(TITLE_BASELINE.search(row["title"])) for row in labeled]
    title_tp = sum(1 for row, pred in zip(labeled, title_pred) if pred and row["is_ml"])
    title_fp = sum(1 for row, pred in zip(labeled, title_pred) if pred and not row["is_ml"])
    title_fn = sum(1 for row, pred in zip(labeled, title_pred) if not pred and row["is_ml"])
    tp = sum(1 for row, (pred, _) in zip(labeled, ml) if pred and row["is_ml"])
    fp = sum(1 for row, (pred, _) in zip(labeled, ml) if pred and not row["is_ml"])
    fn = sum(1 for row, (pred, _) in zip(labeled, ml) if not pred and row["is_ml"])
    ml_rows = [i for i, row in enumerate(labeled) if row["is_ml"]]
    shares = {
        area: (
            sum(1 for i in ml_rows if area in predictions[i]) / len(ml_rows) if ml_rows else 0.0,
            sum(1 for i in ml_rows if area in labeled[i]["areas"]) / len(ml_rows) if ml_rows else 0.0,
        )
        for area in AREA_IDS
    }
    return {
        "n": len(labeled),
        "n_ml": len(ml_rows),
        "areas": scores,
        "macro_f1": macro_f1(scores),
        "baseline_areas": baseline,
        "baseline_macro_f1": macro_f1(baseline),
        "ml_shares": shares,
        "is_ml": prf(tp, fp, fn)[:2],
        "is_ml_title_baseline": prf(title_tp, title_fp, title_fn)[:2],
        "extraction_per_second": len(labeled) / extraction_seconds if extraction_seconds else float("inf"),
        "labeled": labeled,
        "predictions": predictions,
        "ml_predictions": ml,
    }


def write_report_figures(result: dict) -> Path:
    """The figures the report's methodology section shows, in the one file it reads them from."""
    from reports.methodology import ACCURACY_FILE

    figures = json.loads(ACCURACY_FILE.read_text(encoding="utf-8")) if ACCURACY_FILE.exists() else {}
    figures.update({
        "measured_with": ".venv/bin/python tests/bench/measure_extraction.py",
        "labeled_postings": result["n"],
        "labeled_ml": result["n_ml"],
        "macro_f1": round(result["macro_f1"], 3),
        "keyword_regex_macro_f1": round(result["baseline_macro_f1"], 3),
        "is_ml_precision": round(result["is_ml"][0], 3),
        "is_ml_recall": round(result["is_ml"][1], 3),
        "in_sample": True,
    })
    tmp = ACCURACY_FILE.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    tmp.replace(ACCURACY_FILE)
    return ACCURACY_FILE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("labeled", nargs="?", default=str(DEFAULT_LABELED))
    parser.add_argument("--taxonomy", default=str(DEFAULT_TAXONOMY))
    parser.add_argument("--errors", metavar="AREA", help="list false positives / negatives of AREA (or 'is_ml')")
    parser.add_argument("--write-report-figures", action="store_true",
                        help="update reports/extraction_accuracy.json (the report's methodology section) with "
                             "this measurement; the blind-batch figures there are kept")
    args = parser.parse_args(argv)
    result = evaluate(args.labeled, args.taxonomy)
    if args.write_report_figures:
        write_report_figures(result)

    print(f"labeled postings: {result['n']} ({result['n_ml']} ML, {result['n'] - result['n_ml']} non-ML)")
    print(f"{'area':22} {'P':>5} {'R':>5} {'F1':>5}   {'base F1':>7}   {'ML share pred':>13} {'labeled':>7}")
    for area in AREA_IDS:
        p, r, f = result["areas"][area]
        pred_share, label_share = result["ml_shares"][area]
        print(f"{area:22} {p:5.2f} {r:5.2f} {f:5.2f}   {result['baseline_areas'][area][2]:7.2f}"
              f"   {pred_share:13.2f} {label_share:7.2f}")
    print(f"macro-F1: {result['macro_f1']:.3f}   baseline macro-F1: {result['baseline_macro_f1']:.3f}")
    p, r = result["is_ml"]
    bp, br = result["is_ml_title_baseline"]
    print(f"is_ml precision: {p:.3f}   recall: {r:.3f}   (title-keyword baseline: {bp:.3f} / {br:.3f})")
    print(f"extraction (demand_text + match): {result['extraction_per_second']:.0f} postings/s")

    if args.errors:
        for row, pred, (is_ml, reason) in zip(result["labeled"], result["predictions"], result["ml_predictions"]):
            if args.errors == "is_ml":
                if is_ml != row["is_ml"]:
                    print(f"  {'FP' if is_ml else 'FN'} {row['id']} | {row['title']} | {reason}")
                continue
            labeled_has, predicted_has = args.errors in row["areas"], args.errors in pred
            if labeled_has != predicted_has:
                print(f"  {'FP' if predicted_has else 'FN'} {row['id']} | {row['title']} | {row['notes']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
