"""Stitching unidirectional records into NF-style bidirectional flows."""
from mindflow_runtime.serve.stitcher import Stitcher


def rec(src, sport, dst, dport, nbytes, pkts, first, last, proto=6, flags=2, **kw):
    return {"IPV4_SRC_ADDR": src, "L4_SRC_PORT": sport, "IPV4_DST_ADDR": dst, "L4_DST_PORT": dport,
            "PROTOCOL": proto, "IN_BYTES": nbytes, "IN_PKTS": pkts, "TCP_FLAGS": flags,
            "FIRST_SWITCHED": first, "LAST_SWITCHED": last, **kw}


def test_two_directions_make_one_flow_with_initiator_first():
    s = Stitcher()
    # the server's record arrives first (softflowd does this); the client started earlier
    assert s.add(rec("10.0.0.2", 80, "10.0.0.1", 40000, 9000, 8, 1010, 1900, flags=0x12), now=0) == []
    flows = s.add(rec("10.0.0.1", 40000, "10.0.0.2", 80, 600, 6, 1000, 2000, flags=0x18), now=0.1)
    assert len(flows) == 1 and len(s) == 0
    f = flows[0]
    assert (f["IPV4_SRC_ADDR"], f["L4_SRC_PORT"], f["L4_DST_PORT"]) == ("10.0.0.1", 40000, 80)
    assert (f["IN_BYTES"], f["IN_PKTS"], f["OUT_BYTES"], f["OUT_PKTS"]) == (600, 6, 9000, 8)
    assert f["TCP_FLAGS"] == 0x12 | 0x18 and f["FLOW_DURATION_MILLISECONDS"] == 1000


def test_idle_timeout_emits_one_way_flow():
    s = Stitcher(idle_timeout=5, active_timeout=60)
    s.add(rec("10.0.0.1", 5353, "224.0.0.251", 5353, 300, 3, 0, 10, proto=17, flags=0), now=0)
    assert s.expire(now=4.9) == []
    flows = s.expire(now=5.0)
    assert len(flows) == 1 and flows[0]["OUT_PKTS"] == 0 and s.counts["idle"] == 1


def test_active_timeout_and_same_direction_aggregation():
    s = Stitcher(idle_timeout=5, active_timeout=10)
    for t in range(0, 12, 2):
        s.add(rec("10.0.0.1", 1, "10.0.0.2", 2, 100, 1, t * 1000, t * 1000 + 500), now=t)
    flows = s.expire(now=12)
    assert len(flows) == 1 and flows[0]["IN_BYTES"] == 600 and s.counts["active"] == 1
    assert flows[0]["FLOW_DURATION_MILLISECONDS"] == 10_500


def test_duration_survives_uptime_wrap():
    s = Stitcher()
    s.add(rec("10.0.0.1", 1, "10.0.0.2", 2, 1, 1, 2**32 - 100, 50), now=0)
    assert s.drain()[0]["FLOW_DURATION_MILLISECONDS"] == 150


def test_cap_emits_oldest_and_icmp_pairs_on_addresses():
    s = Stitcher(max_held=2)
    s.add(rec("10.0.0.1", 0, "10.0.0.2", 2048, 84, 1, 0, 0, proto=1), now=0)   # echo request
    s.add(rec("10.0.0.5", 1, "10.0.0.6", 2, 1, 1, 0, 0), now=1)
    out = s.add(rec("10.0.0.7", 1, "10.0.0.8", 2, 1, 1, 0, 0), now=2)
    assert len(out) == 1 and out[0]["PROTOCOL"] == 1 and out[0]["ICMP_TYPE"] == 2048 and s.counts["cap"] == 1
    s2 = Stitcher()
    s2.add(rec("10.0.0.1", 0, "10.0.0.2", 2048, 84, 1, 0, 5, proto=1), now=0)
    flows = s2.add(rec("10.0.0.2", 0, "10.0.0.1", 0, 84, 1, 1, 6, proto=1), now=0)
    assert len(flows) == 1 and flows[0]["OUT_PKTS"] == 1


def test_record_without_addresses_is_counted_invalid():
    s = Stitcher()
    assert s.add({"PROTOCOL": 6}, now=0) == [] and s.counts["invalid"] == 1
