"""The matcher engine: term kinds, `not` spans, and the literal prefilter never changing results."""
from __future__ import annotations

import re

from hypothesis import given, settings, strategies as st

from pipeline.skills import ExactTerm, RegexTerm, Taxonomy, TaxonomySpec, required_literals, term_regex
from pipeline.columns import AREA_IDS


def tiny_taxonomy(**extra_skills) -> Taxonomy:
    areas = {a: {"name": a, "skills": {f"{a}-skill": [f"zz{a}zz"]}} for a in AREA_IDS}
    areas["technical"]["skills"] = {"C++": ["c++"], "R": [{"exact": "R"}], "Go": [{"exact": "Go"}],
                                    "Data structures": ["data structures"], **extra_skills}
    areas["security"] = {"name": "Security", "skills": {"Security": ["security"]},
                         "not": ["social security", {"regex": r"job\s+security"}]}
    return Taxonomy(TaxonomySpec.model_validate({"areas": areas}), version="test")


def test_term_kinds():
    tax = tiny_taxonomy()
    assert tax.match("Python, R and C++; data-structures") == [
        ("technical", "C++"), ("technical", "R"), ("technical", "Data structures")
    ]
    # `exact` only guards the token's edges; context rules ("Series R", "go-to-market") live in the taxonomy.
    assert tax.match("R&D budget, c++11x, Golang-ish, go, r") == []
    assert tax.match("We use Go and R.") == [("technical", "R"), ("technical", "Go")]


def test_not_spans_cancel_only_overlapping_matches():
    tax = tiny_taxonomy()
    assert tax.match("Provide your social security number. Job security guaranteed.") == []
    assert tax.match("social security number; strong security background") == [("security", "Security")]


def test_required_literals():
    assert required_literals(term_regex("data structures")) in (("data",), ("structures",))
    assert required_literals(term_regex(RegexTerm(regex="bayes(ian)?|markov chains?"))) == ("bayes", "markov chain")
    assert required_literals(term_regex(RegexTerm(regex=r"\w+ing"))) == ("ing",)
    assert required_literals(term_regex(RegexTerm(regex=r"(foo)?bar"))) == ("bar",)
    assert required_literals(term_regex(RegexTerm(regex=r"(foo)?|bar"))) is None
    assert required_literals(term_regex(ExactTerm(exact="R"))) is None  # too short to help


WORDS = ["data", "structures", "Data-Structures", "security", "social", "job", "R", "C++", "Go", "bayes",
         "Bayesian", "markov", "chain", "chains", "&", "-", "\n", "İ", "ß", "K", "ﬁ", " "]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=30).map(" ".join))
def test_prefilter_never_changes_matches(text):
    tax = tiny_taxonomy(Bayes=[{"regex": r"bayes(ian)?|markov\s+chains?"}])
    with_prefilter = tax.match(text)
    plain = set()
    for area, skill, terms in tax._skills:
        excluded = [m.span() for t in tax._not_terms.get(area, []) for m in t.pattern.finditer(text)]
        for term in terms:
            for m in term.pattern.finditer(text):
                if m.start() != m.end() and not any(s < m.end() and m.start() < e for s, e in excluded):
                    plain.add((area, skill))
    assert set(with_prefilter) == plain


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(WORDS + ["’", "é", "\u00a0", "•", "R&D", "Series R", "c#", "job  security"]),
                max_size=30).map(" ".join))
def test_engines_agree_on_tiny_taxonomy(text):
    """Every installed matcher engine (pipeline.matcher) gives the reference results."""
    from pipeline.matcher import available_engines

    tax = tiny_taxonomy(Bayes=[{"regex": r"bayes(ian)?|markov\s+chains?"}])
    reference = Taxonomy(tax.spec, version="test", engine="python")
    for engine in available_engines():
        other = Taxonomy(tax.spec, version="test", engine=engine)
        assert other.match(text) == reference.match(text)
        assert other.find(text) == reference.find(text)
