"""Every model trained, resumed, sampled and evaluated on a device, in one short process: the GPU check.

The test suite runs on CPUs only (`tests/test_device.py` keeps the decoding and training code on one device
by running it on PyTorch's "meta" device). When a GPU is at hand, this script is the check that the real
thing works there, in a few minutes:

    python benchmarks/gpu_check.py [--device cuda] [--cases seqgan,leakgan,...] [--out gpu_check.json]

For each test-sized config of `configs/tiny/` (the oracle ones on their tiny seeded oracle, the text and
labelled ones on a small corpus this script writes) it calls the real CLI entry points in this process (one
CUDA initialisation for all of them):

1. `textgan.train` with `train.device=<device>`;
2. `textgan.train --resume` with the last phase's budget one higher: the checkpoint written on the device is
   read back and training goes on there;
3. `textgan.sample` and `textgan.evaluate`, which load the run on the CPU: a checkpoint written on the device
   loads without it;
4. where the run's evaluation reports NLL-test (teacher-forced, no sampling, so it does not depend on the
   device's random numbers), the value the loop computed on the device against the one `textgan.evaluate`
   computes on the CPU from the same checkpoint: they must agree to `--tolerance` (relative; the device's
   kernels may round differently, e.g. in TF32).

It prints one line per case and writes every result (seconds per step, the NLL pair, the error of a failed
step) to `--out`; the exit status is 1 when any case failed. `--device cpu` runs the same checks on a
machine without a GPU (the test suite does, on two cases).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.machine import hardware  # noqa: E402
from textgan.runs import RunDir, git_sha  # noqa: E402

TINY = ROOT / "configs" / "tiny"
# the budget of each model's last phase, the first of these its config has (resume trains one more of it)
LAST_PHASE_BUDGETS = ("adversarial.rounds", "adversarial.steps", "gan.iterations", "mle.epochs")
NOUNS = ["film", "movie", "plot", "cast", "story", "scene", "score", "script"]
ADJECTIVES = {"positive": ["good", "great", "fine", "lovely"], "negative": ["bad", "awful", "poor", "dull"]}


def write_corpus(folder: Path) -> dict[str, Path]:
    """A small text corpus (train / test, one sentence a line) and a labelled one (`label<TAB>sentence`)."""
    lines = [f"a {adj} {noun} , really {adj} ." for adjs in ADJECTIVES.values() for adj in adjs for noun in NOUNS]
    paths = {"train": folder / "train.txt", "test": folder / "test.txt", "labelled": folder / "labelled.tsv"}
    paths["train"].write_text("\n".join(lines[::2] + lines[1::4]) + "\n", encoding="utf-8")
    paths["test"].write_text("\n".join(lines[3::4]) + "\n", encoding="utf-8")
    labelled = [f"{label}\ta {adj} {noun} , really {adj} ." for label, adjs in ADJECTIVES.items()
                for adj in adjs for noun in NOUNS]
    paths["labelled"].write_text("\n".join(labelled) + "\n", encoding="utf-8")
    return paths


def data_flags(config: dict[str, Any], corpus: dict[str, Path]) -> list[str]:
    """The `--data` flags a tiny config asks for: a labelled file, a text file with its test file, or none."""
    data = config.get("data") or {}
    if data.get("labels"):
        return ["--data", str(corpus["labelled"])]
    if data.get("name") in (None, "text"):
        return ["--data", str(corpus["train"]), f"data.test={corpus['test']}"]
    return []


def last_phase_budget(run_dir: Path) -> tuple[str, int]:
    """(key, value) of the budget of the run's last phase, read from its saved config."""
    saved = yaml.safe_load((run_dir / "config.yaml").read_text())
    for key in LAST_PHASE_BUDGETS:
        section, name = key.split(".")
        if name in (saved.get(section) or {}):
            return key, int(saved[section][name])
    raise KeyError(f"none of {LAST_PHASE_BUDGETS} in {run_dir / 'config.yaml'}")


def call(entry: Any, argv: list[str]) -> tuple[int, str]:
    """Run a CLI `main(argv)` in this process -> (exit status, its stderr's last line on failure)."""
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        try:
            status = entry(argv)
        except SystemExit as exit_:  # argparse
            status = exit_.code if isinstance(exit_.code, int) else 1
    lines = err.getvalue().strip().splitlines()
    return status, (lines[-1] if lines and status else "")


def check_case(name: str, device: str, workdir: Path, corpus: dict[str, Path], tolerance: float) -> dict[str, Any]:
    """The four steps of the module docstring for configs/tiny/<name>.yaml; stops at the first that fails."""
    from textgan.evaluate import main as evaluate_main
    from textgan.registry import get_model
    from textgan.sample import main as sample_main
    from textgan.train import main as train_main

    config = TINY / f"{name}.yaml"
    settings = yaml.safe_load(config.read_text())
    text = getattr(get_model(settings["model"]).algorithm, "sample_cli", None) is None  # image GANs: no evaluate
    run_dir = workdir / name
    result: dict[str, Any] = {"case": name, "ok": False, "seconds": {}}
    steps = [("train", train_main, ["--config", str(config), "--run-dir", str(run_dir), "--overwrite",
                                    *data_flags(settings, corpus),
                                    f"train.device={device}"]),
             ("resume", train_main, None),
             ("sample", sample_main, ["--run", str(run_dir), "--num", "4", "--seed", "0",
                                      *([] if text else ["--out", str(workdir / f"{name}.png")])])]
    if text:  # the image GANs' metrics are computed by the loop only
        steps.append(("evaluate", evaluate_main, ["--run", str(run_dir), "--num", "16", "--json",
                                                  str(workdir / f"{name}.json")]))
    evaluations = 0
    for step, entry, argv in steps:
        if step == "resume":  # built once the run exists: its last phase gets one more iteration
            key, value = last_phase_budget(run_dir)
            argv = ["--resume", "--run-dir", str(run_dir), f"{key}={value + 1}"]
            evaluations = len(RunDir(run_dir).read_metrics())
        t0 = time.perf_counter()
        status, error = call(entry, argv)
        result["seconds"][step] = round(time.perf_counter() - t0, 2)
        if status == 0 and step == "resume" and len(RunDir(run_dir).read_metrics()) <= evaluations:
            status, error = None, f"the resumed run trained no further {key} (no new evaluation)"
        if status != 0:
            result["failed"] = {"step": step, "status": status, "error": error}
            return result
    if not text:
        result["ok"] = True
        return result
    on_device = RunDir(run_dir).read_metrics()[-1].get("nll_test")
    on_cpu = json.loads((workdir / f"{name}.json").read_text()).get("nll_test")
    if isinstance(on_device, float) and isinstance(on_cpu, float):
        result["nll_test"] = {"device": on_device, "cpu": on_cpu}
        if abs(on_device - on_cpu) > tolerance * abs(on_cpu):
            result["failed"] = {"step": "nll_test parity", "status": None,
                                "error": f"NLL-test {on_device:.6f} on {device}, {on_cpu:.6f} on the CPU"}
            return result
    result["ok"] = True
    return result


def summary_line(r: dict[str, Any]) -> str:
    if not r["ok"]:
        f = r["failed"]
        return f"FAIL {r['case']}: {f['step']}: {f['error']}"
    parity = f", NLL-test {r['nll_test']['device']:.5f} / {r['nll_test']['cpu']:.5f}" if "nll_test" in r else ""
    return f"ok   {r['case']}: " + ", ".join(f"{k} {v:.1f} s" for k, v in r["seconds"].items()) + parity


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python benchmarks/gpu_check.py", description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cuda", choices=["cuda", "cpu"], help="where training runs (default cuda)")
    p.add_argument("--cases", default=None,  # a config's stem: mle_text, seqgan_transformer, ...
                   help="comma-separated names of configs/tiny/*.yaml (default: all of them)")
    p.add_argument("--out", type=Path, default=None, help="write the results as JSON")
    p.add_argument("--tolerance", type=float, default=1e-3,
                   help="allowed relative NLL-test difference between the device and the CPU (default 1e-3)")
    args = p.parse_args(argv)
    known = sorted(path.stem for path in TINY.glob("*.yaml"))
    cases = args.cases.split(",") if args.cases else known
    unknown = sorted(set(cases) - set(known))
    if unknown:
        p.error(f"unknown case(s) {', '.join(unknown)}; known: {', '.join(known)}")
    if args.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            p.error("no CUDA device is available; use --device cpu to run the checks on the CPU")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        corpus = write_corpus(work)
        for name in cases:
            results.append(check_case(name, args.device, work, corpus, args.tolerance))
            print(summary_line(results[-1]), flush=True)
    report = {"device": args.device, "git": git_sha(), "hardware": hardware(), "results": results}
    if args.out:
        args.out.write_text(json.dumps(report, indent=1) + "\n")
    failed = [r["case"] for r in results if not r["ok"]]
    print(f"{len(results) - len(failed)} of {len(results)} cases passed" + (f"; failed: {', '.join(failed)}"
                                                                           if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
