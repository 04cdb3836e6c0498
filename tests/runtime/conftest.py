"""Runtime tests run under both interpreters: Python 3.11 (.venv) and 3.7 (.venv-lite).

MF_ENGINES names the engines this environment must exercise; the Makefile sets it
(3.11: onnx and the MindSpore reference; 3.7: onnx and MindSpore Lite).
"""
import os
import shutil

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(os.path.dirname(HERE), "fixtures", "golden")
ENGINES = [e for e in os.environ.get("MF_ENGINES", "onnx,mindspore").split(",") if e]


@pytest.fixture
def bundle_copy(tmp_path):
    dst = str(tmp_path / "bundle")
    shutil.copytree(os.path.join(GOLDEN, "bundle"), dst)
    for name in os.listdir(dst):
        os.chmod(os.path.join(dst, name), 0o644)
    return dst
