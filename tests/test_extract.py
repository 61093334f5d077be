"""`jobtrends extract` on postings whose areas are known."""
from __future__ import annotations

import json

from typer.testing import CliRunner

from pipeline.cli import app

runner = CliRunner()

POSTINGS = [
    {
        "id": "ml-1",
        "title": "Machine Learning Engineer",
        "description": (
            "<p>About us: we build a communications platform. Equal opportunity employer.</p>"
            "<h3>Requirements</h3><ul>"
            "<li>Strong Python and C++; solid grasp of algorithms and data structures</li>"
            "<li>Linear algebra, probability and hypothesis testing</li>"
            "<li>Excellent communication skills: explain results to non-technical stakeholders</li>"
            "<li>Collaborate with cross-functional teams</li>"
            "<li>Meticulous attention to detail</li></ul>"
        ),
        "areas": {"technical", "math_statistics", "communication", "teamwork", "attention_to_detail"},
        "is_ml": True,
    },
    {
        "id": "sales-1",
        "title": "Account Executive",
        "description": "We sell our AI platform to enterprises. Quota-carrying role; CRM experience.",
        "areas": set(),
        "is_ml": False,
    },
]


def test_extract_writes_one_line_per_input(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({k: p[k] for k in ("id", "title", "description")}) + "\n" for p in POSTINGS))
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["extract", str(src), "-o", str(out)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(l) for l in out.read_text().splitlines()]
    assert [l["id"] for l in lines] == ["ml-1", "sales-1"]
    first = lines[0]
    assert first["is_ml"] is True
    assert POSTINGS[0]["areas"] <= set(first["areas"])
    assert "communication" in first["areas"] and "security" not in first["areas"]
    assert {"Python", "C++"} <= set(first["skills"])
    assert lines[1]["is_ml"] is False


def test_extract_to_stdout_and_bad_input(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": 1, "title": "Data Scientist", "description": "Statistics and SQL."}\n\n')
    result = runner.invoke(app, ["extract", str(src)])
    assert result.exit_code == 0
    assert json.loads(result.stdout.strip())["id"] == 1
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1}\nnot json\n')
    result = runner.invoke(app, ["extract", str(bad)])
    assert result.exit_code == 2 and "line 2" in result.output
