"""Tests of textgan.masking: mask rates of both schemes, contiguity, the masked-EOS tail rule, seeding."""

from __future__ import annotations

import pytest
import torch

from textgan.masking import filled_spans, make_mask, mask_tokens, target_positions

T = 12


def lengths(n: int = 4000) -> torch.Tensor:
    return torch.randint(4, T + 1, (n,), generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("rate", [0.25, 0.5, 0.8])
def test_random_scheme_present_rate(rate):
    lens = lengths()
    present = make_mask(lens, T, "random", rate, has_eos=False, rng=torch.Generator().manual_seed(1))
    inside = torch.arange(T)[None, :] < lens[:, None]
    observed = present[inside].float().mean().item()
    assert observed == pytest.approx(rate, abs=0.01)
    assert present[~inside].all()                                  # padding stays present without EOS


@pytest.mark.parametrize("rate", [0.0, 0.3, 0.5, 1.0])
def test_contiguous_scheme_masks_one_block_of_the_right_size(rate):
    lens = lengths(500)
    present = make_mask(lens, T, "contiguous", rate, has_eos=False, rng=torch.Generator().manual_seed(2))
    for row, n in zip(present, lens.tolist()):
        spans = filled_spans(row, n)
        expected = int((1 - rate) * n + 0.5)
        assert sum(b - a for a, b in spans) == expected
        assert len(spans) == (1 if expected else 0)                # one contiguous block
        assert row[n:].all()


def test_contiguous_block_start_is_spread_over_the_sentence():
    lens = torch.full((3000,), 10)
    present = make_mask(lens, 10, "contiguous", 0.5, has_eos=False, rng=torch.Generator().manual_seed(3))
    starts = (~present).long().argmax(1)
    counts = torch.bincount(starts, minlength=10)
    assert counts[:6].min() > 400 and counts[6:].sum() == 0        # 6 possible starts, each about 1/6


def test_masked_eos_masks_the_padding_after_it():
    lens = torch.tensor([5, 5])
    # present rate 0: the block covers the whole sentence, EOS (position 4) included
    all_masked = make_mask(lens, 8, "contiguous", 0.0, has_eos=True)
    assert not all_masked.any()                                     # EOS masked -> the tail too
    kept = make_mask(lens, 8, "contiguous", 0.0, has_eos=False)
    assert (~kept[:, :5]).all() and kept[:, 5:].all()
    lens = torch.randint(3, 9, (500,), generator=torch.Generator().manual_seed(4))
    present = make_mask(lens, 10, "random", 0.5, has_eos=True, rng=torch.Generator().manual_seed(5))
    eos_masked = ~present[torch.arange(500), lens - 1]
    tail = torch.arange(10)[None, :] >= lens[:, None]
    assert eos_masked.any() and (~eos_masked).any()
    assert (~present[eos_masked][tail[eos_masked]]).all()          # masked EOS: padding masked too
    assert present[~eos_masked][tail[~eos_masked]].all()


def test_masks_are_reproducible_from_a_seed_and_follow_the_global_rng():
    lens = lengths(64)
    a = make_mask(lens, T, "random", 0.5, rng=torch.Generator().manual_seed(7))
    b = make_mask(lens, T, "random", 0.5, rng=torch.Generator().manual_seed(7))
    assert torch.equal(a, b)
    torch.manual_seed(9)
    c = make_mask(lens, T, "contiguous", 0.5)
    torch.manual_seed(9)
    assert torch.equal(c, make_mask(lens, T, "contiguous", 0.5))


def test_mask_tokens_and_targets():
    tokens = torch.tensor([[5, 6, 7, 2, 0]])
    present = torch.tensor([[True, False, False, True, True]])
    assert mask_tokens(tokens, present, 99).tolist() == [[5, 99, 99, 2, 0]]
    assert target_positions(present, torch.tensor([4])).tolist() == [[False, True, True, False, False]]
    assert target_positions(present, torch.tensor([2])).tolist() == [[False, True, False, False, False]]
    assert filled_spans(torch.tensor([False, True, False, False, True]), 5) == [(0, 1), (2, 4)]


def test_unknown_scheme_is_an_error():
    with pytest.raises(ValueError, match="unknown masking scheme"):
        make_mask(torch.tensor([3]), 4, "nope")
