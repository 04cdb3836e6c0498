"""mf-export: a training run to a verified bundle."""
import os

import click

CONTEXT = {"help_option_names": ["-h", "--help"]}


@click.command(context_settings=CONTEXT)
@click.option("--run", "run_dir", required=True, type=click.Path(exists=True, file_okay=False),
              help="Run directory written by mf-train.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Bundle directory.")
@click.option("--formats", default="mindir,onnx,lite", show_default=True,
              help="Comma list of model formats (onnx is required).")
@click.option("--lite-python", default="", help="Python 3.7 with mindspore-lite 2.0 (default: .venv-lite).")
@click.option("--force", is_flag=True, help="Replace an existing bundle directory.")
def export_command(run_dir, out_dir, formats, lite_python, force):
    """Export a trained run as MINDIR, ONNX and MindSpore Lite models with spec and manifest."""
    from .writer import ExportError, bundle_sizes, export_bundle
    if not os.path.exists(os.path.join(run_dir, "checkpoint.ckpt")):
        raise click.ClickException(f"{run_dir}: no checkpoint.ckpt (not a finished mf-train run)")
    try:
        export_bundle(run_dir, out_dir, [f.strip() for f in formats.split(",") if f.strip()], lite_python,
                      force, log=lambda m: click.echo(m, err=True))
    except (ExportError, OSError, ValueError) as exc:
        raise click.ClickException(str(exc).splitlines()[0]) from exc
    for line in bundle_sizes(out_dir):
        click.echo(f"  {line}")
