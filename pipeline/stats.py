"""Small vectorized statistics for shares: Wilson intervals and the two-proportion z-test.

numpy only (no scipy): the normal tail comes from math.erfc, applied elementwise. The tables these
run on have one row per week and area (or skill), so thousands of rows, not millions.
"""
from __future__ import annotations

import math

import numpy as np

Z_95 = 1.959963984540054

_erfc = np.frompyfunc(math.erfc, 1, 1)


def wilson_interval(successes, trials, z: float = Z_95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score bounds of k/n, as fractions; NaN where n == 0.

    Wilson rather than p ± z·se because small weeks and shares near 0 are common here, where the
    normal approximation runs below zero and claims too much certainty.
    """
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
        low = np.where(n > 0, np.clip(centre - half, 0, 1), np.nan)
        high = np.where(n > 0, np.clip(centre + half, 0, 1), np.nan)
    return low, high


def normal_two_sided_p(z) -> np.ndarray:
    """P(|Z| >= |z|) for a standard normal Z; NaN stays NaN."""
    z = np.asarray(z, dtype=float)
    out = np.full(z.shape, np.nan)
    ok = ~np.isnan(z)
    out[ok] = _erfc(np.abs(z[ok]) / math.sqrt(2)).astype(float)
    return out


def two_proportion_p_value(k1, n1, k2, n2) -> np.ndarray:
    """Two-sided p-value of the pooled two-proportion z-test of k1/n1 against k2/n2.

    NaN when either period has no trials. When the pooled share is 0 or 1 both shares are equal,
    so the p-value is 1.
    """
    k1, n1, k2, n2 = (np.asarray(v, dtype=float) for v in (k1, n1, k2, n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (k1 + k2) / (n1 + n2)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        z = (k1 / n1 - k2 / n2) / se
    z = np.where(se == 0, 0.0, z)
    z = np.where((n1 > 0) & (n2 > 0), z, np.nan)
    return normal_two_sided_p(z)
