"""Training configuration: every knob of a run, saved as JSON in the run directory."""
import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Dict, List

TASKS = ("binary", "multiclass")


@dataclass
class ModelSize:
    """The CNN-BiLSTM's shape: shared by the run config and the saved model arguments."""

    window: int = 10
    conv_channels: List[int] = field(default_factory=lambda: [64])
    kernel: int = 3
    pool: int = 2
    lstm_hidden: int = 64
    dense: int = 64
    dropout: float = 0.3


@dataclass
class TrainConfig(ModelSize):
    """All settings of one training run (saved as ``config.json``)."""

    data: List[str] = field(default_factory=list)   # empty: the built-in synthetic dataset
    synthetic_rows: int = 60_000
    feature_set: str = "v2"
    task: str = "binary"
    stride: int = 1
    window_key: str = "none"
    split: List[float] = field(default_factory=lambda: [0.7, 0.15, 0.15])
    epochs: int = 20
    batch_size: int = 256
    lr: float = 1e-3
    patience: int = 5
    class_weight_cap: float = 100.0
    seed: int = 0
    max_rows: int = 0                               # 0: all rows; else the first N (smoke runs)

    @property
    def synthetic(self) -> bool:
        return not self.data

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Dict[str, Any], source: str = "<config>") -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"{source}: unknown config keys {unknown}")
        return cls(**d)

    @classmethod
    def load(cls, path: str) -> "TrainConfig":
        with open(path) as fh:
            return cls.from_dict(json.load(fh)["train"], path)

    def validate(self) -> None:
        """Raise ValueError with a one-line cause for settings that cannot work."""
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {self.task!r}")
        if self.window_key not in ("none", "src"):
            raise ValueError(f"window key must be 'none' or 'src', got {self.window_key!r}")
        if self.window < self.pool:
            raise ValueError(f"window {self.window} must be at least the pooling size {self.pool}")
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("epochs and batch size must be >= 1")

