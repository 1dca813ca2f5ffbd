"""Decoder-only Transformer generator: a small GPT-2 (Radford et al. 2019) built locally from a `transformers`
`GPT2Config`, with its own key/value-cached decoding step. No text-GAN paper ships one; the architecture is
GPT-2's (pre-LayerNorm blocks, learned positions, GELU MLP), the attention is Vaswani et al. 2017
(arXiv 1706.03762).

Implements the generator protocol every algorithm relies on (as `lstm_generator.py`):
- `forward(tokens) -> logits (B, T, V)`: teacher forcing through `GPT2Model`; logits[:, t] predicts
  tokens[:, t] from BOS + tokens[:, :t].
- `init_state(B)` and `step(inputs, state) -> (logits (B, V), state)` with token ids (B,) or soft one-hot
  rows (B, V) (Gumbel-softmax decoding; their embedding is soft @ wte).

The decoding state is a plain tuple with the batch in dim 1 of every component, so sampling can stack it
over time and Monte Carlo rollouts can `index_select(1, ...)` and `cat(dim=1)` it without knowing the
generator: for each layer l = 0 .. L-1 a key and a value cache, then the positions,
    keys_l, values_l   (1, B, H, M, Dh)   fixed-size cache, M = max_len slots
    pos                (1, B) long        inputs each row has read = the slot / position of its next input
(2 L + 1 components). Each row writes its new key/value into slot `pos` and attends to slots <= pos, so
rows that reached different positions can share a batch. `step` never writes into the state it is given
(it copies each cache, then writes the one new slot per row): sampling keeps the state of every step, and
in-place writes would alias them. One tensor per layer, not one stacked (L, ...) tensor, so no step pays
for a second copy of the whole cache (the copies dominate a step's cost at rollout batch sizes).

Deviations from GPT-2, and why:
- The output layer is a separate Linear (no bias), not tied to the input embedding: checkpoints are
  safetensors (which refuse shared tensors) and SeqGAN's rollout-network update mixes every state-dict
  entry once (a tied pair would be mixed twice). A pretrained model's tied head is copied into it.
- The token fed first is the vocabulary's BOS id, as for every generator here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from textgan.config import param
from textgan.errors import UserError

State = tuple[torch.Tensor, ...]


@dataclass
class TransformerConfig:
    """The `generator.transformer` section (used when `generator.kind=transformer`)."""

    layers: int = param(2, min=1, help="Transformer blocks")
    heads: int = param(4, min=1, help="attention heads; must divide d_model")
    d_model: int = param(64, min=1, help="embedding / hidden width (GPT-2 small: 768)")
    inner_dim: int = param(0, min=0, help="MLP width (0 = 4 * d_model, as GPT-2)")
    max_len: int = param(64, min=1, help="position embeddings and key/value cache slots; must be >= the "
                                         "data's sequence length")
    dropout: float = param(0.1, min=0.0, max=0.99, help="embedding, attention and residual dropout "
                                                         "(GPT-2: 0.1)")
    init_std: float = param(0.02, min=0.0, min_exclusive=True, help="N(0, init_std) weight init (GPT-2: 0.02)")
    pretrained_dir: str = param("", init_only=True,
                                help="local directory written by transformers' save_pretrained (a GPT-2 "
                                     "model) to initialise from; its sizes and vocabulary must match")


def gpt2_config(cfg: TransformerConfig, vocab_size: int):
    """The `transformers.GPT2Config` of a `generator.transformer` section."""
    from transformers import GPT2Config

    if cfg.d_model % cfg.heads:
        raise UserError(f"config key 'generator.transformer.d_model' ({cfg.d_model}) must be a multiple of "
                        f"'generator.transformer.heads' ({cfg.heads})")
    return GPT2Config(vocab_size=vocab_size, n_positions=cfg.max_len, n_embd=cfg.d_model, n_layer=cfg.layers,
                      n_head=cfg.heads, n_inner=cfg.inner_dim or None, resid_pdrop=cfg.dropout,
                      embd_pdrop=cfg.dropout, attn_pdrop=cfg.dropout, initializer_range=cfg.init_std,
                      bos_token_id=None, eos_token_id=None, pad_token_id=None, use_cache=False,
                      tie_word_embeddings=False, attn_implementation="sdpa")


class TransformerGenerator(nn.Module):
    def __init__(self, config, bos_id: int = 0) -> None:
        """`config`: a `transformers.GPT2Config` (see `gpt2_config`)."""
        super().__init__()
        from transformers import GPT2Model

        self.vocab_size = config.vocab_size
        self.max_len = config.n_positions
        self.num_layers = config.n_layer
        self.num_heads = config.n_head
        self.head_dim = config.n_embd // config.n_head
        self.bos_id = bos_id
        self.transformer = GPT2Model(config)  # initialised by transformers: N(0, initializer_range)
        self.head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        nn.init.normal_(self.head.weight, std=config.initializer_range)

    # -- teacher forcing ---------------------------------------------------------------------------

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens (B, T) -> logits (B, T, V) under teacher forcing."""
        batch, seq_len = tokens.shape
        self.check_length(seq_len)
        bos = torch.full((batch, 1), self.bos_id, dtype=torch.long, device=tokens.device)
        inputs = torch.cat([bos, tokens[:, :-1]], dim=1)                           # (B, T)
        hidden = self.transformer(input_ids=inputs, use_cache=False).last_hidden_state  # (B, T, D)
        return self.head(hidden)                                                   # (B, T, V)

    def check_length(self, seq_len: int) -> None:
        """A UserError when `seq_len` positions do not fit; the shared decoders call it before decoding.

        `step` turns an index past the position table into the same UserError only on the CPU: on CUDA the
        lookup is a device-side assert, which kills the process's CUDA context with an opaque error.
        """
        if seq_len > self.max_len:
            raise UserError(f"sequences of {seq_len} tokens exceed the Transformer generator's "
                            f"{self.max_len} positions; set generator.transformer.max_len={seq_len} or more")

    # -- cached decoding ---------------------------------------------------------------------------

    def init_state(self, batch: int) -> State:
        device = self.head.weight.device
        dtype = self.head.weight.dtype
        caches = tuple(torch.zeros(1, batch, self.num_heads, self.max_len, self.head_dim, device=device,
                                   dtype=dtype) for _ in range(2 * self.num_layers))
        return (*caches, torch.zeros(1, batch, dtype=torch.long, device=device))

    def embed_inputs(self, inputs: torch.Tensor) -> torch.Tensor:
        """Ids (B,) or soft one-hots (B, V) -> token embeddings (B, D)."""
        wte = self.transformer.wte
        if inputs.dtype == torch.long:
            return wte(inputs)
        return inputs @ wte.weight

    def step(self, inputs: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        """One decoding step: inputs (B,) ids or (B, V) soft -> logits (B, V), new state."""
        pos = state[-1][0]                                                         # (B,)
        tf = self.transformer
        try:
            position = tf.wpe(pos)                                                 # (B, D)
        except IndexError:  # CPU only: on CUDA this is a device-side assert (decoders call check_length first)
            raise UserError(f"the Transformer generator decoded past its {self.max_len} positions; "
                            "set generator.transformer.max_len to at least the sequence length") from None
        x = tf.drop(self.embed_inputs(inputs) + position)[:, None]                 # (B, 1, D)
        slots = torch.arange(self.max_len, device=pos.device)
        rows = torch.arange(pos.shape[0], device=pos.device)
        visible = (slots[None, :] <= pos[:, None])[:, None, None, :]              # (B, 1, 1, M): causal by position
        new_state = []
        for layer, block in enumerate(tf.h):
            attn = block.attn
            q, k, v = attn.c_attn(block.ln_1(x)).split(attn.split_size, dim=2)    # 3 x (B, 1, D)
            q, k, v = (t.view(t.shape[0], 1, self.num_heads, self.head_dim).transpose(1, 2)
                       for t in (q, k, v))                                         # (B, H, 1, Dh)
            # copy, then write slot pos of each row: earlier states (kept by sampling for rollouts) must not change
            k_cache, v_cache = state[2 * layer].clone(), state[2 * layer + 1].clone()  # (1, B, H, M, Dh)
            k_cache[0, rows, :, pos] = k[:, :, 0]                                      # (B, H, Dh)
            v_cache[0, rows, :, pos] = v[:, :, 0]
            new_state += [k_cache, v_cache]
            k_cache, v_cache = k_cache[0], v_cache[0]                                  # (B, H, M, Dh)
            out = F.scaled_dot_product_attention(
                q, k_cache, v_cache, attn_mask=visible, scale=attn.scaling,
                dropout_p=attn.attn_dropout.p if self.training else 0.0)          # (B, H, 1, Dh)
            out = attn.resid_dropout(attn.c_proj(out.transpose(1, 2).reshape(x.shape)))
            x = x + out                                                            # (B, 1, D)
            x = x + block.mlp(block.ln_2(x))
        logits = self.head(tf.ln_f(x[:, 0]))                                       # (B, V)
        return logits, (*new_state, (pos + 1)[None])

    # -- pretrained weights ------------------------------------------------------------------------

    def load_pretrained(self, directory: str | Path) -> None:
        """Copy the weights of a GPT-2 model saved with `save_pretrained` in `directory` into this one."""
        from transformers import GPT2LMHeadModel

        from textgan.hf_quiet import no_hf_progress_bars

        path = Path(directory)
        key = "generator.transformer.pretrained_dir"
        if not path.is_dir():
            raise UserError(f"{key} '{directory}' is not a directory; give a folder written by "
                            "transformers' save_pretrained, or leave the key empty")
        if not (path / "config.json").is_file():
            raise UserError(f"{key} '{directory}' holds no config.json; give a folder written by "
                            "transformers' save_pretrained")
        try:
            model_type = json.loads((path / "config.json").read_text(encoding="utf-8")).get("model_type")
        except (OSError, ValueError, AttributeError):
            model_type = None
        if model_type != "gpt2":
            raise UserError(f"{key} '{directory}' holds a {model_type or 'unreadable'} config.json, not a GPT-2 "
                            "model (model_type 'gpt2'); only GPT-2 checkpoints fit this generator")
        try:
            with no_hf_progress_bars():
                model = GPT2LMHeadModel.from_pretrained(path, local_files_only=True)
        except (OSError, ValueError) as exc:
            raise UserError(f"{key} '{directory}' could not be loaded as a GPT-2 model: "
                            f"{str(exc).splitlines()[0]}") from None
        theirs, ours = model.config, self.transformer.config
        if theirs.vocab_size != ours.vocab_size:
            raise UserError(f"{key} '{directory}' has a vocabulary of {theirs.vocab_size} tokens, the data's "
                            f"has {ours.vocab_size}; initialise only from a model trained on this vocabulary")
        for name, ours_v, theirs_v in (("layers", ours.n_layer, theirs.n_layer), ("heads", ours.n_head, theirs.n_head),
                                       ("d_model", ours.n_embd, theirs.n_embd),
                                       ("max_len", ours.n_positions, theirs.n_positions),
                                       ("inner_dim", ours.n_inner or 4 * ours.n_embd,
                                        theirs.n_inner or 4 * theirs.n_embd)):
            if ours_v != theirs_v:
                raise UserError(f"{key} '{directory}' has {name} {theirs_v}, the config asks for {ours_v}; "
                                f"set generator.transformer.{name}={theirs_v}")
        self.transformer.load_state_dict(model.transformer.state_dict())
        with torch.no_grad():
            self.head.weight.copy_(model.lm_head.weight)  # the pretrained head (tied to wte in GPT-2)

    def save_pretrained(self, directory: str | Path) -> None:
        """Write this generator as a `transformers` GPT2LMHeadModel folder (config.json + safetensors)."""
        from transformers import GPT2LMHeadModel

        from textgan.hf_quiet import no_hf_progress_bars

        model = GPT2LMHeadModel(self.transformer.config)
        model.transformer.load_state_dict(self.transformer.state_dict())
        with torch.no_grad():
            model.lm_head.weight.copy_(self.head.weight)
        with no_hf_progress_bars():
            model.save_pretrained(directory)


def build_transformer_generator(cfg: TransformerConfig, vocab_size: int, bos_id: int) -> TransformerGenerator:
    """The generator of a `generator.transformer` section, initialised from `pretrained_dir` when set."""
    generator = TransformerGenerator(gpt2_config(cfg, vocab_size), bos_id=bos_id)
    if cfg.pretrained_dir:
        generator.load_pretrained(cfg.pretrained_dir)
    return generator
