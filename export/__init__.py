"""MindFlow export: a training run to a verified bundle (MINDIR, ONNX, MindSpore Lite)."""
