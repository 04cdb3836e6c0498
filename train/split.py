"""Train / validation / test splits that cannot leak.

Rows are grouped by their feature vector (the model's raw features, after cleaning):
every copy of one vector goes to one split. Per class, groups are dealt out biggest
first (seeded random order among equal sizes) to the split furthest below its share of
that class's rows. The largest groups therefore land in train, and the test split
measures the model on vectors it has never seen. Windows are then
built inside each split's own sequence, so no window mixes flows of two splits.
"""
from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

import numpy as np
import pandas as pd

SPLIT_NAMES = ("train", "val", "test")


def feature_hashes(raw: np.ndarray) -> np.ndarray:
    """A 64-bit hash per row of a feature matrix (identical rows, identical hash)."""
    return pd.util.hash_pandas_object(pd.DataFrame(raw), index=False).to_numpy()


@dataclass
class Split:
    """Row indices of each split, in the original row order."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    groups: int

    def parts(self) -> List[Tuple[str, np.ndarray]]:
        return [("train", self.train), ("val", self.val), ("test", self.test)]


def group_split(raw: np.ndarray, attack: np.ndarray, fractions: Sequence[float] = (0.7, 0.15, 0.15),
                seed: int = 0) -> Split:
    """Split rows so that identical feature vectors never straddle two splits."""
    if len(fractions) != 3 or abs(sum(fractions) - 1.0) > 1e-6 or min(fractions) <= 0:
        raise ValueError(f"split fractions must be three positive numbers summing to 1, got {fractions}")
    _, group, group_rows = np.unique(feature_hashes(raw), return_inverse=True, return_counts=True)
    n_groups = len(group_rows)
    # a group's class is the class of its first row; a vector with mixed labels stays whole
    first_row = np.full(n_groups, len(attack), dtype=np.int64)
    np.minimum.at(first_row, group, np.arange(len(attack)))
    group_class = attack[first_row]
    rng = np.random.default_rng(seed)
    split_of_group = np.zeros(n_groups, dtype=np.int8)
    frac = np.asarray(fractions, dtype=float)
    for c in np.unique(group_class):
        members = np.flatnonzero(group_class == c)
        # biggest groups first (random among equals), each to the split furthest below its
        # share of this class's rows: one vector with 12,000 copies cannot swamp a small split
        members = members[np.lexsort((rng.random(len(members)), -group_rows[members]))]
        target = frac * group_rows[members].sum()
        filled = np.zeros(3)
        for g in members:
            k = int(np.argmax((target - filled) / target))
            split_of_group[g] = k
            filled[k] += group_rows[g]
    split_of_row = split_of_group[group]
    return Split(*(np.flatnonzero(split_of_row == k) for k in range(3)), groups=n_groups)


def split_table(split: Split, attack: np.ndarray, classes: Sequence[str]) -> Dict[str, Dict[str, int]]:
    """Rows per class per split, for the report."""
    out = {}
    for name, idx in split.parts():
        counts = np.bincount(attack[idx], minlength=len(classes))
        out[name] = {c: int(n) for c, n in zip(classes, counts)}
    return out
