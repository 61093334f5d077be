"""`jobtrends discover`: what ML postings ask for that the taxonomy does not name yet.

Counts 1-3 word phrases in the demand text of ML postings (boilerplate removed, every span the taxonomy
already matches masked out, no phrase starting or ending with a stop word), keeps those distinctive of ML postings
(used at least twice as often as in the other postings; single words common in any English text left out), ranks them by the share of postings that use them and by their rise between the first and second half of the period (two-proportion
z-test), and keeps an example snippet for each, so a maintainer can add the real gaps to config/skills.yaml.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd
from wordfreq import zipf_frequency

from pipeline import columns as c
from pipeline.boilerplate import demand_text
from pipeline.skills import Taxonomy
from pipeline.stats import two_proportion_p_value

_TOKEN = re.compile(r"[a-z][a-z0-9+#]*(?:[-/.][a-z0-9+#]+)*")
_SEGMENT_BREAK = re.compile(r"[\n;:!?()\[\]|•,]|\.(?:\s|$)|\s[-–—]\s")
_MASK = "\n"

# Function words and the generic vocabulary of job ads: never the edge of a discovered phrase.
STOP_WORDS = frozenset("""
a about above across after all also an and any are as at be been being both but by can could do does
done each either etc for from get gets has have having he her here his how i if in including into is it
its just like more most much must need needs new no nor not of on one or other our ours out over own per
plus same she should so some such than that the their them then there these they this those through to
too under up upon us use used uses using very via was we well were what when where which while who whom
why will with within without would you your yours
ability able across activities apply applicants role roles job jobs candidate candidates company
experience experienced years year work working works team teams strong good great excellent knowledge
understanding skills skill required requirements preferred plus including related relevant etc
responsibilities responsible opportunity opportunities position join help make ensure across within
""".split())


# A single word this common in English (wordfreq's Zipf scale: 5 = once per 100,000 words; "behind" 5.3,
# "design" 5.2, "engineer" 4.5, but "python" 3.8, "kubernetes" 2.3, "mcp" 2.6) is not a skill name by
# itself; it still counts inside a longer phrase ("model context protocol").
COMMON_WORD_ZIPF = 4.3


def is_common_word(phrase: str, threshold: float = COMMON_WORD_ZIPF) -> bool:
    return " " not in phrase and zipf_frequency(phrase, "en") >= threshold


@dataclass(frozen=True)
class DiscoverResult:
    terms: pd.DataFrame
    ml_postings: int
    weeks: list[str]


def posting_phrases(text: str, taxonomy: Taxonomy, max_words: int = 3) -> set[str]:
    """Distinct 1..max_words phrases of a posting's demand text that the taxonomy does not already match."""
    demand = demand_text(text).lower()
    pieces, last = [], 0
    for mention in taxonomy.find(demand):
        if mention.start >= last:
            pieces.append(demand[last : mention.start])
            last = mention.end
        else:
            last = max(last, mention.end)
    pieces.append(demand[last:])
    masked = _MASK.join(pieces)
    phrases: set[str] = set()
    for segment in _SEGMENT_BREAK.split(masked):
        words = _TOKEN.findall(segment)
        for size in range(1, max_words + 1):
            for i in range(len(words) - size + 1):
                gram = words[i : i + size]
                if gram[0] in STOP_WORDS or gram[-1] in STOP_WORDS:
                    continue
                if size == 1 and (len(gram[0]) < 3 or gram[0].isdigit()):
                    continue
                phrases.add(" ".join(gram))
    return phrases


def _drop_contained(counts: Counter[str], keep_ratio: float = 0.8) -> Counter[str]:
    """Drop a phrase when a longer phrase containing it occurs almost as often: report "model context
    protocol", not also "context protocol" and "protocol"."""
    out = Counter(counts)
    for phrase, count in sorted(counts.items(), key=lambda kv: -len(kv[0].split())):
        words = phrase.split()
        for size in range(1, len(words)):
            for i in range(len(words) - size + 1):
                part = " ".join(words[i : i + size])
                if part in out and count >= keep_ratio * counts[part]:
                    del out[part]
    return out


def discover_terms(
    postings: pd.DataFrame,
    taxonomy: Taxonomy,
    *,
    weeks: int | None = None,
    min_postings: int = 5,
    top: int = 30,
    alpha: float = 0.05,
    sort: str = "share",
    min_lift: float = 2.0,
) -> DiscoverResult:
    """Phrases ML postings use that no taxonomy skill matches: by share (`sort="share"`), or only the
    significantly rising ones, most significant first (`sort="rise"`)."""
    if sort not in ("share", "rise"):
        raise ValueError(f"sort must be 'share' or 'rise', not {sort!r}")
    ml = postings[postings[c.IS_ML] & postings[c.WEEK].notna()]
    all_weeks = sorted(ml[c.WEEK].unique())
    if weeks:
        all_weeks = all_weeks[-weeks:]
        ml = ml[ml[c.WEEK].isin(all_weeks)]
    if ml.empty:
        raise ValueError("no ML postings in the chosen weeks: nothing to discover")
    half = all_weeks[len(all_weeks) // 2] if len(all_weeks) > 1 else all_weeks[0]
    late = (ml[c.WEEK] >= half).to_numpy()
    counts: Counter[str] = Counter()
    late_counts: Counter[str] = Counter()
    example_of: dict[str, int] = {}
    texts = list(ml[c.DESCRIPTION])
    for index, text in enumerate(texts):
        phrases = posting_phrases(text, taxonomy)
        counts.update(phrases)
        if late[index]:
            late_counts.update(phrases)
        for phrase in phrases:
            example_of.setdefault(phrase, index)
    counts = Counter({p: n for p, n in counts.items() if n >= min_postings and not is_common_word(p)})
    # Words every job ad uses ("build", "design", "team") are as common outside ML: keep what is
    # distinctive of ML postings (share at least `min_lift` times the share among the other postings).
    others = postings[~postings[c.IS_ML] & postings[c.WEEK].isin(all_weeks)]
    if len(others) and min_lift > 0:
        other_counts: Counter[str] = Counter()
        for text in others[c.DESCRIPTION]:
            other_counts.update(p for p in posting_phrases(text, taxonomy) if p in counts)
        counts = Counter({
            p: n for p, n in counts.items()
            if (n / len(ml)) >= min_lift * ((other_counts[p] + 1) / (len(others) + 1))
        })
    counts = _drop_contained(counts)
    n_late, n_early = int(late.sum()), int((~late).sum())
    rows = []
    for phrase, n in counts.items():
        k_late = late_counts[phrase]
        rows.append((phrase, n, k_late, n - k_late))
    frame = pd.DataFrame(rows, columns=["term", "postings", "late", "early"])
    if frame.empty:
        empty = pd.DataFrame(columns=["term", "postings", "share", "early_share", "late_share", "p_value",
                                      "direction", "example"])
        return DiscoverResult(empty, len(ml), all_weeks)
    frame["share"] = frame["postings"] / len(ml)
    frame["early_share"] = frame["early"] / max(n_early, 1)
    frame["late_share"] = frame["late"] / max(n_late, 1)
    frame["p_value"] = two_proportion_p_value(frame["early"], n_early, frame["late"], n_late)
    significant = frame["p_value"] < alpha
    frame["direction"] = np.where(
        significant & (frame["late_share"] > frame["early_share"]), "rising",
        np.where(significant & (frame["late_share"] < frame["early_share"]), "falling", "flat"),
    )
    if sort == "rise":
        frame = frame[frame["direction"] == "rising"].sort_values(["p_value", "term"])
    else:
        frame = frame.sort_values(["share", "term"], ascending=[False, True])
    frame = frame.head(top).reset_index(drop=True)
    frame["example"] = [snippet(texts[example_of[t]], t) for t in frame["term"]]
    return DiscoverResult(frame.drop(columns=["late", "early"]), len(ml), all_weeks)


def snippet(text: str, phrase: str, width: int = 70) -> str:
    words = [re.escape(w) for w in phrase.split()]
    match = re.search(r"\b" + r"[\s\-/.]+".join(words) + r"\b", text, re.IGNORECASE)
    if not match:
        return ""
    start, end = max(0, match.start() - width), min(len(text), match.end() + width)
    return ("…" if start else "") + " ".join(text[start:end].split()) + ("…" if end < len(text) else "")
