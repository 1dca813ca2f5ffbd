"""Speed benchmark: MLE epochs and sampling at the SeqGAN oracle shape and the COCO shape.

Run by hand (not in CI):  python benchmarks/bench_mle.py [--threads 2] [--epochs 2] [--out benchmarks/results]

Shapes: oracle = vocab 5000, length 20, 10,000 sequences, batch 64, LSTM emb 32 / hidden 32 (SeqGAN);
COCO = vocab 6,587 (train + test words + 4 specials), length 38 (37 words + EOS), 10,000 sequences,
batch 64, same generator. Data are random token ids of those shapes (speed does not depend on the
values), so the benchmark needs no data files. Reports seconds per MLE epoch, sampling time for 10,000
sequences, tokens per second, and the process's peak resident memory. Writes mle_speed.json / .md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.machine import cpu_summary, hardware  # noqa: E402
from textgan.allocator import keep_freed_memory  # noqa: E402
from textgan.data.corpus import Corpus  # noqa: E402
from textgan.gans.mle import mle_epoch  # noqa: E402
from textgan.nn import LSTMGenerator  # noqa: E402
from textgan.sampling import sample  # noqa: E402

SHAPES = {"oracle": (5000, 20), "coco": (6587, 38)}


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_shape(name: str, vocab: int, seq_len: int, n: int, epochs: int) -> dict:
    torch.manual_seed(0)
    corpus = Corpus(torch.randint(0, vocab, (n, seq_len)), torch.full((n,), seq_len))
    gen = LSTMGenerator(vocab, 32, 32)
    opt = torch.optim.Adam(gen.parameters(), lr=0.01)
    mle_epoch(gen, opt, corpus.subset(640), 64, 5.0, torch.device("cpu"))  # warm-up
    epoch_s = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        mle_epoch(gen, opt, corpus, 64, 5.0, torch.device("cpu"))
        epoch_s.append(time.perf_counter() - t0)
    sample(gen, 500, seq_len, seed=0)  # warm-up
    t0 = time.perf_counter()
    sample(gen, n, seq_len, seed=1)
    sample_s = time.perf_counter() - t0
    best = min(epoch_s)
    return {"shape": name, "vocab": vocab, "seq_len": seq_len, "sequences": n, "batch": 64,
            "mle_epoch_s": round(best, 3), "mle_epoch_s_all": [round(s, 3) for s in epoch_s],
            "mle_tokens_per_s": round(n * seq_len / best), "sample_s": round(sample_s, 3),
            "sample_tokens_per_s": round(n * seq_len / sample_s)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=2, help="timed epochs per shape (the best is reported)")
    ap.add_argument("--num", type=int, default=10000)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = ap.parse_args()
    keep_freed_memory()   # the allocator setting of the library CLIs, so timings match them
    torch.set_num_threads(args.threads)
    load_before = os.getloadavg()
    rows = [bench_shape(name, v, t, args.num, args.epochs) for name, (v, t) in SHAPES.items()]
    result = {"rows": rows, "peak_rss_mib": round(peak_rss_mib(), 1), "threads": torch.get_num_threads(),
              "hardware": hardware(),
              "load_average_before_after": [list(load_before), list(os.getloadavg())],
              "torch": torch.__version__, "command": " ".join(["python", *sys.argv]),
              "targets": {"oracle_mle_epoch_s": 3.0, "oracle_sample_10k_s": 2.0}}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "mle_speed.json").write_text(json.dumps(result, indent=1))
    lines = ["# MLE and sampling speed", "",
             f"`{result['command']}` — torch {result['torch']}, {result['threads']} threads, "
             f"{cpu_summary(result['hardware'])}; random token ids of the "
             f"benchmark shapes, LSTM generator emb 32 / hidden 32, batch 64, {args.num:,} sequences.", "",
             "| shape | vocab | length | MLE epoch (s) | MLE tokens/s | sample 10k (s) | sample tokens/s |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['shape']} | {r['vocab']} | {r['seq_len']} | {r['mle_epoch_s']} | {r['mle_tokens_per_s']:,} "
                     f"| {r['sample_s']} | {r['sample_tokens_per_s']:,} |")
    lines += ["", f"Peak resident memory of the whole process: {result['peak_rss_mib']} MiB.",
              "Targets (oracle shape, 2 cores): MLE epoch <= 3 s, 10,000 samples <= 2 s.",
              f"Load average (1, 5, 15 min) before / after: {result['load_average_before_after']} — the machine is "
              "shared, so a load above the 2 cores inflates these timings."]
    (out / "mle_speed.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
