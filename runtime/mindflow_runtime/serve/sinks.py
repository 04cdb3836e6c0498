"""Alert sinks: a JSON-lines file flushed per batch and rotated by size, and stdout."""
import json
import os
import sys
from typing import Dict, List, Optional


class AlertFile:
    """Appends alerts; after a batch pushes the file past `max_bytes`, rotates to .1 ... .N."""

    def __init__(self, path: str, max_bytes: int = 50 << 20, backups: int = 5) -> None:
        self.path, self.max_bytes, self.backups = path, max_bytes, backups
        parent = os.path.dirname(os.path.abspath(path))
        os.makedirs(parent, exist_ok=True)
        self.fh = open(path, "a", encoding="utf-8")
        self.rotations = 0

    def write_batch(self, alerts: List[Dict]) -> None:
        if not alerts:
            return
        self.fh.write("".join(json.dumps(a, separators=(",", ":")) + "\n" for a in alerts))
        self.fh.flush()
        if self.fh.tell() >= self.max_bytes:
            self._rotate()

    def _rotate(self) -> None:
        self.fh.close()
        for i in range(self.backups - 1, 0, -1):
            src = f"{self.path}.{i}"
            if os.path.exists(src):
                os.replace(src, f"{self.path}.{i + 1}")
        if self.backups > 0:
            os.replace(self.path, f"{self.path}.1")
        else:
            os.remove(self.path)
        self.fh = open(self.path, "a", encoding="utf-8")
        self.rotations += 1

    def close(self) -> None:
        self.fh.flush()
        self.fh.close()


class StdoutAlerts:
    def write_batch(self, alerts: List[Dict]) -> None:
        for a in alerts:
            sys.stdout.write(json.dumps(a) + "\n")
        sys.stdout.flush()

    def close(self) -> None:
        sys.stdout.flush()


def make_sinks(path: Optional[str], max_bytes: int, backups: int, stdout: bool) -> List:
    sinks: List = []
    if path:
        sinks.append(AlertFile(path, max_bytes, backups))
    if stdout:
        sinks.append(StdoutAlerts())
    return sinks
