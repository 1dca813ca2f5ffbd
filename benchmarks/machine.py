"""The machine a benchmark ran on, described the same way in every result file and speed table.

`hardware()` is what the grids (`harness.py`), the temperature sweeps and the speed benchmarks record
beside their numbers. Besides the platform, CPU count and library versions it names the CPU model and the
vector instruction set that PyTorch's CPU kernels dispatch to (`cpu_capability`: e.g. AVX2 or AVX512):
two machines with different kernels round floating point differently, so a run repeated with the same
seed and config reproduces another machine's run only to the seed spread, not bit for bit, and these two
fields say when that is the reason.

`repo_path()` is the other half of that record: paths as results write them, relative to the repository,
so that no committed file names the folders of the machine it was produced on.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def repo_path(path: str | Path) -> str:
    """`path` relative to the repository root when it lies inside it (the default run and config folders,
    which the benchmark commands reach from that root), else as given."""
    resolved = Path(path).resolve()
    return str(resolved.relative_to(REPO)) if resolved.is_relative_to(REPO) else str(path)


def shown_path(path: str | Path) -> str:
    """`path` as a command recorded in a result writes it: relative to the repository inside it, else its name
    alone (a file in a temporary folder: the result names no machine's folders)."""
    shown = repo_path(path)
    return Path(path).name if Path(shown).is_absolute() else shown


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux; platform.processor() is often empty there)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def hardware() -> dict[str, Any]:
    """Platform, CPU model and kernel instruction set, CPU count, Python / torch versions, torch's thread
    count now, and the CUDA device's name (None without one)."""
    import torch

    info = {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "cpu_model": cpu_model(), "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "cpu_count": os.cpu_count(), "python": platform.python_version(), "torch": torch.__version__,
            "torch_threads": torch.get_num_threads(), "cuda": None}
    if torch.cuda.is_available():
        info["cuda"] = torch.cuda.get_device_name(0)
    return info


def cpu_summary(hw: dict[str, Any]) -> str:
    """"2 CPUs (model, kernel instruction set)" from a `hardware()` record; older records without the CPU
    fields give "2 CPUs"."""
    details = ", ".join(str(hw[key]) for key in ("cpu_model", "cpu_capability") if hw.get(key))
    return f"{hw.get('cpu_count')} CPUs" + (f" ({details})" if details else "")
