r"""Matcher engines for `pipeline.skills.Taxonomy`: the same results, different speed.

* `python` - the reference: every term's Python regex, skipped when none of its required literals
  occurs in the lower-cased text (see `pipeline.skills.required_literals`).
* `hyperscan` - the whole taxonomy compiled once into one Hyperscan database; each posting is scanned
  once and reports which terms occur and where they end. Results are identical to `python` by
  construction:

  - Hyperscan scans a one-byte-per-character proxy of the text, padded with one byte at each end, so
    offsets are the text's. ASCII and "inert" non-ASCII (punctuation, symbols: no case, not \w/\s/\d)
    behave exactly as in Python's `re`. Non-ASCII spaces (NBSP) are scanned as " ": exact for the terms
    that never mention a space, a superset for the others. Texts with non-ASCII letters or digits (é)
    are scanned as two superset views. Texts with characters Python case-folds onto ASCII (KELVIN SIGN,
    long s) or odd ASCII controls go to the Python engine (see `_char_proxy`).
  - A hit of a term Hyperscan matches exactly on that scan (phrases, exact tokens, regexes without
    look-arounds, anchors or constructs that could consume the pad) counts on its own, unless a `not`
    term of its area also hit. Every other hit is confirmed by the term's Python regex.
  - Confirming is local where it can be: a pattern that cannot consume or look at a newline (`_Shape`)
    matches inside one line, and `pattern.finditer(text, line_start, line_end)` gives exactly the
    full-text matches on that line (look-behinds and \b see the text before `pos`; at `endpos` a
    newline-free look-ahead sees the same as at a newline). So a hit is confirmed on its own line, and
    `not` spans are computed only on the lines where a skill match needs them, and only for the `not`
    terms Hyperscan saw there (`not` terms report every end offset; skill terms only their first, so a
    skill whose first hit does not count is decided on the whole text).
  - Look-around regexes are scanned as a tighter superset than Hyperscan's prefilter mode gives
    (`_approximation`: a trailing look-ahead or leading look-behind is consumed, the others dropped).
  - `find` runs the Python regexes of the terms that hit, so spans are the reference spans.

Engine selection: `Taxonomy(..., engine=...)` or the environment variable JOBTRENDS_MATCHER
(`auto` - the default: hyperscan when installed, else python - `python` or `hyperscan`).
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import re._constants as _sre  # the stdlib regex parser: pattern shapes (see _Shape)
import re._parser as _sre_parser
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:  # pragma: no cover
    from pipeline.skills import SkillMention, Taxonomy, _CompiledTerm

try:  # optional compiled engine
    import hyperscan as _hs
except ImportError:  # pragma: no cover - exercised where the wheel is missing
    _hs = None

ENGINE_ENV = "JOBTRENDS_MATCHER"
ENGINES = ("python", "hyperscan")

# What Hyperscan scans is a one-byte-per-character proxy of the text (offsets are kept): ASCII as is,
# a non-ASCII character some pattern mentions as its own byte in 0x80-0xfe, any other "inert"
# non-ASCII character (no case, not \w/\s/\d in Python, e.g. bullets, dashes, currency signs) as 0xff.
# Python and Hyperscan (ASCII mode) treat all of these alike. Anything else - letters such as é,
# non-ASCII spaces or digits, cased symbols, and ASCII control characters that Python counts as \s but
# PCRE does not (\x1c-\x1f, \x0b) - sends the text to the Python engine.
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_FAST_UNSAFE = re.compile("[^\t\n\r\x20-\x7e\x80-\xff\u0101-\u0103]")
_ASCII_UNSAFE = re.compile("[^\t\n\r\x20-\x7e]")
_INERT_BYTE = "\xff"
_PAD = b"\xff"  # around the scanned data: outside every boundary class, like the text's edges
_UNSAFE_CHAR = "\u0100"
_CLASSES = re.compile(r"[\w\s\d]")
# Sentinels for non-ASCII letters, digits and spaces (Python \w / \d / \s, no ASCII case partner),
# replaced in the views of the text.
_LETTER, _DIGIT, _SPACE = "\u0101", "\u0102", "\u0103"
_SENTINEL = re.compile("[\u0101-\u0103]")
_LETTER_OR_DIGIT = re.compile("[\u0101\u0102]")
_AS_INERT = {_LETTER: "\xfe", _DIGIT: "\xfe", _SPACE: " "}
_AS_ASCII = {_LETTER: "a", _DIGIT: "0", _SPACE: " "}


def _char_proxy(char: str) -> str:
    if re.fullmatch(r"[\x00-\x7f]", char, re.IGNORECASE):
        return _UNSAFE_CHAR  # e.g. KELVIN SIGN, long s: Python folds them onto ASCII letters
    if _inert(char):
        return _INERT_BYTE
    if re.match(r"\d", char):
        return _DIGIT
    if re.match(r"\w", char):
        return _LETTER
    if re.match(r"\s", char):
        return _SPACE
    return _UNSAFE_CHAR


def _inert(char: str) -> bool:
    """A non-ASCII character every pattern (written without it) treats like any other such character."""
    return (not _CLASSES.match(char) and char.lower() == char == char.upper() and char.casefold() == char
            and not re.fullmatch(r"[\x00-\x7f]", char, re.IGNORECASE))


def _byte_expression(expression: str, charmap: dict[str, int]) -> str | None:
    """`expression` with each non-ASCII character written as its proxy byte (added to `charmap`), or
    None if that is not possible (a cased character, a range with a non-ASCII end, > 127 characters)."""
    out: list[str] = []
    in_class = False
    i, n = 0, len(expression)
    while i < n:
        c = expression[i]
        if c == "\\" and i + 1 < n and expression[i + 1].isascii():
            out.append(expression[i:i + 2])
            i += 2
            continue
        if c == "\\":  # an escaped non-ASCII character: the character itself
            i += 1
            c = expression[i]
        elif in_class and c == "]":
            in_class = False
        elif not in_class and c == "[":
            in_class = True
            j = i + 1
            if j < n and expression[j] == "^":
                j += 1
            if j < n and expression[j] == "]":
                j += 1
            out.append(expression[i:j])
            i = j
            continue
        if c.isascii():
            out.append(c)
        else:
            if not _inert(c) or (in_class and ("-" in (expression[i - 1], expression[i + 1:i + 2]))):
                return None
            if c not in charmap:
                if len(charmap) >= 0x7F:
                    return None
                charmap[c] = 0x80 + len(charmap)
            out.append(f"\\x{charmap[c]:02x}")
        i += 1
    return "".join(out)


def hyperscan_available() -> bool:
    return _hs is not None


def available_engines() -> tuple[str, ...]:
    return ENGINES if hyperscan_available() else ("python",)


def resolve_engine(engine: str | None = None) -> str:
    """The engine name to use: explicit argument, else JOBTRENDS_MATCHER, else the fastest available."""
    name = (engine or os.environ.get(ENGINE_ENV) or "auto").strip().lower()
    if name == "auto":
        return "hyperscan" if hyperscan_available() else "python"
    if name not in ENGINES:
        raise ValueError(f"unknown matcher engine {name!r} (choose from auto, {', '.join(ENGINES)})")
    if name == "hyperscan" and not hyperscan_available():
        raise RuntimeError("matcher engine 'hyperscan' requested but the hyperscan package is not installed")
    return name


# --- the reference engine ------------------------------------------------------------------------------

class PythonEngine:
    name = "python"

    def __init__(self, taxonomy: "Taxonomy"):
        self.tax = taxonomy

    def find(self, text: str) -> list["SkillMention"]:
        tax = self.tax
        lowered = text.lower()  # a match's lower-cased text is always a substring of this
        not_spans = {
            area: [m.span() for term in terms for m in term.finditer(text, lowered)]
            for area, terms in tax._not_terms.items()
        }
        return _collect(tax, text, lowered, not_spans, ((i, None) for i in range(len(tax._skills))))

    def match(self, text: str) -> list[tuple[str, str]]:
        seen = {(m.area, m.skill) for m in self.find(text)}
        return [(a, s) for a, s, _ in self.tax._skills if (a, s) in seen]


def _collect(tax, text, lowered, not_spans, skill_terms: Iterable[tuple[int, "Iterable[_CompiledTerm] | None"]]):
    from pipeline.skills import SkillMention

    found: set[SkillMention] = set()
    for index, terms in skill_terms:
        area, skill, all_terms = tax._skills[index]
        excluded = not_spans.get(area, ())
        for term in all_terms if terms is None else terms:
            for match in term.finditer(text, lowered):
                start, end = match.span()
                if start == end or any(s < end and start < e for s, e in excluded):
                    continue
                found.add(SkillMention(area, skill, start, end))
    return sorted(found, key=lambda m: (m.start, m.end, m.area, m.skill))


# --- pattern shapes: where a Python pattern can match, and a Hyperscan superset of it -----------------

_FAR = 1 << 62  # "unbounded" for widths and offsets
_ZERO_WIDTH = (_sre.ASSERT, _sre.ASSERT_NOT, _sre.AT)
_REPEATS = (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT)
# Anchors that behave the same on a segment searched with (pos, endpos) as in the whole text: `^` and
# \A only match at the real start, \b and \B see the real character before pos, and at endpos they
# see "not a word character", as they do at the barrier character there.
_SEGMENT_SAFE_AT = {_sre.AT_BEGINNING, _sre.AT_BEGINNING_STRING, _sre.AT_BOUNDARY, _sre.AT_NON_BOUNDARY}
# Characters that may delimit the segments a pattern is confined to (none is a word character or
# has case). A pattern's barriers are those it can neither consume nor look ahead at (_Shape).
_BARRIER_CANDIDATES = "\n.,;:!?()[]{}\"|*•·–—"
_CATEGORY_TEXT = {_sre.CATEGORY_DIGIT: r"\d", _sre.CATEGORY_NOT_DIGIT: r"\D", _sre.CATEGORY_SPACE: r"\s",
                  _sre.CATEGORY_NOT_SPACE: r"\S", _sre.CATEGORY_WORD: r"\w", _sre.CATEGORY_NOT_WORD: r"\W"}
_BOUNDARY_TEXT = {_sre.AT_BOUNDARY: r"\b", _sre.AT_NON_BOUNDARY: r"\B"}
_HARMLESS_FLAGS = _sre.SRE_FLAG_IGNORECASE | _sre.SRE_FLAG_UNICODE | _sre.SRE_FLAG_DOTALL \
    | _sre.SRE_FLAG_MULTILINE | _sre.SRE_FLAG_VERBOSE


class _Unsupported(Exception):
    pass


@dataclass(frozen=True)
class _Shape:
    """What one Python pattern can touch.

    `barrier`: characters no match consumes and no look-ahead inspects, with only segment-safe
    anchors: every match lies inside one segment between two of them, and
    `pattern.finditer(text, segment_start, segment_end)` gives exactly the full-text matches there
    (look-behinds and \b see the real text before `pos`; at `endpos` a look-ahead that cannot match
    the barrier fails as it does at the barrier). "" if none. `width`: most characters a match
    consumes (_FAR: unbounded). `empty`: can match the empty string. `space`: how a Hyperscan scan
    with non-ASCII spaces written as " " relates to Python on the real text: 0 exact (no space
    mentioned), 1 superset (a space only mentioned as a character to match), 2 unknown."""

    barrier: str
    width: int
    empty: bool
    space: int


def _shape(source: str) -> _Shape:
    parsed = _sre_parser.parse(source, re.IGNORECASE)
    low, high = parsed.getwidth()
    items = list(parsed)
    reachable = _reachable(items, parsed.state.flags, behind=False)
    barrier = "" if reachable is None else "".join(c for c in _BARRIER_CANDIDATES if c not in reachable)
    return _Shape(barrier=barrier, width=_FAR if high >= _sre_parser.MAXWIDTH else high, empty=low == 0,
                  space=_space_class(items, negated=False))


def _class_has(items, char: str) -> bool:
    """Whether a parsed character class ([...]) matches `char` (a character without case)."""
    negate, hit, code = False, False, ord(char)
    for op, av in items:
        if op is _sre.NEGATE:
            negate = True
        elif op is _sre.LITERAL:
            hit |= av == code
        elif op is _sre.RANGE:
            hit |= av[0] <= code <= av[1]
        elif op is _sre.CATEGORY and av in _CATEGORY_TEXT:
            hit |= re.match(_CATEGORY_TEXT[av], char) is not None
        else:
            return True  # unknown: assume it does
    return hit != negate


def _reachable(items, flags: int, behind: bool) -> set[str] | None:
    """The barrier candidates a match may consume (outside look-behinds) or a look-ahead may inspect;
    None if an anchor or construct could tell a segment's end from the barrier there."""
    out: set[str] = set()
    for op, av in items:
        if op in (_sre.LITERAL, _sre.NOT_LITERAL, _sre.ANY, _sre.IN):
            if not behind:
                out.update(c for c in _BARRIER_CANDIDATES if _char_matches(op, av, c, flags))
            continue
        if op is _sre.BRANCH:
            parts = [_reachable(branch, flags, behind) for branch in av[1]]
        elif op is _sre.SUBPATTERN:
            parts = [_reachable(av[3], (flags | av[1]) & ~av[2], behind)]
        elif op in _REPEATS:
            parts = [_reachable(av[2], flags, behind)]
        elif op is _sre.ATOMIC_GROUP:
            parts = [_reachable(av, flags, behind)]
        elif op in (_sre.ASSERT, _sre.ASSERT_NOT):
            # a look-behind sees only text before the current position, the same either way; a
            # look-ahead (also one nested in a look-behind) must not run past the segment's end
            parts = [_reachable(av[1], flags, av[0] < 0)]
        elif op is _sre.AT and av in _SEGMENT_SAFE_AT:
            continue
        else:
            return None  # other anchors, back-references, conditionals: not analysed
        if any(part is None for part in parts):
            return None
        for part in parts:
            out |= part
    return out


def _char_matches(op, av, char: str, flags: int) -> bool:
    if op is _sre.LITERAL:
        return av == ord(char)
    if op is _sre.NOT_LITERAL:
        return av != ord(char)
    if op is _sre.ANY:
        return char != "\n" or bool(flags & _sre.SRE_FLAG_DOTALL)
    return _class_has(av, char)


def _space_class(items, negated: bool) -> int:
    worst = 0
    for op, av in items:
        if op is _sre.LITERAL:
            mention = 0 if av != 32 else 2 if negated else 1
        elif op is _sre.NOT_LITERAL:
            mention = 2 if av == 32 else 0
        elif op is _sre.IN:
            # categories (\s, \S, \w, ...) treat " " and a non-ASCII space alike
            has = _class_has([i for i in av if i[0] in (_sre.LITERAL, _sre.RANGE)], " ")
            mention = (2 if negated or any(i[0] is _sre.NEGATE for i in av) else 1) if has else 0
        elif op is _sre.BRANCH:
            mention = max((_space_class(b, negated) for b in av[1]), default=0)
        elif op is _sre.SUBPATTERN:
            mention = _space_class(av[3], negated)
        elif op in _REPEATS:
            mention = _space_class(av[2], negated)
        elif op is _sre.ATOMIC_GROUP:
            mention = _space_class(av, negated)
        elif op in (_sre.ASSERT, _sre.ASSERT_NOT):
            mention = _space_class(av[1], negated or op is _sre.ASSERT_NOT)
        elif op in (_sre.AT, _sre.ANY, _sre.CATEGORY):
            mention = 0
        else:
            mention = 2
        worst = max(worst, mention)
    return worst


def _approximation(regex: str) -> tuple[str, int]:
    """(expression, extra) - a look-around-free regex matching a superset of `regex` in Hyperscan:
    a look-ahead at the very end and a look-behind at the very start are consumed, every other
    look-around and anchor is dropped (dropping a condition only adds matches). A reported end offset
    is at most `extra` characters past the Python match's end (_FAR: unbounded). Raises _Unsupported."""
    parsed = _sre_parser.parse(f"(?:{regex})", re.IGNORECASE)
    flags = parsed.state.flags
    if flags & ~_HARMLESS_FLAGS:
        raise _Unsupported("flags")
    text, _, ahead, extra = _approx_sequence(list(parsed), True, True, bool(flags & _sre.SRE_FLAG_DOTALL))
    return text, extra if ahead else 0


def _approx_char(code: int) -> str:
    char = chr(code)
    if not char.isascii():
        return char  # written as its proxy byte by _byte_expression, or refused there
    return char if char.isalnum() else f"\\x{code:02x}"


def _approx_class(items) -> str:
    out = ["["]
    for op, av in items:
        if op is _sre.NEGATE:
            out.append("^")
        elif op is _sre.LITERAL:
            out.append(_approx_char(av))
        elif op is _sre.RANGE:
            if av[1] > 0x7F:
                raise _Unsupported("non-ASCII range")
            out.append(f"{_approx_char(av[0])}-{_approx_char(av[1])}")
        elif op is _sre.CATEGORY and av in _CATEGORY_TEXT:
            out.append(_CATEGORY_TEXT[av])
        else:
            raise _Unsupported(str(op))
    return "".join(out) + "]"


def _look_width(look_items) -> int:
    high = _sre_parser.SubPattern(_sre_parser.State(), list(look_items)).getwidth()[1]
    return _FAR if high >= _sre_parser.MAXWIDTH else high


def _approx_zero_width(items, at_start, at_end, dotall):
    """A sequence of look-arounds and anchors only. At both edges of the pattern (an empty match such
    as `(?=[A-Z])(?<=[a-z][.!?])`), both the look-behind and the look-ahead are consumed."""
    boundaries = [_BOUNDARY_TEXT[av] for op, av in items if op is _sre.AT and av in _BOUNDARY_TEXT]
    behind = next((av for op, av in items if at_start and op is _sre.ASSERT and av[0] < 0), None)
    ahead = next((av for op, av in items if at_end and op is _sre.ASSERT and av[0] > 0), None)
    if behind is not None and ahead is not None:
        before = _approx_sequence(list(behind[1]), True, False, dotall)[0]
        after, _, consumed, extra = _approx_sequence(list(ahead[1]), False, True, dotall)
        return before + after, True, True, min(_FAR, _look_width(ahead[1]) + (extra if consumed else 0))
    for i, (op, av) in enumerate(items):
        if at_end and op is _sre.ASSERT and av[0] > 0:
            before = [_BOUNDARY_TEXT[v] for o, v in items[:i] if o is _sre.AT and v in _BOUNDARY_TEXT]
            text, _, ahead, extra = _approx_sequence(list(av[1]), False, True, dotall)
            return "".join(before) + text, False, True, min(_FAR, _look_width(av[1]) + (extra if ahead else 0))
    for op, av in items:
        if at_start and op is _sre.ASSERT and av[0] < 0:
            text = _approx_sequence(list(av[1]), True, False, dotall)[0]
            return text + "".join(boundaries), True, False, 0
    return "".join(boundaries), False, False, 0


def _approx_sequence(items, at_start: bool, at_end: bool, dotall: bool):
    """(expression, consumed a leading look-behind, consumed a trailing look-ahead, extra width)."""
    consuming = [i for i, (op, _) in enumerate(items) if op not in _ZERO_WIDTH]
    if not consuming:
        return _approx_zero_width(items, at_start, at_end, dotall)
    first, last = consuming[0], consuming[-1]
    lead, behind = _approx_zero_width(items[:first], at_start, False, dotall)[:2]
    parts: list[str] = []
    ahead, extra = False, 0
    for k in range(first, last + 1):
        op, av = items[k]
        if op in _ZERO_WIDTH:
            parts.append(_BOUNDARY_TEXT.get(av, "") if op is _sre.AT else "")
            continue
        text, child_behind, child_ahead, child_extra = _approx_item(
            op, av, at_start and k == first and not behind, at_end and k == last, dotall)
        if child_behind:  # the lead's boundaries held where the consumed look-behind now ends: drop them
            lead, behind = "", True
        if k == last and child_ahead:
            ahead, extra = True, child_extra
        parts.append(text)
    if ahead:  # the trailing conditions held before the consumed look-ahead: drop them
        tail = ""
    else:
        tail, _, ahead, extra = _approx_zero_width(items[last + 1:], False, at_end, dotall)
    return lead + "".join(parts) + tail, behind, ahead, extra


def _approx_item(op, av, at_start: bool, at_end: bool, dotall: bool):
    if op is _sre.LITERAL:
        return _approx_char(av), False, False, 0
    if op is _sre.NOT_LITERAL:
        return f"[^{_approx_char(av)}]", False, False, 0
    if op is _sre.ANY:
        return (r"[\s\S]" if dotall else "."), False, False, 0
    if op is _sre.IN:
        return _approx_class(av), False, False, 0
    if op is _sre.BRANCH:
        branches = [_approx_sequence(list(b), at_start, at_end, dotall) for b in av[1]]
        extra = max((b[3] for b in branches if b[2]), default=0)
        return ("(?:" + "|".join(b[0] for b in branches) + ")", any(b[1] for b in branches),
                any(b[2] for b in branches), extra)
    if op is _sre.SUBPATTERN:
        _, add, remove, inner = av
        if (add | remove) & ~_HARMLESS_FLAGS:
            raise _Unsupported("flags")
        dotall = bool((dotall or add & _sre.SRE_FLAG_DOTALL) and not remove & _sre.SRE_FLAG_DOTALL)
        text, behind, ahead, extra = _approx_sequence(list(inner), at_start, at_end, dotall)
        case = "(?i:" if add & _sre.SRE_FLAG_IGNORECASE else "(?-i:" if remove & _sre.SRE_FLAG_IGNORECASE else "(?:"
        return case + text + ")", behind, ahead, extra
    if op in _REPEATS:
        low, high, inner = av
        text = _approx_sequence(list(inner), False, False, dotall)[0]
        bound = f"{{{low},}}" if high == _sre.MAXREPEAT else f"{{{low},{high}}}"
        return f"(?:{text}){bound}", False, False, 0  # lazy / possessive: greedy matches every end they do
    if op is _sre.ATOMIC_GROUP:
        text, behind, ahead, extra = _approx_sequence(list(av), at_start, at_end, dotall)
        return f"(?:{text})", behind, ahead, extra
    raise _Unsupported(str(op))


# --- the Hyperscan engine ------------------------------------------------------------------------------

def hs_expression(term) -> tuple[str, bool]:
    """(Hyperscan pattern, caseless) for one taxonomy term. The scanned data is padded with one
    `_PAD` byte at each end, so the look-arounds at a phrase's or exact token's edges become consuming
    classes with "does it occur" exactly the same (text edges look like the pad)."""
    from pipeline.skills import _WORD, ExactTerm, RegexTerm

    if isinstance(term, RegexTerm):
        return f"(?:{term.regex})", True
    if isinstance(term, ExactTerm):
        body = re.escape(term.exact)
        return rf"[^{_WORD}+#&/]{body}[^{_WORD}+#&]", False
    words = [re.escape(w) for w in term.strip().split()]
    body = r"[\t\n\x0b\x0c\r \-]+".join(words)
    return rf"[^{_WORD}+#]{body}[^{_WORD}+#]", True


_EXACT, _PREFILTER = 0, 1  # how Hyperscan compiles one expression


@functools.lru_cache(maxsize=4096)
def _hs_compile_one(expression: str, caseless: bool) -> int | None:
    """_EXACT, _PREFILTER or None (not compilable) for one expression."""
    base = _hs.HS_FLAG_CASELESS if caseless else 0
    for mode, flags in ((_EXACT, base), (_PREFILTER, base | _hs.HS_FLAG_PREFILTER)):
        db = _hs.Database(mode=_hs.HS_MODE_BLOCK)
        try:
            db.compile(expressions=[expression.encode("ascii")], ids=[0], elements=1, flags=[flags])
        except (_hs.error, UnicodeEncodeError):
            continue
        return mode
    return None


_ESCAPED = re.compile(r"\\.", re.DOTALL)
_ANCHOR = re.compile(r"\\[AZ]|\$|(?<!\[)\^")        # sees the data edges: the pad would hide them
_PAD_CONSUMER = re.compile(r"\.|\[\^|\\[WSD]")      # could consume a pad byte: a hit needs confirming


@functools.lru_cache(maxsize=16)
def _hs_database(entries: tuple[tuple[str, bool, bool], ...]):
    """One block-mode database over (expression, caseless, prefilter) entries; ids are list positions.
    Every match is reported (no HS_FLAG_SINGLEMATCH): each Python match's end is among the hits."""
    db = _hs.Database(mode=_hs.HS_MODE_BLOCK)
    if entries:
        flags = [(_hs.HS_FLAG_CASELESS if caseless else 0) | (_hs.HS_FLAG_PREFILTER if prefilter else 0)
                 for _, caseless, prefilter in entries]
        db.compile(expressions=[e[0].encode("ascii") for e in entries], ids=list(range(len(entries))),
                   elements=len(entries), flags=flags)
    return db


PREPARED_FORMAT = 1


def _hyperscan_version() -> str:
    return getattr(_hs, "__version__", "") if _hs is not None else ""


def _expressions_digest(entries: tuple[tuple[str, bool, bool], ...]) -> str:
    return hashlib.sha256(json.dumps(entries).encode()).hexdigest()


def prepared_header(data: bytes | None) -> dict | None:
    """The header of a `HyperscanEngine.prepared()` (a JSON line, then the serialized database), or None
    when `data` is not one this code and this Hyperscan can use."""
    if not data:
        return None
    line, _, _ = data.partition(b"\n")
    try:
        header = json.loads(line)
    except ValueError:
        return None
    if (not isinstance(header, dict) or header.get("format") != PREPARED_FORMAT
            or header.get("hyperscan") != _hyperscan_version()):
        return None
    return header


def _load_database(data: bytes, digest: str):
    """The database of a prepared engine if it was compiled from the expressions of `digest`, else None."""
    header = prepared_header(data)
    serialized = data.partition(b"\n")[2] if header is not None else b""
    if header is None or header.get("expressions") != digest or header.get("sha256") != hashlib.sha256(serialized).hexdigest():
        return None
    try:
        db = _hs.loadb(serialized, _hs.HS_MODE_BLOCK)
        db.scratch = _hs.Scratch(db)  # compile() makes one; a loaded database has none
    except (_hs.error, TypeError, ValueError):
        return None
    return db


def _on_hit(pattern_id, start, end, flags, hits):
    hits.append((pattern_id, end))


@dataclass(frozen=True, eq=False)
class _Entry:
    """One taxonomy term as the engine uses it.

    `delta`: Hyperscan's end offset minus the Python match's end (the leading pad, plus the trailing
    edge character of phrases and exact tokens); `extra`: how much further a superset expression's
    end may lie (a consumed look-ahead)."""

    is_not: bool
    area: str
    index: int                # skill index in Taxonomy._skills, -1 for `not` terms
    term: "_CompiledTerm"
    exact: bool               # a hit on the exact scan is a Python match
    exact_on_spaces: bool     # ... also on the scan with non-ASCII spaces written as " "
    shape: _Shape
    delta: int = 1
    extra: int = 0


class HyperscanEngine:
    name = "hyperscan"

    def __init__(self, taxonomy: "Taxonomy", prepared: bytes | None = None):
        """`prepared`: what `prepared()` gave for this taxonomy, maybe by another process; it spares the
        Hyperscan compilations (about 4.5 s, most of building the engine). Anything that does not fit (another
        Hyperscan, other expressions, damaged bytes) is ignored and compiled again."""
        if _hs is None:
            raise RuntimeError("the hyperscan package is not installed")
        self.tax = taxonomy
        header = prepared_header(prepared)
        # (expression, caseless) -> how Hyperscan compiles it (_hs_compile_one), known or found now
        self._modes: dict[tuple[str, bool], int | None] = {
            (expression, caseless): mode for expression, caseless, mode in (header or {}).get("modes", [])}
        self.fallback = PythonEngine(taxonomy)
        self._charmap: dict[str, int] = {}
        expressions: list[tuple[str, bool, bool]] = []
        self._entries: list[_Entry] = []          # per database id
        self._always: list[_Entry] = []           # skill terms Hyperscan cannot scan: always run in Python
        self._always_not: dict[str, list[_Entry]] = {}  # the same for `not` terms, per area
        self._safe_inert: list[bool] = []   # per id: its hits on the 0xfe view are a superset
        self._safe_ascii: list[bool] = []   # per id: its hits on the "a"/"0"/" " view are a superset
        self._unsafe_both: list[int] = []   # ids to confirm in Python on every letter-view text
        self._unsafe_spaces: list[int] = []  # ids to confirm in Python on every space-view text
        spec = taxonomy.spec
        for index, (area, skill, compiled) in enumerate(taxonomy._skills):
            for raw, term in zip(spec.areas[area].skills[skill], compiled):
                self._add(raw, term, area, index, expressions)
        for area, compiled in taxonomy._not_terms.items():
            for raw, term in zip(spec.areas[area].not_, compiled):
                self._add(raw, term, area, -1, expressions)
        entries = tuple(expressions)
        self._digest = _expressions_digest(entries)
        self._db = (_load_database(prepared, self._digest) if header is not None else None) or _hs_database(entries)
        self._proxy_chars: dict[str, str] = {c: chr(b) for c, b in self._charmap.items()}
        self._empty = not expressions
        self._exact = [e.exact for e in self._entries]
        self._is_not = [e.is_not for e in self._entries]
        self._hit_area = [e.area for e in self._entries]
        self._hit_skill = [e.index for e in self._entries]
        self._exact_on_spaces = [e.exact_on_spaces for e in self._entries]

    def _add(self, raw, term, area: str, index: int, expressions: list) -> None:
        from pipeline.skills import RegexTerm, term_regex

        is_not = index < 0
        regex = raw.regex if isinstance(raw, RegexTerm) else None
        shape = _shape(term_regex(raw))
        scanned = self._scanned(raw, regex)
        if scanned is None or (is_not and shape.empty):
            # an empty `not` match cancels too, and Hyperscan never reports one: always run it
            entry = _Entry(is_not, area, index, term, False, False, shape)
            (self._always_not.setdefault(area, []) if is_not else self._always).append(entry)
            return
        expression, caseless, prefilter, exact, space, extra = scanned
        entry = _Entry(is_not, area, index, term, exact, exact and space == 0, shape,
                       delta=1 if regex is not None else 2, extra=extra)
        pid = len(self._entries)
        self._entries.append(entry)
        expressions.append((expression, caseless, prefilter))
        self._flag_superset_safety(regex)
        if space == 2:
            self._unsafe_spaces.append(pid)

    def _mode(self, expression: str, caseless: bool) -> int | None:
        key = (expression, caseless)
        if key not in self._modes:
            self._modes[key] = _hs_compile_one(expression, caseless)
        return self._modes[key]

    def prepared(self) -> bytes:
        """This engine's compilations, for `HyperscanEngine(taxonomy, prepared)` in another process: a JSON
        line (format, Hyperscan version, each expression's compile mode, the database's expressions and
        checksum) and the serialized database."""
        serialized = _hs.dumpb(self._db)
        header = {"format": PREPARED_FORMAT, "hyperscan": _hyperscan_version(), "expressions": self._digest,
                  "sha256": hashlib.sha256(serialized).hexdigest(),
                  "modes": [[expression, caseless, mode] for (expression, caseless), mode in sorted(
                      self._modes.items(), key=lambda item: (item[0][0], item[0][1]))]}
        return json.dumps(header).encode() + b"\n" + serialized

    def _scanned(self, raw, regex: str | None):
        """(expression, caseless, prefilter, exact, space class, extra) for a term, None if Hyperscan
        cannot scan it."""
        expression, caseless = hs_expression(raw)
        expression = _byte_expression(expression, self._charmap)
        if expression is None or not expression.isascii():
            return None
        if regex is None:  # phrases and exact tokens: escaped literals and classes, no space mentioned
            return expression, caseless, False, True, 0, 0
        space = _space_class(list(_sre_parser.parse(regex, re.IGNORECASE)), negated=False)
        mode = None if _ANCHOR.search(regex) else self._mode(expression, caseless)
        if mode == _EXACT:
            # a pad byte consumed at an edge would add a match: then Hyperscan's pattern is a superset
            exact = not (_PAD_CONSUMER.search(_ESCAPED.sub("", regex)) or re.search(r"\\[WSD]", regex))
            return expression, caseless, False, exact, space, 0
        try:
            approx, extra = _approximation(regex)
            approx_bytes = _byte_expression(approx, self._charmap)
        except _Unsupported:
            approx_bytes = None
        if approx_bytes is not None and approx_bytes.isascii():
            approx_mode = self._mode(approx_bytes, caseless)
            if approx_mode is not None:
                space = _space_class(list(_sre_parser.parse(approx_bytes, re.IGNORECASE)), negated=False)
                return approx_bytes, caseless, approx_mode == _PREFILTER, False, space, extra
        if mode == _PREFILTER:
            return expression, caseless, True, False, max(space, 1), 0
        return None

    def _flag_superset_safety(self, regex: str | None) -> None:
        """Superset views of a text with non-ASCII letters (é) or digits: with them as 0xfe (spaces as
        " "), a pattern can miss a Python match only through \\w \\b \\B \\d \\s \\S or a negated
        class; with them as "a" / "0" / " ", only through a negated class (phrase / exact edges are
        negated classes)."""
        inert_ok = regex is None or not re.search(r"\\[wbBdsS]|\[\^", regex)
        ascii_ok = regex is not None and "[^" not in regex
        pid = len(self._safe_inert)
        self._safe_inert.append(inert_ok)
        self._safe_ascii.append(ascii_ok)
        if not (inert_ok or ascii_ok):
            self._unsafe_both.append(pid)

    def _proxy_char(self, m: re.Match) -> str:
        c = m.group()
        proxy = self._proxy_chars.get(c)
        if proxy is None:
            proxy = self._proxy_chars[c] = _char_proxy(c)
        return proxy

    def _proxy(self, text: str) -> bytes | tuple[bytes] | tuple[bytes, bytes] | None:
        """What Hyperscan scans for `text`: exact bytes; a 1-tuple, the view with non-ASCII spaces as
        " " (the text has no other non-ASCII letters, digits or spaces); a 2-tuple, two superset views
        with non-ASCII letters and digits as 0xfe / as "a", "0"; or None: Python only."""
        if text.isascii():
            if _ASCII_UNSAFE.search(text):
                return None
            return _PAD + text.encode("ascii") + _PAD
        text = _NON_ASCII.sub(self._proxy_char, text)
        if _FAST_UNSAFE.search(text):
            return None
        if not _SENTINEL.search(text):
            return _PAD + text.encode("latin-1") + _PAD
        if not _LETTER_OR_DIGIT.search(text):
            return (_PAD + text.replace(_SPACE, " ").encode("latin-1") + _PAD,)
        inert = _SENTINEL.sub(lambda m: _AS_INERT[m.group()], text)
        ascii_ = _SENTINEL.sub(lambda m: _AS_ASCII[m.group()], text)
        return _PAD + inert.encode("latin-1") + _PAD, _PAD + ascii_.encode("latin-1") + _PAD

    def _scan(self, data: bytes) -> list[tuple[int, int]]:
        hits: list[tuple[int, int]] = []
        if not self._empty:
            self._db.scan(data, match_event_handler=_on_hit, context=hits)
        return hits

    def scan_only(self, text: str) -> None:
        """The proxy and the Hyperscan scan without a match callback (the benchmark's ceiling)."""
        data = self._proxy(text)
        if self._empty or data is None:
            return
        for view in (data,) if isinstance(data, bytes) else data:
            self._db.scan(view)

    def _hits(self, text: str):
        """(hits as (id, end offset or None), which ids' hits count on their own or None, whether the
        letter views were scanned), or None: Python only."""
        data = self._proxy(text)
        if data is None:
            return None
        if isinstance(data, bytes):
            return self._scan(data), self._exact, False
        if len(data) == 1:
            hits = self._scan(data[0])
            if self._unsafe_spaces:
                unsafe = set(self._unsafe_spaces)
                hits = [h for h in hits if h[0] not in unsafe] + [(pid, None) for pid in self._unsafe_spaces]
            return hits, self._exact_on_spaces, False
        safe_inert, safe_ascii = self._safe_inert, self._safe_ascii
        hits = [h for h in self._scan(data[0]) if safe_inert[h[0]]]
        hits += [h for h in self._scan(data[1]) if safe_ascii[h[0]]]
        hits += [(pid, None) for pid in self._unsafe_both]
        return hits, None, True

    def _split(self, hits):
        """(`not` hits per area, skill hits)."""
        hit_area, is_not = self._hit_area, self._is_not
        not_hits: dict[str, list[tuple[int, int | None]]] = {}
        for hit in hits:
            if is_not[hit[0]]:
                area = hit_area[hit[0]]
                if area in not_hits:
                    not_hits[area].append(hit)
                else:
                    not_hits[area] = [hit]
        return not_hits, [hit for hit in hits if not is_not[hit[0]]]

    def match(self, text: str) -> list[tuple[str, str]]:
        found = self._hits(text)
        if found is None:
            return self.fallback.match(text)
        hits, trusted, letters = found
        if not hits and not self._always:
            return []
        not_hits, skill_hits = self._split(hits)
        hit_area, hit_skill, always_not = self._hit_area, self._hit_skill, self._always_not
        seen: set[int] = set()
        pending: dict[int, list[int | None]] = {}  # hits to confirm in Python: id -> end offsets
        for pid, end in skill_hits:
            index = hit_skill[pid]
            if index in seen:
                continue
            if trusted is not None and trusted[pid] and hit_area[pid] not in not_hits \
                    and hit_area[pid] not in always_not:
                seen.add(index)  # a real match, and nothing in its area can cancel it
            elif pid in pending:
                pending[pid].append(end)
            else:
                pending[pid] = [end]
        if pending or self._always:
            posting = _Posting(self, text, not_hits, letters)
            entries = self._entries
            for pid, ends in pending.items():
                entry = entries[pid]
                if entry.index not in seen and posting.counts(entry, ends, trusted is not None and trusted[pid]):
                    seen.add(entry.index)
            for entry in self._always:
                if entry.index not in seen and posting.counts(entry, [None]):
                    seen.add(entry.index)
        skills = self.tax._skills
        return [(skills[i][0], skills[i][1]) for i in sorted(seen)]

    def find(self, text: str) -> list["SkillMention"]:
        from pipeline.skills import SkillMention

        found = self._hits(text)
        if found is None:
            return self.fallback.find(text)
        hits, _, letters = found
        not_hits, skill_hits = self._split(hits)
        posting = _Posting(self, text, not_hits, letters)
        by_term: dict[_Entry, list[int | None]] = {}
        for pid, end in skill_hits:
            by_term.setdefault(self._entries[pid], []).append(end)
        for entry in self._always:
            by_term[entry] = [None]
        skills = self.tax._skills
        mentions: set[SkillMention] = set()
        for entry, ends in by_term.items():
            area, skill = skills[entry.index][0], skills[entry.index][1]
            for start, end in posting.spans(entry, ends):
                if not posting.cancels(area, start, end):
                    mentions.add(SkillMention(area, skill, start, end))
        return sorted(mentions, key=lambda m: (m.start, m.end, m.area, m.skill))


@functools.lru_cache(maxsize=256)
def _barrier_regex(barrier: str) -> re.Pattern[str]:
    return re.compile(f"[{re.escape(barrier)}]")


@functools.lru_cache(maxsize=1024)
def _finer(barrier: str, than: str) -> bool:
    """Whether segments between `barrier` characters always lie inside segments between `than` ones."""
    return bool(than) and set(than) <= set(barrier)


class _Posting:
    """One text's Hyperscan hits and the Python work done on them, computed as needed."""

    __slots__ = ("engine", "text", "not_hits", "letters", "_lowered", "_reversed", "_not_members",
                 "_segment_spans", "_full_spans")

    def __init__(self, engine: HyperscanEngine, text: str, not_hits, letters: bool):
        self.engine, self.text, self.not_hits, self.letters = engine, text, not_hits, letters
        self._lowered: str | None = None
        self._reversed: str | None = None
        self._not_members: dict[str, dict[str, dict[_Entry, list | None]]] = {}
        self._segment_spans: dict[tuple[str, str, int], list[tuple[int, int]]] = {}
        self._full_spans: dict[_Entry, list[tuple[int, int]]] = {}

    def _may_match(self, entry: _Entry) -> bool:
        """The reference's literal prefilter. A Python match implies it, except where Python's case
        folding and str.lower() disagree - only possible on texts with non-ASCII letters."""
        needles = entry.term.needles
        if not self.letters or needles is None:
            return True
        if self._lowered is None:
            self._lowered = self.text.lower()
        return any(n in self._lowered for n in needles)

    def _segment(self, barrier: str, first: int, last: int) -> tuple[int, int]:
        """(start, end) of the barrier-delimited segments holding positions first..last: start after
        the barrier character before `first`, end at the first one from `last` on (or the text's end)."""
        text = self.text
        if barrier == "\n":
            end = text.find("\n", last)
            return text.rfind("\n", 0, first) + 1, len(text) if end < 0 else end
        regex = _barrier_regex(barrier)
        m = regex.search(text, last)
        end = m.start() if m else len(text)
        if self._reversed is None:
            self._reversed = text[::-1]
        m = regex.search(self._reversed, len(text) - first)
        return (len(text) - m.start() if m else 0), end

    def _windows(self, entry: _Entry, ends: list[int | None]) -> list[tuple[int, int]] | None:
        """The segments holding the term's Python matches, from its Hyperscan end offsets (every end
        is reported: each match ends in one of them); None: look at the whole text."""
        barrier = entry.shape.barrier
        if not barrier or None in ends:
            return None
        windows, delta, extra = {}, entry.delta, entry.extra
        for end in ends:
            py_end = end - delta
            start, stop = self._segment(barrier, max(py_end - extra - 1, 0), max(py_end - 1, 0))
            if windows.get(start, -1) < stop:
                windows[start] = stop
        return sorted(windows.items())

    def spans(self, entry: _Entry, ends: list[int | None]) -> list[tuple[int, int]]:
        """Every non-empty Python match of a skill term."""
        if not self._may_match(entry):
            return []
        pattern, text = entry.term.pattern, self.text
        windows = self._windows(entry, ends)
        if windows is None:
            return [m.span() for m in pattern.finditer(text) if m.end() > m.start()]
        return list(dict.fromkeys(m.span() for start, stop in windows
                                  for m in pattern.finditer(text, start, stop) if m.end() > m.start()))

    def counts(self, entry: _Entry, ends: list[int | None], trusted: bool = False) -> bool:
        """Whether a skill term has a match no `not` span cancels; `ends`: its Hyperscan hits' end
        offsets, `trusted`: each hit is a Python match."""
        if not self._may_match(entry):
            return False
        text, pattern, area = self.text, entry.term.pattern, entry.area
        check = area in self.not_hits or area in self.engine._always_not
        windows = self._windows(entry, ends)
        if windows is None:
            windows = [(0, len(text))]
        elif trusted and any(self._clear(area, entry.shape.barrier, start, stop) for start, stop in windows):
            return True
        for start, stop in windows:
            for m in pattern.finditer(text, start, stop):
                s, e = m.span()
                if s != e and not (check and self.cancels(area, s, e)):
                    return True
        return False

    def _members(self, area: str) -> dict[str, dict[_Entry, list | None]]:
        """The area's `not` terms that may match, by barrier: entry -> ranges of their Python match
        ends ([lo, hi] from each Hyperscan hit), None where the ends are unknown."""
        members = self._not_members.get(area)
        if members is None:
            members = self._not_members[area] = {}
            entries = self.engine._entries
            for pid, end in self.not_hits.get(area, ()):
                entry = entries[pid]
                group = members.setdefault(entry.shape.barrier, {})
                ranges = group.setdefault(entry, [])
                if end is None or ranges is None:
                    group[entry] = None
                else:
                    ranges.append((end - entry.delta - entry.extra, end - entry.delta))
            for entry in self.engine._always_not.get(area, ()):
                members.setdefault(entry.shape.barrier, {})[entry] = None
        return members

    def _clear(self, area: str, barrier: str, start: int, stop: int) -> bool:
        """Whether no `not` span of `area` can overlap the segment [start, stop) of `barrier`: true when
        every `not` term that may match has (at least) these barriers, so its spans never cross the
        segment's edges, and none has a hit ending inside it."""
        for group_barrier, group in self._members(area).items():
            if not _finer(group_barrier, barrier):
                return False
            for ranges in group.values():
                if ranges is None or any(hi > start and lo <= stop for lo, hi in ranges):
                    return False
        return True

    def cancels(self, area: str, start: int, end: int) -> bool:
        """Whether a `not` span of `area` overlaps [start, end)."""
        if area not in self.not_hits and area not in self.engine._always_not:
            return False
        for barrier, group in self._members(area).items():
            if not barrier:
                spans = self._other_spans(group, start, end)
                if any(s < end and start < e for s, e in spans):
                    return True
                continue
            pos = start
            while True:  # only `not` spans in the segments [start, end) touches can overlap it
                seg_start, seg_end = self._segment(barrier, pos, pos)
                for s, e in self._spans_in(area, barrier, group, seg_start, seg_end):
                    if s < end and start < e:
                        return True
                if seg_end + 1 >= end:
                    break
                pos = seg_end + 1
        return False

    def _run(self, entry: _Entry, pos: int, endpos: int) -> list[tuple[int, int]]:
        if not self._may_match(entry):
            return []
        return [m.span() for m in entry.term.pattern.finditer(self.text, pos, endpos)]

    def _spans_in(self, area, barrier, group, seg_start: int, seg_end: int) -> list[tuple[int, int]]:
        """`not` spans in one segment, of the group's terms with a hit there (a Python match in the
        segment ends in (seg_start, seg_end])."""
        key = (area, barrier, seg_start)
        spans = self._segment_spans.get(key)
        if spans is None:
            spans = []
            for entry, ranges in group.items():
                if ranges is None or any(hi > seg_start and lo <= seg_end for lo, hi in ranges):
                    spans += self._run(entry, seg_start, seg_end)
            self._segment_spans[key] = spans
        return spans

    def _other_spans(self, group, start: int, end: int) -> list[tuple[int, int]]:
        """Whole-text spans of the group's terms (not confined to segments) that may overlap: a span
        [s, e) overlapping [start, end) has start < e < end + width."""
        spans: list[tuple[int, int]] = []
        for entry, ranges in group.items():
            if ranges is not None and not any(hi > start and lo < end + entry.shape.width for lo, hi in ranges):
                continue
            cached = self._full_spans.get(entry)
            if cached is None:
                cached = self._full_spans[entry] = self._run(entry, 0, len(self.text))
            spans += cached
        return spans


def make_engine(taxonomy: "Taxonomy", engine: str | None = None, prepared: bytes | None = None):
    """The engine; `prepared`: what an earlier HyperscanEngine of this taxonomy gave (`prepared()`)."""
    name = resolve_engine(engine)
    return HyperscanEngine(taxonomy, prepared) if name == "hyperscan" else PythonEngine(taxonomy)
