"""Flow records from files: CSV (gzip or plain) and JSON lines, streamed without pandas.

A record becomes (raw feature row, window key, 5-tuple) or a counted error naming its
line; nothing here raises on a bad row.
"""
import csv
import gzip
import io
import json
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

TUPLE_FIELDS = ("IPV4_SRC_ADDR", "L4_SRC_PORT", "IPV4_DST_ADDR", "L4_DST_PORT", "PROTOCOL")


class RecordError(ValueError):
    """A record that cannot be scored; the message says why."""


@dataclass
class FlowRecord:
    """One parsed flow: model features (cleaning not yet applied), key and 5-tuple."""

    line: int
    raw: Optional[List[float]]   # None when malformed
    key: str
    five_tuple: Tuple
    error: str = ""


def open_text(path: str) -> io.TextIOBase:
    """Open a text file, transparently gunzipping *.gz."""
    if path.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def parse_value(value, name: str) -> float:
    """A feature value as float; NaN/inf/negative pass through for the cleaning rules."""
    if value is None or value == "":
        raise RecordError(f"missing {name}")
    if isinstance(value, bool):
        raise RecordError(f"{name} is not a number: {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise RecordError(f"{name} is not a number: {str(value)[:40]!r}") from None


def to_record(row: Dict, line: int, features: Sequence[str], key_field: Optional[str]) -> FlowRecord:
    """Build a FlowRecord from a field dict; malformed rows carry the error instead of values."""
    five = tuple(row.get(f, "") for f in TUPLE_FIELDS)
    key = str(row.get(key_field, "")) if key_field else ""
    try:
        raw = [parse_value(row.get(f), f) for f in features]
    except RecordError as exc:
        return FlowRecord(line, None, key, five, str(exc))
    return FlowRecord(line, raw, key, five)


def read_csv(path: str, features: Sequence[str], key_field: Optional[str]) -> Iterator[FlowRecord]:
    """Records of an NF CSV file; the header must hold every feature (checked once)."""
    fh = open_text(path)
    try:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            return
        missing = [f for f in features if f not in header]
        if missing:
            raise RecordError(f"{path}: missing column {missing[0]} needed by the bundle "
                              f"({len(missing)} of {len(features)} features missing)")
        width = len(header)
        cols = [header.index(f) for f in features]
        key_col = header.index(key_field) if key_field in header else None
        tuple_cols = [header.index(f) if f in header else None for f in TUPLE_FIELDS]
        for i, values in enumerate(reader, start=2):
            if len(values) != width:
                yield FlowRecord(i, None, "", ("",) * 5, f"expected {width} fields, saw {len(values)}")
                continue
            try:  # fast path; the slow one below names the bad field
                raw = [float(values[c]) for c in cols]
            except ValueError:
                yield to_record(dict(zip(header, values)), i, features, key_field)
                continue
            five = tuple(values[c] if c is not None else "" for c in tuple_cols)
            yield FlowRecord(i, raw, values[key_col] if key_col is not None else "", five)
    finally:
        fh.close()


def parse_json_object(text: str) -> Optional[Dict]:
    """One JSON-lines flow: a dict, None for a blank line; ValueError for anything else."""
    text = text.strip()
    if not text:
        return None
    obj = json.loads(text)
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    return obj


def read_jsonl(lines, features: Sequence[str], key_field: Optional[str],
               source: str = "<jsonl>") -> Iterator[FlowRecord]:
    """Records of JSON lines (one object per line); blank lines are skipped."""
    for i, text in enumerate(lines, start=1):
        try:
            obj = parse_json_object(text)
        except ValueError as exc:
            yield FlowRecord(i, None, "", ("",) * 5, f"invalid JSON: {str(exc)[:60]}")
            continue
        if obj is not None:
            yield to_record(obj, i, features, key_field)


def raw_matrix(records: Sequence[FlowRecord], n_features: int) -> np.ndarray:
    out = np.empty((len(records), n_features), dtype=np.float64)
    for i, r in enumerate(records):
        out[i] = r.raw
    return out

