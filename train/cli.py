"""mf-train, mf-eval and mf-synth: thin click commands over mindflow_train."""
import os
import sys

import click

CONTEXT = {"help_option_names": ["-h", "--help"]}


def _fail(exc: Exception) -> "click.ClickException":
    return click.ClickException(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)


def _csv_ints(value: str):
    return [int(v) for v in value.split(",") if v.strip()]


@click.command(context_settings=CONTEXT)
@click.option("--data", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="NF-* CSV file(s), gzip or plain (repeat for several). Default: built-in SYNTHETIC data.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Run directory.")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its last epoch.")
@click.option("--feature-set", type=click.Choice(["v1", "v2", "v3", "exporter"]), default="v2", show_default=True)
@click.option("--task", type=click.Choice(["binary", "multiclass"]), default="binary", show_default=True)
@click.option("--window", type=int, default=10, show_default=True, help="Flows per window (T).")
@click.option("--stride", type=int, default=1, show_default=True)
@click.option("--window-key", type=click.Choice(["none", "src"]), default="none", show_default=True,
              help="none: file order (the paper); src: each source host's own sequence.")
@click.option("--epochs", type=int, default=20, show_default=True)
@click.option("--batch-size", type=int, default=256, show_default=True)
@click.option("--lr", type=float, default=1e-3, show_default=True)
@click.option("--patience", type=int, default=5, show_default=True, help="Early-stopping patience (epochs).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--max-rows", type=int, default=0, help="Use only the first N rows (smoke runs).")
@click.option("--synthetic-rows", type=int, default=60_000, show_default=True)
@click.option("--conv-channels", default="64", show_default=True, help="Comma list, one Conv1D layer each.")
@click.option("--lstm-hidden", type=int, default=64, show_default=True)
@click.option("--dense", type=int, default=64, show_default=True)
@click.option("--dropout", type=float, default=0.3, show_default=True)
def train_command(data, out_dir, resume, feature_set, task, window, stride, window_key, epochs, batch_size,
                  lr, patience, seed, max_rows, synthetic_rows, conv_channels, lstm_hidden, dense, dropout):
    """Train the CNN-BiLSTM on NF-* NetFlow data and write an evaluated run directory."""
    from .config import TrainConfig
    from .run import train_run
    if resume:
        cfg = TrainConfig.load(os.path.join(out_dir, "config.json"))
    else:
        cfg = TrainConfig(data=[os.path.abspath(d) for d in data], feature_set=feature_set, task=task,
                          window=window, stride=stride, window_key=window_key, epochs=epochs,
                          batch_size=batch_size, lr=lr, patience=patience, seed=seed, max_rows=max_rows,
                          synthetic_rows=synthetic_rows, conv_channels=_csv_ints(conv_channels),
                          lstm_hidden=lstm_hidden, dense=dense, dropout=dropout)
    try:
        metrics = train_run(cfg, out_dir, resume=resume, log=lambda m: click.echo(m, err=True))
    except (ValueError, OSError, RuntimeError) as exc:
        raise _fail(exc) from exc
    _summary(metrics, out_dir)


@click.command(context_settings=CONTEXT)
@click.option("--run", "run_dir", required=True, type=click.Path(exists=True, file_okay=False))
@click.option("--data", multiple=True, required=True, type=click.Path(exists=True, dir_okay=False),
              help="NF-* CSV file(s) to evaluate on (repeat for several).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Default: RUN/eval-<file>.")
def eval_command(run_dir, data, out_dir):
    """Evaluate a trained run on another NF-* file (cross-dataset check), with baselines."""
    from .run import eval_run
    try:
        metrics = eval_run(run_dir, [os.path.abspath(d) for d in data], out_dir,
                           log=lambda m: click.echo(m, err=True))
    except (ValueError, OSError, RuntimeError, KeyError) as exc:
        raise _fail(exc) from exc
    _summary(metrics, out_dir or "(see run directory)")


@click.command(context_settings=CONTEXT)
@click.option("--out", "path", required=True, type=click.Path(dir_okay=False), help="CSV path (.gz to gzip).")
@click.option("--rows", type=int, default=60_000, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
def synth_command(path, rows, seed):
    """Write the built-in SYNTHETIC NF-BoT-IoT-v2-schema dataset to a CSV file."""
    from .synthetic import write_csv
    write_csv(path, rows, seed)
    click.echo(f"wrote {rows:,} SYNTHETIC flows to {path}")


def _summary(metrics, out_dir) -> None:
    m, t, a = metrics["model"]["f1"], metrics["baseline_extra_trees"]["f1"], metrics["baseline_all_attack"]
    tag = " [SYNTHETIC data]" if metrics.get("synthetic") else ""
    click.echo(f"test{tag}: F1 {m['f1']:.4f}  MCC {m['mcc']:.4f}  balanced acc {m['balanced_accuracy']:.4f}  "
               f"benign recall {m['benign_recall']:.4f}  ROC-AUC {m['roc_auc']:.4f}")
    click.echo(f"  ExtraTrees: F1 {t['f1']:.4f}  MCC {t['mcc']:.4f}   all-attack: F1 {a['f1']:.4f}  "
               f"MCC {a['mcc']:.4f}")
    click.echo(f"report: {os.path.join(out_dir, 'report.md')}")
    sys.stdout.flush()
