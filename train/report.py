"""The run's Markdown report and PNG plots (loss curve, ROC, PR, confusion matrix)."""
import os
from typing import Dict, List

import matplotlib

matplotlib.use("Agg")  # headless gateways and CI have no display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import precision_recall_curve, roc_curve  # noqa: E402

ROWS = [("accuracy", "Accuracy"), ("precision", "Precision"), ("recall", "Recall"), ("f1", "F1"),
        ("balanced_accuracy", "Balanced accuracy"), ("mcc", "MCC"), ("benign_recall", "Benign recall"),
        ("false_alarm_rate", "False-alarm rate"), ("roc_auc", "ROC-AUC"), ("pr_auc", "PR-AUC")]


def _fmt(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "n/a"
    return f"{v:.4f}" if isinstance(v, float) else str(v)


def metrics_table(results: Dict) -> str:
    """Model beside both baselines at the F1 threshold, plus the model's other operating points."""
    model, trees, allatk = results["model"], results["baseline_extra_trees"], results["baseline_all_attack"]
    head = ("| metric | CNN-BiLSTM (F1 thr) | CNN-BiLSTM (MCC thr) | CNN-BiLSTM (FAR 1 % thr) "
            "| ExtraTrees per flow (F1 thr) | ExtraTrees per flow (MCC thr) | all-attack |\n"
            "|---|---|---|---|---|---|---|\n")
    lines = [f"| {label} | {_fmt(model['f1'][k])} | {_fmt(model['mcc'][k])} | {_fmt(model['far_1pct'][k])} "
             f"| {_fmt(trees['f1'][k])} | {_fmt(trees['mcc'][k])} | {_fmt(allatk[k])} |" for k, label in ROWS]
    thr = (f"| threshold | {model['f1']['threshold']:.4g} | {model['mcc']['threshold']:.4g} | "
           f"{model['far_1pct']['threshold']:.4g} | {trees['f1']['threshold']:.4g} | "
           f"{trees['mcc']['threshold']:.4g} | - |")
    return head + "\n".join(lines + [thr]) + "\n"


def class_table(counts: Dict[str, Dict[str, int]]) -> str:
    names = list(counts)
    classes = list(next(iter(counts.values())))
    head = "| class | " + " | ".join(names) + " |\n|---|" + "---|" * len(names) + "\n"
    return head + "\n".join(f"| {c} | " + " | ".join(str(counts[n][c]) for n in names) + " |"
                            for c in classes) + "\n"


def plot_history(history: List[Dict], path: str, title: str) -> None:
    ep = [h["epoch"] for h in history]
    fig, ax1 = plt.subplots(figsize=(6, 4))
    ax1.plot(ep, [h["train_loss"] for h in history], "o-", label="train loss")
    ax1.plot(ep, [h["val_loss"] for h in history], "s-", label="validation loss")
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("weighted loss")
    ax2 = ax1.twinx()
    ax2.plot(ep, [h["val_roc_auc"] for h in history], "g^--", label="validation ROC-AUC")
    ax2.set_ylabel("ROC-AUC")
    fig.legend(loc="upper right", fontsize=8)
    ax1.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_curves(curves: Dict[str, np.ndarray], out_dir: str, title: str) -> None:
    y = curves["y"]
    if len(np.unique(y)) < 2:
        return
    for kind in ("roc", "pr"):
        fig, ax = plt.subplots(figsize=(5, 4))
        for name, label in (("model", "CNN-BiLSTM"), ("extra_trees", "ExtraTrees (per flow)")):
            s = curves[name]
            if kind == "roc":
                # log-log miss rate vs false-alarm rate: near-perfect ROC curves are flat lines
                # on linear axes, and the region that matters on a gateway is the bottom left
                fpr, tpr, _ = roc_curve(y, s)
                ax.plot(fpr, 1 - tpr, label=label)
                ax.set_xscale("symlog", linthresh=1e-4)
                ax.set_yscale("symlog", linthresh=1e-4)
                ax.set_xlabel("false-alarm rate (benign flagged)")
                ax.set_ylabel("attack miss rate (1 - recall)")
            else:
                p, r, _ = precision_recall_curve(y, s)
                ax.plot(r, p, label=label)
                ax.axhline(y.mean(), color="grey", ls=":", label="all-attack precision")
                ax.set_xlabel("recall")
                ax.set_ylabel("precision")
        ax.set_title(f"{kind.upper()} — {title}", fontsize=9)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(out_dir, f"{kind}.png"), dpi=120)
        plt.close(fig)


def plot_confusion(matrix: np.ndarray, labels: List[str], path: str, title: str) -> None:
    fig, ax = plt.subplots(figsize=(1.2 * len(labels) + 2.5, 1.0 * len(labels) + 2))
    norm = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(labels)):
        for j in range(len(labels)):
            ax.text(j, i, f"{matrix[i, j]}\n{norm[i, j]:.1%}", ha="center", va="center", fontsize=7,
                    color="white" if norm[i, j] > 0.5 else "black")
    ax.set_xticks(range(len(labels)), labels, rotation=30, fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
