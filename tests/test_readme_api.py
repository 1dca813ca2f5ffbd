"""The README's Python API example, run as written (in a temporary folder with a tiny corpus), so the
documented calls and their order stay true."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import write_tiny_text

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_api_block() -> str:
    match = re.search(r"^## Python API\n.*?```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S | re.M)
    assert match, "README.md has no ```python block under '## Python API'"
    return match.group(1)


def test_readme_python_api_example_runs(tmp_path, monkeypatch, capsys):
    write_tiny_text(tmp_path)  # the example's train.txt / test.txt
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(readme_api_block(), str(README), "exec"), namespace)  # noqa: S102 -- our own README
    out = capsys.readouterr().out
    assert (tmp_path / "runs" / "api-demo" / "checkpoints").is_dir()
    assert namespace["ids"].shape[0] == 200 and len(namespace["samples"]) == 200
    # the printed scores are the library's: BLEU / self-BLEU dicts, an NLL, and the protocol entry
    assert "{2: " in out and "'nll_test':" in out and "'self_bleu':" in out
    run = namespace["run"]
    assert all(run.vocab.decode(row).startswith("the cat") for row in namespace["continued"].tolist())
    entry = namespace["evaluate_generator"](namespace["run"].generator, namespace["data"], "nll", num_samples=4)
    assert entry["nll_test"] == namespace["sequence_nll"](namespace["run"].generator, namespace["data"].test.tokens,
                                                          namespace["data"].test.lengths)
    # the block runs again as written (overwrite=True replaces the first run)
    exec(compile(readme_api_block(), str(README), "exec"), {})  # noqa: S102 -- our own README
