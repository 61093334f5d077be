"""The project's exceptions: each says what went wrong in terms a user can act on."""
from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError


class JobtrendsError(Exception):
    """Base of every error the CLI reports as a one-line message with a non-zero exit."""


class ConfigError(JobtrendsError):
    """A configuration or taxonomy file is unreadable or invalid."""

    def __init__(self, path: str | Path, key: str, problem: str):
        self.path = Path(path)
        self.key = key
        self.problem = problem
        where = f" at {key}" if key else ""
        super().__init__(f"{self.path}{where}: {problem}")

    @classmethod
    def from_validation(cls, path: str | Path, exc: ValidationError) -> "ConfigError":
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "(top level)"
        more = len(exc.errors()) - 1
        problem = first["msg"] + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")
        return cls(path, key, problem)


class DatasetError(JobtrendsError):
    """The cleaned dataset is missing or cannot be read."""


class DaemonRunning(JobtrendsError):
    """Another `jobtrends schedule` holds the data directory's lock."""
