"""mf-serve configuration: a JSON file, then command-line flags on top."""
import json
from dataclasses import asdict, dataclass, fields
from typing import Optional, Tuple


@dataclass
class ServeConfig:
    """Every setting of the daemon (a config file may hold any of these keys)."""

    bundle: str = ""
    engine: str = "onnx"
    threads: int = 1
    netflow_listen: Optional[str] = None        # "127.0.0.1:2055"
    jsonl_listen: Optional[str] = None          # "127.0.0.1:9555"
    use_stdin: bool = False
    udp_rcvbuf: int = 4 << 20                   # softflowd -r sends in one burst (ENVIRONMENT.md)
    metrics_listen: str = "127.0.0.1:9108"
    alerts_path: Optional[str] = None
    alerts_max_bytes: int = 50 << 20
    alerts_backups: int = 5
    stdout_alerts: bool = False
    window_key: Optional[str] = None            # None: the bundle's key
    max_keys: int = 100_000
    key_idle_seconds: float = 600.0
    max_batch: int = 256
    max_wait_ms: float = 50.0
    queue_size: int = 10_000
    stitch_idle_seconds: float = 5.0
    stitch_active_seconds: float = 60.0
    stitch_max_held: int = 100_000
    template_ttl_seconds: float = 1800.0
    pending_max: int = 2048
    pending_ttl_seconds: float = 60.0
    log_level: str = "INFO"

    @classmethod
    def build(cls, path: Optional[str] = None, **flags) -> "ServeConfig":
        """Defaults <- config file <- flags that were given (None means not given)."""
        values = {}
        if path:
            with open(path) as fh:
                values = json.load(fh)
            known = {f.name for f in fields(cls)}
            unknown = sorted(set(values) - known)
            if unknown:
                raise ValueError(f"{path}: unknown keys {unknown}")
        values.update({k: v for k, v in flags.items() if v is not None})
        cfg = cls(**values)
        if not cfg.bundle:
            raise ValueError("no bundle: give --bundle or 'bundle' in the config file")
        if not (cfg.netflow_listen or cfg.jsonl_listen or cfg.use_stdin):
            raise ValueError("no input: give --netflow HOST:PORT, --jsonl-tcp HOST:PORT or --stdin")
        return cfg

    def to_dict(self):
        return asdict(self)


def host_port(value: str) -> Tuple[str, int]:
    """'HOST:PORT' -> (host, port), with a clear error."""
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"expected HOST:PORT, got {value!r}")
    return host or "127.0.0.1", int(port)
