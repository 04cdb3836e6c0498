"""From model outputs to scores and decisions (scoring is separate from deciding)."""
from typing import Optional, Sequence

import numpy as np


def benign_index(classes: Sequence[str]) -> Optional[int]:
    """Position of the Benign class (case-insensitive), None if there is none."""
    return next((i for i, c in enumerate(classes) if c.lower() == "benign"), None)


def attack_score(proba: np.ndarray, benign_index: Optional[int]) -> np.ndarray:
    """Higher means more likely attack: P(attack) for one output, 1 - P(Benign) for several."""
    proba = np.asarray(proba)
    if proba.shape[1] == 1:
        return proba[:, 0]
    if benign_index is None:
        return np.ones(len(proba), dtype=proba.dtype)
    return 1.0 - proba[:, benign_index]


def decide(score: np.ndarray, threshold: float) -> np.ndarray:
    """1 (attack) where score >= threshold, else 0."""
    return (np.asarray(score) >= threshold).astype(np.int8)
