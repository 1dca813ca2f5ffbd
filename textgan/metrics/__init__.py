"""Evaluation metrics for generated text (BLEU-n, self-BLEU-n, ...)."""

from .bleu import bleu, self_bleu

__all__ = ["bleu", "self_bleu"]
