"""Inference engines behind one interface: ``proba = engine.run(windows)``.

Each engine imports its library lazily, so the runtime needs only the one it uses.
windows: float32 (n, T, F); proba: float32 (n, outputs).
"""
from typing import Dict, List

import numpy as np

from .bundle import SPEC_HASH_KEY, Bundle, BundleError

ENGINES = {"onnx": "onnxruntime", "lite": "mindspore_lite"}


class OnnxEngine:
    """ONNX Runtime on a dynamic-batch model; refuses a model whose spec hash differs."""

    name = "onnxruntime"

    def __init__(self, path: str, expected_spec_sha256: str, threads: int = 1) -> None:
        import onnxruntime as ort
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(path, sess_options=opts, providers=["CPUExecutionProvider"])
        meta = self.session.get_modelmeta().custom_metadata_map
        if meta.get(SPEC_HASH_KEY) != expected_spec_sha256:
            raise BundleError(f"{path}: model was exported with another spec.json "
                              f"({SPEC_HASH_KEY} {meta.get(SPEC_HASH_KEY)!s:.12} != {expected_spec_sha256:.12})")
        self.input = self.session.get_inputs()[0].name

    def run(self, windows: np.ndarray) -> np.ndarray:
        return self.session.run(None, {self.input: np.ascontiguousarray(windows, dtype=np.float32)})[0]


class LiteEngine:
    """MindSpore Lite 2.0 on fixed-batch models: batches are split and padded to fit.

    Lite 2.0 cannot resize this graph (Reshape infer-shape fails) and a dynamic-batch
    conversion crashes in predict (ENVIRONMENT.md), so the bundle ships fixed batch sizes.
    """

    name = "mindspore_lite"

    def __init__(self, paths: Dict[int, str], threads: int = 1) -> None:
        import mindspore_lite as mslite
        self.models = {}
        for batch, path in sorted(paths.items()):
            ctx = mslite.Context()
            ctx.target = ["cpu"]
            ctx.cpu.thread_num = threads
            model = mslite.Model()
            model.build_from_file(path, mslite.ModelType.MINDIR, ctx)
            self.models[batch] = model
        self.sizes: List[int] = sorted(self.models)

    def _run_fixed(self, batch: int, x: np.ndarray) -> np.ndarray:
        model = self.models[batch]
        inputs = model.get_inputs()
        padded = np.zeros((batch,) + x.shape[1:], dtype=np.float32)
        padded[: len(x)] = x
        inputs[0].set_data_from_numpy(padded)
        # copy: Lite 2.0's get_data_to_numpy() is a view of an output buffer that the next
        # predict() overwrites (seen: every chunk of a file scored as the last chunk)
        return model.predict(inputs)[0].get_data_to_numpy()[: len(x)].copy()

    def run(self, windows: np.ndarray) -> np.ndarray:
        windows = np.ascontiguousarray(windows, dtype=np.float32)
        out, start, biggest = [], 0, self.sizes[-1]
        while start < len(windows):
            rest = len(windows) - start
            size = next((b for b in self.sizes if b >= rest), biggest)
            chunk = windows[start:start + min(rest, size)]
            out.append(self._run_fixed(size, chunk))
            start += len(chunk)
        return np.concatenate(out) if out else np.zeros((0, 1), np.float32)


def open_engine(bundle: Bundle, name: str, threads: int = 1):
    """An engine for model format `name` of a verified bundle."""
    spec = bundle.spec
    if name not in spec.models:
        raise BundleError(f"{bundle.path}: has no {name!r} model (has {sorted(spec.models)})")
    model = spec.models[name]
    paths = bundle.model_paths(name)
    if name == "onnx":
        return OnnxEngine(paths[0], bundle.spec_sha256, threads)
    if name == "lite":
        return LiteEngine(dict(zip(model.batch_sizes, paths)), threads)
    raise BundleError(f"{bundle.path}: format {name!r} has no gateway engine (use onnx or lite; "
                      "mindir runs in the training environment)")
