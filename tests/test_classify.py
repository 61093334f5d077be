"""classify_ml: LABELING.md's is_ml rule, title first and description second."""
from __future__ import annotations

import importlib.util

import pytest

from pipeline.classify import classify_ml
from tests.conftest import FIXTURES, REPO

WEB_APP = ("Build React front ends and REST APIs in Node.js. Write tests, review code and keep our web app fast. "
           "Experience with PostgreSQL and AWS.")
TRAINS_MODELS = ("You will train, fine-tune and deploy deep learning models for document understanding. "
                 "Hands-on PyTorch and Hugging Face experience; you will own model serving on GPUs.")
DASHBOARDS = "Build Tableau dashboards and weekly reports for the sales team. Advanced SQL and Excel."


@pytest.mark.parametrize("title", [
    "Machine Learning Engineer", "Senior Data Scientist", "MLOps Engineer", "AI/ML Engineer", "ML Engineer II",
    "LLM Applications Engineer", "NLP Research Scientist", "Computer Vision Engineer", "Applied Scientist",
    "Founding AI Engineer", "Data Scientist, Marketing Analytics", "Al/ Machine Learning Engineer",
    "Data Engineer - pytorch, scikit-learn", "Data Analyst/Scientist",
])
def test_ml_titles(title):
    is_ml, reason = classify_ml(title, WEB_APP)
    assert is_ml, reason
    assert reason.startswith("title:")


@pytest.mark.parametrize("title,text", [
    ("Account Executive, AI Platform", "Sell our machine learning platform to enterprises."),
    ("Technical Recruiter - Machine Learning", "Hire ML engineers and data scientists."),
    ("Senior Counsel, AI", "Advise on AI regulation and contracts."),
    ("Customer Success Manager", "Onboard customers onto our AI product."),
    ("Data Analyst", DASHBOARDS),
    ("Business Intelligence Analyst", DASHBOARDS + " Work with our data science team."),
    ("Software Engineer", WEB_APP),
    ("Front-End Engineer (React)", "At Tagup, we use machine learning to make machines safer. " + WEB_APP),
    ("Data Engineer", "Build ETL pipelines in Airflow and dbt for finance reporting."),
    ("Registered Nurse", "Provide patient care."),
])
def test_non_ml_roles(title, text):
    is_ml, reason = classify_ml(title, text)
    assert not is_ml, reason


def test_description_decides_for_general_titles():
    is_ml, reason = classify_ml("Software Engineer", TRAINS_MODELS)
    assert is_ml and reason.startswith("description:"), reason
    is_ml, reason = classify_ml("Research Engineer", TRAINS_MODELS)
    assert is_ml, reason


def test_company_text_about_ml_does_not_make_a_software_role_ml():
    text = ("About Us\nWe are an AI company: our deep learning models and LLM platform power search for "
            "thousands of teams, trained on GPUs with PyTorch.\nResponsibilities\n" + WEB_APP)
    assert classify_ml("Backend Engineer", text)[0] is False


def test_ml_as_a_nice_to_have_is_not_enough():
    text = WEB_APP + " Nice to have: experience with data pipelines for ML, interest in AI."
    assert classify_ml("Full Stack Engineer", text)[0] is False


def test_analysts_need_more_evidence_than_other_titles():
    text = "Build predictive models with scikit-learn and deploy them. " + DASHBOARDS
    assert classify_ml("Data Analyst", text)[0] is False
    assert classify_ml("Software Engineer", text)[0] is True
    junior_ds = "The Data Science Analyst is a junior level data scientist role on our Data Science team."
    assert classify_ml("Data Science Analyst", junior_ds)[0] is True


def test_reasons_are_short_and_say_why():
    for title, text in [("Machine Learning Engineer", ""), ("Account Executive", ""), ("Software Engineer", WEB_APP),
                        ("Software Engineer", TRAINS_MODELS), ("Data Analyst", DASHBOARDS), ("", "")]:
        is_ml, reason = classify_ml(title, text)
        assert isinstance(is_ml, bool) and 0 < len(reason) <= 100 and ":" in reason


def _bench():
    spec = importlib.util.spec_from_file_location("measure_extraction", REPO / "tests" / "bench" / "measure_extraction.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Measured on tests/fixtures/labeled_postings.jsonl (215 postings, 109 ML): precision 0.99, recall 0.98;
# the title-keyword baseline gets 0.97 / 0.94 there. Blind batch of 66 (before tuning): 0.97 / 0.94.
# Floors: the targets of the brief.
def test_labeled_set_precision_and_recall_floors():
    result = _bench().evaluate(FIXTURES / "labeled_postings.jsonl")
    precision, recall = result["is_ml"]
    assert precision >= 0.97 and recall >= 0.95, (precision, recall)
    assert recall >= result["is_ml_title_baseline"][1]


def test_caseless_characters_match_only_themselves_ignoring_case():
    """classify's fast path (case-sensitive patterns on lower-cased text) is exact only if a character that
    is neither ASCII nor cased never matches an ASCII letter under IGNORECASE."""
    import re
    import sys

    letters = re.compile("[a-z]", re.IGNORECASE)
    for code in range(128, sys.maxunicode + 1):
        ch = chr(code)
        if ch.lower() == ch == ch.upper():
            assert not letters.fullmatch(ch), hex(code)


@pytest.mark.parametrize("text", [
    "You will Train and Fine-Tune LLMs, deploy ML models with PyTorch • GPU • “RAG” – vector search",
    "We are seeking a Data Scientist. As a Data Scientist you will build Machine Learning models.",
    "Experience as a data scientist / analyst; NLP, CNNs, random forests, SageMaker, MLflow",
    "Ünïcödé Straße: ſupervised learning, KUBEFLOW (Kelvin K), İstanbul office, Python",
    "Reporting and dashboards only. AI is mentioned.",
    "",
])
def test_signals_fast_path_equals_ignorecase(text):
    from pipeline import classify as cl

    expected_strong = [n for n, p in cl._STRONG.items() if p.search(text)]
    expected_weak = [n for n, p in cl._WEAK.items() if p.search(text)]
    strong, weak = cl._signals(text)
    assert strong == expected_strong
    assert weak == ([] if expected_strong else expected_weak)
    lowered = text.lower()
    if cl._caseless(text):
        assert [n for n, p in cl._STRONG_LOWER.items() if p.search(lowered)] == expected_strong
        assert [n for n, p in cl._WEAK_LOWER.items() if p.search(lowered)] == expected_weak


def test_signal_patterns_have_no_upper_case_letters():
    """The fast path compiles them without IGNORECASE for lower-cased text: an upper-case letter would never match."""
    import re

    from pipeline import classify as cl

    for source in (*cl._STRONG_SIGNALS.values(), *cl._WEAK_SIGNALS.values()):
        assert not re.search(r"(?<!\\)[A-Z]", source), source
