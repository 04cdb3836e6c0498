"""mf-score: one row per input row in order, malformed rows reported, same windows as training."""
import csv
import gzip
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from mindflow_runtime.bundle import load_bundle
from mindflow_runtime.cleaning import clean_features
from mindflow_runtime.score_file import score_file
from mindflow_runtime.window import gather_windows, window_indices

from .conftest import ENGINES, GOLDEN

SCORE = os.path.join(os.path.dirname(sys.executable), "mf-score")
FEATURES = ["PROTOCOL", "IN_BYTES", "IN_PKTS", "OUT_BYTES", "OUT_PKTS", "TCP_FLAGS",
            "FLOW_DURATION_MILLISECONDS", "ICMP_TYPE"]


def _rows(n, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        rows.append({"IPV4_SRC_ADDR": f"10.0.0.{rng.integers(1, 4)}", "L4_SRC_PORT": int(rng.integers(1024, 60000)),
                     "IPV4_DST_ADDR": "10.0.1.1", "L4_DST_PORT": 80, "PROTOCOL": int(rng.choice([6, 17, 1])),
                     "IN_BYTES": int(rng.integers(40, 5000)), "IN_PKTS": int(rng.integers(1, 20)),
                     "OUT_BYTES": int(rng.integers(0, 5000)), "OUT_PKTS": int(rng.integers(0, 20)),
                     "TCP_FLAGS": int(rng.integers(0, 32)),
                     "FLOW_DURATION_MILLISECONDS": int(rng.choice([0, 1500, 4_294_000])),
                     "ICMP_TYPE": 0, "Label": 0, "Attack": "Benign"})
    return rows


def _write_csv(path, rows):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wt", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return str(path)


def _expected(rows, key):
    """Scores computed the training way: whole-file preprocessing and window indices."""
    bundle = load_bundle(os.path.join(GOLDEN, "bundle"))
    pre = bundle.spec.preprocessor()
    raw = np.array([[float(r[f]) for f in FEATURES] for r in rows])
    clean_features(raw, FEATURES)
    keys = None if key == "none" else np.unique([r["IPV4_SRC_ADDR"] for r in rows], return_inverse=True)[1]
    win = window_indices(len(rows), bundle.spec.window_length, keys=keys)
    return bundle.engine("onnx").run(gather_windows(pre.transform(raw), win))[:, 0]


@pytest.mark.parametrize("key", ["none", "src"])
@pytest.mark.parametrize("engine", [e for e in ENGINES if e in ("onnx", "lite")])
def test_scores_match_training_windows_in_input_order(tmp_path, key, engine):
    rows = _rows(700)
    path = _write_csv(tmp_path / "flows.csv.gz", rows)
    bundle = load_bundle(os.path.join(GOLDEN, "bundle"))
    out = str(tmp_path / "scores.csv")
    s = score_file(bundle, bundle.engine(engine), path, out, window_key=key)
    assert s.rows == 700 and s.scored == 700 and s.malformed == 0
    assert s.bad_values["duration_wrap"]["FLOW_DURATION_MILLISECONDS"] > 0
    got = list(csv.DictReader(open(out)))
    assert [int(r["line"]) for r in got] == list(range(2, 702))
    np.testing.assert_allclose([float(r["score"]) for r in got], _expected(rows, key), atol=2e-5)
    thr = bundle.spec.threshold["value"]
    assert all(int(r["prediction"]) == int(float(r["score"]) >= thr) for r in got)


def test_malformed_rows_are_kept_in_place_and_reported(tmp_path):
    rows = _rows(10)
    path = tmp_path / "bad.csv"
    _write_csv(path, rows)
    lines = path.read_text().splitlines()
    lines[3] = lines[3].replace(",6,", ",tcp,", 1) if ",6," in lines[3] else lines[3].replace(",17,", ",udp,", 1) \
        .replace(",1,", ",icmp,", 1)
    lines[5] = "1,2,3"
    path.write_text("\n".join(lines) + "\n")
    bundle = load_bundle(os.path.join(GOLDEN, "bundle"))
    s = score_file(bundle, bundle.engine("onnx"), str(path), str(tmp_path / "o.jsonl"))
    assert s.rows == 10 and s.malformed == 2 and s.scored == 8
    assert s.malformed_lines[0].startswith("line 4: PROTOCOL is not a number")
    assert s.malformed_lines[1].startswith("line 6: expected")
    out = [json.loads(x) for x in open(tmp_path / "o.jsonl")]
    assert [o["line"] for o in out] == list(range(2, 12))
    assert out[2]["score"] == "" and out[2]["error"] and out[3]["score"] != ""


def test_cli_jsonl_in_and_missing_column_error(tmp_path):
    rows = _rows(30)
    src = tmp_path / "flows.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    bundle = os.path.join(GOLDEN, "bundle")
    proc = subprocess.run([SCORE, "--bundle", bundle, "--input", str(src), "--output", str(tmp_path / "s.csv"),
                           "--summary", str(tmp_path / "sum.json")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert json.load(open(tmp_path / "sum.json"))["scored"] == 30
    bad = _write_csv(tmp_path / "nocol.csv", [{k: v for k, v in r.items() if k != "IN_PKTS"} for r in rows])
    proc = subprocess.run([SCORE, "--bundle", bundle, "--input", bad, "--output", str(tmp_path / "x.csv")],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "nocol.csv: missing column IN_PKTS" in proc.stderr
    assert "Traceback" not in proc.stderr
