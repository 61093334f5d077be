"""The skill taxonomy (config/skills.yaml): loading, validation, content hash and the matcher.

Format, two levels (area -> skill -> terms):

    areas:
      technical:
        name: Technical skills
        skills:
          Python: [python]                    # a phrase: case-insensitive, whole words,
          C++: [c++, cpp]                     #   spaces also match hyphens/newlines
          R:
            - exact: R                        # case-sensitive token, no letters/digits/+#& around it
          Bayes' theorem:
            - regex: "bayes(ian)?\\b"         # a regular expression (case-insensitive)
        not:                                  # uses of the area's words that are not demand
          - regex: "social security( number)?"

A match that overlaps a `not` span of its area is not counted.
"""
from __future__ import annotations

import hashlib
import json
import re
import re._constants as _sre  # the stdlib regex parser: used only to derive prefilter literals
import re._parser as _sre_parser
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Union

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from pipeline.columns import AREA_IDS
from pipeline.errors import ConfigError
from pipeline.matcher import make_engine, resolve_engine

_WORD = r"A-Za-z0-9_"


class RegexTerm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    regex: str

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"invalid regular expression {value!r}: {exc}") from exc
        return value


class ExactTerm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    exact: str = Field(min_length=1)


def _term_kind(value: Any) -> str | None:
    if isinstance(value, str):
        return "phrase"
    if isinstance(value, dict):
        if "regex" in value:
            return "regex"
        if "exact" in value:
            return "exact"
    if isinstance(value, (RegexTerm, ExactTerm)):
        return "regex" if isinstance(value, RegexTerm) else "exact"
    return None


Term = Annotated[
    Union[
        Annotated[str, Tag("phrase")],
        Annotated[RegexTerm, Tag("regex")],
        Annotated[ExactTerm, Tag("exact")],
    ],
    Discriminator(
        _term_kind,
        custom_error_type="invalid_term",
        custom_error_message="a term is a phrase string, {regex: ...} or {exact: ...}",
    ),
]


class AreaSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    name: str
    description: str = ""
    skills: dict[str, list[Term]] = Field(min_length=1)
    not_: list[Term] = Field(default_factory=list, alias="not")

    @field_validator("skills")
    @classmethod
    def _skills_have_terms(cls, skills: dict[str, list[Term]]) -> dict[str, list[Term]]:
        for skill, terms in skills.items():
            if not terms:
                raise ValueError(f"skill {skill!r} has no terms")
            for term in terms:
                if isinstance(term, str) and not term.strip():
                    raise ValueError(f"skill {skill!r} has an empty term")
        return skills


class TaxonomySpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    areas: dict[str, AreaSpec]

    @model_validator(mode="after")
    def _exactly_the_seed_areas(self) -> "TaxonomySpec":
        missing = [a for a in AREA_IDS if a not in self.areas]
        unknown = [a for a in self.areas if a not in AREA_IDS]
        if missing or unknown:
            parts = []
            if missing:
                parts.append(f"missing areas {missing}")
            if unknown:
                parts.append(f"unknown areas {unknown} (allowed: {list(AREA_IDS)})")
            raise ValueError("; ".join(parts))
        return self


def term_regex(term: Term) -> str:
    """The regular expression source for one taxonomy term."""
    if isinstance(term, RegexTerm):
        return f"(?:{term.regex})"
    if isinstance(term, ExactTerm):
        body = re.escape(term.exact)
        return rf"(?-i:(?<![{_WORD}+#&/]){body}(?![{_WORD}+#&]))"
    words = [re.escape(w) for w in term.strip().split()]
    body = r"[\s\-]+".join(words)
    # Whole words: no word character may touch the phrase, and symbol-ended names (c++, c#)
    # must not run into more symbols.
    return rf"(?<![{_WORD}+#]){body}(?![{_WORD}+#])"


@dataclass(frozen=True)
class SkillMention:
    area: str
    skill: str
    start: int
    end: int


@dataclass(frozen=True)
class _CompiledTerm:
    """One term's regex plus literals of which at least one must occur in any match.

    Checking `literal in text.lower()` costs far less than running a regex with look-behinds at every
    position, and most terms' literals are absent from most postings.
    """

    pattern: re.Pattern[str]
    needles: tuple[str, ...] | None

    def finditer(self, text: str, lowered: str):
        if self.needles is not None and not any(n in lowered for n in self.needles):
            return ()
        return self.pattern.finditer(text)


def _compile_term(term: Term) -> _CompiledTerm:
    source = term_regex(term)
    return _CompiledTerm(re.compile(source, re.IGNORECASE), required_literals(source))


def required_literals(source: str) -> tuple[str, ...] | None:
    """Lower-cased strings one of which every match of `source` contains, or None if unknown."""
    try:
        parsed = _sre_parser.parse(source, re.IGNORECASE)
    except Exception:  # noqa: BLE001 - private parser API: no prefilter is always safe
        return None
    needles = _sequence_needles(list(parsed))
    if not needles or any(len(n) < 2 for n in needles):
        return None
    return tuple(sorted(needles))


def _sequence_needles(items: list) -> set[str] | None:
    """Best requirement of a sequence: a run of literals, or one item's own requirement."""
    candidates: list[set[str]] = []
    run: list[str] = []
    for op, arg in items:
        if op is _sre.LITERAL:
            run.append(chr(arg).lower())
            continue
        if run:
            candidates.append({"".join(run)})
            run = []
        inner = _item_needles(op, arg)
        if inner:
            candidates.append(inner)
    if run:
        candidates.append({"".join(run)})
    if not candidates:
        return None
    return max(candidates, key=lambda needles: min(len(n) for n in needles))


def _item_needles(op, arg) -> set[str] | None:
    if op is _sre.SUBPATTERN:
        return _sequence_needles(list(arg[-1]))
    if op is _sre.BRANCH:
        union: set[str] = set()
        for branch in arg[1]:
            needles = _sequence_needles(list(branch))
            if not needles:
                return None
            union |= needles
        return union
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT) and arg[0] >= 1:
        return _sequence_needles(list(arg[2]))
    return None


class Taxonomy:
    """A validated taxonomy with its compiled matchers."""

    def __init__(self, spec: TaxonomySpec, version: str, engine: str | None = None):
        """`engine`: "python", "hyperscan" or "auto"/None (env JOBTRENDS_MATCHER, else the fastest
        installed); every engine gives the same results (see pipeline.matcher)."""
        self.spec = spec
        self.version = version
        self._engine_name = resolve_engine(engine)
        self._engine = None  # built on first use: compiling the Hyperscan database takes a moment
        self._prepared: bytes | None = None  # an earlier engine's compilations (see `use_prepared`)
        self._skills: list[tuple[str, str, list[_CompiledTerm]]] = []
        self._not_terms: dict[str, list[_CompiledTerm]] = {}
        for area_id in AREA_IDS:
            area = spec.areas[area_id]
            for skill, terms in area.skills.items():
                self._skills.append((area_id, skill, [_compile_term(t) for t in terms]))
            if area.not_:
                self._not_terms[area_id] = [_compile_term(t) for t in area.not_]

    def __getstate__(self) -> dict:
        # The compiled engine (a Hyperscan database) does not pickle; a copy sent to a worker builds its own,
        # from this engine's compilations when there is one.
        return {**self.__dict__, "_engine": None, "_prepared": self.prepared_matcher(build=False)}

    def prepared_matcher(self, build: bool = True) -> bytes | None:
        """The matcher's compilations (`pipeline.matcher.HyperscanEngine.prepared`), for another process
        or the processing cache; None for the Python engine, or when the engine is not built and `build`
        is false (then what `use_prepared` was given)."""
        if self._engine is None and not build:
            return self._prepared
        engine = self._matcher()
        return engine.prepared() if hasattr(engine, "prepared") else None

    def use_prepared(self, data: bytes | None) -> None:
        """Build the matcher, when it is first needed, from `data` (what `prepared_matcher` gave, maybe in
        another process): most of the build is Hyperscan compiling, about 4.5 s. Data that does not fit is
        ignored (pipeline.matcher.prepared_header)."""
        self._prepared = data

    @property
    def area_ids(self) -> tuple[str, ...]:
        return AREA_IDS

    def area_name(self, area_id: str) -> str:
        return self.spec.areas[area_id].name

    def skills_of(self, area_id: str) -> list[str]:
        return list(self.spec.areas[area_id].skills)

    @property
    def engine(self) -> str:
        """The matcher engine in use ("python" or "hyperscan")."""
        return self._engine_name

    def _matcher(self):
        if self._engine is None:
            self._engine = make_engine(self, self._engine_name, self._prepared)
        return self._engine

    def find(self, text: str) -> list[SkillMention]:
        """Every counted mention in `text`, in text order."""
        return self._matcher().find(text)

    def match(self, text: str) -> list[tuple[str, str]]:
        """Distinct (area, skill) pairs mentioned in `text`, in taxonomy order."""
        return self._matcher().match(text)


def taxonomy_hash(raw: Any) -> str:
    canonical = json.dumps(raw, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]


def load_taxonomy(path: str | Path, engine: str | None = None) -> Taxonomy:
    """Load and validate the taxonomy; a bad file raises ConfigError naming file, key and problem."""
    path = Path(path)
    raw = read_yaml(path)
    try:
        spec = TaxonomySpec.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError.from_validation(path, exc) from None
    return Taxonomy(spec, version=taxonomy_hash(raw), engine=engine)


def read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(path, "", f"cannot read file: {exc.strerror or exc}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(path, where, f"not valid YAML: {getattr(exc, 'problem', exc)}") from None
