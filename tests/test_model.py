"""The CNN-BiLSTM: shapes for both tasks, probabilities, odd window lengths."""
import mindspore as ms
import numpy as np
import pytest
from mindflow_train.model import CNNBiLSTM, ModelConfig, ScoringNet, WeightedLoss, set_cpu_context


@pytest.fixture(autouse=True, scope="module")
def _ctx():
    set_cpu_context(graph=False)  # PYNATIVE: no per-shape compile for these one-off shapes


@pytest.mark.parametrize("outputs,window,convs", [(1, 10, [16]), (5, 9, [8, 16])])
def test_shapes_and_probabilities(outputs, window, convs):
    cfg = ModelConfig(n_inputs=12, window=window, n_outputs=outputs, conv_channels=convs, lstm_hidden=8, dense=8)
    net = CNNBiLSTM(cfg)
    x = ms.Tensor(np.random.default_rng(0).normal(size=(7, window, 12)).astype(np.float32))
    assert net(x).shape == (7, outputs)
    scoring = ScoringNet(net)
    scoring.set_train(False)
    p = scoring(x).asnumpy()
    assert ((p >= 0) & (p <= 1)).all()
    if outputs > 1:
        np.testing.assert_allclose(p.sum(axis=1), 1, atol=1e-5)
    y = np.zeros((7, outputs), np.float32)
    y[:, 0] = 1
    loss = WeightedLoss(net)(x, ms.Tensor(y), ms.Tensor(np.ones(7, np.float32)))
    assert np.isfinite(loss.asnumpy())


def test_conv_is_a_real_convolution():
    """The shifted-slice Dense equals a 'same' Conv1d with the same weights."""
    cfg = ModelConfig(n_inputs=3, window=6, conv_channels=[4], lstm_hidden=4, dense=4)
    net = CNNBiLSTM(cfg)
    x = np.random.default_rng(1).normal(size=(2, 6, 3)).astype(np.float32)
    dense = net.convs[0]
    got = net._conv(ms.Tensor(x), dense, net.conv_dims[0]).asnumpy()
    w = dense.weight.asnumpy().reshape(4, 3, 3)  # (out, k, in)
    b = dense.bias.asnumpy()
    pad = np.pad(x, ((0, 0), (1, 1), (0, 0)))
    want = np.stack([np.einsum("bki,oki->bo", pad[:, t:t + 3], w) + b for t in range(6)], axis=1)
    np.testing.assert_allclose(got, np.maximum(want, 0), atol=1e-5)


def test_window_shorter_than_pool_rejected():
    with pytest.raises(ValueError, match="pooling"):
        CNNBiLSTM(ModelConfig(n_inputs=3, window=1, pool=2))
