"""The real taxonomy (config/skills.yaml): structure, hard cases, typical phrasings, accuracy on the labeled set."""
from __future__ import annotations

import importlib.util
import json

import pytest
import yaml
from hypothesis import given, settings, strategies as st

from pipeline.boilerplate import demand_text
from pipeline.columns import AREA_IDS
from pipeline.skills import load_taxonomy
from tests.conftest import FIXTURES, REPO

TAXONOMY_PATH = REPO / "config" / "skills.yaml"
LABELED = FIXTURES / "labeled_postings.jsonl"
TAX = load_taxonomy(TAXONOMY_PATH)


def areas(text: str) -> set[str]:
    return {area for area, _ in TAX.match(text)}


def skills(text: str) -> set[tuple[str, str]]:
    return set(TAX.match(text))


# ---- structure ------------------------------------------------------------------------------------
def test_the_real_config_loads_with_all_twelve_areas():
    assert TAX.area_ids == AREA_IDS
    assert set(TAX.spec.areas) == set(AREA_IDS)
    for area_id, area in TAX.spec.areas.items():
        assert area.name.strip() and len(area.description) > 40, area_id
        assert len(area.skills) >= 3, area_id


def test_no_duplicate_keys_anywhere_in_the_yaml():
    # yaml.safe_load keeps the last of two equal keys silently; a duplicated skill would lose terms.
    def check(node, where):
        if isinstance(node, yaml.MappingNode):
            keys = [k.value for k, _ in node.value]
            assert len(keys) == len(set(keys)), (where, sorted(k for k in keys if keys.count(k) > 1))
            for key, value in node.value:
                check(value, f"{where}.{key.value}")
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                check(item, where)

    check(yaml.compose(TAXONOMY_PATH.read_text(encoding="utf-8")), "")


SEED_SKILLS = {
    "technical": ["Python", "R", "C++", "Algorithms", "Data structures", "Data science"],
    "business_acumen": ["Marketing", "Finance", "Economics"],
    "math_statistics": ["Linear algebra", "Calculus", "Probability", "Bayes' theorem", "Markov chains",
                        "Hypothesis testing", "Supervised / unsupervised learning"],
}


@pytest.mark.parametrize("area,skill", [(a, s) for a, names in SEED_SKILLS.items() for s in names])
def test_the_seed_articles_skills_are_named(area, skill):
    assert skill in TAX.skills_of(area)


@pytest.mark.parametrize("text,area,skill", [
    ("Strong Python and R skills", "technical", "Python"),
    ("Proficiency in C++ and CUDA", "technical", "C++"),
    ("Deep knowledge of algorithms and data structures", "technical", "Data structures"),
    ("Background in marketing, finance or economics", "business_acumen", "Economics"),
    ("Solid linear algebra and calculus", "math_statistics", "Calculus"),
    ("Probability theory, Bayes' theorem and Markov chains", "math_statistics", "Markov chains"),
    ("Experience with Bayesian inference", "math_statistics", "Bayes' theorem"),
    ("Hypothesis testing and A/B testing", "math_statistics", "Hypothesis testing"),
    ("Supervised and unsupervised learning methods", "math_statistics", "Supervised / unsupervised learning"),
])
def test_seed_skills_match_their_usual_wording(text, area, skill):
    assert (area, skill) in skills(text)


# ---- hard cases: short names and ordinary words -------------------------------------------------------
@pytest.mark.parametrize("text", [
    "Experience with Python, R or SQL", "Proficiency in R and SAS", "Statistical programming in R.",
    "Build predictive models in R-Shiny dashboards and R Markdown reports",
])
def test_r_the_language(text):
    assert ("technical", "R") in skills(text)


@pytest.mark.parametrize("text", [
    "Join our R&D team", "Report to the VP of R & D", "Microsoft Office(R) and Outlook",
    "Parent company of R. J. Reynolds Tobacco", "The Philip R. Lee Institute for Health Policy",
    "Family of CNN algorithms such as R-CNN and Faster R-CNN", "Our E.A.G.E.R. values", "R-Dent Dental Laboratory",
])
def test_r_not_in_ordinary_words(text):
    assert ("technical", "R") not in skills(text)


@pytest.mark.parametrize("text", [
    "Languages such as C, C++, C#, Java, or Python", "Proficiency in C/C++", "Write firmware in C and Rust",
])
def test_c_the_language(text):
    assert ("technical", "C") in skills(text)


@pytest.mark.parametrize("text", [
    "Present to C-suite executives", "Advise C-level leaders", "Vitamin C supplements",
    "We raised a $60M Series C", "Offices in Washington, D.C. and Boston", "Jackson Lewis P.C. is a law firm",
    "Care for patients with Hepatitis C", "Copyright (C) Acme", "Zone C: $159,900 - $222,200",
])
def test_c_not_in_ordinary_words(text):
    assert ("technical", "C") not in skills(text)


def test_c_is_not_matched_inside_cpp_or_csharp():
    assert skills("C++ and C# developers") >= {("technical", "C++"), ("technical", "C#")}
    assert ("technical", "C") not in skills("C++ and C# developers")


@pytest.mark.parametrize("text", [
    "Programming in Python, Go or Rust", "Our backend is written in Go, Python", "Golang microservices",
    "Tools we use:\n- Go\n- AWS",
])
def test_go_the_language(text):
    assert ("technical", "Go") in skills(text)


@pytest.mark.parametrize("text", [
    "Own our Go to market strategy", "Partner with the Go-to-Market team", "You are a go-getter",
    "Let's Go!", "Go beyond reporting to tell stories", "Cutover and Go-Live support", "Go/No Go criteria",
    "At Figma, one of our values is Grow As You Go.",
])
def test_go_not_in_ordinary_words(text):
    assert ("technical", "Go") not in skills(text)


@pytest.mark.parametrize("text,expected", [
    ("Advanced Excel skills (pivot tables)", True), ("Proficient in MS Excel", True),
    ("Excellent communication skills", False), ("Ability to excel in a fast-paced environment", False),
    ("You will Excel at this", False),
])
def test_excel_is_not_excellent(text, expected):
    assert (("technical", "BI and spreadsheet tools") in skills(text)) is expected


@pytest.mark.parametrize("text,expected", [
    ("Excellent written and verbal communication skills", True),
    ("Communicate results to non-technical stakeholders", True),
    ("We are a leading communications company", False),
    ("Our unified communications platform serves banks", False),
    ("Experience with telecommunications equipment", False),
    ("Integrate with communication protocols such as CAN bus", False),
    ("Ranking for email/push communications", False),
])
def test_communication_versus_communications_products(text, expected):
    assert ("communication" in areas(text)) is expected


@pytest.mark.parametrize("text,expected", [
    ("An active security clearance is required", True), ("Apply threat modeling to ML systems", True),
    ("Secure coding practices and HIPAA compliance", True), ("Active SECRET", True),
    ("Knowledge of encryption and access control", True),
    ("Provide your social security number", False), ("Help clients with Social Security and Medicare", False),
    ("We offer job security and a 401(k)", False), ("Nightfall is a cybersecurity startup", False),
    ("Experience with cybersecurity, blockchain, or financial services industries is a plus", False),
    ("Financial security for your family", False), ("Secure a spot at our conference", False),
])
def test_security_versus_social_job_and_industry_security(text, expected):
    assert ("security" in areas(text)) is expected


@pytest.mark.parametrize("text,networking,technical", [
    ("Fundamental knowledge in networking principles (TCP/IP, DNS, DHCP)", False, True),
    ("Strong Linux knowledge, including networking, performance, and security", False, True),
    ("Interest in networking, Big Data and machine learning", False, True),
    ("Build lasting relationships with partners, clients and vendors", True, False),
    ("Present your work at conferences and meetups", True, False),
    ("Contributions to the open-source community", True, False),
    ("Strong professional network in the healthcare industry", True, False),
])
def test_computer_networking_is_technical_not_professional_networking(text, networking, technical):
    found = areas(text)
    assert ("networking" in found) is networking
    assert ("technical" in found) is technical


def test_publications_alone_are_not_networking():
    assert "networking" not in areas("Publications on top-tier conferences and journals")
    assert "networking" in areas("Speaking at industry conferences")


def test_generic_machine_learning_is_technical_not_math():
    found = areas("Experience with machine learning, deep learning and neural networks")
    assert "technical" in found and "math_statistics" not in found
    assert "math_statistics" in areas("Statistical modeling, regression and clustering")
    assert "math_statistics" not in areas("Experience with regression testing and unit tests")


@pytest.mark.parametrize("text,area,expected", [
    ("Patience and persistence when experiments fail", "patience", True),
    ("Grit, resilience and tenacity", "patience", True),
    ("Improve patient care and patient outcomes", "patience", False),
    ("Build a resilient, reliable and scalable solution", "patience", False),
    ("Helps clients strengthen their cyber resiliency", "patience", False),
    ("Spring Framework (Persistence, REST, Messaging)", "patience", False),
    ("Drive data-driven decisions", "passion", False),
    ("Self-motivated, results-driven and curious", "passion", True),
    ("Thorough understanding of SQL", "attention_to_detail", False),
    ("Meticulous and thorough with numbers", "attention_to_detail", True),
    ("Maintain a focus on user experience", "business_acumen", False),
    ("Tie model improvements to business impact", "business_acumen", True),
    ("Adobe Creative Cloud and Creative Suite", "creative_thinking", False),
    ("Creative thinking and innovative solutions", "creative_thinking", True),
])
def test_ordinary_uses_of_area_words(text, area, expected):
    assert (area in areas(text)) is expected


# ---- each area, typical real phrasings (the ways postings ask for it) ------------------------------
@pytest.mark.parametrize("area,text", [
    ("technical", "Hands-on experience with PyTorch, TensorFlow and scikit-learn"),
    ("technical", "Experience with AWS, Docker and Kubernetes"),
    ("business_acumen", "Translate business problems into analytical solutions"),
    ("business_acumen", "Understand customer needs and measure ROI"),
    ("communication", "Present findings to stakeholders and explain complex results to non-technical audiences"),
    ("communication", "Tell compelling stories with data"),
    ("math_statistics", "Design and analyze A/B tests"),
    ("math_statistics", "Degree in statistics, mathematics or another quantitative field"),
    ("creative_thinking", "Think outside the box and come up with novel approaches"),
    ("problem_solving", "Strong troubleshooting and root cause analysis skills"),
    ("problem_solving", "Comfortable with ambiguity; excellent analytical and problem-solving skills"),
    ("networking", "Build and maintain strong relationships with clients and vendors"),
    ("networking", "Represent the company at industry conferences"),
    ("security", "Handle PII under GDPR and HIPAA; TS/SCI clearance preferred"),
    ("security", "Threat modeling, penetration testing and vulnerability management"),
    ("passion", "Self-motivated, with a passion for machine learning"),
    ("passion", "Keep up with the latest research and developments in NLP"),
    ("patience", "Perseverance and tenacity in solving really difficult problems"),
    ("patience", "Demonstrated resiliency in the face of challenges and set-backs"),
    ("attention_to_detail", "Detail-oriented, meticulous, with scientific rigor"),
    ("attention_to_detail", "Ensure data quality and data integrity through validation checks"),
    ("teamwork", "Work closely with product managers in a cross-functional team"),
    ("teamwork", "Team player who mentors junior engineers"),
])
def test_each_area_matches_a_typical_real_phrasing(area, text):
    assert area in areas(text)


# ---- robustness ------------------------------------------------------------------------------------
TOKENS = ["Python", "R", "C", "C++", "C#", "Go", "go", "R&D", "(R)", "D.C.", "security", "social", "job",
          "communication", "communications", "networking", "TCP/IP", "patient", "patience", "driven", "data-",
          "Excel", "excellent", "ML", "AI/ML", "A/B", "About", "Us", "Benefits", ":", "\n", "-", ".", " ", "é",
          "ﬁ", "İ", "\u00a0", "team", "work closely with", "self-starter", "$", "401(k)", "?", "(", ")", "[", "\\"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TOKENS) | st.text(max_size=5), max_size=40).map("".join))
def test_matching_never_raises_and_stays_in_bounds(text):
    for mention in TAX.find(text):
        assert 0 <= mention.start < mention.end <= len(text)
        assert mention.area in AREA_IDS and mention.skill in TAX.skills_of(mention.area)
    cleaned = demand_text(text)
    for mention in TAX.find(cleaned):
        assert 0 <= mention.start < mention.end <= len(cleaned)


# ---- the labeled set -----------------------------------------------------------------------------
def _bench():
    spec = importlib.util.spec_from_file_location("measure_extraction", REPO / "tests" / "bench" / "measure_extraction.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_labeled_fixture_is_well_formed():
    rows = [json.loads(line) for line in LABELED.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) >= 60
    assert len({r["id"] for r in rows}) == len(rows)
    sets = {r["id"].rsplit("-", 1)[0].removesuffix("_ds").removesuffix("_da") for r in rows}
    assert sets == {"aiml_linkedin_2024", "linkedin_general_2024", "glassdoor_ds_2020", "linkedin_ca_2018"}
    assert 0.3 < sum(r["is_ml"] for r in rows) / len(rows) < 0.7
    for r in rows:
        assert set(r) == {"id", "title", "description", "is_ml", "areas", "notes"}, r["id"]
        assert 0 < len(r["description"]) <= 2500, r["id"]
        assert set(r["areas"]) <= set(AREA_IDS), r["id"]


def test_blind_batch_is_recorded_and_part_of_the_labeled_set():
    blind = [json.loads(line) for line in (LABELED.parent / "labeled_blind.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    main = {json.loads(line)["id"] for line in LABELED.read_text(encoding="utf-8").splitlines() if line.strip()}
    assert len(blind) >= 60
    assert {r["id"] for r in blind} <= main
    for r in blind:
        assert set(r) == {"id", "title", "description", "is_ml", "areas", "notes"}, r["id"]
        assert 0 < len(r["description"]) <= 2500 and set(r["areas"]) <= set(AREA_IDS), r["id"]


# Measured on tests/fixtures/labeled_postings.jsonl (215 postings, 109 ML; in-sample, the rules were tuned
# on it): macro-F1 0.966, every area >= 0.93 (baseline of one keyword per area: 0.61). On postings labeled
# before the rules saw them: 0.82 (36), 0.90 (26) and 0.88 (66, tests/fixtures/labeled_blind.jsonl).
# The floors sit a little below, so that a taxonomy change that loses accuracy fails here.
MACRO_F1_FLOOR = 0.95
AREA_F1_FLOOR = 0.90


def test_labeled_set_accuracy_is_above_the_measured_floor():
    result = _bench().evaluate(LABELED, TAXONOMY_PATH)
    assert result["macro_f1"] >= MACRO_F1_FLOOR, result["macro_f1"]
    low = {a: round(f, 3) for a, (_, _, f) in result["areas"].items() if f < AREA_F1_FLOOR}
    assert not low, low
    assert result["macro_f1"] > result["baseline_macro_f1"] + 0.2
