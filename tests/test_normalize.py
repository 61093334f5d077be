"""Normalization: titles, role families, seniority, employment type, location, salary."""
from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import columns as c
from pipeline.clean import clean_postings, raw_frame
from pipeline.location import Location, parse_location, place_in_text
from pipeline.normalize import employment_type, normalize_postings, normalize_title, payload_hints, role_family, seniority
from pipeline.salary import PERIOD_HOURS, make_salary, parse_salary, structured_salary, text_salary
from pipeline.process import build_tables
from pipeline.skills import load_taxonomy
from tests.conftest import FIXTURES, REPO


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
    # from the real postings
    ("Data Scientists", "data_scientist"),
    ("Data Engineer (Machine Learning)", "data_engineer"),  # as "Data Scientist, Machine Learning" is data science
    ("Big Data Analyst", "analyst"),
    ("Senior Software Engineer - Big Data", "data_engineer"),
    ("Director, Data & Analytics", "analyst"),
    ("Data Analytics Instructor", "other"),
    ("Senior Manager, Analyst Relations", "other"),
    ("UX Researcher, Digital Marketing", "other"),
    ("Research Scientist, Immunology - Cancer Biology", "other"),  # lab science, not ML research
    ("Research Scientist, Machine Learning Department", "research_scientist"),
    ("Software Engineer, NLU & Agentic AI", "ml_engineer"),
    ("Software Engineer, New Grads 2024 - Perception", "ml_engineer"),
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
    # from the real postings
    ("Senior Manager, Analyst Relations", "manager"),
    ("Manager, Data Science", "manager"),
    ("Product Manager, Data and Analytics", "unknown"),  # a job, though next to "data"
    ("Senior Scientific Project Manager - Genomics", "senior"),
    ("Clinical Data Manager", "unknown"),
    ("Staff Accountant", "unknown"),  # "staff" is a level only for technical roles
    ("Staff Scientist", "staff"),
    ("Client Service Associate / Practice Manager", "unknown"),  # "associate" as a job, not a level
    ("Associate Data Scientist", "junior"),
    ("Pole Remediation Analyst 2", "mid"),
    ("Research Data Analyst 3", "senior"),
    ("Engineer 2-3, Big Data", "unknown"),
    ("ML Engineer (L5) - Ads Platform Engineering", "senior"),
    ("AVP, Data & Analytics", "director"),
    ("Assistant Principal - Jydstrup ES", "unknown"),
    ("Dir / Sr Dir SaaS Development", "director"),
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
    ("", "Data Analytics Senior Consultant", "", "unknown"),  # a consultant is a job, not a contract
    ("", "Data Scientist / ML Engineer - No C2C", "", "unknown"),
    ("", "Data Scientist (Contract to Hire)", "", "contract"),
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
    # real strings (LinkedIn, Glassdoor, Greenhouse, Lever, HN)
    ("New York, NY", "", Location("New York", "NY", "US")),
    ("Toronto, ON, Canada", "", Location("Toronto", "ON", "CA")),
    ("London, England, United Kingdom", "", Location("London", "", "GB")),
    ("Bengaluru, Karnataka, India", "", Location("Bengaluru", "Karnataka", "IN")),  # region as written outside US/CA
    ("United States", "", Location("", "", "US")),
    ("Hybrid - Seattle, WA", "", Location("Seattle", "WA", "US")),
    ("North Carolina, United States", "", Location("", "NC", "US")),
    ("Oklahoma City, OK", "", Location("Oklahoma City", "OK", "US")),  # OK is Oklahoma, not "remote OK"
    ("Santa Monica, US-CA", "", Location("Santa Monica", "CA", "US")),
    ("1825 South Grant St Suite 350, San Mateo, CA 94402, US", "", Location("San Mateo", "CA", "US")),
    ("455 County Center, Redwood City, California 94063", "", Location("Redwood City", "CA", "US")),
    ("Ontario, CA, US", "", Location("Ontario", "CA", "US")),  # the city of Ontario, California
    ("Amsterdam, NY", "", Location("Amsterdam", "NY", "US")),
    ("Perth, WA, Australia", "", Location("Perth", "", "AU")),
    ("Washington DC-Baltimore Area", "", Location("Washington", "DC", "US")),
    ("Dallas-Fort Worth Metroplex", "", Location("Dallas", "TX", "US")),
    ("Columbus, Ohio Metropolitan Area", "", Location("Columbus", "OH", "US")),
    ("Juncos, PR", "", Location("Juncos", "PR", "US")),
    ("Tokyo - Japan", "", Location("Tokyo", "", "JP")),
    ("HQ - San Francisco", "", Location("San Francisco", "CA", "US")),
    ("United States - Remote", "", Location("", "", "US")),
    ("Remote- Asia Pacific ", "", Location()),
    ("Remote, Bangalore", "", Location("Bengaluru", "", "IN")),
    ("Zürich, Switzerland", "", Location("Zurich", "", "CH")),
    ("Portland, OR - Rails Developer - Kongregate", "", Location("Portland", "OR", "US")),  # OR is Oregon
    ("Vienna, Austria or Remote: Performance Engineer", "", Location("Vienna", "", "AT")),
    ("engineering, computational geometry and distributed systems", "", Location()),  # no place in it
    ("Bombay, MH", "IN", Location("Bombay", "MH", "IN")),  # Lever: country IN, the text's city kept
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
    # the list and what the real postings showed
    ("$150,000 - $200,000", 150_000, 200_000, "USD", "year", 150_000, 200_000),
    ("USD 150,000–200,000", 150_000, 200_000, "USD", "year", 150_000, 200_000),
    ("€120.000–€140.000", 120_000, 140_000, "EUR", "year", 120_000, 140_000),
    ("$45 - $60 per hour", 45, 60, "USD", "hour", 93_600, 124_800),
    ("CAD 90k", 90_000, 90_000, "CAD", "year", 90_000, 90_000),
    ("$150k to $200k", 150_000, 200_000, "USD", "year", 150_000, 200_000),
    ("is between $160,000 and $180,000.", 160_000, 180_000, "USD", "year", 160_000, 180_000),
    ("$135,200 -- $250,900 annually", 135_200, 250_900, "USD", "year", 135_200, 250_900),
    ("$170,112 ~ $237,000", 170_112, 237_000, "USD", "year", 170_112, 237_000),
    ("$25/hr - $30/hr", 25, 30, "USD", "hour", 52_000, 62_400),
    ("$230,000/yr to $280,000/yr", 230_000, 280_000, "USD", "year", 230_000, 280_000),
    ("Pay Range $55hr - $62hr", 55, 62, "USD", "hour", 114_400, 128_960),
    ("$110- $120,000", 110_000, 120_000, "USD", "year", 110_000, 120_000),
    ("$100,000K - $464,000", 100_000, 464_000, "USD", "year", 100_000, 464_000),
    ("Zone A: USD $198,000 - USD $297,000", 198_000, 297_000, "USD", "year", 198_000, 297_000),
    ("$ 152,000 - $ 175,000", 152_000, 175_000, "USD", "year", 152_000, 175_000),
    ("200k$-$250k + Bonus", 200_000, 250_000, "USD", "year", 200_000, 250_000),
    ("₹20,40,000 - ₹33,55,200 per annum", 2_040_000, 3_355_200, "INR", "year", 2_040_000, 3_355_200),
    ("120 000 € brut par an", 120_000, 120_000, "EUR", "year", 120_000, 120_000),
    ("Salary: Hourly $23.58", 23.58, 23.58, "USD", "hour", 49_046.4, 49_046.4),
    ("paying between $23-28/hourly depending on experience", 23, 28, "USD", "hour", 47_840, 58_240),
    ("Rate: $20 per hourHours: Scheduled", 20, 20, "USD", "hour", 41_600, 41_600),  # flattened text
    ("Competitive salary: $50-55KComprehensive benefits", 50_000, 55_000, "USD", "year", 50_000, 55_000),
    ("Salary range\n\n120.000 - 150.000 yearly, stock options", 120_000, 150_000, "", "year", 120_000, 150_000),
    ("The pay rate range is 55 to 75+/hr to start", 55, 75, "", "hour", 114_400, 156_000),
])
def test_parse_salary_real_strings(text, low, high, currency, period, annual_low, annual_high):
    salary = parse_salary(text)
    assert salary is not None, text
    assert (salary.min, salary.max, salary.currency, salary.period) == (low, high, currency, period)
    assert (salary.annual_min, salary.annual_max) == pytest.approx((annual_low, annual_high))


@pytest.mark.parametrize("text", [
    "3-5 years of experience", "10k+ users", "We raised $10M from great investors", "$5,000 signing bonus",
    "401(k) with a 4% match", "Learning and conference budget of EUR 2,000 a year", "$200k-$150k", "", "2026",
    # from the real postings: benefits, funding, revenue, years, phone numbers
    "Standard Healthcare + Medical + Dental & $401K plan", "401k with matching", "raised $20 million in Series B",
    "Series B", "We raised $5M funding", "Seed with $120M valuation", "Founded in 2016, 2019-2024",
    "Human Resources at (415) 865-4260.", "$10,000 SIGN-ON BONUS", "Free $50k life insurance",
    "generating $50k+ in sales per month", "deal size of $35k-75k ARR", "$1,000,000 commission cap",
    "operating revenue of $600,000 or higher annual revenue", "Each magazine can generate $500,000 in print advertising revenue",
    "receive the $1000 referral bonus", "Kneel – Occasionally (10-20 times per hour).", "budgets ranging between $75 million - $150 million",
    "MAX BILL RATE: $65",  # no period stated: not recorded as pay
    "Environmental Data Specialist Atlanta, GA $100,000- $75,000",  # stated high–low: dropped, never swapped
])
def test_parse_salary_rejects_non_pay(text):
    assert parse_salary(text) is None
    assert text_salary(text) is None


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


@pytest.mark.parametrize("description, expected", [
    # the figure on the line after its heading
    ("Annual Base Salary Range (SF/NY Hub):\n\n$149,000—$350,000 USD\n\nAt Figma we celebrate", (149_000, 350_000, "USD")),
    # flattened LinkedIn text: "CA$" is California glued to "$", not Canadian dollars
    ("DATA SCIENTIST- (Contract to Hire)Oakland, CA$100,000-$120,000THE COMPANYA leading", (100_000, 120_000, "USD")),
    ("Canadian Residents: CA$100,000-$165,600/year", (100_000, 165_600, "CAD")),
    # benefits and funding before the pay are skipped, the pay is found
    ("Raised over $6M from investors.\n$0→3M ARR.\nCompensationThe expected range of compensation for this role is "
     "$200,000+.", (200_000, 200_000, "USD")),
    ("Standard Healthcare + Dental & $401K plan. Salary: $80,000 - $100,000", (80_000, 100_000, "USD")),
    ("Senior ML Engineer\n\n$250,000 + $750K equity (4 year vest)", (250_000, 250_000, "USD")),
    ("Additional bonuses up to $2000$15-17 an hour up to 20 hours a week", (15, 17, "USD")),  # "$" opens the next figure
    ("2 hours of clinical supervision each week, which could cost up to $14,000 a year.", None),
    # a figure with no pay words near it and no period is not pay
    ("Our customers process $150,000 every minute.", None),
])
def test_text_salary_in_real_descriptions(description, expected):
    found = text_salary(description)
    assert (found and (found.min, found.max, found.currency)) == expected


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
    _assert_salary_invariants(salary)
    if salary.period != "year":
        assert salary.annual_min >= salary.min  # annualizing never shrinks a figure


def _assert_salary_invariants(salary):
    assert 0 < salary.min <= salary.max
    assert salary.period in c.SALARY_PERIODS
    factor = PERIOD_HOURS[salary.period]
    assert salary.annual_min == pytest.approx(salary.min * factor)
    assert salary.annual_max == pytest.approx(salary.max * factor)
    assert 10_000 <= salary.annual_min <= salary.annual_max <= 5_000_000
    assert salary.max <= 10 * salary.min


prose = st.sampled_from(["", "Salary: ", "The pay range for this role is ", "raised ", "Benefits: ", "Pay\n\n",
                         "Oakland, CA", "between ", "Hourly rate ", "In 2024, "])
tails = st.sampled_from(["", " + equity", " DOE", " signing bonus", " in funding", " ARR", "Benefits", "\nAbout us",
                         " per hourwork hours", " million", " annually", "/yr"])


@settings(max_examples=400, deadline=None)
@given(prose, salary_strings(), tails, st.text(max_size=40))
def test_text_salary_properties(before, figure, after, noise):
    """Whatever the prose around a figure, a salary found keeps the invariants; nothing raises."""
    for text in (before + figure + after, noise + before + figure + after + noise):
        salary = text_salary(text)
        if salary is not None:
            _assert_salary_invariants(salary)


@settings(max_examples=300, deadline=None)
@given(st.integers(20_000, 400_000), st.integers(20_000, 400_000), st.sampled_from(["-", " - ", "–", " — ", " to ", "--", " ~ "]),
       st.sampled_from(["$", "USD ", "€", "£"]), st.booleans())
def test_yearly_range_is_read_as_stated_and_never_swapped(low, high, dash, symbol, thousands_k):
    def figure(n):
        return f"{symbol}{n // 1000}k" if thousands_k else f"{symbol}{n:,}"
    low, high = (low // 1000 * 1000, high // 1000 * 1000) if thousands_k else (low, high)
    salary = parse_salary(f"{figure(low)}{dash}{figure(high)}")
    if low <= high <= 10 * low:
        assert (salary.min, salary.max, salary.period) == (low, high, "year")
        assert salary.currency == {"$": "USD", "USD ": "USD", "€": "EUR", "£": "GBP"}[symbol]
    else:
        assert salary is None  # high–low is dropped, never swapped into a range nobody stated


@settings(max_examples=200, deadline=None)
@given(st.integers(8, 400), st.integers(8, 400), st.sampled_from(["/hr", " per hour", "/hour", " an hour", "/h"]))
def test_hourly_range_is_read_as_stated_and_never_swapped(low, high, period):
    salary = parse_salary(f"${low} - ${high}{period}")
    if low <= high <= 10 * low:
        assert (salary.min, salary.max, salary.period, salary.annual_max) == (low, high, "hour", high * 2080)
    else:
        assert salary is None


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


# --- accuracy on hand-checked real postings -----------------------------------------------------

# 100 real postings (shared/data/real/postings: 70 drawn at random, 30 among those with a "$<digit>"), read by hand:
# title, location and a short snippet of each description around its pay (or around a money figure that is
# not pay: funding, 401K, a sign-on bonus). The postings carry no licence, so only these snippets are kept.
REAL_SAMPLE = [json.loads(line) for line in (FIXTURES / "normalize_real_sample.jsonl").read_text(encoding="utf-8").splitlines()]


def test_real_sample_is_what_it_says():
    assert len(REAL_SAMPLE) == 100
    assert sum(row["salary"] is not None for row in REAL_SAMPLE) == 30
    assert max(len(json.dumps(row, ensure_ascii=False).encode()) for row in REAL_SAMPLE) < 700


def test_accuracy_on_real_sample():
    """In-sample: the rules were tuned with these postings in view and score 1.00 / 1.00 / 0.99, salary 1.00 / 1.00.
    A blind set of 60 other real postings, labelled before it was run, measured 0.98 / 0.98 / 1.00 and salary
    precision 0.91 / recall 0.91, hence these thresholds rather than 1.0."""
    n = len(REAL_SAMPLE)
    family = sum(role_family(r["title"]) == r["role_family"] for r in REAL_SAMPLE) / n
    level = sum(seniority(r["title"]) == r["seniority"] for r in REAL_SAMPLE) / n
    country = sum(parse_location(r["location"]).country == r["country"] for r in REAL_SAMPLE) / n
    found = [(text_salary(r["text"]), r["salary"]) for r in REAL_SAMPLE]
    right = sum(
        1 for got, want in found
        if got and want and (got.min, got.max, got.currency, got.period) == tuple(want[k] for k in ("min", "max", "currency", "period"))
    )
    precision = right / max(1, sum(got is not None for got, _ in found))
    recall = right / sum(want is not None for _, want in found)
    assert family >= 0.95 and level >= 0.95 and country >= 0.95, (family, level, country)
    assert precision >= 0.95 and recall >= 0.9, (precision, recall)


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


def test_no_named_reference_spells_a_character_of_the_pay_widget():
    """payload_hints unescapes Greenhouse content only when "pay-range" can come out: named references
    never give one of its characters, so a literal or a numeric reference must be there."""
    from html.entities import html5

    assert [name for name, value in html5.items() if set(value) & set("pay-range")] == []


PAY_PIECES = ["pay-range", "&#112;", "&#x70;", "&#0112", "&#X2D;", "&#45;", "ay", "-range", "&quot;", "&lt;div class=",
              "&gt;", "&#39;", "&amp;", "range", "p", "&#", "x", "1", "&lt;/div&gt;", "£1"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PAY_PIECES) | st.text(max_size=3), max_size=25).map("".join))
def test_pay_widget_is_found_however_the_content_is_escaped(content):
    import html as html_module

    from pipeline import normalize

    unescaped = html_module.unescape(content)
    assert ("pay-range" in unescaped) <= ("pay-range" in content or bool(normalize._PAY_RANGE_REF.search(content)))
    assert payload_hints("greenhouse", {"content": content}) == payload_hints("greenhouse", {"content": html_module.escape(unescaped)})


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


def test_hn_location_falls_back_to_the_header():
    """The 2011-style HN post leads with the location, which the adapter cannot always split off."""
    raw = raw_frame([
        _raw("hn", {"id": 11, "text": "<p>Raleigh, NC - Generalist engineer (development/operations)</p>"},
             title="Generalist engineer", location=""),
        _raw("hn", {"id": 12, "text": "<p>San Francisco, CA - Flash Engineers / Game Engineers, FTE or Intern</p>"},
             title="Flash Engineers", location="Game Engineers, FTE or Intern"),
        _raw("hn", {"id": 13, "text": "<p>Academia.edu is hiring engineers in San Francisco.</p>"}, title="Engineers"),
    ])
    out = normalize_postings(clean_postings(raw)).set_index(c.SOURCE_ID)
    assert tuple(out.loc["11", [c.CITY, c.REGION, c.COUNTRY]]) == ("Raleigh", "NC", "US")
    assert tuple(out.loc["12", [c.CITY, c.REGION, c.COUNTRY]]) == ("San Francisco", "CA", "US")
    assert tuple(out.loc["13", [c.CITY, c.COUNTRY]]) == ("San Francisco", "US")


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
