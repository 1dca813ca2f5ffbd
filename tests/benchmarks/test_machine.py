"""benchmarks/machine.py: the machine description every result file and speed table records."""

from __future__ import annotations

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo root, where `benchmarks` lives

from benchmarks import render
from benchmarks.machine import cpu_model, cpu_summary, hardware


def test_hardware_names_the_cpu_and_its_kernel_instruction_set():
    hw = hardware()
    assert hw["cpu_model"] == cpu_model() and hw["cpu_model"]
    # the instruction set torch's CPU kernels dispatch to: what decides float rounding between machines
    assert hw["cpu_capability"] == torch.backends.cpu.get_cpu_capability()
    assert hw["torch_threads"] == torch.get_num_threads()
    assert hw["torch"] == torch.__version__ and hw["cpu_count"] >= 1


def test_cpu_summary_with_and_without_the_cpu_fields():
    assert cpu_summary({"cpu_count": 2, "cpu_model": "Xeon", "cpu_capability": "AVX2"}) == "2 CPUs (Xeon, AVX2)"
    # results recorded before the CPU fields existed read as they did
    assert cpu_summary({"cpu_count": 2, "processor": "x86_64"}) == "2 CPUs"


def test_rendered_hardware_line_tells_runs_on_different_kernels_apart():
    base = {"platform": "linux", "cpu_count": 2, "torch": "2", "torch_threads": 1, "cuda": None}
    runs = [{"hardware": {**base, "cpu_model": "Xeon", "cpu_capability": isa}} for isa in ("AVX2", "AVX512")]
    lines = render._hardware_lines(runs)
    assert len(lines) == 2
    assert "2 CPUs (Xeon, AVX2)" in lines[0] and "(1 run)" in lines[0]
    assert "2 CPUs (Xeon, AVX512)" in lines[1]
