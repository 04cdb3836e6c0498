"""Every engine of this environment reproduces the committed golden scores."""
import os

import numpy as np
import pytest
from mindflow_runtime.bundle import load_bundle

from .conftest import ENGINES, GOLDEN

TOL = 1e-5


def _engine(bundle, name):
    if name == "mindspore":
        from mindflow_export.mindspore_engine import MindSporeEngine
        return MindSporeEngine(bundle.model_paths("mindir")[0])
    return bundle.engine(name)


@pytest.mark.parametrize("engine", ENGINES)
def test_engine_matches_golden(engine):
    bundle = load_bundle(os.path.join(GOLDEN, "bundle"))
    x = np.load(os.path.join(GOLDEN, "windows.npy"))
    expected = np.load(os.path.join(GOLDEN, "expected.npy"))
    eng = _engine(bundle, engine)
    np.testing.assert_allclose(eng.run(x), expected, atol=TOL)
    # batch sizes that are not the export or fixed sizes, including 1 and one above the largest
    for n in (1, 5, 24):
        np.testing.assert_allclose(eng.run(x[:n]), expected[:n], atol=TOL)
    big = np.resize(x, (300,) + x.shape[1:])
    np.testing.assert_allclose(eng.run(big), np.resize(expected, (300,) + expected.shape[1:]), atol=TOL)
