"""Every relative link in the project's Markdown (README, docs/, benchmarks/ and its result folders, data/) points
at a file that exists, and a `#section` link at a heading of its target, so a renamed file or heading cannot
leave a dead link behind."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def markdown_files() -> list[Path]:
    files = [ROOT / "README.md", *(ROOT / "docs").glob("*.md"), *(ROOT / "data").glob("*.md")]
    files += sorted((ROOT / "benchmarks").rglob("*.md"))
    return [f for f in files if "runs" not in f.relative_to(ROOT).parts]


def github_anchor(heading: str) -> str:
    """GitHub's id for a heading: lowercase, punctuation dropped (hyphens and underscores kept), spaces to hyphens."""
    text = re.sub(r"[`*]", "", heading.strip().lower())
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)          # a link in a heading keeps its text
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    return {github_anchor(m.group(1)) for m in re.finditer(r"^#+\s+(.*)$", text, re.M)}


def dead_links(path: Path) -> list[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    dead = []
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):          # https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        dest = (path.parent / file_part).resolve() if file_part else path
        if not dest.exists():
            dead.append(f"{target} (no such file)")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            dead.append(f"{target} (no such heading)")
    return dead


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(path):
    assert dead_links(path) == []


def test_the_checker_finds_dead_links(tmp_path):
    (tmp_path / "b.md").write_text("# A heading, with (punctuation)\n")
    page = tmp_path / "a.md"
    page.write_text("[ok](b.md) [ok](b.md#a-heading-with-punctuation) [web](https://x.org/y) "
                    "[gone](c.md) [bad](b.md#nope)\n```\n[in code](d.md)\n```\n")
    assert dead_links(page) == ["c.md (no such file)", "b.md#nope (no such heading)"]
