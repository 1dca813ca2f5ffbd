"""What the text metrics give for real data: the training sentences scored as if a generator had sampled them.

A generator can at best reproduce the distribution it was trained on. Scoring the training set itself against
the test set, with the protocol's metrics and sample size, shows where that best lies on each data set:

- BLEU-2..5 and self-BLEU-2..5 of the training sentences (the first `--num`) against the test set;
- FED (Fréchet embedding distance, de Masson d'Autume et al. 2019) of the training sentences against the test
  set, and, as its sampling-noise floor, FED between two random halves of the training set and between two
  random halves of the test set;
- the words whose frequency differs most between the two splits (add-one smoothed log ratio, words seen at
  least `--min-count` times in both splits together), which say *why* train and test differ where they do;
- with `--samples FILE ...` (one sample a line, as `python -m textgan.sample --out` writes them), FED of
  each file's first half-size samples against the same second halves of the training and of the test set
  that the noise floor uses: a run placed beside real data on both references (only with one `--data`;
  `--append` adds them to the files an earlier `--out` holds).

Each data set's output lists under `calls` how it was made: the command, git commit, machine and seconds of
every invocation that wrote it (`--append` adds one).

Run it on the data sets of the report:

    python benchmarks/real_data_reference.py [--data coco emnlp_news_10k] [--num 10000] [--seed 0]
        [--data-dir DIR] [--out benchmarks/results/real_data_reference.json] [--samples FILE ...]

The sentences are tokenised exactly as a training run tokenises them (`textgan.data.sources.load_data`) and
scored through the same code as a run's evaluation (`textgan.metrics.suite.score_texts`), so the numbers sit
on the same scale as the tables. FED needs the optional extra `textgan[fed]`.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shlex
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from benchmarks.machine import hardware, shown_path  # noqa: E402
from benchmarks.render import shifted_words  # noqa: E402
from textgan.data.corpus import strip_after_eos  # noqa: E402
from textgan.data.paths import resolve_data_root  # noqa: E402
from textgan.data.sources import DataBundle, DataConfig, load_data  # noqa: E402
from textgan.errors import UserError  # noqa: E402
from textgan.metrics import fed as fed_metric  # noqa: E402 (the module: tests replace its load_encoder)
from textgan.metrics.fed import frechet_distance, gaussian_stats  # noqa: E402
from textgan.metrics.suite import Sentences, score_texts  # noqa: E402
from textgan.metrics.sweep import reference_sentences, sentences_of  # noqa: E402
from textgan.runs import git_sha  # noqa: E402


def train_sentences(data: DataBundle, num: int) -> Sentences:
    """The first `num` training sentences in the form a generator's samples take (ids cut at EOS, text)."""
    return sentences_of(data, strip_after_eos(data.train.tokens[:num], data.vocab.eos_id))


def half_indices(n: int, seed: int) -> tuple[list[int], list[int]]:
    """Two disjoint random halves of range(n) (seeded), for FED's sampling-noise floor at half the sample size."""
    order = list(range(n))
    random.Random(seed).shuffle(order)
    return order[:n // 2], order[n // 2:]


class Embedded:
    """One set's sentence embeddings, computed once; FED between any two subsets reads them by index."""

    def __init__(self, encoder: Any, sentences: Sentences) -> None:
        self.vectors = encoder.encode(sentences.text)

    def stats(self, ids: list[int] | None = None) -> tuple[Any, Any]:
        return gaussian_stats(self.vectors if ids is None else self.vectors[ids])


def fed_of(a: tuple[Any, Any], b: tuple[Any, Any]) -> float:
    """FED between two (mean, covariance) pairs of `Embedded.stats`."""
    return frechet_distance(a[0], a[1], b[0], b[1])


def word_shift(data: DataBundle, a: Sentences, b: Sentences, min_count: int, top: int) -> dict[str, list[list[Any]]]:
    """The `top` words most over-represented in a (against b) and in b (against a): [word, count a, count b].

    Words are the data set's tokens (punctuation and numbers left out); the ratio is add-one smoothed."""
    def counts(s: Sentences) -> Counter:
        return Counter(w for row in s.tokens for w in data.vocab.decode(row).split())

    ca, cb = counts(a), counts(b)
    na, nb = sum(ca.values()), sum(cb.values())
    words = [w for w in set(ca) | set(cb) if ca[w] + cb[w] >= min_count and w.isalpha()]
    ratio = {w: math.log((ca[w] + 1) / na) - math.log((cb[w] + 1) / nb) for w in words}
    ranked = sorted(words, key=lambda w: (ratio[w], w))
    return {"more_in_train": [[w, ca[w], cb[w]] for w in reversed(ranked[-top:])],
            "more_in_test": [[w, ca[w], cb[w]] for w in ranked[:top]]}


def file_sentences(data: DataBundle, path: Path) -> Sentences:
    """A sample file (tokens joined by spaces, one sample a line) in the form a run's own samples take: its
    words mapped to the data set's vocabulary and detokenised the same way.

    Every line is a sample, an empty line the empty sample, as `textgan.sample --out` writes them: a run's
    own FED embeds its empty samples too, so both give a collapsed generator the same treatment.
    """
    try:
        lines = [line.split() for line in path.read_text(encoding="utf-8").splitlines()]
    except (OSError, UnicodeDecodeError) as err:
        reason = "not UTF-8" if isinstance(err, UnicodeDecodeError) else err.strerror
        raise UserError(f"cannot read sample file '{path}' ({reason}); give a UTF-8 text file, one sample a "
                        "line") from None
    if len(lines) < 2:
        raise UserError(f"sample file '{path}' has {len(lines)} line(s); FED needs at least two samples")
    return sentences_of(data, data.vocab.encode(lines))


def measure(config: DataConfig, num: int, seed: int, data_dir: str | None, min_count: int = 100,
            top: int = 15, samples: list[Path] | None = None) -> dict[str, Any]:
    """Every number of the module docstring for one data set (a named one, or a user file with its test file)."""
    t0 = time.perf_counter()
    data = load_data(config, data_dir)
    refs = reference_sentences(data)
    if refs is None:
        raise UserError(f"data set '{config.name}' has no test set to score against")
    generated = [(path, file_sentences(data, path)) for path in samples or []]  # bad files fail before the work
    train = train_sentences(data, num)
    scores = score_texts(["bleu", "self_bleu"], train, refs)
    # every sentence is encoded once; the halves and the sample files are compared through their Gaussians
    encoder = fed_metric.load_encoder()
    train_emb, test_emb = Embedded(encoder, train), Embedded(encoder, refs)
    train_a, train_b = half_indices(len(train), seed)
    test_a, test_b = half_indices(len(refs), seed)
    train_a_stats, train_b_stats = train_emb.stats(train_a), train_emb.stats(train_b)
    test_b_stats = test_emb.stats(test_b)
    fed_train_halves = fed_of(train_a_stats, train_b_stats)
    fed_test_halves = fed_of(test_emb.stats(test_a), test_b_stats)
    on_samples = []
    for path, sentences in generated:
        head = Sentences(sentences.tokens[:len(train_a)], sentences.text[:len(train_a)])
        head_stats = Embedded(encoder, head).stats()
        on_samples.append({"file": path.name, "n_samples": len(head),
                           "fed_vs_train_half": fed_of(head_stats, train_b_stats),
                           "fed_vs_test_half": fed_of(head_stats, test_b_stats)})
    # the real-data row of the same comparison: the other training half against both second halves
    fed_train_a_vs_test_b = fed_of(train_a_stats, test_b_stats) if samples else None
    fed_train_vs_test = fed_of(train_emb.stats(), test_emb.stats())
    return {"data": config.name, "train_file": _relative_to_data_root(data.info.get("train_file", ""), data_dir),
            "n_train_scored": len(train),
            "n_references": len(refs),
            "train_vs_test": {"bleu": scores["bleu"], "self_bleu": scores["self_bleu"], "fed": fed_train_vs_test},
            "fed_noise_floor": {"train_half_vs_half": fed_train_halves, "test_half_vs_half": fed_test_halves,
                                "half_size": len(train_a), "test_half_size": len(test_a), "split_seed": seed},
            "word_shift": word_shift(data, train, refs, min_count, top),
            **({"samples_vs_halves": {"training_half_a": {"fed_vs_train_half": fed_train_halves,
                                                          "fed_vs_test_half": fed_train_a_vs_test_b},
                                      "files": on_samples}} if samples else {}),
            "seconds": round(time.perf_counter() - t0, 1)}


def _relative_to_data_root(path: str, data_dir: str | None) -> str:
    """A file under the data root as its path there (`coco/train.txt`): results name no machine's folders."""
    try:
        return Path(path).resolve().relative_to(resolve_data_root(data_dir).resolve()).as_posix()
    except ValueError:  # a user file outside the data root
        return Path(path).name


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python benchmarks/real_data_reference.py",
                                description=__doc__.splitlines()[0])
    p.add_argument("--data", nargs="+", default=["coco", "emnlp_news_10k"], help="named text data sets")
    p.add_argument("--num", type=int, default=10000, help="training sentences scored (the protocol's sample size)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random halves")
    p.add_argument("--min-count", type=int, default=100, help="word-shift list: words seen at least this often")
    p.add_argument("--data-dir", default=None, help="data root (default: $TEXTGAN_DATA_DIR, else ./data)")
    p.add_argument("--out", default=None, help="also write the results as JSON")
    p.add_argument("--samples", nargs="+", type=Path, default=None,
                   help="sample files (one a line) to place beside real data by FED; needs a single --data")
    p.add_argument("--append", action="store_true",
                   help="keep the sample files already scored in --out (same data set and halves) beside the new "
                        "ones: a later run's samples join a table without resampling the earlier runs")
    args = p.parse_args(argv)
    if args.num < 4:
        p.error("--num must be at least 4 (FED needs two sentences in each half)")
    if args.samples and len(args.data) != 1:
        p.error("--samples needs exactly one --data (the data set the samples imitate)")
    if args.append and not (args.out and args.samples):
        p.error("--append needs --out (the file to add to) and --samples (what to add)")
    torch.set_num_threads(1)
    try:
        results = [measure(DataConfig(name=name), args.num, args.seed, args.data_dir, args.min_count,
                           samples=args.samples) for name in args.data]
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    call = this_call(sys.argv[1:] if argv is None else argv, results)
    for r in results:
        r["calls"] = [call]
    if args.append and Path(args.out).is_file():
        try:
            results = with_earlier_files(results, json.loads(Path(args.out).read_text()))
        except UserError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
    for r in results:
        print(summary(r))
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1) + "\n")
    return 0


def with_earlier_files(results: list[dict[str, Any]], earlier: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`results` with the sample files of an earlier output of the same data set and halves added, a file scored
    again now replacing its earlier row. Every file is compared with the same fixed halves, so its row does not
    depend on which other files were scored beside it."""
    (new,) = results  # --samples takes one data set
    old = next((r for r in earlier if r.get("data") == new["data"]), None)
    if old is None or "samples_vs_halves" not in old:
        return results
    if old["fed_noise_floor"]["split_seed"] != new["fed_noise_floor"]["split_seed"] or \
            old["n_train_scored"] != new["n_train_scored"]:
        raise UserError(f"the earlier output for '{new['data']}' used other halves (seed or --num differ); "
                        "score every file again without --append")
    new["calls"] = old.get("calls", []) + new["calls"]  # an output written before calls were recorded has none
    files = {f["file"]: f for f in old["samples_vs_halves"]["files"]}
    files.update({f["file"]: f for f in new["samples_vs_halves"]["files"]})
    new["samples_vs_halves"]["files"] = [files[name] for name in sorted(files)]
    return [new]


def this_call(argv: list[str], results: list[dict[str, Any]]) -> dict[str, Any]:
    """How this invocation was made, for the output's `calls` list: the command as given (each argument that
    names a file or folder through `shown_path`, so files outside the repository appear by name and no
    machine's folders are written), the git commit, the machine and the seconds it took. `--append` keeps the
    earlier calls, so a file scored over several calls says how each part was made (the top-level `seconds`
    of each data set is this call's)."""
    command = ["python", "benchmarks/real_data_reference.py",
               *(shown_path(arg) if "/" in arg or Path(arg).exists() else arg for arg in map(str, argv))]
    return {"command": shlex.join(command), "git": git_sha(), "hardware": hardware(),
            "seconds": round(sum(r["seconds"] for r in results), 1)}


def summary(r: dict[str, Any]) -> str:
    """A few readable lines per data set (the JSON holds the same numbers)."""
    tv, floor, shift = r["train_vs_test"], r["fed_noise_floor"], r["word_shift"]

    def orders(scores: dict[str, float]) -> str:
        return " / ".join(f"{v:.3f}" for v in scores.values())

    return "\n".join([
        f"{r['data']}: {r['n_train_scored']} training sentences against {r['n_references']} test sentences",
        f"  BLEU-2..5 {orders(tv['bleu'])}; self-BLEU-2..5 {orders(tv['self_bleu'])}",
        f"  FED train vs test {tv['fed']:.4f}; noise floor: train halves ({floor['half_size']} a side) "
        f"{floor['train_half_vs_half']:.4f}, test halves ({floor.get('test_half_size', floor['half_size'])} a side) "
        f"{floor['test_half_vs_half']:.4f}",
        f"  more in train (train:test counts): {shifted_words(shift['more_in_train'])}",
        f"  more in test: {shifted_words(shift['more_in_test'])}",
        *[f"  FED at {floor['half_size']} a side, against training half B / test half B: {name} "
          f"{row['fed_vs_train_half']:.4f} / {row['fed_vs_test_half']:.4f}"
          for name, row in _sample_rows(r)]])


def _sample_rows(r: dict[str, Any]) -> list[tuple[str, dict[str, float]]]:
    """(label, FED pair) for the training half A and each sample file, when --samples was given."""
    s = r.get("samples_vs_halves")
    if not s:
        return []
    return [("training half A", s["training_half_a"])] + [(f["file"], f) for f in s["files"]]


if __name__ == "__main__":
    sys.exit(main())
