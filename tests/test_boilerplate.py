"""demand_text: company, benefits, legal and application parts go; requirements and responsibilities stay."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from pipeline.boilerplate import demand_text

REQUIREMENTS = [
    "3+ years of experience with Python and SQL",
    "Strong communication skills and attention to detail",
    "Collaborate with cross-functional teams to ship models",
]

POSTING = "\n".join([
    "About Us",
    "Acme is a leading cybersecurity company. Our passionate, collaborative team builds a communications platform.",
    "We're backed by top investors.",
    "About the Role",
    "You will design and deploy machine learning models.",
    "Requirements",
    *(f"- {r}" for r in REQUIREMENTS),
    "Benefits",
    "- Medical, dental and vision insurance",
    "- 401(k) matching and unlimited PTO",
    "- Annual conference budget",
    "Equal Opportunity Employer",
    "Acme is an equal opportunity employer. All qualified applicants will receive consideration without regard to"
    " race, color, religion, sex, sexual orientation, gender identity or national origin.",
])


def test_sections_by_heading():
    out = demand_text(POSTING)
    for requirement in REQUIREMENTS:
        assert requirement in out
    assert "You will design and deploy machine learning models." in out
    for gone in ("cybersecurity company", "passionate", "communications platform", "backed by", "401(k)",
                 "conference budget", "dental", "equal opportunity", "sexual orientation"):
        assert gone not in out.lower(), gone


def test_heading_variants():
    text = "\n".join([
        "Who we are:", "We are a fast-growing fintech startup with a security-first culture.",
        "What you'll do", "Build data pipelines in Spark.",
        "What we offer", "Competitive salary, equity and a learning stipend.",
        "Perks & Benefits:", "Free lunch and a gym membership.",
        "EEO statement", "We celebrate diversity and are committed to an inclusive environment.",
        "How to apply", "Send your resume to jobs@example.com.",
        "California Privacy Notice", "We collect personal information from applicants.",
    ])
    out = demand_text(text)
    assert out.splitlines() == ["What you'll do", "Build data pipelines in Spark."]


def test_boilerplate_sentences_without_headings_are_dropped():
    text = ("You will build forecasting models in Python. We offer a competitive salary, 401(k) matching and"
            " unlimited PTO. Acme is an equal opportunity employer and does not discriminate on the basis of race"
            " or gender identity. To apply, please send your resume and cover letter. Experience with SQL is required.")
    out = demand_text(text)
    assert "You will build forecasting models in Python." in out
    assert "Experience with SQL is required." in out
    for gone in ("401(k)", "equal opportunity", "send your resume"):
        assert gone not in out, gone


def test_flattened_text_without_newlines():
    # LinkedIn 2018 style: no line breaks, headings glued to the next sentence.
    text = ("About AcmeWe're changing the way people move. Acme is a global leader in logistics, backed by great"
            " investors.We are looking for a Data Scientist to join our Marketplace team.ResponsibilitiesForecast"
            " demand for ridesBuild pricing modelsQualificationsMS in Statistics or a quantitative fieldStrong SQL"
            " and PythonPerks:Free lunch Unlimited PTO 401(k) matchingAcme is an equal opportunity employer.")
    out = demand_text(text)
    assert "We are looking for a Data Scientist" in out
    assert "Build pricing models" in out and "MS in Statistics" in out and "Strong SQL" in out
    for gone in ("changing the way people move", "global leader", "Free lunch", "PTO", "equal opportunity"):
        assert gone not in out, gone
    # glued units come out on separate lines, so that word-boundary matching sees "Python" on its own
    assert "Forecast demand for rides\nBuild pricing models" in out
    assert "Strong SQL and Python" in out


def test_company_opening_without_heading_is_dropped_until_the_role():
    text = ("Watchful is a platform that makes machine teaching easy. The biggest blocker for ML teams is data."
            " Many solutions are untenable for sensitive or classified data."
            " We're looking for Data Scientists to build our labeling models. Experience with PyTorch.")
    out = demand_text(text)
    assert out.startswith("We're looking for Data Scientists")
    assert "classified" not in out


def test_requirements_are_never_dropped_for_benefit_words():
    # Words that also occur in benefits or EEO texts, inside real requirements.
    requirements = [
        "Knowledge of data privacy practices and laws (GDPR, HIPAA)",
        "Ability to work well in diverse teams",
        "Coordinates and supervises dental staff",
        "Research the client's business to ensure all elements are catered to",
        "Ability to apply concepts of basic algebra and geometry",
        "Experience with health insurance claims data",
    ]
    text = "Requirements\n" + "\n".join(f"- {r}" for r in requirements)
    out = demand_text(text)
    for requirement in requirements:
        assert requirement in out, requirement


def test_a_requirement_after_a_benefits_section_brings_the_text_back():
    text = "\n".join(["Benefits", "- Health insurance", "- Snacks", "Here is the kind of skills we look for",
                      "- 3+ years of experience with Spark", "- Degree in computer science"])
    out = demand_text(text)
    assert "3+ years of experience with Spark" in out and "Degree in computer science" in out
    assert "Snacks" not in out


def test_long_flattened_unit_drops_only_the_benefit_clause():
    text = ("Requirements BA/BS in a quantitative field 3+ years of experience with SQL and Tableau Excellent"
            " written skills Organized and self-motivated Competitive salary Stock options Flexible vacation"
            " Parental leave Health, dental, and vision 401k retirement savings plan Experience with dbt is a plus"
            " and familiarity with Looker dashboards for finance teams across the company")
    out = demand_text(text)
    assert "3+ years of experience with SQL and Tableau" in out and "self-motivated" in out
    assert "Competitive salary" not in out


def test_pure_and_simple_inputs():
    assert demand_text("") == ""
    assert demand_text("Python and SQL.") == "Python and SQL."
    assert demand_text(POSTING) == demand_text(POSTING)


WORDS = ["About us", "About you", "Benefits", "Requirements", "We offer", "401(k)", "equal opportunity", "Python",
         "We are a leading company.", "You will", "Perks:", "\n", " ", ".", "- ", "•", "Qualifications", "salary",
         "You", "team", "AcmeWe", "ﬁ", "İ", "\u00a0", "\ufeff", "?"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS) | st.text(max_size=6), max_size=40).map("".join))
def test_output_lines_are_pieces_of_the_input(text):
    out = demand_text(text)
    assert len(out) <= 2 * len(text)
    for line in out.split("\n"):
        assert line in text


SCAN_WORDS = ["About Us", "About you", "Perks", "Qualifications", "What we offer", "Who is Acme", "Benefits:",
              "Acme is an equal opportunity employer", "latencyPredict", "(Hive)Apply", "team.About", ". - Strong",
              "a", "A", "Z", " ", "  ", "\n", "\t", ".", "!", "?", ";", ":", ")", "]", "’", "'", "\"", "”", "-", "–",
              "•", "·", "●", "▪", "Ø", "*", "é", "1", "\u2028", "\u00a0"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(SCAN_WORDS) | st.text(max_size=4), max_size=40).map("".join),
       st.integers(0, 5), st.integers(0, 5))
def test_start_scanners_find_what_finditer_finds(text, cut_left, cut_right):
    """_SPLIT and _INLINE are scanned only at the characters where they can start (speed); the matches
    must be those of plain finditer, also inside a part of the text."""
    from pipeline import boilerplate as bp

    start, end = min(cut_left, len(text)), max(min(cut_left, len(text)), len(text) - cut_right)
    for pattern, scanner in ((bp._SPLIT, bp._SPLIT_SCAN), (bp._INLINE, bp._INLINE_SCAN)):
        expected = [(m.span(), m.groupdict()) for m in pattern.finditer(text, start, end)]
        found = [(m.span("_m"), {k: v for k, v in m.groupdict().items() if k != "_m"})
                 for m in bp._finditer(scanner, text, start, end)]
        assert found == expected
