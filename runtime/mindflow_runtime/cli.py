"""mf-score and mf-serve: thin click commands over the gateway runtime."""
import json
import sys

import click

from .bundle import BundleError
from .records import RecordError
from .spec import SpecError

CONTEXT = {"help_option_names": ["-h", "--help"]}
ENGINE_CHOICE = click.Choice(["onnx", "lite"])


def _open(bundle_dir: str, engine: str, threads: int):
    from .bundle import load_bundle
    try:
        bundle = load_bundle(bundle_dir)
        return bundle, bundle.engine(engine, threads)
    except ImportError as exc:
        raise click.ClickException(f"engine {engine}: {exc} (install mindflow-runtime[{engine}])") from exc
    except (BundleError, SpecError) as exc:
        raise click.ClickException(str(exc)) from exc


@click.command(context_settings=CONTEXT)
@click.option("--bundle", "bundle_dir", required=True, type=click.Path(exists=True, file_okay=False),
              help="Bundle directory written by mf-export.")
@click.option("--input", "input_path", required=True,
              help="Flows: NF-* CSV[.gz] or JSON lines (.jsonl[.gz]); '-' reads JSON lines from stdin.")
@click.option("--output", "output_path", required=True,
              help="Scores: CSV, or JSON lines when it ends in .jsonl; '-' writes JSON lines to stdout.")
@click.option("--engine", type=ENGINE_CHOICE, default="onnx", show_default=True)
@click.option("--threads", type=int, default=1, show_default=True, help="Engine threads.")
@click.option("--window-key", type=click.Choice(["none", "src"]), default=None,
              help="Override the bundle's window key (default: the key the model was trained with).")
@click.option("--summary", "summary_path", type=click.Path(dir_okay=False), help="Write the run summary as JSON.")
def score_command(bundle_dir, input_path, output_path, engine, threads, window_key, summary_path):
    """Score a flow file with a bundle: one output row per input row, in input order."""
    from .score_file import score_file
    bundle, eng = _open(bundle_dir, engine, threads)
    try:
        s = score_file(bundle, eng, input_path, output_path, window_key, progress=True)
    except (RecordError, OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(str(exc).splitlines()[0]) from exc
    if summary_path:
        with open(summary_path, "w") as fh:
            json.dump({**s.to_dict(), "engine": engine, "threads": threads, "bundle": bundle_dir,
                       "python": sys.version.split()[0]}, fh, indent=1)
    click.echo(f"{s.rows:,} rows: {s.scored:,} scored, {s.attacks:,} flagged as attack, {s.malformed:,} malformed "
               f"({s.seconds:.2f} s, {s.scored / max(s.seconds, 1e-9):,.0f} flows/s, engine {engine})", err=True)
    for line in s.malformed_lines[:10]:
        click.echo(f"  malformed {line}", err=True)
    if s.bad_values:
        click.echo(f"  repaired values: {json.dumps(s.bad_values)}", err=True)
    if output_path != "-":
        click.echo(f"scores written to {output_path}", err=True)


@click.command(context_settings=CONTEXT)
@click.option("--bundle", "bundle_dir", type=click.Path(file_okay=False), help="Bundle directory.")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False),
              help="JSON config file; flags override its keys.")
@click.option("--netflow", "netflow_listen", help="Listen for NetFlow v9/IPFIX on HOST:PORT (UDP).")
@click.option("--jsonl-tcp", "jsonl_listen", help="Listen for JSON-lines flows on HOST:PORT (TCP).")
@click.option("--stdin", "use_stdin", is_flag=True, default=None, help="Read JSON-lines flows from stdin.")
@click.option("--alerts", "alerts_path", help="Alert file (JSON lines, rotated by size).")
@click.option("--stdout-alerts", is_flag=True, default=None, help="Also print alerts to stdout.")
@click.option("--metrics", "metrics_listen", help="HTTP /metrics and /healthz on HOST:PORT (default 127.0.0.1:9108).")
@click.option("--engine", type=ENGINE_CHOICE, default=None, help="Inference engine (default onnx).")
@click.option("--window-key", type=click.Choice(["none", "src"]), default=None,
              help="Window key (default: the key the bundle was trained with).")
@click.option("--log-level", default=None, help="DEBUG, INFO, WARNING (default INFO).")
def serve_command(bundle_dir, config_path, **flags):
    """Run the on-gateway scoring daemon (NetFlow v9/IPFIX, JSON lines) until SIGTERM."""
    from .serve.config import ServeConfig
    from .serve.daemon import run_daemon
    try:
        cfg = ServeConfig.build(config_path, bundle=bundle_dir, **flags)
    except (ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        run_daemon(cfg)
    except (BundleError, SpecError, OSError, ValueError) as exc:
        raise click.ClickException(str(exc).splitlines()[0]) from exc
