"""Config and taxonomy validation: one clear message naming file and key, nothing touched."""
from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.errors import ConfigError
from pipeline.settings import load_config
from pipeline.skills import load_taxonomy
from tests.conftest import REPO

runner = CliRunner()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_shipped_config_and_taxonomy_load():
    cfg = load_config(REPO / "config" / "jobtrends.yaml")
    assert {s.kind for s in cfg.sources} == {"greenhouse", "lever", "hn"}
    assert cfg.taxonomy == REPO / "config" / "skills.yaml"
    taxonomy = load_taxonomy(cfg.taxonomy)
    assert len(taxonomy.version) == 12


@pytest.mark.parametrize(
    "body, key, problem",
    [
        ("sources:\n  - name: x\n    kind: greenhouse\n", "sources.0.greenhouse.board_token", "Field required"),
        ("sources:\n  - name: x\n    kind: monster\n", "sources.0", "kind"),
        ("sources:\n  - {name: x, kind: lever, site: s, schedule: 'every day'}\n", "schedule", "5 fields"),
        ("fetch:\n  user_agent: bot\n", "fetch.user_agent", "contact"),
        ("fetch:\n  timeout_seconds: -1\n", "fetch.timeout_seconds", "greater than 0"),
        ("sources:\n  - {name: a, kind: hn}\n  - {name: a, kind: hn}\n", "(top level)", "unique"),
        ("colour: blue\n", "colour", "Extra inputs"),
        ("sources: [\n", "line", "not valid YAML"),
        ("- just\n- a list\n", "(top level)", "mapping"),
    ],
)
def test_bad_config_names_file_key_and_problem(tmp_path, body, key, problem):
    path = write(tmp_path, "bad.yaml", body)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message and key in message and problem in message


def test_bad_taxonomy_is_rejected(tmp_path):
    path = write(tmp_path, "skills.yaml", "areas:\n  technical:\n    name: T\n    skills: {Python: [python]}\n")
    with pytest.raises(ConfigError, match="missing areas"):
        load_taxonomy(path)
    path = write(tmp_path, "skills2.yaml", (REPO / "config" / "skills.yaml").read_text() + "\nextra: 1\n")
    with pytest.raises(ConfigError, match="extra"):
        load_taxonomy(path)


def test_bad_regex_in_taxonomy_is_rejected(tmp_path):
    text = (REPO / "config" / "skills.yaml").read_text().replace(
        "areas:", "areas:\n  # broken\n", 1
    )
    import yaml

    data = yaml.safe_load(text)
    first_skill = next(iter(data["areas"]["technical"]["skills"]))
    data["areas"]["technical"]["skills"][first_skill] = [{"regex": "([unclosed"}]
    path = write(tmp_path, "skills.yaml", yaml.safe_dump(data))
    with pytest.raises(ConfigError, match="invalid regular expression"):
        load_taxonomy(path)


def test_cli_refuses_bad_config_and_leaves_data_alone(tmp_path):
    data = tmp_path / "data"
    (data / "dataset").mkdir(parents=True)
    marker = data / "dataset" / "postings.parquet"
    marker.write_bytes(b"precious")
    bad = write(tmp_path, "bad.yaml", "sources:\n  - name: x\n    kind: greenhouse\n")
    for command in (["scrape"], ["process"], ["run"], ["report"]):
        result = runner.invoke(app, [*command, "--config", str(bad), "--data-dir", str(data)])
        assert result.exit_code == 2, result.output
        assert "bad.yaml" in result.output and "board_token" in result.output
    assert marker.read_bytes() == b"precious"
    assert sorted(p.name for p in data.rglob("*")) == ["dataset", "postings.parquet"]


def test_cli_refuses_bad_taxonomy(tmp_path):
    bad_tax = write(tmp_path, "skills.yaml", "areas: {}\n")
    cfg = write(tmp_path, "cfg.yaml", f"taxonomy: {bad_tax}\n")
    result = runner.invoke(app, ["process", "--config", str(cfg), "--data-dir", str(tmp_path / "d")])
    assert result.exit_code == 2
    assert "skills.yaml" in result.output and "missing areas" in result.output
    assert not (tmp_path / "d").exists()
