"""Prompts: the first words of the sentences to generate, continued by a trained run's generator.

`python -m textgan.sample --run R --prompt "a man riding"` prints sentences that start with the prompt.
The prompt's tokens are read as forced inputs through the step protocol and the rest is sampled
(`textgan.sampling.sample(..., prefix=...)`), so it works with every generator kind (LSTM, Transformer,
relational memory, LeakGAN's manager / worker) and, bound to a class, with the conditional models. The
continuation is drawn from the generator's distribution given the prompt: a prompt unlike the training
data gets what the model makes of it, not an error.
"""

from __future__ import annotations

from textgan.errors import UserError
from textgan.user_words import run_splitter, words_to_ids


def prompt_ids(run, prompt: str) -> list[int]:
    """The token ids of `prompt` for a loaded run (`textgan.runs.load_run`), split as its data was."""
    if not hasattr(run, "vocab") or not hasattr(run, "cfg"):
        raise TypeError(f"prompt_ids takes a loaded run (textgan.runs.load_run(...)), got {type(run).__name__}")
    if not isinstance(prompt, str):
        raise TypeError(f"prompt_ids takes the prompt as one string of words, e.g. \"a man riding\", got "
                        f"{type(prompt).__name__}")
    words = run_splitter(run)(prompt)
    if not words:
        raise UserError("the --prompt is empty; give the first words of the sentences to generate, e.g. "
                        "--prompt \"a man riding\"")
    ids = words_to_ids(words, run.vocab, "the --prompt", "12 7 31")
    room = run.seq_len - 1  # leave the generator at least one token (a word, or EOS to end the sentence)
    if len(ids) > room:
        raise UserError(f"the --prompt has {len(ids)} tokens; this run's sequences hold {run.seq_len}, so a "
                        f"prompt may have at most {room}; shorten it")
    return ids
