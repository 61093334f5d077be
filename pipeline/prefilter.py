r"""Where a Python regex can match, found by one RE2 scan, so that Python runs it only there.

Why: `pipeline.boilerplate` walks every posting with a few large Python regexes; Python's backtracking
engine tries them at nearly every position (about 7 MB/s each). RE2 scans a look-around-free superset of
each (`pipeline.matcher._approximation`) as a DFA, about fifteen times faster. Searching again one
byte after each match's start gives a match at every position where a superset match starts. Every
Python match lies inside one of those (it is a superset match, starting at the same place or, where a
look-behind was consumed, inside one that starts earlier), so `Candidates.finditer` tries the Python
regex only at the covered positions and gives exactly what `pattern.finditer` (or a `_starts`-style
scanner) gives.

What RE2 scans is a one-byte-per-character Latin-1 view of the text (offsets are kept): ASCII as is,
every other character as 0xff. The expressions are widened to match (a non-ASCII literal, and each of
\w \s \d, also matches 0xff; a non-ASCII member of a negated class is dropped; \b and \B are dropped).
Texts holding a character that Python's case-insensitive matching folds onto an ASCII letter (KELVIN
SIGN, long s, dotted and dotless i) get no candidates: the caller runs Python alone.

Hyperscan, which the skill matcher uses, was tried here first and dropped: with start-of-match on it
refuses these expressions as too large, and without it (the wheel on this machine) it missed a match of
`(?:to|for) (?:all )?(?:recruit(?:ment|ing)? )?(?:agencies|Recruiters)` after 58 bytes of other text
(tests/test_prefilter.py keeps that case).
"""
from __future__ import annotations

import bisect
import re
from typing import Iterator

from pipeline.matcher import _Unsupported, _approximation

try:  # optional compiled engine: without it, callers run Python alone
    import re2 as _re2
except ImportError:  # pragma: no cover - exercised where the wheel is missing
    _re2 = None

__all__ = ["CandidateScanner", "Candidates"]

_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# Non-ASCII characters that re.IGNORECASE matches against ASCII letters (tests/test_prefilter.py checks
# the list against every code point).
FOLDS_TO_ASCII = "\u0130\u0131\u017f\u212a"
_FOLDS = re.compile(f"[{FOLDS_TO_ASCII}]")
_OTHER = r"\xff"
_WIDENED = {"w": r"\w\xff", "d": r"\d\xff", "s": r"\s\x0b\x1c-\x1f\xff"}  # Python's \s also has \x1c-\x1f


def byte_expression(expression: str) -> str:
    """`expression` (from `_approximation`) for the one-byte view: matches wherever it matched, and more.
    Raises _Unsupported where that cannot be written (a negated \\S \\W \\D, a non-ASCII range end)."""
    out: list[str] = []
    i, n = 0, len(expression)
    in_class = negated = False
    while i < n:
        ch = expression[i]
        if ch == "\\":
            esc = expression[i + 1]
            if not esc.isascii():
                raise _Unsupported("escaped non-ASCII character")
            token = expression[i:i + 2]
            i += 2
            if esc == "x":
                out.append(token + expression[i:i + 2])
                i += 2
            elif esc in "bB" and not in_class:
                continue  # a dropped boundary only adds matches
            elif esc in _WIDENED and not negated:
                out.append(_WIDENED[esc] if in_class else f"[{_WIDENED[esc]}]")
            elif esc in "SWD" and negated:
                raise _Unsupported("negated \\S, \\W or \\D")  # Python's is wider than RE2's
            else:
                out.append(token)
            continue
        if in_class:
            if ch == "]":
                in_class = negated = False
            elif ch == "-" and (not expression[i + 1:i + 2].isascii() or not expression[i - 1].isascii()):
                raise _Unsupported("non-ASCII range")
            elif not ch.isascii():
                i += 1
                if not negated:
                    out.append(_OTHER)
                continue
            out.append(ch)
            i += 1
            continue
        if ch == "[":
            in_class = True
            negated = expression[i + 1:i + 2] == "^"
            out.append("[^" if negated else "[")
            i += 2 if negated else 1
            if expression[i:i + 1] == "]":  # a literal "]" first in a class
                out.append(r"\x5d")
                i += 1
            continue
        out.append(_OTHER if not ch.isascii() else ch)
        i += 1
    return "".join(out)


class CandidateScanner:
    """RE2 scans for several Python regexes; `scan(text)` gives each one's `Candidates`.

    `supersets[name]`: regexes (Python syntax) whose matches start wherever `patterns[name]` can match
    (default: the pattern itself); every Python match of _INLINE starts with a heading phrase, say.
    `first[name]`: a one-character regex every match starts with (a character class, perhaps with a
    look-behind): only those positions of a candidate span are tried.
    `available` is False when RE2 is missing or an expression cannot be written for it: callers then use
    their Python scan alone."""

    def __init__(self, patterns: dict[str, re.Pattern], supersets: dict[str, list[str]] | None = None,
                 first: dict[str, str] | None = None):
        self.patterns = patterns
        self._first = {name: re.compile(regex) for name, regex in (first or {}).items()}
        self._overlapping: dict[str, bool] = {}
        self.available = False
        if _re2 is None:
            return
        options = _re2.Options()
        options.encoding = _re2.Options.Encoding.LATIN1
        options.never_capture = True
        options.max_mem = 64 << 20  # room for the DFA of the largest expression: it stays a DFA scan
        self._scanners = {}
        try:
            for name, pattern in patterns.items():
                regexes = (supersets or {}).get(name, [pattern.pattern])
                self._overlapping[name] = any("(?<=" in regex for regex in regexes)
                expression = "|".join(f"(?:{byte_expression(_approximation(r)[0])})" for r in regexes)
                if pattern.flags & re.IGNORECASE:
                    expression = f"(?i:{expression})"
                self._scanners[name] = _re2.compile(expression.encode("latin-1"), options)
        except (_Unsupported, _re2.error, UnicodeEncodeError, re.error):
            return
        self.available = True

    def scan(self, text: str) -> dict[str, Candidates] | None:
        """Each pattern's candidates in `text`, or None: run Python alone (see the module docstring)."""
        if not self.available:
            return None
        if text.isascii():
            data = text.encode("ascii")
        elif _FOLDS.search(text):
            return None
        else:
            data = _NON_ASCII.sub("\xff", text).encode("latin-1")
        return {name: Candidates(self.patterns[name], text,
                                 _every_start(scanner, data) if self._overlapping[name] else
                                 [m.span() for m in scanner.finditer(data)], self._first.get(name))
                for name, scanner in self._scanners.items()}


def _every_start(scanner, data: bytes) -> list[tuple[int, int]]:
    """The leftmost match at every position where one starts: each search resumes one byte after the
    last start, not at its end. Needed where a look-behind was consumed: that match starts before its
    Python match, and can overlap the one before it. (Without consumed look-behinds, consecutive
    leftmost matches already cover every start: each search finds the first start after the last end.)"""
    spans: list[tuple[int, int]] = []
    search, pos, size = scanner.search, 0, len(data)
    while pos <= size:
        m = search(data, pos)
        if m is None:
            break
        spans.append(m.span())
        pos = m.start() + 1
    return spans


class Candidates:
    """The positions of `text` where `pattern` can match: the union of closed spans [start, end] (closed:
    an empty Python match can sit at the end of a consumed look-behind)."""

    def __init__(self, pattern: re.Pattern, text: str, spans: list[tuple[int, int]],
                 first: re.Pattern | None = None):
        self.pattern, self.text, self.first = pattern, text, first
        merged: list[list[int]] = []
        for start, end in sorted(spans):
            if merged and start <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self._starts = [s for s, _ in merged]
        self._ends = [e for _, e in merged]

    def any_in(self, start: int, end: int) -> bool:
        """Whether a candidate span meets [start, end): the quick answer for most lines."""
        starts = self._starts
        i = bisect.bisect_right(starts, start) - 1
        return (i >= 0 and self._ends[i] >= start and start < end) or (i + 1 < len(starts) and starts[i + 1] < end)

    def positions(self, start: int, end: int) -> list[int]:
        """Candidate positions in [start, end), in order. (A list: this runs for every line and sentence
        of a posting, and most have none.)"""
        starts, ends, first, text = self._starts, self._ends, self.first, self.text
        i = max(0, bisect.bisect_right(starts, start) - 1)
        out: list[int] = []
        while i < len(starts) and starts[i] < end:
            lo, hi = max(starts[i], start), min(ends[i] + 1, end)
            if lo < hi:
                if first is None:
                    out.extend(range(lo, hi))
                else:
                    out.extend(m.start() for m in first.finditer(text, lo, hi))
            i += 1
        return out

    def finditer(self, start: int = 0, end: int | None = None) -> Iterator[re.Match]:
        """What `pattern.finditer(text, start, end)` yields, given that its matches never are empty."""
        end = len(self.text) if end is None else end
        text, match, last_end = self.text, self.pattern.match, start
        for pos in self.positions(start, end):
            if pos < last_end:
                continue
            m = match(text, pos, end)
            if m is not None:
                last_end = m.end()
                yield m

    def matches_at_each(self, start: int, end: int) -> list[re.Match]:
        """The match at each candidate position in [start, end), overlaps included: what a `_starts`
        scanner of pipeline.boilerplate (the pattern as a look-ahead at each position) sees."""
        text, match = self.text, self.pattern.match
        return [m for m in (match(text, pos, end) for pos in self.positions(start, end)) if m is not None]
