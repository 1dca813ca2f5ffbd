"""Speed benchmark: textgan.metrics BLEU-2..5 / self-BLEU-2..5 versus nltk, on COCO captions.

Run by hand (not in CI):

    python benchmarks/bench_metrics.py [--data-dir DIR] [--num 10000] [--nltk-subset 50]

Data: DIR (default $TEXTGAN_DATA_DIR, else data/) must hold coco/train.txt and coco/test.txt.
Every line is lowercased and split on whitespace (punctuation stays attached, e.g. "garage.").
Hypotheses are the first --num train lines, references all test lines (10,000 for COCO).

Measures: our BLEU-2..5 of the hypotheses against all references and our self-BLEU-2..5 of the
hypotheses (wall time with time.perf_counter; process peak RSS from getrusage, taken before nltk
runs). nltk is far too slow to run on everything, so it scores the first --nltk-subset hypotheses
(same references; for self-BLEU the subset's samples against all the other --num samples) with one
`sentence_bleu` call per hypothesis and a list of the four weight tuples (nltk's own way to get
several orders in one pass); its per-hypothesis time is extrapolated linearly to --num. Our
per-hypothesis values on that subset must equal nltk's to 1e-9, else the script exits with 1.
Writes benchmarks/results/metrics_speed.json and metrics_speed.md.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import resource
import sys
import time
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script from anywhere without installing the package

from benchmarks.machine import cpu_summary, hardware
from textgan.data.paths import resolve_data_root
from textgan.metrics.bleu import bleu_per_hypothesis, self_bleu_per_sample

MAX_N = 5
TOL = 1e-9
RESULTS = REPO / "benchmarks" / "results"


def read_lines(path: Path, limit: int | None = None) -> list[list[str]]:
    """Whitespace tokens of each lowercased line (empty lines kept as empty sentences)."""
    with path.open(encoding="utf-8") as f:
        lines = [line.lower().split() for line in f]
    return lines if limit is None else lines[:limit]


def peak_rss_mib() -> float:
    # Linux reports ru_maxrss in KiB (macOS in bytes).
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def nltk_rows(reference_sets, hypotheses) -> tuple[np.ndarray, float]:
    """nltk BLEU-2..5 of each hypothesis against its reference set; returns (values, seconds)."""
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

    smooth = SmoothingFunction().method1
    weights = [(1 / n,) * n for n in range(2, MAX_N + 1)]
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        start = time.perf_counter()
        for refs, hyp in zip(reference_sets, hypotheses):
            rows.append(sentence_bleu(refs, hyp, weights=weights, smoothing_function=smooth))
        seconds = time.perf_counter() - start
    return np.array(rows, dtype=np.float64).reshape(len(hypotheses), MAX_N - 1), seconds


def version(pkg: str) -> str:
    # Read from metadata so that torch is not imported (it would inflate the measured RSS).
    try:
        return importlib.metadata.version(pkg)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def cpu_info() -> dict:
    """The project's machine description plus the CPUs this process may use (affinity can be below the count)."""
    info = hardware()
    if hasattr(os, "sched_getaffinity"):
        info["usable_cpus"] = len(os.sched_getaffinity(0))
    return info


def write_markdown(res: dict, path: Path) -> None:
    cpu = res["cpu"]
    rows = [
        ("BLEU-2..5", res["ours_bleu_s"], res["nltk_bleu_s_extrapolated"], res["speedup_bleu"]),
        ("self-BLEU-2..5", res["ours_self_bleu_s"], res["nltk_self_bleu_s_extrapolated"],
         res["speedup_self_bleu"]),
    ]
    lines = [
        "# BLEU / self-BLEU speed (textgan.metrics vs nltk)",
        "",
        (f"Data: COCO captions, {res['n_hypotheses']} train lines as hypotheses/samples, "
         f"{res['n_references']} test lines as references; lowercased, whitespace tokens. "
         f"nltk timed on {res['nltk_subset']} hypotheses and extrapolated linearly."),
        "",
        "| metric | ours (s) | nltk extrapolated (s) | speedup |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {name} | {ours:.3f} | {ref:.1f} | {speed:,.0f}x |" for name, ours, ref, speed in rows]
    lines += [
        "",
        (f"- nltk per hypothesis: BLEU {res['nltk_bleu_s_per_hyp']:.4f} s, "
         f"self-BLEU {res['nltk_self_bleu_s_per_hyp']:.4f} s"),
        f"- peak RSS (ours, whole process): {res['peak_rss_mib']:.1f} MiB",
        f"- max |ours - nltk| on the subset: {res['max_abs_diff_vs_nltk']:.2e}",
        (f"- hardware: {cpu_summary(cpu)}, usable CPUs={cpu.get('usable_cpus', '?')}; "
         f"{cpu['platform']}, Python {cpu['python']}"),
        (f"- versions: numpy {res['numpy_version']}, nltk {res['nltk_version']}, "
         f"torch {res['torch_version']}"),
        f"- command: `{res['command']}` (hypotheses {res['data_files']['hypotheses']}, references "
        f"{res['data_files']['references']} under the data root)",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data-dir", default=None,
                        help="data root holding coco/ (default: $TEXTGAN_DATA_DIR, else data/)")
    parser.add_argument("--num", type=int, default=10000, help="number of hypotheses/samples")
    parser.add_argument("--nltk-subset", type=int, default=50,
                        help="hypotheses scored by nltk for timing and parity")
    args = parser.parse_args(argv)

    coco = resolve_data_root(args.data_dir) / "coco"
    for name in ("train.txt", "test.txt"):
        if not (coco / name).is_file():
            print(f"error: {coco / name} not found (set --data-dir or TEXTGAN_DATA_DIR)",
                  file=sys.stderr)
            return 2
    hyps = read_lines(coco / "train.txt", args.num)
    refs = read_lines(coco / "test.txt")
    n_hyp, n_ref = len(hyps), len(refs)
    subset = max(1, min(args.nltk_subset, n_hyp))

    start = time.perf_counter()
    ours_bleu = bleu_per_hypothesis(hyps, refs, MAX_N)
    ours_bleu_s = time.perf_counter() - start
    start = time.perf_counter()
    ours_self = self_bleu_per_sample(hyps, MAX_N)
    ours_self_s = time.perf_counter() - start
    peak = peak_rss_mib()  # before nltk runs, so it reflects our metrics (plus data and imports)

    nltk_bleu, nltk_bleu_s = nltk_rows([refs] * subset, hyps[:subset])
    loo_refs = (hyps[:i] + hyps[i + 1:] for i in range(subset))
    nltk_self, nltk_self_s = nltk_rows(loo_refs, hyps[:subset])
    diff = max(float(np.abs(ours_bleu[:subset] - nltk_bleu).max()),
               float(np.abs(ours_self[:subset] - nltk_self).max()))

    res = {
        # files named relative to the data root, so results carry no machine paths
        "data_files": {"hypotheses": "coco/train.txt", "references": "coco/test.txt"},
        "n_hypotheses": n_hyp,
        "n_references": n_ref,
        "nltk_subset": subset,
        "ours_bleu_s": ours_bleu_s,
        "ours_self_bleu_s": ours_self_s,
        "nltk_bleu_s_per_hyp": nltk_bleu_s / subset,
        "nltk_self_bleu_s_per_hyp": nltk_self_s / subset,
        "nltk_bleu_s_extrapolated": nltk_bleu_s / subset * n_hyp,
        "nltk_self_bleu_s_extrapolated": nltk_self_s / subset * n_hyp,
        "speedup_bleu": nltk_bleu_s / subset * n_hyp / ours_bleu_s,
        "speedup_self_bleu": nltk_self_s / subset * n_hyp / ours_self_s,
        "peak_rss_mib": peak,
        "max_abs_diff_vs_nltk": diff,
        "bleu_mean": {n: float(ours_bleu[:, n - 2].mean()) for n in range(2, MAX_N + 1)},
        "self_bleu_mean": {n: float(ours_self[:, n - 2].mean()) for n in range(2, MAX_N + 1)},
        "torch_version": version("torch"),
        "numpy_version": np.__version__,
        "nltk_version": version("nltk"),
        "cpu": cpu_info(),
        "command": " ".join(["python", *sys.argv]),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "metrics_speed.json").write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    write_markdown(res, RESULTS / "metrics_speed.md")

    print(f"{'metric':<16}{'ours (s)':>10}{'nltk extrap. (s)':>18}{'speedup':>10}")
    print(f"{'BLEU-2..5':<16}{ours_bleu_s:>10.3f}{res['nltk_bleu_s_extrapolated']:>18.1f}"
          f"{res['speedup_bleu']:>9.0f}x")
    print(f"{'self-BLEU-2..5':<16}{ours_self_s:>10.3f}{res['nltk_self_bleu_s_extrapolated']:>18.1f}"
          f"{res['speedup_self_bleu']:>9.0f}x")
    print(f"hypotheses {n_hyp}, references {n_ref}, nltk subset {subset}, "
          f"peak RSS {peak:.1f} MiB, max |ours - nltk| {diff:.2e}")
    print(f"wrote {RESULTS / 'metrics_speed.json'} and {RESULTS / 'metrics_speed.md'}")
    if not diff <= TOL:
        print(f"error: ours differs from nltk by {diff:.3e} > {TOL}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
