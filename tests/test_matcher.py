"""The compiled matcher engine gives exactly the Python engine's results on the real taxonomy."""
from __future__ import annotations

import json
import random
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from pipeline import matcher
from pipeline.skills import load_taxonomy

ROOT = Path(__file__).resolve().parents[1]
TAXONOMY = ROOT / "config" / "skills.yaml"
FIXTURES = ROOT / "tests" / "fixtures" / "labeled_postings.jsonl"

needs_hyperscan = pytest.mark.skipif(not matcher.hyperscan_available(), reason="hyperscan not installed")


@lru_cache(maxsize=None)
def taxonomies():
    return load_taxonomy(TAXONOMY, engine="python"), load_taxonomy(TAXONOMY, engine="hyperscan")


@lru_cache(maxsize=None)
def fixture_texts() -> tuple[str, ...]:
    texts = []
    for line in FIXTURES.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            texts.append(f"{row.get('title') or ''}\n{row.get('description') or ''}")
    return tuple(texts)


@lru_cache(maxsize=None)
def fragments() -> tuple[str, ...]:
    """Lines of the labeled postings plus every phrase / exact term of the taxonomy."""
    lines = sorted({ln.strip() for t in fixture_texts() for ln in t.splitlines() if ln.strip()})
    py, _ = taxonomies()
    terms = set()
    for area in py.spec.areas.values():
        for term in [t for ts in area.skills.values() for t in ts] + list(area.not_):
            if isinstance(term, str):
                terms.add(term)
            elif hasattr(term, "exact"):
                terms.add(term.exact)
    return tuple(lines[:400]) + tuple(sorted(terms))


# Characters where engines could disagree: case folding (KELVIN SIGN, long s, dotless i), Unicode
# spaces/digits/letters, punctuation the taxonomy mentions (’), inert symbols, odd ASCII controls.
ODD = ["\u212a", "\u017f", "\u0131", "\u0130", "\u00a0", "\u2009", "\u0663", "é", "ß", "ﬁ", "’", "‘", "“",
       "–", "—", "•", "€", "£", "…", "®", "\x1c", "\x1f", "\x0b", "\x0c", "\t", "\n", "\r", " ", "-", "/",
       "&", "+", "#", ".", "'", "(", ")", ",", ";", ":"]


def _variants(text: str, rng: random.Random) -> list[str]:
    ascii_text = text.encode("ascii", "replace").decode().replace("?", " ")
    return [text, ascii_text, ascii_text.upper(), ascii_text.lower()]


@needs_hyperscan
def test_engines_identical_on_labeled_postings():
    py, hs = taxonomies()
    rng = random.Random(3)
    for text in fixture_texts():
        for variant in _variants(text, rng):
            assert hs.match(variant) == py.match(variant)
            assert hs.find(variant) == py.find(variant)


@needs_hyperscan
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_engines_identical_on_generated_text(data):
    pool = fragments()
    pieces = data.draw(st.lists(st.one_of(st.sampled_from(pool), st.sampled_from(ODD),
                                          st.text(max_size=4)), max_size=25))
    seps = data.draw(st.lists(st.sampled_from([" ", "\n", "", "-", ", ", "’", "\u00a0", "•"]),
                              min_size=len(pieces), max_size=len(pieces)))
    text = "".join(p + s for p, s in zip(pieces, seps))
    py, hs = taxonomies()
    assert hs.match(text) == py.match(text)
    assert hs.find(text) == py.find(text)


@needs_hyperscan
def test_hyperscan_fast_path_is_taken():
    """Postings are scanned: exactly (ASCII plus inert punctuation like ’ – • €) or as superset views (é,
    non-ASCII spaces); only characters Python case-folds onto ASCII or odd controls go to Python."""
    _, hs = taxonomies()
    engine = hs._matcher()
    assert engine.name == "hyperscan"
    assert isinstance(engine._proxy("Python – SQL • €100k, it’s “great”"), bytes)  # exact scan
    assert isinstance(engine._proxy("café"), tuple) and isinstance(engine._proxy("a\u00a0b"), tuple)  # superset
    assert engine._proxy("\u212a8s") is None and engine._proxy("a\x1cb") is None  # Python engine


def test_engine_selection(monkeypatch):
    monkeypatch.setenv(matcher.ENGINE_ENV, "python")
    assert matcher.resolve_engine() == "python"
    assert matcher.resolve_engine("auto") == ("hyperscan" if matcher.hyperscan_available() else "python")
    monkeypatch.delenv(matcher.ENGINE_ENV)
    assert matcher.resolve_engine() == ("hyperscan" if matcher.hyperscan_available() else "python")
    monkeypatch.setattr(matcher, "_hs", None)  # as if the wheel could not be installed
    assert matcher.resolve_engine() == "python"
    tax = load_taxonomy(TAXONOMY)
    assert tax.engine == "python" and tax.match("Python and SQL") == [("technical", "Python"),
                                                                     ("technical", "SQL and databases")]
    with pytest.raises(ValueError):
        matcher.resolve_engine("nope")
