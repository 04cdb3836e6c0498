"""MindSpore Lite 2.0 conversion and scoring, run by the Python 3.7 interpreter (.venv-lite).

mindspore-lite 2.0.0 exists only for CPython 3.7 and cannot read MindSpore 2.10's
MINDIR ("can only support the maximum mind ir version: 1"), so export converts the
ONNX model here, in a subprocess:

    python3.7 lite_convert.py convert MODEL.onnx OUT_PREFIX      -> OUT_PREFIX.mindir
    python3.7 lite_convert.py score MODEL.mindir IN.npy OUT.npy  -> probabilities

Kept free of project imports so it runs from its path alone.
"""
import sys


def convert(onnx_path, out_prefix):
    import mindspore_lite as mslite
    conv = mslite.Converter()
    # no input_format = NCHW: that is needed only for Conv nodes, and this model has none
    conv.convert(fmk_type=mslite.FmkType.ONNX, model_file=onnx_path, output_file=out_prefix)
    return out_prefix + ".mindir"


def score(model_path, in_npy, out_npy):
    import mindspore_lite as mslite
    import numpy as np
    x = np.load(in_npy).astype(np.float32)
    ctx = mslite.Context()
    ctx.target = ["cpu"]
    ctx.cpu.thread_num = 1
    model = mslite.Model()
    model.build_from_file(model_path, mslite.ModelType.MINDIR, ctx)
    batch = model.get_inputs()[0].shape[0]
    out = []
    for start in range(0, len(x), batch):
        chunk = x[start:start + batch]
        padded = np.zeros((batch,) + x.shape[1:], dtype=np.float32)
        padded[:len(chunk)] = chunk
        inputs = model.get_inputs()
        inputs[0].set_data_from_numpy(padded)
        # copy: get_data_to_numpy() is a view of a buffer the next predict() overwrites
        out.append(model.predict(inputs)[0].get_data_to_numpy()[:len(chunk)].copy())
    np.save(out_npy, np.concatenate(out))


def main(argv):
    if len(argv) == 3 and argv[0] == "convert":
        print(convert(argv[1], argv[2]))
    elif len(argv) == 4 and argv[0] == "score":
        score(argv[1], argv[2], argv[3])
    else:
        sys.exit("usage: lite_convert.py convert MODEL.onnx OUT_PREFIX | score MODEL.mindir IN.npy OUT.npy")


if __name__ == "__main__":
    main(sys.argv[1:])
