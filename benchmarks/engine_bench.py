"""Measure one inference engine on one bundle, in a fresh process (so memory is its own).

    python benchmarks/engine_bench.py --bundle DIR --engine onnx|lite|mindspore [--repeats 30]

Prints one JSON object: load time, RSS after import and after load, and per batch size
the median / p90 latency over `repeats` timed calls after `warmup` untimed ones.
Runs under Python 3.7 (lite) and 3.11 (onnx, mindspore); imports only what it needs.
"""
import argparse
import json
import os
import resource
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def rss_mb() -> float:
    """Current resident set size, MiB (Linux /proc)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def open_engine(bundle_dir: str, engine: str, threads: int):
    from mindflow_runtime.bundle import load_bundle
    bundle = load_bundle(bundle_dir)
    if engine == "mindspore":
        from mindflow_export.mindspore_engine import MindSporeEngine
        return bundle, MindSporeEngine(bundle.model_paths("mindir")[0])
    return bundle, bundle.engine(engine, threads)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--engine", required=True, choices=["onnx", "lite", "mindspore"])
    ap.add_argument("--batches", default="1,32,256")
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    rss0 = rss_mb()
    t0 = time.perf_counter()
    bundle, eng = open_engine(args.bundle, args.engine, args.threads)
    load_s = time.perf_counter() - t0
    rss_loaded = rss_mb()
    spec = bundle.spec
    rng = np.random.default_rng(0)
    shape = (spec.window_length, len(spec.preprocessing["output_names"]))
    result = {"engine": args.engine, "python": sys.version.split()[0], "threads": args.threads,
              "load_seconds": round(load_s, 3), "rss_start_mb": round(rss0, 1),
              "rss_loaded_mb": round(rss_loaded, 1), "batches": {}}
    for b in [int(v) for v in args.batches.split(",")]:
        x = rng.normal(size=(b,) + shape).astype(np.float32)
        for _ in range(args.warmup):
            eng.run(x)
        times = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            eng.run(x)
            times.append(time.perf_counter() - t)
        med = float(np.median(times))
        p90 = float(np.quantile(times, 0.9))
        result["batches"][str(b)] = {"median_ms": round(med * 1e3, 4), "p90_ms": round(p90 * 1e3, 4),
                                     "windows_per_s": round(b / med, 1)}
    result["rss_peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
