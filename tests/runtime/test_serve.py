"""mf-serve as a real process: softflowd replays a real IoT-23 capture over NetFlow v9 and
IPFIX; every exported record is accounted for. Also JSON lines over TCP, SIGHUP reload,
SIGTERM drain, and refusing a bundle whose features an exporter does not send."""
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.request

import pytest

from .conftest import ENGINES, GOLDEN

SHARED = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "..",
                      "shared", "data")
PCAP_42_1 = os.path.join(SHARED, "iot-23", "original", "CTU-IoT-Malware-Capture-42-1",
                         "2019-01-10-14-34-38-192.168.1.197.pcap")
SERVE = os.path.join(os.path.dirname(sys.executable), "mf-serve")
GATEWAY_ENGINES = [e for e in ENGINES if e in ("onnx", "lite")]


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def whole_packets(src, dst):
    """The capture ends in a truncated packet, on which softflowd exits without exporting
    anything; keep the whole packets (24,484 of 24,485)."""
    data = open(src, "rb").read()
    pos = 24
    while pos + 16 <= len(data):
        incl = struct.unpack_from("<I", data, pos + 8)[0]
        if pos + 16 + incl > len(data):
            break
        pos += 16 + incl
    with open(dst, "wb") as fh:
        fh.write(data[:pos])
    return dst


def metrics(port):
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    out = {}
    for line in text.splitlines():
        if line.startswith("mf_") and not line.startswith(("mf_batch_latency_seconds_bucket", "mf_batch_size_bucket")):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def drops(m, *reasons):
    return sum(v for k, v in m.items() if k.startswith("mf_drops_total") and
               (not reasons or any(f'reason="{r}"' in k for r in reasons)))


class Serve:
    def __init__(self, tmp, bundle, engine="onnx", netflow=True, jsonl=False):
        self.metrics_port = free_port()
        self.udp = free_port(socket.SOCK_DGRAM) if netflow else None
        self.tcp = free_port() if jsonl else None
        self.alerts = os.path.join(tmp, "alerts.jsonl")
        cfg = {"bundle": bundle, "engine": engine, "metrics_listen": f"127.0.0.1:{self.metrics_port}",
               "alerts_path": self.alerts, "stitch_idle_seconds": 1.0, "max_wait_ms": 20}
        if netflow:
            cfg["netflow_listen"] = f"127.0.0.1:{self.udp}"
        if jsonl:
            cfg["jsonl_listen"] = f"127.0.0.1:{self.tcp}"
        path = os.path.join(tmp, "serve.json")
        json.dump(cfg, open(path, "w"))
        self.log = open(os.path.join(tmp, "serve.log"), "w+")
        self.proc = subprocess.Popen([SERVE, "--config", path], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if json.load(urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/healthz", timeout=2))["ok"]:
                    return
            except OSError:
                assert self.proc.poll() is None, self.output()
                time.sleep(0.2)
        raise AssertionError("mf-serve did not become healthy: " + self.output())

    def metrics(self):
        return metrics(self.metrics_port)

    def wait(self, predicate, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = self.metrics()
            if predicate(m):
                return m
            time.sleep(0.3)
        raise AssertionError(f"condition not reached; metrics: {self.metrics()}")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.wait(timeout=60) == 0, self.output()

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()[-3000:]


@pytest.mark.parametrize("version", [9, 10])
@pytest.mark.parametrize("engine", GATEWAY_ENGINES)
def test_softflowd_replay_every_record_accounted(tmp_path, version, engine):
    if shutil.which("softflowd") is None:
        if os.environ.get("CI"):
            pytest.fail("softflowd is not installed: .ci/run must install it")
        pytest.skip("softflowd not installed (apt-get install softflowd; .ci/run does)")
    pcap = whole_packets(PCAP_42_1, str(tmp_path / "42-1.pcap"))
    serve = Serve(str(tmp_path), os.path.join(GOLDEN, "bundle"), engine)
    try:
        out = subprocess.run(["softflowd", "-r", pcap, "-n", f"127.0.0.1:{serve.udp}", "-v", str(version), "-d"],
                             capture_output=True, text=True, timeout=120)
        stats = re.search(r"Flows exported: (\d+) \((\d+) records\) in (\d+) packets", out.stdout + out.stderr)
        assert stats, out.stdout + out.stderr
        flows, records, packets = map(int, stats.groups())
        assert records > 5000
        m = serve.wait(lambda m: m.get(f'mf_datagrams_total{{version="{version}"}}', 0)
                       + m.get("mf_udp_kernel_drops", 0) >= packets
                       and m.get("mf_stitcher_held", 1) == 0
                       and m.get("mf_flows_scored_total", 0) + drops(m, "missing_field")
                       >= m.get('mf_flows_in_total{input="netflow"}', 1))
        assert m["mf_udp_kernel_drops"] == 0  # SO_RCVBUF sized for softflowd's burst
        # every exported record decoded or dropped with a counted reason
        lost = drops(m, "truncated", "malformed_record", "malformed_set", "no_template", "pending_full")
        assert m["mf_records_total"] + lost == records
        # stitching rebuilds softflowd's bidirectional flows; each is scored or dropped with a reason
        assert m['mf_flows_in_total{input="netflow"}'] == flows
        assert m["mf_flows_scored_total"] + drops(m, "missing_field") == flows
        assert drops(m) == 0
    finally:
        serve.stop()
    alerts = [json.loads(line) for line in open(serve.alerts)]
    assert len(alerts) == m["mf_alerts_total"]
    for a in alerts:
        assert set(a) >= {"ts", "src", "sport", "dst", "dport", "proto", "score", "class", "model_id"}
        assert 0 <= a["score"] <= 1


def _send_lines(port, lines):
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall("".join(line + "\n" for line in lines).encode())


def _flow(i):
    return json.dumps({"IPV4_SRC_ADDR": f"10.0.0.{i % 5}", "L4_SRC_PORT": 1000 + i, "IPV4_DST_ADDR": "10.0.1.1",
                       "L4_DST_PORT": 80, "PROTOCOL": 6, "IN_BYTES": 100 + i, "IN_PKTS": 2, "OUT_BYTES": 40,
                       "OUT_PKTS": 1, "TCP_FLAGS": 2, "FLOW_DURATION_MILLISECONDS": 5, "ICMP_TYPE": 0})


def test_jsonl_tcp_bad_lines_counted_and_sighup_reload(tmp_path, bundle_copy):
    serve = Serve(str(tmp_path), bundle_copy, GATEWAY_ENGINES[0], netflow=False, jsonl=True)
    try:
        _send_lines(serve.tcp, [_flow(i) for i in range(20)] + ["{not json", "[1,2]", json.dumps({"PROTOCOL": 6})])
        m = serve.wait(lambda m: m.get("mf_flows_scored_total", 0) >= 20 and drops(m) >= 3)
        assert m["mf_flows_scored_total"] == 20 and drops(m, "bad_json") == 2 and drops(m, "missing_field") == 1
        # a tampered bundle is refused on SIGHUP and the old model keeps serving
        model = os.path.join(bundle_copy, "model.onnx")
        original = open(model, "rb").read()
        open(model, "wb").write(original[:-1] + bytes([original[-1] ^ 1]))
        serve.proc.send_signal(signal.SIGHUP)
        serve.wait(lambda m: m.get('mf_reloads_total{result="failed"}', 0) == 1)
        _send_lines(serve.tcp, [_flow(i) for i in range(5)])
        serve.wait(lambda m: m["mf_flows_scored_total"] == 25)
        open(model, "wb").write(original)
        serve.proc.send_signal(signal.SIGHUP)
        serve.wait(lambda m: m.get('mf_reloads_total{result="ok"}', 0) == 1)
    finally:
        serve.stop()
    assert "reload failed, keeping model" in serve.output()


def test_bundle_without_exporter_features_is_refused(tmp_path, monkeypatch):
    from mindflow_runtime.bundle import BundleError
    from mindflow_runtime.serve import daemon
    from mindflow_runtime.serve.config import ServeConfig
    monkeypatch.setattr(daemon, "STITCHED_FEATURES", ("PROTOCOL", "IN_BYTES", "IN_PKTS"))
    cfg = ServeConfig.build(None, bundle=os.path.join(GOLDEN, "bundle"), netflow_listen="127.0.0.1:0",
                            metrics_listen="127.0.0.1:0")
    with pytest.raises(BundleError, match="does not send: OUT_BYTES, OUT_PKTS, TCP_FLAGS"):
        daemon.Daemon(cfg)


def test_stdin_input_prints_alerts_and_exits_at_end_of_input(tmp_path):
    lines = "".join(_flow(i) + "\n" for i in range(12)) + "garbage\n"
    cfg = tmp_path / "c.json"
    json.dump({"bundle": os.path.join(GOLDEN, "bundle"), "engine": GATEWAY_ENGINES[0], "use_stdin": True,
               "stdout_alerts": True, "alerts_path": str(tmp_path / "a.jsonl"),
               "metrics_listen": f"127.0.0.1:{free_port()}"}, open(cfg, "w"))
    proc = subprocess.run([SERVE, "--config", str(cfg)], input=lines, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    printed = [json.loads(x) for x in proc.stdout.splitlines()]
    in_file = [json.loads(x) for x in open(tmp_path / "a.jsonl")]
    alerts = float(re.search(r"'alerts': ([0-9.]+)", proc.stderr).group(1))
    assert printed == in_file and len(printed) == alerts
    assert "'flows_scored': 12.0" in proc.stderr and "'bad_json': 1.0" in proc.stderr


def test_alert_file_rotates_by_size(tmp_path):
    from mindflow_runtime.serve.sinks import AlertFile
    path = str(tmp_path / "alerts.jsonl")
    sink = AlertFile(path, max_bytes=200, backups=2)
    for i in range(10):
        sink.write_batch([{"n": i, "pad": "x" * 60}])
    sink.close()
    assert sink.rotations >= 3
    assert os.path.exists(path + ".1") and os.path.exists(path + ".2") and not os.path.exists(path + ".3")
    kept = [json.loads(x)["n"] for p in (path + ".2", path + ".1", path) for x in open(p)]
    assert kept == sorted(kept) and kept[-1] == 9  # newest last, nothing reordered
