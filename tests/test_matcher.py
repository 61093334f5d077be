"""The compiled matcher engine gives exactly the Python engine's results on the real taxonomy."""
from __future__ import annotations

import json
import pickle
import random
import re
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from pipeline import matcher
from pipeline.skills import RegexTerm, load_taxonomy, term_regex

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
    for line in FIXTURES.read_text(encoding="utf-8").split("\n"):
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


@lru_cache(maxsize=None)
def regex_samples() -> st.SearchStrategy[str]:
    """Strings matching the taxonomy's regexes - skill and `not` terms - so that `not` spans occur
    next to, inside and around skill matches."""
    py, _ = taxonomies()
    strategies = []
    for area in py.spec.areas.values():
        for term in [t for ts in area.skills.values() for t in ts] + list(area.not_):
            if isinstance(term, RegexTerm):
                try:
                    strategies.append(st.from_regex(re.compile(term.regex, re.IGNORECASE), fullmatch=True,
                                                    alphabet=st.characters(codec="ascii")))
                except Exception:  # noqa: BLE001 - look-arounds and the like: hypothesis cannot generate them
                    continue
    return st.one_of(strategies)


# Characters where engines could disagree: case folding (KELVIN SIGN, long s, dotless i), Unicode
# spaces/digits/letters, punctuation the taxonomy mentions (’), inert symbols, odd ASCII controls.
ODD = ["\u212a", "\u017f", "\u0131", "\u0130", "\u00a0", "\u2009", "\u0663", "é", "ß", "ﬁ", "’", "‘", "“",
       "–", "—", "•", "€", "£", "…", "®", "\x1c", "\x1f", "\x0b", "\x0c", "\t", "\n", "\r", " ", "-", "/",
       "&", "+", "#", ".", "'", "(", ")", ",", ";", ":"]
# Separators that end lines and segments (the engine confirms hits segment by segment), plus spaces the
# engine scans as " " (NBSP, U+2028, U+202F) and a letter that forces the superset views.
SEPARATORS = [" ", "\n", "\n\n", "", "-", ", ", ". ", ".\n", "; ", ": ", "!", "?", "(", ") ", "\"", "|", "*",
              " • ", "·", " – ", "—", "’", "\u00a0", "\u2028", "\u202f", "é "]


def _variants(text: str, rng: random.Random) -> list[str]:
    ascii_text = text.encode("ascii", "replace").decode().replace("?", " ")
    return [text, ascii_text, ascii_text.upper(), ascii_text.lower()]


def assert_same(text: str) -> None:
    py, hs = taxonomies()
    assert hs.match(text) == py.match(text)
    assert hs.find(text) == py.find(text)


def assert_hits_cover_python_matches(text: str) -> None:
    """The invariant the engine rests on: every Python match of every scanned term ends where a
    Hyperscan hit of it says (end - delta - extra <= match end <= end - delta), and a term confined
    to segments matches in each segment exactly what it matches there in the whole text."""
    _, hs = taxonomies()
    engine = hs._matcher()
    found = engine._hits(text)
    if found is None:
        return
    ends = defaultdict(list)
    for pid, end in found[0]:
        ends[pid].append(end)
    for pid, entry in enumerate(engine._entries):
        matches = [m.span() for m in entry.term.pattern.finditer(text) if m.end() > m.start()]
        if None not in ends[pid]:
            for _, stop in matches:
                assert any(end - entry.delta - entry.extra <= stop <= end - entry.delta for end in ends[pid]), \
                    (entry.term.pattern.pattern, text)
        barrier = entry.shape.barrier
        if barrier:
            pieces = re.split(f"([{re.escape(barrier)}])", text)
            local, pos = [], 0
            for piece in pieces:
                local += [(s, e) for s, e in (m.span() for m in entry.term.pattern.finditer(text, pos, pos + len(piece)))
                          if e > s and not (len(piece) == 1 and piece in barrier)]
                pos += len(piece)
            assert sorted(local) == matches, (entry.term.pattern.pattern, text)


@needs_hyperscan
def test_engines_identical_on_labeled_postings():
    rng = random.Random(3)
    for text in fixture_texts():
        for variant in _variants(text, rng):
            assert_same(variant)


@needs_hyperscan
def test_engines_identical_on_labeled_postings_as_one_line_or_many():
    """Real postings whose lines are joined into one (as many scraped descriptions are) or split at
    every sentence, so segments and lines are long, short, and cut through skill and `not` phrases."""
    for text in fixture_texts()[:120]:
        assert_same(text.replace("\n", " "))
        assert_same(re.sub(r"([.,;:]) ", "\\1\n", text))
        assert_same(text.replace(" ", "\n", 40))


@needs_hyperscan
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_engines_identical_on_generated_text(data):
    pool = fragments()
    pieces = data.draw(st.lists(st.one_of(st.sampled_from(pool), st.sampled_from(ODD),
                                          st.text(max_size=4)), max_size=25))
    seps = data.draw(st.lists(st.sampled_from([" ", "\n", "", "-", ", ", "’", "\u00a0", "•"]),
                              min_size=len(pieces), max_size=len(pieces)))
    assert_same("".join(p + s for p, s in zip(pieces, seps)))


@needs_hyperscan
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_engines_identical_on_multiline_text_with_not_spans(data):
    """Many short lines and segments; regex samples put `not` spans before, on and after skill
    matches, on the same line and on others; non-ASCII letters and spaces on some lines."""
    piece = st.one_of(st.sampled_from(fragments()), regex_samples(), st.sampled_from(ODD))
    pieces = data.draw(st.lists(piece, min_size=1, max_size=20))
    seps = data.draw(st.lists(st.sampled_from(SEPARATORS), min_size=len(pieces), max_size=len(pieces)))
    text = "".join(p + s for p, s in zip(pieces, seps))
    assert_same(text)
    assert_hits_cover_python_matches(text)


@needs_hyperscan
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(SEPARATORS), min_size=1, max_size=6), st.integers(0, 10_000))
def test_hits_cover_python_matches_on_labeled_postings(separators, seed):
    """Cut a real posting at random places with separators: the invariant holds everywhere."""
    rng = random.Random(seed)
    text = rng.choice(fixture_texts())[:1500]
    cuts = sorted(rng.sample(range(len(text)), min(len(separators), len(text))))
    for cut, sep in reversed(list(zip(cuts, separators))):
        text = text[:cut] + sep + text[cut:]
    assert_hits_cover_python_matches(text)
    assert_same(text)


@needs_hyperscan
def test_hyperscan_fast_path_is_taken():
    """Postings are scanned: exactly (ASCII plus inert punctuation like ’ – • €), with non-ASCII spaces
    as " " (one scan), or as two superset views (é); only characters Python case-folds onto ASCII or
    odd controls go to Python."""
    _, hs = taxonomies()
    engine = hs._matcher()
    assert engine.name == "hyperscan"
    assert isinstance(engine._proxy("Python – SQL • €100k, it’s “great”"), bytes)  # exact scan
    assert len(engine._proxy("a\u00a0b\u202fc")) == 1  # spaces view
    assert len(engine._proxy("café\u00a0")) == 2  # letter views
    assert engine._proxy("\u212a8s") is None and engine._proxy("a\x1cb") is None  # Python engine


@needs_hyperscan
def test_lookaround_terms_are_scanned_as_tight_supersets():
    """`not` terms with look-arounds are scanned as their own superset expression rather than
    Hyperscan's prefilter, which would hit on every capital C or R."""
    _, hs = taxonomies()
    engine = hs._matcher()
    assert not engine._always and not engine._always_not
    text = "Clear Roles, Rust and C++ for Company Culture at Remote Companies in California. Go Ruby"
    assert [pid for pid, _ in engine._hits(text)[0] if engine._entries[pid].is_not] == []


def test_shape_barriers():
    shape = matcher._shape
    assert shape(term_regex("python")).barrier.startswith("\n.,;")  # a one-word phrase: lines, sentences
    assert "\n" not in shape(term_regex("machine learning")).barrier  # a space also matches a line break
    assert "." not in shape(term_regex("node.js")).barrier
    assert shape(r"\bfoo(?=\s+bar)").barrier.count("\n") == 0  # a look-ahead may see the next line
    assert "\n" in shape(r"(?<=\n)foo").barrier  # a look-behind sees the real text either way
    assert shape(r"foo$").barrier == "" and shape(r"(a)\1").barrier == ""
    assert "." not in shape(r"[^,\n]+").barrier and "," in shape(r"[^,\n]+").barrier
    assert shape(r"a{2,5}").width == 5 and shape(r"\w+").width == matcher._FAR
    assert shape(r"(?=a)").empty and not shape("a").empty


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="Cc.-R&D sAiuteLvl(\n)Gowayb", max_size=40))
def test_approximation_is_a_superset(text):
    """Each Python match ends where the approximation (read as a Python regex) can end a match, at
    most `extra` characters after the Python match's end."""
    regexes = [r"(?-i:(?=[C(])(?:C(?=-(?:suite|level))|(?<=\.)C\b|\bC(?=\.[A-Za-z])|\(C\)|(?<![^\n])C\.\s))",
               r"(?-i:R(?=\s?&\s?D\b)|(?<=[.-])R\b)", r"\bGo(?! away)(?=\s+(?:Live|All\b))", r"^Go\b(?=\w+)",
               r"(?:(?<=a)|b)c(?=d)\b"]
    for regex in regexes:
        approx, extra = matcher._approximation(regex)

        def approx_ends_at(end: int) -> bool:  # the look-ahead pins the end, \b still sees text[end]
            return re.search(f"(?:{approx})(?=[\\s\\S]{{{len(text) - end}}}\\Z)", text, re.IGNORECASE) is not None

        for m in re.finditer(regex, text, re.IGNORECASE):
            if m.end() > m.start():
                assert any(approx_ends_at(e) for e in range(m.end(), min(len(text), m.end() + extra) + 1)), \
                    (regex, approx, text)


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


def _must_not_compile(monkeypatch):
    def compiling(*args):
        raise AssertionError("compiled although prepared")
    monkeypatch.setattr(matcher, "_hs_compile_one", compiling)
    monkeypatch.setattr(matcher, "_hs_database", compiling)


@needs_hyperscan
def test_an_engine_built_from_prepared_compilations_compiles_nothing_and_matches_the_same(monkeypatch):
    """Workers and later runs get the compilations (pipeline/cache.py keeps them), not the 4.5 s of compiling."""
    _, hs = taxonomies()
    prepared = hs.prepared_matcher()
    again = load_taxonomy(TAXONOMY, engine="hyperscan")
    again.use_prepared(prepared)
    shipped = pickle.loads(pickle.dumps(again))  # as sent to an enrichment worker
    _must_not_compile(monkeypatch)
    for taxonomy in (again, shipped):
        for text in fixture_texts()[:200]:
            assert taxonomy.find(text) == hs.find(text)
    assert again.prepared_matcher() == prepared


@needs_hyperscan
@pytest.mark.parametrize("damage", ["none", "garbage", "other hyperscan", "other expressions", "database bytes"])
def test_prepared_compilations_that_do_not_fit_are_compiled_again(damage, monkeypatch):
    _, hs = taxonomies()
    prepared = hs.prepared_matcher()
    line, _, database = prepared.partition(b"\n")
    header = json.loads(line)
    if damage == "other hyperscan":
        header["hyperscan"] = "0.0.1"
    elif damage == "other expressions":
        header["expressions"] = "0" * 64
    data = {"none": None, "garbage": b"\x00not json\nxx",
            "database bytes": line + b"\n" + database[:-1] + bytes([database[-1] ^ 1])}.get(
        damage, json.dumps(header).encode() + b"\n" + database)
    compiled = []
    real_database = matcher._hs_database.__wrapped__
    monkeypatch.setattr(matcher, "_hs_database", lambda entries: compiled.append(1) or real_database(entries))
    taxonomy = load_taxonomy(TAXONOMY, engine="hyperscan")
    taxonomy.use_prepared(data)
    for text in fixture_texts()[:60]:
        assert taxonomy.find(text) == hs.find(text)
    assert compiled == [1]
    if damage in ("none", "garbage", "other hyperscan"):
        assert matcher.prepared_header(data) is None
