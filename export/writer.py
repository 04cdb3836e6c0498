"""mf-export's work: a training run -> a verified bundle directory, all or nothing."""
import datetime
import json
import os
import shutil
import time
from typing import Callable, Dict, List, Sequence

import numpy as np
from mindflow_runtime.bundle import SPEC, SPEC_HASH_KEY, load_bundle, sha256_file, write_manifest
from mindflow_runtime.preprocess import Preprocessor
from mindflow_runtime.scoring import benign_index
from mindflow_runtime.spec import SPEC_VERSION, ModelFile, Spec

from .formats import FORMATS, OPSET, ExportContext, default_lite_python
from .onnx_dynamic import INPUT_NAME, OUTPUT_NAME, set_metadata

TOLERANCE = 1e-5
PARITY_WINDOWS = 512


class ExportError(RuntimeError):
    """An export step failed; the message names the format."""


def parity_windows(run_dir: str, n: int = PARITY_WINDOWS, log: Callable = print) -> np.ndarray:
    """Real windows from the run's own test split (re-created from its saved config and seed)."""
    from mindflow_train.config import TrainConfig
    from mindflow_train.dataset import prepare
    from mindflow_train.run import load_table
    cfg = TrainConfig.load(os.path.join(run_dir, "config.json"))
    with open(os.path.join(run_dir, "preprocess.json")) as fh:
        pre = Preprocessor.from_dict(json.load(fh), os.path.join(run_dir, "preprocess.json"))
    prep = prepare(load_table(cfg, log), cfg, pre)
    test = prep.sets["test"]
    pick = np.sort(np.random.default_rng(cfg.seed).choice(len(test), min(n, len(test)), replace=False))
    return prep.batch(test, pick)


def build_spec(run_dir: str, models: Dict[str, ModelFile], n_parity: int) -> Spec:
    with open(os.path.join(run_dir, "config.json")) as fh:
        config = json.load(fh)
    with open(os.path.join(run_dir, "preprocess.json")) as fh:
        pre = json.load(fh)
    with open(os.path.join(run_dir, "metrics.json")) as fh:
        metrics = json.load(fh)
    train = config["train"]
    classes = config["classes"]
    benign = benign_index(classes)
    import mindspore
    import onnx
    versions = {**config["versions"], "mindspore_export": mindspore.__version__, "onnx": onnx.__version__,
                "mindspore_lite": "2.0.0" if "lite" in models else "n/a"}
    created = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
    return Spec(
        spec_version=SPEC_VERSION,
        model_id=f"mindflow-cnn-bilstm-{train['task']}-{created[:10]}",
        created=created,
        task=train["task"],
        classes=classes,
        benign_index=benign if train["task"] == "multiclass" else None,
        window={"length": train["window"], "key": train["window_key"], "stride_in_training": train["stride"],
                "padding": "left, zero rows in model-input space (a flow with fewer than T-1 earlier flows)"},
        preprocessing=pre,
        threshold={"value": metrics["thresholds"]["f1"], "metric": "f1 on the validation split"},
        thresholds=metrics["thresholds"],
        onnx={"opset": OPSET, "input": INPUT_NAME, "output": OUTPUT_NAME,
              "input_shape": ["batch", train["window"], len(pre["output_names"])]},
        models=models,
        training={"data": metrics["data"], "synthetic": config["synthetic"], "feature_set": train["feature_set"],
                  "rows": config["data"]["rows"], "test_metrics_f1_threshold": metrics["model"]["f1"],
                  "run_dir": os.path.abspath(run_dir)},
        versions=versions,
        parity={"windows": n_parity, "source": "the run's test split", "tolerance": TOLERANCE,
                "reference": "MindSpore network in eval mode"},
    )


def export_bundle(run_dir: str, out_dir: str, formats: Sequence[str] = ("mindir", "onnx", "lite"),
                  lite_python: str = "", force: bool = False, log: Callable = print) -> Spec:
    """Write all `formats` of a run into `out_dir`, check each against MindSpore, then manifest."""
    from mindflow_train.model import ScoringNet
    from mindflow_train.trainer import load_network
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ExportError(f"unknown format {unknown[0]!r}: choose from {sorted(FORMATS)}")
    if "onnx" not in formats:
        raise ExportError("the onnx format is required: the spec hash lives in its metadata")
    if os.path.exists(out_dir) and not force:
        raise ExportError(f"{out_dir} exists (use --force to replace it)")
    t_all = time.time()
    net = load_network(run_dir)
    x = parity_windows(run_dir, log=log)
    ref_net = ScoringNet(net)
    ref_net.set_train(False)
    import mindspore as ms
    reference = ref_net(ms.Tensor(x)).asnumpy()
    partial = f"{out_dir.rstrip('/')}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    os.makedirs(partial)
    try:
        ctx = ExportContext(net, net.cfg.window, net.cfg.n_inputs, partial, x,
                            lite_python or default_lite_python(), log)
        models: Dict[str, ModelFile] = {}
        for name in formats:
            t0 = time.time()
            try:
                files, batches, engine, probas = FORMATS[name](ctx)
            except Exception as exc:
                raise ExportError(f"format {name}: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}") from exc
            diff = max(float(np.abs(p - reference).max()) for p in probas)
            size = sum(os.path.getsize(os.path.join(partial, f)) for f in files)
            log(f"{name:7s} {', '.join(files)}  {size / 1024:.0f} KiB  max |diff| vs MindSpore {diff:.2e}  "
                f"({time.time() - t0:.1f} s)")
            if diff > TOLERANCE:
                raise ExportError(f"format {name}: scores differ from MindSpore by {diff:.2e} > {TOLERANCE}")
            models[name] = ModelFile(files=files, format=name, engine=engine, batch_sizes=batches,
                                     max_abs_diff=diff)
        spec = build_spec(run_dir, models, len(x))
        spec_path = os.path.join(partial, SPEC)
        with open(spec_path, "w") as fh:
            fh.write(spec.to_json())
        _embed_spec_hash(os.path.join(partial, "model.onnx"), sha256_file(spec_path))
        for f in os.listdir(partial):
            os.chmod(os.path.join(partial, f), 0o644)  # MindSpore writes 0400; bundles get copied around
        write_manifest(partial)
        _verify(partial, x, reference)
        _replace(partial, out_dir)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    log(f"bundle {out_dir} written and verified in {time.time() - t_all:.1f} s")
    return spec


def _embed_spec_hash(onnx_path: str, digest: str) -> None:
    import onnx
    model = onnx.load(onnx_path)
    set_metadata(model, **{SPEC_HASH_KEY: digest, "producer": "mindflow mf-export"})
    onnx.save(model, onnx_path)


def _verify(bundle_dir: str, x: np.ndarray, reference: np.ndarray) -> None:
    """Load the finished bundle the way a gateway does and score once more."""
    bundle = load_bundle(bundle_dir)
    diff = float(np.abs(bundle.engine("onnx").run(x) - reference).max())
    if diff > TOLERANCE:
        raise ExportError(f"format onnx: final bundle differs from MindSpore by {diff:.2e}")


def _replace(partial: str, out_dir: str) -> None:
    old = f"{out_dir.rstrip('/')}.old-{os.getpid()}"
    if os.path.exists(out_dir):
        os.rename(out_dir, old)
    os.rename(partial, out_dir)
    shutil.rmtree(old, ignore_errors=True)


def bundle_sizes(bundle_dir: str) -> List[str]:
    with open(os.path.join(bundle_dir, "manifest.json")) as fh:
        files = json.load(fh)["files"]
    return [f"{name} {meta['bytes'] / 1024:.1f} KiB" for name, meta in files.items()]
