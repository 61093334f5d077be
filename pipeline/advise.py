"""What to learn next: the skills ML postings ask for most, and increasingly, minus those a user has.

`learn_next` ranks skills over the newest weeks of ML postings (optionally of one role family);
`match_have` turns the names a user types ("stats", "Python", "scikit learn") into taxonomy skills
and says which it could not place; `learn_next_by_role` gives the report a short list per role family;
`advise_command` is the `jobtrends advise` command.

The CLI imports this module at start-up, so pandas and numpy are imported inside the functions that
use them: `jobtrends --help` should not pay for them.
"""
from __future__ import annotations

import difflib
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Optional

import typer

from pipeline import columns as c

if TYPE_CHECKING:
    import pandas as pd

    from pipeline.skills import Taxonomy

# Columns of learn_next's result that the dataset's tables do not already name.
AREA_NAME = "area_name"
EARLY_SHARE = "early_share"
LATE_SHARE = "late_share"
SCORE = "score"
RANK = "rank"
ADVICE_COLUMNS: tuple[str, ...] = (
    c.SKILL, c.AREA, AREA_NAME, c.POSTINGS, c.MENTIONS, c.SHARE, c.CI_LOW, c.CI_HIGH,
    EARLY_SHARE, LATE_SHARE, c.CHANGE, c.P_VALUE, c.DIRECTION, SCORE, RANK,
)

ALPHA = 0.05

# Short forms people type that no taxonomy term spells out; each maps to a term of the taxonomy, so
# it follows the taxonomy (a term that disappears makes its alias unknown, never wrong).
ALIASES: dict[str, str] = {
    "stats": "statistics",
    "stat": "statistics",
    "ml": "machine learning",
    "dl": "deep learning",
    "ai": "artificial intelligence",
    "js": "javascript",
    "ts": "typescript",
    "maths": "mathematics",
    "prob": "probability",
    "ab testing": "a/b testing",
    "viz": "data visualization",
    "dataviz": "data visualization",
}


class UnknownSkills(ValueError):
    """`have` named skills that match nothing in the taxonomy; `match` says which, with suggestions."""

    def __init__(self, match: "HaveMatch"):
        self.match = match
        super().__init__("unknown skills: " + "; ".join(match.describe_unknown()))


@dataclass(frozen=True)
class HaveMatch:
    """The user's skill names, resolved: each recognised name with the taxonomy skills it stands for,
    the names that matched nothing, and for those the closest skill names (difflib)."""

    recognised: dict[str, tuple[str, ...]] = field(default_factory=dict)
    unknown: tuple[str, ...] = ()
    suggestions: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def skills(self) -> frozenset[str]:
        return frozenset(s for skills in self.recognised.values() for s in skills)

    def describe_unknown(self) -> list[str]:
        return [name + (f" (did you mean {', '.join(self.suggestions[name])}?)" if self.suggestions.get(name) else "")
                for name in self.unknown]


def name_key(text: str) -> str:
    """A name reduced to what matters for matching: case-folded letters and digits, plus `+` and `#`
    (C++ and C# are not C); spaces, hyphens, dots and slashes go ("scikit-learn" = "Scikit Learn")."""
    return re.sub(r"[^0-9a-z+#]", "", text.casefold())


def split_have(text: str) -> list[str]:
    """`--have "python, SQL; stats"` -> ["python", "SQL", "stats"]: commas and semicolons separate,
    blanks and repeats (after `name_key`) are dropped."""
    seen: set[str] = set()
    names = []
    for part in re.split(r"[,;\n]", text):
        name = " ".join(part.split())
        if name and name_key(name) and name_key(name) not in seen:
            seen.add(name_key(name))
            names.append(name)
    return names


class _Vocabulary:
    """Keys -> skills: skill names first, then the taxonomy's phrase and exact terms; regex terms are
    tried on the whole name."""

    def __init__(self, skills: Iterable[str], taxonomy: "Taxonomy | None"):
        from pipeline.skills import ExactTerm, RegexTerm

        self.skills = list(dict.fromkeys(skills))
        self.by_name: dict[str, set[str]] = {}
        self.by_term: dict[str, set[str]] = {}
        self.regexes: list[tuple[re.Pattern[str], str]] = []
        for skill in self.skills:
            self.by_name.setdefault(name_key(skill), set()).add(skill)
        known = set(self.skills)
        for area_id in taxonomy.area_ids if taxonomy is not None else ():
            for skill, terms in taxonomy.spec.areas[area_id].skills.items():
                if skill not in known:
                    continue
                for term in terms:
                    if isinstance(term, RegexTerm):
                        self.regexes.append((re.compile(term.regex, re.IGNORECASE), skill))
                    else:
                        text = term.exact if isinstance(term, ExactTerm) else term
                        self.by_term.setdefault(name_key(text), set()).add(skill)

    def lookup(self, name: str) -> set[str]:
        key = name_key(name)
        for table in (self.by_name, self.by_term):
            if key in table:
                return table[key]
        spaced = " ".join(name.split())
        found = {skill for pattern, skill in self.regexes if pattern.fullmatch(spaced)}
        if found:
            return found
        alias = ALIASES.get(spaced.casefold()) or ALIASES.get(key)
        if alias and name_key(alias) != key:
            return self.lookup(alias)
        # Singular and plural: "presentation" for "presentations", "kpis" for "kpi".
        variant = key[:-1] if key.endswith("s") and len(key) > 3 else key + "s"
        for table in (self.by_name, self.by_term):
            if variant in table:
                return table[variant]
        return set()

    def suggest(self, name: str) -> tuple[str, ...]:
        keys = {**self.by_term, **self.by_name}
        close = difflib.get_close_matches(name_key(name), list(keys), n=3, cutoff=0.75)
        return tuple(dict.fromkeys(sorted(s for k in close for s in keys[k])))[:3]


def match_have(have: Iterable[str], skills: Iterable[str], taxonomy: "Taxonomy | None" = None) -> HaveMatch:
    """Resolve the user's names against `skills` (the taxonomy's skill names).

    Forgiving: case, spaces and punctuation do not matter; a name may be a skill's name or any of its
    taxonomy terms ("stats" and "statistical" both mean Statistics, "sklearn" the frameworks skill),
    a few common short forms (ALIASES), or a singular/plural of either. A term shared by several
    skills stands for all of them. Without `taxonomy` only skill names are known.
    """
    vocabulary = _Vocabulary(skills, taxonomy)
    recognised: dict[str, tuple[str, ...]] = {}
    unknown: list[str] = []
    suggestions: dict[str, tuple[str, ...]] = {}
    order = {skill: i for i, skill in enumerate(vocabulary.skills)}
    for name in have:
        found = vocabulary.lookup(name)
        if found:
            recognised[name] = tuple(sorted(found, key=order.__getitem__))
        else:
            unknown.append(name)
            suggestions[name] = vocabulary.suggest(name)
    return HaveMatch(recognised, tuple(unknown), suggestions)


def normalize_role(role: str) -> str:
    """"ML Engineer", "ml-engineer" -> "ml_engineer"."""
    return re.sub(r"[\s\-]+", "_", role.strip().casefold())


def role_families(postings: "pd.DataFrame") -> list[str]:
    """Valid --role values: the known families, then any other value the data holds."""
    extra = sorted(set(postings[c.ROLE_FAMILY].dropna().astype(str)) - set(c.ROLE_FAMILIES)) \
        if c.ROLE_FAMILY in postings else []
    return list(c.ROLE_FAMILIES) + extra


def learn_next(
    weekly_skill_demand: "pd.DataFrame",
    postings: "pd.DataFrame",
    skill_mentions: "pd.DataFrame",
    *,
    have: Iterable[str] = frozenset(),
    taxonomy: "Taxonomy | None" = None,
    role: str | None = None,
    weeks: int = 12,
    top: int | None = 30,
    alpha: float = ALPHA,
) -> "pd.DataFrame":
    """Skills to learn next, best first: one row per skill (columns ADVICE_COLUMNS).

    The window is the newest `weeks` weeks of `weekly_skill_demand` (gapless, ending at the last week
    with new ML postings), split into a first half (`weeks // 2` weeks) and a second half (the rest).
    Counted on new ML postings of the window (of `role`'s role family when given):

    - `postings`: ML postings in the window; `mentions`: those asking for the skill; `share` =
      mentions / postings with its Wilson 95 % interval (`ci_low`, `ci_high`).
    - `early_share`, `late_share`: the share in each half; `change` = late − early (a fraction;
      × 100 for points); `p_value`: two-proportion z-test of the halves (pipeline.stats).
    - `direction`: rising / falling when p < `alpha`, else flat (also when a half has no postings).
    - `score` = share × (1 + momentum), momentum = change / max(early_share, late_share) when p <
      `alpha`, else 0. Momentum lies in [−1, 1] (a skill that doubles gets +0.5, one that halves
      −0.5, one that appears from nothing +1), so the score lies between 0 and twice the share; a
      change the data cannot tell from noise moves a skill neither up nor down.

    Ranked by score, then share, then taxonomy order (deterministic ties). Skills no posting of the
    window asks for are left out, and so are the user's: `have` is matched forgivingly (see
    `match_have`; `taxonomy` adds its terms to the skill names). A name that matches nothing raises
    UnknownSkills (call `match_have` first to show the user which ones); an unknown `role` raises
    ValueError naming the valid ones. `top` None keeps every row.
    """
    import numpy as np
    import pandas as pd

    from pipeline.stats import two_proportion_p_value, wilson_interval

    if weeks < 2:
        raise ValueError(f"weeks must be at least 2 (two halves to compare), got {weeks}")
    universe = weekly_skill_demand[[c.AREA, c.SKILL]].drop_duplicates()
    have = list(have)
    if have:
        matched = match_have(have, universe[c.SKILL], taxonomy)
        if matched.unknown:
            raise UnknownSkills(matched)
        excluded = matched.skills
    else:
        excluded = frozenset()

    ml = postings[postings[c.IS_ML].astype(bool)]
    if role is not None:
        valid = role_families(postings)
        if normalize_role(role) not in valid:
            raise ValueError(f"unknown role {role!r}; valid role families: {', '.join(valid)}")
        ml = ml[ml[c.ROLE_FAMILY].astype(str) == normalize_role(role)]

    all_weeks = sorted(weekly_skill_demand[c.WEEK].astype(str).unique())
    window = all_weeks[-weeks:]
    cut = len(window) // 2
    half_of = {week: int(i >= cut) for i, week in enumerate(window)}
    ml_half = ml[c.WEEK].astype(str).map(half_of)
    ml = ml.assign(_half=ml_half).dropna(subset=["_half"])
    n_half = np.array([(ml["_half"] == h).sum() for h in (0, 1)], dtype="int64")

    asked = (skill_mentions[[c.POSTING_ID, c.AREA, c.SKILL]].drop_duplicates()
             .merge(ml[[c.POSTING_ID, "_half"]], on=c.POSTING_ID))
    counts = (asked.groupby([c.AREA, c.SKILL, "_half"]).size().unstack("_half")
              .reindex(columns=[0, 1]).fillna(0).astype("int64").reset_index())
    counts.columns = [c.AREA, c.SKILL, "_early", "_late"]
    extra = counts.merge(universe, how="left", indicator=True).query("_merge == 'left_only'")[[c.AREA, c.SKILL]]
    table = (pd.concat([universe, extra], ignore_index=True)
             .merge(counts, on=[c.AREA, c.SKILL], how="left").fillna({"_early": 0, "_late": 0}))
    table["_order"] = np.arange(len(table))

    early_k, late_k = table["_early"].to_numpy(float), table["_late"].to_numpy(float)
    total = int(n_half.sum())
    table[c.POSTINGS] = total
    table[c.MENTIONS] = (early_k + late_k).astype("int64")
    with np.errstate(divide="ignore", invalid="ignore"):
        table[c.SHARE] = table[c.MENTIONS] / total if total else np.nan
        table[EARLY_SHARE] = early_k / n_half[0] if n_half[0] else np.nan
        table[LATE_SHARE] = late_k / n_half[1] if n_half[1] else np.nan
    table[c.CI_LOW], table[c.CI_HIGH] = wilson_interval(table[c.MENTIONS], np.full(len(table), total))
    table[c.CHANGE] = table[LATE_SHARE] - table[EARLY_SHARE]
    table[c.P_VALUE] = two_proportion_p_value(late_k, n_half[1], early_k, n_half[0])
    significant = (table[c.P_VALUE] < alpha).to_numpy()
    change = table[c.CHANGE].to_numpy(float)
    table[c.DIRECTION] = np.where(significant & (change > 0), "rising",
                                  np.where(significant & (change < 0), "falling", "flat"))
    larger = np.fmax(table[EARLY_SHARE].to_numpy(float), table[LATE_SHARE].to_numpy(float))
    with np.errstate(divide="ignore", invalid="ignore"):
        momentum = np.where(significant & (larger > 0), change / larger, 0.0)
    table[SCORE] = table[c.SHARE] * (1 + momentum)

    names = {a: taxonomy.area_name(a) for a in c.AREA_IDS} if taxonomy is not None else {}
    table[AREA_NAME] = table[c.AREA].map(lambda a: names.get(a, a))
    ranked = (table[(table[c.MENTIONS] > 0) & ~table[c.SKILL].isin(excluded)]
              .sort_values([SCORE, c.SHARE, "_order"], ascending=[False, False, True], kind="mergesort"))
    ranked[RANK] = np.arange(1, len(ranked) + 1)
    if top is not None:
        ranked = ranked.head(top)
    return ranked[list(ADVICE_COLUMNS)].reset_index(drop=True)


def learn_next_by_role(
    weekly_skill_demand: "pd.DataFrame",
    postings: "pd.DataFrame",
    skill_mentions: "pd.DataFrame",
    taxonomy: "Taxonomy | None" = None,
    *,
    weeks: int = 12,
    top: int = 5,
    min_postings: int = 30,
) -> "pd.DataFrame":
    """The report's "What to learn next": `learn_next` for each role family with at least
    `min_postings` ML postings in the window (fewer say little), as one long table with a
    `role_family` column first; families in ROLE_FAMILIES order, then by rank."""
    import pandas as pd

    frames = []
    for role in role_families(postings):
        ranked = learn_next(weekly_skill_demand, postings, skill_mentions, taxonomy=taxonomy,
                            role=role, weeks=weeks, top=top)
        if len(ranked) and int(ranked[c.POSTINGS].iloc[0]) >= min_postings:
            frames.append(ranked.assign(**{c.ROLE_FAMILY: role}))
    columns = [c.ROLE_FAMILY, *ADVICE_COLUMNS]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


# --- the `jobtrends advise` command ----------------------------------------------------------------

def _percent(value: float, sign: str = "%") -> str:
    return "–" if value != value else f"{100 * value:.1f}{sign}"


def _trend_text(row) -> "object":
    """"+10.0 pts rising" over "58.6% → 68.6%" (the halves' shares)."""
    from rich.text import Text

    if row[c.CHANGE] != row[c.CHANGE]:
        return Text("n/a", style="dim")
    style = {"rising": "green", "falling": "red"}.get(row[c.DIRECTION], "")
    return (Text(f"{100 * row[c.CHANGE]:+.1f} pts {row[c.DIRECTION]}\n", style=style)
            + Text(f"{_percent(row[EARLY_SHARE])} → {_percent(row[LATE_SHARE])}", style="dim"))


def advice_table(ranked: "pd.DataFrame", title: str):
    """The ranking as a rich Table; every cell is Text (skill and area names never read as markup)."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("skill", min_width=14, overflow="fold")
    table.add_column("area", overflow="fold")
    # Figures never wrap (a wrapped interval reads as two numbers); the names wrap instead.
    table.add_column("share (95% CI)", justify="right", no_wrap=True)
    table.add_column("trend", justify="right", no_wrap=True)
    for _, row in ranked.iterrows():
        table.add_row(
            Text(str(row[RANK])), Text(str(row[c.SKILL])), Text(str(row[AREA_NAME])),
            Text(f"{_percent(row[c.SHARE])} ({_percent(row[c.CI_LOW], '')}–{_percent(row[c.CI_HIGH])})"),
            _trend_text(row),
        )
    return table


def advise_command(
    have: str = typer.Option(..., "--have", help='Skills you have, comma-separated: "python, sql, stats". '
                             "Case, spacing and the taxonomy's own terms are forgiven; unknown names are listed."),
    role: Optional[str] = typer.Option(None, "--role", "-r", help="Only postings of this role family "
                                       "(ml_engineer, data_scientist, research_scientist, ...)."),
    weeks: int = typer.Option(12, "--weeks", "-w", min=2, help="The newest N weeks; the trend compares their halves."),
    top: int = typer.Option(20, "--top", min=1, max=500, help="Rows to show."),
    fmt: str = typer.Option("table", "--format", "-f", help="table | json"),
    config: Optional[Path] = typer.Option(None, "--config", "-c", help="Config file (default: config/jobtrends.yaml)."),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", "-d",
                                            help="Data directory (overrides the config's data_dir)."),
) -> None:
    """What to learn next: skills ML postings ask for most and increasingly, minus the ones you have.

    Score = share of ML postings × (1 + momentum).
    Momentum = the share's change from the window's first half to its second, ÷ the larger half's share;
    counted only when significant (p < 0.05), else 0.
    """
    from pipeline.cli import _fail, _guard, _load, _taxonomy, console
    from pipeline.dataset import read_table

    if fmt not in ("table", "json"):
        raise _fail(f"--format must be table or json, not {fmt!r}")
    cfg = _load(config, data_dir)
    taxonomy = _taxonomy(cfg)
    tables = {name: _guard(read_table, cfg.data_dir, name)
              for name in ("weekly_skill_demand", "postings", "skill_mentions")}
    if role is not None:
        valid = role_families(tables["postings"])
        if normalize_role(role) not in valid:
            raise _fail(f"unknown --role {role!r}; valid role families: {', '.join(valid)}")
        role = normalize_role(role)
    names = split_have(have)
    matched = match_have(names, tables["weekly_skill_demand"][c.SKILL], taxonomy)
    ranked = learn_next(tables["weekly_skill_demand"], tables["postings"], tables["skill_mentions"],
                        have=list(matched.recognised), taxonomy=taxonomy, role=role, weeks=weeks, top=top)
    window = sorted(tables["weekly_skill_demand"][c.WEEK].astype(str).unique())[-weeks:]
    postings = tables["postings"]
    in_scope = postings[c.IS_ML].astype(bool) & postings[c.WEEK].astype(str).isin(window)
    if role is not None:
        in_scope &= postings[c.ROLE_FAMILY].astype(str) == role
    ml_postings = int(in_scope.sum())

    if fmt == "json":
        payload = {
            "have_recognised": {name: list(skills) for name, skills in matched.recognised.items()},
            "have_unknown": list(matched.unknown),
            "have_suggestions": {name: list(s) for name, s in matched.suggestions.items()},
            "role": role,
            "weeks": weeks,
            "window": [window[0], window[-1]] if window else None,
            "ml_postings": ml_postings,
            "skills": json.loads(ranked.to_json(orient="records", force_ascii=False)),
        }
        sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
        return

    from rich.text import Text

    who = f"ML postings of role family {role}" if role else "ML postings"
    span = f"{window[0]} to {window[-1]}" if window else "no weeks"
    if ml_postings == 0:
        console.print(Text(f"No skills to suggest: no {who} from {span}."))
    elif ranked.empty:
        console.print(Text(f"No skills to suggest: the {ml_postings} {who} from {span} ask for none you lack."))
    else:
        title = (f"What to learn next ({ml_postings} {who}, {span}; "
                 f"trend: 2nd half vs 1st, counted when p < {ALPHA})")
        console.print(advice_table(ranked, title))
    if matched.recognised:
        console.print(Text("recognised: ", style="bold") + Text("; ".join(
            f"{name} → {', '.join(skills)}" for name, skills in matched.recognised.items())))
    if matched.unknown:
        console.print(Text("not recognised: ", style="bold yellow") + Text("; ".join(matched.describe_unknown())))
