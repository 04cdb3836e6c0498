"""From a FlowTable to leakage-free, windowed, preprocessed splits."""
from dataclasses import dataclass
from typing import Dict, List

import numpy as np
from mindflow_runtime.preprocess import Preprocessor
from mindflow_runtime.window import PAD, window_indices

from .config import TrainConfig
from .nf_read import FlowTable
from .split import Split, group_split, split_table


@dataclass
class WindowSet:
    """Windows of one split: global row indices (PAD for padding) and end-flow labels."""

    name: str
    windows: np.ndarray   # (n, T) int64 into the table's rows
    label: np.ndarray     # (n,) 0/1 of the window's last flow
    attack: np.ndarray    # (n,) class index of the window's last flow

    def __len__(self) -> int:
        return len(self.windows)

    @property
    def last(self) -> np.ndarray:
        return self.windows[:, -1]


@dataclass
class Prepared:
    table: FlowTable
    split: Split
    pre: Preprocessor
    sets: Dict[str, WindowSet]

    def inputs(self, rows: np.ndarray) -> np.ndarray:
        """Model inputs (len(rows), D) of some flows, transformed on demand.

        Transforming per batch instead of once for the whole table keeps memory at the raw
        float32 columns (156 bytes a row for v2) instead of adding 476 (119 inputs): the
        full 37.7-million-row NF-BoT-IoT-v2 would otherwise need 18 GB more.
        """
        return self.pre.transform(self.table.raw[rows])

    def batch(self, ws: WindowSet, idx: np.ndarray) -> np.ndarray:
        """Windows (len(idx), T, D) of a window set; padding rows are zeros."""
        win = ws.windows[idx]
        flat = win.reshape(-1)
        x = np.zeros((len(flat), self.pre.output_dim), dtype=np.float32)
        real = flat != PAD
        x[real] = self.inputs(flat[real])
        return x.reshape(win.shape + (self.pre.output_dim,))

    def split_sizes(self) -> Dict[str, Dict[str, int]]:
        return split_table(self.split, self.table.attack, self.table.classes)

    def window_sizes(self) -> Dict[str, Dict[str, int]]:
        out = {}
        for name, ws in self.sets.items():
            counts = np.bincount(ws.attack, minlength=len(self.table.classes))
            out[name] = {c: int(n) for c, n in zip(self.table.classes, counts)}
        return out


def split_windows(rows: np.ndarray, cfg: TrainConfig, src: np.ndarray) -> np.ndarray:
    """Windows inside one split's own sequence, as global row indices."""
    keys = src[rows] if cfg.window_key == "src" else None
    local = window_indices(len(rows), cfg.window, cfg.stride, keys)
    return np.where(local == PAD, PAD, rows[np.clip(local, 0, None)])


def prepare(table: FlowTable, cfg: TrainConfig, pre: Preprocessor = None) -> Prepared:
    """Split without leakage, fit preprocessing on train only, build windows per split."""
    split = group_split(table.raw, table.attack, cfg.split, cfg.seed)
    if len(split.train) == 0:
        raise ValueError("the training split is empty: too few distinct flows")
    if pre is None:
        pre = Preprocessor.fit(table.features, table.raw[split.train])
    label = table.label
    sets = {}
    for name, rows in split.parts():
        win = split_windows(rows, cfg, table.src)
        sets[name] = WindowSet(name, win, label[win[:, -1]], table.attack[win[:, -1]])
    return Prepared(table, split, pre, sets)


def whole_file(table: FlowTable, cfg: TrainConfig, pre: Preprocessor) -> Prepared:
    """Every flow of `table` as one evaluation set (mf-eval on another file)."""
    rows = np.arange(table.rows)
    win = split_windows(rows, cfg, table.src)
    empty = np.zeros(0, dtype=np.int64)
    ws = WindowSet("test", win, table.label[win[:, -1]], table.attack[win[:, -1]])
    return Prepared(table, Split(empty, empty, rows, groups=0), pre, {"test": ws})


def class_weights(values: np.ndarray, n_classes: int, cap: float) -> np.ndarray:
    """Balanced class weights n / (K * n_c), capped at `cap` times the smallest weight."""
    counts = np.bincount(values, minlength=n_classes).astype(float)
    present = counts > 0
    w = np.zeros(n_classes)
    w[present] = counts.sum() / (present.sum() * counts[present])
    w[present] = np.minimum(w[present], w[present].min() * cap)
    return w


def leaked_vectors(prep: Prepared) -> List[int]:
    """Count of feature vectors shared between split pairs (train-val, train-test, val-test)."""
    from .split import feature_hashes
    hashes = feature_hashes(prep.table.raw)
    parts = [set(hashes[rows].tolist()) for _, rows in prep.split.parts()]
    return [len(parts[0] & parts[1]), len(parts[0] & parts[2]), len(parts[1] & parts[2])]
