"""The README's promises: it opens with the two commands, and the shipped serve config loads."""
import json
import os

from conftest import REPO


def test_readme_opens_with_the_two_commands():
    text = open(os.path.join(REPO, "README.md")).read()
    block = text.split("```")[1].strip().splitlines()
    assert [ln.split("#")[0].strip() for ln in block] == ["make demo", "make test"]
    ci = open(os.path.join(REPO, ".ci", "run")).read()
    assert "make test" in ci


def test_systemd_example_config_is_valid():
    from mindflow_runtime.serve.config import ServeConfig
    path = os.path.join(REPO, "runtime", "systemd", "mf-serve.json")
    cfg = ServeConfig.build(path)
    assert cfg.netflow_listen and json.load(open(path))["bundle"] == cfg.bundle
    unit = open(os.path.join(REPO, "runtime", "systemd", "mf-serve.service")).read()
    assert "ExecReload=/bin/kill -HUP $MAINPID" in unit and "mf-serve --config" in unit
