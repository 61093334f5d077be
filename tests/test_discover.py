"""`discover`: phrases the taxonomy lacks, by share and by rise."""
from __future__ import annotations

import pandas as pd

from pipeline import columns as c
from pipeline.discover import discover_terms, posting_phrases, snippet
from pipeline.skills import load_taxonomy
from tests.conftest import REPO

TAXONOMY = load_taxonomy(REPO / "config" / "skills.yaml")


def frame(rows):
    return pd.DataFrame(rows, columns=[c.POSTING_ID, c.WEEK, c.IS_ML, c.DESCRIPTION])


def test_phrases_skip_taxonomy_matches_and_stop_word_edges():
    phrases = posting_phrases("Requirements:\n- Strong Python and experience with vector search engines", TAXONOMY)
    assert "vector search engines" in phrases or "search engines" in phrases
    assert "python" not in phrases  # the taxonomy already names it
    assert not any(p.split()[0] in {"and", "with", "the"} for p in phrases)


def test_rising_term_is_found_and_flat_ones_are_not_called_rising():
    rows = []
    for week in range(10):
        for i in range(10):
            uses = i < 1 + week  # 10 % of postings in week 0, 100 % by week 9
            text = "Tune quantum annealing schedules. " + ("Experience with graph neural operators." if uses else "")
            rows.append((f"{week}-{i}", f"2026-W{week + 10:02d}", True, text))
            rows.append((f"n{week}-{i}", f"2026-W{week + 10:02d}", False, "Sell software to hospitals."))
    postings = frame(rows)
    rising = discover_terms(postings, TAXONOMY, sort="rise", top=10).terms
    assert "graph neural operators" in set(rising["term"])
    assert (rising["direction"] == "rising").all()
    common = discover_terms(postings, TAXONOMY, sort="share", top=50).terms
    flat = common.set_index("term").loc["quantum annealing schedules"]
    assert flat["direction"] == "flat" and flat["share"] == 1.0
    assert "annealing" not in set(common["term"])  # contained in a phrase that is as frequent


def test_snippet_shows_the_phrase_in_context():
    text = "We need someone who knows the Model Context Protocol well and ships fast."
    assert "Model Context Protocol" in snippet(text, "model context protocol", width=10)


def test_common_english_words_are_not_reported_alone_but_rare_ones_are():
    rows = []
    for i in range(20):
        rows.append((f"m{i}", "2026-W10", True, "Deploy models behind an API. Experience with vllm serving."))
        rows.append((f"n{i}", "2026-W10", False, "Sell software to hospitals."))
    terms = set(discover_terms(frame(rows), TAXONOMY, top=50).terms["term"])
    assert "vllm" in terms or "vllm serving" in terms
    assert not {"models", "behind", "deploy"} & terms
    assert any("models" in t.split() and " " in t for t in terms)  # still counted inside a phrase
