"""Benchmark every backend on the same bundle: engine latency/throughput/memory, mf-score
and mf-serve throughput. Each measurement runs in a fresh process, after warm-up, repeated;
medians and ratios go to JSON, a Markdown table and a plot.

    .venv/bin/python benchmarks/run.py --bundle runs/demo/bundle --out runs/demo/bench [--quick]
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
PY311 = os.path.join(REPO, ".venv", "bin", "python")
PY37 = os.path.join(REPO, ".venv-lite", "bin", "python")
BACKENDS = [("onnxruntime 1.32 / py3.11", PY311, "onnx"), ("onnxruntime 1.14 / py3.7", PY37, "onnx"),
            ("MindSpore Lite 2.0 / py3.7", PY37, "lite"), ("MindSpore 2.10 MINDIR / py3.11", PY311, "mindspore")]


def engine_runs(bundle: str, repeats: int, threads: int) -> List[Dict]:
    out = []
    for label, py, engine in BACKENDS:
        if not os.path.exists(py):
            print(f"skip {label}: {py} missing (make setup)", file=sys.stderr)
            continue
        proc = subprocess.run([py, os.path.join(HERE, "engine_bench.py"), "--bundle", bundle, "--engine", engine,
                               "--repeats", str(repeats), "--threads", str(threads)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"{label} failed: {proc.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
            continue
        res = json.loads(proc.stdout.strip().splitlines()[-1])
        res["backend"] = label
        out.append(res)
        print(f"{label}: batch 256 median {res['batches']['256']['median_ms']} ms, RSS {res['rss_loaded_mb']} MiB",
              file=sys.stderr)
    return out


def score_runs(bundle: str, flows_csv: str, runs: int) -> List[Dict]:
    """mf-score over a whole file, `runs` times per backend (first run discarded as warm-up)."""
    out = []
    for label, py, engine in BACKENDS[:3]:
        score = os.path.join(os.path.dirname(py), "mf-score")
        if not os.path.exists(score):
            continue
        rates = []
        for i in range(runs + 1):
            with tempfile.TemporaryDirectory() as tmp:
                summary = os.path.join(tmp, "s.json")
                subprocess.run([score, "--bundle", bundle, "--input", flows_csv, "--output",
                                os.path.join(tmp, "o.csv"), "--engine", engine, "--summary", summary],
                               check=True, capture_output=True)
                s = json.load(open(summary))
            if i:
                rates.append(s["flows_per_second"])
        out.append({"backend": label, "engine": engine, "rows": s["rows"],
                    "flows_per_s_median": round(statistics.median(rates), 1), "runs": rates})
        print(f"mf-score {label}: {statistics.median(rates):,.0f} flows/s", file=sys.stderr)
    return out


def serve_run(bundle: str, flows_jsonl: str, python: str, engine: str, n: int) -> Dict:
    """mf-serve fed JSON lines over TCP: flows/s from first byte to last scored, and its RSS."""
    import socket
    import urllib.request
    serve = os.path.join(os.path.dirname(python), "mf-serve")

    def port():
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]
    mport, tport = port(), port()
    with tempfile.TemporaryDirectory() as tmp:
        cfg = os.path.join(tmp, "c.json")
        json.dump({"bundle": bundle, "engine": engine, "jsonl_listen": f"127.0.0.1:{tport}",
                   "metrics_listen": f"127.0.0.1:{mport}", "alerts_path": os.path.join(tmp, "a.jsonl"),
                   "queue_size": n + 10}, open(cfg, "w"))
        proc = subprocess.Popen([serve, "--config", cfg], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            def scored():
                text = urllib.request.urlopen(f"http://127.0.0.1:{mport}/metrics", timeout=5).read().decode()
                return float(next((ln.split()[-1] for ln in text.splitlines()
                                   if ln.startswith("mf_flows_scored_total")), 0))
            deadline = time.time() + 60
            while time.time() < deadline:
                try:
                    scored()
                    break
                except OSError:
                    time.sleep(0.2)
            payload = open(flows_jsonl, "rb").read()
            t0 = time.perf_counter()
            with socket.create_connection(("127.0.0.1", tport)) as s:
                s.sendall(payload)
            while scored() < n and time.perf_counter() - t0 < 300:
                time.sleep(0.05)
            seconds = time.perf_counter() - t0
            rss = 0.0
            with open(f"/proc/{proc.pid}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        rss = int(line.split()[1]) / 1024.0
            return {"engine": engine, "python": python, "flows": n, "seconds": round(seconds, 3),
                    "flows_per_s": round(n / seconds, 1), "rss_mb": round(rss, 1)}
        finally:
            proc.terminate()
            proc.wait(timeout=60)


def write_outputs(out_dir: str, results: Dict) -> None:
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "bench.json"), "w") as fh:
        json.dump(results, fh, indent=1)
    eng = results["engines"]
    base = next((e for e in eng if e["backend"].startswith("onnxruntime 1.32")), eng[0] if eng else None)
    lines = [f"# MindFlow inference benchmark — {results['bundle']}", "",
             f"{results['machine']}; engine threads {results['threads']}; {results['repeats']} timed calls after "
             "5 warm-up calls; medians (p90 in brackets); each backend in a fresh process.", "",
             "| backend | batch 1 ms | batch 32 ms | batch 256 ms | windows/s @256 | vs onnxruntime 3.11 @256 "
             "| load s | RSS loaded MiB |", "|---|---|---|---|---|---|---|---|"]
    for e in eng:
        b = e["batches"]
        ratio = b["256"]["median_ms"] / base["batches"]["256"]["median_ms"] if base else float("nan")
        lines.append(f"| {e['backend']} | {b['1']['median_ms']:.3f} ({b['1']['p90_ms']:.3f}) | "
                     f"{b['32']['median_ms']:.3f} ({b['32']['p90_ms']:.3f}) | {b['256']['median_ms']:.3f} "
                     f"({b['256']['p90_ms']:.3f}) | {b['256']['windows_per_s']:,.0f} | {ratio:.2f}x | "
                     f"{e['load_seconds']} | {e['rss_loaded_mb']} |")
    if results.get("mf_score"):
        lines += ["", f"## mf-score over a {results['mf_score'][0]['rows']:,}-row file (median of runs after one "
                  "warm-up run)", "", "| backend | flows/s |", "|---|---|"]
        lines += [f"| {s['backend']} | {s['flows_per_s_median']:,.0f} |" for s in results["mf_score"]]
    if results.get("mf_serve"):
        lines += ["", "## mf-serve, JSON lines over TCP on loopback", "",
                  "| engine | python | flows | flows/s | daemon RSS MiB |", "|---|---|---|---|---|"]
        lines += [f"| {s['engine']} | {s['python_version']} | {s['flows']:,} | {s['flows_per_s']:,.0f} | "
                  f"{s['rss_mb']} |" for s in results["mf_serve"]]
    with open(os.path.join(out_dir, "bench.md"), "w") as fh:
        fh.write("\n".join(lines) + "\n")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(6, 4))
        for e in eng:
            bs = sorted(int(k) for k in e["batches"])
            ax.plot(bs, [e["batches"][str(b)]["median_ms"] / b * 1000 for b in bs], "o-", label=e["backend"])
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("batch size (windows)")
        ax.set_ylabel("median latency per window (µs)")
        ax.set_title("Inference cost per window, same bundle", fontsize=9)
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(os.path.join(out_dir, "latency.png"), dpi=120)
        plt.close(fig)
    except ImportError:
        pass


def main() -> None:
    ap = argparse.ArgumentParser(description="Benchmark every inference backend on one bundle.")
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--flows", help="NF CSV for mf-score (default: 50,000 SYNTHETIC rows)")
    ap.add_argument("--quick", action="store_true", help="fewer repeats and rows (the demo's setting)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    repeats = 10 if args.quick else 50
    rows = 10_000 if args.quick else 50_000
    with tempfile.TemporaryDirectory() as tmp:
        flows = args.flows
        if not flows:
            from mindflow_train.synthetic import generate_frame
            df = generate_frame(rows, seed=11)
            flows = os.path.join(tmp, "flows.csv")
            df.to_csv(flows, index=False)
            jsonl = os.path.join(tmp, "flows.jsonl")
            df.to_json(jsonl, orient="records", lines=True)
        results = {"bundle": args.bundle, "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                   "threads": args.threads, "repeats": repeats,
                   "engines": engine_runs(args.bundle, repeats, args.threads),
                   "mf_score": score_runs(args.bundle, flows, 1 if args.quick else 3), "mf_serve": []}
        if not args.flows:
            for py, engine in ((PY311, "onnx"), (PY37, "onnx"), (PY37, "lite")):
                if os.path.exists(py):
                    r = serve_run(args.bundle, jsonl, py, engine, rows)
                    r["python_version"] = "3.11" if py == PY311 else "3.7"
                    results["mf_serve"].append(r)
                    print(f"mf-serve {engine} py{r['python_version']}: {r['flows_per_s']:,.0f} flows/s, "
                          f"RSS {r['rss_mb']} MiB", file=sys.stderr)
    write_outputs(args.out, results)
    print(open(os.path.join(args.out, "bench.md")).read())


if __name__ == "__main__":
    main()
