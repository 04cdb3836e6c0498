"""The reference engine: MindSpore itself running the bundle's MINDIR (training env only)."""
import numpy as np


class MindSporeEngine:
    """``proba = engine.run(windows)`` with the full MindSpore framework on a MINDIR file."""

    name = "mindspore"

    def __init__(self, path: str) -> None:
        import mindspore as ms
        from mindspore import nn
        self._ms = ms
        self.cell = nn.GraphCell(ms.load(path))

    def run(self, windows: np.ndarray) -> np.ndarray:
        x = self._ms.Tensor(np.ascontiguousarray(windows, dtype=np.float32))
        return self.cell(x).asnumpy()
