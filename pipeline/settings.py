"""The application config (config/jobtrends.yaml): validated on load, one clear error when wrong."""
from __future__ import annotations

from datetime import tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipeline.errors import ConfigError
from pipeline.skills import Taxonomy, load_taxonomy, read_yaml
from scraper.cron import cron_fields
from scraper.settings import FetchSettings, SourceConfig

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = REPO_ROOT / "config" / "jobtrends.yaml"
DEFAULT_TAXONOMY = REPO_ROOT / "config" / "skills.yaml"


class ReportSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    output_dir: Path | None = Field(None, description="Default: <data_dir>/reports")
    recent_postings: int = Field(15, ge=0, le=200)


class ScheduleSettings(BaseModel):
    """How `jobtrends schedule` runs the jobs (each source's cron is in its own entry)."""

    model_config = ConfigDict(extra="forbid")
    timezone: str = Field("local", description="IANA zone of every cron, e.g. Europe/Berlin; 'local': the server's")
    report: str = Field("0 7 * * 1", description="cron of the weekly report; default Monday 07:00")
    process_after_scrape: bool = Field(True, description="Rebuild the dataset after scrapes.")
    process_delay_seconds: float = Field(
        60.0, ge=0, description="Wait after a scrape before processing, so sources due together are processed once."
    )
    misfire_grace_seconds: int | None = Field(
        86400, ge=1,
        description="A run missed while the daemon was down runs once on restart if at most this late; null: however late.",
    )
    jitter_seconds: int = Field(60, ge=0, description="Delay each run by a random 0..N seconds to spread load.")
    stop_timeout_seconds: float = Field(
        30.0, ge=0, description="On SIGTERM, how long running scrapes may take to finish before they are cut."
    )

    @field_validator("report")
    @classmethod
    def _report_is_cron(cls, value: str) -> str:
        cron_fields(value)
        return " ".join(value.split())

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        resolve_timezone(value)
        return value


def resolve_timezone(name: str) -> tzinfo:
    """'local' -> the server's zone; otherwise an IANA name. ValueError when unknown."""
    if name == "local":
        from tzlocal import get_localzone  # an APScheduler 3 dependency

        return get_localzone()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as Europe/Berlin, or 'local'") from None


class AppConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    data_dir: Path = Path("data")
    taxonomy: Path = Path("skills.yaml")
    fetch: FetchSettings = Field(default_factory=FetchSettings)
    report: ReportSettings = Field(default_factory=ReportSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
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
