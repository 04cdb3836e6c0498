"""Windows: batch indices (training) and the streaming windower (gateway) agree."""
import numpy as np
import pytest
from mindflow_runtime.window import PAD, StreamWindower, gather_windows, window_indices


def test_key_none_pads_the_start():
    w = window_indices(5, 3)
    assert w.tolist() == [[PAD, PAD, 0], [PAD, 0, 1], [0, 1, 2], [1, 2, 3], [2, 3, 4]]


def test_key_src_keeps_each_host_sequence():
    keys = np.array([7, 9, 7, 9, 7])
    w = window_indices(5, 2, keys=keys)
    assert w.tolist() == [[PAD, 0], [PAD, 1], [0, 2], [1, 3], [2, 4]]


def test_stride_keeps_last_flow_of_each_sequence():
    w = window_indices(7, 3, stride=3)
    assert w[:, -1].tolist() == [0, 3, 6]


def test_invalid_length():
    with pytest.raises(ValueError):
        window_indices(3, 0)


def test_stream_windower_matches_batch_windows():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 4)).astype(np.float32)
    keys = rng.integers(0, 3, 40)
    batch = gather_windows(x, window_indices(40, 5, keys=keys))
    sw = StreamWindower(5, 4)
    stream = np.stack([sw.push(int(k), row) for k, row in zip(keys, x)])
    np.testing.assert_array_equal(batch, stream)
    many = StreamWindower(5, 4)  # the batched form, in uneven chunks, gives the same windows
    chunks = [many.push_many(keys[a:b].tolist(), x[a:b]) for a, b in ((0, 1), (1, 7), (7, 30), (30, 40))]
    np.testing.assert_array_equal(batch, np.concatenate(chunks))


def test_stream_windower_caps_and_evicts_idle_keys():
    sw = StreamWindower(3, 2, max_keys=2, idle_seconds=10)
    sw.push("a", np.ones(2), now=0)
    sw.push("b", np.ones(2), now=5)
    sw.push("c", np.ones(2), now=6)
    assert len(sw) == 2 and sw.evicted["cap"] == 1
    assert sw.evict_idle(now=16) == 1 and len(sw) == 1  # b idle 11 s, c idle 10 s
    # a key evicted earlier starts again from padding
    w = sw.push("a", np.full(2, 2.0), now=16)
    assert (w[:2] == 0).all() and (w[2] == 2).all()
