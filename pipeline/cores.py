"""The cores this process may use: how many worker processes (pipeline/parallel.py) and threads
(pipeline/dedupe.py) to start by default. A module of its own, so that neither imports the other."""
from __future__ import annotations

import os


def available_cores() -> int:
    """The CPUs this process may run on (its affinity, which a container or taskset narrows), at least one."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1
