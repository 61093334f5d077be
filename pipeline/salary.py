"""Salary figures stated in a posting: structured pay fields first, then the pay text of the description."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Mapping


PERIOD_HOURS = {"hour": 2080, "day": 260, "week": 52, "month": 12, "year": 1}  # periods per year
# Anything outside these annual figures is a misread (a budget, a funding round) rather than pay.
MIN_ANNUAL, MAX_ANNUAL = 10_000, 5_000_000

_CURRENCY_CODES = {"USD", "EUR", "GBP", "CAD", "AUD", "CHF", "NZD", "SGD", "SEK", "NOK", "DKK", "PLN", "INR", "JPY",
                   "ILS", "HKD"}
_SYMBOLS = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "C$": "CAD", "CA$": "CAD", "CAD$": "CAD",
            "A$": "AUD", "AU$": "AUD", "¥": "JPY", "₹": "INR"}
_CODES = "|".join(sorted(_CURRENCY_CODES))
_SYMBOL = r"(?<![A-Za-z])(?:US|CA|CAD|AU|C|A)\$|[$€£¥₹]"
_CUR = rf"\b(?:{_CODES})\s?(?:{_SYMBOL})|{_SYMBOL}|\b(?:{_CODES})\b"
# "150,000 USD", "120.000 €", "200k$": a "$" only when glued, and not when it opens the next figure ("$2000$15-17").
_CUR_AFTER = rf"\s?(?:\b(?:{_CODES})\b|[€£¥₹])|\$(?!\s?\d)"
# Thousands grouped by "," "." or a (thin/no-break) space; a plain space only before a currency ("120 000 €").
# Group counts are bounded: an unbounded "(?: \d{3})+" makes a long run of "123 123 123 …" quadratic.
_NUM = (r"\d{1,2}(?:,\d{2}){1,4},\d{3}(?!\d)"  # Indian lakh grouping: "₹20,40,000"
        r"|\d{1,3}(?:[,.\u202f\u00a0]\d{3}){1,4}(?:[.,]\d{1,2})?(?!\d)"
        rf"|\d{{1,3}}(?: \d{{3}}){{1,3}}(?=\s?(?:[€£]|\b(?:{_CODES})\b))"
        r"|\d+(?:[.,]\d{1,2})?(?!\d)")
_SUFFIX = r"\s?[kK]|[mM][mn]?|[bB]n?|\s?(?:million|billion|trillion)"
# The end of a unit word: not followed by a lower-case letter ("per hourHours:" in flattened text still ends).
_END = r"(?-i:(?![a-z]))"
_AMOUNT = (rf"(?P<@cur1>{_CUR})?\s?(?P<@num>{_NUM})(?P<@k>(?:{_SUFFIX}){_END})?\+?"
           rf"(?P<@cur2>{_CUR_AFTER})?")
# A period between the two ends: "$25/hr - $30/hr", "$230,000/yr to $280,000/yr", "$55hr - $62hr".
_MID_PERIOD = (rf"(?P<aper>\s?/\s?(?:h|hr|hrs|hour|yr|year|annum|mo|month|day|wk|week){_END}\.?|\s?(?:hr|hour)s?{_END}\.?"
               rf"|\s(?:per|an?)\s(?:hour|year|month|day|week){_END})")
_CONNECTOR = r"\s*(?P<conn>-{1,2}|–|—|‒|−|~|\bto\b|\band\b|\bbis\b)\s*"
_SALARY = re.compile(
    _AMOUNT.replace("@", "a") + _MID_PERIOD + "?(?:" + _CONNECTOR + _AMOUNT.replace("@", "b") + ")?",
    re.IGNORECASE,
)
# Where a figure can start: a symbol or the first digit of a number. Scanning for these with a plain character
# class and matching `_SALARY` only there is ~20x faster than `_SALARY.finditer`, whose optional leading
# currency makes the engine try every alternative at every character of a description.
_START = re.compile(r"[$€£¥₹\d]")
_CODE_BEFORE = re.compile(rf"(?:\b(?P<code>{_CODES})\s?|(?<![A-Za-z])(?P<prefix>US|CA|CAD|AU|C|A))$", re.IGNORECASE)
_SCALE = {"k": 1_000, "m": 1_000_000, "mm": 1_000_000, "mn": 1_000_000, "million": 1_000_000,
          "b": 1_000_000_000, "bn": 1_000_000_000, "billion": 1_000_000_000, "trillion": 10**12}
_PERIODS_AFTER = (
    ("hour", re.compile(rf"^\W{{0,3}}(?:(?:/\s?h(?:rs?|our|ourly)?|per\s+hr|hrs?|p/h){_END}|per\s+hour|an?\s+hour|hourly)", re.I)),
    ("day", re.compile(r"^\W{0,3}(?:/\s?d(?:ay)?\b|per\s+day\b|a\s+day\b|daily\b|p/d\b|day rate\b)", re.I)),
    ("week", re.compile(r"^\W{0,3}(?:/\s?w(?:ee)?k\b|per\s+week\b|a\s+week\b|weekly\b|p/w\b)", re.I)),
    ("month", re.compile(r"^\W{0,3}(?:/\s?mo(?:nth)?\b|/\s?mth\b|per\s+month\b|a\s+month\b|monthly\b|p/m\b|pcm\b)", re.I)),
    ("year", re.compile(
        r"^\W{0,3}(?:/\s?y(?:ea)?r\b|/\s?annum\b|/\s?annual(?:ly)?\b|per\s+(?:year|annum|yr)\b|a\s+year\b"
        r"|annual(?:ly|ized)?\b|yearly\b|p\.?a\.?(?!\w)|pa\b|ote\b|base\b|brutto\b|gross\b|/\s?jahr\b|pro jahr\b"
        r"|salary\b)", re.I)),
)
_PERIODS_BEFORE = (
    ("hour", re.compile(r"\bhourly\b|\bper hour\b|\bhour(?:ly)? (?:rate|pay|wage)", re.I)),
    ("day", re.compile(r"\bday rate\b|\bdaily rate\b|\bper day\b", re.I)),
    ("month", re.compile(r"\bmonthly\b|\bper month\b", re.I)),
    ("year", re.compile(r"\bannual(?:ly|ized)?\b|\byearly\b|\bper (?:year|annum)\b|\bsalary\b|\bbase pay\b", re.I)),
)
_INTERVALS = {"per-year-salary": "year", "per-month-salary": "month", "per-week-salary": "week",
              "per-day-wage": "day", "per-hour-wage": "hour",
              **{period: period for period in PERIOD_HOURS}}  # adapters' `hints` (scraper/records.py)
# Words that make a figure pay when they stand shortly before it (or right after it).
_PAY_CONTEXT = re.compile(
    r"salar|compensation|\bpay\b|\bpaid\b|\bpaying\b|\bwages?\b|\brate\b|\bbase\b|\bote\b|on[- ]target|earnings|\bearn"
    r"|\bincome\b|\brange\b|\bband\b|gehalt|vergütung|brutto|salaire|rémunération",
    re.IGNORECASE,
)
# Money that is not pay: funding, revenue, budgets, bonuses, benefits ("raised $20M", "$5,000 sign-on bonus",
# "$50k life insurance", "$401K plan", "deal size of $35k-75k ARR").
_NOT_PAY_BEFORE = re.compile(
    r"\b(?:raised|raise|raising|funding|funded|valuation|valued at|revenues?|sales|assets|budgets?|bonus|stipend"
    r"|allowance|reimbursement|credits?|invested|investment|invest in|fundraising|worth|spend|spent|saves?|saved"
    r"|loans?|lent|deal size|arr|gmv|donat\w+|grants?|prizes?|fees?|deposit|valued|market of|industry|costs?|value)"
    r"\s*(?:of|up to|at|over|more than|nearly|about|around|approximately|exceeding|totall?ing|from|:)?"
    r"\s*(?:up to|over|more than|nearly|about|around|approximately|an? )?\s*$",
    re.IGNORECASE,
)
# Only money nouns: flattened text glues the next heading to a figure ("$55,000Company Vehicle", "$80,000Commission:"),
# so generic nouns are left out, and the nouns that are also headings count in lower case only.
_NOT_PAY_AFTER = re.compile(
    r"^\s*(?:(?:in|of|worth of)\s+(?:[a-z-]+\s+){0,2}?)?(?:(?:sign(?:ing)?[- ]?on|signing|referral|relocation|retention"
    r"|hiring|joining|performance|spot|holiday|employer[- ]funded|student loan|education|learning|wellness|home office)\s+)?"
    r"(?:bonus(?:es)?|stipends?|budgets?|credits?|allowances?|reimbursements?|(?:life\s+)?insurance|revenues?|sales"
    r"|arr|mrr|gmv|funding|financing|seed|series|valuation|deals?|loans?|assets|raised|rsus?|contributions?|prizes?"
    r"|awards?|fees?|deposits?|tuition|scholarships?|investments?|forgiveness|donations?"
    r"|(?-i:commissions?|equity|stock|match))\b"
    r"|^\s*\+?\s*(?:million|billion|trillion|mn|bn)\b",
    re.IGNORECASE,
)
# Right after a figure, these make it pay even without a pay word before it: "$250,000 + $750K equity".
_PAY_AFTER = re.compile(r"\s*(?:\+|plus|and)\s*(?:\$?[\d,.]+[kKmM]?\s*)?(?:equity|bonus|benefits|stock|commission)", re.I)


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
    if re.fullmatch(r"\d{1,2}(?:,\d{2})+,\d{3}", digits):
        return float(digits.replace(",", ""))
    grouped = re.fullmatch(r"(\d{1,3}(?:[., ]\d{3})+)(?:[.,](\d{1,2}))?", digits)
    if grouped:
        whole = re.sub(r"[., ]", "", grouped.group(1))
        return float(whole + ("." + grouped.group(2) if grouped.group(2) else ""))
    try:
        return float(digits.replace(",", "."))
    except ValueError:
        return None


def _currency(tokens: tuple[str | None, ...], before: str) -> str:
    for token in tokens:
        if not token:
            continue
        compact = token.replace(" ", "").upper()
        code = compact.rstrip("$€£¥₹") if compact[:3] in _CURRENCY_CODES else compact
        if code in _CURRENCY_CODES:
            return code
        if code == "CA$" and re.search(r",\s?$", before):
            return "USD"  # "San Francisco, CA$100,000": a state code glued to "$" in flattened text, not CAD
        if code in _SYMBOLS:
            return _SYMBOLS[code]
    return ""


def _period_after(after: str) -> str:
    for period, pattern in _PERIODS_AFTER:
        if pattern.search(after):
            return period
    return ""


def _period_before(before: str) -> tuple[str, bool]:
    """A period named just before the figure ("Hourly rate: $23"), and whether it is more than a "salary" word."""
    for period, pattern in _PERIODS_BEFORE:
        if pattern.search(before):
            return period, period != "year"
    return "", False


def make_salary(low: float, high: float, currency: str, period: str) -> Salary | None:
    """A Salary when the figures are plausible pay: low <= high (never swapped), annualized within bounds."""
    if not (math.isfinite(low) and math.isfinite(high)) or low <= 0 or high < low or period not in PERIOD_HOURS:
        return None
    factor = PERIOD_HOURS[period]
    annual_min, annual_max = low * factor, high * factor
    if annual_min < MIN_ANNUAL or annual_max > MAX_ANNUAL or high > 10 * low:
        return None
    return Salary(low, high, currency, period, annual_min, annual_max)


def _scale(number: float, suffix: str | None) -> float:
    unit = (suffix or "").strip().lower()
    if unit == "k" and number >= 1_000:
        return number  # "$100,000K" says the thousands twice
    return number * _SCALE.get(unit, 1)


def _candidate(match: re.Match[str], text: str, in_pay_text: bool) -> tuple[Salary, bool] | None:
    """The pay a match states, and whether it is self-evidently pay (a stated period, or a range with a
    currency or a k); None when it is no pay. `in_pay_text`: the whole text is about pay (a header, a pay field)."""
    g = match.groupdict()
    if not (g["bnum"] or g["acur1"] or g["acur2"]):
        return None  # a single figure without a currency (most numbers in a description) is never pay
    before = text[max(0, match.start() - 60):match.start()]
    after = text[match.end():match.end() + 40]
    if _NOT_PAY_BEFORE.search(before) or _NOT_PAY_AFTER.search(after):
        return None
    is_range = bool(g["bnum"])
    if is_range and g["conn"].lower() == "and" and not re.search(r"between\W*(?:\w+\W+){0,2}$", before, re.I):
        is_range = False  # "$2,500 … and $20,000": two figures, not a range; "between $X and $Y" is one
    if (g["anum"] == "401" or g["bnum"] == "401") and (g["ak"] or g["bk"] or "").strip().lower() == "k":
        return None  # a 401(k) retirement plan
    low = _number(g["anum"])
    high = _number(g["bnum"]) if is_range else low
    if low is None or high is None:
        return None
    a_unit, b_unit = g["ak"], g["bk"] if is_range else None
    if not a_unit and b_unit and low < 1000:
        a_unit = b_unit  # "£60-70k": the suffix covers both ends
    low, high = _scale(low, a_unit), _scale(high, b_unit if is_range else a_unit)
    if is_range and not a_unit and 0 < low < 1000 <= high and 1 <= high / (low * 1000) <= 2:
        low *= 1000  # "$110- $120,000"
    currency = _currency((g["acur1"], g["acur2"], g["bcur1"], g["bcur2"]) if is_range else
                         (g["acur1"], g["acur2"]), text[max(0, match.start() - 3):match.start()])
    period = _period_after(g["aper"]) if g["aper"] else ""
    tail = _period_after(after)
    if tail and (is_range or not period):
        period = tail  # "$25/hr - $30/hr", "$45,000 - $55,000 per year"
    stated_next_to_it = explicit = bool(period)
    if not period:
        period, explicit = _period_before(before)
    k_range = is_range and bool(g["ak"] or g["bk"])
    if not currency and not (k_range or (is_range and stated_next_to_it and (in_pay_text or _PAY_CONTEXT.search(before)))):
        return None  # "3-5 years", "10k users", "2026", "(415) 865-4260": figures without a currency are not pay
    if not period and max(low, high) >= MIN_ANNUAL:
        period = "year"  # a bare "$150k-$190k" is a yearly figure
    salary = make_salary(low, high, currency, period)
    if salary is None:
        return None
    return salary, explicit or (is_range and bool(currency)) or k_range


def _figures(text: str):
    """`_SALARY` matches in `text`, left to right, not overlapping (what `finditer` gives, found faster)."""
    end = 0
    for start in _START.finditer(text):
        pos = start.start()
        if pos < end or (text[pos].isdigit() and pos and (text[pos - 1].isdigit() or text[pos - 1] in ".,")):
            continue
        code = _CODE_BEFORE.search(text, max(end, pos - 5), pos)  # "USD 150,000", "CA$100,000"
        if code and not (code.group("code") or text[pos] == "$"):
            code = None
        match = (code and _SALARY.match(text, code.start())) or _SALARY.match(text, pos)
        if match:
            end = match.end()
            yield match


def parse_salary(text: str) -> Salary | None:
    """The first plausible pay figure in a text that is about pay (a header line, a pay field), or None.
    Never raises.

    "$150k–$200k" -> 150000..200000 USD/year; "120.000 € p.a." -> 120000 EUR/year;
    "£60-70k + equity" -> 60000..70000 GBP/year; "$80/hr" -> 80 USD/hour (166400 a year).
    """
    if not isinstance(text, str) or not re.search(r"\d", text):
        return None
    for match in _figures(text[:20_000]):
        found = _candidate(match, text, in_pay_text=True)
        if found:
            return found[0]
    return None


def structured_salary(hints: Mapping[str, str]) -> Salary | None:
    """Lever's `salaryRange` or Greenhouse's pay-transparency widget."""
    if "salary_min" in hints:
        try:
            low, high = float(hints["salary_min"]), float(hints.get("salary_max", hints["salary_min"]))
        except ValueError:
            return None
        period = _INTERVALS.get(hints.get("salary_interval", "").lower(), "year" if low >= MIN_ANNUAL else "")
        return make_salary(low, high, hints.get("salary_currency", "").upper(), period)
    if "pay_range" in hints:
        return parse_salary(hints["pay_range"])
    return None


_MAX_FIGURES = 2_000  # real descriptions hold under 200 figures; this bounds the time on a pathological one


def text_salary(description: str, header: str = "") -> Salary | None:
    """Pay stated in prose: HN's header line, else the first figure in the description that is pay.

    A figure in prose counts when it is self-evidently pay (a stated period, a range with a currency)
    or when words about pay stand shortly before it ("Salary Range:\\n$140,000 - $170,000"); the
    description is read as a whole because flattened text ("…CA$100,000-$120,000The Company…") has no lines.
    """
    found = parse_salary(header) if header else None
    if found:
        return found
    text = str(description or "")[:100_000]
    if not re.search(r"\d", text):
        return None
    looked_at = 0
    for match in _figures(text):
        looked_at += 1
        if looked_at > _MAX_FIGURES:
            break
        candidate = _candidate(match, text, in_pay_text=False)
        if candidate is None:
            continue
        salary, evident = candidate
        if (evident or _PAY_CONTEXT.search(text[max(0, match.start() - 150):match.start()])
                or _PAY_AFTER.match(text, match.end(), match.end() + 40)):
            return salary
    return None
