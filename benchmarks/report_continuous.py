"""The continuous-baseline section of the benchmark report: the image / 2-D GANs (GAN, arXiv 1406.2661;
DCGAN, arXiv 1511.06434; WGAN-GP, arXiv 1704.00028; LSGAN, arXiv 1611.04076; hinge + spectral norm, arXiv
1802.05957; DRAGAN, arXiv 1705.07215) from the result JSONs that `benchmarks/image_baseline.py` writes.

Their metrics (modes covered, high-quality samples, Fréchet distance in a digit classifier's features) share
nothing with the text rows, so they get tables of their own, built by the same functions as the
image_baseline README (mean ± std over seeds); the sample figures stay in that README.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from benchmarks.image_baseline_render import digits_table, load_results, points_table, runs_by_model

FOLDER = "image_baseline"


def continuous_section(results_dir: Path, out: Path) -> str:
    """Markdown for the report, or "" when results_dir has no image-baseline results."""
    folder = Path(results_dir) / FOLDER
    results = load_results(folder) if folder.is_dir() else []
    if not results:
        return ""
    readme = Path(os.path.relpath(folder / "README.md", Path(out).parent)).as_posix()
    md = ["## Continuous baseline (2-D mixtures, digits)", "",
          f"`python benchmarks/image_baseline.py`; protocol, sample figures and reading in [{FOLDER}]({readme}). "
          "2-D mixtures: 2,500 samples a run; a sample is high quality within 3 std of a mode, a mode is covered "
          "with at least 20% of its uniform share of them. Digits: Fréchet distance (FD) in a small digit "
          "classifier's features on 2,000 samples. `dcgan` and `gan` are one registration (MLP nets for points, "
          "DCGAN nets for images): `gan` rows stand for both on the mixtures, `dcgan` rows on digits. Hardware: "
          + "; ".join(sorted({f"{r.get('machine', '?')}, {r.get('threads', '?')} thread a run" for r in results}))
          + " (CPU seconds are the budget to compare; wall time depends on the machine's load).", ""]
    for data in ("ring8", "grid25"):
        if runs_by_model(results, data):
            md += points_table(results, data)
    references = folder / "digits_references.json"
    if runs_by_model(results, "digits") and references.is_file():
        md += digits_table(results, json.loads(references.read_text())) + [""]
    return "\n".join(md)
