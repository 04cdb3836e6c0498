"""Metrics that imbalance cannot flatter, and operating points tuned on validation."""
from typing import Dict, Optional, Sequence

import numpy as np
from sklearn import metrics as skm

FAR_TARGET = 0.01


def binary_metrics(y: np.ndarray, score: np.ndarray, threshold: float) -> Dict[str, float]:
    """The paper's four beside balanced accuracy, MCC, benign recall, FAR, ROC-AUC, PR-AUC."""
    y = np.asarray(y).astype(int)
    pred = (np.asarray(score) >= threshold).astype(int)
    tn, fp, fn, tp = skm.confusion_matrix(y, pred, labels=[0, 1]).ravel()
    both = len(np.unique(y)) == 2
    benign_recall = tn / (tn + fp) if tn + fp else float("nan")
    return {
        "threshold": float(threshold),
        "accuracy": float(skm.accuracy_score(y, pred)),
        "precision": float(skm.precision_score(y, pred, zero_division=0)),
        "recall": float(skm.recall_score(y, pred, zero_division=0)),
        "f1": float(skm.f1_score(y, pred, zero_division=0)),
        "balanced_accuracy": float(skm.balanced_accuracy_score(y, pred)) if both else float("nan"),
        "mcc": float(skm.matthews_corrcoef(y, pred)),
        "benign_recall": float(benign_recall),
        "false_alarm_rate": float(1 - benign_recall),
        "roc_auc": float(skm.roc_auc_score(y, score)) if both else float("nan"),
        "pr_auc": float(skm.average_precision_score(y, score)) if both else float("nan"),
        "tp": int(tp), "fp": int(fp), "tn": int(tn), "fn": int(fn),
    }


def tune_thresholds(y: np.ndarray, score: np.ndarray, max_candidates: int = 2000) -> Dict[str, float]:
    """Thresholds on validation: best F1 (the paper's rule), best MCC, and FAR <= 1 %."""
    y = np.asarray(y).astype(int)
    score = np.asarray(score, dtype=np.float64)
    cands = np.unique(score)
    if len(cands) > max_candidates:
        cands = np.unique(np.quantile(score, np.linspace(0, 1, max_candidates)))
    pred = score[None, :] >= cands[:, None]
    tp = (pred & (y == 1)).sum(axis=1).astype(float)
    fp = (pred & (y == 0)).sum(axis=1).astype(float)
    fn = (y == 1).sum() - tp
    tn = (y == 0).sum() - fp
    f1 = 2 * tp / np.maximum(2 * tp + fp + fn, 1)
    denom = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    mcc = np.where(denom > 0, (tp * tn - fp * fn) / np.maximum(denom, 1e-12), 0.0)
    far = fp / max((y == 0).sum(), 1)
    ok = np.flatnonzero(far <= FAR_TARGET)
    far_thr = float(cands[ok[0]]) if len(ok) else float(cands[-1])
    return {"f1": float(cands[np.argmax(f1)]), "mcc": float(cands[np.argmax(mcc)]), "far_1pct": far_thr}


def multiclass_metrics(y: np.ndarray, proba: np.ndarray, classes: Sequence[str]) -> Dict[str, object]:
    """Per-class recall, macro F1 and the confusion matrix of argmax predictions."""
    pred = np.argmax(proba, axis=1)
    labels = list(range(len(classes)))
    recall = skm.recall_score(y, pred, labels=labels, average=None, zero_division=0)
    support = np.bincount(y, minlength=len(classes))
    return {
        "accuracy": float(skm.accuracy_score(y, pred)),
        "balanced_accuracy": float(skm.balanced_accuracy_score(y, pred)),
        "macro_f1": float(skm.f1_score(y, pred, labels=labels, average="macro", zero_division=0)),
        "mcc": float(skm.matthews_corrcoef(y, pred)),
        "per_class_recall": {c: (float(r) if s else None) for c, r, s in zip(classes, recall, support)},
        "support": {c: int(s) for c, s in zip(classes, support)},
        "confusion": skm.confusion_matrix(y, pred, labels=labels).tolist(),
    }


def evaluate_scores(y: np.ndarray, score: np.ndarray, thresholds: Dict[str, float],
                    attack: Optional[np.ndarray] = None, proba: Optional[np.ndarray] = None,
                    classes: Optional[Sequence[str]] = None) -> Dict[str, object]:
    """Metrics at every tuned operating point, plus multiclass metrics when given."""
    out: Dict[str, object] = {name: binary_metrics(y, score, thr) for name, thr in thresholds.items()}
    if proba is not None and attack is not None and classes is not None:
        out["multiclass"] = multiclass_metrics(attack, proba, classes)
    return out
