"""Streaming reader for NF-* NetFlow CSV files (v1, v2, v3; gzip or plain).

Files are read in chunks, so memory grows with the compact float32 feature matrix
kept, not with the text. Bad values follow the rules in
``mindflow_runtime.cleaning``; malformed lines are skipped, counted and their line
numbers kept (the first 20 per file).
"""
import re
import resource
import time
import warnings
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import pandas as pd
from mindflow_runtime.cleaning import clean_features, merge_counts
from mindflow_runtime.schema import SchemaError, detect_schema, resolve_feature_set

BENIGN = "benign"
_BAD_LINE = re.compile(r"Skipping line (\d+): (.*)")


@dataclass
class FlowTable:
    """Flows of one or more NF files, reduced to what training needs."""

    raw: np.ndarray                 # (n, F) float32 cleaned feature values
    features: List[str]
    attack: np.ndarray              # (n,) int16 index into classes
    classes: List[str]              # attack category names; "Benign" first when present
    src: np.ndarray                 # (n,) int64 code of IPV4_SRC_ADDR (window key), -1 unknown
    schema: str
    files: List[str]
    rows: int
    bad_values: Dict[str, Dict[str, int]] = field(default_factory=dict)
    malformed_lines: Dict[str, List[int]] = field(default_factory=dict)
    malformed_count: int = 0
    label_mismatch: int = 0         # rows whose Label disagreed with Attack (Label recomputed)
    sorted_by_time: bool = False
    read_seconds: float = 0.0
    peak_rss_mb: float = 0.0

    @property
    def label(self) -> np.ndarray:
        """1 for attack, 0 for benign."""
        benign = [i for i, c in enumerate(self.classes) if c.lower() == BENIGN]
        return (~np.isin(self.attack, benign)).astype(np.int8)

    def summary(self) -> Dict[str, object]:
        """JSON-ready description for configs and reports."""
        counts = np.bincount(self.attack, minlength=len(self.classes))
        return {
            "files": self.files, "schema": self.schema, "rows": self.rows,
            "features": self.features, "classes": self.classes,
            "class_counts": {c: int(n) for c, n in zip(self.classes, counts)},
            "bad_values": self.bad_values, "malformed_lines": self.malformed_count,
            "malformed_line_numbers": self.malformed_lines, "label_mismatch": self.label_mismatch,
            "sorted_by_time": self.sorted_by_time, "read_seconds": round(self.read_seconds, 2),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "peak_rss_mb_per_million_rows": round(self.peak_rss_mb / max(self.rows, 1) * 1e6, 1),
            # what stays in memory per row once read; the peak adds one chunk of text parsing
            "retained_mb_per_million_rows": round(
                (self.raw.nbytes + self.attack.nbytes + self.src.nbytes) / max(self.rows, 1) * 1e6 / 2**20, 1),
        }


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def read_header(path: str) -> List[str]:
    """Column names of a CSV file (gzip or plain)."""
    try:
        return list(pd.read_csv(path, nrows=0).columns)
    except (OSError, ValueError, EOFError) as exc:
        raise SchemaError(f"{path}: cannot read CSV header: {exc}") from exc


def read_nf(paths: Sequence[str], feature_set: str = "v2", chunk_rows: int = 500_000,
            progress: Optional[Callable[[int], None]] = None) -> FlowTable:
    """Read NF-* CSV files into a FlowTable with the columns of `feature_set`.

    All files must share a schema family able to provide the feature set. Label is
    recomputed from Attack when Attack is present (attack names are case-insensitive).
    """
    start, rss0 = time.time(), peak_rss_mb()
    schemas = {}
    for p in paths:
        cols = read_header(p)
        schema = detect_schema(cols, p)
        if "Attack" not in cols and "Label" not in cols:
            raise SchemaError(f"{p}: missing column Label (and Attack)")
        schemas[p] = (schema, cols)
    schema = min((s for s, _ in schemas.values()), key=lambda s: s[1])  # poorest schema wins
    features = resolve_feature_set(feature_set, schema, paths[0])

    class_index: Dict[str, int] = {}
    class_names: List[str] = []
    src_index: Dict[str, int] = {}
    raws, attacks, srcs, starts = [], [], [], []
    table = FlowTable(raw=np.zeros((0, len(features)), np.float32), features=features,
                      attack=np.zeros(0, np.int16), classes=[], src=np.zeros(0, np.int64),
                      schema=schema, files=list(paths), rows=0)

    for path in paths:
        _, cols = schemas[path]
        has_time = "FLOW_START_MILLISECONDS" in cols
        usecols = list(dict.fromkeys(features + ["IPV4_SRC_ADDR"] +
                                     [c for c in ("Label", "Attack") if c in cols] +
                                     (["FLOW_START_MILLISECONDS"] if has_time else [])))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # no usecols: with it pandas silently accepts lines with too many fields
            reader = pd.read_csv(path, chunksize=chunk_rows, dtype={"IPV4_SRC_ADDR": str},
                                 on_bad_lines="warn", low_memory=False)
            skipped: List[int] = []
            for chunk in reader:
                skipped += _skipped_lines(caught)
                chunk = _drop_unlabelled(chunk[usecols], path, table, skipped)
                raw = np.empty((len(chunk), len(features)), dtype=np.float64)
                for j, f in enumerate(features):
                    col = chunk[f]
                    if col.dtype == object:
                        num = pd.to_numeric(col, errors="coerce")
                        n_bad = int((num.isna() & col.notna()).sum())
                        if n_bad:
                            merge_counts(table.bad_values, {"non_numeric": {f: n_bad}})
                        col = num
                    raw[:, j] = col.to_numpy(dtype=np.float64, na_value=np.nan)
                merge_counts(table.bad_values, clean_features(raw, features))
                raws.append(raw.astype(np.float32))
                attacks.append(_attack_codes(chunk, class_index, class_names, table))
                srcs.append(_codes(chunk["IPV4_SRC_ADDR"].fillna(""), src_index))
                if has_time:
                    starts.append(pd.to_numeric(chunk["FLOW_START_MILLISECONDS"], errors="coerce")
                                  .fillna(0).to_numpy(np.int64))
                table.rows += len(chunk)
                if progress:
                    progress(len(chunk))
            skipped += _skipped_lines(caught)
        if skipped:
            table.malformed_count += len(skipped)
            table.malformed_lines[path] = sorted(table.malformed_lines.get(path, []) + skipped)[:20]

    table.raw = np.concatenate(raws) if raws else table.raw
    del raws
    table.attack = np.concatenate(attacks).astype(np.int16) if attacks else table.attack
    table.src = np.concatenate(srcs) if srcs else table.src
    if starts and len(starts) == len(attacks):
        order = np.argsort(np.concatenate(starts), kind="stable")
        table.raw, table.attack, table.src = table.raw[order], table.attack[order], table.src[order]
        table.sorted_by_time = True
    table.classes = class_names
    _benign_first(table)
    table.read_seconds = time.time() - start
    table.peak_rss_mb = max(peak_rss_mb() - rss0, 0.0)
    return table


def _skipped_lines(caught: list) -> List[int]:
    """Line numbers of pandas' "Skipping line N" warnings; empties the caught list."""
    lines = [int(m.group(1)) for w in caught for m in _BAD_LINE.finditer(str(w.message))]
    caught.clear()
    return lines


def _file_line(row: int, skipped: List[int]) -> int:
    line = row + 2  # header is line 1
    for s in sorted(skipped):
        if s <= line:
            line += 1
    return line


def _drop_unlabelled(chunk: pd.DataFrame, path: str, table: FlowTable, skipped: List[int]) -> pd.DataFrame:
    """Rows without a label (short lines fill the last fields with NaN) are counted and dropped."""
    label_col = "Attack" if "Attack" in chunk else "Label"
    missing = chunk[label_col].isna().to_numpy()
    if missing.any():
        rows = [_file_line(i, skipped) for i in chunk.index[missing]]
        table.malformed_count += len(rows)
        table.malformed_lines.setdefault(path, []).extend(rows[: max(0, 20 - len(table.malformed_lines.get(path, [])))])
        return chunk[~missing]
    return chunk


def _codes(values: pd.Series, index: Dict[str, int]) -> np.ndarray:
    uniques, inverse = np.unique(values.to_numpy(dtype=str), return_inverse=True)
    mapping = np.array([index.setdefault(u, len(index)) for u in uniques], dtype=np.int64)
    return mapping[inverse]


def _attack_codes(chunk: pd.DataFrame, index: Dict[str, int], names: List[str],
                  table: FlowTable) -> np.ndarray:
    if "Attack" in chunk:
        attack = chunk["Attack"].fillna("").astype(str).str.strip()
        lower = attack.str.lower()
        if "Label" in chunk:
            label = pd.to_numeric(chunk["Label"], errors="coerce")
            table.label_mismatch += int(((lower != BENIGN).astype(int) != label).sum())
    else:
        label = pd.to_numeric(chunk["Label"], errors="coerce").fillna(1)
        attack = pd.Series(np.where(label == 0, "Benign", "Attack"), index=chunk.index)
        lower = attack.str.lower()
    codes = np.empty(len(chunk), dtype=np.int16)
    for key in lower.unique():
        mask = (lower == key).to_numpy()
        if key not in index:
            index[key] = len(names)
            names.append("Benign" if key == BENIGN else attack[mask].iloc[0])
        codes[mask] = index[key]
    return codes


def _benign_first(table: FlowTable) -> None:
    """Reorder classes: Benign first, then attacks alphabetically (stable class ids)."""
    order = sorted(range(len(table.classes)),
                   key=lambda i: (table.classes[i].lower() != BENIGN, table.classes[i].lower()))
    remap = np.empty(len(order), dtype=np.int16)
    for new, old in enumerate(order):
        remap[old] = new
    table.classes = [table.classes[i] for i in order]
    if len(table.attack):
        table.attack = remap[table.attack]
