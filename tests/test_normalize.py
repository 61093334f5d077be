"""Normalization: titles, role families, seniority, employment type, location, salary."""
from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import columns as c
from pipeline.clean import clean_postings, raw_frame
from pipeline.normalize import (
    PERIOD_HOURS, Location, employment_type, make_salary, normalize_postings, normalize_title, parse_location,
    parse_salary, payload_hints, place_in_text, role_family, seniority, structured_salary, text_salary,
)
from pipeline.process import build_tables
from pipeline.skills import load_taxonomy
from tests.conftest import REPO


# --- titles -----------------------------------------------------------------------------------

@pytest.mark.parametrize("title, expected", [
    ("Sr. ML Engineer (Remote)", "senior machine learning engineer"),
    ("  Machine Learning   Engineer ", "machine learning engineer"),
    ("ML Engineer - Remote", "machine learning engineer"),
    ("NLP Engineer", "natural language processing engineer"),
    ("Data Scientist, Machine Learning", "data scientist, machine learning"),
    ("AI/ML Engineer", "ai/machine learning engineer"),
    ("Jr Data Analyst [Contract]", "junior data analyst"),
    ("ML Engineer (m/f/d)", "machine learning engineer"),
    ("Software Engineer (ML Platform)", "software engineer machine learning platform"),  # the specialty stays
    ("Artificial Intelligence Engineer", "ai engineer"),
])
def test_normalize_title(title, expected):
    assert normalize_title(title) == expected


@pytest.mark.parametrize("title, family", [
    ("Machine Learning Engineer", "ml_engineer"),
    ("Senior ML Engineer, Ranking", "ml_engineer"),
    ("AI/ML Engineer", "ml_engineer"),
    ("Computer Vision Engineer", "ml_engineer"),
    ("NLP Engineer", "ml_engineer"),
    ("Data Scientist", "data_scientist"),
    ("Data Scientist, Machine Learning", "data_scientist"),
    ("Research Scientist, Language Models", "research_scientist"),
    ("Research Engineer, Pretraining", "research_scientist"),
    ("Applied Scientist, Search", "applied_scientist"),
    ("Senior ML Platform Engineer", "mlops"),
    ("MLOps Engineer", "mlops"),
    ("ML Infrastructure Engineer", "mlops"),
    ("AI Engineer, Agents", "ai_engineer"),
    ("LLM Applications Engineer", "ai_engineer"),
    ("Senior Data Engineer", "data_engineer"),
    ("Analytics Engineer", "data_engineer"),
    ("Business Intelligence Analyst", "analyst"),
    ("Data Analyst", "analyst"),
    ("Account Executive, Enterprise", "other"),
    ("Software Engineer, AI", "ai_engineer"),
    ("Software Engineer (ML Platform)", "mlops"),
    ("Big Data Developer", "data_engineer"),
    ("Account Executive, Mid-Market", "other"),
    ("Frontend Engineer", "other"),
    ("Paralegal", "other"),
])
def test_role_family(title, family):
    assert role_family(title) == family
    assert family in c.ROLE_FAMILIES


@pytest.mark.parametrize("title, level", [
    ("Machine Learning Intern", "intern"),
    ("Data Scientist I", "junior"),
    ("Junior Data Analyst", "junior"),
    ("Data Scientist II", "mid"),
    ("Sr. Machine Learning Engineer", "senior"),
    ("Senior Applied Scientist", "senior"),
    ("Lead Data Scientist", "lead"),
    ("Staff Machine Learning Engineer", "staff"),
    ("Principal Research Scientist", "principal"),
    ("Engineering Manager, ML", "manager"),
    ("Director of Data Science", "director"),
    ("Head of AI", "director"),
    ("VP, Machine Learning", "director"),
    ("Product Manager", "unknown"),
    ("Account Executive, Mid-Market", "unknown"),  # a job title, not a management level
    ("Machine Learning Engineer", "unknown"),
])
def test_seniority(title, level):
    assert seniority(title) == level
    assert level in c.SENIORITY_LEVELS


@pytest.mark.parametrize("hint, title, text, kind", [
    ("Full-time", "ML Engineer", "", "full_time"),
    ("Full Time - Salaried", "ML Engineer", "", "full_time"),
    ("Part-time", "", "", "part_time"),
    ("Contractor", "", "", "contract"),
    ("Intern", "", "", "internship"),
    ("", "Machine Learning Intern (Summer 2026)", "", "internship"),
    ("", "ML Engineer", "Acme | ML Engineer | Berlin | ONSITE | Contract | €600/day", "contract"),
    ("", "ML Engineer", "Acme | ML Engineer | REMOTE | Full-time | $150k-$190k", "full_time"),
    ("", "ML Engineer", "", "unknown"),
])
def test_employment_type(hint, title, text, kind):
    assert employment_type(hint, title, text) == kind
    assert kind in c.EMPLOYMENT_TYPES


# --- location ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text, hint, expected", [
    ("San Francisco, CA", "", Location("San Francisco", "CA", "US")),
    ("San Francisco, CA, US", "", Location("San Francisco", "CA", "US")),
    ("Hybrid - New York, NY", "", Location("New York", "NY", "US")),
    ("Albuquerque, NM", "", Location("Albuquerque", "NM", "US")),
    ("Wilmington, DE", "", Location("Wilmington", "DE", "US")),
    ("Berlin, DE", "", Location("Berlin", "", "DE")),
    ("Berlin, Germany", "", Location("Berlin", "", "DE")),
    ("Toronto, ON", "", Location("Toronto", "ON", "CA")),
    ("Toronto, Canada", "", Location("Toronto", "ON", "CA")),
    ("London, UK or Remote", "", Location("London", "", "GB")),
    ("Amsterdam", "", Location("Amsterdam", "", "NL")),
    ("SF Bay Area", "", Location("San Francisco", "CA", "US")),
    ("Remote - US", "", Location("", "", "US")),
    ("Remote (US)", "", Location("", "", "US")),
    ("Remote (EU)", "", Location()),
    ("Remote - Europe", "DE", Location("", "", "DE")),  # Lever's structured country
    ("Remote - North America", "us", Location("", "", "US")),
    ("London, UK", "US", Location("", "", "US")),  # structured field wins; the text city is dropped with it
    ("San Francisco Bay Area", "", Location("San Francisco", "CA", "US")),
    ("Greater Seattle Area", "", Location("Seattle", "WA", "US")),
    ("San Diego, California", "", Location("San Diego", "CA", "US")),
    ("Virginia", "", Location("", "VA", "US")),
    ("", "", Location()),
])
def test_parse_location(text, hint, expected):
    assert parse_location(text, hint) == expected


def test_place_in_sentence_header():
    line = "Iris Labs is hiring a Technical Recruiter in Austin, TX (onsite). Salary $135k–$195k + equity."
    assert place_in_text(line) == Location("Austin", "TX", "US")
    assert place_in_text("Acme is hiring in Berlin, Germany (hybrid).") == Location("Berlin", "", "DE")
    assert place_in_text("We are hiring in General Engineering.") == Location()


# --- salary -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, low, high, currency, period, annual_low, annual_high", [
    # the four
    ("$150k–$200k", 150_000, 200_000, "USD", "year", 150_000, 200_000),
    ("120.000 € p.a.", 120_000, 120_000, "EUR", "year", 120_000, 120_000),
    ("£60-70k + equity", 60_000, 70_000, "GBP", "year", 60_000, 70_000),
    ("$80/hr", 80, 80, "USD", "hour", 166_400, 166_400),
    # more from the wild
    ("Annual base salary: $180,000 — $240,000 USD", 180_000, 240_000, "USD", "year", 180_000, 240_000),
    ("USD 120,000 to 150,000 per year", 120_000, 150_000, "USD", "year", 120_000, 150_000),
    ("€55.000 - €70.000", 55_000, 70_000, "EUR", "year", 55_000, 70_000),
    ("Compensation: 90.000 - 110.000 EUR brutto/Jahr", 90_000, 110_000, "EUR", "year", 90_000, 110_000),
    ("C$195k–C$260k", 195_000, 260_000, "CAD", "year", 195_000, 260_000),
    ("$120K - $150K/yr", 120_000, 150_000, "USD", "year", 120_000, 150_000),
    ("$45-$60 per hour", 45, 60, "USD", "hour", 93_600, 124_800),
    ("$15.50/hour", 15.5, 15.5, "USD", "hour", 32_240, 32_240),
    ("£500/day outside IR35", 500, 500, "GBP", "day", 130_000, 130_000),
    ("€1.5k/week", 1_500, 1_500, "EUR", "week", 78_000, 78_000),
    ("$8,000/month", 8_000, 8_000, "USD", "month", 96_000, 96_000),
    ("150k-190k", 150_000, 190_000, "", "year", 150_000, 190_000),
])
def test_parse_salary_real_strings(text, low, high, currency, period, annual_low, annual_high):
    salary = parse_salary(text)
    assert salary is not None, text
    assert (salary.min, salary.max, salary.currency, salary.period) == (low, high, currency, period)
    assert (salary.annual_min, salary.annual_max) == pytest.approx((annual_low, annual_high))


@pytest.mark.parametrize("text", [
    "3-5 years of experience", "10k+ users", "We raised $10M from great investors", "$5,000 signing bonus",
    "401(k) with a 4% match", "Learning and conference budget of EUR 2,000 a year", "$200k-$150k", "", "2026",
])
def test_parse_salary_rejects_non_pay(text):
    assert parse_salary(text) is None


def test_structured_salary_from_lever_and_greenhouse_hints():
    lever = structured_salary({"salary_min": "170000", "salary_max": "230000", "salary_currency": "usd",
                               "salary_interval": "per-year-salary"})
    assert (lever.min, lever.max, lever.currency, lever.period) == (170_000, 230_000, "USD", "year")
    hourly = structured_salary({"salary_min": "40", "salary_max": "55", "salary_currency": "USD",
                                "salary_interval": "per-hour-wage"})
    assert (hourly.period, hourly.annual_min) == ("hour", 40 * 2080)
    swapped = structured_salary({"salary_min": "230000", "salary_max": "170000", "salary_currency": "USD",
                                 "salary_interval": "per-year-salary"})
    assert swapped is None  # never swapped into a range nobody stated
    greenhouse = structured_salary({"pay_range": "Annual base salary: £105,000 — £140,000 GBP"})
    assert (greenhouse.min, greenhouse.max, greenhouse.currency) == (105_000, 140_000, "GBP")


def test_text_salary_reads_only_lines_about_pay():
    description = "We have 10k customers.\nLearning budget of $2,000.\nThe base salary range is $140,000-$180,000."
    found = text_salary(description)
    assert (found.min, found.max) == (140_000, 180_000)
    assert text_salary("Offices in 3 cities; founded 2019; $50M raised.") is None
    header = "Acme (YC W22) | ML Engineer | SF | ONSITE | Full-time | $150k-$190k + equity"
    assert text_salary("", header).max == 190_000


amounts = st.one_of(st.integers(0, 2_000_000).map(str), st.integers(0, 999).map(lambda n: f"{n}k"),
                    st.integers(0, 999_999).map(lambda n: f"{n:,}"), st.integers(0, 999_999).map(lambda n: f"{n:,}".replace(",", ".")),
                    st.floats(0, 500, allow_nan=False).map(lambda x: f"{x:.2f}"))
symbols = st.sampled_from(["", "$", "€", "£", "C$", "USD ", "EUR ", " GBP", " €"])
dashes = st.sampled_from(["-", " - ", "–", "—", " to ", ""])
periods = st.sampled_from(["", "/hr", " per hour", "/day", " per week", "/month", " p.a.", " per annum", "/yr",
                           " a year", " + equity", " hourly"])


@st.composite
def salary_strings(draw):
    left = draw(symbols) + draw(amounts)
    dash = draw(dashes)
    right = (draw(symbols) + draw(amounts)) if dash else ""
    return draw(st.text(max_size=15)) + left + dash + right + draw(periods) + draw(st.text(max_size=15))


@settings(max_examples=400, deadline=None)
@given(st.one_of(salary_strings(), st.text(max_size=80)))
def test_parse_salary_properties(text):
    salary = parse_salary(text)  # never raises
    if salary is None:
        return
    assert 0 < salary.min <= salary.max
    assert salary.period in c.SALARY_PERIODS
    factor = PERIOD_HOURS[salary.period]
    assert salary.annual_min == pytest.approx(salary.min * factor)
    assert salary.annual_max == pytest.approx(salary.max * factor)
    assert salary.annual_min <= salary.annual_max
    if salary.period != "year":
        assert salary.annual_min >= salary.min  # annualizing never shrinks a figure
    assert 10_000 <= salary.annual_min and salary.annual_max <= 5_000_000


@settings(max_examples=200, deadline=None)
@given(st.floats(-1e7, 1e7), st.floats(-1e7, 1e7), st.sampled_from(c.SALARY_PERIODS + ("", "fortnight")))
def test_make_salary_never_swaps(low, high, period):
    salary = make_salary(low, high, "USD", period)
    if salary is not None:
        assert (salary.min, salary.max) == (low, high)
        assert low <= high


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=60), st.text(max_size=4))
def test_parse_location_never_raises(text, hint):
    place = parse_location(text, hint)
    assert place.country == "" or len(place.country) == 2


# --- hints and the stage ----------------------------------------------------------------------

LEVER_PAYLOAD = {
    "id": "abc", "text": "Senior ML Engineer", "country": "US", "workplaceType": "hybrid",
    "categories": {"commitment": "Full Time - Salaried", "location": "Seattle, WA"},
    "salaryRange": {"currency": "USD", "interval": "per-year-salary", "min": 180000, "max": 240000},
}
GREENHOUSE_PAYLOAD = {
    "id": 1, "location": {"name": "London, UK or Remote"},
    "metadata": [{"id": 4118221, "name": "Employment Type", "value": "Full-time", "value_type": "single_select"}],
    "content": ("&lt;p&gt;Build models.&lt;/p&gt;&lt;div class=&quot;content-pay-transparency&quot;&gt;&lt;div "
                "class=&quot;pay-input&quot;&gt;&lt;div class=&quot;title&quot;&gt;Annual base salary&lt;/div&gt;"
                "&lt;div class=&quot;pay-range&quot;&gt;&lt;span&gt;£105,000&lt;/span&gt;&lt;span class=&quot;"
                "divider&quot;&gt;&amp;mdash;&lt;/span&gt;&lt;span&gt;£140,000 GBP&lt;/span&gt;&lt;/div&gt;"
                "&lt;/div&gt;&lt;/div&gt;"),
}
HN_PAYLOAD = {"id": 9, "text": "<p>Acme (YC W22) | ML Engineer | Berlin, Germany | ONSITE | Contract | €600/day"
                               "</p><p>We build things.</p>"}


def test_payload_hints_per_source():
    assert payload_hints("lever", LEVER_PAYLOAD) == {
        "employment": "Full Time - Salaried", "country": "US", "salary_min": "180000", "salary_max": "240000",
        "salary_currency": "USD", "salary_interval": "per-year-salary",
    }
    assert payload_hints("greenhouse", GREENHOUSE_PAYLOAD) == {
        "employment": "Full-time", "pay_range": "Annual base salary: £105,000 — £140,000 GBP",
    }
    assert payload_hints("hn", HN_PAYLOAD) == {
        "header": "Acme (YC W22) | ML Engineer | Berlin, Germany | ONSITE | Contract | €600/day",
    }
    assert payload_hints("lever", None) == {}
    assert payload_hints("greenhouse", {"metadata": "junk", "content": None}) == {}


def _raw(kind, payload, **over):
    row = {
        "source": kind, "source_kind": kind, "source_id": str(payload["id"]), "url": "https://x",
        "title": "Senior ML Engineer", "company": "Acme", "location": "", "posted_at": "2026-03-04T10:00:00+00:00",
        "description_html": "<p>Build models.</p>", "description_text": "", "remote_hint": "",
        "fetched_at": "2026-03-05T00:00:00+00:00", "payload": payload,
    }
    row.update(over)
    return row


def test_normalize_postings_prefers_structured_hints():
    raw = raw_frame([
        _raw("lever", LEVER_PAYLOAD, location="Seattle, WA"),
        _raw("greenhouse", GREENHOUSE_PAYLOAD, location="London, UK or Remote", title="Data Scientist"),
        _raw("hn", HN_PAYLOAD, title="ML Engineer", location="Berlin, Germany"),
        _raw("hn", {"id": 10, "text": "<p>Beta | Office Manager | NYC</p>"}, title="Office Manager", location="NYC",
             description_html="<p>Beta | Office Manager | NYC</p><p>Pay: $70,000 - $85,000 a year.</p>"),
    ])
    out = normalize_postings(clean_postings(raw)).set_index(c.SOURCE_ID)
    lever, gh, hn, prose = out.loc["abc"], out.loc["1"], out.loc["9"], out.loc["10"]
    assert (lever[c.ROLE_FAMILY], lever[c.SENIORITY], lever[c.EMPLOYMENT_TYPE]) == ("ml_engineer", "senior", "full_time")
    assert (lever[c.CITY], lever[c.REGION], lever[c.COUNTRY]) == ("Seattle", "WA", "US")
    assert (lever[c.SALARY_MIN], lever[c.SALARY_MAX], lever[c.SALARY_SOURCE]) == (180_000, 240_000, "structured")
    assert (gh[c.COUNTRY], gh[c.SALARY_CURRENCY], gh[c.SALARY_SOURCE], gh[c.ROLE_FAMILY]) == (
        "GB", "GBP", "structured", "data_scientist")
    assert (hn[c.EMPLOYMENT_TYPE], hn[c.SALARY_PERIOD], hn[c.SALARY_ANNUAL_MIN], hn[c.SALARY_SOURCE]) == (
        "contract", "day", 600 * 260, "text")
    assert (prose[c.SALARY_MIN], prose[c.SALARY_SOURCE], prose[c.CITY], prose[c.ROLE_FAMILY]) == (
        70_000, "text", "New York", "other")


def test_normalize_postings_without_hints_or_rows():
    bare = pd.DataFrame({c.TITLE: ["Data Scientist"], c.LOCATION: ["Boston, MA"], c.DESCRIPTION: [""]})
    row = normalize_postings(bare).iloc[0]
    assert (row[c.ROLE_FAMILY], row[c.COUNTRY], row[c.SALARY_SOURCE]) == ("data_scientist", "US", "")
    assert math.isnan(row[c.SALARY_MIN])
    empty = normalize_postings(pd.DataFrame({c.TITLE: [], c.LOCATION: [], c.DESCRIPTION: []}))
    assert set(c.NORMALIZED_COLUMNS) <= set(empty.columns)


def test_build_tables_writes_normalized_columns():
    taxonomy = load_taxonomy(REPO / "config" / "skills.yaml")
    raw = raw_frame([_raw("lever", LEVER_PAYLOAD, location="Seattle, WA"),
                     _raw("hn", HN_PAYLOAD, title="ML Engineer", location="Berlin, Germany")])
    postings = build_tables(raw, taxonomy)["postings"]
    assert list(postings.columns) == list(c.POSTINGS_COLUMNS)
    assert set(c.NORMALIZED_COLUMNS) <= set(postings.columns)
    assert c.HINTS not in postings.columns
    assert postings[c.SALARY_ANNUAL_MIN].dtype == "float64"
    assert sorted(postings[c.COUNTRY]) == ["DE", "US"]
