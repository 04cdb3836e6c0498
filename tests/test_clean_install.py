"""The gateway runtime installs on its own (Python 3.7, numpy + onnxruntime) and answers -h."""
import os
import subprocess
import sys

import pytest
from conftest import REPO

PY37 = os.path.join(os.path.expanduser("~"), ".pyenv", "versions", "3.7.16", "bin", "python3.7")


@pytest.fixture(scope="module")
def clean_venv(tmp_path_factory):
    py = PY37 if os.path.exists(PY37) else sys.executable
    venv = str(tmp_path_factory.mktemp("clean") / "venv")
    subprocess.run([py, "-m", "venv", venv], check=True)
    pip = os.path.join(venv, "bin", "pip")
    proc = subprocess.run([pip, "install", "-q", os.path.join(REPO, "runtime") + "[onnx,serve]"],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return venv


def test_runtime_alone_answers_help(clean_venv):
    for cmd in ("mf-score", "mf-serve"):
        out = subprocess.run([os.path.join(clean_venv, "bin", cmd), "-h"], capture_output=True, text=True)
        assert out.returncode == 0 and "Usage:" in out.stdout, out.stderr


def test_runtime_alone_imports_nothing_heavy(clean_venv):
    code = ("import sys, mindflow_runtime.score_file, mindflow_runtime.serve.daemon, mindflow_runtime.engines; "
            "bad = [m for m in ('mindspore', 'pandas', 'torch', 'sklearn', 'mindflow_train', 'mindflow_export') "
            "if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)")
    out = subprocess.run([os.path.join(clean_venv, "bin", "python"), "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    freeze = subprocess.run([os.path.join(clean_venv, "bin", "pip"), "freeze"], capture_output=True, text=True).stdout
    assert "mindspore" not in freeze.lower() and "pandas" not in freeze.lower()


def test_runtime_alone_scores_the_golden_bundle(clean_venv, tmp_path):
    flows = tmp_path / "f.jsonl"
    flows.write_text('{"IPV4_SRC_ADDR": "10.0.0.1", "PROTOCOL": 6, "IN_BYTES": 400, "IN_PKTS": 4, "OUT_BYTES": 0,'
                     ' "OUT_PKTS": 0, "TCP_FLAGS": 2, "FLOW_DURATION_MILLISECONDS": 3, "ICMP_TYPE": 0}\n')
    out = subprocess.run([os.path.join(clean_venv, "bin", "mf-score"), "--bundle",
                          os.path.join(REPO, "tests", "fixtures", "golden", "bundle"), "--input", str(flows),
                          "--output", str(tmp_path / "s.csv")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert len(open(tmp_path / "s.csv").read().splitlines()) == 2
