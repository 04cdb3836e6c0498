"""Measure the statistics the synthetic generator reproduces, from a real NF-*-v2 file.

    python -m mindflow_train.calibrate ../shared/data/nf-bot-iot-v2/nf-bot-iot-v2-dev.csv.gz \
        > train/synthetic_calibration.json

Only aggregates leave the file: per class, the frequencies of the most common
combinations of categorical fields, 21 quantiles of log1p of the volume fields and the
correlation of their normal scores (a Gaussian copula). No row is copied.
"""
import json
import sys
from typing import Dict, List

import numpy as np
import pandas as pd
from mindflow_runtime.cleaning import clean_features
from scipy.stats import norm, rankdata

CATEGORICAL = ["PROTOCOL", "L7_PROTO", "TCP_FLAGS", "CLIENT_TCP_FLAGS", "SERVER_TCP_FLAGS", "MIN_TTL",
               "MAX_TTL", "TCP_WIN_MAX_IN", "TCP_WIN_MAX_OUT", "ICMP_TYPE", "DNS_QUERY_TYPE"]
VOLUME = ["IN_PKTS", "IN_BYTES", "OUT_PKTS", "OUT_BYTES", "FLOW_DURATION_MILLISECONDS"]
TOP_COMBOS = 24
QUANTILES = np.linspace(0, 1, 21)


def calibrate(path: str) -> Dict:
    df = pd.read_csv(path)
    raw = df[VOLUME].to_numpy(np.float64)
    clean_features(raw, VOLUME)
    df[VOLUME] = raw
    out: Dict[str, Dict] = {"source": path.split("/")[-1], "rows": int(len(df)), "classes": {}}
    for attack, g in df.groupby(df["Attack"].str.strip()):
        combos = g.groupby(CATEGORICAL).size().sort_values(ascending=False)
        top = combos.head(TOP_COMBOS)
        logv = np.log1p(g[VOLUME].to_numpy(np.float64))
        scores = norm.ppf((np.apply_along_axis(rankdata, 0, logv) - 0.5) / len(g))
        corr = np.corrcoef(scores, rowvar=False) if len(g) > 2 else np.eye(len(VOLUME))
        corr = np.nan_to_num(corr, nan=0.0)
        np.fill_diagonal(corr, 1.0)
        out["classes"][attack] = {
            "share": round(len(g) / len(df), 6),
            "combos": [[float(v) for v in k] for k in top.index],
            "combo_p": [round(float(p), 6) for p in (top / top.sum()).to_numpy()],
            "log_quantiles": {c: [round(float(q), 4) for q in np.quantile(logv[:, j], QUANTILES)]
                              for j, c in enumerate(VOLUME)},
            "copula_corr": [[round(float(v), 4) for v in row] for row in corr],
        }
    out["categorical"] = CATEGORICAL
    out["volume"] = VOLUME
    return out


def main(argv: List[str]) -> None:
    json.dump(calibrate(argv[0]), sys.stdout, indent=1)


if __name__ == "__main__":
    main(sys.argv[1:])
