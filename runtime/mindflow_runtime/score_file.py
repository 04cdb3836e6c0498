"""mf-score's work: stream a flow file through the bundle, one output row per input row."""
import csv
import json
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional

from .bundle import Bundle
from .pipeline import WindowScorer
from .records import FlowRecord, open_text, read_csv, read_jsonl

CHUNK = 2048


@dataclass
class ScoreSummary:
    rows: int = 0
    scored: int = 0
    attacks: int = 0
    malformed: int = 0
    malformed_lines: List[str] = field(default_factory=list)
    bad_values: Dict = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> Dict:
        return {**self.__dict__, "flows_per_second": round(self.scored / self.seconds, 1) if self.seconds else None}


def _is_jsonl(path: str) -> bool:
    base = path[:-3] if path.endswith(".gz") else path
    return base.endswith((".jsonl", ".ndjson", ".json"))


def iter_records(path: str, scorer: WindowScorer) -> Iterator[FlowRecord]:
    if path == "-":
        return read_jsonl(sys.stdin, scorer.features, scorer.key_field, "<stdin>")
    if _is_jsonl(path):
        fh = open_text(path)
        return read_jsonl(fh, scorer.features, scorer.key_field, path)
    return read_csv(path, scorer.features, scorer.key_field)


class _Writer:
    def __init__(self, path: str, multiclass: bool) -> None:
        self.jsonl = _is_jsonl(path) or path == "-"
        self.fh = sys.stdout if path == "-" else open(path, "w", newline="")
        self.cols = ["line", "score", "prediction"] + (["predicted_class"] if multiclass else []) + ["error"]
        if not self.jsonl:
            self.csv = csv.writer(self.fh)
            self.csv.writerow(self.cols)

    def write(self, row: List) -> None:
        if self.jsonl:
            self.fh.write(json.dumps(dict(zip(self.cols, row))) + "\n")
        else:
            self.csv.writerow(row)

    def close(self) -> None:
        if self.fh is not sys.stdout:
            self.fh.close()


def score_file(bundle: Bundle, engine, input_path: str, output_path: str, window_key: Optional[str] = None,
               progress: bool = False) -> ScoreSummary:
    """Score every row of `input_path` into `output_path` (CSV, or JSON lines by extension)."""
    scorer = WindowScorer(bundle, engine, window_key)
    multiclass = bundle.spec.task == "multiclass"
    summary = ScoreSummary()
    writer = _Writer(output_path, multiclass)
    t0 = time.time()
    size = os.path.getsize(input_path) if input_path != "-" and os.path.exists(input_path) else 0
    bar = _progress(size, progress)
    try:
        chunk: List[FlowRecord] = []
        for rec in iter_records(input_path, scorer):
            chunk.append(rec)
            if len(chunk) >= CHUNK:
                _flush(chunk, scorer, writer, summary, multiclass)
                chunk = []
                bar(summary.rows)
        _flush(chunk, scorer, writer, summary, multiclass)
    finally:
        writer.close()
        bar(None)
    summary.seconds = round(time.time() - t0, 3)
    summary.bad_values = scorer.bad_values
    return summary


def _flush(chunk: List[FlowRecord], scorer: WindowScorer, writer: _Writer, summary: ScoreSummary,
           multiclass: bool) -> None:
    good = [r for r in chunk if r.raw is not None]
    res = scorer.score(good)
    j = 0
    for rec in chunk:
        summary.rows += 1
        if rec.raw is None:
            summary.malformed += 1
            if len(summary.malformed_lines) < 50:
                summary.malformed_lines.append(f"line {rec.line}: {rec.error}")
            writer.write([rec.line, "", "", *([""] if multiclass else []), rec.error])
            continue
        pred = int(res.prediction[j])
        summary.scored += 1
        summary.attacks += pred
        writer.write([rec.line, f"{float(res.score[j]):.6g}", pred,
                      *([res.predicted_class[j]] if multiclass else []), ""])
        j += 1


def _progress(total_bytes: int, enabled: bool):
    """A rows counter on stderr when it is a terminal (no extra dependency)."""
    if not enabled or not sys.stderr.isatty():
        return lambda rows: None
    state = {"t": 0.0}

    def update(rows) -> None:
        now = time.time()
        if rows is None:
            sys.stderr.write("\n")
            return
        if now - state["t"] > 0.2:
            sys.stderr.write(f"\rscored {rows:,} rows")
            sys.stderr.flush()
            state["t"] = now
    return update


