"""The training loop: GRAPH-mode steps, early stopping, best checkpoint, resume."""
import json
import os
import time
from dataclasses import dataclass, field, fields
from typing import Dict, List

import mindspore as ms
import numpy as np
from mindflow_runtime.scoring import attack_score, benign_index
from mindspore import nn
from tqdm import tqdm

from .config import ModelSize, TrainConfig
from .dataset import Prepared, WindowSet, class_weights
from .model import CNNBiLSTM, ModelConfig, ScoringNet, WeightedLoss, set_cpu_context

BEST = "checkpoint.ckpt"
LAST = "last.ckpt"
STATE = "state.json"


@dataclass
class TrainState:
    """What resume needs besides the weights."""

    epoch: int = 0
    best_epoch: int = -1
    best_val_loss: float = float("inf")
    history: List[Dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0


def model_config(cfg: TrainConfig, n_inputs: int, n_classes: int) -> ModelConfig:
    sizes = {f.name: getattr(cfg, f.name) for f in fields(ModelSize)}
    return ModelConfig(n_inputs=n_inputs, n_outputs=1 if cfg.task == "binary" else n_classes, **sizes)


def build_network(mcfg: ModelConfig, seed: int) -> CNNBiLSTM:
    ms.set_seed(seed)
    return CNNBiLSTM(mcfg)


class Scorer:
    """Batched inference with a fixed batch shape (one compiled graph)."""

    def __init__(self, net: CNNBiLSTM, batch_size: int) -> None:
        self.scoring = ScoringNet(net)
        self.batch_size = batch_size

    def proba(self, prep: Prepared, ws: WindowSet, progress: bool = False) -> np.ndarray:
        self.scoring.set_train(False)
        out = []
        n = len(ws)
        it = range(0, n, self.batch_size)
        for start in tqdm(it, desc=f"score {ws.name}", unit="batch", leave=False, disable=None if progress else True):
            idx = np.arange(start, min(start + self.batch_size, n))
            x = prep.batch(ws, idx)
            if len(x) < self.batch_size:  # pad: another batch shape would recompile the graph
                x = np.concatenate([x, np.zeros((self.batch_size - len(x),) + x.shape[1:], x.dtype)])
            out.append(self.scoring(ms.Tensor(x)).asnumpy()[: len(idx)])
        k = self.scoring.net.cfg.n_outputs
        return np.concatenate(out) if out else np.zeros((0, k), np.float32)


def targets(cfg: TrainConfig, ws: WindowSet, idx: np.ndarray, n_classes: int) -> np.ndarray:
    if cfg.task == "binary":
        return ws.label[idx].astype(np.float32)[:, None]
    return np.eye(n_classes, dtype=np.float32)[ws.attack[idx]]


def fit(prep: Prepared, cfg: TrainConfig, out_dir: str, resume: bool = False,
        log=print) -> CNNBiLSTM:
    """Train with early stopping on the validation loss; keep the best checkpoint."""
    set_cpu_context(graph=True)
    n_classes = len(prep.table.classes)
    mcfg = model_config(cfg, prep.pre.output_dim, n_classes)
    net = build_network(mcfg, cfg.seed)
    loss_cell = WeightedLoss(net)
    opt = nn.Adam(net.trainable_params(), learning_rate=cfg.lr)
    step = nn.TrainOneStepCell(loss_cell, opt)
    eval_loss = WeightedLoss(net)
    state = TrainState()
    if resume and os.path.exists(os.path.join(out_dir, LAST)):
        ms.load_param_into_net(step, ms.load_checkpoint(os.path.join(out_dir, LAST)))
        with open(os.path.join(out_dir, STATE)) as fh:
            state = TrainState(**json.load(fh))
        log(f"resuming after epoch {state.epoch} (best epoch {state.best_epoch})")

    train, val = prep.sets["train"], prep.sets["val"]
    weight_of = class_weights(train.label if cfg.task == "binary" else train.attack,
                              2 if cfg.task == "binary" else n_classes, cfg.class_weight_cap)
    bs = cfg.batch_size
    steps = len(train) // bs
    if steps == 0:
        raise ValueError(f"training split has {len(train)} windows, fewer than one batch of {bs}")
    scorer = Scorer(net, bs)
    patience_left = cfg.patience - (state.epoch - 1 - state.best_epoch) if state.best_epoch >= 0 else cfg.patience
    for epoch in range(state.epoch, cfg.epochs):
        t0 = time.time()
        rng = np.random.default_rng([cfg.seed, epoch])  # per epoch: a resumed run draws the same
        order = rng.permutation(len(train))
        step.set_train(True)
        losses = []
        bar = tqdm(range(steps), desc=f"epoch {epoch + 1}/{cfg.epochs}", unit="step", leave=True, disable=None)
        for s in bar:
            idx = order[s * bs:(s + 1) * bs]
            y = targets(cfg, train, idx, n_classes)
            w = weight_of[train.label[idx] if cfg.task == "binary" else train.attack[idx]].astype(np.float32)
            masks = net.dropout_masks(bs, rng)
            loss = step(ms.Tensor(prep.batch(train, idx)), ms.Tensor(y), ms.Tensor(w), *map(ms.Tensor, masks))
            if s % 20 == 0 or s == steps - 1:
                losses.append(float(loss.asnumpy()))
                bar.set_postfix(loss=f"{losses[-1]:.4f}")
        val_loss, val_auc = _validate(prep, val, scorer, eval_loss, cfg, weight_of, n_classes)
        bar.set_postfix(loss=f"{np.mean(losses):.4f}", val_loss=f"{val_loss:.4f}", val_auc=f"{val_auc:.4f}")
        bar.close()
        state.seconds += time.time() - t0
        state.history.append({"epoch": epoch + 1, "train_loss": float(np.mean(losses)),
                              "val_loss": val_loss, "val_roc_auc": val_auc,
                              "seconds": round(time.time() - t0, 2)})
        log(f"epoch {epoch + 1}: train loss {np.mean(losses):.4f}  val loss {val_loss:.4f}  "
            f"val ROC-AUC {val_auc:.4f}  ({time.time() - t0:.1f} s)")
        state.epoch = epoch + 1
        if val_loss < state.best_val_loss:
            state.best_val_loss, state.best_epoch = val_loss, epoch
            ms.save_checkpoint(net, os.path.join(out_dir, BEST))
            patience_left = cfg.patience
        else:
            patience_left -= 1
        ms.save_checkpoint(step, os.path.join(out_dir, LAST))
        with open(os.path.join(out_dir, STATE), "w") as fh:
            json.dump(state.__dict__, fh, indent=1)
        if patience_left <= 0:
            log(f"early stop: no validation improvement for {cfg.patience} epochs")
            break
    ms.load_param_into_net(net, ms.load_checkpoint(os.path.join(out_dir, BEST)))
    net.set_train(False)
    return net


def _validate(prep, val, scorer, eval_loss, cfg, weight_of, n_classes):
    from sklearn.metrics import roc_auc_score
    proba = scorer.proba(prep, val)
    if cfg.task == "binary":
        p = np.clip(proba[:, 0], 1e-7, 1 - 1e-7)
        y = val.label
        per = -(y * np.log(p) + (1 - y) * np.log(1 - p))
        w = weight_of[val.label]
    else:
        p = np.clip(proba[np.arange(len(val)), val.attack], 1e-7, 1)
        per = -np.log(p)
        w = weight_of[val.attack]
    loss = float((per * w).sum() / max(w.sum(), 1e-12))
    benign = benign_index(prep.table.classes)
    score = attack_score(proba, benign)
    auc = float(roc_auc_score(val.label, score)) if len(np.unique(val.label)) == 2 else float("nan")
    return loss, auc


def load_network(run_dir: str) -> CNNBiLSTM:
    """The best network of a run, in eval mode, from its checkpoint and saved model args."""
    with open(os.path.join(run_dir, "config.json")) as fh:
        mcfg = ModelConfig(**json.load(fh)["model"])
    set_cpu_context(graph=True)
    net = CNNBiLSTM(mcfg)
    ms.load_param_into_net(net, ms.load_checkpoint(os.path.join(run_dir, BEST)))
    net.set_train(False)
    return net
