"""The daemon: receivers -> decoder/stitcher thread -> scorer thread -> sinks.

Stop on an Event (SIGTERM/SIGINT): receivers stop, the decoder drains its queue and the
stitcher, the scorer drains its queue, sinks flush. SIGHUP reloads the bundle and keeps
the old model if the new one fails to verify or load.
"""
import datetime
import logging
import queue
import signal
import threading
import time
from typing import Dict, List, Optional

from ..bundle import BundleError, load_bundle
from ..pipeline import WindowScorer
from ..records import to_record
from .config import ServeConfig, host_port
from .metrics import MetricsServer, ServeMetrics
from .netflow import DecodeError, Decoder
from .receivers import JsonlTcpServer, StdinReader, UdpReceiver, offer
from .sinks import make_sinks
from .stitcher import STITCHED_FEATURES, Stitcher

log = logging.getLogger("mf-serve")


class Daemon:
    def __init__(self, cfg: ServeConfig, clock=time.monotonic) -> None:
        self.cfg, self.clock = cfg, clock
        self.metrics = ServeMetrics()
        self.stop_event = threading.Event()
        self.decoder_done = threading.Event()
        self.scorer_done = threading.Event()
        self.reload_requested = threading.Event()
        self.in_q: queue.Queue = queue.Queue(cfg.queue_size)
        self.flow_q: queue.Queue = queue.Queue(cfg.queue_size)
        self.decoder = Decoder(cfg.template_ttl_seconds, cfg.pending_max, cfg.pending_ttl_seconds, clock)
        self.stitcher = Stitcher(cfg.stitch_idle_seconds, cfg.stitch_active_seconds, cfg.stitch_max_held)
        self.scorer = self._load_scorer()
        self.sinks = make_sinks(cfg.alerts_path, cfg.alerts_max_bytes, cfg.alerts_backups, cfg.stdout_alerts)
        self._logged: Dict = {}
        self.receivers: List = []
        self.udp: Optional[UdpReceiver] = None
        self.tcp: Optional[JsonlTcpServer] = None
        self.stdin_done = threading.Event()
        host, port = host_port(cfg.metrics_listen)
        self.http = MetricsServer(host, port, self.metrics, self.health)
        self.started = time.time()

    # -- set-up ---------------------------------------------------------------------------
    def _load_scorer(self) -> WindowScorer:
        bundle = load_bundle(self.cfg.bundle)
        if self.cfg.netflow_listen:
            missing = [f for f in bundle.spec.features if f not in STITCHED_FEATURES]
            if missing:
                raise BundleError(f"{self.cfg.bundle}: the model needs features a NetFlow exporter does not send: "
                                  f"{', '.join(missing)} (train with --feature-set exporter)")
        engine = bundle.engine(self.cfg.engine, self.cfg.threads)
        scorer = WindowScorer(bundle, engine, self.cfg.window_key, self.cfg.max_keys, self.cfg.key_idle_seconds)
        if self.cfg.window_key and self.cfg.window_key != bundle.spec.window["key"]:
            log.warning("windows keyed by %s, but the model was trained with key %s",
                        self.cfg.window_key, bundle.spec.window["key"])
        self.metrics.model.clear()
        self.metrics.model.labels(bundle.spec.model_id, self.cfg.engine).set(1)
        log.info("bundle %s loaded: model %s, engine %s, window %d key %s, threshold %.4g",
                 self.cfg.bundle, bundle.spec.model_id, self.cfg.engine, bundle.spec.window_length,
                 scorer.key, scorer.threshold)
        return scorer

    def start(self) -> None:
        cfg = self.cfg
        if cfg.netflow_listen:
            host, port = host_port(cfg.netflow_listen)
            self.udp = UdpReceiver(host, port, cfg.udp_rcvbuf, self.in_q, self.metrics, self.stop_event)
            self.receivers.append(self.udp)
            log.info("NetFlow v9/IPFIX on udp %s:%d", host, self.udp.port)
        if cfg.jsonl_listen:
            host, port = host_port(cfg.jsonl_listen)
            self.tcp = JsonlTcpServer(host, port, self.in_q, self.metrics)
            log.info("JSON lines on tcp %s:%d", host, self.tcp.port)
        if cfg.use_stdin:
            self.receivers.append(StdinReader(self.in_q, self.metrics, self.stdin_done))
        self.threads = [threading.Thread(target=self._decode_loop, name="decoder", daemon=True),
                        threading.Thread(target=self._score_loop, name="scorer", daemon=True)]
        for t in self.threads + self.receivers:
            t.start()
        if self.tcp:
            self.tcp.start()
        self.http.start()
        log.info("metrics on http://%s/metrics", cfg.metrics_listen)

    def health(self) -> Dict:
        alive = all(t.is_alive() for t in self.threads) and not self.stop_event.is_set()
        return {"ok": alive, "uptime_seconds": round(time.time() - self.started, 1),
                "model_id": self.scorer.bundle.spec.model_id, "engine": self.cfg.engine}

    # -- decoder / stitcher thread ------------------------------------------------------
    def _decode_loop(self) -> None:
        last_tick = self.clock()
        while True:
            try:
                item = self.in_q.get(timeout=0.05)
            except queue.Empty:
                item = None
                if self.stop_event.is_set() and not any(r.is_alive() for r in self.receivers):
                    break
            if item is not None:
                self._handle(item)
            now = self.clock()
            if now - last_tick >= 0.25:
                last_tick = now
                self._emit(self.stitcher.expire(now))
                for reason, n in self.decoder.expire().items():
                    if n:
                        self.metrics.drops.labels(reason).inc(n)
                self.metrics.queue.labels("input").set(self.in_q.qsize())
                self.metrics.held.set(len(self.stitcher))
        self._emit(self.stitcher.drain())
        lost = self.decoder.pending_count
        if lost:
            self.metrics.drops.labels("no_template").inc(lost)
        self.decoder_done.set()

    def _handle(self, item) -> None:
        kind, payload, sender = item
        if kind == "record":
            payload.setdefault("_exporter", sender)
            self._to_scorer(payload, "jsonl")
            return
        version = payload[1] if len(payload) > 1 else 0
        self.metrics.datagrams.labels(str(version)).inc()
        try:
            result = self.decoder.decode(payload, sender)
        except DecodeError as exc:
            self.metrics.drops.labels(exc.reason).inc()
            self._log_once(sender, exc.reason, str(exc))
            return
        for reason, n in result.dropped.items():
            self.metrics.drops.labels(reason).inc(n)
            self._log_once(sender, reason, f"{n} lost in one datagram")
        self.metrics.templates.inc(result.templates)
        self.metrics.records.inc(len(result.records))
        now = self.clock()
        for rec in result.records:
            before = self.stitcher.counts["invalid"]
            flows = self.stitcher.add(rec, now)
            if self.stitcher.counts["invalid"] != before:
                self.metrics.drops.labels("invalid_record").inc()
            self._emit(flows)

    def _emit(self, flows: List[Dict]) -> None:
        for flow in flows:
            self._to_scorer(flow, "netflow")

    def _to_scorer(self, flow: Dict, source: str) -> None:
        if offer(self.flow_q, (source, flow), self.metrics, "flow_queue_full"):
            self.metrics.flows_in.labels(source).inc()

    def _log_once(self, sender: str, reason: str, message: str) -> None:
        n = self._logged.get((sender, reason), 0)
        self._logged[(sender, reason)] = n + 1
        if n == 0 or n % 1000 == 0:
            log.warning("exporter %s: %s (%d so far)", sender, message, n + 1)

    # -- scorer thread --------------------------------------------------------------------
    def _score_loop(self) -> None:
        batch: List = []
        deadline = None
        while True:
            if self.reload_requested.is_set():
                self._flush(batch)
                batch = []
                self._reload()
            timeout = 0.05 if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                batch.append(self.flow_q.get(timeout=timeout))
                if deadline is None:
                    deadline = time.monotonic() + self.cfg.max_wait_ms / 1000.0
            except queue.Empty:
                pass
            if batch and (len(batch) >= self.cfg.max_batch or time.monotonic() >= (deadline or 0)):
                self._flush(batch)
                batch, deadline = [], None
            self.metrics.queue.labels("flows").set(self.flow_q.qsize())
            if self.decoder_done.is_set() and self.flow_q.empty():
                self._flush(batch)
                break
        for sink in self.sinks:
            sink.close()
        self.scorer_done.set()

    def _flush(self, batch: List) -> None:
        if not batch:
            return
        scorer = self.scorer
        records = []
        for _source, flow in batch:
            rec = to_record(flow, 0, scorer.features, scorer.key_field)
            if rec.raw is None:
                self.metrics.drops.labels("missing_field").inc()
                self._log_once(str(flow.get("_exporter")), "missing_field", rec.error)
                continue
            records.append((rec, flow))
        if not records:
            return
        t0 = time.perf_counter()
        res = scorer.score([r for r, _ in records], self.clock())
        self.metrics.batch_latency.observe(time.perf_counter() - t0)
        self.metrics.batch_size.observe(len(records))
        self.metrics.scored.inc(len(records))
        scorer.windower.evict_idle(self.clock())
        self.metrics.keys.set(len(scorer.windower))
        alerts = []
        ts = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")
        model_id = scorer.bundle.spec.model_id
        for i, (_rec, flow) in enumerate(records):
            if res.prediction[i]:
                alerts.append({
                    "ts": ts, "src": flow.get("IPV4_SRC_ADDR"), "sport": flow.get("L4_SRC_PORT"),
                    "dst": flow.get("IPV4_DST_ADDR"), "dport": flow.get("L4_DST_PORT"),
                    "proto": flow.get("PROTOCOL"), "score": round(float(res.score[i]), 6),
                    "class": res.predicted_class[i] if res.predicted_class else "attack",
                    "model_id": model_id, "exporter": flow.get("_exporter")})
        self.metrics.alerts.inc(len(alerts))
        for sink in self.sinks:
            sink.write_batch(alerts)

    def _reload(self) -> None:
        self.reload_requested.clear()
        try:
            self.scorer = self._load_scorer()
            self.metrics.reloads.labels("ok").inc()
        except Exception as exc:  # keep serving with the old model, whatever went wrong
            self.metrics.reloads.labels("failed").inc()
            log.error("reload failed, keeping model %s: %s", self.scorer.bundle.spec.model_id, exc)

    # -- stop -----------------------------------------------------------------------------
    def request_stop(self, *_args) -> None:
        self.stop_event.set()

    def stop_and_drain(self, timeout: float = 30.0) -> None:
        self.stop_event.set()
        if self.tcp:
            self.tcp.stop()
        for r in self.receivers:
            if isinstance(r, UdpReceiver):
                r.join(timeout)
        self.receivers = [r for r in self.receivers if r.is_alive() and not isinstance(r, StdinReader)]
        self.decoder_done.wait(timeout)
        self.scorer_done.wait(timeout)
        self.http.stop()

    def summary(self) -> Dict:
        m = self.metrics
        drops = {s.labels["reason"]: s.value for metric in m.drops.collect() for s in metric.samples
                 if s.name.endswith("_total")}
        return {"datagrams": sum(m.value("mf_datagrams_total", version=v) for v in ("9", "10")),
                "records": m.value("mf_records_total"), "flows_scored": m.value("mf_flows_scored_total"),
                "alerts": m.value("mf_alerts_total"), "drops": drops,
                "stitcher": dict(self.stitcher.counts)}


def run_daemon(cfg: ServeConfig) -> None:
    """Run until SIGTERM/SIGINT (or end of stdin with --stdin alone), then drain and exit."""
    logging.basicConfig(level=getattr(logging, cfg.log_level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    daemon = Daemon(cfg)
    signal.signal(signal.SIGTERM, daemon.request_stop)
    signal.signal(signal.SIGINT, daemon.request_stop)
    signal.signal(signal.SIGHUP, lambda *_: daemon.reload_requested.set())
    daemon.start()
    only_stdin = cfg.use_stdin and not (cfg.netflow_listen or cfg.jsonl_listen)
    try:
        while not daemon.stop_event.is_set():
            if only_stdin and daemon.stdin_done.is_set():
                break
            daemon.stop_event.wait(0.2)
    finally:
        log.info("stopping: draining queues")
        daemon.stop_and_drain()
        log.info("stopped: %s", daemon.summary())
