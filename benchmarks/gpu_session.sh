#!/usr/bin/env bash
# The GPU checks, as one short script for a lent GPU machine (minutes of device time):
#   1. benchmarks/gpu_check.py: every configs/tiny case trained, resumed, sampled and evaluated on the GPU,
#      NLL-test on the GPU against the CPU's;
#   2. benchmarks/paper_smoke.py on SeqGAN's and LeakGAN's paper configs with train.device=cuda and the
#      budgets cut to a few iterations: what a paper-scale round costs on the GPU (beside the CPU's
#      benchmarks/results/seqgan_paper_smoke/), to size paper-scale runs.
# Usage: bash benchmarks/gpu_session.sh OUT_DIR
# The paper configs train on SeqGAN's oracle: TEXTGAN_DATA_DIR must hold seqgan_oracle/target_params.npz
# (default .device_data: a git-ignored copy of ../shared/data/seqgan_oracle there travels with the checkout).
set -uo pipefail
out=${1:?usage: bash benchmarks/gpu_session.sh OUT_DIR}
mkdir -p "$out"
export HF_HUB_OFFLINE=1 TEXTGAN_DATA_DIR=${TEXTGAN_DATA_DIR:-.device_data}
status=0
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$out/nvidia_smi.csv" || status=1
python benchmarks/gpu_check.py --device cuda --out "$out/gpu_check.json" || status=1
python benchmarks/paper_smoke.py --config configs/paper/seqgan_oracle.yaml --out "$out/seqgan_paper_smoke_cuda" \
  --workdir "$out/runs" mle.epochs=1 adversarial.pretrain_d_rounds=1 adversarial.rounds=2 train.device=cuda \
  || status=1
python benchmarks/paper_smoke.py --config configs/paper/leakgan_oracle.yaml --out "$out/leakgan_paper_smoke_cuda" \
  --workdir "$out/runs" pretrain.rounds=1 adversarial.rounds=2 train.device=cuda || status=1
rm -rf "$out/runs"  # checkpoints: not needed back
exit $status
