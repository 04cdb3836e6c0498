"""Prometheus metrics of one daemon (its own registry) and the /metrics + /healthz server."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Dict

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST


class ServeMetrics:
    """Counters for every arrow of the pipeline; drops carry a reason label."""

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.datagrams = Counter("mf_datagrams", "NetFlow/IPFIX datagrams received", ["version"], registry=r)
        self.records = Counter("mf_records", "Flow records decoded from NetFlow/IPFIX", registry=r)
        self.templates = Counter("mf_templates", "Templates received", registry=r)
        self.flows_in = Counter("mf_flows_in", "Flows entering the scorer", ["input"], registry=r)
        self.scored = Counter("mf_flows_scored", "Flows scored", registry=r)
        self.alerts = Counter("mf_alerts", "Flows at or above the bundle threshold", registry=r)
        self.drops = Counter("mf_drops", "Datagrams, records, lines or flows lost, by reason", ["reason"], registry=r)
        self.queue = Gauge("mf_queue_depth", "Items waiting between stages", ["queue"], registry=r)
        self.batch_latency = Histogram("mf_batch_latency_seconds", "Engine time per micro-batch", registry=r,
                                       buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0))
        self.batch_size = Histogram("mf_batch_size", "Flows per micro-batch", registry=r,
                                    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512))
        self.reloads = Counter("mf_reloads", "Bundle reloads on SIGHUP", ["result"], registry=r)
        self.keys = Gauge("mf_window_keys", "Window keys held", registry=r)
        self.held = Gauge("mf_stitcher_held", "Unidirectional flows waiting for their reverse", registry=r)
        self.kernel_drops = Gauge("mf_udp_kernel_drops", "Datagrams the kernel dropped on the NetFlow socket",
                                  registry=r)
        self.model = Gauge("mf_model_info", "Loaded bundle", ["model_id", "engine"], registry=r)

    def value(self, name: str, **labels) -> float:
        """Current value of a sample (tests and the closing summary)."""
        v = self.registry.get_sample_value(name, labels or None)
        return 0.0 if v is None else v


class MetricsServer:
    """HTTP /metrics (Prometheus text) and /healthz (JSON) on its own thread."""

    def __init__(self, host: str, port: int, metrics: ServeMetrics, health: Callable[[], Dict]) -> None:
        registry = metrics.registry

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                if self.path == "/metrics":
                    body, ctype, code = generate_latest(registry), CONTENT_TYPE_LATEST, 200
                elif self.path == "/healthz":
                    state = health()
                    body = json.dumps(state).encode()
                    ctype, code = "application/json", 200 if state.get("ok") else 503
                else:
                    body, ctype, code = b"not found\n", "text/plain", 404
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="metrics", daemon=True)
        self.started = time.time()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
