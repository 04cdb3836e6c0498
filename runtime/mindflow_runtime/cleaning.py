"""Rules for bad values in flow features, shared by training and the gateway.

The rule (documented in README "Bad input"):
- not a number (unparseable text), NaN or +-inf  -> 0, counted as ``non_numeric`` / ``non_finite``
- negative                                        -> 0, counted as ``negative``
- above 2**64 (no 64-bit counter holds it)        -> 0, counted as ``overflow``; such
  values (NF-CSE-CIC-IDS2018-v2's SRC_TO_DST_SECOND_BYTES has some) would turn to inf in float32
- a duration within 2**17 ms below 4,294,967 ms -> 4,294,967.296 - value, counted as
  ``duration_wrap``

The last one is the exporter's 32-bit wrap-around in NF-*-v2: the duration was computed
in a 32-bit microsecond counter as a small negative number, so it lands just below
2**32 us = 4,294,967.296 ms. In NF-BoT-IoT-v2 90 % of rows carry it, and 4,294,967.296
minus the value equals max(DURATION_IN, DURATION_OUT) to within 1 ms on the median row
(checked on the development file and on NF-CSE-CIC-IDS2018-v2, where no real duration
lies between 1 s and 4,000 s). So the repair is that distance, the flow's true length.
"""
from typing import Dict, Sequence

import numpy as np

DURATION_COLUMNS = ("FLOW_DURATION_MILLISECONDS", "DURATION_IN", "DURATION_OUT")
OVERFLOW = float(2**64)
WRAP_BASE = 2**32 / 1000.0          # 4,294,967.296 ms
WRAP_LOW = WRAP_BASE - 2**17          # 4,163,895 ms: 69 minutes; no NF-v2 duration is that long


def clean_features(raw: np.ndarray, features: Sequence[str]) -> Dict[str, Dict[str, int]]:
    """Repair `raw` (rows x features, float) in place; return counts per rule per column.

    NaN here stands for both a missing and an unparseable value; callers that can tell
    them apart count ``non_numeric`` before calling.
    """
    counts: Dict[str, Dict[str, int]] = {}

    def add(rule: str, column: str, n: int) -> None:
        if n:
            counts.setdefault(rule, {})
            counts[rule][column] = counts[rule].get(column, 0) + int(n)

    for j, name in enumerate(features):
        col = raw[:, j]
        bad = ~np.isfinite(col)
        add("non_finite", name, bad.sum())
        col[bad] = 0.0
        neg = col < 0
        add("negative", name, neg.sum())
        col[neg] = 0.0
        big = col > OVERFLOW
        add("overflow", name, big.sum())
        col[big] = 0.0
        if name in DURATION_COLUMNS:
            wrap = (col >= WRAP_LOW) & (col <= WRAP_BASE + 1.0)
            add("duration_wrap", name, wrap.sum())
            col[wrap] = np.maximum(WRAP_BASE - col[wrap], 0.0)
    return counts


def merge_counts(total: Dict[str, Dict[str, int]], more: Dict[str, Dict[str, int]]) -> None:
    """Add the per-rule per-column counts of `more` into `total`."""
    for rule, cols in more.items():
        dst = total.setdefault(rule, {})
        for col, n in cols.items():
            dst[col] = dst.get(col, 0) + n
