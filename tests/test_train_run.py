"""A whole (tiny) training run on SYNTHETIC data: run directory, report, resume, mf-eval."""
import json
import os

import pytest
from mindflow_train.config import TrainConfig
from mindflow_train.run import eval_run, train_run


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("run"))
    cfg = TrainConfig(synthetic_rows=8000, epochs=2, batch_size=64, lr=3e-3, conv_channels=[16], lstm_hidden=16,
                      dense=16, seed=1)
    train_run(cfg, out, log=lambda m: None)
    return out


def test_run_directory_describes_itself(run_dir):
    for name in ("checkpoint.ckpt", "last.ckpt", "config.json", "preprocess.json", "metrics.json",
                 "report.md", "loss.png", "roc.png", "pr.png", "confusion.png"):
        assert os.path.getsize(os.path.join(run_dir, name)) > 0, name
    cfg = json.load(open(os.path.join(run_dir, "config.json")))
    assert cfg["synthetic"] and cfg["model"]["conv_channels"] == [16] and cfg["train"]["seed"] == 1
    m = json.load(open(os.path.join(run_dir, "metrics.json")))
    assert m["synthetic"] and m["run"]["leaked_vectors_train_val_test"] == [0, 0, 0]
    for block in ("model", "baseline_extra_trees"):
        for point in ("f1", "mcc", "far_1pct"):
            assert 0 <= m[block][point]["mcc"] <= 1 or m[block][point]["mcc"] < 0
    assert m["baseline_all_attack"]["mcc"] == 0
    # the model learned something on synthetic data: far above the all-attack baseline
    assert m["model"]["f1"]["balanced_accuracy"] > 0.8
    report = open(os.path.join(run_dir, "report.md")).read()
    assert "SYNTHETIC" in report and "ExtraTrees" in report and "all-attack" in report


def test_resume_continues_from_last_epoch(run_dir):
    cfg = TrainConfig.load(os.path.join(run_dir, "config.json"))
    cfg.epochs = 3
    lines = []
    train_run(cfg, run_dir, resume=True, log=lines.append)
    assert any("resuming after epoch 2" in ln for ln in lines)
    state = json.load(open(os.path.join(run_dir, "state.json")))
    assert state["epoch"] == 3 and len(state["history"]) == 3


def test_mf_eval_on_another_file(run_dir, synthetic_csv, tmp_path):
    m = eval_run(run_dir, [synthetic_csv], str(tmp_path / "ev"), log=lambda m: None)
    assert m["run"]["evaluated_rows"] == 6000
    assert os.path.exists(tmp_path / "ev" / "report.md")
    assert m["thresholds"] == json.load(open(os.path.join(run_dir, "metrics.json")))["thresholds"]
