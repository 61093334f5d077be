"""Normalized fields of a posting: title, role family, seniority, employment type, location, salary.

Structured hints from the source's payload come first (see `payload_hints`, carried through
pipeline/clean.py in the `hints` column), free text second. Every function here is pure;
`normalize_postings` is the `DataFrame -> DataFrame` stage that adds the columns.

The rules were checked against ~3,100 real postings (shared/data/real/postings) and the recorded
Greenhouse/Lever/HN payloads (locations: pipeline/location.py, pay: pipeline/salary.py); tests/fixtures/normalize_real_sample.jsonl holds 100 hand-checked ones.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

import pandas as pd

from pipeline import columns as c
from pipeline.location import Location, parse_location, place_in_text
from pipeline.salary import structured_salary, text_salary
from pipeline.text import unescape
from scraper.sources.hackernews import first_line

# --- structured hints from the raw payload ---------------------------------------------------

_TAG = re.compile(r"<[^>]+>")
_PAY_BLOCK = re.compile(
    r'class="title">(?P<title>.*?)</div>\s*<div class="pay-range">(?P<range>.*?)</div>', re.DOTALL
)
_PAY_RANGE_ONLY = re.compile(r'<div class="pay-range">(?P<range>.*?)</div>', re.DOTALL)
# Greenhouse escapes its content. Unescaped, it holds "pay-range" only if the escaped text does, or spells
# one of its characters as a numeric reference: no named reference stands for one (tests/test_normalize.py).
_PAY_RANGE_REF = re.compile(r"&#(?:0*(?:112|97|121|45|114|110|103|101)|x0*(?:70|61|79|2d|72|6e|67|65))", re.IGNORECASE)


def _tag_text(markup: str) -> str:
    return " ".join(unescape(_TAG.sub(" ", markup)).split())


def payload_hints(source_kind: Any, payload: Any) -> dict[str, str]:
    """The few structured fields normalization uses, as plain strings (empty keys are left out).

    Lever: `categories.commitment`, `country`, `salaryRange` {currency, interval, min, max}.
    Greenhouse: `metadata` "Employment Type", and the pay-transparency widget inside `content`
    (`<div class="title">Annual base salary</div><div class="pay-range">…</div>`), which the
    adapter keeps in the description but is the ATS's own pay field, so it counts as structured.
    Greenhouse `offices` are not used: in the recorded GitHub board they contradict `location.name`
    for 5 of 29 jobs ("Remote - Europe" with the office "Remote - US").
    Hacker News: the post's first line ("Company | Role | Location | REMOTE | Full-time | $150k-$190k").
    """
    if not isinstance(payload, Mapping):
        return {}
    hints: dict[str, str] = {}
    if source_kind == "lever":
        categories = payload.get("categories") if isinstance(payload.get("categories"), Mapping) else {}
        hints["employment"] = str(categories.get("commitment") or "")
        hints["country"] = str(payload.get("country") or "")
        pay = payload.get("salaryRange")
        if isinstance(pay, Mapping) and pay.get("min") is not None:
            hints["salary_min"] = str(pay.get("min"))
            hints["salary_max"] = str(pay.get("max") if pay.get("max") is not None else pay.get("min"))
            hints["salary_currency"] = str(pay.get("currency") or "")
            hints["salary_interval"] = str(pay.get("interval") or "")
    elif source_kind == "greenhouse":
        for item in payload.get("metadata") or []:
            if isinstance(item, Mapping) and str(item.get("name", "")).strip().lower() == "employment type":
                value = item.get("value")
                hints["employment"] = ", ".join(map(str, value)) if isinstance(value, list) else str(value or "")
        content = str(payload.get("content") or "")
        # Unescaping every description (about 0.5 ms each) only to look for the widget: look first.
        if ("pay-range" in content or _PAY_RANGE_REF.search(content)) and "pay-range" in (content := unescape(content)):
            block = _PAY_BLOCK.search(content) or _PAY_RANGE_ONLY.search(content)
            if block:
                title = _tag_text(block.groupdict().get("title") or "")
                hints["pay_range"] = f"{title}: {_tag_text(block['range'])}" if title else _tag_text(block["range"])
    elif source_kind == "hn":
        hints["header"] = first_line(str(payload.get("text") or ""))
    return {k: v.strip() for k, v in hints.items() if v and v.strip()}


_STATED_HINT_KEYS = ("employment", "country", "salary_min", "salary_max", "salary_currency", "salary_interval",
                     "pay_range")


def stated_hints(hints: Any) -> dict[str, str]:
    """The `hints` an adapter stated on a RawPosting (scraper/records.py), kept only when well-formed."""
    if not isinstance(hints, Mapping):
        return {}
    out = {key: str(hints[key]).strip() for key in _STATED_HINT_KEYS if hints.get(key) not in (None, "")}
    return {k: v for k, v in out.items() if v}


# --- title, role family, seniority, employment type -------------------------------------------

_ABBREVIATIONS = [
    (re.compile(r"\bml\b"), "machine learning"),
    (re.compile(r"\bartificial intelligence\b"), "ai"),
    (re.compile(r"\bsr\b\.?"), "senior"),
    (re.compile(r"\bjr\b\.?"), "junior"),
    (re.compile(r"\bsnr\b\.?"), "senior"),
    (re.compile(r"\bmgr\b\.?"), "manager"),
    (re.compile(r"\bdir\b\.?"), "director"),
    (re.compile(r"\beng\b\.?"), "engineer"),
    (re.compile(r"\bswe\b"), "software engineer"),
    (re.compile(r"\bgen ?ai\b"), "generative ai"),
    (re.compile(r"\bnlp\b"), "natural language processing"),
    (re.compile(r"\bnlu\b"), "natural language understanding"),
    (re.compile(r"\bcv\b"), "computer vision"),
]
# Brackets that only say where/how the job is worked go; others ("(ML Platform)") are the specialty and stay.
_TITLE_NOISE = re.compile(
    r"[(\[][^()\[\]]*\b(?:remote|hybrid|on-?site|[mfwd]/[mfwd](?:/[mfwd])?|all genders|contract|part[- ]time|"
    r"full[- ]time|temporary|\d{4})\b[^()\[\]]*[)\]]|\s[-–—|]\s*(?:remote|hybrid|on-?site)\b.*$|\b(?:remote|hybrid)\b",
    re.IGNORECASE,
)


def normalize_title(title: str) -> str:
    """Lower-case title with abbreviations spelled out and location/work-mode noise dropped.

    "Sr. ML Engineer (Remote)" -> "senior machine learning engineer".
    """
    text = _TITLE_NOISE.sub(" ", str(title or "")).lower()
    text = re.sub(r"[()\[\]]", " ", text).replace("&", " and ").replace("/", " / ")
    for pattern, full in _ABBREVIATIONS:
        text = pattern.sub(full, text)
    text = re.sub(r"\s*/\s*", "/", text)
    text = re.sub(r"\s+([,;:])", r"\1", text)
    return " ".join(text.split()).strip(" -–—|,;:")


# First match wins: the specific families before the broad ones ("ML Platform Engineer" is mlops,
# "Research Scientist, Machine Learning" is research, "Data Scientist, Machine Learning" is data science,
# and by the same token "Data Engineer, Machine Learning" is data engineering).
_FAMILY_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("mlops", re.compile(
        r"\bmlops\b|\bml ?ops\b|machine learning (?:platform|infrastructure|infra|ops|operations|systems)\b"
        r"|\b(?:ai|model) (?:platform|infrastructure|serving|deployment) engineer")),
    ("applied_scientist", re.compile(r"\bapplied (?:research )?scientist|machine learning scientist")),
    ("research_scientist", re.compile(
        r"\bresearch (?:scientist|engineer)|(?<!ux )(?<!user )(?<!market )(?<!design )\bresearcher\b"
        r"|\bresearch fellow|\bai scientist\b|\bscientist, research\b")),
    ("data_scientist", re.compile(r"\bdata scien(?:tists?|ce)\b|\bdecision scientist|\bproduct scientist")),
    ("data_engineer", re.compile(r"\bdata (?:platform |pipeline )?engineer\b")),
    ("ml_engineer", re.compile(
        r"machine learning\b|\bdeep learning\b|natural language (?:processing|understanding)|computer vision"
        r"|machine vision|\bperception engineer|\bengineer\b.*\bperception\b|\bspeech (?:recognition )?engineer")),
    ("ai_engineer", re.compile(
        r"\bai engineer|\bai developer|\bllm\b|generative ai|\bprompt engineer|\bagentic\b"
        r"|\bai (?:software|solutions|applications) engineer|\bagents? engineer|\bengineer\b[^/]*[,:-] *(?:generative )?ai\b")),
    ("data_engineer", re.compile(
        r"\banalytics engineer|\betl (?:developer|engineer)"
        r"|\bbig data\b.*\b(?:engineer|developer|architect)\b|\b(?:engineer|developer|architect)\b.*\bbig data\b")),
    ("analyst", re.compile(
        r"\banalyst\b(?! relations)|business intelligence|\bbi (?:developer|engineer)\b|\banalytics (?:manager|specialist|lead)"
        r"|^(?!.*\b(?:engineer|developer|architect|instructor|teacher|auditor|product|program|project|sales|marketing)\b)"
        r".*\bdata (?:and )?analytics\b")),
)
# A "Research Scientist, Immunology" or "Principal Scientist, Chemistry" is lab science, not ML research.
_LAB_SCIENCE = re.compile(
    r"\b(?:bio\w*|chemi\w*|immun\w*|onco\w*|pharma\w*|clinical|medicinal|cell|protein|assay|toxicolog\w*|"
    r"neuroscience|genomics|vaccine|materials?|safety)\b")
_COMPUTATIONAL = re.compile(r"machine learning|\bai\b|\bdata\b|computer|comput\w+|software|algorithm|statist")


def role_family(title: str) -> str:
    """One of `columns.ROLE_FAMILIES` from the title ("other" when none fits)."""
    normalized = normalize_title(title)
    for family, pattern in _FAMILY_RULES:
        if pattern.search(normalized):
            if (family in ("research_scientist", "applied_scientist") and _LAB_SCIENCE.search(normalized)
                    and not _COMPUTATIONAL.search(normalized)):
                continue
            return family
    return "other"


_ROLE_NOUN = r"(?:engineer|scientist|analyst|developer|programmer|specialist|technician|administrator|architect)"
_SENIORITY_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("intern", re.compile(r"\bintern(?:ship)?s?\b|\bwerkstudent|\bworking student|\bco-?op\b|\btrainee\b")),
    ("director", re.compile(
        r"\bdirector\b|\bhead of\b|\b[se]?vp\b|\bavp\b|\bvice president\b|\bchief\b|\bc[etdfoi]o\b")),
    # "manager" as the level: "Engineering Manager", "Data Science Manager", "Senior Manager, X", "Manager of X";
    # "Product Manager", "Project Manager", "Account Manager" are jobs, not levels.
    ("manager", re.compile(
        r"\b(?:engineering|science|scientist|analytics|analyst|machine learning|ai|research|intelligence|insights)"
        r" manager\b|(?:^|/)(?:senior |associate |assistant |group )?manager\b")),
    ("principal", re.compile(r"(?<!assistant )\bprincipal\b|\bdistinguished\b|\bfellow\b")),
    ("staff", re.compile(rf"\bstaff (?:\w+ ){{0,3}}?(?:{_ROLE_NOUN}|researcher|designer|manager)\b")),
    ("lead", re.compile(r"\blead\b|\btech lead\b")),
    ("senior", re.compile(rf"\bsenior\b|\biii\b|\biv\b|\blevel (?:3|iii|iv)\b|\bl[56]\b|\b{_ROLE_NOUN} [34]\b(?!\s*[-–+])")),
    ("junior", re.compile(
        rf"\bjunior\b|\bentry[- ]level\b|\bgraduate\b|\bnew grads?\b|^associate (?!director|principal|vice|partner)\w"
        rf"|\bi\b(?![/&]| and )|\blevel (?:1|i)\b|\b{_ROLE_NOUN} 1\b(?!\s*[-–+])")),
    ("mid", re.compile(
        rf"\bmid[- ]?(?:level|senior)\b|\bii\b|\blevel (?:2|ii)\b|\bintermediate\b|\bl4\b|\b{_ROLE_NOUN} 2\b(?!\s*[-–+])")),
)


def seniority(title: str) -> str:
    """One of `columns.SENIORITY_LEVELS` from the title; "unknown" when the title names no level."""
    text = normalize_title(title)
    for level, pattern in _SENIORITY_RULES:
        if not pattern.search(text):
            continue
        if level == "lead" and re.search(r"\blead (?:generation|gen)\b", text):
            continue
        return level
    return "unknown"


_EMPLOYMENT_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("internship", re.compile(r"\bintern(?:ship)?s?\b|\bwerkstudent|\bworking student|\bco-?op\b", re.IGNORECASE)),
    ("part_time", re.compile(r"\bpart[- ]?time\b|\bteilzeit\b", re.IGNORECASE)),
    # "Consultant" is a job title, not a kind of contract; "No C2C" says the opposite of contract.
    ("contract", re.compile(
        r"\b(?:sub)?contract(?:or|ing)?\b|\bfreelance\b|\b1099\b|(?<!no )\bc2c\b", re.IGNORECASE)),
    ("temporary", re.compile(r"\btemp(?:orary)?\b|\bfixed[- ]term\b|\bseasonal\b", re.IGNORECASE)),
    ("full_time", re.compile(r"\bfull[- ]?time\b|\bpermanent\b|\bvollzeit\b|\bsalaried\b|\bregular\b", re.IGNORECASE)),
)


def employment_type(hint: str = "", title: str = "", text: str = "") -> str:
    """One of `columns.EMPLOYMENT_TYPES`: the source's field first, then the title, then `text` (e.g. HN's header)."""
    for source in (hint, title, text):
        for kind, pattern in _EMPLOYMENT_RULES:
            if source and pattern.search(source):
                return kind
    return "unknown"


# --- the stage -------------------------------------------------------------------------------

def _location(location: str, hints: Mapping[str, str]) -> Location:
    """The location field first; for HN, whose adapter often cannot split the header, the header next."""
    place = parse_location(location, hints.get("country", ""))
    header = hints.get("header", "")
    if header and not (place.city or place.region or place.country):
        place = parse_location(header, hints.get("country", ""))
        if not (place.city or place.region or place.country):
            place = place_in_text(header, hints.get("country", ""))
    return place


def _normalize_row(title: str, location: str, description: str, hints: Mapping[str, str]) -> dict[str, Any]:
    place = _location(location, hints)
    salary, source = structured_salary(hints), "structured"
    if salary is None:
        salary, source = text_salary(description, hints.get("header", "")), "text"
    nan = float("nan")
    return {
        c.TITLE_NORMALIZED: normalize_title(title),
        c.ROLE_FAMILY: role_family(title),
        c.SENIORITY: seniority(title),
        c.EMPLOYMENT_TYPE: employment_type(hints.get("employment", ""), title, hints.get("header", "")),
        c.CITY: place.city,
        c.REGION: place.region,
        c.COUNTRY: place.country,
        c.SALARY_MIN: salary.min if salary else nan,
        c.SALARY_MAX: salary.max if salary else nan,
        c.SALARY_CURRENCY: salary.currency if salary else "",
        c.SALARY_PERIOD: salary.period if salary else "",
        c.SALARY_ANNUAL_MIN: salary.annual_min if salary else nan,
        c.SALARY_ANNUAL_MAX: salary.annual_max if salary else nan,
        c.SALARY_SOURCE: source if salary else "",
    }


def normalize_postings(postings: pd.DataFrame) -> pd.DataFrame:
    """Add the normalized columns (`columns.NORMALIZED_COLUMNS`); the `hints` column is optional."""
    out = postings.copy()
    hints = out[c.HINTS] if c.HINTS in out.columns else pd.Series([{}] * len(out), index=out.index, dtype=object)
    rows = [
        _normalize_row(str(t or ""), str(loc or ""), str(d or ""), h if isinstance(h, Mapping) else {})
        for t, loc, d, h in zip(out[c.TITLE], out[c.LOCATION], out[c.DESCRIPTION], hints)
    ]
    normalized = pd.DataFrame.from_records(rows, index=out.index, columns=list(c.NORMALIZED_COLUMNS))
    for column in c.NORMALIZED_COLUMNS:
        out[column] = normalized[column].astype("float64" if column in c.SALARY_NUMBER_COLUMNS else object)
    return out
