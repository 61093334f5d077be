"""RE2 candidates (pipeline/prefilter.py): demand_text tries its Python regexes only where RE2 says a
match can start, and must find exactly what the Python scans alone find."""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from pipeline import boilerplate as bp
from pipeline import prefilter
from pipeline.matcher import _Unsupported
from pipeline.prefilter import FOLDS_TO_ASCII, CandidateScanner, byte_expression

FIXTURES = Path(__file__).parent / "fixtures"

pytestmark = pytest.mark.skipif(prefilter._re2 is None, reason="google-re2 is not installed")

WORDS = ["About Us", "About you", "Perks", "Qualifications", "What we offer", "Who is Acme", "Benefits:",
         "Acme is an equal opportunity employer", "latencyPredict", "onPh.D.", "(Hive)Apply", "team.About",
         ". - Strong", "Note to Recruiters and Placement Agencies:", "401(k)", "competitive salary",
         "$120k - $150k", "medical insurance claims", "reprocessing personal data", "how to apply", "pto",
         "crypto", "a", "A", "Z", " ", "  ", "\n", "\t", ".", "!", "?", ";", ":", ")", "]", "’", "'", "\"", "”",
         "-", "–", "•", "·", "●", "▪", "Ø", "*", "é", "1", "\u2028", "\u00a0", "\x1c", "ſ", "K"]


def _python_alone(monkeypatch):
    monkeypatch.setattr(CandidateScanner, "scan", lambda self, text: None)


def _spans(matches):
    return [(s, e, {k: v for k, v in m.groupdict().items() if k != "_m"}) for s, e, m in matches]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(WORDS) | st.text(max_size=4), max_size=50).map("".join),
       st.integers(0, 6), st.integers(0, 6))
def test_candidates_give_the_python_matches(text, cut_left, cut_right):
    """Inside any part of the text (lines and sentences are parts), the scans tried at candidate
    positions only give the matches of the scans tried everywhere; so do boilerplate phrases."""
    text_scanner, lower_scanner = bp._scanners()
    found = text_scanner.scan(text)
    start, end = min(cut_left, len(text)), max(min(cut_left, len(text)), len(text) - cut_right)
    if found is not None:
        for name, scanner in (("split", bp._SPLIT_SCAN), ("inline", bp._INLINE_SCAN)):
            assert _spans(bp._matches(scanner, found[name], text, start, end)) == \
                _spans(bp._matches(scanner, None, text, start, end)), name
    lower = text.lower()
    found_lower = lower_scanner.scan(lower)
    if found_lower is not None:
        assert [m.span() for m in found_lower["boilerplate"].finditer()] == \
            [m.span() for m in bp._BOILERPLATE.finditer(lower)]


def _fixture_descriptions() -> list[str]:
    texts = []
    for name in ("labeled_postings.jsonl", "labeled_blind.jsonl"):
        for line in (FIXTURES / name).read_text(encoding="utf-8").splitlines():
            texts.append(json.loads(line)["description"])
    return texts


def test_demand_text_is_the_same_on_real_postings(monkeypatch):
    texts = _fixture_descriptions()
    assert len(texts) > 250
    with_candidates = [bp.demand_text(t) for t in texts]
    _python_alone(monkeypatch)
    assert [bp.demand_text(t) for t in texts] == with_candidates


def test_a_match_that_starts_inside_an_earlier_candidate_is_found():
    """"onPh.D.": the glued-bullet split before "Ph" has a look-behind on "on", consumed by the
    superset, so its candidate starts before the sentence split of the same span; both are found."""
    text = "Strong background in statistics, machine learning or a related fieldPh.D. or MS preferred"
    found = bp._scanners()[0].scan(text)
    assert _spans(bp._matches(bp._SPLIT_SCAN, found["split"], text, 0, len(text))) == \
        _spans(bp._matches(bp._SPLIT_SCAN, None, text, 0, len(text)))
    assert any(s == text.index("Ph.D.") for s, _, _ in bp._matches(bp._SPLIT_SCAN, found["split"], text, 0, len(text)))


def test_the_heading_hyperscan_missed_is_found():
    """Hyperscan 0.9.1 (this machine's wheel) reports no match of the recruiter-note heading after 58
    bytes of other text; RE2's candidates include it."""
    text = "x" * 58 + " Note to Recruiters and Placement Agencies: we do not accept resumes."
    found = bp._scanners()[0].scan(text)
    headings = [m.group("h") for _, _, m in bp._matches(bp._INLINE_SCAN, found["inline"], text, 0, len(text))]
    assert headings == ["Note to Recruiters and Placement Agencies"]


def test_texts_with_case_folding_characters_run_in_python_alone():
    text_scanner, lower_scanner = bp._scanners()
    assert text_scanner.scan("Requirements: Python") is not None
    for char in FOLDS_TO_ASCII:
        assert text_scanner.scan(f"Requirements: Python {char}") is None


def test_folds_to_ascii_lists_every_such_character():
    """Every non-ASCII character that re.IGNORECASE matches against an ASCII letter is listed."""
    letters = re.compile("[a-z]", re.IGNORECASE)
    folding = [chr(c) for c in range(0x80, sys.maxunicode + 1) if letters.fullmatch(chr(c))]
    assert sorted(folding) == sorted(FOLDS_TO_ASCII)


def test_byte_expression_widens_for_the_one_byte_view():
    assert byte_expression(r"[\w]+") == r"[\w\xff]+"
    assert byte_expression(r"a[\s]b") == r"a[\s\x0b\x1c-\x1f\xff]b"
    assert byte_expression("[’x]") == r"[\xffx]"
    assert byte_expression("[^’x]") == "[^x]"  # a negated class must still match other non-ASCII
    assert byte_expression(r"\bfoo\B") == "foo"
    assert byte_expression("é") == r"\xff"
    with pytest.raises(_Unsupported):
        byte_expression(r"[^\S]")


def test_without_re2_the_python_scans_run_alone(monkeypatch):
    monkeypatch.setattr(prefilter, "_re2", None)
    scanner = CandidateScanner({"split": bp._SPLIT})
    assert not scanner.available and scanner.scan("A. B") is None


def test_unsupported_expression_leaves_the_scanner_off():
    scanner = CandidateScanner({"negated": re.compile(r"a[^\S]b")})
    assert not scanner.available
