"""MindFlow gateway runtime: score NetFlow windows with an exported bundle.

Needs numpy and one inference engine (onnxruntime or mindspore-lite); never imports
MindSpore, pandas or the training code.
"""
__version__ = "0.1.0"
