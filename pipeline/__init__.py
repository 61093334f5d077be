"""Turns the raw store into the cleaned dataset: postings, skill mentions, weekly demand.

For notebooks: `from pipeline import open_dataset` (pipeline/api.py).
"""
from __future__ import annotations

import importlib
from typing import Any

__all__ = ["Dataset", "DatasetError", "open_dataset"]

# Loaded on first use (PEP 562), so `import pipeline.columns` and the CLI stay light (no DuckDB, pandas).
# importlib rather than an import statement: pipeline/cache.py hashes the modules the pipeline imports, and
# this keeps api.py out of that hash.
_LAZY = {"Dataset": "pipeline.api", "open_dataset": "pipeline.api", "DatasetError": "pipeline.errors"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'pipeline' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
