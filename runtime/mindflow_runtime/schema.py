"""NF-* NetFlow column names, schema detection and the selectable feature sets.

Names are nProbe information elements as used by the UQ NetFlow datasets
(Sarhan et al.): v1 has 12 features, v2 43, v3 53 (v2 plus timestamps and
inter-arrival statistics).
"""
from typing import Dict, List, Sequence

IDENTIFIERS = ("IPV4_SRC_ADDR", "L4_SRC_PORT", "IPV4_DST_ADDR", "L4_DST_PORT")
TIMESTAMPS = ("FLOW_START_MILLISECONDS", "FLOW_END_MILLISECONDS")
LABEL_COLUMNS = ("Label", "Attack")

V1_FEATURES = (
    "IPV4_SRC_ADDR", "L4_SRC_PORT", "IPV4_DST_ADDR", "L4_DST_PORT", "PROTOCOL", "L7_PROTO",
    "IN_BYTES", "OUT_BYTES", "IN_PKTS", "OUT_PKTS", "TCP_FLAGS", "FLOW_DURATION_MILLISECONDS",
)
V2_FEATURES = (
    "IPV4_SRC_ADDR", "L4_SRC_PORT", "IPV4_DST_ADDR", "L4_DST_PORT", "PROTOCOL", "L7_PROTO",
    "IN_BYTES", "IN_PKTS", "OUT_BYTES", "OUT_PKTS", "TCP_FLAGS", "CLIENT_TCP_FLAGS",
    "SERVER_TCP_FLAGS", "FLOW_DURATION_MILLISECONDS", "DURATION_IN", "DURATION_OUT", "MIN_TTL",
    "MAX_TTL", "LONGEST_FLOW_PKT", "SHORTEST_FLOW_PKT", "MIN_IP_PKT_LEN", "MAX_IP_PKT_LEN",
    "SRC_TO_DST_SECOND_BYTES", "DST_TO_SRC_SECOND_BYTES", "RETRANSMITTED_IN_BYTES",
    "RETRANSMITTED_IN_PKTS", "RETRANSMITTED_OUT_BYTES", "RETRANSMITTED_OUT_PKTS",
    "SRC_TO_DST_AVG_THROUGHPUT", "DST_TO_SRC_AVG_THROUGHPUT", "NUM_PKTS_UP_TO_128_BYTES",
    "NUM_PKTS_128_TO_256_BYTES", "NUM_PKTS_256_TO_512_BYTES", "NUM_PKTS_512_TO_1024_BYTES",
    "NUM_PKTS_1024_TO_1514_BYTES", "TCP_WIN_MAX_IN", "TCP_WIN_MAX_OUT", "ICMP_TYPE",
    "ICMP_IPV4_TYPE", "DNS_QUERY_ID", "DNS_QUERY_TYPE", "DNS_TTL_ANSWER", "FTP_COMMAND_RET_CODE",
)
V3_FEATURES = TIMESTAMPS + V2_FEATURES + (
    "SRC_TO_DST_IAT_MIN", "SRC_TO_DST_IAT_MAX", "SRC_TO_DST_IAT_AVG", "SRC_TO_DST_IAT_STDDEV",
    "DST_TO_SRC_IAT_MIN", "DST_TO_SRC_IAT_MAX", "DST_TO_SRC_IAT_AVG", "DST_TO_SRC_IAT_STDDEV",
)
SCHEMAS: Dict[str, Sequence[str]] = {"v1": V1_FEATURES, "v2": V2_FEATURES, "v3": V3_FEATURES}

# What a standard NetFlow v9/IPFIX exporter (softflowd, a router) sends once the two
# unidirectional records of a 5-tuple are stitched: no L7_PROTO (nDPI only), no TTLs,
# no packet-size histograms.
EXPORTER_FEATURES = (
    "PROTOCOL", "IN_BYTES", "IN_PKTS", "OUT_BYTES", "OUT_PKTS", "TCP_FLAGS",
    "FLOW_DURATION_MILLISECONDS", "ICMP_TYPE",
)


def _model_features(schema_columns: Sequence[str]) -> List[str]:
    return [c for c in schema_columns if c not in IDENTIFIERS and c not in TIMESTAMPS]


FEATURE_SETS: Dict[str, List[str]] = {
    "v1": _model_features(V1_FEATURES),
    "v2": _model_features(V2_FEATURES),
    "v3": _model_features(V3_FEATURES),
    "exporter": list(EXPORTER_FEATURES),
}


class SchemaError(ValueError):
    """A file's columns do not match what is needed."""


def detect_schema(columns: Sequence[str], source: str = "<input>") -> str:
    """Return 'v3', 'v2' or 'v1': the richest NF schema whose features are all present.

    Raises SchemaError naming the source and the first missing v1 column when not even
    the 12 v1 features are there.
    """
    present = set(columns)
    for name in ("v3", "v2", "v1"):
        if all(c in present for c in SCHEMAS[name]):
            return name
    missing = [c for c in V1_FEATURES if c not in present]
    raise SchemaError(f"{source}: not an NF-* NetFlow file: missing column {missing[0]}"
                      f" ({len(missing)} of the 12 v1 columns missing)")


def resolve_feature_set(name: str, schema: str, source: str = "<input>") -> List[str]:
    """The model features of feature set `name`, checked against a file's schema."""
    if name not in FEATURE_SETS:
        raise SchemaError(f"unknown feature set {name!r}: choose one of {sorted(FEATURE_SETS)}")
    available = set(SCHEMAS[schema])
    feats = FEATURE_SETS[name]
    missing = [f for f in feats if f not in available]
    if missing:
        raise SchemaError(f"{source}: schema {schema} lacks feature set {name!r} column {missing[0]}")
    return list(feats)
