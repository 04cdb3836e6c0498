"""Inputs of the daemon. Each puts items on the bounded input queue and never blocks on
it: a full queue drops the item and counts it (a receiver that blocks loses far more in
the kernel)."""
import logging
import queue
import socket
import socketserver
import sys
import threading
from typing import Optional, Tuple

from ..records import parse_json_object
from .metrics import ServeMetrics

log = logging.getLogger("mf-serve")


def offer(q: "queue.Queue", item: Tuple, metrics: ServeMetrics, reason: str) -> bool:
    try:
        q.put_nowait(item)
        return True
    except queue.Full:
        metrics.drops.labels(reason).inc()
        return False


class UdpReceiver(threading.Thread):
    """NetFlow v9 / IPFIX datagrams from any exporter."""

    def __init__(self, host: str, port: int, rcvbuf: int, out: "queue.Queue", metrics: ServeMetrics,
                 stop: threading.Event) -> None:
        super().__init__(name="udp-receiver", daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.bind((host, port))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.out, self.metrics, self.stop = out, metrics, stop

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                try:
                    data, addr = self.sock.recvfrom(65535)
                except socket.timeout:
                    self.metrics.kernel_drops.set(kernel_udp_drops(self.port))
                    continue
                offer(self.out, ("netflow", data, addr[0]), self.metrics, "input_queue_full")
        finally:
            self.metrics.kernel_drops.set(kernel_udp_drops(self.port))
            self.sock.close()


def kernel_udp_drops(port: int) -> int:
    """The kernel's drop counter for our UDP port (/proc/net/udp, last column); 0 if unknown."""
    total = 0
    for path in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            with open(path) as fh:
                next(fh)
                for line in fh:
                    parts = line.split()
                    if int(parts[1].rsplit(":", 1)[1], 16) == port:
                        total += int(parts[-1])
        except (OSError, ValueError, IndexError, StopIteration):
            continue
    return total


def parse_line(text: str, sender: str, out: "queue.Queue", metrics: ServeMetrics) -> None:
    try:
        obj = parse_json_object(text)
    except ValueError as exc:
        metrics.drops.labels("bad_json").inc()
        log.warning("bad JSON line from %s: %s", sender, str(exc)[:80])
        return
    if obj is not None:
        offer(out, ("record", obj, sender), metrics, "input_queue_full")


class JsonlTcpServer:
    """JSON-lines flows over TCP, one connection per sender."""

    def __init__(self, host: str, port: int, out: "queue.Queue", metrics: ServeMetrics) -> None:
        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                sender = f"{self.client_address[0]}:{self.client_address[1]}"
                for raw in self.rfile:
                    parse_line(raw.decode("utf-8", "replace"), sender, out, metrics)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, name="jsonl-tcp", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class StdinReader(threading.Thread):
    def __init__(self, out: "queue.Queue", metrics: ServeMetrics, done: Optional[threading.Event] = None) -> None:
        super().__init__(name="stdin", daemon=True)
        self.out, self.metrics, self.done = out, metrics, done

    def run(self) -> None:
        for line in sys.stdin:
            parse_line(line, "stdin", self.out, self.metrics)
        if self.done:
            self.done.set()
