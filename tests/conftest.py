"""Shared fixtures: small NF CSV files written on the fly, paths to the real data."""
import os

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(REPO), "shared", "data")
BOTIOT_DEV = os.path.join(SHARED, "nf-bot-iot-v2", "nf-bot-iot-v2-dev.csv.gz")
CICIDS = [os.path.join(SHARED, "nf-cse-cic-ids2018-v2", "targeted", f"cicids_reduced_{h}.csv.gz")
          for h in ("benign", "attacked")]


@pytest.fixture(scope="session")
def synthetic_csv(tmp_path_factory):
    from mindflow_train.synthetic import write_csv
    return write_csv(str(tmp_path_factory.mktemp("synth") / "synthetic.csv.gz"), 6000, seed=3)
