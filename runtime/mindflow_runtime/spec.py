"""spec.json: everything a gateway needs to know about a bundle's model.

Loaded strictly (habit 1): unknown and missing keys are errors naming the file, so a
spec written by another version is refused rather than half-understood.
"""
import json
from dataclasses import asdict, dataclass, fields
from typing import Any, Dict, List, Optional

from .preprocess import Preprocessor

SPEC_VERSION = 1


class SpecError(ValueError):
    """A spec.json is malformed or does not fit this runtime."""


@dataclass
class ModelFile:
    """One model file of the bundle."""

    files: List[str]              # one file, or one per fixed batch size (same order)
    format: str                   # mindir | onnx | lite
    engine: str                   # mindspore | onnxruntime | mindspore_lite
    batch_sizes: List[int]        # [] = dynamic batch
    max_abs_diff: float           # largest |score - MindSpore score| on the parity windows


@dataclass
class Spec:
    """The model contract between export and the gateway runtime."""

    spec_version: int
    model_id: str
    created: str
    task: str                     # binary | multiclass
    classes: List[str]            # attack categories seen in training, "Benign" first
    benign_index: Optional[int]   # output column of Benign for multiclass; None for binary
    window: Dict[str, Any]        # length, key (none|src), padding
    preprocessing: Dict[str, Any]
    threshold: Dict[str, Any]     # value, metric: the operating point used to decide
    thresholds: Dict[str, float]  # every tuned operating point (f1, mcc, far_1pct)
    onnx: Dict[str, Any]          # opset, input, output
    models: Dict[str, ModelFile]
    training: Dict[str, Any]      # data description, synthetic flag, test metrics
    versions: Dict[str, str]
    parity: Dict[str, Any]        # windows compared, tolerance

    @property
    def features(self) -> List[str]:
        return list(self.preprocessing["features"])

    @property
    def window_length(self) -> int:
        return int(self.window["length"])

    def preprocessor(self) -> Preprocessor:
        return Preprocessor.from_dict(self.preprocessing, "spec.json preprocessing")

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, sort_keys=True)

    @classmethod
    def from_dict(cls, d: Dict[str, Any], source: str = "spec.json") -> "Spec":
        names = {f.name for f in fields(cls)}
        missing, unknown = sorted(names - set(d)), sorted(set(d) - names)
        if missing or unknown:
            raise SpecError(f"{source}: keys differ from spec version {SPEC_VERSION}: "
                            f"missing {missing}, unknown {unknown}")
        if d["spec_version"] != SPEC_VERSION:
            raise SpecError(f"{source}: spec_version {d['spec_version']} is not {SPEC_VERSION}")
        if d["task"] not in ("binary", "multiclass"):
            raise SpecError(f"{source}: task {d['task']!r} is neither binary nor multiclass")
        models = {}
        for name, m in d["models"].items():
            mnames = {f.name for f in fields(ModelFile)}
            if set(m) != mnames:
                raise SpecError(f"{source}: model {name!r} keys differ: missing {sorted(mnames - set(m))}, "
                                f"unknown {sorted(set(m) - mnames)}")
            models[name] = ModelFile(**m)
        spec = cls(**{**d, "models": models})
        spec.preprocessor()  # validates the preprocessing block too
        return spec

    @classmethod
    def load(cls, path: str) -> "Spec":
        try:
            with open(path) as fh:
                data = json.load(fh)
        except (OSError, ValueError) as exc:
            raise SpecError(f"{path}: cannot read spec: {exc}") from exc
        return cls.from_dict(data, path)
