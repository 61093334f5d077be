"""Giving freed memory back to the system between the stages of a run.

Arrow reads and decodes on its own threads, and glibc keeps what those threads free in per-thread arenas
instead of returning it. At a million raw rows, after exact deduplication the process was 1.26 GB resident
for 0.44 GB in use (185 MB of them the postings frame); `malloc_trim` gave the rest back. Elsewhere than
glibc (macOS, musl) this does nothing.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import functools

__all__ = ["release_freed_memory"]


@functools.cache
def _malloc_trim():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def release_freed_memory() -> bool:
    """Return the heap's free pages to the system; False where the C library cannot."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
