"""Device-correctness without a GPU: the decoding, rollout and loss code runs on networks and inputs that live
on PyTorch's "meta" device, which (like CUDA) refuses a tensor from another device in the same op, cannot be
read back with .item(), and raises no IndexError for an index past an embedding table. A tensor created on the
CPU by mistake, or a host sync, in these paths fails here as it would fail (or stall) on a GPU."""

from __future__ import annotations

import pytest
import torch

from textgan.errors import UserError
from textgan.gans.conditional import draw_labels
from textgan.gans.leakgan_rewards import rescaled_activation
from textgan.gans.maskgan import discounted_returns, filled_lengths
from textgan.gans.mle import mle_loss, supervised_epoch
from textgan.gumbel import gumbel_decode
from textgan.infill import ConditionedDecoder, masked_nll
from textgan.losses import dragan_penalty, wgan_gradient_penalty
from textgan.masking import make_mask, target_positions
from textgan.nn import CNNDiscriminator, LSTMGenerator
from textgan.nn.conditional_generator import PerClassGenerator, PrefixConditionalGenerator
from textgan.nn.leakgan_generator import LeakGANGenerator
from textgan.nn.relational_memory import RelationalMemoryGenerator
from textgan.nn.seq2seq import MaskSeq2SeqGenerator
from textgan.nn.transformer_generator import TransformerConfig, TransformerGenerator, gpt2_config
from textgan.rollout import eos_mask, rollout_rewards
from textgan.sampling import sample_batch, sample_continuations, sample_with_states, teacher_forced_states

META = torch.device("meta")
V, T, B = 40, 6, 3


def transformer(max_len: int = T, vocab: int = V) -> TransformerGenerator:
    return TransformerGenerator(gpt2_config(TransformerConfig(layers=1, heads=2, d_model=8, max_len=max_len,
                                                              dropout=0.0), vocab))


def disc() -> CNNDiscriminator:
    return CNNDiscriminator(V, 4, [2, 3], [3, 3])


GENERATORS = {
    "lstm": lambda: LSTMGenerator(V, 4, 5),
    "transformer": transformer,
    "relational_memory": lambda: RelationalMemoryGenerator(V, 4, mem_slots=1, num_heads=2, head_size=4),
    "leakgan": lambda: LeakGANGenerator(V, disc(), T),
    "prefix_conditional": lambda: PrefixConditionalGenerator(LSTMGenerator(V + 2, 4, 5), V, 2).bind(1),
}


@pytest.mark.parametrize("kind", sorted(GENERATORS))
def test_decoding_and_rollouts_stay_on_the_generators_device(kind):
    gen = GENERATORS[kind]().to(META)
    samples = sample_batch(gen, B, T, eos_id=2, top_k=5, top_p=0.9)
    tokens, states = sample_with_states(gen, B, T, eos_id=2)
    forced = teacher_forced_states(gen, tokens)
    continued = sample_continuations(gen, tokens[:, :2], T, eos_id=2)
    soft, hard = gumbel_decode(gen, B, T, 2.0, eos_id=2)
    d = disc().to(META)
    rewards = rollout_rewards(gen, None, tokens, rollouts=2, states=states, eos_id=2, chunk_rows=4,
                              score=lambda ids: torch.sigmoid(d(ids)))
    for t in (samples, tokens, *states, *forced, continued, soft, hard, rewards):
        assert t.device == META
    assert rewards.shape == (B, T) and soft.shape == (B, T, V)


def test_infill_decoding_and_masks_stay_on_the_device():
    gen = MaskSeq2SeqGenerator(V, 4, 5, max_len=T).to(META)
    lengths = torch.tensor([3, 5, 6], device=META)
    tokens = torch.zeros(B, T, dtype=torch.long, device=META)
    for scheme in ("contiguous", "random"):
        present = make_mask(lengths, T, scheme)
        filled = sample_batch(ConditionedDecoder(gen, tokens, present, 2, 0, (0, 1)), B, T, eos_id=2)
        nll, count = masked_nll(gen, tokens, lengths, present)
        for t in (present, target_positions(present, lengths), filled, nll, count):
            assert t.device == META


def test_training_pieces_stay_on_the_device():
    tokens = torch.zeros(B, T, dtype=torch.long, device=META)
    lengths = torch.tensor([3, 5, 6], device=META)
    gen, d = LSTMGenerator(V, 4, 5).to(META), disc().to(META)
    loss = mle_loss(gen, tokens, lengths)
    loss.backward()
    real, fake = torch.rand(B, T, V, device=META), torch.rand(B, T, V, device=META)
    leak = LeakGANGenerator(V, disc(), T).to(META)
    for t in (loss, gen.output.weight.grad, eos_mask(tokens, 2), discounted_returns(torch.ones(B, T, device=META), 0.9),
              filled_lengths(tokens, 2), filled_lengths(tokens, None), draw_labels(7, 3, META),
              rescaled_activation(torch.rand(B, T, device=META), 12.0, eos_mask(tokens, 2)),
              wgan_gradient_penalty(d, real, fake), dragan_penalty(d, real), leak.unroll(tokens).logits):
        assert t.device == META


# -- Transformer positions: the same UserError on every device -------------------------------------------------


def test_decoding_past_the_transformers_positions_is_refused_before_it_starts():
    """On the CPU `step` turns the out-of-range position lookup into a UserError; on CUDA that lookup is a
    device-side assert. The shared decoders check the length on the host first (meta, like CUDA, raises nothing
    for the bad index, so without that check these decodes would run)."""
    gen = transformer(max_len=T).to(META)
    sample_batch(gen, B, T)                                   # exactly max_len positions fit
    with pytest.raises(UserError, match=f"generator.transformer.max_len={T + 1}"):
        sample_batch(gen, B, T + 1)
    with pytest.raises(UserError, match=f"generator.transformer.max_len={T + 1}"):
        gumbel_decode(gen, B, T + 1, 1.0)
    with pytest.raises(UserError, match=f"generator.transformer.max_len={T + 1}"):
        sample_with_states(gen, B, T + 1)


def test_conditional_transformers_count_their_label_prefix():
    """The prefix-conditional generator reads <bos> <label> before the sentence: T tokens need T + 2 positions."""
    prefix = PrefixConditionalGenerator(transformer(max_len=T + 1, vocab=V + 2), V, 2).to(META)
    with pytest.raises(UserError, match=f"generator.transformer.max_len={T + 2}"):
        sample_batch(prefix.bind(0), B, T)
    sample_batch(PrefixConditionalGenerator(transformer(max_len=T + 2, vocab=V + 2), V, 2).to(META).bind(0), B, T)
    per_class = PerClassGenerator([transformer(max_len=T), transformer(max_len=T - 1)], V)
    with pytest.raises(UserError, match=f"generator.transformer.max_len={T}"):
        sample_batch(per_class.bind(0), B, T)


# -- host syncs ------------------------------------------------------------------------------------------------


def test_supervised_epoch_reads_its_loss_back_once(monkeypatch):
    """The running loss stays on the loss's device; one read at the end, not a GPU sync per batch."""
    gen = LSTMGenerator(V, 4, 5)
    opt = torch.optim.Adam(gen.parameters(), lr=0.01)
    batches = [torch.randint(0, V, (B, T)) for _ in range(3)]
    copies = []
    real_cpu = torch.Tensor.cpu
    monkeypatch.setattr(torch.Tensor, "cpu", lambda self, *a, **k: copies.append(1) or real_cpu(self, *a, **k))
    out = supervised_epoch((mle_loss(gen, x, torch.full((B,), T)) for x in batches), opt, gen.parameters(), 0.0)
    assert copies == [] and out["mle_loss"] > 0
