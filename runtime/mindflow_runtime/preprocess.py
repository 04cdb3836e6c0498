"""The feature transform, in plain numpy: fitted by training, applied by the gateway.

One implementation for both sides, so training and serving cannot drift apart.
Each input column gets a kind:
- ``log``: log1p of a non-negative count, byte total, duration or rate, then standardised
- ``protocol``: one-hot of ICMP / TCP / UDP / other
- ``tcp_flags``: the eight TCP flag bits (FIN SYN RST PSH ACK URG ECE CWR) as 0/1
- ``category``: one-hot of the values most frequent in training, plus "other"
- ``present``: 1 if non-zero (identifiers such as DNS_QUERY_ID whose value is noise)
- ``raw``: standardised as is (TTLs)
"""
from typing import Any, Dict, List, Sequence

import numpy as np

PROTOCOLS = (1, 6, 17)
TCP_FLAG_NAMES = ("FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR")
CATEGORY_COLUMNS = ("L7_PROTO", "ICMP_TYPE", "ICMP_IPV4_TYPE", "DNS_QUERY_TYPE",
                    "FTP_COMMAND_RET_CODE")
FLAG_COLUMNS = ("TCP_FLAGS", "CLIENT_TCP_FLAGS", "SERVER_TCP_FLAGS")
RAW_COLUMNS = ("MIN_TTL", "MAX_TTL")
PRESENT_COLUMNS = ("DNS_QUERY_ID",)
MAX_CATEGORIES = 16
SCHEMA_VERSION = 1


def kind_of(column: str) -> str:
    """The transform kind used for an NF feature column."""
    if column == "PROTOCOL":
        return "protocol"
    if column in FLAG_COLUMNS:
        return "tcp_flags"
    if column in CATEGORY_COLUMNS:
        return "category"
    if column in RAW_COLUMNS:
        return "raw"
    if column in PRESENT_COLUMNS:
        return "present"
    return "log"


def output_names(features: Sequence[str], categories: Dict[str, List[float]]) -> List[str]:
    """Names of the model-input columns; one-hot and flag columns are named ``COLUMN=value``."""
    names: List[str] = []
    for f in features:
        k = kind_of(f)
        if k == "protocol":
            names += [f"{f}={p}" for p in PROTOCOLS] + [f"{f}=other"]
        elif k == "tcp_flags":
            names += [f"{f}={b}" for b in TCP_FLAG_NAMES]
        elif k == "category":
            names += [f"{f}={v:g}" for v in categories[f]] + [f"{f}=other"]
        elif k == "present":
            names.append(f"{f}=present")
        else:
            names.append(f)
    return names


class PreprocessError(ValueError):
    """A preprocessing description is malformed."""


class Preprocessor:
    """Maps raw flow features (n, len(features)) to model inputs (n, output_dim) float32."""

    def __init__(self, features: Sequence[str], categories: Dict[str, List[float]],
                 mean: Sequence[float], std: Sequence[float]) -> None:
        self.features = list(features)
        self.categories = {k: [float(v) for v in vals] for k, vals in categories.items()}
        self.kinds = [kind_of(f) for f in self.features]
        for f, k in zip(self.features, self.kinds):
            if k == "category" and f not in self.categories:
                raise PreprocessError(f"category column {f} has no category list")
        self.output_names = output_names(self.features, self.categories)
        self.scaled = np.array([self._is_scaled(n) for n in self.output_names], dtype=bool)
        self.mean = np.asarray(mean, dtype=np.float64)
        self.std = np.asarray(std, dtype=np.float64)
        if self.mean.shape != (len(self.output_names),) or self.std.shape != self.mean.shape:
            raise PreprocessError(f"mean/std have {self.mean.shape[0]} entries, "
                                  f"expected {len(self.output_names)}")

    @staticmethod
    def _is_scaled(output_name: str) -> bool:
        return "=" not in output_name

    @property
    def output_dim(self) -> int:
        return len(self.output_names)

    def _expand(self, raw: np.ndarray) -> np.ndarray:
        raw = np.asarray(raw, dtype=np.float64)
        if raw.ndim != 2 or raw.shape[1] != len(self.features):
            raise PreprocessError(f"expected (n, {len(self.features)}) raw features, got {raw.shape}")
        parts = []
        for j, (f, k) in enumerate(zip(self.features, self.kinds)):
            col = raw[:, j]
            if k == "log":
                parts.append(np.log1p(np.maximum(col, 0.0))[:, None])
            elif k == "raw":
                parts.append(col[:, None])
            elif k == "present":
                parts.append((col != 0).astype(np.float64)[:, None])
            elif k == "protocol":
                onehot = np.stack([col == p for p in PROTOCOLS], axis=1)
                other = ~onehot.any(axis=1, keepdims=True)
                parts.append(np.concatenate([onehot, other], axis=1).astype(np.float64))
            elif k == "tcp_flags":
                bits = col.astype(np.int64)
                parts.append(np.stack([(bits >> b) & 1 for b in range(8)], axis=1).astype(np.float64))
            else:
                cats = np.asarray(self.categories[f])
                rounded = np.round(col, 3)
                onehot = rounded[:, None] == cats[None, :]
                other = ~onehot.any(axis=1, keepdims=True)
                parts.append(np.concatenate([onehot, other], axis=1).astype(np.float64))
        return np.concatenate(parts, axis=1)

    def transform(self, raw: np.ndarray) -> np.ndarray:
        """Raw cleaned features -> standardised float32 model inputs."""
        x = self._expand(raw)
        x[:, self.scaled] = (x[:, self.scaled] - self.mean[self.scaled]) / self.std[self.scaled]
        return x.astype(np.float32)

    @classmethod
    def fit(cls, features: Sequence[str], raw: np.ndarray) -> "Preprocessor":
        """Fit category lists and standardisation constants on (training) raw features."""
        categories: Dict[str, List[float]] = {}
        for j, f in enumerate(features):
            if kind_of(f) == "category":
                vals, counts = np.unique(np.round(np.asarray(raw[:, j], dtype=np.float64), 3),
                                         return_counts=True)
                order = np.argsort(-counts, kind="stable")[:MAX_CATEGORIES]
                categories[f] = sorted(float(v) for v in vals[order])
        names = output_names(features, categories)
        n_out = len(names)
        expanded = cls(features, categories, np.zeros(n_out), np.ones(n_out))._expand(raw)
        mean = expanded.mean(axis=0)
        std = expanded.std(axis=0)
        std[std < 1e-6] = 1.0
        scaled = np.array([cls._is_scaled(n) for n in names])
        mean[~scaled] = 0.0
        std[~scaled] = 1.0
        return cls(features, categories, mean, std)

    def to_dict(self) -> Dict[str, Any]:
        """JSON-serialisable description (the ``preprocessing`` block of a spec)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "features": self.features,
            "kinds": self.kinds,
            "categories": self.categories,
            "output_names": self.output_names,
            "mean": [float(v) for v in self.mean],
            "std": [float(v) for v in self.std],
        }

    @classmethod
    def from_dict(cls, d: Dict[str, Any], source: str = "<preprocessing>") -> "Preprocessor":
        """Rebuild from `to_dict` output; unknown or missing keys are errors naming `source`."""
        expected = {"schema_version", "features", "kinds", "categories", "output_names", "mean", "std"}
        keys = set(d)
        if keys != expected:
            extra, missing = sorted(keys - expected), sorted(expected - keys)
            raise PreprocessError(f"{source}: preprocessing keys differ: missing {missing}, unknown {extra}")
        if d["schema_version"] != SCHEMA_VERSION:
            raise PreprocessError(f"{source}: preprocessing schema_version {d['schema_version']} "
                                  f"is not {SCHEMA_VERSION}")
        pre = cls(d["features"], d["categories"], d["mean"], d["std"])
        if pre.kinds != list(d["kinds"]) or pre.output_names != list(d["output_names"]):
            raise PreprocessError(f"{source}: preprocessing kinds/output names do not match this runtime")
        return pre
