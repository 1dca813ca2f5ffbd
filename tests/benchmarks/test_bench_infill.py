"""benchmarks/bench_infill.py's README: every seed's results in its folder, averaged, with the paired difference."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo root, where `benchmarks` lives

from benchmarks import bench_infill


def _result(label: str, seed: int, bleu2: float, nll: float) -> dict:
    """One scored generator in bench_infill.py's JSON layout."""
    return {"label": label, "data": "coco", "seed": seed, "maskmle_source": "pretrained", "overrides": ["mle.epochs=1"],
            "bleu": {"2": bleu2, "3": 0.3, "4": 0.2, "5": 0.1}, "self_bleu": {n: 0.5 for n in "2345"},
            "unique_ngrams": {n: 50.0 for n in "1234"}, "masked_accuracy": 0.02, "infill_nll": nll,
            "total_wall_s": 100.0, "train_wall_s": {"maskgan": 90.0}, "load_average_before": [1.0, 1.0, 1.0],
            "load_average_after": [1.5, 1.0, 1.0], "hardware": {"cpu_count": 2}, "git_sha": "abcdef123",
            "budget": "tiny budget", "samples": [{"masked": "a ___ dog", "filled": "a big dog"}],
            "protocol": {"hypotheses": "the first 10 test sentences", "mask_scheme": "contiguous",
                         "present_rate": 0.5, "mask_seed": 1234, "references": "the other 90"}}


def _write(out: Path, result: dict) -> None:
    (out / f"{result['label'].lower()}-seed{result['seed']}.json").write_text(json.dumps(result))


def test_readme_averages_seeds_and_pairs_each_gan_with_its_own_pretrained_mle(tmp_path):
    # seed 0: GAN 0.6 vs MLE 0.5 (+0.1); seed 1: GAN 0.8 vs MLE 0.5 (+0.3)
    for seed, gan_bleu, gan_nll in ((0, 0.6, 6.0), (1, 0.8, 6.2)):
        _write(tmp_path, _result("MaskMLE", seed, 0.5, 6.5))
        _write(tmp_path, _result("MaskGAN", seed, gan_bleu, gan_nll))
    _write(tmp_path, _result("MaskGAN", 2, 0.9, 6.0))  # no MaskMLE partner: left out rather than mispaired
    text = bench_infill.readme(tmp_path)
    assert "| metric (2 seeds) | MaskMLE | MaskGAN | MaskGAN − MaskMLE |" in text
    assert "| BLEU-2 (filled vs other test sentences) | 0.500 ± 0.000 | 0.700 ± 0.141 | +0.200 ± 0.141 |" in text
    assert "| in-filling NLL (masked tokens) | 6.500 ± 0.000 | 6.100 ± 0.141 | −0.400 ± 0.141 |" in text
    assert "mle.epochs=1`" in text and "--seed 1 " in text and "--seed 2 " not in text


def test_readme_of_one_seed_shows_plain_values(tmp_path):
    _write(tmp_path, _result("MaskMLE", 0, 0.5, 6.5))
    _write(tmp_path, _result("MaskGAN", 0, 0.6, 6.0))
    text = bench_infill.readme(tmp_path)
    # tmp_path is not the default folder name maskgan_coco, so the command must name it
    assert f"--seed 0 --name {tmp_path.name} --maskmle pretrained mle.epochs=1`" in text
    assert "| metric (1 seed) |" in text
    assert "| BLEU-2 (filled vs other test sentences) | 0.500 | 0.600 | +0.100 |" in text
    assert "NLL-oracle" not in text                                   # text data: no oracle rows


def test_readme_names_the_cpu_and_the_scoring_threads_where_recorded(tmp_path):
    hw = {"cpu_count": 2, "cpu_model": "Some CPU", "cpu_capability": "AVX2", "torch_threads": 2}
    for label in ("MaskMLE", "MaskGAN"):
        _write(tmp_path, {**_result(label, 0, 0.5, 6.5), "hardware": hw})
    text = bench_infill.readme(tmp_path)
    assert "training on one thread (scoring: 2 torch threads)" in text
    assert "on 2 CPUs (Some CPU, AVX2), git abcdef1" in text


def test_readme_on_the_oracle_adds_the_oracle_nll_of_fillings_and_originals(tmp_path):
    for label, filled in (("MaskMLE", 9.5), ("MaskGAN", 9.2)):
        _write(tmp_path, {**_result(label, 0, 0.5, 6.5), "data": "oracle", "nll_oracle_filled": filled,
                          "nll_oracle_original": 8.9})
    text = bench_infill.readme(tmp_path)
    assert "| NLL-oracle of the filled sentences | 9.500 | 9.200 | −0.300 |" in text
    assert "NLL-oracle of the original (unmasked) test sentences: 8.900;" in text


def test_examples_with_backticks_stay_one_code_span_each():
    assert bench_infill.code_span("a big dog") == "`a big dog`"
    assert bench_infill.code_span("`` we ' re here") == "``` `` we ' re here ```"
    assert bench_infill.code_span("say `` hi '' now") == "```say `` hi '' now```"
