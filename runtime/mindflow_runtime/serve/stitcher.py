"""Stitch unidirectional exporter records into bidirectional NF-style flows.

Standard exporters (softflowd, routers) send one record per direction; the NF-*
features need both (IN_ = initiator to responder, OUT_ = back). Records of one
5-tuple are held until the reverse direction arrives (then the flow is emitted at
once), or until an idle timeout (no new record) or an active timeout (since the first
record) passes, when the flow is emitted with what it has. A cap on held flows emits
the oldest first, counted.
"""
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

# What a stitched flow provides: the `exporter` feature set plus the 5-tuple.
STITCHED_FEATURES = ("PROTOCOL", "IN_BYTES", "IN_PKTS", "OUT_BYTES", "OUT_PKTS", "TCP_FLAGS",
                     "FLOW_DURATION_MILLISECONDS", "ICMP_TYPE")
REQUIRED_FIELDS = ("IPV4_SRC_ADDR", "IPV4_DST_ADDR", "PROTOCOL", "IN_BYTES", "IN_PKTS")
U32 = 2**32

Endpoint = Tuple[str, int]


@dataclass
class _Held:
    src: Endpoint
    dst: Endpoint
    proto: int
    created: float
    updated: float
    fwd: List[int] = field(default_factory=lambda: [0, 0])   # bytes, packets
    rev: List[int] = field(default_factory=lambda: [0, 0])
    flags: int = 0
    first: Optional[int] = None
    last: Optional[int] = None
    icmp: int = 0
    starts: List[Optional[int]] = field(default_factory=lambda: [None, None])  # fwd, rev first packet
    exporter: str = ""
    records: int = 0

    def add(self, rec: Dict, forward: bool, now: float) -> None:
        side = self.fwd if forward else self.rev
        side[0] += int(rec.get("IN_BYTES", 0))
        side[1] += int(rec.get("IN_PKTS", 0))
        self.flags |= int(rec.get("TCP_FLAGS", 0))
        start, end = _times(rec)
        if start is not None:
            i = 0 if forward else 1
            self.starts[i] = start if self.starts[i] is None else min(self.starts[i], start)
            self.first = start if self.first is None else min(self.first, start)
            self.last = end if self.last is None else max(self.last, end)
        if forward and self.proto in (1, 58):
            self.icmp = int(rec.get("ICMP_TYPE", rec.get("L4_DST_PORT", 0)))
        self.updated = now
        self.records += 1

    def _reversed(self) -> bool:
        """True when the held "reverse" side is the initiator: it started first, or on a tie
        it is the side talking to the lower (service) port."""
        f, r = self.starts
        if self.rev[1] == 0 or f is None or r is None:
            return False
        if f != r:
            return (r - f) % U32 > U32 // 2  # r earlier than f, modulo uptime wrap
        return self.src[1] < self.dst[1]

    def flow(self) -> Dict:
        duration = 0 if self.first is None else (self.last - self.first) % U32
        src, dst, fwd, rev = self.src, self.dst, self.fwd, self.rev
        if self._reversed():
            src, dst, fwd, rev = dst, src, rev, fwd
        return {
            "IPV4_SRC_ADDR": src[0], "L4_SRC_PORT": src[1],
            "IPV4_DST_ADDR": dst[0], "L4_DST_PORT": dst[1], "PROTOCOL": self.proto,
            "IN_BYTES": fwd[0], "IN_PKTS": fwd[1], "OUT_BYTES": rev[0], "OUT_PKTS": rev[1],
            "TCP_FLAGS": self.flags, "FLOW_DURATION_MILLISECONDS": duration, "ICMP_TYPE": self.icmp,
            "_exporter": self.exporter, "_records": self.records,
        }


def _times(rec: Dict) -> Tuple[Optional[int], Optional[int]]:
    """Start and end in milliseconds, from whichever timestamps the exporter sent."""
    if "FIRST_SWITCHED" in rec and "LAST_SWITCHED" in rec:
        return rec["FIRST_SWITCHED"], rec["LAST_SWITCHED"]
    if "FLOW_START_MILLISECONDS" in rec and "FLOW_END_MILLISECONDS" in rec:
        return rec["FLOW_START_MILLISECONDS"], rec["FLOW_END_MILLISECONDS"]
    if "FLOW_START_MICROSECONDS" in rec and "FLOW_END_MICROSECONDS" in rec:
        return rec["FLOW_START_MICROSECONDS"] // 1000, rec["FLOW_END_MICROSECONDS"] // 1000
    if "FLOW_START_SECONDS" in rec and "FLOW_END_SECONDS" in rec:
        return rec["FLOW_START_SECONDS"] * 1000, rec["FLOW_END_SECONDS"] * 1000
    return None, None


class Stitcher:
    """Pairs the two directions of each 5-tuple; see the module docstring for the timeouts."""

    def __init__(self, idle_timeout: float = 5.0, active_timeout: float = 60.0, max_held: int = 100_000) -> None:
        self.idle_timeout, self.active_timeout, self.max_held = idle_timeout, active_timeout, max_held
        self.held: OrderedDict[Tuple, _Held] = OrderedDict()
        self.counts = {"records": 0, "paired": 0, "idle": 0, "active": 0, "cap": 0, "drained": 0, "invalid": 0}

    def __len__(self) -> int:
        return len(self.held)

    def add(self, rec: Dict, now: float) -> List[Dict]:
        """Take one unidirectional record; return flows completed by it (0 to 2)."""
        if any(f not in rec for f in REQUIRED_FIELDS):
            self.counts["invalid"] += 1
            return []
        self.counts["records"] += 1
        proto = int(rec["PROTOCOL"])
        a = (rec["IPV4_SRC_ADDR"], int(rec.get("L4_SRC_PORT", 0)))
        b = (rec["IPV4_DST_ADDR"], int(rec.get("L4_DST_PORT", 0)))
        if proto in (1, 58):  # ICMP: the "port" carries type/code; pair on addresses only
            a, b = (a[0], 0), (b[0], 0)
        key = (proto,) + (a + b if a <= b else b + a)
        out: List[Dict] = []
        held = self.held.get(key)
        if held is None:
            held = _Held(a, b, proto, now, now, exporter=rec.get("_exporter", ""))
            held.add(rec, True, now)
            self.held[key] = held
            if len(self.held) > self.max_held:
                _, oldest = self.held.popitem(last=False)
                self.counts["cap"] += 1
                out.append(oldest.flow())
            return out
        forward = a == held.src
        if not forward and held.rev[1] == 0 and held.fwd[1] > 0:
            held.add(rec, False, now)
            del self.held[key]
            self.counts["paired"] += 1
            out.append(held.flow())
            return out
        held.add(rec, forward, now)
        self.held.move_to_end(key)
        return out

    def expire(self, now: float) -> List[Dict]:
        """Flows past their idle or active timeout."""
        out = []
        for key in list(self.held):
            h = self.held[key]
            if now - h.updated >= self.idle_timeout:
                self.counts["idle"] += 1
            elif now - h.created >= self.active_timeout:
                self.counts["active"] += 1
            else:
                continue
            del self.held[key]
            out.append(h.flow())
        return out

    def drain(self) -> List[Dict]:
        """Every held flow (shutdown)."""
        out = [h.flow() for h in self.held.values()]
        self.counts["drained"] += len(out)
        self.held.clear()
        return out
