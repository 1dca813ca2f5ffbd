"""Prompts (textgan.prompt, `sample(..., prefix=...)`, `python -m textgan.sample --prompt`): every generator
kind continues the given tokens as its own teacher-forced distribution says, and bad prompts are one-line
errors."""

from __future__ import annotations

import logging

import pytest
import torch

from textgan.errors import UserError
from textgan.nn import LSTMGenerator
from textgan.nn.cnn_discriminator import CNNDiscriminator
from textgan.nn.leakgan_generator import LeakGANGenerator
from textgan.nn.relational_memory import RelationalMemoryGenerator
from textgan.nn.transformer_generator import TransformerConfig, TransformerGenerator, gpt2_config
from textgan.sample import main as sample_main
from textgan.sampling import sample

V, T, BOS = 30, 7, 1
PROMPT = [5, 9, 3]

GENERATORS = {
    "lstm": lambda: LSTMGenerator(V, 6, 8, bos_id=BOS, init_std=0.5),
    "transformer": lambda: TransformerGenerator(gpt2_config(TransformerConfig(layers=1, heads=2, d_model=8,
                                                                              max_len=T, dropout=0.0), V),
                                                bos_id=BOS),
    "relational_memory": lambda: RelationalMemoryGenerator(V, 6, 1, 2, 4, bos_id=BOS),
    "leakgan": lambda: LeakGANGenerator(V, CNNDiscriminator(V, 4, [2, 3], [3, 3]), T, bos_id=BOS),
}


@pytest.mark.parametrize("kind", sorted(GENERATORS))
def test_greedy_continuation_of_a_prompt_matches_teacher_forcing(kind):
    torch.manual_seed(0)
    gen = GENERATORS[kind]().eval()
    out = sample(gen, 3, T, top_k=1, prefix=PROMPT, seed=0)
    assert (out[:, :len(PROMPT)] == torch.tensor(PROMPT)).all()
    with torch.no_grad():
        predicted = gen(out).argmax(-1)                                   # (B, T): token t given BOS + out[:t]
    # every generated token is the model's most likely one given the prompt and what came before it
    assert torch.equal(out[:, len(PROMPT):], predicted[:, len(PROMPT):])


def test_prompts_are_seeded_and_an_empty_prefix_is_plain_sampling():
    torch.manual_seed(0)
    gen = GENERATORS["lstm"]()
    a, b = (sample(gen, 20, T, prefix=torch.tensor(PROMPT), seed=3) for _ in range(2))
    assert torch.equal(a, b) and len({tuple(r) for r in a[:, 3:].tolist()}) > 1    # sampled, not one row
    assert torch.equal(sample(gen, 20, T, prefix=[], seed=3), sample(gen, 20, T, seed=3))
    with pytest.raises(UserError, match="at most seq_len=7"):
        sample(gen, 2, T, prefix=list(range(8)))
    with pytest.raises(UserError, match="shape"):
        sample(gen, 2, T, prefix=[[1, 2]])
    with pytest.raises(UserError, match=r"prefix ids \[30, -1\] lie outside the generator's vocabulary 0..29"):
        sample(gen, 2, T, prefix=[3, 30, -1])


def test_text_prompts_start_every_sample(text_run, cli, capsys, caplog):
    proc = cli.main(sample_main, ["--run", text_run, "--num", "8", "--seed", "0", "--prompt", "The Dog"], capsys)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 8 and all(line.startswith("the dog") for line in lines)  # lowercased like the data
    with caplog.at_level(logging.WARNING):
        proc = cli.main(sample_main, ["--run", text_run, "--num", "2", "--prompt", "the xylophone"], capsys)
    assert proc.returncode == 0 and "xylophone" in caplog.text
    assert all(line.startswith("the <unk>") for line in proc.stdout.splitlines())


def test_oracle_prompts_are_token_ids(oracle_run, cli, capsys):
    proc = cli.main(sample_main, ["--run", oracle_run, "--num", "4", "--seed", "1", "--prompt", "7 3"], capsys)
    assert proc.returncode == 0, proc.stderr
    rows = [line.split() for line in proc.stdout.splitlines()]
    assert len(rows) == 4 and all(r[:2] == ["7", "3"] and len(r) == 8 for r in rows)


@pytest.mark.parametrize("prompt, needles", [
    ("  ", ["--prompt is empty"]),
    ("1 2 3 4 5 6 7 8", ["has 8 tokens", "at most 7"]),
    ("a b", ["integers"]),
    ("1 99", ["outside the vocabulary 0..49"]),
])
def test_bad_oracle_prompts_are_one_line_errors(oracle_run, cli, capsys, prompt, needles):
    cli.user_error(cli.main(sample_main, ["--run", oracle_run, "--prompt", prompt], capsys), *needles)


def test_prompt_and_infill_together_are_refused(oracle_run, cli, capsys):
    proc = cli.main(sample_main, ["--run", oracle_run, "--prompt", "1", "--infill", "1 ___"], capsys)
    cli.user_error(proc, "use one")
