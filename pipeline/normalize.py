"""Normalized fields of a posting: title, role family, seniority, employment type, location, salary.

Structured hints from the source's payload come first (see `payload_hints`, carried through
pipeline/clean.py in the `hints` column), free text second. Every function here is pure;
`normalize_postings` is the `DataFrame -> DataFrame` stage that adds the columns.
"""
from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from typing import Any, Mapping

import pandas as pd

from pipeline import columns as c
from scraper.sources.hackernews import first_line

# --- structured hints from the raw payload ---------------------------------------------------

_TAG = re.compile(r"<[^>]+>")
_PAY_BLOCK = re.compile(
    r'class="title">(?P<title>.*?)</div>\s*<div class="pay-range">(?P<range>.*?)</div>', re.DOTALL
)
_PAY_RANGE_ONLY = re.compile(r'<div class="pay-range">(?P<range>.*?)</div>', re.DOTALL)


def _tag_text(markup: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", markup)).split())


def payload_hints(source_kind: Any, payload: Any) -> dict[str, str]:
    """The few structured fields normalization uses, as plain strings (empty keys are left out).

    Lever: `categories.commitment`, `country`, `salaryRange` {currency, interval, min, max}.
    Greenhouse: `metadata` "Employment Type", and the pay-transparency widget inside `content`
    (`<div class="title">Annual base salary</div><div class="pay-range">…</div>`), which the
    adapter keeps in the description but is the ATS's own pay field, so it counts as structured.
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
        content = html.unescape(str(payload.get("content") or ""))
        if "pay-range" in content:
            block = _PAY_BLOCK.search(content) or _PAY_RANGE_ONLY.search(content)
            if block:
                title = _tag_text(block.groupdict().get("title") or "")
                hints["pay_range"] = f"{title}: {_tag_text(block['range'])}" if title else _tag_text(block["range"])
    elif source_kind == "hn":
        hints["header"] = first_line(str(payload.get("text") or ""))
    return {k: v.strip() for k, v in hints.items() if v and v.strip()}


# --- title, role family, seniority, employment type -------------------------------------------

_ABBREVIATIONS = [
    (re.compile(r"\bml\b"), "machine learning"),
    (re.compile(r"\bartificial intelligence\b"), "ai"),
    (re.compile(r"\bsr\b\.?"), "senior"),
    (re.compile(r"\bjr\b\.?"), "junior"),
    (re.compile(r"\bsnr\b\.?"), "senior"),
    (re.compile(r"\bmgr\b\.?"), "manager"),
    (re.compile(r"\beng\b\.?"), "engineer"),
    (re.compile(r"\bswe\b"), "software engineer"),
    (re.compile(r"\bgen ?ai\b"), "generative ai"),
    (re.compile(r"\bnlp\b"), "natural language processing"),
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
# "Research Scientist, Machine Learning" is research, "Data Scientist, Machine Learning" is data science).
_FAMILY_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("mlops", re.compile(
        r"\bmlops\b|\bml ?ops\b|machine learning (?:platform|infrastructure|infra|ops|operations|systems)\b"
        r"|\b(?:ai|model) (?:platform|infrastructure|serving|deployment) engineer")),
    ("applied_scientist", re.compile(r"\bapplied (?:research )?scientist|machine learning scientist")),
    ("research_scientist", re.compile(
        r"\bresearch (?:scientist|engineer)|\bresearcher\b|\bresearch fellow|\bai scientist\b|\bscientist, research\b")),
    ("data_scientist", re.compile(r"\bdata scien(?:tist|ce)\b|\bdecision scientist|\bproduct scientist")),
    ("ml_engineer", re.compile(
        r"machine learning\b|\bdeep learning\b|natural language processing|computer vision|machine vision"
        r"|\bperception engineer"
        r"|\bspeech (?:recognition )?engineer")),
    ("ai_engineer", re.compile(
        r"\bai engineer|\bai developer|\bllm\b|generative ai|\bprompt engineer|\bai (?:software|solutions|applications) engineer"
        r"|\bagents? engineer|\bengineer\b[^/]*[,:-] *(?:generative )?ai\b")),
    ("data_engineer", re.compile(
        r"\bdata (?:platform |pipeline )?engineer|\banalytics engineer|\betl (?:developer|engineer)|\bbig data\b")),
    ("analyst", re.compile(
        r"\banalyst\b|business intelligence|\bbi (?:developer|engineer)\b|\banalytics (?:manager|specialist|lead)")),
)


def role_family(title: str) -> str:
    """One of `columns.ROLE_FAMILIES` from the title ("other" when none fits)."""
    normalized = normalize_title(title)
    for family, pattern in _FAMILY_RULES:
        if pattern.search(normalized):
            return family
    return "other"


_SENIORITY_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("intern", re.compile(r"\bintern(?:ship)?s?\b|\bwerkstudent|\bworking student|\bco-?op\b|\btrainee\b")),
    ("director", re.compile(r"\bdirector\b|\bhead of\b|\bvp\b|\bvice president\b|\bchief\b|\bc[tds]o\b")),
    ("manager", re.compile(r"\bmanager\b|\bmanaging\b")),
    ("principal", re.compile(r"\bprincipal\b|\bdistinguished\b|\bfellow\b")),
    ("staff", re.compile(r"\bstaff\b")),
    ("lead", re.compile(r"\blead\b|\btech lead\b")),
    ("senior", re.compile(r"\bsenior\b|\biii\b|\blevel 3\b|\bl[56]\b")),
    ("junior", re.compile(r"\bjunior\b|\bentry[- ]level\b|\bgraduate\b|\bnew grad\b|\bassociate\b|\bi\b(?!/)")),
    ("mid", re.compile(r"\bmid[- ]?(?:level|senior)\b|\bii\b|\blevel 2\b|\bintermediate\b")),
)


def seniority(title: str) -> str:
    """One of `columns.SENIORITY_LEVELS` from the title; "unknown" when the title names no level.

    "Product Manager" is a job, not a management level: "manager" only counts next to an
    engineering/science/data word ("Engineering Manager, ML", "Data Science Manager").
    """
    text = normalize_title(title)
    for level, pattern in _SENIORITY_RULES:
        if not pattern.search(text):
            continue
        if level == "manager" and not re.search(r"engineer|scien|data|machine learning|\bai\b|research|analytics", text):
            continue
        if level == "lead" and re.search(r"\blead (?:generation|gen)\b", text):
            continue
        return level
    return "unknown"


_EMPLOYMENT_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("internship", re.compile(r"\bintern(?:ship)?s?\b|\bwerkstudent|\bworking student|\bco-?op\b", re.IGNORECASE)),
    ("part_time", re.compile(r"\bpart[- ]?time\b|\bteilzeit\b", re.IGNORECASE)),
    ("contract", re.compile(r"\bcontract(?:or|ing)?\b|\bfreelance\b|\bconsultant\b|\b1099\b|\bc2c\b", re.IGNORECASE)),
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


# --- location --------------------------------------------------------------------------------

_US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK "
    "OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC".split()
)
_US_STATE_NAMES = dict(zip(
    ("alabama,alaska,arizona,arkansas,california,colorado,connecticut,delaware,florida,georgia,hawaii,idaho,"
     "illinois,indiana,iowa,kansas,kentucky,louisiana,maine,maryland,massachusetts,michigan,minnesota,mississippi,"
     "missouri,montana,nebraska,nevada,new hampshire,new jersey,new mexico,new york state,north carolina,"
     "north dakota,ohio,oklahoma,oregon,pennsylvania,rhode island,south carolina,south dakota,tennessee,texas,utah,"
     "vermont,virginia,washington state,west virginia,wisconsin,wyoming").split(","),
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK "
    "OR PA RI SC SD TN TX UT VT VA WA WV WI WY".split(),
    strict=True,
))
_METRO = re.compile(r"^(?:greater\s+)|\s+(?:bay area|metropolitan area|metro area|metroplex|area)$", re.IGNORECASE)
_CA_PROVINCES = frozenset("AB BC MB NB NL NS NT NU ON PE QC SK YT".split())
_COUNTRIES = {
    "us": "US", "usa": "US", "u.s.": "US", "u.s.a.": "US", "united states": "US", "united states of america": "US",
    "america": "US", "uk": "GB", "u.k.": "GB", "gb": "GB", "united kingdom": "GB", "great britain": "GB",
    "england": "GB", "scotland": "GB", "wales": "GB", "canada": "CA", "germany": "DE", "deutschland": "DE",
    "netherlands": "NL", "the netherlands": "NL", "holland": "NL", "france": "FR",
    "spain": "ES", "portugal": "PT", "italy": "IT", "ireland": "IE", "switzerland": "CH", "austria": "AT",
    "belgium": "BE", "denmark": "DK", "sweden": "SE", "norway": "NO", "finland": "FI", "poland": "PL",
    "czech republic": "CZ", "czechia": "CZ", "israel": "IL", "india": "IN", "singapore": "SG", "japan": "JP",
    "australia": "AU", "new zealand": "NZ", "brazil": "BR", "mexico": "MX", "argentina": "AR", "china": "CN",
    "south korea": "KR", "korea": "KR", "taiwan": "TW", "hong kong": "HK", "united arab emirates": "AE", "uae": "AE",
}
_ISO_CODES = frozenset(_COUNTRIES.values())
# ML hubs that often appear without their country: city -> (name, region, country).
_CITIES = {
    "san francisco": ("San Francisco", "CA", "US"), "sf": ("San Francisco", "CA", "US"),
    "sf bay area": ("San Francisco", "CA", "US"), "bay area": ("San Francisco", "CA", "US"),
    "new york": ("New York", "NY", "US"), "new york city": ("New York", "NY", "US"), "nyc": ("New York", "NY", "US"),
    "seattle": ("Seattle", "WA", "US"), "boston": ("Boston", "MA", "US"), "austin": ("Austin", "TX", "US"),
    "denver": ("Denver", "CO", "US"), "los angeles": ("Los Angeles", "CA", "US"), "chicago": ("Chicago", "IL", "US"),
    "palo alto": ("Palo Alto", "CA", "US"), "mountain view": ("Mountain View", "CA", "US"),
    "london": ("London", "", "GB"), "cambridge, uk": ("Cambridge", "", "GB"), "berlin": ("Berlin", "", "DE"),
    "munich": ("Munich", "", "DE"), "paris": ("Paris", "", "FR"), "amsterdam": ("Amsterdam", "", "NL"),
    "toronto": ("Toronto", "ON", "CA"), "montreal": ("Montreal", "QC", "CA"), "vancouver": ("Vancouver", "BC", "CA"),
    "zurich": ("Zurich", "", "CH"), "dublin": ("Dublin", "", "IE"), "tel aviv": ("Tel Aviv", "", "IL"),
    "bangalore": ("Bengaluru", "", "IN"), "bengaluru": ("Bengaluru", "", "IN"), "singapore": ("Singapore", "", "SG"),
    "sydney": ("Sydney", "", "AU"), "stockholm": ("Stockholm", "", "SE"), "madrid": ("Madrid", "", "ES"),
    "barcelona": ("Barcelona", "", "ES"), "tokyo": ("Tokyo", "", "JP"), "warsaw": ("Warsaw", "", "PL"),
}
_WORK_MODE = re.compile(r"\b(?:remote|hybrid|on-?site|in[- ]office|anywhere|worldwide|wfh|ok|only|first|friendly)\b",
                        re.IGNORECASE)
_LOCATION_SPLIT = re.compile(r"\s+(?:or|and|/|\|)\s+|;|\s+[-–—]\s+|[()]", re.IGNORECASE)


@dataclass(frozen=True)
class Location:
    city: str = ""
    region: str = ""
    country: str = ""


def _place(part: str) -> Location | None:
    """One place like "Berlin, Germany", "Seattle, WA", "Toronto, ON", "US", "SF Bay Area"."""
    pieces = [_METRO.sub("", p.strip(" .")) or p.strip(" .") for p in part.split(",") if p.strip(" .")]
    if not pieces:
        return None
    lowered = [p.lower() for p in pieces]
    whole = ", ".join(lowered)
    if whole in _CITIES:
        return Location(*_CITIES[whole])
    if len(pieces) == 1:
        if lowered[0] in _COUNTRIES:
            return Location(country=_COUNTRIES[lowered[0]])
        if lowered[0] in _CITIES:
            return Location(*_CITIES[lowered[0]])
        if lowered[0] in _US_STATE_NAMES:
            return Location(region=_US_STATE_NAMES[lowered[0]], country="US")
        return None  # "Europe", "EMEA", an unknown city alone: no country to claim
    city, rest = pieces[0], pieces[1:]
    region, country = "", ""
    for piece in rest:
        upper = piece.upper()
        if len(piece) == 2 and upper in _US_STATES and not country:
            region, country = upper, "US"  # "Wilmington, DE" is Delaware, not Germany
        elif len(piece) == 2 and upper in _CA_PROVINCES and not country:
            region, country = upper, "CA"
        elif piece.lower() in _US_STATE_NAMES and not country:
            region, country = _US_STATE_NAMES[piece.lower()], "US"
        elif piece.lower() in _COUNTRIES:
            country = _COUNTRIES[piece.lower()]
        elif len(piece) == 2 and upper in _ISO_CODES:
            country = upper
        elif not region:
            region = piece
    if city.lower() in _CITIES:
        known = Location(*_CITIES[city.lower()])
        if known.country in (p.upper() for p in rest):  # "Berlin, DE": DE is the country, not Delaware
            return known
        if not country or country == known.country:
            return Location(known.city, region or known.region, known.country)
    return Location(city, region, country)


def parse_location(location: str, country_hint: str = "") -> Location:
    """City, region (state/province code when given) and ISO country from a location string.

    The source's structured country (Lever's `country`) wins over the text. The first place that
    reads as one is used ("London, UK or Remote" -> London, GB; "Remote - US" -> country US only).
    """
    hint = country_hint.strip().upper()
    hint = hint if re.fullmatch(r"[A-Z]{2}", hint) else ""
    found = Location()
    for part in _LOCATION_SPLIT.split(str(location or "")):
        cleaned = _WORK_MODE.sub(" ", part)
        cleaned = " ".join(cleaned.split()).strip(" ,:-")
        place = _place(cleaned) if cleaned else None
        if place and (place.city or place.country):
            found = place
            break
    if hint and found.country and found.country != hint:
        return Location(country=hint)
    return Location(found.city, found.region, hint or found.country)


# --- salary ----------------------------------------------------------------------------------

PERIOD_HOURS = {"hour": 2080, "day": 260, "week": 52, "month": 12, "year": 1}
# Anything outside these annual figures is a misread (a budget, a funding round) rather than pay.
MIN_ANNUAL, MAX_ANNUAL = 10_000, 5_000_000

_CURRENCY_CODES = {"USD", "EUR", "GBP", "CAD", "AUD", "CHF", "NZD", "SGD", "SEK", "NOK", "DKK", "PLN", "INR", "JPY"}
_SYMBOLS = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "C$": "CAD", "CA$": "CAD", "CAD$": "CAD",
            "A$": "AUD", "AU$": "AUD", "¥": "JPY", "₹": "INR"}
_CUR = r"(?:US\$|CA\$|CAD\$|AU\$|C\$|A\$|[$€£¥₹]|\b(?:USD|EUR|GBP|CAD|AUD|CHF|NZD|SGD|SEK|NOK|DKK|PLN|INR|JPY)\b)"
_NUM = r"\d{1,3}(?:[.,\u202f\u00a0 ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d+)?"
_AMOUNT = rf"(?P<@cur1>{_CUR})?\s?(?P<@num>{_NUM})\s?(?P<@k>[kKmM](?![a-zA-Z]))?\s?(?P<@cur2>{_CUR})?"
_SALARY = re.compile(
    _AMOUNT.replace("@", "a") + r"(?:\s*(?:-|–|—|to|bis)\s*" + _AMOUNT.replace("@", "b") + ")?",
    re.IGNORECASE,
)
_PERIODS = (
    ("hour", re.compile(r"^\W{0,3}(?:/\s?h(?:ou)?r\b|/\s?h\b|per hour|an hour|a hour|hourly|ph\b|p/h|/hour|per hr)", re.I)),
    ("day", re.compile(r"^\W{0,3}(?:/\s?day\b|per day|a day|daily|/d\b|p/d)", re.I)),
    ("week", re.compile(r"^\W{0,3}(?:/\s?w(?:ee)?k\b|per week|a week|weekly|p/w)", re.I)),
    ("month", re.compile(r"^\W{0,3}(?:/\s?mo(?:nth)?\b|per month|a month|monthly|p/m|p\.m\.)", re.I)),
    ("year", re.compile(r"^\W{0,3}(?:/\s?y(?:ea)?r\b|/\s?annum|per (?:year|annum)|a year|annual(?:ly)?|yearly|p\.?a\.?(?!\w)|pa\b|ote\b|base\b)", re.I)),
)
_PERIOD_BEFORE = (
    ("hour", re.compile(r"\bhourly\b|\bper hour\b|\bhour(?:ly)? (?:rate|pay|wage)", re.I)),
    ("month", re.compile(r"\bmonthly\b|\bper month\b", re.I)),
    ("day", re.compile(r"\bday rate\b|\bdaily rate\b", re.I)),
    ("year", re.compile(r"\bannual\b|\byearly\b|\bper (?:year|annum)\b|\bsalary\b|\bbase pay\b|\bcompensation\b", re.I)),
)
_INTERVALS = {"per-year-salary": "year", "per-month-salary": "month", "per-week-salary": "week",
              "per-day-wage": "day", "per-hour-wage": "hour"}
_SALARY_CONTEXT = re.compile(
    r"salary|compensation|\bpay\b|\bbase\b|\bwage|\brate\b|\bote\b|per (?:hour|year|annum)|p\.a\.|/\s?h(?:ou)?r\b|/\s?yr\b"
    r"|\bannual|\brange\b|gehalt|\$\s?\d+k", re.IGNORECASE)


@dataclass(frozen=True)
class Salary:
    min: float
    max: float
    currency: str
    period: str  # hour / day / week / month / year
    annual_min: float
    annual_max: float


def _number(text: str) -> float | None:
    """'120.000' and '120,000' are thousands; '1.5' and '72,50' are decimals."""
    digits = text.replace("\u202f", " ").replace("\u00a0", " ")
    grouped = re.fullmatch(r"(\d{1,3}(?:[., ]\d{3})+)(?:[.,](\d{1,2}))?", digits)
    if grouped:
        whole = re.sub(r"[., ]", "", grouped.group(1))
        return float(whole + ("." + grouped.group(2) if grouped.group(2) else ""))
    try:
        return float(digits.replace(",", "."))
    except ValueError:
        return None


def _currency(*tokens: str | None) -> str:
    for token in tokens:
        if token:
            upper = token.upper()
            if upper in _CURRENCY_CODES:
                return upper
            if upper in _SYMBOLS or token in _SYMBOLS:
                return _SYMBOLS.get(upper, _SYMBOLS.get(token, ""))
    return ""


def _period(after: str, before: str) -> str:
    for period, pattern in _PERIODS:
        if pattern.search(after):
            return period
    for period, pattern in _PERIOD_BEFORE:
        if pattern.search(before):
            return period
    return ""


def make_salary(low: float, high: float, currency: str, period: str) -> Salary | None:
    """A Salary when the figures are plausible pay: low <= high (never swapped), annualized within bounds."""
    if not (math.isfinite(low) and math.isfinite(high)) or low <= 0 or high < low or period not in PERIOD_HOURS:
        return None
    factor = PERIOD_HOURS[period]
    annual_min, annual_max = low * factor, high * factor
    if annual_min < MIN_ANNUAL or annual_max > MAX_ANNUAL or high > 10 * low:
        return None
    return Salary(low, high, currency, period, annual_min, annual_max)


def _from_match(match: re.Match[str], text: str) -> Salary | None:
    g = match.groupdict()
    low = _number(g["anum"])
    high = _number(g["bnum"]) if g["bnum"] else low
    if low is None or high is None:
        return None
    currency = _currency(g["acur1"], g["acur2"], g["bcur1"], g["bcur2"])
    if not currency and not (g["bnum"] and (g["ak"] or g["bk"])):
        return None  # without a currency only a k-range ("150k-190k") is pay; "3-5 years", "10k users" are not
    scale = {"k": 1_000, "m": 1_000_000}
    low_k, high_k = (g["ak"] or "").lower(), (g["bk"] or "").lower()
    if not low_k and high_k and g["bnum"] and low < 1000:
        low_k = high_k  # "£60-70k": the suffix covers both ends
    low *= scale.get(low_k, 1)
    high *= scale.get(high_k if g["bnum"] else low_k, 1)
    period = _period(text[match.end():match.end() + 30], text[max(0, match.start() - 60):match.start()])
    if not period and max(low, high) >= MIN_ANNUAL:
        period = "year"  # a bare "$150k-$190k" is a yearly figure
    return make_salary(low, high, currency, period)


def parse_salary(text: str) -> Salary | None:
    """The first plausible pay figure in `text`, or None. Never raises.

    "$150k–$200k" -> 150000..200000 USD/year; "120.000 € p.a." -> 120000 EUR/year;
    "£60-70k + equity" -> 60000..70000 GBP/year; "$80/hr" -> 80 USD/hour (166400 a year).
    """
    if not isinstance(text, str) or not re.search(r"\d", text):
        return None
    for match in _SALARY.finditer(text[:20_000]):
        salary = _from_match(match, text)
        if salary:
            return salary
    return None


def structured_salary(hints: Mapping[str, str]) -> Salary | None:
    """Lever's `salaryRange` or Greenhouse's pay-transparency widget."""
    if "salary_min" in hints:
        try:
            low, high = float(hints["salary_min"]), float(hints.get("salary_max", hints["salary_min"]))
        except ValueError:
            return None
        period = _INTERVALS.get(hints.get("salary_interval", ""), "year" if low >= MIN_ANNUAL else "")
        return make_salary(low, high, hints.get("salary_currency", "").upper(), period)
    if "pay_range" in hints:
        return parse_salary(hints["pay_range"])
    return None


def text_salary(description: str, header: str = "") -> Salary | None:
    """Pay stated in prose: HN's header line, else a description line that talks about pay."""
    found = parse_salary(header) if header else None
    if found:
        return found
    for line in str(description or "").split("\n"):
        if _SALARY_CONTEXT.search(line):
            found = parse_salary(line)
            if found:
                return found
    return None


# --- the stage -------------------------------------------------------------------------------

_IN_PLACE = re.compile(r"\bin ([A-Z][A-Za-z.'-]*(?: [A-Z][A-Za-z.'-]*)*(?:, [A-Z][A-Za-z.]*(?: [A-Z][A-Za-z.]*)*)?)")


def place_in_text(text: str, country_hint: str = "") -> Location:
    """A place named as "… in Austin, TX …" (HN posts written as a sentence rather than a header)."""
    for candidate in _IN_PLACE.findall(text or ""):
        place = parse_location(candidate, country_hint)
        if place.city or place.region:
            return place
    return Location(country=country_hint.strip().upper()) if re.fullmatch(r"[A-Za-z]{2}", country_hint.strip()) else Location()


def _normalize_row(title: str, location: str, description: str, hints: Mapping[str, str]) -> dict[str, Any]:
    place = parse_location(location, hints.get("country", ""))
    if not location.strip() and hints.get("header"):
        place = place_in_text(hints["header"], hints.get("country", ""))
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
