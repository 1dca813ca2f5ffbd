"""Trained runs side by side: the last evaluation of each, and whether they were measured alike.

`python -m textgan.compare RUN [RUN ...]` (textgan/compare.py) prints one table row per run from the run
directories alone (config.yaml, metrics.jsonl, run_info.jsonl): model, data, seed, where training stood at
its last evaluation, the training time until then (as the loop measured it), and that evaluation's
metrics. A run's evaluation metrics are the keys of its first record in metrics.jsonl, which the loop
writes before any training step (so it holds no training losses).

A comparison is fair only when the runs were scored the same way. `differences` names every data or
evaluation setting that differs between runs (the data config, the data sizes each run recorded, the
number of samples, temperature, test-set size and seed of its evaluations), and the CLI prints them under
the table: a BLEU on 2,000 samples is not silently read against one on 10,000. Re-score runs under one
protocol with `python -m textgan.evaluate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textgan.config import flatten, within
from textgan.data.sources import DATA_SETS
from textgan.errors import UserError
from textgan.registry import model_label
from textgan.runs import RunDir, load_run_config

BOOKKEEPING = ("phase", "iteration", "step", "elapsed_s", "eval_s", "restored_from_step")
# recorded data facts that name where the files were, not what they hold
PLACES = ("train_file", "test_file")


@dataclass
class RunSummary:
    path: Path
    model: str
    data: str
    seed: int
    records: list[dict[str, Any]]       # every evaluation, in order (metrics.jsonl)
    metric_names: list[str]             # the evaluation metrics, in the order the run logs them
    schedule: dict[str, int]            # phase name -> its iterations (run_info.jsonl), {} if unrecorded
    protocol: dict[str, Any]            # the settings a fair comparison needs to share

    @property
    def last(self) -> dict[str, Any]:
        return self.records[-1]

    def progress(self) -> str:
        """Where training stood at the last evaluation, e.g. 'adversarial 20/20'. A run that ended by loading
        a phase's best weights back (train.restore_best) logged that evaluation again as its last record: it
        reads 'mle 20/20, step 7 restored' (the phase ran to the end of the evaluation before)."""
        restored = self.last.get("restored_from_step")
        shown = self.records[-2] if restored is not None and len(self.records) > 1 else self.last
        phase, iteration = shown.get("phase", "?"), shown.get("iteration", "?")
        total = self.schedule.get(phase)
        where = f"{phase} {iteration}/{total}" if total is not None else f"{phase} {iteration}"
        return where + (f", step {restored} restored" if restored is not None else "")

    def training_seconds(self) -> float:
        """Training time until the last evaluation, as the loop measured it (evaluations excluded). The most
        any record holds: a restored record repeats the earlier best evaluation's time, not the phase's."""
        return max(float(r.get("elapsed_s", 0.0)) for r in self.records)


def summarize(run_dir: str | Path) -> RunSummary:
    """Read one run directory (a one-line UserError if it is not a run, or has no evaluation yet)."""
    if not isinstance(run_dir, (str, Path)):
        raise TypeError(f"summarize takes a run directory path, got {type(run_dir).__name__}")
    path = Path(run_dir)
    spec, cfg = load_run_config(path)
    run = RunDir(path)
    records = run.read_metrics()
    if not records:
        raise UserError(f"run '{path}' has no evaluation yet (metrics.jsonl is empty); train it first")
    infos = run.read_run_info()
    latest = infos[-1] if infos else {}
    schedule = {p["name"]: p["iterations"] for p in latest.get("phases", [])}
    # a data section named after a data set (data.oracle) configures that set only: other runs ignore it
    unused = [f"{name}." for name in DATA_SETS if name != cfg.data.name]
    protocol = {f"data.{k}": v for k, v in flatten(cfg.data).items() if not k.startswith(tuple(unused))}
    protocol |= {f"eval.{k}": v for k, v in flatten(cfg.eval).items()}
    # keys the model never reads (e.g. a continuous GAN's data.max_len) would be compared as if they mattered
    protocol = {k: v for k, v in protocol.items() if not within(k, spec.unread_keys)}
    recorded = latest.get("data") or {}
    protocol |= {f"recorded data: {k}": v for k, v in recorded.items() if k not in PLACES}
    metric_names = [k for k in records[0] if k not in BOOKKEEPING]
    # LSTM and Transformer runs of one model, or two variants of it, are told apart by name
    name = model_label(spec, flatten(cfg))
    return RunSummary(path, name, str(cfg.data.name), cfg.seed, records, metric_names, schedule, protocol)


NOT_USED = "(not used)"


def differences(runs: list[RunSummary]) -> dict[str, list[Any]]:
    """Setting -> each run's value, for every data / evaluation setting on which the runs disagree.

    A setting only some runs have (the oracle's, beside a run on text) is compared among those runs; the
    others show `NOT_USED` (that their data differ is itself listed, under data.name).
    """
    runs = list(runs)  # a generator expression would be used up by the first pass
    if not all(isinstance(r, RunSummary) for r in runs):
        raise TypeError("differences takes summaries of runs: differences([summarize(d) for d in run_dirs])")
    keys = dict.fromkeys(k for r in runs for k in r.protocol)
    out = {}
    for key in keys:
        present = [r.protocol[key] for r in runs if key in r.protocol]
        if len(present) > 1 and any(v != present[0] for v in present[1:]):
            out[key] = [r.protocol.get(key, NOT_USED) for r in runs]
    return out


def shared_metrics(runs: list[RunSummary]) -> list[str]:
    """The evaluation metrics every run measured, in the first run's order."""
    return [m for m in runs[0].metric_names if all(m in r.metric_names for r in runs[1:])]


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return "—" if value is None else str(value)


def seconds(value: float) -> str:
    """Whole seconds, with a decimal below 10 s (a tiny run's 0.4 s is not 0)."""
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def table(runs: list[RunSummary], metrics: list[str]) -> list[str]:
    """A Markdown table: one row per run, its last evaluation's `metrics` (— where a run lacks one)."""
    head = ["run", "model", "data", "seed", "last evaluation", "training s", *metrics]
    # training time as the loop measured it (evaluations excluded), the compute each number cost
    rows = [[str(r.path), r.model, r.data, str(r.seed), r.progress(), seconds(r.training_seconds()),
             *(_cell(r.last.get(m)) for m in metrics)] for r in runs]
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + ["| " + " | ".join(row) + " |" for row in rows]


def plot_curves(runs: list[RunSummary], metric: str, out: Path) -> list[RunSummary]:
    """A PNG of `metric` at every evaluation of every run, against the training step (all phases counted),
    with a dotted line where each run's phase changes; returns the runs left out (no `metric` recorded)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # no pyplot: no global backend is changed
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.2))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    left_out = []
    for r in runs:
        points = [(rec["step"], rec[metric]) for rec in r.records if isinstance(rec.get(metric), (int, float))]
        if not points:
            left_out.append(r)
            continue
        (line,) = ax.plot(*zip(*points), marker="o", markersize=3, label=f"{r.path.name} ({r.model})")
        for before, after in zip(r.records, r.records[1:]):
            if before.get("phase") != after.get("phase"):
                ax.axvline(before["step"], color=line.get_color(), linestyle=":", linewidth=0.8)
    ax.set_xlabel("training step (epochs / rounds, all phases)")
    ax.set_ylabel(metric)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120, bbox_inches="tight")
    return left_out
