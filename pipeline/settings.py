"""The application config (config/jobtrends.yaml): validated on load, one clear error when wrong."""
from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pipeline.errors import ConfigError
from pipeline.skills import Taxonomy, load_taxonomy, read_yaml
from scraper.settings import FetchSettings, SourceConfig

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = REPO_ROOT / "config" / "jobtrends.yaml"
DEFAULT_TAXONOMY = REPO_ROOT / "config" / "skills.yaml"


class ReportSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    output_dir: Path | None = Field(None, description="Default: <data_dir>/reports")
    recent_postings: int = Field(15, ge=0, le=200)


class AppConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    data_dir: Path = Path("data")
    taxonomy: Path = Path("skills.yaml")
    fetch: FetchSettings = Field(default_factory=FetchSettings)
    report: ReportSettings = Field(default_factory=ReportSettings)
    sources: list[SourceConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_source_names(self) -> "AppConfig":
        names = [s.name for s in self.sources]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"source names must be unique; repeated: {dupes}")
        return self

    def report_dir(self) -> Path:
        return self.report.output_dir or self.data_dir / "reports"


def load_config(path: str | Path | None = None, data_dir: str | Path | None = None) -> AppConfig:
    """Load config; relative paths in it are relative to the config file's folder."""
    path = Path(path) if path else DEFAULT_CONFIG
    raw = read_yaml(path)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(path, "(top level)", "expected a mapping of settings")
    try:
        config = AppConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError.from_validation(path, exc) from None
    base = path.resolve().parent
    if not config.taxonomy.is_absolute():
        config.taxonomy = base / config.taxonomy
    if data_dir is not None:
        config.data_dir = Path(data_dir)
    elif not config.data_dir.is_absolute():
        config.data_dir = Path.cwd() / config.data_dir
    return config


def load_taxonomy_for(config: AppConfig) -> Taxonomy:
    return load_taxonomy(config.taxonomy)
