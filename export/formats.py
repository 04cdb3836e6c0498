"""One function per model format (habit 3): each writes its files into the bundle
directory and returns (files, batch sizes, engine name, probabilities on the parity
windows, one array per file). The table FORMATS drives export; a failure names the format."""
import os
import subprocess
import tempfile
from dataclasses import dataclass
from typing import Callable, Dict, List, Tuple

import numpy as np

LITE_BATCHES = (1, 32, 256)
OPSET = 11  # what mindspore.export writes for ONNX; checked after export


@dataclass
class ExportContext:
    net: object                 # trained CNNBiLSTM in eval mode
    window: int
    n_inputs: int
    out_dir: str
    parity_x: np.ndarray        # (n, T, F) real windows from the run's test split
    lite_python: str
    log: Callable[[str], None]


Result = Tuple[List[str], List[int], str, List[np.ndarray]]


def _scoring(ctx: ExportContext):
    from mindflow_train.model import ScoringNet
    net = ScoringNet(ctx.net)  # a fresh wrapper per export: re-exporting one cell fails in MindSpore 2.10
    net.set_train(False)
    return net


def export_mindir(ctx: ExportContext) -> Result:
    import mindspore as ms

    from .mindspore_engine import MindSporeEngine
    spec = ms.Tensor(shape=[None, ctx.window, ctx.n_inputs], dtype=ms.float32)
    ms.export(_scoring(ctx), spec, file_name=os.path.join(ctx.out_dir, "model"), file_format="MINDIR")
    proba = MindSporeEngine(os.path.join(ctx.out_dir, "model.mindir")).run(ctx.parity_x)
    return ["model.mindir"], [], "mindspore", [proba]


def _fixed_onnx(ctx: ExportContext, batch: int, path_prefix: str) -> str:
    import mindspore as ms
    x = ms.Tensor(np.zeros((batch, ctx.window, ctx.n_inputs), np.float32))
    ms.export(_scoring(ctx), x, file_name=path_prefix, file_format="ONNX")
    return path_prefix + ".onnx"


def export_onnx(ctx: ExportContext) -> Result:
    import onnx
    import onnxruntime as ort

    from .onnx_dynamic import export_batch, make_batch_dynamic
    cfg = ctx.net.cfg
    batch = export_batch([ctx.window, ctx.n_inputs, ctx.window // cfg.pool, cfg.lstm_hidden, cfg.dense,
                          cfg.n_outputs, *cfg.conv_channels, *(c * cfg.kernel for c in cfg.conv_channels),
                          ctx.n_inputs * cfg.kernel, 2 * cfg.lstm_hidden, 4 * cfg.lstm_hidden])
    with tempfile.TemporaryDirectory() as tmp:
        model = onnx.load(_fixed_onnx(ctx, batch, os.path.join(tmp, "fixed")))
    if model.opset_import[0].version != OPSET:
        raise ValueError(f"exporter wrote opset {model.opset_import[0].version}, expected {OPSET}")
    model = make_batch_dynamic(model, batch)
    path = os.path.join(ctx.out_dir, "model.onnx")
    onnx.save(model, path)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    for b in (1, 7, 1024):  # the dynamic batch really is dynamic
        x = np.resize(ctx.parity_x, (b,) + ctx.parity_x.shape[1:])
        got = sess.run(None, {"windows": x})[0]
        if got.shape[0] != b:
            raise ValueError(f"batch {b} returned {got.shape[0]} rows")
    return ["model.onnx"], [], "onnxruntime", [sess.run(None, {"windows": ctx.parity_x})[0]]


def export_lite(ctx: ExportContext) -> Result:
    """Fixed-batch Lite models converted from ONNX by the Python 3.7 mindspore-lite 2.0."""
    if not os.path.exists(ctx.lite_python):
        raise FileNotFoundError(f"no Python 3.7 mindspore-lite interpreter at {ctx.lite_python} "
                                "(run `make setup`, or pass --lite-python)")
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lite_convert.py")
    files = []
    probas = []
    with tempfile.TemporaryDirectory() as tmp:
        np.save(os.path.join(tmp, "x.npy"), ctx.parity_x)
        for b in LITE_BATCHES:
            onnx_path = _fixed_onnx(ctx, b, os.path.join(tmp, f"fixed{b}"))
            prefix = os.path.join(ctx.out_dir, f"model_lite_b{b}")
            _run([ctx.lite_python, script, "convert", onnx_path, prefix], f"lite convert batch {b}")
            files.append(os.path.basename(prefix) + ".mindir")
            out = os.path.join(tmp, f"y{b}.npy")
            _run([ctx.lite_python, script, "score", prefix + ".mindir", os.path.join(tmp, "x.npy"), out],
                 f"lite score batch {b}")
            probas.append(np.load(out))
    return files, list(LITE_BATCHES), "mindspore_lite", probas


def _run(cmd: List[str], what: str) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = [ln for ln in proc.stderr.splitlines() if "ERROR" in ln or "Error" in ln][-1:] or \
            proc.stderr.splitlines()[-1:]
        raise RuntimeError(f"{what} failed (exit {proc.returncode}): {' '.join(tail)[:300]}")


FORMATS: Dict[str, Callable[[ExportContext], Result]] = {
    "mindir": export_mindir,
    "onnx": export_onnx,
    "lite": export_lite,
}


def default_lite_python() -> str:
    """The project's .venv-lite interpreter, or $MF_LITE_PYTHON."""
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return os.environ.get("MF_LITE_PYTHON", os.path.join(repo, ".venv-lite", "bin", "python"))

