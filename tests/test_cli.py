"""Every console command answers -h; errors are one line naming the cause."""
import configparser
import os
import subprocess
import sys

import pytest
from conftest import REPO

BIN = os.path.dirname(sys.executable)


def _commands():
    names = []
    for cfg in ("setup.cfg", "runtime/setup.cfg"):
        p = configparser.ConfigParser()
        p.read(os.path.join(REPO, cfg))
        names += [line.split("=")[0].strip()
                  for line in p["options.entry_points"]["console_scripts"].strip().splitlines()]
    return names


@pytest.mark.parametrize("command", _commands())
def test_every_command_has_help(command):
    out = subprocess.run([os.path.join(BIN, command), "-h"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "Usage:" in out.stdout and len(out.stdout.splitlines()) > 3


def test_train_missing_column_is_one_line_error(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("IPV4_SRC_ADDR,L4_SRC_PORT\n1.2.3.4,5\n")
    out = subprocess.run([os.path.join(BIN, "mf-train"), "--data", str(bad), "--out", str(tmp_path / "r")],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode != 0
    err = [ln for ln in out.stderr.splitlines() if ln.startswith("Error:")]
    assert len(err) == 1 and "bad.csv" in err[0] and "IPV4_DST_ADDR" in err[0]
    assert "Traceback" not in out.stderr
