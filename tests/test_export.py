"""mf-export round trip on a tiny trained run: every format, every engine, no half bundles."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from mindflow_export.formats import default_lite_python
from mindflow_export.mindspore_engine import MindSporeEngine
from mindflow_export.writer import ExportError, export_bundle, parity_windows
from mindflow_runtime.bundle import load_bundle
from mindflow_train.config import TrainConfig
from mindflow_train.run import train_run


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("exp-run"))
    cfg = TrainConfig(synthetic_rows=3000, window=6, epochs=1, batch_size=64, conv_channels=[8, 8],
                      lstm_hidden=8, dense=8, seed=4, task="multiclass")
    m = train_run(cfg, out, log=lambda m: None)
    mc = m["model"]["multiclass"]  # multiclass runs report per-class recall and the confusion matrix
    assert set(mc["per_class_recall"]) == set(m["reading"]["classes"])
    assert len(mc["confusion"]) == len(m["reading"]["classes"])
    return out


@pytest.fixture(scope="module")
def bundle_dir(run_dir, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("exp-bundle") / "bundle")
    export_bundle(run_dir, out, log=lambda m: None)
    return out


def test_round_trip_every_engine(run_dir, bundle_dir):
    bundle = load_bundle(bundle_dir)
    spec = bundle.spec
    assert spec.task == "multiclass" and spec.benign_index == 0 and spec.window_length == 6
    x = parity_windows(run_dir, 40, log=lambda m: None)
    ref = MindSporeEngine(bundle.model_paths("mindir")[0]).run(x)
    assert ref.shape == (40, len(spec.classes))
    np.testing.assert_allclose(bundle.engine("onnx").run(x), ref, atol=1e-5)
    # MindSpore Lite lives in the Python 3.7 environment: score there, compare here
    np.save(os.path.join(bundle_dir, "..", "x.npy"), x)
    code = ("import sys, numpy as np; from mindflow_runtime.bundle import load_bundle; "
            "b = load_bundle(sys.argv[1]); np.save(sys.argv[3], b.engine('lite').run(np.load(sys.argv[2])))")
    out = os.path.join(bundle_dir, "..", "lite.npy")
    proc = subprocess.run([default_lite_python(), "-c", code, bundle_dir, os.path.join(bundle_dir, "..", "x.npy"),
                           out], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-500:]
    np.testing.assert_allclose(np.load(out), ref, atol=1e-5)


def test_spec_records_parity_and_versions(bundle_dir):
    spec = json.load(open(os.path.join(bundle_dir, "spec.json")))
    assert spec["parity"]["windows"] > 0 and spec["parity"]["tolerance"] == 1e-5
    for name in ("mindir", "onnx", "lite"):
        assert 0 <= spec["models"][name]["max_abs_diff"] <= 1e-5
    assert spec["versions"]["mindspore"] == "2.10.0" and spec["versions"]["mindspore_lite"] == "2.0.0"
    assert spec["preprocessing"]["features"] and spec["classes"][0] == "Benign"


def test_failed_format_leaves_nothing(run_dir, tmp_path):
    out = str(tmp_path / "b")
    with pytest.raises(ExportError, match="format lite"):
        export_bundle(run_dir, out, lite_python=str(tmp_path / "no-python"), log=lambda m: None)
    assert os.listdir(tmp_path) == []


def test_existing_bundle_needs_force(run_dir, bundle_dir):
    with pytest.raises(ExportError, match="exists"):
        export_bundle(run_dir, bundle_dir, formats=["onnx"], log=lambda m: None)


def test_cli_export_error_is_one_line(tmp_path):
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "mf-export"), "--run", str(tmp_path), "--out",
                           str(tmp_path / "b")], capture_output=True, text=True)
    assert proc.returncode != 0 and "no checkpoint.ckpt" in proc.stderr and "Traceback" not in proc.stderr
