"""Reading NF-* CSV: every schema, every bad-input rule, errors that name file and column."""
import gzip

import numpy as np
import pandas as pd
import pytest
from mindflow_runtime.schema import V1_FEATURES, V2_FEATURES, V3_FEATURES, SchemaError, detect_schema
from mindflow_train.nf_read import read_nf
from mindflow_train.synthetic import generate_frame


def _frame(n=50, seed=0):
    return generate_frame(n, seed)


def _write(df, path, gz=False):
    if gz:
        with gzip.open(path, "wt") as fh:
            df.to_csv(fh, index=False)
    else:
        df.to_csv(path, index=False)
    return str(path)


@pytest.mark.parametrize("schema", ["v1", "v2", "v3"])
def test_each_schema_detected_and_read(tmp_path, schema):
    df = _frame()
    if schema == "v1":
        df = df[list(V1_FEATURES) + ["Label", "Attack"]]
    if schema == "v3":
        for c in V3_FEATURES:
            if c not in df:
                df[c] = np.arange(len(df))[::-1] * 10 if c == "FLOW_START_MILLISECONDS" else 1
    path = _write(df, tmp_path / f"f-{schema}.csv.gz", gz=True)
    assert detect_schema(list(pd.read_csv(path, nrows=0).columns)) == schema
    table = read_nf([path], "v1")
    assert table.schema == schema and table.rows == len(df)
    assert table.features == ["PROTOCOL", "L7_PROTO", "IN_BYTES", "OUT_BYTES", "IN_PKTS", "OUT_PKTS",
                              "TCP_FLAGS", "FLOW_DURATION_MILLISECONDS"]
    if schema == "v3":  # sorted by FLOW_START_MILLISECONDS, which runs backwards in the file
        assert table.sorted_by_time
        np.testing.assert_array_equal(table.raw[:, 2], df["IN_BYTES"].to_numpy()[::-1])


def test_missing_column_names_file_and_column(tmp_path):
    df = _frame().drop(columns=["IN_PKTS"])
    path = _write(df, tmp_path / "broken.csv")
    with pytest.raises(SchemaError, match=r"broken\.csv.*IN_PKTS"):
        read_nf([path], "v1")


def test_feature_set_needs_schema(tmp_path):
    df = _frame()[list(V1_FEATURES) + ["Label", "Attack"]]
    path = _write(df, tmp_path / "v1.csv")
    with pytest.raises(SchemaError, match="lacks feature set 'v2'"):
        read_nf([path], "v2")


def test_bad_values_counted_and_repaired(tmp_path):
    df = _frame(20).astype({"IN_BYTES": object, "OUT_PKTS": object})
    df.loc[0, "IN_BYTES"] = "abc"
    df.loc[1, "IN_BYTES"] = "inf"
    df.loc[2, "OUT_PKTS"] = None
    df.loc[3, "IN_PKTS"] = -5
    df.loc[4, "FLOW_DURATION_MILLISECONDS"] = 4_293_498
    path = _write(df, tmp_path / "bad.csv")
    table = read_nf([path], "v2")
    bad = table.bad_values
    assert bad["non_numeric"] == {"IN_BYTES": 1}
    assert bad["non_finite"]["IN_BYTES"] == 2 and bad["non_finite"]["OUT_PKTS"] == 1  # abc->NaN, inf
    assert bad["negative"] == {"IN_PKTS": 1}
    assert bad["duration_wrap"] == {"FLOW_DURATION_MILLISECONDS": 1}
    f = table.features
    assert table.raw[0, f.index("IN_BYTES")] == 0 and table.raw[3, f.index("IN_PKTS")] == 0
    assert table.raw[4, f.index("FLOW_DURATION_MILLISECONDS")] == pytest.approx(4_294_967.296 - 4_293_498, abs=1)
    assert np.isfinite(table.raw).all()


def test_malformed_lines_counted_with_line_numbers(tmp_path):
    df = _frame(10)
    path = tmp_path / "ragged.csv"
    text = df.to_csv(index=False).splitlines()
    text[4] = text[4] + ",1,2,3"  # too many fields on file line 5
    text[7] = ",".join(text[7].split(",")[:10])  # too few on line 8: no label
    path.write_text("\n".join(text) + "\n")
    table = read_nf([str(path)], "v1")
    assert table.malformed_count == 2 and table.malformed_lines[str(path)] == [5, 8]
    assert table.rows == 8


def test_label_recomputed_from_attack_case_insensitive(tmp_path):
    df = _frame(30)
    df["Attack"] = ["BENIGN" if i % 3 == 0 else ("dos" if i % 3 == 1 else "DoS") for i in range(30)]
    df["Label"] = 1  # wrong for the benign rows
    table = read_nf([_write(df, tmp_path / "labels.csv")], "v1")
    assert table.classes == ["Benign", "dos"]
    assert table.label.tolist() == [0 if i % 3 == 0 else 1 for i in range(30)]
    assert table.label_mismatch == 10


def test_real_botiot_dev_file_reads_with_wrap_repair():
    from conftest import BOTIOT_DEV
    table = read_nf([BOTIOT_DEV], "v2", chunk_rows=50_000)
    assert table.rows == 229_029 and table.schema == "v2"
    assert table.bad_values["duration_wrap"]["FLOW_DURATION_MILLISECONDS"] > 200_000
    dur = table.raw[:, table.features.index("FLOW_DURATION_MILLISECONDS")]
    assert dur.max() < 10_000  # every wrapped value repaired to a real length
    assert set(table.classes) == {"Benign", "DDoS", "DoS", "Reconnaissance", "Theft"}
    assert V2_FEATURES[4] == "PROTOCOL"
