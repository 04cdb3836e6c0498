"""Baselines computed in the same run on the same split: all-attack and per-flow ExtraTrees."""
from typing import Dict

import numpy as np
from sklearn.ensemble import ExtraTreesClassifier

from .metrics import binary_metrics, tune_thresholds

MAX_TREE_ROWS = 500_000  # ExtraTrees on more rows costs minutes for no change in the verdict


def all_attack(y_test: np.ndarray) -> Dict[str, float]:
    """Predict "attack" for every window: the figure a number must beat to mean anything."""
    return binary_metrics(y_test, np.ones(len(y_test)), 0.5)


def subsample(n: int, seed: int, limit: int = MAX_TREE_ROWS) -> np.ndarray:
    """Indices of at most `limit` of n training rows (all of them when n <= limit), sorted."""
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, limit, replace=False))


def extra_trees(x_train: np.ndarray, y_train: np.ndarray, x_val: np.ndarray, y_val: np.ndarray,
                x_test: np.ndarray, seed: int = 0) -> Dict[str, object]:
    """Sarhan et al.'s per-flow ExtraTrees: fit on train flows, threshold on val, score test."""
    model = ExtraTreesClassifier(n_estimators=100, class_weight="balanced", n_jobs=2,
                                 random_state=seed, min_samples_leaf=1)
    model.fit(x_train, y_train)
    col = list(model.classes_).index(1) if 1 in model.classes_ else None

    def score(x: np.ndarray) -> np.ndarray:
        return model.predict_proba(x)[:, col] if col is not None else np.zeros(len(x))

    thresholds = tune_thresholds(y_val, score(x_val))
    return {"thresholds": thresholds, "test_score": score(x_test), "train_rows": int(len(x_train))}
