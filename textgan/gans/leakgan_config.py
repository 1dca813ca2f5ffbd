"""Config sections of LeakGAN (Guo et al. 2018, arXiv 1709.08624): `leakgan`, `pretrain`, `adversarial`.

Defaults are the quick CPU profile (a few minutes on the synthetic oracle); `configs/leakgan.yaml` is
the CPU protocol and `configs/paper/leakgan_oracle.yaml` the paper's schedule (values from the paper
where it gives them, else from its reference code, CR-Gjx/LeakGAN; each help text says which).
"""

from __future__ import annotations

from dataclasses import dataclass

from textgan.config import param


@dataclass
class LeakGANConfig:
    goal_dim: int = param(16, min=1, help="goal embedding size k of w_t (paper: 16)")
    window: int = param(4, min=1, help="c: goals summed over the last c steps, and the horizon of the "
                                       "manager's feature-change target (paper: 4)")
    manager_dim: int = param(32, min=1, help="MANAGER LSTM hidden size (reference code: the worker's size)")
    delta: float = param(16.0, min=0.0, help="delta of the bootstrapped rescaled activation "
                                             "sigma(delta (0.5 - rank / B)) (reference code: 16)")
    sample_temperature: float = param(
        2.0 / 3.0, min=0.0, min_exclusive=True,
        help="alpha when generating D's negative samples. Paper: a higher temperature while training "
             "(exploration), a lower one when generating; the reference code multiplies the logits by 1.5 "
             "when generating (alpha = 2/3) and uses alpha = 1 for the policy-gradient samples. Evaluation "
             "uses eval.temperature (configs/paper/leakgan_oracle.yaml sets it to 2/3 as well)")
    d_real: str = param(
        "train", choices=["train", "oracle"],
        help="D's real examples at each D pass: 'train' = a random subset of the training set (every model's "
             "choice); 'oracle' = as many fresh samples of the synthetic oracle (the reference code's "
             "Synthetic Data script regenerates its positive file before every D pass; oracle data only). "
             "'oracle' gives D more real data than G ever sees")
    worker_extrinsic: float = param(
        0.0, min=0.0, help="weight of the rescaled Monte Carlo (extrinsic) reward added to the WORKER's "
                           "intrinsic reward. 0 = the paper's worker gradient (intrinsic reward only; the "
                           "reference code too); > 0 adds the extrinsic reward, FeUdal-network style")


@dataclass
class LeakGANPretrainConfig:
    # The reference code: 10 rounds of (5 negative sets x 3 D epochs, then 8 G epochs) = 80 G epochs.
    rounds: int = param(4, min=0, help="pretraining rounds: D on fresh negatives, then G (reference code: 10)")
    d_steps: int = param(1, min=0, help="fresh negative sets per round (reference code: 5)")
    d_epochs: int = param(1, min=1, help="D epochs per negative set (reference code: 3)")
    g_epochs: int = param(2, min=0, help="G epochs per round: worker MLE + manager feature-direction "
                                         "loss on real data (reference code: 8)")
    lr: float = param(0.01, min=0.0, min_exclusive=True, help="Adam lr of worker and manager "
                                                            "(reference code: 0.0015 at length 20)")
    grad_clip: float = param(5.0, min=0.0, help="gradient-norm clip per module (0 = off; reference code: 5.0)")
    batch_size: int = param(64, min=1, help="sequences per supervised step (reference code: 64)")


@dataclass
class LeakGANAdversarialConfig:
    rounds: int = param(10, min=0, help="adversarial rounds (reference code: 800)")
    g_steps: int = param(1, min=0, help="policy-gradient steps per round (reference code: 1)")
    d_steps: int = param(1, min=0, help="fresh negative sets per round (reference code: 5)")
    d_epochs: int = param(1, min=1, help="D epochs over each negative set (reference code: 3)")
    mle_every: int = param(15, min=0, help="interleaved training (paper): one supervised epoch of worker (MLE) "
                                           "and manager after every N adversarial rounds (reference code, "
                                           "COCO: 15; 0 = never)")
    rollouts: int = param(4, min=1, help="Monte Carlo completions per prefix (reference code: 4)")
    temperature: float = param(1.0, min=0.0, min_exclusive=True,
                               help="alpha of the policy-gradient samples (reference code: 1)")
    batch_size: int = param(64, min=1, help="sequences per policy-gradient step (reference code: 64)")
    g_lr: float = param(0.0015, min=0.0, min_exclusive=True,
                        help="Adam lr of adversarial worker and manager steps (reference code: 0.0015 at "
                             "length 20, 0.0005 at 40)")
    g_grad_clip: float = param(5.0, min=0.0, help="gradient-norm clip per module (0 = off; reference code: 5.0)")
    num_negatives: int = param(2000, min=1, help="generated sequences per D training set (reference code: "
                                                 "10,000)")
    rollout_chunk_rows: int = param(1024, min=1, help="rollout rows decoded at once")
    d_chunk_rows: int = param(2048, min=1, help="sequences per discriminator call when scoring rollouts")
