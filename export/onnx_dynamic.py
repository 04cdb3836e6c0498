"""Post-process MindSpore's ONNX export: dynamic batch, fixed names, spec hash metadata.

Patches around MindSpore 2.10's ONNX exporter: it needs static shapes (a None dimension
fails: "Export ONNX format model not support dynamic shape mode"), and its
``dynamic_axes`` keeps batch-sized Reshape constants and LSTM initial states, so other
batch sizes fail in ONNX Runtime. We export with a batch size that collides with no
other dimension, set that entry of every Reshape shape constant to -1, drop the LSTM
initial_h/initial_c inputs (ONNX's default is zeros, as MindSpore's was) and mark
input/output dimension 0 symbolic.
"""
from typing import Iterable

import numpy as np
import onnx
from onnx import numpy_helper

INPUT_NAME = "windows"
OUTPUT_NAME = "proba"
PRIME_BATCHES = (13, 17, 19, 23, 29, 31, 37)


def export_batch(dims: Iterable[int]) -> int:
    """A batch size equal to no other dimension of the model (so -1 patching is unambiguous)."""
    used = set(dims)
    for b in PRIME_BATCHES:
        if b not in used:
            return b
    raise ValueError(f"no free export batch size among {PRIME_BATCHES}")


def make_batch_dynamic(model: onnx.ModelProto, batch: int) -> onnx.ModelProto:
    """Rewrite a fixed-batch export so any batch size runs."""
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    consts = {n.output[0]: n for n in g.node if n.op_type == "Constant"}
    patched = 0
    for node in g.node:
        if node.op_type == "Reshape":
            name = node.input[1]
            if name in inits:
                arr = numpy_helper.to_array(inits[name]).copy()
                if batch in arr:
                    arr[arr == batch] = -1
                    inits[name].CopyFrom(numpy_helper.from_array(arr.astype(np.int64), name))
                    patched += 1
            elif name in consts:
                attr = consts[name].attribute[0]
                arr = numpy_helper.to_array(attr.t).copy()
                if batch in arr:
                    arr[arr == batch] = -1
                    attr.t.CopyFrom(numpy_helper.from_array(arr.astype(np.int64)))
                    patched += 1
        elif node.op_type == "LSTM":
            ins = list(node.input)
            if len(ins) > 5:
                del node.input[5:]  # initial_h, initial_c (and peepholes): defaults are zeros
    for value in list(g.input) + list(g.output):
        value.type.tensor_type.shape.dim[0].dim_param = "batch"
    _rename(g, g.input[0].name, INPUT_NAME)
    _rename(g, g.output[0].name, OUTPUT_NAME)
    del g.value_info[:]
    model = onnx.shape_inference.infer_shapes(model)
    onnx.checker.check_model(model)
    if patched == 0:
        raise ValueError("found no batch-sized Reshape constant: the exporter changed, re-check this patch")
    return model


def _rename(g: onnx.GraphProto, old: str, new: str) -> None:
    for node in g.node:
        for i, name in enumerate(node.input):
            if name == old:
                node.input[i] = new
        for i, name in enumerate(node.output):
            if name == old:
                node.output[i] = new
    for value in list(g.input) + list(g.output):
        if value.name == old:
            value.name = new


def set_metadata(model: onnx.ModelProto, **items: str) -> None:
    """Replace/add metadata_props entries."""
    keep = [p for p in model.metadata_props if p.key not in items]
    del model.metadata_props[:]
    model.metadata_props.extend(keep)
    for k, v in items.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = k, v
