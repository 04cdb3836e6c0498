"""A seeded SYNTHETIC dataset in the NF-BoT-IoT-v2 schema (43 features + Label, Attack, Dataset).

Calibration (see ``calibrate.py`` and ``synthetic_calibration.json``): per class, the
categorical fields (protocol, L7 protocol, TCP flags, TTLs, TCP windows, ICMP and DNS
types) are drawn jointly from the 24 most frequent combinations in the real
NF-BoT-IoT-v2 development file, and the volume fields (packets and bytes each way,
duration) from that file's per-class quantiles of log1p(value), coupled by the
correlation of their normal scores (a Gaussian copula). The remaining v2 fields are
derived from those (packet-size extremes and histogram, rates, throughput).

What is not real: class shares (benign is raised from 0.47 % to 10 % so that benign
recall is measurable), the time order (attack episodes from the four BoT-IoT attacker
addresses interleaved with benign background from 20 IoT hosts), and the addresses and
ports. Every file and report made from it says SYNTHETIC.
"""
import json
import os
from typing import Dict

import numpy as np
import pandas as pd
from mindflow_runtime.schema import V2_FEATURES

CALIBRATION = os.path.join(os.path.dirname(__file__), "synthetic_calibration.json")
DATASET_NAME = "SYNTHETIC-NF-BoT-IoT-v2"
SHARES = {"Benign": 0.10, "DoS": 0.40, "DDoS": 0.30, "Reconnaissance": 0.19, "Theft": 0.01}
ATTACKERS = [f"192.168.100.{i}" for i in range(147, 151)]
VICTIMS = [f"192.168.100.{i}" for i in (3, 5, 6, 7)]
IOT_HOSTS = [f"192.168.1.{i}" for i in range(10, 30)]


def _load() -> Dict:
    with open(CALIBRATION) as fh:
        return json.load(fh)


def _class_rows(cal: Dict, name: str, n: int, rng: np.random.Generator) -> pd.DataFrame:
    c = cal["classes"][name]
    combos = np.array(c["combos"])[rng.choice(len(c["combo_p"]), n, p=np.array(c["combo_p"]) /
                                              np.sum(c["combo_p"]))]
    df = pd.DataFrame(combos, columns=cal["categorical"])
    corr = np.array(c["copula_corr"])
    w, v = np.linalg.eigh(corr)  # nearest positive semi-definite matrix
    z = rng.standard_normal((n, len(corr))) @ (v * np.sqrt(np.clip(w, 1e-6, None))).T
    u = (np.argsort(np.argsort(z, axis=0), axis=0) + rng.random((n, len(corr)))) / n
    for j, col in enumerate(cal["volume"]):
        q = np.array(c["log_quantiles"][col])
        logv = np.interp(u[:, j], np.linspace(0, 1, len(q)), q)
        df[col] = np.round(np.expm1(logv))
    df["IN_PKTS"] = np.maximum(df["IN_PKTS"], 1)
    df["IN_BYTES"] = np.maximum(df["IN_BYTES"], df["IN_PKTS"] * 28)
    df.loc[df["OUT_PKTS"] == 0, "OUT_BYTES"] = 0
    df["OUT_BYTES"] = np.maximum(df["OUT_BYTES"], df["OUT_PKTS"] * 28)
    return df


def _derive(df: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    pkts = df["IN_PKTS"] + df["OUT_PKTS"]
    size = (df["IN_BYTES"] + df["OUT_BYTES"]) / pkts
    spread = rng.uniform(0.0, 0.6, len(df))
    df["LONGEST_FLOW_PKT"] = np.round(np.minimum(size * (1 + spread), 1514))
    df["SHORTEST_FLOW_PKT"] = np.round(np.maximum(size * (1 - spread), 28))
    df["MIN_IP_PKT_LEN"] = np.where(df["PROTOCOL"] == 17, 0, df["SHORTEST_FLOW_PKT"])
    df["MAX_IP_PKT_LEN"] = df["LONGEST_FLOW_PKT"]
    dur = df["FLOW_DURATION_MILLISECONDS"]
    df["DURATION_IN"] = dur
    df["DURATION_OUT"] = np.where(df["OUT_PKTS"] > 0, np.round(dur * rng.uniform(0, 1, len(df))), 0)
    secs = np.maximum(dur / 1000.0, 0.001)
    df["SRC_TO_DST_SECOND_BYTES"] = df["IN_BYTES"]
    df["DST_TO_SRC_SECOND_BYTES"] = df["OUT_BYTES"]
    df["SRC_TO_DST_AVG_THROUGHPUT"] = np.round(df["IN_BYTES"] * 8 / secs)
    df["DST_TO_SRC_AVG_THROUGHPUT"] = np.round(df["OUT_BYTES"] * 8 / secs)
    for col in ("RETRANSMITTED_IN_BYTES", "RETRANSMITTED_IN_PKTS", "RETRANSMITTED_OUT_BYTES",
                "RETRANSMITTED_OUT_PKTS", "DNS_QUERY_ID", "DNS_TTL_ANSWER", "FTP_COMMAND_RET_CODE"):
        df[col] = 0
    df["ICMP_IPV4_TYPE"] = df["ICMP_TYPE"] // 256
    edges = [(0, 128), (128, 256), (256, 512), (512, 1024), (1024, 1515)]
    names = ["NUM_PKTS_UP_TO_128_BYTES", "NUM_PKTS_128_TO_256_BYTES", "NUM_PKTS_256_TO_512_BYTES",
             "NUM_PKTS_512_TO_1024_BYTES", "NUM_PKTS_1024_TO_1514_BYTES"]
    for (lo, hi), name in zip(edges, names):
        df[name] = np.where((size >= lo) & (size < hi), pkts, 0)
    return df


def _timeline(n: int, rng: np.random.Generator) -> np.ndarray:
    """Class of each flow in time order: attack episodes over a benign background."""
    names = list(SHARES)
    attack_names = names[1:]
    attack_p = np.array([SHARES[a] for a in attack_names]) / sum(SHARES[a] for a in attack_names)
    out = np.empty(n, dtype=object)
    pos = 0
    while pos < n:
        # benign segments (30 %, mean 30 flows) between attack episodes (mean 150 flows, 4 %
        # benign background inside): about 10 % benign overall
        if rng.random() < 0.3:
            length, cls, background = int(rng.geometric(1 / 30)), "Benign", 0.0
        else:
            length, cls = int(rng.geometric(1 / 150)), rng.choice(attack_names, p=attack_p)
            background = 0.04
        seg = np.where(rng.random(length) < background, "Benign", cls)
        out[pos:pos + length] = seg[: n - pos]
        pos += length
    return out


def generate_frame(rows: int, seed: int = 0) -> pd.DataFrame:
    """`rows` SYNTHETIC flows in NF-BoT-IoT-v2 column order, in time order."""
    rng = np.random.default_rng(seed)
    cal = _load()
    classes = _timeline(rows, rng)
    parts = []
    for name in SHARES:
        idx = np.flatnonzero(classes == name)
        if len(idx):
            part = _class_rows(cal, name, len(idx), rng)
            part.index = idx
            parts.append(part)
    df = _derive(pd.concat(parts).sort_index(), rng)
    benign = classes == "Benign"
    df["IPV4_SRC_ADDR"] = np.where(benign, rng.choice(IOT_HOSTS, rows), rng.choice(ATTACKERS, rows))
    df["IPV4_DST_ADDR"] = np.where(benign, "192.168.1.1", rng.choice(VICTIMS, rows))
    df["L4_SRC_PORT"] = rng.integers(1024, 65535, rows)
    df["L4_DST_PORT"] = rng.choice([80, 443, 1883, 53, 22], rows)
    df = df[list(V2_FEATURES)].astype({c: "int64" for c in V2_FEATURES if not c.startswith("IPV4")
                                        and c not in ("L7_PROTO", "SRC_TO_DST_SECOND_BYTES",
                                                      "DST_TO_SRC_SECOND_BYTES", "DNS_TTL_ANSWER")})
    df["Label"] = (~benign).astype(int)
    df["Attack"] = classes
    df["Dataset"] = DATASET_NAME
    return df


def write_csv(path: str, rows: int, seed: int = 0) -> str:
    """Write the SYNTHETIC dataset as an NF-*-v2 CSV (gzip if the name ends in .gz)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    generate_frame(rows, seed).to_csv(path, index=False)
    return path


def generate_table(rows: int, seed: int, feature_set: str, out_dir: str = None):
    """The SYNTHETIC dataset read back through the real NF reader (same rules, same counts)."""
    import tempfile

    from .nf_read import read_nf
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(out_dir or tmp, f"synthetic-nf-bot-iot-v2-seed{seed}-{rows}.csv.gz")
        write_csv(path, rows, seed)
        table = read_nf([path], feature_set)
    table.files = [f"SYNTHETIC ({rows} rows, seed {seed})"]
    return table
