"""Words a user types (a `--prompt`, an `--infill` template) read the way a run's training data was read.

`run_splitter` splits text like the run's data (its tokenizer, lowercasing and Unicode normalisation, from
the run's config), so a prompt's words meet the vocabulary in the form training saw. `words_to_ids` turns
the words into the run's ids: integers for the synthetic oracle (whose vocabulary is ids), vocabulary ids
for text, where a word the vocabulary lacks becomes `<unk>` with a warning (the generator was trained with
`<unk>` in its data, so it can continue from one; refusing would make every rare word an error).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from textgan.errors import UserError

log = logging.getLogger(__name__)


def run_splitter(run) -> Callable[[str], list[str]]:
    """Split text as the run's training data was split (whitespace for the oracle's ids)."""
    if getattr(run.vocab, "eos_id", None) is None:
        return str.split
    from textgan.data.vocab import word_splitter

    return word_splitter(run.cfg.data.tokenize, run.cfg.data.lowercase, run.cfg.data.normalize)


def words_to_ids(words: Sequence[str], vocab, what: str, example: str) -> list[int]:
    """The ids of `words` in `vocab` (a run's `TextVocab` or the oracle's `IdVocab`).

    `what` names the input in errors ("the --prompt"); `example` shows oracle users a valid one.
    """
    if getattr(vocab, "eos_id", None) is None:  # the oracle: tokens are ids
        try:
            values = [int(w) for w in words]
        except ValueError:
            raise UserError(f"this run's vocabulary is token ids (the synthetic oracle); write {what} as "
                            f"integers, e.g. \"{example}\"") from None
        bad = [v for v in values if not 0 <= v < vocab.size]
        if bad:
            raise UserError(f"{what} has token ids {bad} outside the vocabulary 0..{vocab.size - 1}")
        return values
    if not words:
        return []
    values = vocab.encode([list(words)])[0]
    unknown = [w for w, v in zip(words, values) if v == vocab.unk_id and w != vocab.id_to_token(vocab.unk_id)]
    if unknown:
        log.warning("words not in the vocabulary, read as <unk>: %s", ", ".join(unknown))
    return values
