"""Generator / discriminator sizes of a benchmark run, for the report's size column.

`network_sizes(config)` rebuilds the run's algorithm from its resolved config (the `config` of a result
JSON) on its data set and counts parameters per network (frozen ones too): every parameter whose name has a
`discriminator` component counts for the discriminator (so a discriminator held inside the generator,
as LeakGAN's feature network is, is counted as D, not G), the rest for the network that holds it. The
sizes depend only on the config and the data's vocabulary, so they can be added to finished results:

    python benchmarks/network_sizes.py [--results benchmarks/results] [--data-dir DIR]

adds `sizes` to every text result JSON that lacks it (the harness writes it for new runs).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

RESULTS = Path(__file__).resolve().parent / "results"
_DATA: dict[tuple[str, str | None], Any] = {}


def count_parameters(modules: dict[str, Any]) -> dict[str, int]:
    """{network name: parameters}; parameters under a `discriminator` submodule go to 'discriminator' whichever
    network holds them. Frozen parameters count too (the conditional discriminators' unused CNN output layer,
    F + 1 weights): committed `sizes` were counted this way."""
    sizes: dict[str, int] = {}
    for name, module in modules.items():
        for pname, p in module.named_parameters():
            owner = "discriminator" if "discriminator" in (name, *pname.split(".")) else name
            sizes[owner] = sizes.get(owner, 0) + p.numel()
    return sizes


def network_sizes(config: dict[str, Any], data_dir: str | None = None, data: Any = None) -> dict[str, int]:
    """Parameters per network (frozen ones too: see `count_parameters`) of the run that `config` (a resolved
    config dict) describes.

    `data`: the run's data set when the caller has it loaded already (the harness does, for its
    evaluation), so the corpus is not read and tokenised a second time."""
    import torch

    from textgan.config import merge_dict, without_init_only
    from textgan.data.sources import load_data
    from textgan.gans.base import TrainContext
    from textgan.registry import get_model, make_config

    spec = get_model(str(config["model"]))
    cfg = make_config(spec)
    merge_dict(cfg, config)
    cfg = without_init_only(cfg)  # sizes only: no pretrained weights need to be read
    if data is None:
        key = (json.dumps(config.get("data"), sort_keys=True), data_dir)
        if key not in _DATA:  # one load per data config: tokenising a corpus costs seconds
            _DATA[key] = load_data(cfg.data, data_dir, None)
        data = _DATA[key]
    algorithm = spec.algorithm(TrainContext(cfg, data, torch.device("cpu")))
    return count_parameters(algorithm.modules())


def add_sizes(results_dir: Path, data_dir: str | None) -> list[Path]:
    """Add `sizes` to the text result JSONs directly inside results_dir/<grid>/ that lack it."""
    changed = []
    for path in sorted(Path(results_dir).glob("*/*.json")):
        result = json.loads(path.read_text())
        if not isinstance(result, dict) or "sizes" in result or not isinstance(result.get("config"), dict):
            continue
        if "model" not in result["config"]:
            continue
        result["sizes"] = network_sizes(result["config"], data_dir)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(result, indent=1) + "\n")
        tmp.replace(path)
        changed.append(path)
        print(f"{path}: {result['sizes']}")
    return changed


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python benchmarks/network_sizes.py", description=__doc__.splitlines()[0])
    p.add_argument("--results", default=str(RESULTS))
    p.add_argument("--data-dir", default=os.environ.get("TEXTGAN_DATA_DIR"), help="data root (TEXTGAN_DATA_DIR)")
    args = p.parse_args(argv)
    if not Path(args.results).is_dir():
        print(f"error: --results '{args.results}' is not a folder of result JSONs", file=sys.stderr)
        return 2
    print(f"{len(add_sizes(Path(args.results), args.data_dir))} result files updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
