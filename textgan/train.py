"""Training CLI: `python -m textgan.train --model NAME [--data NAME|PATH] [key=value ...]`.

Thin by design: it parses arguments, resolves the config (defaults <- --config YAML <- flags <-
key=value overrides), prepares the run directory, and hands over to the shared loop.
Run with `--list` for the models and data sets, `--help` for the flags, `--show-config` for every config
key of a run (value, meaning, allowed values; `textgan.config_help`).
Under `torchrun --nproc_per_node=N -m textgan.train ...` every process runs this; rank 0 alone prepares
the run directory and prints (see `textgan/distributed.py`).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from textgan.checkpoint import WeightsDoNotFit
from textgan.config import (
    dotted_items,
    flatten,
    load_yaml,
    merge_dict,
    parse_override,
    set_value,
    validate,
    without_init_only,
)
from textgan.config_help import as_override
from textgan.data.key_scope import check_data_keys
from textgan.data.labels import LABELLED_DATA_HINT
from textgan.data.sources import (
    DATA_SETS,
    DATA_SOURCES,
    NAMED_TEXT,
    DataBundle,
    check_labels_setting,
    expected_kind,
    is_labelled,
    load_data,
    looks_like_path,
)
from textgan.data.vocab import load_vocab
from textgan.distributed import Distributed, init_distributed, rank_seed, shard, shutdown
from textgan.errors import CliParser, UserError, cli_entry
from textgan.evaluation import make_evaluator
from textgan.gans.base import TrainContext
from textgan.guards import TrainingInterrupted
from textgan.loop import Trainer, resolve_device, seed_everything
from textgan.nn import check_kind_sections
from textgan.registry import all_models, check_keys_in_use, check_keys_read, get_model, make_config, unread_leaves
from textgan.runs import RunDir, load_run_config, with_data_paths_found
from textgan.sampling import check_decode_length

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    p = CliParser(prog="python -m textgan.train", description="Train a text GAN (or the MLE baseline).")
    p.add_argument("--model", help="model name (see --list)")
    p.add_argument("--config", help="YAML file of config overrides (e.g. configs/seqgan.yaml)")
    all_models()  # model packages register their data sources (ring8, grid25, digits) on import
    p.add_argument("--data", help=f"data set ({', '.join(DATA_SETS)}) or a text file, one sentence a line")
    p.add_argument("--data-dir", help="data root (default: $TEXTGAN_DATA_DIR, else ./data)")
    p.add_argument("--run-dir", help="run directory (default: runs/<model>-<data>-seed<seed>)")
    p.add_argument("--seed", type=int, help="random seed (config key seed)")
    p.add_argument("--resume", action="store_true", help="continue the run in --run-dir from its last checkpoint")
    p.add_argument("--overwrite", action="store_true", help="delete an existing run in the run directory first")
    p.add_argument("--list", action="store_true", help="list models and data sets, then exit")
    p.add_argument("--show-config", action="store_true",
                   help="print every config key of the run these flags describe (its value, what it does, its "
                        "allowed values, and the model's default where it differs), then exit without training")
    p.add_argument("overrides", nargs="*", metavar="key=value", help="config overrides, e.g. mle.epochs=10")
    return p


def print_list() -> None:
    print("models:")
    for name, spec in all_models().items():
        print(f"  {name:<12} {spec.description}  [{spec.paper}]")
    print("data sets:")
    for name in DATA_SETS:
        print(f"  {name}")
    print("  PATH         any text file, one sentence per line (data.test=PATH for a test file)")


def _default_run_dir(cfg) -> Path:
    data = Path(cfg.data.name).stem if cfg.data.name not in DATA_SETS else cfg.data.name
    return Path("runs") / f"{cfg.model}-{data}-seed{cfg.seed}"


# the data keys that name files; a run reads them again on every resume and evaluation
DATA_FILE_KEYS = ("data.name", "data.test", "data.class_files", "data.oracle.params")


def moved_file_hint(key: str, data_cfg: Any, run_path: Path) -> str:
    """For a data file key a resume may not change: where the run reads the file (found as
    `with_data_paths_found` finds it), since the usual reason to change it is that the file moved. Empty for
    other keys and for values that name a data set, not a file."""
    if key not in DATA_FILE_KEYS:
        return ""
    found = with_data_paths_found(data_cfg, run_path)
    paths = {"data.name": [found.name], "data.test": [found.test] if found.test else [],
             "data.oracle.params": [found.oracle.params],
             "data.class_files": [entry.split("=", 1)[-1] for entry in found.class_files]}[key]
    paths = [str(Path(path).resolve()) for path in paths if looks_like_path(str(path))]
    return f"; if the file moved, put it (or a link to it) back where the run reads it: {', '.join(paths)}" \
        if paths else ""


def resolve_config(args: argparse.Namespace):
    """(config, run directory) from the flags; on --resume the saved config is the base. A key the user sets
    (--config, key=value) that the model never reads is refused (`ModelSpec.unread_keys`); the saved config
    of a resumed run is not checked (it holds every key)."""
    overrides = [parse_override(o) for o in args.overrides]
    if args.resume:
        if not args.run_dir:
            raise UserError("--resume needs --run-dir (the run directory to continue)")
        if args.config:  # the run's saved config is the base: a second file would silently change it
            raise UserError("--config is not read on --resume (the run continues with its saved config.yaml); "
                            "change a budget with key=value, e.g. mle.epochs=40 (MLE) or adversarial.rounds=40")
        run_path = Path(args.run_dir)
        spec, cfg = load_run_config(run_path)
        file_config: dict[str, Any] = {}
        if args.model and args.model != spec.name:
            raise UserError(f"run directory '{run_path}' holds a '{spec.name}' run, not '{args.model}'")
        if args.data and args.data != cfg.data.name:
            raise UserError(f"run directory '{run_path}' was trained on '{cfg.data.name}'; resume without --data"
                            f"{moved_file_hint('data.name', cfg.data, run_path)}")
    else:
        saved = load_yaml(args.config) if args.config else {}
        file_config = saved
        model = args.model or saved.get("model")
        if not model:
            raise UserError("no model given; pass --model NAME (see --list)")
        if args.model and saved.get("model") not in (None, args.model):
            raise UserError(f"config file '{args.config}' is for model '{saved['model']}', not '{args.model}'")
        spec = get_model(str(model))
        check_keys_read(spec, dotted_items(saved), where=f"'{args.config}'")
        cfg = make_config(spec)
        merge_dict(cfg, saved)
        if args.data:
            cfg.data.name = args.data
        run_path = None
    if args.seed is not None:
        if args.resume and args.seed != cfg.seed:  # the same seed again (a repeated command) is no change
            raise UserError(f"--seed cannot change when resuming; the run continues with its own seed ({cfg.seed})")
        cfg.seed = args.seed
    saved = flatten(cfg) if args.resume else {}  # the run's own values, before any override
    for key, value in overrides:
        check_keys_read(spec, dotted_items({key: value}))  # a mapping value sets the keys inside it
        if args.resume and key.split(".")[0] in ("model", "seed", "data", "generator"):
            changed = [k for k, v in dotted_items({key: value}).items() if k in saved and saved[k] != v]
            if changed:  # repeating the run's own value (the same command plus --resume) changes nothing
                raise UserError(f"'{changed[0]}' cannot change when resuming (it would not fit the saved run); "
                                f"the run has {changed[0]}={as_override(saved[changed[0]])}"
                                f"{moved_file_hint(changed[0], cfg.data, run_path)}")
        set_value(cfg, key, value)
    validate(cfg)
    if not args.resume and data_fits_model(spec, cfg.data):  # a new run's data keys must fit its data set
        # keys at their default value change nothing (a run's saved config.yaml holds every key); a config file
        # that names its data set is not checked against another one that --data / data.name chose (its data
        # keys are still applied: docs/reliability.md)
        defaults, now = flatten(make_config(spec)), flatten(cfg)
        file_data = file_config.get("data")
        file_name = file_data.get("name") if isinstance(file_data, dict) else None
        set_now = {k: now.get(k) for key, value in overrides for k in dotted_items({key: value})}
        in_file = {} if file_name and cfg.data.name != file_name else dotted_items(file_config)
        for values, where in ((set_now, ""), (in_file, f" (set in '{args.config}')")):
            check_data_keys([k for k, v in values.items() if k in defaults and v != defaults[k]],
                            cfg.data.name, cfg.data.labels, NAMED_TEXT, where)
    if hasattr(cfg, "generator"):
        check_kind_sections(cfg.generator.kind, [k for key, value in overrides for k in dotted_items({key: value})])
    if not args.resume:  # a saved run is not refused what it was started with
        check_keys_in_use(spec, cfg)
    if spec.check_config is not None:
        spec.check_config(cfg)
    return spec, cfg, run_path or Path(args.run_dir or _default_run_dir(cfg))


def changed_settings(before: Mapping[str, Any], after: Mapping[str, Any], budgets: set[str]) -> list[str]:
    """The settings a resume changes other than a budget (eval.temperature, adversarial.rollouts, ...), as
    "key old -> new": a resume says so, since config.yaml then holds the new value while the evaluations and
    iterations before it used the old one (run_info.jsonl keeps each sitting's command)."""
    return [f"{key} {as_override(before[key])} -> {as_override(value)}" for key, value in after.items()
            if key in before and before[key] != value and key not in budgets]


def nothing_to_train(last: Any, run: RunDir, step: int, patience_selects: bool) -> str:
    """What a resume that trains nothing says: how to train further, unless train.patience (`patience_selects`:
    it watches the last phase) ended that phase early (its budget does not extend a stopped phase)."""
    trained = [r.get("iteration", 0) for r in run.read_metrics() if r.get("phase") == last.name]
    if patience_selects and trained and max(trained) < last.iterations:
        return (f"nothing to train: train.patience ended phase '{last.name}' at {last.unit} {max(trained)} of "
                f"{last.iterations}, and a resume does not continue a stopped phase; the run's config is unchanged "
                "— to train longer, start a new run (another --run-dir) with a larger train.patience")
    budget = f"{last.budget_key}=N" if last.budget_key else f"the {last.name} phase's budget"
    return (f"nothing to train: the checkpoint at step {step} already completes the schedule, and the run's config "
            f"is unchanged (settings given now were not applied); raise a budget (e.g. {budget}) to train further")


def check_run_dir(run: RunDir, resume: bool, overwrite: bool) -> None:
    """Refuse a run directory that does not fit the flags, before anything is loaded or written."""
    if resume and overwrite:
        raise UserError("--resume and --overwrite contradict each other; pass --resume to continue the run, "
                        "or --overwrite to replace it")
    # a run that stopped before its first checkpoint (or is still before it) cannot be continued, only redone;
    # if it was replacing another run (killed mid-start), that run waits in .replaced/
    unsaved = (run.holds_run() or run.replaced.is_dir()) and not run.has_checkpoint()
    kept = (f"; the run it was replacing is kept in '{run.replaced}' (move its files back to restore it)"
            if run.replaced.is_dir() else "")
    if resume:
        if not run.has_checkpoint():
            redo = ("; it stopped before saving one: start it again with --overwrite instead of --resume"
                    if unsaved else "")
            raise UserError(f"run directory '{run.path}' has no checkpoint to resume from{redo}{kept}")
        return
    if run.holds_run() or run.has_checkpoint() or unsaved:
        if overwrite:
            return
        if unsaved:
            raise UserError(f"run directory '{run.path}' holds a run that saved no checkpoint (it stopped before "
                            "its first, or is still running); pass --overwrite to start it again, or --run-dir for a "
                            f"new one{kept}")
        raise UserError(f"run directory '{run.path}' already holds a run; pass --resume to continue it, "
                        "--overwrite to replace it, or --run-dir for a new one")
    # not a run, but a new one would write over these (an empty folder, e.g. the samples/ of a start killed at
    # once, holds nothing to lose)
    clash = [name for name in run.run_entries()
             if not ((run.path / name).is_dir() and not any((run.path / name).iterdir()))]
    if clash:
        raise UserError(f"run directory '{run.path}' is not a run but holds {', '.join(repr(c) for c in clash)}, "
                        "which a run would write over; choose another --run-dir")


def replace_run_dir(run: RunDir) -> None:
    """A new run's directory. An old run there (--overwrite, checked by `check_run_dir`) is set aside, to be
    deleted once the new run saves its first checkpoint or put back if it fails before. Called only once the
    data, the model and its trainer have been built; files that are not a run's are never touched."""
    if run.holds_run() or run.has_checkpoint() or run.replaced.is_dir():
        run.set_aside()
    run.create()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The training CLI's flags, with `key=value` overrides anywhere among them."""
    return build_parser().parse_intermixed_args(argv)


def run_training(argv: list[str] | None) -> Path | None:
    """The training CLI without its error handling: returns the run directory (None for `--list` and
    `--show-config`).

    Raises `UserError` on bad input and `TrainingInterrupted` when SIGINT / SIGTERM stopped the run after
    it saved a checkpoint (its message, printed here on the main process, says how to continue).
    """
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s", stream=sys.stderr)
    if args.list:
        print_list()
        return None
    spec, cfg, run_path = resolve_config(args)
    if args.show_config:
        from textgan.config_help import describe

        print(f"# {spec.name}: the resolved config (defaults <- --config <- flags <- key=value); change a key "
              "with key=value")
        if hidden := unread_leaves(spec, cfg):
            sections = ", ".join(dict.fromkeys(key.split(".")[0] for key in hidden))
            print(f"# {len(hidden)} keys of {sections} are not read by {spec.name} and not "
                  "shown; setting one is an error")
        print("\n".join(describe(cfg, defaults=make_config(spec), hide=tuple(spec.unread_keys),
                                  key_help=spec.key_help)))
        return None
    dist, device_name = init_distributed(cfg.train.device, cfg.train.dist_timeout_s)
    try:
        train(args, argv, spec, cfg, RunDir(run_path), dist, device_name)
        return run_path
    except TrainingInterrupted as err:
        if dist.is_main:
            print(str(err), file=sys.stderr)
        raise
    except OSError as err:  # a write into the run directory failed (checkpoint writes report themselves)
        where = f"'{err.filename}'" if err.filename else f"the run directory '{run_path}'"
        if RunDir(run_path).has_checkpoint():
            then = "the last checkpoint is intact — fix the cause (e.g. free disk space) and continue with --resume"
        else:
            then = ("no checkpoint was written — fix the cause (e.g. free disk space, a shorter --run-dir) and "
                    "start again")
        raise UserError(f"cannot write {where} ({err.strerror or err}); {then}") from None
    finally:
        shutdown(dist)


@cli_entry
def main(argv: list[str] | None = None) -> int:
    try:
        run_training(argv)
    except TrainingInterrupted as err:  # SIGINT / SIGTERM: a checkpoint was saved first
        return err.exit_code
    return 0


def train_model(model: str | None = None, *, data: str | Path | None = None, config: str | Path | None = None,
                run_dir: str | Path | None = None, seed: int | None = None,
                overrides: Mapping[str, Any] | None = None, resume: bool = False, overwrite: bool = False,
                data_dir: str | Path | None = None) -> Path:
    """Train (or with `resume=True` continue) a run from Python, as `python -m textgan.train` would.

    `overrides` maps config keys to values ({"mle.epochs": 3, "discriminator.filter_sizes": [2, 3]}).
    Returns the run directory; `textgan.runs.load_run` loads it. Raises `textgan.errors.UserError` with
    the CLI's one-line message on bad input, and `textgan.guards.TrainingInterrupted` when a signal
    stopped training after a checkpoint was saved.
    """
    if overrides is not None and not isinstance(overrides, Mapping):
        raise UserError(f"overrides must map config keys to values, e.g. {{'mle.epochs': 3}}; got "
                        f"{type(overrides).__name__} {overrides!r}")
    for flag, value in (("resume", resume), ("overwrite", overwrite)):
        if not isinstance(value, bool):
            raise UserError(f"{flag} must be True or False, got {value!r}")
    argv: list[str] = []
    for flag, value in (("--model", model), ("--data", data), ("--config", config), ("--run-dir", run_dir),
                        ("--seed", seed), ("--data-dir", data_dir)):
        if value is not None:
            argv += [flag, str(value)]
    argv += ["--resume"] * resume + ["--overwrite"] * overwrite
    for key, value in (overrides or {}).items():
        # one YAML flow scalar / list, so that every value reads back as the same type ('off' stays a string)
        argv.append(f"{key}={as_override(value)}")
    return run_training(argv)


def data_fits_model(spec, data_cfg) -> bool:
    """Whether the model can train on the data, as far as the config tells. Where it cannot, training refuses
    it ("needs labelled data" says more than a data key would), while --show-config still prints the model's
    config (a conditional model's default data set is the oracle; its configs/ file names mr)."""
    try:
        refuse_data_of_another_kind(spec, data_cfg)
    except UserError:
        return False
    return True


def refuse_data_of_another_kind(spec, data_cfg) -> None:
    """A one-line error for data the model cannot train on, told from the data's name where it can be
    (`expected_kind`); `train` checks the loaded data's kind again for sources that did not declare theirs."""
    check_labels_setting(data_cfg)
    kind = expected_kind(data_cfg)
    if kind is not None and kind not in spec.data_kinds:
        raise wrong_kind_error(spec, data_cfg.name, kind)
    if spec.needs_labels and is_labelled(data_cfg) is False:
        raise UserError(f"model '{spec.name}' is conditional and needs labelled data; {LABELLED_DATA_HINT}")


def wrong_kind_error(spec, data_name: str, kind: str) -> UserError:
    labelled = "labelled " if spec.needs_labels else ""
    fix = LABELLED_DATA_HINT if spec.needs_labels else "python -m textgan.train --list"
    return UserError(f"model '{spec.name}' trains on {labelled}{' or '.join(spec.data_kinds)} data; --data "
                     f"'{data_name}' is {kind} data ({fix})")


def train(args: argparse.Namespace, argv: list[str] | None, spec, cfg, run: RunDir, dist: Distributed,
          device_name: str) -> None:
    say = print if dist.is_main else (lambda *a, **k: None)
    if not dist.is_main:
        logging.getLogger().setLevel(logging.WARNING)
        cfg.train.progress = False
    check_run_dir(run, args.resume, args.overwrite)
    if cfg.train.threads:
        torch.set_num_threads(cfg.train.threads)
    device = resolve_device(device_name)

    refuse_data_of_another_kind(spec, cfg.data)  # before loading: building the oracle alone takes seconds
    # plugged-in sources (continuous data) keep no vocabulary: they rebuild their data from the config
    vocab = load_vocab(run.path) if args.resume and cfg.data.name not in DATA_SOURCES else None
    # on --resume from another folder, the run's relative data paths are found from where it was started
    data = load_data(with_data_paths_found(cfg.data, run.path) if args.resume else cfg.data, args.data_dir, vocab)
    if data.kind not in spec.data_kinds:  # a plugged-in source that did not declare its kind
        raise wrong_kind_error(spec, data.name, data.kind)
    say(f"data: {data.name} {data.info}")
    # text and oracle data: a file edited between sittings would change the training set (and read new words
    # as <unk> in the saved vocabulary) without a word; the first sitting's fingerprint tells
    train_data = data.train.fingerprint() if isinstance(data, DataBundle) else None
    first = run.read_run_info()[:1] if args.resume else []
    if dist.is_main and first and first[0].get("train_data") not in (None, train_data):
        log.warning("the training data differ from the ones this run started on (fingerprint %s, now %s): the "
                    "file was edited; the run continues on the data as they are now", first[0]["train_data"],
                    train_data)
    data.train = shard(data.train, dist)  # under torchrun: this rank's share of the training corpus
    seed_everything(cfg.seed)  # the same seed everywhere: every rank builds the same initial weights
    # on --resume the checkpoint supplies every weight: build without the initialisation-only keys
    ctx = TrainContext(without_init_only(cfg) if args.resume else cfg, data, device, dist)
    algorithm = spec.algorithm(ctx)
    if isinstance(data, DataBundle):  # a generator with a length limit refuses the data now, not mid-epoch
        check_decode_length(algorithm.generator, data.seq_len)
    if dist.enabled:  # ...then each rank draws its own batches, samples and rollouts
        seed_everything(rank_seed(cfg.seed, dist.rank))
    trainer = Trainer(ctx, algorithm, run, make_evaluator(data, cfg.eval))
    # Nothing in the run directory changes before this point: bad data, config or checkpoint input leaves
    # an existing run as it was (an --overwrite target included).
    if not args.resume:
        if dist.is_main:
            replace_run_dir(run)
        dist.barrier()
    else:
        budgets = {phase.budget_key for phase in algorithm.phases() if phase.budget_key}
        changed = changed_settings(flatten(load_run_config(run.path)[1]), flatten(cfg), budgets)
        try:  # refuses a checkpoint of another model or vocabulary before the files below change
            trainer.restore()
        except WeightsDoNotFit as err:  # an architecture setting changed on resume (conditional.*, nets.*, ...)
            if not changed:
                raise
            raise WeightsDoNotFit(err.source, err.network, err.misfit, f"this resume changes {', '.join(changed)}: "
                                  "drop any that shapes the networks (it cannot change on resume)") from None
        # a budget raised is what resume is for; any other change is said, unless nothing is left to train
        # (then no setting is applied, and the closing message says so)
        if dist.is_main and trainer.schedule_left() and changed:
            log.warning("resuming with changed settings: %s; what this run trained and evaluated before used the old "
                        "values, and its metrics.jsonl does not mark where they changed (run_info.jsonl records each "
                        "sitting's command)", ", ".join(changed))
    saved_config = None  # on --resume: the run's config.yaml as it was, put back if nothing is trained
    try:  # from here on, a failure before the new run's first checkpoint puts a replaced run back
        if dist.is_main:
            saved_config = (run.path / "config.yaml").read_text() if args.resume else None
            run.save_config(cfg)  # on --resume too: budgets raised by overrides (mle.epochs=...) must persist
            if not args.resume:
                data.vocab.save(run.path)
            run.write_run_info({"argv": sys.argv[1:] if argv is None else argv, "device": str(device),
                                # relative data paths in the config are relative to this folder (resume and
                                # evaluate find them from elsewhere: runs.with_data_paths_found)
                                "cwd": os.getcwd(), "train_data": train_data,
                                "torch": torch.__version__, "threads": torch.get_num_threads(), "data": data.info,
                                # the instruction set of torch's CPU kernels: runs on machines whose kernels
                                # differ round differently and agree only to the seed spread
                                "cpu_capability": torch.backends.cpu.get_cpu_capability(),
                                "world_size": dist.world_size,
                                # the schedule as the loop will run it: tools read each phase's unit from here
                                "phases": [{"name": ph.name, "unit": ph.unit, "iterations": ph.iterations}
                                           for ph in algorithm.phases()]})
        n_params = sum(p.numel() for p in algorithm.generator.parameters())
        procs = f" x {dist.world_size} processes" if dist.enabled else ""
        say(f"model: {spec.name} ({n_params:,} generator parameters) on {device}{procs}; run directory: {run.path}")
        final = trainer.fit()
    except BaseException as err:  # e.g. a config error found at the first evaluation
        if dist.is_main and not args.resume and run.restore_replaced() and isinstance(err, OSError):
            # not "the last checkpoint is intact; --resume": that would continue the old run, not start this one
            raise UserError(f"cannot write '{err.filename or run.path}' ({err.strerror or err}); the run --overwrite "
                            "was replacing is back as it was — fix the cause (e.g. free disk space) and run the "
                            "command again") from None
        raise
    if not final:  # a resumed run whose schedule its checkpoint already covers
        if dist.is_main and saved_config is not None:  # overrides of a resume that trains nothing change nothing
            run.write_config_text(saved_config)        # (they would mislabel the run's evaluations)
        last = algorithm.phases()[-1]
        may_have_stopped = bool(cfg.train.patience) and trainer.best.selects(last.name)
        say(nothing_to_train(last, run, trainer.progress["step"], may_have_stopped))
        return
    shown = {k: v for k, v in final.items() if k not in ("phase", "iteration", "step")}
    say(f"done: {shown}")
    say(f"sample with: python -m textgan.sample --run {run.path}")


if __name__ == "__main__":
    sys.exit(main())
