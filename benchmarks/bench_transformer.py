"""Speed benchmark: the Transformer generator against the LSTM at the SeqGAN oracle shape.

Run by hand (not in CI):  python benchmarks/bench_transformer.py [--threads 1] [--epochs 2] [--out benchmarks/results]

Shape: vocab 5,000, length 20, 10,000 random sequences (speed does not depend on the values), batch 64.
Generators: SeqGAN's LSTM (emb 32 / hidden 32) and the Transformer of `generator.kind=transformer` with the
given sizes (default: the `generator.transformer` defaults with max_len 20). Reports per generator: its
parameter count, seconds per MLE epoch (best of `--epochs`, wall and process CPU time), sampling 10,000
sequences, and one SeqGAN reward computation (64 samples x 16 rollouts from cached states). Writes
transformer_speed.json / .md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.machine import cpu_summary, hardware  # noqa: E402
from textgan.allocator import keep_freed_memory  # noqa: E402
from textgan.data.corpus import Corpus  # noqa: E402
from textgan.gans.mle import mle_epoch  # noqa: E402
from textgan.nn import CNNDiscriminator, LSTMGenerator, TransformerConfig, TransformerGenerator  # noqa: E402
from textgan.nn.transformer_generator import gpt2_config  # noqa: E402
from textgan.rollout import rollout_rewards  # noqa: E402
from textgan.sampling import sample, sample_with_states  # noqa: E402

VOCAB, SEQ_LEN, BATCH = 5000, 20, 64


def timed(fn) -> tuple[float, float]:
    """(wall seconds, process CPU seconds) of fn()."""
    w, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w, time.process_time() - c


def bench(name: str, gen: torch.nn.Module, corpus: Corpus, epochs: int) -> dict:
    opt = torch.optim.Adam(gen.parameters(), lr=1e-3)
    cpu = torch.device("cpu")
    mle_epoch(gen, opt, corpus.subset(640), BATCH, 5.0, cpu)  # warm-up
    runs = [timed(lambda: mle_epoch(gen, opt, corpus, BATCH, 5.0, cpu)) for _ in range(epochs)]
    wall, proc = min(runs)
    gen.eval()
    sample(gen, 500, SEQ_LEN, seed=0)  # warm-up
    sample_wall, sample_cpu = timed(lambda: sample(gen, len(corpus), SEQ_LEN, seed=1))
    torch.manual_seed(0)
    disc = CNNDiscriminator(VOCAB, 64, [2, 3, 4, 5], [25, 25, 25, 25])
    tokens, states = sample_with_states(gen, BATCH, SEQ_LEN)
    reward_wall, reward_cpu = timed(lambda: rollout_rewards(gen, disc, tokens, rollouts=16, states=states))
    n_tokens = len(corpus) * SEQ_LEN
    return {"generator": name, "parameters": sum(p.numel() for p in gen.parameters()),
            "mle_epoch_s": round(wall, 3), "mle_epoch_cpu_s": round(proc, 3),
            "mle_epoch_s_all": [round(w, 3) for w, _ in runs], "mle_tokens_per_s": round(n_tokens / wall),
            "sample_10k_s": round(sample_wall, 3), "sample_10k_cpu_s": round(sample_cpu, 3),
            "rollout_rewards_64x16_s": round(reward_wall, 3), "rollout_rewards_64x16_cpu_s": round(reward_cpu, 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=2, help="timed epochs per generator (the best is reported)")
    ap.add_argument("--num", type=int, default=10000)
    ap.add_argument("--layers", type=int, default=TransformerConfig.layers)
    ap.add_argument("--heads", type=int, default=TransformerConfig.heads)
    ap.add_argument("--d-model", type=int, default=TransformerConfig.d_model)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = ap.parse_args()
    keep_freed_memory()   # the allocator setting of the library CLIs, so timings match them
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    corpus = Corpus(torch.randint(0, VOCAB, (args.num, SEQ_LEN)), torch.full((args.num,), SEQ_LEN))
    tcfg = TransformerConfig(layers=args.layers, heads=args.heads, d_model=args.d_model, max_len=SEQ_LEN)
    load_before = os.getloadavg()
    rows = [bench("lstm (emb 32, hidden 32)", LSTMGenerator(VOCAB, 32, 32), corpus, args.epochs),
            bench(f"transformer ({tcfg.layers} layers, {tcfg.heads} heads, d_model {tcfg.d_model})",
                  TransformerGenerator(gpt2_config(tcfg, VOCAB)), corpus, args.epochs)]
    result = {"rows": rows, "threads": torch.get_num_threads(), "sequences": args.num,
              "hardware": hardware(),
              "load_average_before_after": [list(load_before), list(os.getloadavg())],
              "torch": torch.__version__, "command": " ".join(["python", *sys.argv])}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "transformer_speed.json").write_text(json.dumps(result, indent=1))
    lines = ["# Transformer generator speed against the LSTM (oracle shape)", "",
             f"`{result['command']}` — torch {result['torch']}, {result['threads']} thread(s), "
             f"{cpu_summary(result['hardware'])}; random token ids, vocab "
             f"{VOCAB}, length {SEQ_LEN}, {args.num:,} sequences, batch {BATCH}.", "",
             "Seconds: wall / process CPU time.", "",
             "| generator | parameters | MLE epoch (s) | MLE tokens/s (wall) | "
             f"sample {'10k' if args.num == 10000 else f'{args.num:,}'} (s) "
             "| rewards 64 x 16 rollouts (s) |", "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['generator']} | {r['parameters']:,} | {r['mle_epoch_s']} / {r['mle_epoch_cpu_s']} "
                     f"| {r['mle_tokens_per_s']:,} | {r['sample_10k_s']} / {r['sample_10k_cpu_s']} "
                     f"| {r['rollout_rewards_64x16_s']} / {r['rollout_rewards_64x16_cpu_s']} |")
    lines += ["", f"Load average (1, 5, 15 min) before / after: {result['load_average_before_after']} — the machine "
              "is shared, so a load above its cores inflates the wall times (the CPU column less so)."]
    (out / "transformer_speed.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
