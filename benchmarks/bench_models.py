"""Speed table of every text model: seconds per MLE epoch, per adversarial round, per evaluation, and
sampling tokens per second, each model at its standard CPU-protocol shapes, measured in one run.

Run by hand (not in CI):

    python benchmarks/bench_models.py [--models mle,seqgan,seqgan+transformer,...] [--threads 1]
        [--data-dir DIR] [--config-dir configs] [--out benchmarks/results] [--workdir benchmarks/runs/model_speed]

For each model it runs the real CLIs in subprocesses: `python -m textgan.train --model M --config
<config-dir>/M.yaml` with only the budgets shrunk to one iteration per phase (MLE epochs, pretraining
rounds, D-pretraining rounds / steps, adversarial rounds / steps) and an evaluation after each, then
`python -m textgan.sample --num 10000` on the run. Batch sizes, vocabularies, lengths and network sizes are
the protocol's. Per-phase seconds are differences of `elapsed_s` in the run's metrics.jsonl (the loop's
cumulative training time, evaluation excluded); per-evaluation seconds are its `eval_s`.

Model entries: a registry name (`seqgan`), `NAME[VALUE]` to set the model's variant key (the registry's
`variant_keys`, the labels the result tables use: `maligan[mixed]` is `maligan.reward=mixed`),
`NAME+transformer` for the Transformer generator (`generator.kind=transformer`, sized as
configs/transformer/), and an optional `@DATA` to change the data set (`maskgan@coco`). Default: every text
model of the registry, MaliGAN-full (`maligan[mixed]`), and mle, seqgan and relgan with the Transformer
generator. Writes model_speed.json (raw numbers) and model_speed.md (the table) to --out.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.harness import flatten  # noqa: E402
from benchmarks.machine import cpu_summary, hardware, repo_path  # noqa: E402
from textgan.runs import RunDir  # noqa: E402

TRANSFORMER_VARIANTS = ("mle", "seqgan", "relgan")
# settings of one model benchmarked as rows of their own, each after its model's default row
SETTING_VARIANTS = ("maligan[mixed]",)
# Budget keys set to 1 when a model's config has them: one iteration of every phase (see each algorithm's
# phases(): mle / pretrain / pretrain_d / adversarial, counted in epochs, rounds or steps).
BUDGET_KEYS = ("mle.epochs", "pretrain.rounds", "adversarial.pretrain_d_rounds",
               "adversarial.pretrain_d_steps", "adversarial.rounds", "adversarial.steps")
NUM_SAMPLES = 10_000
PARAMS_RE = re.compile(r"\(([\d,]+) generator parameters\)")


# -- the model list ------------------------------------------------------------------------------

def default_models() -> list[str]:
    """Every registered model that trains on token data, then the Transformer variants."""
    from textgan.registry import all_models

    text = [name for name, spec in all_models().items() if {"oracle", "text"} & set(spec.data_kinds)]
    with_settings = [entry for name in text
                     for entry in [name, *(v for v in SETTING_VARIANTS if parse_entry(v)[0] == name)]]
    return with_settings + [f"{name}+transformer" for name in TRANSFORMER_VARIANTS if name in text]


def parse_entry(entry: str) -> tuple[str, str, str | None, tuple[str, ...]]:
    """'seqgan+transformer@coco' -> ('seqgan', 'transformer', 'coco', ()); kind 'default' = the model's own
    G; 'maligan[mixed]' -> ('maligan', 'default', None, ('mixed',)): the values of the model's variant keys."""
    entry, _, data = entry.partition("@")
    model, _, kind = entry.partition("+")
    name, _, brackets = model.partition("[")
    values = tuple(brackets.rstrip("]").split("][")) if brackets else ()
    return name, kind or "default", data or None, values


def variant_overrides(model: str, values: tuple[str, ...]) -> list[str]:
    """`key=value` for each value of a `NAME[VALUE]` entry, in the order of the model's variant keys."""
    from textgan.registry import get_model

    keys = get_model(model).variant_keys
    if len(values) > len(keys):
        raise ValueError(f"{model} has {len(keys)} variant key(s) {list(keys)}, the entry gives {len(values)} values")
    return [f"{key}={value}" for key, value in zip(keys, values)]


def entry_label(model: str, values: tuple[str, ...]) -> str:
    """The model column: its name with the variant values, as the result tables label it (`maligan[mixed]`)."""
    return model + "".join(f"[{value}]" for value in values)


def _override(key: str, value: Any) -> str:
    # lists and booleans in the YAML form the CLI's parser reads
    return f"{key}={json.dumps(value) if isinstance(value, (list, bool)) else value}"


def transformer_overrides(config_dir: Path) -> list[str]:
    """The generator block of the Transformer reference config (its sizes, not its schedule)."""
    for path in (config_dir / "transformer" / "mle.yaml", ROOT / "configs" / "transformer" / "mle.yaml"):
        if path.is_file():
            gen = (yaml.safe_load(path.read_text()) or {}).get("generator", {})
            return [_override(f"generator.{k}", v) for k, v in flatten(gen).items()]
    return ["generator.kind=transformer"]


def resolve_config(model: str, kind: str, config_dir: Path) -> tuple[Path, list[str]]:
    """(config file, extra overrides) of one entry. A Transformer variant uses its own file where one
    exists (configs/transformer/M.yaml, or configs/tiny/M_transformer.yaml), else the model's protocol
    file plus the reference Transformer's generator block."""
    base = config_dir / f"{model}.yaml"
    if kind == "default":
        return base, []
    if kind != "transformer":
        raise ValueError(f"unknown generator variant '{kind}' (only +transformer)")
    for own in (config_dir / "transformer" / f"{model}.yaml", config_dir / f"{model}_transformer.yaml"):
        if own.is_file():
            return own, []
    return base, transformer_overrides(config_dir)


def data_name(model: str, config: Path, forced: str | None) -> tuple[str, bool]:
    """(data set, whether --data must name it): @DATA, else the config's data.name, else the oracle (the
    loader's default), or MR for the models that train on text only (the conditional ones)."""
    from textgan.registry import get_model

    named = ((yaml.safe_load(config.read_text()) or {}).get("data") or {}).get("name")
    if forced:
        return forced, forced != named
    if named:
        return named, False
    return ("oracle", False) if "oracle" in get_model(model).data_kinds else ("mr", True)


def budget_overrides(model: str) -> list[str]:
    """One iteration for every budget key this model's config tree has."""
    from textgan.registry import get_model, make_config

    cfg = make_config(get_model(model))
    present = [key for key in BUDGET_KEYS if _has_key(cfg, key)]
    return [f"{key}=1" for key in present]


def _has_key(cfg: Any, dotted: str) -> bool:
    node = cfg
    for part in dotted.split("."):
        if not hasattr(node, part):
            return False
        node = getattr(node, part)
    return True


# -- running ---------------------------------------------------------------------------------

def _env(threads: int, data_dir: str | None) -> dict[str, str]:
    # the sampling CLI has no thread flag: OMP_NUM_THREADS sets torch's default there too
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads), HF_HUB_OFFLINE="1")
    if data_dir:
        env["TEXTGAN_DATA_DIR"] = data_dir
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def as_recorded(cmd: list[str]) -> str:
    """A command as the report records it: `python` for this interpreter's path."""
    return shlex.join(["python" if arg == sys.executable else arg for arg in cmd])


def run_logged(args: list[str], log: Path, env: dict[str, str]) -> tuple[int, float]:
    """Run args with stdout + stderr appended to log; (exit status, wall seconds)."""
    t0 = time.perf_counter()
    with open(log, "a") as out:
        out.write(f"$ {shlex.join(args)}\n")
        out.flush()
        rc = subprocess.run(args, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT).returncode
    return rc, time.perf_counter() - t0


def last_line(log: Path) -> str:
    lines = [line.strip() for line in log.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


# -- parsing ---------------------------------------------------------------------------------

def phase_times(records: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per phase: training seconds and iterations, from the cumulative elapsed_s at each phase's last
    record (the loop keeps one clock across phases, so a phase's time is the difference to the previous)."""
    ends: dict[str, dict[str, float]] = {}
    for rec in records:
        if rec.get("iteration", 0) > 0:  # the step-0 record evaluates before any training
            ends[rec["phase"]] = {"elapsed_s": rec["elapsed_s"], "iterations": rec["iteration"]}
    out, before = {}, 0.0
    for phase, end in ends.items():  # dicts keep the order the phases ran in
        seconds = end["elapsed_s"] - before
        out[phase] = {"seconds": round(seconds, 3), "iterations": int(end["iterations"]),
                      "per_iteration_s": round(seconds / end["iterations"], 3)}
        before = end["elapsed_s"]
    return out


def generator_params(log: Path) -> int | None:
    match = PARAMS_RE.search(log.read_text(errors="replace"))
    return int(match.group(1).replace(",", "")) if match else None


def count_tokens(path: Path) -> tuple[int, int]:
    """(sequences, tokens) of a sample file; a conditional run's lines start with 'label<TAB>'."""
    lines = path.read_text().splitlines()
    return len(lines), sum(len(line.split("\t", 1)[-1].split()) for line in lines)


def phase_units(run_dir: Path) -> dict[str, str]:
    """Phase name -> unit ('epoch', 'round', 'step') as the run recorded its schedule (run_info.jsonl)."""
    from textgan.runs import RunDir

    sittings = RunDir(run_dir).read_run_info()
    phases = sittings[-1].get("phases", []) if sittings else []
    return {p["name"]: p["unit"] for p in phases}


# -- one model -------------------------------------------------------------------------------

def bench_model(entry: str, args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    model, kind, forced_data, values = parse_entry(entry)
    config, extra = resolve_config(model, kind, Path(args.config_dir))
    extra = extra + variant_overrides(model, values)
    if not config.is_file():
        raise FileNotFoundError(f"no config {config}")
    data, pass_data = data_name(model, config, forced_data)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", entry).strip("_")
    run_dir, log = Path(args.workdir) / safe, Path(args.workdir) / f"{safe}.log"
    log.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "textgan.train", "--model", model, "--config", repo_path(config),
           "--run-dir", repo_path(run_dir), "--overwrite"]
    cmd += ["--data", data] if pass_data else []
    cmd += extra + budget_overrides(model)
    cmd += ["train.eval_every=1", f"train.threads={args.threads}", "train.progress=false"]
    result: dict[str, Any] = {"entry": entry, "model": entry_label(model, values), "generator": kind, "data": data,
                              "config": repo_path(config), "train_command": as_recorded(cmd), "log": repo_path(log)}
    rc, wall = run_logged(cmd, log, env)
    result["train_wall_s"] = round(wall, 3)
    result["generator_params"] = generator_params(log)
    if rc != 0:
        return {**result, "error": f"train exit {rc}: {last_line(log)}"}
    records = RunDir(run_dir).read_metrics()
    result["phases"] = phase_times(records)
    result["units"] = phase_units(run_dir)
    evals = [r["eval_s"] for r in records if "eval_s" in r]
    result["eval_s_all"] = evals
    result["eval_s"] = round(sum(evals) / len(evals), 3) if evals else None
    result.update(bench_sampling(run_dir, log, env, args.num_samples, args.seed))
    return result


def sample_once(run_dir: Path, num: int, log: Path, env: dict[str, str], seed: int) -> dict[str, Any]:
    out = run_dir / f"bench_samples_{num}.txt"
    cmd = [sys.executable, "-m", "textgan.sample", "--run", repo_path(run_dir), "--num", str(num),
           "--seed", str(seed), "--out", repo_path(out)]
    rc, wall = run_logged(cmd, log, env)
    if rc != 0 or not out.is_file():
        raise RuntimeError(f"sample exit {rc}: {last_line(log)}")
    sequences, tokens = count_tokens(out)
    return {"command": as_recorded(cmd), "wall_s": round(wall, 3), "sequences": sequences, "tokens": tokens}


def bench_sampling(run_dir: Path, log: Path, env: dict[str, str], num: int, seed: int) -> dict[str, Any]:
    """Tokens per second of `python -m textgan.sample --num NUM` (temperature 1). The CLI prints no timing,
    so a `--num 1` call measures what is not sampling (interpreter, imports, checkpoint and vocabulary
    loading) and tokens/s is the extra tokens over the extra wall time. When that difference is too small
    to measure (tiny runs), only the raw rate, load included and so a lower bound, is kept."""
    try:
        base, full = sample_once(run_dir, 1, log, env, seed), sample_once(run_dir, num, log, env, seed)
    except RuntimeError as exc:
        return {"sample_error": str(exc)}
    extra_s, extra_tokens = full["wall_s"] - base["wall_s"], full["tokens"] - base["tokens"]
    return {"sample_command": full["command"], "sample_wall_s": full["wall_s"], "sample_load_wall_s": base["wall_s"],
            "sample_sequences": full["sequences"], "sample_tokens": full["tokens"],
            "sample_tokens_per_s": round(extra_tokens / extra_s) if extra_s > 0.05 else None,
            "sample_tokens_per_s_raw": round(full["tokens"] / full["wall_s"])}


# -- output ------------------------------------------------------------------------------------

def _fmt(value: float | None, digits: int = 2) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:,.{digits}f}"


# the unit each table column is headed with; a model whose phase counts another unit says so in its cell
COLUMN_UNITS = {"mle": "epoch", "pretrain_d": "round", "adversarial": "round"}


def _phase_cell(row: dict[str, Any], phase: str) -> str:
    timing = row.get("phases", {}).get(phase)
    if timing is None:
        return "–"
    unit = row.get("units", {}).get(phase, COLUMN_UNITS[phase])
    return f"{_fmt(timing['per_iteration_s'])}" + (f" (per {unit})" if unit != COLUMN_UNITS[phase] else "")


def _tokens_cell(row: dict[str, Any]) -> str:
    if "sample_error" in row:
        return "failed"
    if row.get("sample_tokens_per_s") is None:  # too fast to separate from loading: a lower bound
        return f"≥ {_fmt(row.get('sample_tokens_per_s_raw'), 0)}"
    return _fmt(row["sample_tokens_per_s"], 0)


def _units_note(rows: list[dict[str, Any]]) -> str:
    """The sentence naming the cells that time another unit than their column's, read from the rows."""
    odd = [f"{row['model']} ({phase}: per {unit})" for row in rows for phase, unit in row.get("units", {}).items()
           if phase in COLUMN_UNITS and unit != COLUMN_UNITS[phase] and phase in row.get("phases", {})]
    if not odd:
        return ""
    return ("Cells marked (per ...) time the unit that model's run records for the phase (run_info.jsonl) "
            f"instead of the column's: {', '.join(dict.fromkeys(odd))}. ")


def render_markdown(report: dict[str, Any]) -> str:
    hw = report["hardware"]
    lines = ["# Model speed: one MLE epoch, one adversarial round, one evaluation, sampling", "",
             f"`{report['command']}` — torch {hw['torch']}, {report['threads']} thread(s), {cpu_summary(hw)}, "
             f"git {report['git_sha'] or '?'}.", "",
             "Each model trained by `python -m textgan.train` at its protocol config with every budget cut to one "
             "iteration per phase; seconds are differences of the loop's `elapsed_s` (training only). "
             f"Sampling: `python -m textgan.sample --num {report['num_samples']}` (temperature 1) against "
             "`--num 1` of the same run: extra tokens over extra wall seconds, so start-up and loading cancel "
             "(≥ marks a run too fast to separate: its raw rate, loading included).", "",
             "| model | generator | data | G params | s / MLE epoch | s / D-pretrain round | s / adversarial round "
             "| s / evaluation | sampling tokens/s |",
             "|---|---|---|---|---|---|---|---|---|"]
    for row in report["models"]:
        params = f"{row['generator_params']:,}" if row.get("generator_params") else "–"
        if "error" in row:
            lines.append(f"| {row['model']} | {row['generator']} | {row['data']} | {params} | "
                         f"failed: {row['error'][:160].replace('|', '/')} | | | | |")
            continue
        tps = _tokens_cell(row)
        lines.append(f"| {row['model']} | {row['generator']} | {row['data']} | {params} | {_phase_cell(row, 'mle')} | "
                     f"{_phase_cell(row, 'pretrain_d')} | {_phase_cell(row, 'adversarial')} | "
                     f"{_fmt(row.get('eval_s'))} | {tps} |")
    start, end = report["loadavg_start"], report["loadavg_end"]
    lines += ["", _units_note(report["models"]) + "Each phase ran one iteration, so a first iteration's one-off "
              "costs are in it.",
              "", f"Timings are {report['threads']}-thread CPU wall seconds on a shared machine: load average "
              f"(1, 5, 15 min) {', '.join(f'{x:.2f}' for x in start)} at the start, "
              f"{', '.join(f'{x:.2f}' for x in end)} at the end; a load above {hw['cpu_count']} inflates them.",
              f"Whole benchmark: {report['total_wall_s'] / 60:.1f} min."]
    return "\n".join(lines) + "\n"


def write_outputs(report: dict[str, Any], out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "model_speed.json").write_text(json.dumps(report, indent=2) + "\n")
    (out_dir / "model_speed.md").write_text(render_markdown(report))


# -- main ------------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", help="comma-separated entries: NAME, NAME[VARIANT], NAME+transformer, NAME@DATA "
                                    "(default: every text model, maligan[mixed] and mle/seqgan/relgan+transformer)")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads of training and sampling")
    p.add_argument("--data-dir", default=os.environ.get("TEXTGAN_DATA_DIR"), help="data root (TEXTGAN_DATA_DIR)")
    p.add_argument("--config-dir", default=str(ROOT / "configs"), help="where <model>.yaml live")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    p.add_argument("--workdir", default=str(ROOT / "benchmarks" / "runs" / "model_speed"),
                   help="run directories and logs (overwritten)")
    p.add_argument("--seed", type=int, default=0, help="sampling seed")
    p.add_argument("--num-samples", type=int, default=NUM_SAMPLES, help="sequences sampled for tokens/s")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    import torch

    torch.set_num_threads(args.threads)  # so hardware() reports the threads the runs use
    from textgan.runs import git_sha

    entries = [e.strip() for e in args.models.split(",") if e.strip()] if args.models else default_models()
    Path(args.workdir).mkdir(parents=True, exist_ok=True)
    env = _env(args.threads, args.data_dir)
    t0, load_start = time.perf_counter(), list(os.getloadavg())
    rows = []
    for i, entry in enumerate(entries, 1):
        print(f"[{i}/{len(entries)}] {entry} ...", flush=True)
        t_model = time.perf_counter()
        try:
            row = bench_model(entry, args, env)
        except Exception as exc:  # noqa: BLE001 -- one broken entry must not end the table
            model, kind, data, values = parse_entry(entry)
            row = {"entry": entry, "model": entry_label(model, values), "generator": kind, "data": data or "?",
                   "error": f"{type(exc).__name__}: {exc}"}
        rows.append(row)
        print(f"    {_progress(row)} ({time.perf_counter() - t_model:.0f} s)", flush=True)
    argv_shown = sys.argv[1:] if argv is None else argv
    report = {"command": shlex.join(["python", "benchmarks/bench_models.py", *argv_shown]),
              "threads": args.threads, "num_samples": args.num_samples,
              "hardware": hardware(), "git_sha": git_sha(), "loadavg_start": load_start,
              "loadavg_end": list(os.getloadavg()), "total_wall_s": round(time.perf_counter() - t0, 1),
              "models": rows}
    write_outputs(report, Path(args.out))
    print(f"wrote {Path(args.out) / 'model_speed.json'} and model_speed.md")
    return 0


def _progress(row: dict[str, Any]) -> str:
    if "error" in row:
        return f"FAILED: {row['error']}"
    parts = [f"{p} {t['per_iteration_s']:.2f} s" for p, t in row.get("phases", {}).items()]
    parts.append(f"eval {row.get('eval_s')} s")
    parts.append(row["sample_error"] if "sample_error" in row else f"sampling {_tokens_cell(row)} tok/s")
    return ", ".join(parts)


if __name__ == "__main__":
    sys.exit(main())
