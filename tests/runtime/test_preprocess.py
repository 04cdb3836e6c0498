"""The numpy feature transform: encodings, fit on train only, JSON round trip, strict loading."""
import json

import numpy as np
import pytest
from mindflow_runtime.cleaning import clean_features
from mindflow_runtime.preprocess import PreprocessError, Preprocessor

FEATS = ["PROTOCOL", "L7_PROTO", "IN_BYTES", "TCP_FLAGS", "MIN_TTL", "DNS_QUERY_ID"]


def _raw(n=200, seed=0):
    rng = np.random.default_rng(seed)
    return np.stack([rng.choice([6, 17, 1, 47], n), rng.choice([7.0, 188.0, 0.0, 91.178], n),
                     rng.integers(40, 100000, n), rng.integers(0, 256, n), rng.choice([64, 128], n),
                     rng.choice([0, 1234], n)], axis=1).astype(np.float64)


def test_encodings_and_standardisation():
    raw = _raw()
    pre = Preprocessor.fit(FEATS, raw)
    x = pre.transform(raw)
    assert x.dtype == np.float32 and x.shape == (200, pre.output_dim)
    names = pre.output_names
    proto = x[:, [names.index(f"PROTOCOL={p}") for p in (1, 6, 17)] + [names.index("PROTOCOL=other")]]
    assert (proto.sum(axis=1) == 1).all()
    assert (x[raw[:, 0] == 47, names.index("PROTOCOL=other")] == 1).all()
    syn = x[:, names.index("TCP_FLAGS=SYN")]
    np.testing.assert_array_equal(syn, ((raw[:, 3].astype(int) >> 1) & 1))
    assert "L7_PROTO=91.178" in names
    scaled = x[:, names.index("IN_BYTES")]
    assert abs(scaled.mean()) < 1e-5 and abs(scaled.std() - 1) < 1e-3


def test_unseen_category_goes_to_other():
    pre = Preprocessor.fit(FEATS, _raw())
    raw = _raw(5, seed=1)
    raw[:, 1] = 999.0
    x = pre.transform(raw)
    assert (x[:, pre.output_names.index("L7_PROTO=other")] == 1).all()


def test_json_round_trip_is_exact():
    pre = Preprocessor.fit(FEATS, _raw())
    again = Preprocessor.from_dict(json.loads(json.dumps(pre.to_dict())))
    raw = _raw(30, seed=2)
    np.testing.assert_array_equal(pre.transform(raw), again.transform(raw))


def test_unknown_or_missing_keys_are_errors():
    d = Preprocessor.fit(FEATS, _raw()).to_dict()
    with pytest.raises(PreprocessError, match="spec.json.*unknown \\['extra'\\]"):
        Preprocessor.from_dict({**d, "extra": 1}, "spec.json")
    d.pop("mean")
    with pytest.raises(PreprocessError, match="missing \\['mean'\\]"):
        Preprocessor.from_dict(d)


def test_cleaning_rules():
    raw = np.array([[np.nan, -3.0, 4_294_000.0], [np.inf, 1e40, 100.0]])
    counts = clean_features(raw, ["IN_BYTES", "IN_PKTS", "FLOW_DURATION_MILLISECONDS"])
    assert counts == {"non_finite": {"IN_BYTES": 2}, "negative": {"IN_PKTS": 1}, "overflow": {"IN_PKTS": 1},
                      "duration_wrap": {"FLOW_DURATION_MILLISECONDS": 1}}
    assert np.isfinite(raw.astype(np.float32)).all()
    assert raw[0].tolist() == [0.0, 0.0, pytest.approx(967.296)]
