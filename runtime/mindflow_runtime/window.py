"""Windows of T consecutive flows, in batch (training) and streaming (gateway) form.

A window ends at a flow and holds that flow and the T-1 flows of the same key before
it, oldest first. A flow with fewer than T-1 earlier flows is left-padded; padding
rows are zeros in model-input space (the training mean for standardised columns,
"absent" for one-hot and flag columns). Key ``none`` is one sequence in input order
(the paper's method); key ``src`` gives each source host its own sequence.
"""
from collections import OrderedDict, deque
from typing import Deque, Dict, Hashable, List, Optional, Sequence, Tuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

PAD = -1
WINDOW_KEYS = ("none", "src")


def window_indices(n: int, length: int, stride: int = 1,
                   keys: Optional[np.ndarray] = None) -> np.ndarray:
    """Row indices (n_windows, length) of the windows over rows 0..n-1; PAD marks padding.

    Rows are in sequence order; `keys` (integer codes, one per row) splits them into
    independent sequences. With stride s, each sequence keeps the windows ending at
    its last flow and every s-th flow before it. Windows come out ordered by end row.
    """
    if length < 1 or stride < 1:
        raise ValueError("window length and stride must be >= 1")
    if n == 0:
        return np.zeros((0, length), dtype=np.int64)
    if keys is None:
        order = np.arange(n)
        group_start = np.zeros(n, dtype=np.int64)
        group_end = np.full(n, n - 1, dtype=np.int64)
    else:
        keys = np.asarray(keys)
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        boundary = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
        sizes = np.diff(np.r_[boundary, n])
        group_start = np.repeat(boundary, sizes)
        group_end = group_start + np.repeat(sizes, sizes) - 1
    pos = np.arange(n)
    keep = ((group_end - pos) % stride) == 0
    pos, group_start = pos[keep], group_start[keep]
    offsets = np.arange(length - 1, -1, -1)
    src = pos[:, None] - offsets[None, :]
    valid = src >= group_start[:, None]
    windows = np.where(valid, order[np.clip(src, 0, None)], PAD)
    return windows[np.argsort(windows[:, -1], kind="stable")]


def gather_windows(x: np.ndarray, windows: np.ndarray) -> np.ndarray:
    """Model inputs (n_windows, length, dim) from per-flow inputs `x` and window indices."""
    padded = np.concatenate([x, np.zeros((1, x.shape[1]), dtype=x.dtype)], axis=0)
    return padded[windows]  # PAD (-1) picks the zero row appended last


class StreamWindower:
    """Per-key sliding windows over a flow stream, with a cap on keys and idle eviction.

    `push` returns the window ending at the pushed flow. Keys beyond `max_keys` evict the
    least recently seen key; `evict_idle(now)` drops keys unseen for `idle_seconds`.
    """

    def __init__(self, length: int, dim: int, max_keys: int = 100_000,
                 idle_seconds: float = 300.0) -> None:
        self.length, self.dim = length, dim
        self.max_keys, self.idle_seconds = max_keys, idle_seconds
        self._history: OrderedDict[Hashable, Tuple[float, Deque[np.ndarray]]] = OrderedDict()
        self.evicted: Dict[str, int] = {"cap": 0, "idle": 0}

    def __len__(self) -> int:
        return len(self._history)

    def push(self, key: Hashable, row: np.ndarray, now: float = 0.0) -> np.ndarray:
        """Append one model-input row for `key`; return its (length, dim) window."""
        return self.push_many([key], np.asarray(row, dtype=np.float32)[None, :], now)[0]

    def push_many(self, keys: Sequence[Hashable], rows: np.ndarray, now: float = 0.0) -> np.ndarray:
        """`push` for a batch, vectorised per key: windows (n, length, dim) in row order."""
        rows = np.asarray(rows, dtype=np.float32)
        out = np.empty((len(rows), self.length, self.dim), dtype=np.float32)
        groups: Dict[Hashable, List[int]] = {}
        for i, k in enumerate(keys):
            groups.setdefault(k, []).append(i)
        pad = np.zeros((self.length - 1, self.dim), dtype=np.float32)
        for key, idx in groups.items():
            entry = self._history.pop(key, None)
            prev = list(entry[1])[-(self.length - 1):] if entry and self.length > 1 else []
            seq = np.concatenate([pad] + ([np.stack(prev)] if prev else []) + [rows[idx]])
            start = self.length - 1 + len(prev)  # seq index of this batch's first row
            view = sliding_window_view(seq, (self.length, self.dim))[:, 0]
            out[idx] = view[start - self.length + 1: start - self.length + 1 + len(idx)]
            self._history[key] = (now, deque(seq[-self.length:], maxlen=self.length))
        while len(self._history) > self.max_keys:
            self._history.popitem(last=False)
            self.evicted["cap"] += 1
        return out

    def evict_idle(self, now: float) -> int:
        """Drop keys idle for longer than `idle_seconds`; return how many."""
        dropped = 0
        while self._history:
            key, (seen, _) = next(iter(self._history.items()))
            if now - seen <= self.idle_seconds:
                break
            del self._history[key]
            dropped += 1
        self.evicted["idle"] += dropped
        return dropped
