"""Score a prepared test set with the model and both baselines, at tuned operating points."""
from typing import Dict, List, Optional

import numpy as np
from mindflow_runtime.scoring import attack_score, benign_index

from . import baselines
from .dataset import Prepared
from .metrics import evaluate_scores, tune_thresholds
from .trainer import Scorer


def model_scores(prep: Prepared, scorer: Scorer, name: str, model_classes: List[str]):
    ws = prep.sets[name]
    proba = scorer.proba(prep, ws, progress=True)
    return proba, attack_score(proba, benign_index(model_classes))


def evaluate(prep: Prepared, scorer: Scorer, model_classes: List[str],
             thresholds: Optional[Dict[str, float]] = None,
             tree_source: Optional[Prepared] = None, seed: int = 0) -> Dict[str, object]:
    """Model and baseline metrics on ``prep.sets['test']``.

    Thresholds are tuned on ``prep.sets['val']`` unless given (mf-eval reuses the run's).
    `model_classes` are the classes the network was trained on; multiclass metrics are
    reported only when the test file has the same ones. The ExtraTrees baseline is fit on
    the train flows of `tree_source` (default: `prep`).
    """
    classes = prep.table.classes
    test = prep.sets["test"]
    curves: Dict[str, np.ndarray] = {"y": test.label}
    if thresholds is None:
        _, val_score = model_scores(prep, scorer, "val", model_classes)
        thresholds = tune_thresholds(prep.sets["val"].label, val_score)
    proba, score = model_scores(prep, scorer, "test", model_classes)
    curves["model"] = score
    multiclass = proba.shape[1] > 1 and list(classes) == list(model_classes)
    results: Dict[str, object] = {
        "thresholds": thresholds,
        "model": evaluate_scores(test.label, score, thresholds, test.attack if multiclass else None,
                                 proba if multiclass else None, classes if multiclass else None),
        "baseline_all_attack": baselines.all_attack(test.label),
    }
    src = tree_source or prep
    tr, va = src.sets["train"], src.sets["val"]
    keep = baselines.subsample(len(tr), seed)  # before transforming: bounded memory on 37M rows
    trees = baselines.extra_trees(src.inputs(tr.last[keep]), tr.label[keep], src.inputs(va.last), va.label,
                                  prep.inputs(test.last), seed)
    curves["extra_trees"] = trees["test_score"]
    results["baseline_extra_trees"] = evaluate_scores(test.label, trees["test_score"], trees["thresholds"])
    results["baseline_extra_trees"]["train_rows"] = trees["train_rows"]
    results["_curves"] = curves
    results["_confusion_pred"] = (score >= thresholds["f1"]).astype(int)
    if multiclass:
        results["_proba"] = proba
    return results
