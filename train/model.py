"""The CNN-BiLSTM of the MindFlow paper, in MindSpore, written for a fast CPU step.

Architecture (per window of T flows x F inputs):
  Conv1D(k, "same") + ReLU, repeated per entry of ``conv_channels``
  -> MaxPool(pool) over time -> Dropout (masks passed in by the trainer, see dropout_masks)
  -> bidirectional LSTM(hidden) read out from the final states h_n of both directions
  -> Dropout -> Dense(dense) + ReLU -> Dense(outputs)

Why these formulations:
- The convolution is k time-shifted copies of the input concatenated and one Dense:
  the same arithmetic as Conv1d, but MindSpore's CPU conv kernels made the training
  step 4x slower (ENVIRONMENT.md: 52 ms vs 2.2 ms), and it exports cleanly to ONNX/Lite.
- Max pooling is a reshape plus a max, for the same reason.
- Readout from h_n (paper eq. 4 concatenates both directions' states): ``out[:, -1]``
  would give the backward direction a view of the last flow only.
- Reshapes use -1 for the batch so exported graphs carry no batch-sized constants.
"""
from dataclasses import asdict, dataclass
from typing import Dict

import mindspore as ms
from mindspore import nn, ops

from .config import ModelSize


@dataclass
class ModelConfig(ModelSize):
    """Model arguments, saved with every checkpoint (export needs only the run dir)."""

    n_inputs: int = 0                # model inputs per flow (the preprocessing's output width)
    n_outputs: int = 1               # 1: binary (sigmoid); K: multiclass (softmax)

    def to_dict(self) -> Dict:
        return asdict(self)


class CNNBiLSTM(nn.Cell):
    """Window (B, T, F) -> logits (B, n_outputs)."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        if cfg.n_inputs < 1:
            raise ValueError("n_inputs must be >= 1")
        if cfg.kernel % 2 != 1:
            raise ValueError("kernel must be odd for 'same' padding")
        if cfg.window // cfg.pool < 1:
            raise ValueError(f"window {cfg.window} is shorter than the pooling size {cfg.pool}")
        self.cfg = cfg
        self.window, self.kernel, self.pool = cfg.window, cfg.kernel, cfg.pool
        self.pooled = cfg.window // cfg.pool
        self.trim = cfg.window - self.pooled * cfg.pool
        self.conv_dims = []
        convs = []
        prev = cfg.n_inputs
        for ch in cfg.conv_channels:
            convs.append(nn.Dense(prev * cfg.kernel, ch))
            self.conv_dims.append((prev * cfg.kernel, ch))
            prev = ch
        self.convs = nn.CellList(convs)
        self.channels = prev
        self.relu = nn.ReLU()
        self.hidden = cfg.lstm_hidden
        self.lstm = nn.LSTM(prev, cfg.lstm_hidden, num_layers=1, batch_first=True, bidirectional=True)
        self.fc = nn.Dense(2 * cfg.lstm_hidden, cfg.dense)
        self.out = nn.Dense(cfg.dense, cfg.n_outputs)

    def _conv(self, x, dense, dims):
        half = self.kernel // 2
        zero = x[:, 0:1, :] * 0.0
        padded = ops.concat([zero] * half + [x] + [zero] * half, axis=1)
        shifted = ops.concat([padded[:, i:i + self.window, :] for i in range(self.kernel)], axis=2)
        y = dense(ops.reshape(shifted, (-1, dims[0])))
        return self.relu(ops.reshape(y, (-1, self.window, dims[1])))

    def dropout_masks(self, batch: int, rng) -> tuple:
        """Inverted-dropout masks for one training step, drawn from a seeded numpy generator.

        Dropout masks are inputs rather than ops: MindSpore 2.10's Dropout CPU kernel gave
        different masks on every run even with fixed op seeds, so seeded runs were not
        reproducible (with dropout 0 they were, to the last digit).
        """
        keep = 1.0 - self.cfg.dropout
        shapes = ((batch, self.pooled, self.channels), (batch, 2 * self.hidden))
        return tuple((rng.random(s) < keep).astype("float32") / keep for s in shapes)

    def construct(self, x, mask_seq=None, mask_state=None):
        for i, dense in enumerate(self.convs):
            x = self._conv(x, dense, self.conv_dims[i])
        if self.trim > 0:  # drop the oldest flows when T % pool != 0 (a no-op slice breaks Lite)
            x = x[:, self.trim:, :]
        x = ops.reshape(x, (-1, self.pooled, self.pool, self.channels)).max(axis=2)
        if mask_seq is not None:
            x = x * mask_seq
        _, (h_n, _) = self.lstm(x)
        x = ops.concat((h_n[0], h_n[1]), axis=1)
        if mask_state is not None:
            x = x * mask_state
        x = self.relu(self.fc(x))
        return self.out(x)


class ScoringNet(nn.Cell):
    """The exported network: probabilities (sigmoid for one output, softmax otherwise)."""

    def __init__(self, net: CNNBiLSTM) -> None:
        super().__init__()
        self.net = net
        self.binary = net.cfg.n_outputs == 1
        self.sigmoid = nn.Sigmoid()
        self.softmax = nn.Softmax(axis=1)

    def construct(self, x):
        logits = self.net(x)
        if self.binary:
            return self.sigmoid(logits)
        return self.softmax(logits)


class WeightedLoss(nn.Cell):
    """Per-sample weighted BCE (binary) or cross-entropy (multiclass, one-hot targets)."""

    def __init__(self, net: CNNBiLSTM) -> None:
        super().__init__()
        self.net = net
        self.binary = net.cfg.n_outputs == 1
        self.log_softmax = nn.LogSoftmax(axis=1)

    def construct(self, x, y, w, mask_seq=None, mask_state=None):
        logits = self.net(x, mask_seq, mask_state)
        if self.binary:
            # stable BCE with logits: max(l, 0) - l*y + log(1 + exp(-|l|))
            per = ops.relu(logits) - logits * y + ops.log(1.0 + ops.exp(-ops.abs(logits)))
        else:
            per = -(y * self.log_softmax(logits))
        return (per.sum(axis=1) * w).sum() / w.sum()


_DEVICE_SET = False


def set_cpu_context(graph: bool = True) -> None:
    """MindSpore on CPU, GRAPH mode by default (about 4x faster steps than PYNATIVE here).

    The device may be set only once per process, before the first kernel runs.
    """
    global _DEVICE_SET
    ms.set_context(mode=ms.GRAPH_MODE if graph else ms.PYNATIVE_MODE)
    if not _DEVICE_SET:
        try:
            ms.set_device("CPU")
        except RuntimeError:
            # "The runtime has been initialized": a kernel already ran in this process (e.g. a
            # MINDIR loaded by the reference engine) on the default device, which is the CPU
            pass
        _DEVICE_SET = True
