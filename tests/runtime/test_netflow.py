"""NetFlow v9 / IPFIX decoding: templates per exporter and domain, order, expiry, bad input."""
import socket
import struct

import pytest
from mindflow_runtime.serve.netflow import DecodeError, Decoder

FIELDS = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (1, 4), (2, 4), (6, 1), (22, 4), (21, 4)]


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def v9(source_id, *flowsets, count=1):
    body = b"".join(flowsets)
    return struct.pack("!HHIIII", 9, count, 5000, 1700000000, 1, source_id) + body


def flowset(set_id, payload, pad_to=4):
    pad = (-(len(payload) + 4)) % pad_to
    payload += b"\0" * pad
    return struct.pack("!HH", set_id, len(payload) + 4) + payload


def template(tid, fields):
    return struct.pack("!HH", tid, len(fields)) + b"".join(struct.pack("!HH", i, n) for i, n in fields)


def record(src="10.0.0.1", dst="10.0.0.2", sport=1234, dport=80, proto=6, nbytes=500, pkts=5, flags=2,
           first=100, last=350):
    return (socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!HHBIIBII", sport, dport, proto, nbytes,
                                                                        pkts, flags, first, last))


def test_template_then_data():
    d = Decoder()
    r = d.decode(v9(1, flowset(0, template(256, FIELDS)), flowset(256, record() + record(nbytes=9))), "192.0.2.1")
    assert r.templates == 1 and len(r.records) == 2
    rec = r.records[0]
    assert rec["IPV4_SRC_ADDR"] == "10.0.0.1" and rec["L4_DST_PORT"] == 80 and rec["IN_BYTES"] == 500
    assert rec["FIRST_SWITCHED"] == 100 and rec["LAST_SWITCHED"] == 350 and rec["_exporter"] == "192.0.2.1"
    assert r.records[1]["IN_BYTES"] == 9


def test_data_before_template_waits_then_decodes():
    d = Decoder()
    r1 = d.decode(v9(1, flowset(256, record())), "192.0.2.1")
    assert r1.records == [] and d.pending_count == 1
    r2 = d.decode(v9(1, flowset(0, template(256, FIELDS))), "192.0.2.1")
    assert len(r2.records) == 1 and d.pending_count == 0


def test_two_exporters_same_template_id_do_not_mix():
    d = Decoder()
    short = [(8, 4), (12, 4), (4, 1), (1, 4), (2, 4)]
    d.decode(v9(1, flowset(0, template(256, FIELDS))), "192.0.2.1")
    d.decode(v9(1, flowset(0, template(256, short))), "192.0.2.2")
    a = d.decode(v9(1, flowset(256, record(nbytes=111))), "192.0.2.1").records
    payload = socket.inet_aton("10.9.9.9") + socket.inet_aton("10.8.8.8") + struct.pack("!BII", 17, 222, 2)
    b = d.decode(v9(1, flowset(256, payload)), "192.0.2.2").records
    assert a[0]["IN_BYTES"] == 111 and a[0]["L4_DST_PORT"] == 80
    assert b[0]["IN_BYTES"] == 222 and b[0]["PROTOCOL"] == 17 and "L4_DST_PORT" not in b[0]


def test_observation_domain_is_part_of_the_key():
    d = Decoder()
    d.decode(v9(1, flowset(0, template(256, FIELDS))), "192.0.2.1")
    r = d.decode(v9(2, flowset(256, record())), "192.0.2.1")
    assert r.records == [] and d.pending_count == 1


def test_template_expiry_and_pending_timeout_with_injected_clock():
    clock = Clock()
    d = Decoder(template_ttl=60, pending_ttl=10, clock=clock)
    d.decode(v9(1, flowset(0, template(256, FIELDS))), "192.0.2.1")
    clock.t += 61
    assert d.expire()["template_expired"] == 1
    d.decode(v9(1, flowset(256, record())), "192.0.2.1")
    assert d.pending_count == 1
    clock.t += 11
    assert d.expire()["no_template"] == 1 and d.pending_count == 0


def test_pending_buffer_is_bounded():
    d = Decoder(pending_max=2)
    for _ in range(3):
        r = d.decode(v9(1, flowset(256, record())), "192.0.2.1")
    assert d.pending_count == 2 and r.dropped == {"pending_full": 1}


@pytest.mark.parametrize("data,reason", [(b"\x00", "truncated"), (b"\x00\x09\x00", "truncated"),
                                         (struct.pack("!HH", 5, 1) + b"\0" * 20, "bad_version"),
                                         (b"\x00\x09" + b"\0" * 10, "truncated")])
def test_garbage_datagrams_raise_typed_errors(data, reason):
    with pytest.raises(DecodeError) as err:
        Decoder().decode(data, "192.0.2.9")
    assert err.value.reason == reason


def test_truncated_flowset_is_counted_not_raised():
    d = Decoder()
    d.decode(v9(1, flowset(0, template(256, FIELDS))), "192.0.2.1")
    data = v9(1, flowset(256, record()))
    r = d.decode(data[:-10], "192.0.2.1")  # flowset length now runs past the datagram
    assert r.records == [] and r.dropped == {"truncated": 1}


def test_flowset_padding_not_multiple_of_four():
    """netflow 0.12.2 raises struct.error here; padding of any size is skipped."""
    d = Decoder()
    d.decode(v9(1, flowset(0, template(256, FIELDS))), "192.0.2.1")
    payload = record() + b"\0\0\0\0\0"  # 5 padding bytes: set length 39 + 4
    data = v9(1, struct.pack("!HH", 256, len(payload) + 4) + payload)
    assert len(d.decode(data, "192.0.2.1").records) == 1


def test_ipfix_enterprise_reverse_fields_are_not_mixed_in_and_varlen_works():
    d = Decoder()
    fields = struct.pack("!HH", 8, 4) + struct.pack("!HH", 1, 4) + struct.pack("!HHI", 0x8000 | 1, 4, 29305) \
        + struct.pack("!HH", 82, 65535)  # interfaceName, variable length
    tset = struct.pack("!HH", 2, 4 + 4 + len(fields)) + struct.pack("!HH", 300, 4) + fields
    data_rec = socket.inet_aton("10.1.1.1") + struct.pack("!II", 77, 99999) + b"\x03eth"
    dset = struct.pack("!HH", 300, 4 + len(data_rec)) + data_rec
    body = tset + dset
    msg = struct.pack("!HHIII", 10, 16 + len(body), 1700000000, 1, 42) + body
    r = d.decode(msg, "192.0.2.5")
    assert len(r.records) == 1
    assert r.records[0]["IN_BYTES"] == 77 and r.records[0]["IPV4_SRC_ADDR"] == "10.1.1.1"
