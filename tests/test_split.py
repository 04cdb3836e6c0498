"""Splits cannot leak: no feature vector in two splits, no window across splits."""
import numpy as np
from mindflow_train.config import TrainConfig
from mindflow_train.dataset import leaked_vectors, prepare
from mindflow_train.split import feature_hashes, group_split
from mindflow_train.synthetic import generate_table


def _dup_heavy(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 50, size=(300, 4)).astype(np.float32)
    pick = rng.integers(0, 300, n)  # about 10 % distinct, like NF-BoT-IoT-v2
    return base[pick], (pick % 3).astype(np.int16)


def test_identical_vectors_never_straddle_splits():
    raw, attack = _dup_heavy()
    s = group_split(raw, attack, seed=1)
    h = feature_hashes(raw)
    sets = [set(h[idx].tolist()) for _, idx in s.parts()]
    assert not (sets[0] & sets[1]) and not (sets[0] & sets[2]) and not (sets[1] & sets[2])
    assert sum(len(idx) for _, idx in s.parts()) == len(raw)
    for c in range(3):  # every class in every split
        assert all((attack[idx] == c).any() for _, idx in s.parts())


def test_split_is_seeded():
    raw, attack = _dup_heavy()
    a, b, c = group_split(raw, attack, seed=5), group_split(raw, attack, seed=5), group_split(raw, attack, seed=6)
    assert (a.test == b.test).all() and not np.array_equal(a.test, c.test)


def test_windows_stay_inside_their_split():
    table = generate_table(4000, 1, "v2")
    for key in ("none", "src"):
        prep = prepare(table, TrainConfig(window=10, window_key=key, seed=2))
        assert leaked_vectors(prep) == [0, 0, 0]
        for name, rows in prep.split.parts():
            win = prep.sets[name].windows
            used = win[win >= 0]
            assert np.isin(used, rows).all(), f"{name} window uses another split's flows"
            assert len(win) == len(rows)
        if key == "src":  # each window holds flows of one source host only
            src = table.src
            w = prep.sets["train"].windows
            ok = [len(set(src[r[r >= 0]].tolist())) == 1 for r in w[:500]]
            assert all(ok)


def test_preprocessing_fitted_on_train_only():
    table = generate_table(3000, 2, "v2")
    cfg = TrainConfig(seed=0)
    prep = prepare(table, cfg)
    j = prep.pre.output_names.index("IN_BYTES")
    col = table.features.index("IN_BYTES")
    train_mean = np.log1p(table.raw[prep.split.train, col]).mean()
    all_mean = np.log1p(table.raw[:, col]).mean()
    assert abs(prep.pre.mean[j] - train_mean) < 1e-4
    assert abs(train_mean - all_mean) > 1e-6
