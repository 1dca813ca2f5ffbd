"""Benchmark grids: train every (model x data set x seed) of a grid, evaluate it with the protocol, and
write one result JSON per run (docs/evaluation.md; the layout is described in benchmarks/README.md).

Training runs as a subprocess (`python -m textgan.train`): it isolates memory between runs and is
exactly the command a user would type, so every number comes with a reproducible command line.
Evaluation runs in-process on the run's final checkpoint (`textgan.metrics.sweep.evaluate_generator`,
10,000 samples unless the grid says otherwise). A run whose result JSON exists is skipped; an
interrupted run is continued with `--resume`; a run is locked while it trains (`runs/<id>.lock`), so
several processes can work through the same grids side by side.

A grid is a YAML file in benchmarks/grids/:

    name: mle_oracle              # results go to benchmarks/results/<name>/
    models: [mle]
    data: [oracle]
    seeds: [0, 1, 2]
    config: configs/{model}.yaml  # optional override file per model ({model} is substituted)
    overrides: [mle.epochs=120]   # key=value overrides for every run
    model_overrides: {seqgan: [adversarial.rounds=20]}   # optional, per model, after `overrides`
    eval: {num_samples: 10000, metrics: [nll], temperatures: null}   # temperatures: list or "protocol"
                                  # optional eval.sweep_metrics: the sweep's metrics (default: eval.metrics)

Paths in a grid (`config`, data files) are relative to the repository root, where the runs train.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from benchmarks.machine import hardware

REPO = Path(__file__).resolve().parents[1]
RUNS = REPO / "benchmarks" / "runs"
RESULTS = REPO / "benchmarks" / "results"


@dataclass
class Grid:
    name: str
    models: list[str]
    data: list[str]
    seeds: list[int]
    config: str | None = None
    overrides: list[str] = field(default_factory=list)
    model_overrides: dict[str, list[str]] = field(default_factory=dict)
    eval: dict[str, Any] = field(default_factory=dict)


@dataclass
class Job:
    grid: Grid
    model: str
    data: str
    seed: int

    def config_file(self) -> str | None:
        return self.grid.config.format(model=self.model) if self.grid.config else None

    def train_args(self) -> list[str]:
        """The `python -m textgan.train` arguments, minus --run-dir."""
        args = ["--model", self.model, "--data", self.data, "--seed", str(self.seed)]
        if self.config_file():
            args += ["--config", self.config_file()]
        overrides = list(self.grid.overrides) + list(self.grid.model_overrides.get(self.model, []))
        # no progress bars in the logs (most grids say so themselves: not twice)
        return args + overrides + ([] if "train.progress=false" in overrides else ["train.progress=false"])


def load_grid(path: str | Path) -> Grid:
    path = Path(path)
    raw = yaml.safe_load(path.read_text())
    if not isinstance(raw, dict):
        raise ValueError(f"grid file '{path}' must be a YAML mapping")  # noqa: TRY004 (one error type for callers)
    known = set(Grid.__dataclass_fields__)
    unknown = set(raw) - known
    if unknown:
        raise ValueError(f"grid file '{path}': unknown keys {sorted(unknown)}; known: {sorted(known)}")
    raw.setdefault("name", path.stem)
    for key in ("models", "data", "seeds"):
        if not raw.get(key) or not isinstance(raw[key], list):  # `models: mle` would iterate its letters
            example = raw.get(key) or "..."
            raise ValueError(f"grid file '{path}' needs a non-empty '{key}' list, e.g. {key}: [{example}]")
    grid = Grid(**raw)
    check_grid(grid, path)
    return grid


# what a grid's `eval` section may set (read by `evaluate`); anything else was silently ignored
EVAL_KEYS = ("num_samples", "seed", "max_n", "metrics", "sweep_metrics", "temperature", "temperatures")


def check_grid(grid: Grid, path: Path) -> None:
    """Refuse, before any run starts, what would otherwise fail after hours of training or be ignored: an
    unknown eval key, metric or data set, a temperature that is not a number, overrides for a model the
    grid does not train."""
    from textgan.data.sources import DATA_SETS, DATA_SOURCES, looks_like_path
    from textgan.errors import UserError
    from textgan.metrics.suite import parse_metrics
    from textgan.registry import all_models

    where = f"grid file '{path}'"
    if not isinstance(grid.eval, dict):
        raise ValueError(f"{where}: 'eval' must be a mapping of {', '.join(EVAL_KEYS)}")
    unknown = sorted(set(grid.eval) - set(EVAL_KEYS))
    if unknown:
        raise ValueError(f"{where}: unknown eval keys {unknown}; known: {list(EVAL_KEYS)}")
    for key in ("metrics", "sweep_metrics"):
        if grid.eval.get(key):
            try:
                parse_metrics(grid.eval[key])
            except UserError as err:
                raise ValueError(f"{where}: eval.{key}: {err}") from None
    temps = grid.eval.get("temperatures")
    if temps is not None and temps != "protocol":
        try:
            [float(t) for t in temps]
        except (TypeError, ValueError):
            raise ValueError(f"{where}: eval.temperatures must be 'protocol' or a list of numbers, got {temps!r}") \
                from None
    all_models()  # registers the plugged-in data sources
    for name in grid.data:
        if not looks_like_path(str(name)) and name not in DATA_SETS and name not in DATA_SOURCES:
            raise ValueError(f"{where}: unknown data set {name!r}; use one of {', '.join(DATA_SETS)} or a file path")
        if looks_like_path(str(name)) and not (REPO / str(name)).is_file():  # absolute paths stay absolute
            raise ValueError(f"{where}: data file '{name}' not found at '{REPO / str(name)}' (a grid's paths are "
                             "relative to the repository root, where its runs are trained)")
    if grid.config:
        for model in grid.models:
            if not (REPO / grid.config.format(model=model)).is_file():
                raise ValueError(f"{where}: config file '{grid.config.format(model=model)}' not found at "
                                 f"'{REPO / grid.config.format(model=model)}' (a grid's paths are relative to the "
                                 "repository root)")
    check_grid_models(grid, where)
    stray = sorted(set(grid.model_overrides) - set(grid.models))
    if stray:
        raise ValueError(f"{where}: model_overrides for {stray}, which the grid does not train ({grid.models})")


def check_grid_models(grid: Grid, where: str) -> None:
    """Each model must be one the harness evaluates on each of the grid's data sets: a text model (the
    continuous GANs have benchmarks/image_baseline.py), on data of a kind it trains on; a class-conditional
    model is scored with the fixed per-class protocol (docs/conditional.md), so eval keys it would ignore are
    refused."""
    from textgan.data.sources import DataConfig, expected_kind
    from textgan.registry import get_model

    text_kinds = {"oracle", "text"}
    for model in grid.models:
        spec = get_model(model)
        if not text_kinds & set(spec.data_kinds):
            raise ValueError(f"{where}: model '{model}' trains on {', '.join(spec.data_kinds)} data, which the "
                             "harness does not evaluate; the continuous GANs run with python "
                             "benchmarks/image_baseline.py")
        for name in grid.data:
            kind = expected_kind(DataConfig(name=str(name)))
            if kind is not None and kind not in spec.data_kinds:
                raise ValueError(f"{where}: model '{model}' does not train on '{name}' ({kind} data; it takes "
                                 f"{', '.join(spec.data_kinds)})")
        ignored = [key for key in ("metrics", "sweep_metrics", "temperatures") if grid.eval.get(key)]
        if spec.needs_labels and ignored:
            raise ValueError(f"{where}: '{model}' is scored with the per-class protocol (docs/conditional.md), "
                             f"which has fixed metrics and no temperature sweep; drop eval.{', eval.'.join(ignored)} "
                             "or give the class-conditional models a grid of their own")


def jobs(grid: Grid) -> list[Job]:
    return [Job(grid, m, d, s) for m in grid.models for d in grid.data for s in grid.seeds]


def resolved_config(job: Job) -> dict[str, Any]:
    """The config the training CLI will resolve for this job (same code path, so the hash is faithful)."""
    from textgan.config import to_dict
    from textgan.train import parse_args, resolve_config

    here = os.getcwd()
    os.chdir(REPO)  # where `train` runs it: the grid's relative paths are the repository's (no contextlib.chdir:
    try:            # the package supports Python 3.10)
        _, cfg, _ = resolve_config(parse_args(job.train_args()))
    finally:
        os.chdir(here)
    return to_dict(cfg)


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested config dict -> {'section.key': value}."""
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


@functools.cache
def model_defaults(model: str) -> dict[str, Any]:
    """The model's default config, flattened (`generator.kind` -> 'lstm'): what a setting is compared with."""
    from textgan.config import to_dict
    from textgan.train import parse_args, resolve_config

    _, cfg, _ = resolve_config(parse_args(["--model", model]))
    return flatten(to_dict(cfg))


def config_hash(config: dict[str, Any]) -> str:
    """8 hex digits naming a setting: the resolved config's entries that differ from the model's defaults,
    seed excluded (so the seeds of one setting share a hash).

    Hashing only the non-default entries keeps a finished run's hash stable when the config tree later
    gains keys (new options default to the old behaviour), so re-running a grid does not redo it.
    """
    defaults = model_defaults(config["model"]) if "model" in config else {}
    body = {k: v for k, v in flatten(config).items() if k != "seed" and defaults.get(k, _MISSING) != v}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:8]


_MISSING = object()


def run_id(model: str, data: str, seed: int, chash: str) -> str:
    return f"{model}-{Path(data).stem}-seed{seed}-{chash}"


def pretrain_record(curve: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The last evaluation of the MLE phase: the pretrained generator an adversarial model starts from
    (for the MLE baseline it is simply its final evaluation)."""
    mle = [r for r in curve if r.get("phase") == "mle"]
    return mle[-1] if mle else None


def train(job: Job, run_dir: Path, data_dir: str | None, log_file: Path) -> float:
    """Train (or finish) one run in a subprocess; returns its wall time in seconds."""
    args = [sys.executable, "-m", "textgan.train", "--run-dir", str(run_dir)]
    if data_dir:
        args += ["--data-dir", data_dir]
    from textgan.runs import RunDir

    if RunDir(run_dir).has_checkpoint():
        args += ["--resume"]  # an interrupted run continues; a finished one has nothing left to do
        args += [a for a in job.train_args() if "=" in a and a.split("=")[0].startswith(("train.", "eval."))]
    else:
        args += job.train_args() + (["--overwrite"] if run_dir.exists() else [])
    t0 = time.perf_counter()
    with open(log_file, "a") as log:
        log.write(f"$ {' '.join(args)}\n")
        log.flush()
        code = run_until_saved(args, log)
    if code != 0:
        raise RuntimeError(f"training failed (exit {code}); see {log_file}")
    return time.perf_counter() - t0


def run_until_saved(args: list[str], log, env: dict[str, str] | None = None) -> int:
    """Run a training command to its end; its exit status. The child has a session of its own, so a terminal's
    Ctrl-C reaches only the harness, which passes SIGTERM on and waits: the run finishes its iteration and
    saves a checkpoint before the harness stops (killing it there lost the iteration). SIGTERM, because a
    run that got one already (a service manager signals every process of the job) takes a second as the
    same request, while a second SIGINT would make it abort. A second Ctrl-C passes SIGINT: the run aborts."""
    # a log file gets both streams; with stdout discarded (DEVNULL), stderr still reaches the terminal
    stderr = None if log is subprocess.DEVNULL else subprocess.STDOUT
    proc = subprocess.Popen(args, stdout=log, stderr=stderr, cwd=REPO, env=env, start_new_session=True)
    try:
        return proc.wait()
    except BaseException:  # KeyboardInterrupt, or SIGTERM / SIGHUP as run_grid.py raises them
        stop = signal.SIGTERM
        while proc.poll() is None:
            proc.send_signal(stop)
            stop = signal.SIGINT  # the next interrupt of the harness: abort
            with contextlib.suppress(BaseException):
                proc.wait()
        raise


def evaluate(run_dir: Path, eval_cfg: dict[str, Any], data_dir: str | None) -> dict[str, Any]:
    """Protocol metrics of the run's final checkpoint (and a temperature sweep when the grid asks), the
    run's network sizes (counted here, where its data set is loaded already) and its saved config."""
    from benchmarks.network_sizes import network_sizes
    from textgan.data.sources import load_data
    from textgan.metrics.suite import parse_metrics
    from textgan.metrics.sweep import DEFAULT_TEMPERATURES, default_metrics, evaluate_generator, temperature_sweep
    from textgan.runs import load_run

    run = load_run(run_dir)
    if run.cfg.train.threads > 0:  # evaluate on the threads the run trained with (runs may share the cores)
        import torch

        torch.set_num_threads(run.cfg.train.threads)
    data = load_data(run.cfg.data, data_dir, run.vocab)
    saved = yaml.safe_load((run_dir / "config.yaml").read_text())
    sizes = network_sizes(saved, data_dir, data)
    metrics = parse_metrics(eval_cfg["metrics"]) if eval_cfg.get("metrics") else default_metrics(data)
    common = {"num_samples": int(eval_cfg.get("num_samples", 10000)), "seed": int(eval_cfg.get("seed", 1234)),
              "max_n": int(eval_cfg.get("max_n", 5))}
    if hasattr(run.generator, "bind"):  # class-conditional runs: the per-class protocol (docs/conditional.md)
        import dataclasses

        from textgan.conditional_evaluation import evaluate_conditional

        # the grid's temperature, else the run's own (check_grid refuses the eval keys this protocol has not)
        eval_cfg_run = dataclasses.replace(run.cfg.eval, temperature=float(eval_cfg.get(
            "temperature", run.cfg.eval.temperature)))
        return {"metrics": evaluate_conditional(run.generator, data, eval_cfg_run, **common), "sizes": sizes,
                "config": saved}
    out = {"sizes": sizes, "config": saved, "metrics": evaluate_generator(run.generator, data, metrics,
                                         temperature=float(eval_cfg.get("temperature", 1.0)), **common)}
    temps = eval_cfg.get("temperatures")
    if temps:
        temps = DEFAULT_TEMPERATURES if temps == "protocol" else [float(t) for t in temps]
        # a grid may sweep fewer metrics than its final evaluation (FED costs minutes per temperature)
        sweep_metrics = parse_metrics(eval_cfg["sweep_metrics"]) if eval_cfg.get("sweep_metrics") else metrics
        out["sweep"] = temperature_sweep(run.generator, data, temps, sweep_metrics, **common)
    return out


def finished_result(job: Job, chash: str, results_root: Path = RESULTS) -> Path | None:
    """The result JSON of this job if it has one: the file its id names, else a file of the same model,
    data set and seed whose recorded config hashes to `chash` today. The second case covers results
    named under an earlier hash scheme (the setting is the same, only its name changed), so a grid
    re-run does not train them again."""
    grid_dir = results_root / job.grid.name
    named = grid_dir / f"{run_id(job.model, job.data, job.seed, chash)}.json"
    if named.is_file():
        try:
            json.loads(named.read_text())
        except ValueError as err:  # results are written atomically: damage came from elsewhere, say so
            from textgan.errors import UserError

            raise UserError(f"result file '{named}' is damaged ({err}); restore it (git checkout) or delete it to "
                            "run the job again") from None
        return named
    prefix = run_id(job.model, job.data, job.seed, "")
    for path in sorted(grid_dir.glob(f"{prefix}*.json")):
        try:
            result = json.loads(path.read_text())
        except (OSError, ValueError):
            continue  # not a result file of ours; the run goes ahead and writes its own
        config = result.get("config")
        if isinstance(config, dict) and result.get("data") == job.data and result.get("seed") == job.seed \
                and config_hash(config) == chash:
            return path
    return None


def eval_differences(result: dict[str, Any], grid_eval: dict[str, Any]) -> list[str]:
    """How a finished result's evaluation differs from what the grid's `eval` asks now ("n_samples 10000,
    grid 128", ...). The config hash names the training only, so an edited eval section does not make a job
    due again; this says that its result was measured otherwise. Results of the per-class protocol, which
    records no such settings, give none."""
    from textgan.metrics.sweep import DEFAULT_TEMPERATURES

    protocol, metrics = result.get("protocol") or {}, result.get("metrics") or {}
    out = []
    for recorded, key, default in (("n_samples", "num_samples", 10000), ("seed", "seed", 1234),
                                   ("max_n", "max_n", 5), ("temperature", "temperature", 1.0)):
        if recorded in protocol and protocol[recorded] != grid_eval.get(key, default):
            out.append(f"{recorded} {protocol[recorded]}, grid {grid_eval.get(key, default)}")
    asked = grid_eval.get("temperatures")
    if asked:
        wanted = DEFAULT_TEMPERATURES if asked == "protocol" else [float(t) for t in asked]
        swept = {float(e.get("temperature", 0.0)) for e in result.get("sweep") or []}
        missing = [t for t in wanted if t not in swept]
        if missing:
            out.append(f"no sweep at temperature(s) {', '.join(str(t) for t in missing)}")
    if "per_class" not in metrics and grid_eval.get("metrics"):
        from textgan.metrics.suite import parse_metrics

        asked_metrics = parse_metrics(grid_eval["metrics"])  # a list, or a comma-separated string
        lacking = [m for m in asked_metrics if not any(k.startswith(m) for k in metrics)]
        if lacking:
            out.append(f"metric(s) {', '.join(lacking)} not measured")
    return out


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot (/proc/PID/stat field 22), "" where /proc is
    missing. Stored in the lock beside the PID because PIDs are reused: after a reboot, a stale lock's PID
    may belong to an unrelated live process, which must not keep the job locked forever."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[-1].split()[19]  # fields after the command name; field 22 is the 20th


def _holder_alive(text: str) -> int:
    """The PID of the live process holding a lock whose file holds `text` ("PID [START]"), else 0."""
    parts = text.split()
    try:
        pid = int(parts[0]) if parts else 0
    except ValueError:
        return 0
    if not pid or pid == os.getpid() or not _pid_alive(pid):
        return 0
    if len(parts) > 1 and (now := _start_time(pid)) and now != parts[1]:
        return 0  # the PID now names a different process
    return pid


@contextlib.contextmanager
def job_lock(path: Path) -> Iterator[int | None]:
    """Hold `path` (a file with our PID and its start time) while a job runs, so several run_grid.py processes can work
    through the same grids side by side, each taking the next job nobody holds. Yields None when we hold
    it, else the PID of the live process that does. A lock left by a dead process is taken over."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            try:
                holder = _holder_alive(path.read_text())
            except OSError:
                holder = 0
            if holder:
                yield holder
                return
            path.unlink(missing_ok=True)  # stale: its process is gone
            continue
        with os.fdopen(fd, "w") as f:
            f.write(f"{os.getpid()} {_start_time(os.getpid())}".strip() + "\n")
        try:
            yield None
        finally:
            path.unlink(missing_ok=True)
        return
    raise RuntimeError(f"could not take the job lock {path}; remove it if no run_grid.py is running")


def run_job(job: Job, runs_root: Path = RUNS, results_root: Path = RESULTS, data_dir: str | None = None,
            log=print) -> Path | None:
    """Train + evaluate one job unless its result JSON exists; returns the result path (None when
    another process is running this job right now)."""
    config = resolved_config(job)
    chash = config_hash(config)
    rid = run_id(job.model, job.data, job.seed, chash)
    out = results_root / job.grid.name / f"{rid}.json"
    done = finished_result(job, chash, results_root)
    if done is not None:
        log(f"skip {rid} (result exists: {done})")
        warn_if_evaluated_otherwise(done, job, log)
        return done
    with job_lock(runs_root / f"{rid}.lock") as holder:
        if holder is not None:
            log(f"skip {rid} (process {holder} is running it)")
            return None
        if (done := finished_result(job, chash, results_root)) is not None:  # it finished as we looked
            log(f"skip {rid} (result exists: {done})")
            return done
        return _train_and_evaluate(job, runs_root / rid, out, chash, data_dir, log)


def warn_if_evaluated_otherwise(path: Path, job: Job, log) -> None:
    differs = eval_differences(json.loads(path.read_text()), job.grid.eval)
    if differs:
        log(f"warning: {path.name} was evaluated otherwise than the grid's eval section asks now "
            f"({'; '.join(differs)}); re-score it with benchmarks/sweep.py, or delete it to train and evaluate again")


def sitting_sources(sittings: list[dict[str, Any]]) -> list[str]:
    """The source fingerprint each training sitting recorded (`RunDir.read_run_info()`'s records), in order (a
    run resumed in a later harness call has several; sittings written before the record existed are left out)."""
    return [str(info["source"]) for info in sittings if info.get("source")]


def portable_data_info(info: dict[str, Any], data_dir: str | None) -> dict[str, Any]:
    """A run's recorded data facts with its file paths (train / test file, each class's file) made
    machine-independent for a committed result: a file under the data root reads
    `$TEXTGAN_DATA_DIR/<path under the root>`, any other file its name alone."""
    from textgan.comparison import PLACES
    from textgan.data.paths import DATA_DIR_ENV, resolve_data_root

    root = resolve_data_root(data_dir).resolve()

    def portable(value: str) -> str:
        path = Path(value).resolve()
        return f"${DATA_DIR_ENV}/{path.relative_to(root).as_posix()}" if path.is_relative_to(root) else path.name

    out = dict(info)
    for key in PLACES:
        if out.get(key):
            out[key] = portable(str(out[key]))
    if isinstance(out.get("class_files"), dict):  # labelled data: one file per class
        out["class_files"] = {label: portable(str(path)) for label, path in out["class_files"].items()}
    return out


def source_changed(source: dict[str, Any] | None) -> bool:
    """Whether a result's `source` record saw more than one version of the package: harness start and end and
    every training sitting (older results record only start and end, or nothing)."""
    source = source or {}
    return len({source.get("start"), source.get("end"), *(source.get("sittings") or [])} - {None}) > 1


def _train_and_evaluate(job: Job, run_dir: Path, out: Path, chash: str, data_dir: str | None, log) -> Path:
    from textgan.runs import RunDir, git_sha, source_fingerprint

    rid = run_dir.name
    runs_root = run_dir.parent
    runs_root.mkdir(parents=True, exist_ok=True)
    source_at_start = source_fingerprint()
    log(f"train {rid} -> {run_dir}")
    train_s = train(job, run_dir, data_dir, runs_root / f"{rid}.log")
    log(f"evaluate {rid}")
    t0 = time.perf_counter()
    evaluated = evaluate(run_dir, job.grid.eval, data_dir)
    eval_s = time.perf_counter() - t0
    curve = RunDir(run_dir).read_metrics()
    source_at_end = source_fingerprint()
    sittings = RunDir(run_dir).read_run_info()  # one record per training sitting
    source = {"start": source_at_start, "end": source_at_end, "sittings": sitting_sources(sittings)}
    if source_changed(source):
        log(f"warning: textgan's source changed while {rid} ran (harness start {source_at_start}, training "
            f"sittings {', '.join(source['sittings']) or 'unrecorded'}, end {source_at_end}); its stages may have used "
            "different code (the result records every fingerprint)")
    data_info = portable_data_info((sittings[0].get("data") if sittings else None) or {},  # e.g. which oracle
                                   data_dir)                                                # weights it used
    if str(data_info.get("oracle", "")).startswith("seeded"):
        log(f"warning: {rid} trained on a seeded N(0,1) oracle (the SeqGAN oracle's weights were not found under "
            "the data root): the published SeqGAN-oracle numbers do not apply to it, and render.py shows none")
    result = {
        "model": job.model, "data": job.data, "seed": job.seed, "grid": job.grid.name,
        "data_info": data_info,
        "protocol": evaluated["metrics"].pop("protocol"),
        "metrics": evaluated["metrics"],
        "pretrain_metrics": pretrain_record(curve),
        "curve": curve,
        **({"sweep": evaluated["sweep"]} if "sweep" in evaluated else {}),
        "wall_s": round(train_s + eval_s, 1), "train_wall_s": round(train_s, 1), "eval_wall_s": round(eval_s, 1),
        # training time as the loop measured it (evaluations excluded), across resumed sittings too
        "train_compute_s": round(curve[-1].get("elapsed_s", 0.0), 1) if curve else None,
        "hardware": hardware(), "git_sha": git_sha(),
        # the package's source when the job started and ended and at each training sitting, earlier ones
        # included (runs.source_fingerprint): they differ when the code was edited while the run went on,
        # so its stages may have run different code
        "source": source,
        "command": "python -m textgan.train " + " ".join(job.train_args()),
        "config": evaluated["config"], "config_hash": chash,
        "sizes": evaluated["sizes"],
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=1) + "\n")
    tmp.replace(out)  # never leave a half-written result that a later call would skip on
    log(f"wrote {out}")
    return out
