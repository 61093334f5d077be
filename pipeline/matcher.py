r"""Matcher engines for `pipeline.skills.Taxonomy`: the same results, different speed.

* `python` - the reference: every term's Python regex, skipped when none of its required literals
  occurs in the lower-cased text (see `pipeline.skills.required_literals`).
* `hyperscan` - the whole taxonomy compiled once into one Hyperscan database; each posting is scanned
  once and reports which terms occur. Results are identical to `python` by construction:

  - Hyperscan scans a one-byte-per-character proxy of the text, padded with one byte at each end.
    ASCII and "inert" non-ASCII (punctuation, symbols: no case, not \w/\s/\d) behave exactly as in
    Python's `re`. Texts with non-ASCII letters, digits or spaces (é, NBSP) are scanned as two superset
    views and every hit is confirmed in Python; texts with characters Python case-folds onto ASCII
    (KELVIN SIGN, long s) or odd ASCII controls go to the Python engine (see `_char_proxy`).
  - On an exact scan, a term whose pattern Hyperscan compiles exactly (phrases and exact tokens, with
    their edge look-arounds as consuming classes; regexes without look-arounds, anchors or constructs
    that could consume the pad) counts on its hit alone (plus the reference's literal prefilter),
    unless a `not` span of its area (computed in Python when a `not` term hit) exists: then its
    Python regex decides.
  - A term Hyperscan supports only approximately (look-arounds -> HS_FLAG_PREFILTER, a superset) is
    confirmed by its Python regex; a term Hyperscan cannot compile at all is always run in Python.
  - `find` runs the Python regexes of the terms that hit, so spans are the reference spans.

Engine selection: `Taxonomy(..., engine=...)` or the environment variable JOBTRENDS_MATCHER
(`auto` - the default: hyperscan when installed, else python - `python` or `hyperscan`).
"""
from __future__ import annotations

import functools
import os
import re
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
_INERT_BYTE = "\xff"
_PAD = b"\xff"  # around the scanned data: outside every boundary class, like the text's edges
_UNSAFE_CHAR = "\u0100"
_CLASSES = re.compile(r"[\w\s\d]")
# Sentinels for non-ASCII letters, digits and spaces (Python \w / \d / \s, no ASCII case partner),
# replaced in the two superset views of the text.
_LETTER, _DIGIT, _SPACE = "\u0101", "\u0102", "\u0103"
_SENTINEL = re.compile("[\u0101-\u0103]")
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


# --- the Hyperscan engine ------------------------------------------------------------------------------

_EXACT, _CONFIRM = 0, 1  # how a Hyperscan hit of a term is treated


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


@functools.lru_cache(maxsize=4096)
def _hs_compile_one(expression: str, caseless: bool) -> int | None:
    """_EXACT, _CONFIRM (prefilter mode) or None (not compilable) for one expression."""
    base = _hs.HS_FLAG_SINGLEMATCH | (_hs.HS_FLAG_CASELESS if caseless else 0)
    for mode, flags in ((_EXACT, base), (_CONFIRM, base | _hs.HS_FLAG_PREFILTER)):
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


def _hs_mode(expression: str | None, caseless: bool, regex: str | None = None) -> int | None:
    """How a hit of this expression is treated (_EXACT / _CONFIRM), None if it cannot be scanned."""
    if expression is None or not expression.isascii():
        return None
    if regex is None:
        return _EXACT  # phrases and exact tokens: escaped literals and classes (checked in _hs_database)
    if _ANCHOR.search(regex):
        return None
    mode = _hs_compile_one(expression, caseless)
    if mode == _EXACT and (_PAD_CONSUMER.search(_ESCAPED.sub("", regex)) or re.search(r"\\[WSD]", regex)):
        return _CONFIRM  # Hyperscan's exact pattern is a superset here: adding a pad only adds matches
    return mode


@functools.lru_cache(maxsize=16)
def _hs_database(entries: tuple[tuple[str, bool, int], ...]):
    """One block-mode database over (expression, caseless, mode) entries; ids are list positions."""
    db = _hs.Database(mode=_hs.HS_MODE_BLOCK)
    if entries:
        flags = []
        for _, caseless, mode in entries:
            f = _hs.HS_FLAG_SINGLEMATCH | (_hs.HS_FLAG_CASELESS if caseless else 0)
            flags.append(f | (_hs.HS_FLAG_PREFILTER if mode == _CONFIRM else 0))
        db.compile(expressions=[e.encode("ascii") for e, _, _ in entries], ids=list(range(len(entries))),
                   elements=len(entries), flags=flags)
    return db


def _on_match(pattern_id, start, end, flags, hits):
    hits.append(pattern_id)


class HyperscanEngine:
    name = "hyperscan"

    def __init__(self, taxonomy: "Taxonomy"):
        if _hs is None:
            raise RuntimeError("the hyperscan package is not installed")
        self.tax = taxonomy
        self.fallback = PythonEngine(taxonomy)
        entries: list[tuple[str, bool, int]] = []
        # per database id: (is_not, area, skill index or -1, term index within skill / not list, mode)
        self._info: list[tuple[bool, str, int, "_CompiledTerm", int]] = []
        self._always: list[tuple[int, "_CompiledTerm"]] = []   # skill terms Hyperscan cannot compile
        self._always_not: dict[str, list["_CompiledTerm"]] = {}  # not terms Hyperscan cannot compile
        from pipeline.skills import RegexTerm

        spec = taxonomy.spec
        self._charmap: dict[str, int] = {}
        self._safe_inert: list[bool] = []   # per id: its hits on the 0xfe view are a superset
        self._safe_ascii: list[bool] = []   # per id: its hits on the "a"/"0"/" " view are a superset
        self._unsafe_both: list[int] = []   # ids to confirm in Python on every superset-scanned text

        def expression_of(raw):
            expression, caseless = hs_expression(raw)
            return _byte_expression(expression, self._charmap), caseless

        for index, (area, skill, compiled) in enumerate(taxonomy._skills):
            for raw, term in zip(spec.areas[area].skills[skill], compiled):
                expression, caseless = expression_of(raw)
                mode = _hs_mode(expression, caseless, raw.regex if isinstance(raw, RegexTerm) else None)
                if mode is None:
                    self._always.append((index, term))
                    continue
                entries.append((expression, caseless, _hs_compile_one(expression, caseless)
                                if mode == _CONFIRM else _EXACT))
                self._info.append((False, area, index, term, mode))
                self._flag_superset_safety(raw)
        for area, compiled in taxonomy._not_terms.items():
            for raw, term in zip(spec.areas[area].not_, compiled):
                expression, caseless = expression_of(raw)
                mode = _hs_mode(expression, caseless, raw.regex if isinstance(raw, RegexTerm) else None)
                if mode is None:
                    self._always_not.setdefault(area, []).append(term)
                    continue
                entries.append((expression, caseless, _hs_compile_one(expression, caseless)
                                if mode == _CONFIRM else _EXACT))
                self._info.append((True, area, -1, term, mode))
                self._flag_superset_safety(raw)
        self._db = _hs_database(tuple(entries))
        self._proxy_chars: dict[str, str] = {c: chr(b) for c, b in self._charmap.items()}
        self._empty = not entries

    def _flag_superset_safety(self, raw) -> None:
        """Superset views of a text with non-ASCII letters (é), digits or spaces: with letters and digits as 0xfe (spaces as " "), a
        pattern can miss a Python match only through \\w \\b \\B \\d \\s \\S or a negated class; with
        them as "a" / "0" / " ", only through a negated class (phrase / exact edges are negated classes)."""
        from pipeline.skills import RegexTerm

        regex = raw.regex if isinstance(raw, RegexTerm) else None
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

    def _proxy(self, text: str) -> bytes | tuple[bytes, bytes] | None:
        """What Hyperscan scans for `text`: exact bytes; or, when the text has non-ASCII letters, digits
        or spaces, two superset views (those as 0xfe / those as "a", "0", " "); or None: Python only."""
        if not text.isascii():
            text = _NON_ASCII.sub(self._proxy_char, text)
        if _FAST_UNSAFE.search(text):
            return None
        if text.isascii() or not _SENTINEL.search(text):
            return _PAD + text.encode("latin-1") + _PAD
        inert = _SENTINEL.sub(lambda m: _AS_INERT[m.group()], text)
        ascii_ = _SENTINEL.sub(lambda m: _AS_ASCII[m.group()], text)
        return _PAD + inert.encode("latin-1") + _PAD, _PAD + ascii_.encode("latin-1") + _PAD

    def _scan(self, data: bytes) -> list[int]:
        hits: list[int] = []
        if not self._empty and data:
            self._db.scan(data, match_event_handler=_on_match, context=hits)
        return hits

    def _hits(self, text: str) -> tuple[list[int], bool] | None:
        """(ids of the terms that may occur, whether every hit needs confirming), None: Python only."""
        data = self._proxy(text)
        if data is None:
            return None
        if isinstance(data, bytes):
            return self._scan(data), False
        safe_inert, safe_ascii = self._safe_inert, self._safe_ascii
        hits = [pid for pid in self._scan(data[0]) if safe_inert[pid]]
        hits += [pid for pid in self._scan(data[1]) if safe_ascii[pid]]
        return list(dict.fromkeys(hits + self._unsafe_both)), True

    def _not_spans(self, text, lowered, hits) -> dict[str, list[tuple[int, int]]]:
        """Python-computed `not` spans of every area that has a `not` term that may occur."""
        terms: dict[str, list] = {a: list(ts) for a, ts in self._always_not.items()}
        info = self._info
        for pid in hits:
            is_not, area, _, term, _ = info[pid]
            if is_not:
                terms.setdefault(area, []).append(term)
        return {area: [m.span() for t in ts for m in t.finditer(text, lowered)] for area, ts in terms.items()}

    def find(self, text: str) -> list["SkillMention"]:
        found = self._hits(text)
        if found is None:
            return self.fallback.find(text)
        hits = found[0]
        lowered = text.lower()
        not_spans = self._not_spans(text, lowered, hits)
        by_skill: dict[int, list] = {}
        info = self._info
        for pid in hits:
            is_not, _, index, term, _ = info[pid]
            if not is_not:
                by_skill.setdefault(index, []).append(term)
        for index, term in self._always:
            by_skill.setdefault(index, []).append(term)
        return _collect(self.tax, text, lowered, not_spans, by_skill.items())

    def match(self, text: str) -> list[tuple[str, str]]:
        found = self._hits(text)
        if found is None:
            return self.fallback.match(text)
        hits, confirm_all = found
        if not hits and not self._always:
            return []
        info = self._info
        lowered = text.lower()
        # `not` terms that may occur, per area; their Python spans are computed when first needed
        not_terms: dict[str, list] = {a: list(ts) for a, ts in self._always_not.items()}
        for pid in hits:
            if info[pid][0]:
                not_terms.setdefault(info[pid][1], []).append(info[pid][3])
        not_spans: dict[str, list[tuple[int, int]]] = {}
        seen: set[int] = set()
        pending = [(info[pid][2], info[pid][3], _CONFIRM if confirm_all else info[pid][4])
                   for pid in hits if not info[pid][0]]
        pending += [(index, term, _CONFIRM) for index, term in self._always]
        for index, term, mode in pending:
            if index in seen:
                continue
            area = self.tax._skills[index][0]
            excluded = not_spans.get(area)
            if excluded is None and area in not_terms:
                excluded = not_spans[area] = [m.span() for t in not_terms[area] for m in t.finditer(text, lowered)]
            if mode == _EXACT and not excluded:
                # Hyperscan's hit is a real regex match and nothing can cancel it; the reference also
                # needs its literal prefilter.
                if term.needles is None or any(n in lowered for n in term.needles):
                    seen.add(index)
                continue
            excluded = excluded or ()
            for m in term.finditer(text, lowered):
                start, end = m.span()
                if start != end and not any(s < end and start < e for s, e in excluded):
                    seen.add(index)
                    break
        skills = self.tax._skills
        return [(skills[i][0], skills[i][1]) for i in sorted(seen)]


def make_engine(taxonomy: "Taxonomy", engine: str | None = None):
    name = resolve_engine(engine)
    return HyperscanEngine(taxonomy) if name == "hyperscan" else PythonEngine(taxonomy)
