"""NetFlow v9 (RFC 3954) and IPFIX (RFC 7011) decoding, with per-exporter templates.

Written here rather than taken from the PyPI ``netflow`` package (0.12.2), which keys
templates by template id alone (two exporters using id 256 corrupt each other), can
raise struct.error on a v9 flowset whose length is not a multiple of 4, and mixes IPFIX
enterprise (reverse) fields with forward ones (ENVIRONMENT.md).

Templates are keyed by (exporter address, version, observation domain / source id,
template id) and expire; data that arrives before its template waits in a bounded
buffer and is decoded when the template comes. Every problem is a DecodeError with a
reason that the daemon counts; nothing here stops the caller.
"""
import ipaddress
import struct
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

# information element id -> record field name (v9 and IPFIX share these ids)
FIELDS = {
    1: "IN_BYTES", 2: "IN_PKTS", 4: "PROTOCOL", 5: "SRC_TOS", 6: "TCP_FLAGS", 7: "L4_SRC_PORT",
    8: "IPV4_SRC_ADDR", 10: "INPUT_SNMP", 11: "L4_DST_PORT", 12: "IPV4_DST_ADDR", 14: "OUTPUT_SNMP",
    21: "LAST_SWITCHED", 22: "FIRST_SWITCHED", 23: "OUT_BYTES", 24: "OUT_PKTS", 27: "IPV6_SRC_ADDR",
    28: "IPV6_DST_ADDR", 32: "ICMP_TYPE", 60: "IP_PROTOCOL_VERSION", 85: "IN_BYTES", 86: "IN_PKTS",
    136: "FLOW_END_REASON", 139: "ICMP_TYPE", 150: "FLOW_START_SECONDS", 151: "FLOW_END_SECONDS",
    152: "FLOW_START_MILLISECONDS", 153: "FLOW_END_MILLISECONDS", 154: "FLOW_START_MICROSECONDS",
    155: "FLOW_END_MICROSECONDS", 176: "ICMP_IPV4_TYPE", 177: "ICMP_IPV4_CODE",
}
ADDRESS_FIELDS = {"IPV4_SRC_ADDR", "IPV4_DST_ADDR", "IPV6_SRC_ADDR", "IPV6_DST_ADDR"}
V9_HEADER = struct.Struct("!HHIIII")     # version, count, sys_uptime, unix_secs, sequence, source_id
IPFIX_HEADER = struct.Struct("!HHIII")   # version, length, export_time, sequence, domain
SET_HEADER = struct.Struct("!HH")
VARIABLE = 65535


class DecodeError(ValueError):
    """A datagram or set that cannot be decoded; `reason` is the metrics label."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


@dataclass
class Template:
    fields: List[Tuple[int, int, int]]  # (element id, length, enterprise number or 0)
    options: bool = False
    seen: float = 0.0

    @property
    def fixed_length(self) -> Optional[int]:
        if any(length == VARIABLE for _, length, _ in self.fields):
            return None
        return sum(length for _, length, _ in self.fields)


@dataclass
class Pending:
    data: bytes
    header: Dict
    arrived: float


@dataclass
class DecodeResult:
    records: List[Dict] = field(default_factory=list)
    templates: int = 0
    dropped: Dict[str, int] = field(default_factory=dict)   # reason -> records or sets lost

    def drop(self, reason: str, n: int = 1) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + n


TemplateKey = Tuple[str, int, int, int]


class Decoder:
    """Stateful v9/IPFIX decoder shared by all exporters (state is keyed per exporter)."""

    def __init__(self, template_ttl: float = 1800.0, pending_max: int = 2048, pending_ttl: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.templates: Dict[TemplateKey, Template] = {}
        self.pending: OrderedDict[TemplateKey, List[Pending]] = OrderedDict()
        self.pending_count = 0
        self.template_ttl, self.pending_max, self.pending_ttl = template_ttl, pending_max, pending_ttl
        self.clock = clock

    # -- public ---------------------------------------------------------------------------
    def decode(self, data: bytes, exporter: str) -> DecodeResult:
        """Decode one datagram. Raises DecodeError only for a datagram unusable as a whole."""
        result = DecodeResult()
        now = self.clock()
        if len(data) < 4:
            raise DecodeError("truncated", f"{len(data)} bytes")
        version = struct.unpack_from("!H", data)[0]
        if version == 9:
            self._v9(data, exporter, now, result)
        elif version == 10:
            self._ipfix(data, exporter, now, result)
        else:
            raise DecodeError("bad_version", f"version {version}")
        return result

    def expire(self) -> Dict[str, int]:
        """Drop templates past their TTL and pending sets past theirs; return what was lost."""
        now = self.clock()
        lost = {"template_expired": 0, "no_template": 0}
        for key in [k for k, t in self.templates.items() if now - t.seen > self.template_ttl]:
            del self.templates[key]
            lost["template_expired"] += 1
        for key in list(self.pending):
            keep = [p for p in self.pending[key] if now - p.arrived <= self.pending_ttl]
            lost["no_template"] += len(self.pending[key]) - len(keep)
            self.pending_count -= len(self.pending[key]) - len(keep)
            if keep:
                self.pending[key] = keep
            else:
                del self.pending[key]
        return lost

    # -- versions -------------------------------------------------------------------------
    def _v9(self, data: bytes, exporter: str, now: float, result: DecodeResult) -> None:
        if len(data) < V9_HEADER.size:
            raise DecodeError("truncated", f"v9 header needs 20 bytes, got {len(data)}")
        _, _, uptime, secs, _, source = V9_HEADER.unpack_from(data)
        header = {"version": 9, "domain": source, "uptime_ms": uptime, "unix_secs": secs, "exporter": exporter}
        self._sets(data, V9_HEADER.size, len(data), header, now, result, template_ids=(0,), options_ids=(1,))

    def _ipfix(self, data: bytes, exporter: str, now: float, result: DecodeResult) -> None:
        if len(data) < IPFIX_HEADER.size:
            raise DecodeError("truncated", f"IPFIX header needs 16 bytes, got {len(data)}")
        _, length, export_time, _, domain = IPFIX_HEADER.unpack_from(data)
        if length > len(data) or length < IPFIX_HEADER.size:
            raise DecodeError("truncated", f"IPFIX length field {length}, datagram {len(data)}")
        header = {"version": 10, "domain": domain, "unix_secs": export_time, "exporter": exporter}
        self._sets(data, IPFIX_HEADER.size, length, header, now, result, template_ids=(2,), options_ids=(3,))

    def _sets(self, data, offset, end, header, now, result, template_ids, options_ids) -> None:
        while offset + SET_HEADER.size <= end:
            set_id, length = SET_HEADER.unpack_from(data, offset)
            if length < SET_HEADER.size or offset + length > end:
                result.drop("truncated")  # the rest of the datagram cannot be framed
                return
            body = data[offset + SET_HEADER.size: offset + length]
            offset += length
            try:
                if set_id in template_ids:
                    result.templates += self._templates(body, header, now, False, result)
                elif set_id in options_ids:
                    result.templates += self._templates(body, header, now, True, result)
                elif set_id >= 256:
                    self._data(body, set_id, header, now, result)
                else:
                    result.drop("unknown_set")
            except (DecodeError, struct.error, IndexError) as exc:
                result.drop(getattr(exc, "reason", "malformed_set"))

    # -- templates ------------------------------------------------------------------------
    def _templates(self, body: bytes, header: Dict, now: float, options: bool, result: DecodeResult) -> int:
        """Store the templates of a set; decode data that was waiting for them into `result`."""
        pos, count, v9 = 0, 0, header["version"] == 9
        while pos + 4 <= len(body):
            if v9 and options:
                tid, scope_len, opt_len = struct.unpack_from("!HHH", body, pos)
                pos += 6
                n_fields = (scope_len + opt_len) // 4
            elif options:
                tid, n_fields, _ = struct.unpack_from("!HHH", body, pos)
                pos += 6
            else:
                tid, n_fields = struct.unpack_from("!HH", body, pos)
                pos += 4
            if tid < 256:
                break  # padding
            fields = []
            for _ in range(n_fields):
                if pos + 4 > len(body):
                    raise DecodeError("malformed_template", f"template {tid} runs past its set")
                ie, length = struct.unpack_from("!HH", body, pos)
                pos += 4
                enterprise = 0
                if not v9 and ie & 0x8000:
                    enterprise = struct.unpack_from("!I", body, pos)[0]
                    pos += 4
                    ie &= 0x7FFF
                fields.append((ie, length, enterprise))
            key = (header["exporter"], header["version"], header["domain"], tid)
            if not fields:  # IPFIX template withdrawal
                self.templates.pop(key, None)
                continue
            self.templates[key] = Template(fields, options, now)
            count += 1
            for waiting in self.pending.pop(key, []):
                self.pending_count -= 1
                self._data(waiting.data, tid, waiting.header, now, result)
        return count

    # -- data -----------------------------------------------------------------------------
    def _data(self, body: bytes, tid: int, header: Dict, now: float, result: DecodeResult) -> None:
        key = (header["exporter"], header["version"], header["domain"], tid)
        tpl = self.templates.get(key)
        if tpl is None:
            if self.pending_count >= self.pending_max:
                result.drop("pending_full")
                return
            self.pending.setdefault(key, []).append(Pending(body, header, now))
            self.pending_count += 1
            return
        tpl.seen = now
        if tpl.options:
            return  # options data (sampling rates, interface names) is not flow data
        pos, fixed = 0, tpl.fixed_length
        while pos < len(body):
            if fixed is not None and len(body) - pos < fixed:
                break  # padding (RFC 3954: up to 3 bytes; some exporters pad more)
            try:
                record, pos = self._record(body, pos, tpl)
            except (struct.error, IndexError, DecodeError):
                result.drop("malformed_record")
                return
            record.update(_header_fields(header))
            result.records.append(record)

    def _record(self, body: bytes, pos: int, tpl: Template) -> Tuple[Dict, int]:
        rec: Dict = {}
        for ie, length, enterprise in tpl.fields:
            if length == VARIABLE:
                length = body[pos]
                pos += 1
                if length == 255:
                    length = struct.unpack_from("!H", body, pos)[0]
                    pos += 2
            if pos + length > len(body):
                raise DecodeError("malformed_record", "field runs past the set")
            raw = body[pos:pos + length]
            pos += length
            name = FIELDS.get(ie)
            if enterprise or name is None:
                continue  # reverse (enterprise 29305) and unknown fields are not mixed in
            if name in ADDRESS_FIELDS:
                rec[name] = str(ipaddress.ip_address(raw)) if length in (4, 16) else ""
            else:
                rec[name] = int.from_bytes(raw, "big")
        return rec, pos


def _header_fields(header: Dict) -> Dict:
    out = {"_exporter": header["exporter"], "_version": header["version"], "_unix_secs": header["unix_secs"]}
    if "uptime_ms" in header:
        out["_uptime_ms"] = header["uptime_ms"]
    return out
