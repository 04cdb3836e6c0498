"""Bundles: manifest checked first, tampering refused naming the file, spec loaded strictly."""
import json
import os

import pytest
from mindflow_runtime.bundle import MANIFEST, BundleError, load_bundle, write_manifest
from mindflow_runtime.spec import Spec, SpecError

from .conftest import ENGINES


def _flip_byte(path, offset=-100):
    with open(path, "r+b") as fh:
        data = bytearray(fh.read())
        data[offset] ^= 0x01
        fh.seek(0)
        fh.write(data)


@pytest.mark.parametrize("name", ["model.onnx", "spec.json", "model_lite_b32.mindir", "model.mindir"])
def test_modified_byte_is_refused(bundle_copy, name):
    _flip_byte(os.path.join(bundle_copy, name))
    with pytest.raises(BundleError, match=name.replace(".", r"\.") + ".*altered"):
        load_bundle(bundle_copy)


def test_missing_file_is_refused(bundle_copy):
    os.remove(os.path.join(bundle_copy, "model_lite_b1.mindir"))
    with pytest.raises(BundleError, match="model_lite_b1.mindir: listed in the manifest but missing"):
        load_bundle(bundle_copy)


def test_spec_edited_with_fresh_manifest_is_refused_by_onnx_metadata(bundle_copy):
    """Someone edits spec.json and recomputes the manifest: the ONNX model's spec hash catches it."""
    path = os.path.join(bundle_copy, "spec.json")
    spec = json.load(open(path))
    spec["threshold"]["value"] = 0.01
    json.dump(spec, open(path, "w"))
    os.remove(os.path.join(bundle_copy, MANIFEST))
    write_manifest(bundle_copy)
    bundle = load_bundle(bundle_copy)
    if "onnx" in ENGINES:
        with pytest.raises(BundleError, match="another spec.json"):
            bundle.engine("onnx")


def test_spec_unknown_and_missing_keys(bundle_copy):
    d = json.load(open(os.path.join(bundle_copy, "spec.json")))
    with pytest.raises(SpecError, match=r"my\.json.*unknown \['colour'\]"):
        Spec.from_dict({**d, "colour": "red"}, "my.json")
    d.pop("threshold")
    with pytest.raises(SpecError, match=r"missing \['threshold'\]"):
        Spec.from_dict(d)


def test_spec_describes_models(bundle_copy):
    spec = load_bundle(bundle_copy).spec
    assert set(spec.models) == {"mindir", "onnx", "lite"}
    assert spec.models["lite"].batch_sizes == [1, 32, 256] and spec.models["onnx"].batch_sizes == []
    assert all(m.max_abs_diff <= 1e-5 for m in spec.models.values())
    assert spec.onnx["opset"] == 11 and spec.threshold["metric"].startswith("f1")
    assert spec.training["synthetic"] is True
