"""Speed benchmark: batched Monte Carlo rollout rewards vs SeqGAN's per-prefix loop, and one adversarial G step.

Run by hand (not in CI):  python benchmarks/bench_rollout.py [--threads 2] [--repeats 3] [--out benchmarks/results]

Shapes (batch 64, 16 rollouts, SeqGAN's discriminator: emb 64, widths 1..10, 15, 20 with
100/200/200/200/200/100 x 5/160/160 filters, highway): oracle = vocab 5000, length 20; COCO = vocab 6,587,
length 38. Generator: LSTM emb 32 / hidden 32, N(0, 0.1) init (SeqGAN's). The networks are untrained
(speed does not depend on the weights), so no data files are needed.

- batched: `textgan.rollout.rollout_rewards` (every prefix x rollout decoded together from cached
  states, completions scored in large discriminator chunks).
- reference: the straightforward loop of SeqGAN's rollout.py, kept here and not in the library: for
  every prefix length k and rollout r, re-read the prefix with the policy from its initial state, decode
  the rest for the 64 rows, score those 64 completions with D.
Equality: both draw the same tokens because every (row, prefix, rollout, position) has its own
pre-drawn pair of uniforms (`draw_uniforms`), consumed by `sample_rows` in both; so the
completions must be identical (checked with torch.equal) and the rewards equal up to float rounding of
differently sized matmuls (max |difference| reported; must be <= 1e-5).
Memory: peak resident set of the process during each part, reset between parts (Linux clear_refs).
G step: `SeqGAN.generator_step` on the oracle shape — sampling with states, 16 rollouts, D scoring,
REINFORCE update — timed end to end (best of --repeats, after a warm-up).
Writes benchmarks/results/rollout_speed.json and rollout_speed.md.
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
from textgan.data.sources import DataBundle  # noqa: E402
from textgan.data.vocab import IdVocab  # noqa: E402
from textgan.gans.base import TrainContext  # noqa: E402
from textgan.nn import CNNDiscriminator, LSTMGenerator  # noqa: E402
from textgan.nn.cnn_discriminator import SEQGAN_FILTER_SIZES, SEQGAN_NUM_FILTERS  # noqa: E402
from textgan.registry import get_model, make_config  # noqa: E402
from textgan.rollout import draw_uniforms, rollout_completions, rollout_rewards, sample_rows  # noqa: E402
from textgan.sampling import sample_with_states, teacher_forced_states  # noqa: E402

SHAPES = {"oracle": (5000, 20), "coco": (6587, 38)}
BATCH, ROLLOUTS, TOL = 64, 16, 1e-5


def reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@torch.inference_mode()
def reference_rewards(policy, disc, samples, uniforms):
    """SeqGAN's loop (rollout.py get_reward): one decode of the batch per prefix length and rollout.

    Returns (completions, rewards, seconds spent decoding, seconds spent in D).
    """
    batch, seq_len = samples.shape
    rollouts = uniforms.shape[2]
    policy.eval()
    disc.eval()
    completions = torch.empty(batch, seq_len - 1, rollouts, seq_len, dtype=torch.long)
    rewards = torch.zeros(batch, seq_len)
    decode_s = score_s = 0.0
    for r in range(rollouts):
        for k in range(1, seq_len):
            t0 = time.perf_counter()
            state, inputs = policy.init_state(batch), torch.full((batch,), policy.bos_id)
            for j in range(k):                    # re-read the prefix: BOS, y_0 .. y_{k-2}
                _, state = policy.step(inputs, state)
                inputs = samples[:, j]
            seq = samples.clone()
            for j in range(k, seq_len):
                logits, state = policy.step(inputs, state)
                inputs = sample_rows(logits.float(), uniforms[:, k - 1, r, j])
                seq[:, j] = inputs
            completions[:, k - 1, r] = seq
            t1 = time.perf_counter()
            rewards[:, k - 1] += torch.sigmoid(disc(seq)) / rollouts
            decode_s, score_s = decode_s + t1 - t0, score_s + time.perf_counter() - t1
    rewards[:, -1] = torch.sigmoid(disc(samples))
    return completions, rewards, decode_s, score_s


def timed(fn, repeats: int):
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def bench_rollout(name: str, vocab: int, seq_len: int, repeats: int, chunk_rows: int, d_chunk_rows: int) -> dict:
    torch.manual_seed(0)
    gen = LSTMGenerator(vocab, 32, 32, bos_id=0, init_std=0.1).eval()
    disc = CNNDiscriminator(vocab, 64, SEQGAN_FILTER_SIZES, SEQGAN_NUM_FILTERS).eval()
    samples, states = sample_with_states(gen, BATCH, seq_len)
    u = draw_uniforms(BATCH, seq_len, ROLLOUTS, torch.Generator().manual_seed(1))
    rollout_rewards(gen, disc, samples[:4], rollouts=2, uniforms=u[:4, :, :2])  # warm-up
    reset_peak()
    batched_s, rewards = timed(lambda: rollout_rewards(gen, disc, samples, rollouts=ROLLOUTS, states=states,
                                                       uniforms=u, chunk_rows=chunk_rows, d_chunk_rows=d_chunk_rows),
                               repeats)
    batched_peak = peak_rss_mib()
    decode_s, completions = timed(lambda: rollout_completions(gen, samples, teacher_forced_states(gen, samples), u,
                                                              chunk_rows=chunk_rows), repeats)
    bf16_s, bf16_rewards = timed(lambda: rollout_rewards(gen, disc, samples, rollouts=ROLLOUTS, states=states,
                                                         uniforms=u, chunk_rows=chunk_rows, d_chunk_rows=d_chunk_rows,
                                                         bf16=True), repeats)
    reset_peak()
    t0 = time.perf_counter()
    ref_completions, ref_rewards, ref_decode_s, ref_score_s = reference_rewards(gen, disc, samples, u)
    reference_s = time.perf_counter() - t0
    reference_peak = peak_rss_mib()
    max_diff = float((rewards - ref_rewards).abs().max())
    same_tokens = bool(torch.equal(completions, ref_completions))
    return {"shape": name, "vocab": vocab, "seq_len": seq_len, "batch": BATCH, "rollouts": ROLLOUTS,
            "completions": BATCH * (seq_len - 1) * ROLLOUTS, "chunk_rows": chunk_rows, "d_chunk_rows": d_chunk_rows,
            "batched_s": round(batched_s, 3), "batched_decode_s": round(decode_s, 3),
            "batched_score_s": round(batched_s - decode_s, 3), "batched_bf16_s": round(bf16_s, 3),
            "bf16_max_abs_reward_diff": float((bf16_rewards - rewards).abs().max()),
            "reference_s": round(reference_s, 3), "reference_decode_s": round(ref_decode_s, 3),
            "reference_score_s": round(ref_score_s, 3), "speedup": round(reference_s / batched_s, 2),
            "decode_speedup": round(ref_decode_s / decode_s, 2),
            "score_speedup": round(ref_score_s / max(batched_s - decode_s, 1e-9), 2),
            "batched_peak_rss_mib": round(batched_peak, 1), "reference_peak_rss_mib": round(reference_peak, 1),
            "identical_completions": same_tokens, "max_abs_reward_diff": max_diff,
            "equal": same_tokens and max_diff <= TOL}


def bench_g_step(vocab: int, seq_len: int, repeats: int, bf16: bool) -> dict:
    """`SeqGAN.generator_step` end to end with SeqGAN's D, on random data of the oracle shape."""
    torch.manual_seed(0)
    cfg = make_config(get_model("seqgan"))  # chunk sizes: the config defaults
    cfg.discriminator.filter_sizes, cfg.discriminator.num_filters = SEQGAN_FILTER_SIZES, SEQGAN_NUM_FILTERS
    cfg.adversarial.score_bf16 = bf16
    train = Corpus(torch.randint(0, vocab, (640, seq_len)), torch.full((640,), seq_len))
    data = DataBundle("oracle", train, None, IdVocab(vocab, bos_id=0))
    from textgan.gans.seqgan import SeqGAN

    algo = SeqGAN(TrainContext(cfg, data, torch.device("cpu")))
    algo.generator_step()  # warm-up
    step_s, metrics = timed(algo.generator_step, repeats)
    return {"shape": "oracle", "vocab": vocab, "seq_len": seq_len, "g_step_s": round(step_s, 3), "score_bf16": bf16,
            "rollout_update_rate": cfg.adversarial.rollout_update_rate, "g_loss": metrics["g_loss"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3, help="timed repeats of the batched parts (best reported)")
    ap.add_argument("--chunk-rows", type=int, default=1024, help="rollout decode chunk (config default 1024)")
    ap.add_argument("--d-chunk-rows", type=int, default=2048, help="D scoring chunk (config default 2048)")
    ap.add_argument("--shapes", default="oracle,coco")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = ap.parse_args()
    keep_freed_memory()   # the allocator setting of the library CLIs, so timings match them
    torch.set_num_threads(args.threads)
    rows = [bench_rollout(n, *SHAPES[n], args.repeats, args.chunk_rows, args.d_chunk_rows)
            for n in args.shapes.split(",")]
    g_steps = [bench_g_step(*SHAPES["oracle"], args.repeats, bf16) for bf16 in (False, True)]
    result = {"rows": rows, "g_step": g_steps, "threads": torch.get_num_threads(),
              "hardware": {**hardware(), "load_avg_at_end": os.getloadavg()},
              "torch": torch.__version__, "command": " ".join(["python", *sys.argv]),
              "targets": {"speedup_min": 5.0, "oracle_g_step_s_max": 3.0}}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "rollout_speed.json").write_text(json.dumps(result, indent=1))
    lines = ["# Monte Carlo rollout speed", "",
             f"`{result['command']}` — torch {result['torch']}, {result['threads']} threads, "
             f"{cpu_summary(result['hardware'])}; batch {BATCH}, "
             f"{ROLLOUTS} rollouts, SeqGAN's discriminator, untrained LSTM generator emb 32 / hidden 32.", "",
             "| shape | vocab | length | completions | batched: total / decode / D (s) | reference: total / decode "
             "/ D (s) | speedup: total / decode / D | batched, D in bf16 (s) | peak RSS batched / reference (MiB) "
             "| same tokens | max reward diff |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['shape']} | {r['vocab']} | {r['seq_len']} | {r['completions']:,} | {r['batched_s']} / "
                     f"{r['batched_decode_s']} / {r['batched_score_s']} | {r['reference_s']} / "
                     f"{r['reference_decode_s']} / {r['reference_score_s']} | **{r['speedup']}x** / "
                     f"{r['decode_speedup']}x / {r['score_speedup']}x | {r['batched_bf16_s']} | "
                     f"{r['batched_peak_rss_mib']} / {r['reference_peak_rss_mib']} | {r['identical_completions']} | "
                     f"{r['max_abs_reward_diff']:.1e} |")
    lines += ["", "One adversarial generator step (`SeqGAN.generator_step`: sample 64 with states, 16 rollouts, D "
                  "scoring, REINFORCE update) at the oracle shape with SeqGAN's D: "
                  + ", ".join(f"**{g['g_step_s']} s** ({'bf16' if g['score_bf16'] else 'fp32'} D scoring)"
                              for g in g_steps) + ".", "",
              "Equality: both paths take their randomness from the same per-row uniforms (`draw_uniforms`), so "
              "completions must be identical and rewards equal to 1e-5 (bf16 scoring is not held to that; its max "
              "reward difference from fp32 is in the JSON). Peak RSS is the process's, reset before each part. "
              "Targets: batched >= 5x the reference loop; one G step <= 3 s on 2 cores.",
              f"Load average when finished: {', '.join(f'{x:.1f}' for x in result['hardware']['load_avg_at_end'])} "
              "(the machine is shared; timings are best of the repeats).", "",
              "Why the speedup is not larger: both paths score the same completions with the same D, and SeqGAN's "
              "D costs about 27 MFLOP per sequence (convolutions 15 MFLOP, the 1720 -> 2 x 1720 highway 12 MFLOP). "
              "The batched path replaces the convolutions with gathers of per-token projections (`scorer()`), but "
              "the highway matmul (2.3e11 FLOP per oracle step) runs near these cores' fp32 matmul peak in both, so "
              "D scoring gains only ~2x. Decoding avoids re-reading prefixes and runs each step once over all "
              "active rows, but it is bound by writing and reading the (rows, V) logits (V = 5,000-6,600) at "
              "every one of B R T (T-1) / 2 row-steps, the same count the loop samples; the loop's extra work is "
              "the prefix re-reads, so decoding gains ~1.5-2.5x. bf16 scoring halves the highway's cost."]
    (out / "rollout_speed.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    if not all(r["equal"] for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
