"""Speed benchmark: LeakGAN's generator step against the LSTM generator's, and its leaked features against
the naive path, each ratio measured in the same process.

Run by hand (not in CI):

    python benchmarks/bench_leakgan_step.py [--threads 1] [--repeats 3] [--batches 2000,1024]
        [--configs configs/leakgan.yaml,configs/paper/leakgan_oracle.yaml] [--out benchmarks/results]
        [--compare EARLIER.json]

LeakGAN's generator is built from each config the way `textgan/gans/leakgan.py` builds it (the registry's
defaults, the YAML on top, `LeakGAN.build_sampler`) at the oracle shape (vocab 5,000, length 20), untrained
(speed does not depend on the weights, so no data files are needed). The step protocol (`init_state` /
`step`) is what sampling (textgan/sampling.py) and the batched Monte Carlo rollouts (textgan/rollout.py)
run, so for each batch size (2,000: `sample`'s chunk; 1,024: the rollouts' `chunk_rows`) it times:
- step: T steps of the protocol over a fixed stream of token ids, LeakGAN against the LSTM generator of
  the other oracle models (emb 32, hidden 32) on the same stream; reported as row-steps per second and
  the LeakGAN / LSTM throughput ratio.
- sample: `sample_batch` (the steps plus the sampler's draw), tokens per second and the same ratio.
- features (at --naive-batch rows): the leaked features alone: LeakGAN's incremental `FeatureTracker`
  against the naive path, one full discriminator pass per step over the prefix zero-padded to length T
  (the paper's definition; `CNNDiscriminator.features` on zero embeddings past the prefix). The two
  must agree to float rounding (checked with torch.testing.assert_close at every step).
Timings are the best of --repeats, LeakGAN and its baseline alternating, after a warm-up; ratios are of
those bests. `--compare` names the JSON of an earlier run (e.g. at an older commit) whose ratios the
table shows beside this run's, with the ratio between the two: absolute rates of two runs on a shared
machine are not comparable, ratios to a baseline timed alongside are. Writes
benchmarks/results/leakgan_step_speed.json and leakgan_step_speed.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from functools import partial
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.machine import REPO, cpu_summary, hardware, repo_path  # noqa: E402
from textgan.allocator import keep_freed_memory  # noqa: E402
from textgan.config import load_yaml, merge_dict  # noqa: E402
from textgan.gans.leakgan import LeakGAN  # noqa: E402
from textgan.nn import LSTMGenerator  # noqa: E402
from textgan.registry import get_model, make_config  # noqa: E402
from textgan.runs import git_sha  # noqa: E402
from textgan.sampling import sample_batch  # noqa: E402

VOCAB, SEQ_LEN, BOS = 5000, 20, 0


def build_leakgan(config: str):
    cfg = make_config(get_model("leakgan"))
    merge_dict(cfg, {k: v for k, v in load_yaml(config).items() if k != "model"})
    torch.manual_seed(0)
    return LeakGAN.build_sampler(cfg, VOCAB, BOS, SEQ_LEN).eval()


@torch.inference_mode()
def step_pass(gen, tokens: torch.Tensor) -> float:
    """Seconds for T steps over `tokens` (B, T), BOS first, as sampling runs them."""
    batch = tokens.shape[0]
    state, inputs = gen.init_state(batch), torch.full((batch,), BOS, dtype=torch.long)
    t0 = time.perf_counter()
    for t in range(tokens.shape[1]):
        _, state = gen.step(inputs, state)
        inputs = tokens[:, t]
    return time.perf_counter() - t0


def sample_pass(gen, batch: int) -> float:
    t0 = time.perf_counter()
    sample_batch(gen, batch, SEQ_LEN, rng=torch.Generator().manual_seed(0))
    return time.perf_counter() - t0


@torch.inference_mode()
def naive_features(disc, tokens: torch.Tensor, length: int) -> torch.Tensor:
    """D's features of the prefix tokens[:, :length] zero-padded to the full length: one full D pass
    (CNNDiscriminator.features with the embeddings past the prefix zeroed)."""
    emb = disc.embed(tokens).clone()
    emb[:, length:] = 0.0
    emb = emb.transpose(1, 2)                                              # (B, E, T)
    pooled = []
    for conv in disc.convs:
        width = conv.kernel_size[0]
        x = F.pad(emb, (0, width - emb.shape[2])) if width > emb.shape[2] else emb
        pooled.append(conv(x).amax(dim=2))
    return disc._highway(torch.relu(torch.cat(pooled, dim=1)))


@torch.inference_mode()
def tracker_pass(gen, tokens: torch.Tensor, check: bool = False) -> float:
    """Seconds for the tracker's T `advance` calls (its feature of every prefix but the full sequence)."""
    batch = tokens.shape[0]
    state = gen.tracker.init_state(batch, tokens.device)
    inputs = torch.full((batch,), BOS, dtype=torch.long)
    spent = 0.0
    for t in range(tokens.shape[1]):
        t0 = time.perf_counter()
        feature, state = gen.tracker.advance(gen.discriminator, inputs, state)
        spent += time.perf_counter() - t0
        if check:
            torch.testing.assert_close(feature, naive_features(gen.discriminator, tokens, t))
        inputs = tokens[:, t]
    return spent


@torch.inference_mode()
def naive_pass(gen, tokens: torch.Tensor) -> float:
    t0 = time.perf_counter()
    for t in range(tokens.shape[1]):
        naive_features(gen.discriminator, tokens, t)
    return time.perf_counter() - t0


def best_pair(fn_a, fn_b, repeats: int) -> tuple[float, float]:
    """Best seconds of two functions, alternating (after one warm-up of each) so load hits both alike."""
    fn_a(), fn_b()
    a = b = float("inf")
    for _ in range(repeats):
        a, b = min(a, fn_a()), min(b, fn_b())
    return a, b


def bench_config(config: str, batches: list[int], naive_batch: int, repeats: int) -> dict:
    gen = build_leakgan(config)
    torch.manual_seed(0)
    lstm = LSTMGenerator(VOCAB, 32, 32, bos_id=BOS, init_std=0.1).eval()
    disc = gen.discriminator
    rows = []
    for batch in batches:
        tokens = torch.randint(0, VOCAB, (batch, SEQ_LEN), generator=torch.Generator().manual_seed(1))
        leak_s, lstm_s = best_pair(partial(step_pass, gen, tokens), partial(step_pass, lstm, tokens), repeats)
        leak_sample_s, lstm_sample_s = best_pair(partial(sample_pass, gen, batch), partial(sample_pass, lstm, batch),
                                                 repeats)
        n = batch * SEQ_LEN
        rows.append({"batch": batch, "leakgan_step_s": round(leak_s, 4), "lstm_step_s": round(lstm_s, 4),
                     "leakgan_row_steps_per_s": round(n / leak_s), "lstm_row_steps_per_s": round(n / lstm_s),
                     "step_throughput_ratio": round(lstm_s / leak_s, 4),
                     "leakgan_sample_s": round(leak_sample_s, 4), "lstm_sample_s": round(lstm_sample_s, 4),
                     "leakgan_sample_tokens_per_s": round(n / leak_sample_s),
                     "lstm_sample_tokens_per_s": round(n / lstm_sample_s),
                     "sample_throughput_ratio": round(lstm_sample_s / leak_sample_s, 4)})
    tokens = torch.randint(0, VOCAB, (naive_batch, SEQ_LEN), generator=torch.Generator().manual_seed(2))
    tracker_pass(gen, tokens, check=True)            # equality with the naive path, every prefix
    tracker_s, naive_s = best_pair(partial(tracker_pass, gen, tokens), partial(naive_pass, gen, tokens), repeats)
    return {"config": config, "features": gen.feature_dim, "filters": [c.out_channels for c in disc.convs],
            "widths": [c.kernel_size[0] for c in disc.convs], "generator_params": sum(
                p.numel() for p in gen.generator_parameters()), "rows": rows,
            "features_batch": naive_batch, "tracker_s": round(tracker_s, 4), "naive_features_s": round(naive_s, 4),
            "tracker_speedup_over_naive": round(naive_s / tracker_s, 2), "features_equal": True}


def _loads(pair) -> str:
    """[[1, 5, 15 min] before, [...] after] -> "2.8, 3.4, 3.2 / 2.6, 2.6, 2.9"."""
    return " / ".join(", ".join(f"{x:.1f}" for x in loads) for loads in pair) if pair else "not recorded"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3, help="timed repeats of each part (the best is reported)")
    ap.add_argument("--batches", default="2000,1024", help="rows per step: sampling's chunk, the rollouts' chunk")
    ap.add_argument("--naive-batch", type=int, default=256, help="rows of the tracker-vs-naive comparison")
    ap.add_argument("--configs", default="configs/leakgan.yaml,configs/paper/leakgan_oracle.yaml")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results"))
    ap.add_argument("--compare", help="JSON of an earlier run: its ratios are shown beside this run's")
    args = ap.parse_args()
    keep_freed_memory()   # the allocator setting of the library CLIs, so timings match them
    torch.set_num_threads(args.threads)
    batches = [int(b) for b in args.batches.split(",")]
    load_before = os.getloadavg()
    configs = [bench_config(str(REPO / c) if not Path(c).is_absolute() else c, batches, args.naive_batch,
                            args.repeats) for c in args.configs.split(",")]
    for c in configs:
        c["config"] = repo_path(c["config"])
    result = {"configs": configs, "threads": torch.get_num_threads(), "vocab": VOCAB, "seq_len": SEQ_LEN,
              "hardware": hardware(), "load_average_before_after": [list(load_before), list(os.getloadavg())],
              "torch": torch.__version__, "git": git_sha(), "command": " ".join(["python", *sys.argv])}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    earlier, earlier_head, earlier_sep, earlier_note = {}, "", "", []
    if args.compare:
        old = json.loads(Path(args.compare).read_text())
        result["compare"] = {"file": repo_path(args.compare), "git": old.get("git"), "command": old.get("command")}
        earlier = {(c["config"], r["batch"]): r for c in old["configs"] for r in c["rows"]}
        earlier_head = " earlier run: step / sample ratio | this run over the earlier: step / sample |"
        earlier_sep = "---|---|"
        loads = _loads(old.get("load_average_before_after"))
        earlier_note = ["", f"Earlier run: `{repo_path(args.compare)}` (git {old.get('git')}, `{old.get('command')}`, "
                            f"load average before / after {loads}). Its absolute "
                            "rates came from another run on the shared machine; compare the ratios."]
    lines = ["# LeakGAN generator step speed (oracle shape)", "",
             f"`{result['command']}` — torch {result['torch']}, {result['threads']} thread(s), "
             f"{cpu_summary(result['hardware'])}, git {result['git']}; vocab {VOCAB}, length {SEQ_LEN}, "
             "untrained networks.", "",
             "Step: T steps of `init_state` / `step` over fixed token ids (what sampling and the batched "
             "rollouts run); sample: `sample_batch` (steps plus the draw). Ratio: LeakGAN's throughput over "
             "the LSTM generator's (emb 32 / hidden 32) in the same run, best of the repeats each.", "",
             "| config | D features | rows | step: LeakGAN / LSTM row-steps/s | step ratio | sample: LeakGAN / "
             "LSTM tokens/s | sample ratio |" + earlier_head, "|---|---|---|---|---|---|---|" + earlier_sep]
    for c in configs:
        for r in c["rows"]:
            line = (f"| `{c['config']}` | {c['features']} | {r['batch']} | {r['leakgan_row_steps_per_s']:,} / "
                    f"{r['lstm_row_steps_per_s']:,} | **{r['step_throughput_ratio']:.3f}** | "
                    f"{r['leakgan_sample_tokens_per_s']:,} / {r['lstm_sample_tokens_per_s']:,} | "
                    f"**{r['sample_throughput_ratio']:.3f}** |")
            before = earlier.get((c["config"], r["batch"]))
            if earlier:
                line += (" – | – |" if before is None else
                         f" {before['step_throughput_ratio']:.3f} / {before['sample_throughput_ratio']:.3f} | "
                         f"**{r['step_throughput_ratio'] / before['step_throughput_ratio']:.2f}x** / "
                         f"**{r['sample_throughput_ratio'] / before['sample_throughput_ratio']:.2f}x** |")
            lines.append(line)
    lines += earlier_note
    lines += ["", "Leaked features alone (`FeatureTracker.advance`, T steps) against one full D pass per step on "
                  "the zero-padded prefix; equal to float rounding at every step:", "",
              "| config | rows | tracker (s) | naive (s) | speedup |", "|---|---|---|---|---|"]
    for c in configs:
        lines.append(f"| `{c['config']}` | {c['features_batch']} | {c['tracker_s']} | {c['naive_features_s']} | "
                     f"{c['tracker_speedup_over_naive']}x |")
    lines += ["", f"Load average (1, 5, 15 min) before / after: "
              f"{', '.join(f'{x:.1f}' for x in load_before)} / "
              f"{', '.join(f'{x:.1f}' for x in result['load_average_before_after'][1])} — the machine is shared, "
              "so absolute rates move with the load; the ratios, measured alternately in one process, much less."]
    (out / "leakgan_step_speed.json").write_text(json.dumps(result, indent=1))
    (out / "leakgan_step_speed.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
