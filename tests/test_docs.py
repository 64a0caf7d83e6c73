"""The reference docs cannot rot: cli.md is generated from the app; links and commands exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer

from helpers import load_script
from suitesched.cli import app

DOCS = Path(__file__).resolve().parents[1] / "docs"
DOC_FILES = sorted(DOCS.glob("*.md"))

LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
INLINE_CODE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
FENCE = re.compile(r"^```")


def _load_generator():
    return load_script(DOCS / "gen_cli.py", "gen_cli")


def _commands() -> set[str]:
    return set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def _slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(text: str) -> set[str]:
    anchors, in_fence = set(), False
    for line in text.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and line.startswith("#"):
            anchors.add(_slug(line.lstrip("#")))
    return anchors


def _prose_and_code(text: str) -> tuple[str, list[str]]:
    """The text outside fenced blocks, and the lines inside them."""
    prose, code, in_fence = [], [], False
    for line in text.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
        elif in_fence:
            code.append(line)
        else:
            prose.append(line)
    return "\n".join(prose), code


def test_docs_exist() -> None:
    names = {p.name for p in DOC_FILES}
    assert {"cli.md", "plan-format.md", "exit-codes.md", "how-it-works.md"} <= names


def test_cli_reference_is_generated_from_the_app() -> None:
    expected = _load_generator().render()
    actual = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert actual == expected, (
        "docs/cli.md is out of date with the typer app in src/suitesched/cli.py; "
        "run `python docs/gen_cli.py` to regenerate it")


def test_cli_reference_covers_every_command_and_option() -> None:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    group = typer.main.get_command(app)
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        assert f"## `suitesched {name}`" in text
        for param in command.params:
            for opt in param.opts:
                if opt.startswith("-"):
                    assert f"`{opt}`" in text, f"{name}: option {opt} missing from docs/cli.md"


@pytest.mark.parametrize("doc", DOC_FILES, ids=lambda p: p.name)
def test_relative_links_resolve(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    prose, _ = _prose_and_code(text)
    broken = []
    for target in LINK.findall(prose):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            continue
        path_part, _, anchor = target.partition("#")
        linked = (doc.parent / path_part).resolve() if path_part else doc
        if not linked.exists():
            broken.append(f"{target}: {linked} does not exist")
            continue
        if anchor and linked.suffix == ".md" and \
                anchor not in _anchors(linked.read_text(encoding="utf-8")):
            broken.append(f"{target}: no heading with anchor #{anchor} in {linked.name}")
    assert not broken, f"broken links in docs/{doc.name}:\n" + "\n".join(broken)


@pytest.mark.parametrize("doc", DOC_FILES, ids=lambda p: p.name)
def test_named_commands_exist(doc: Path) -> None:
    prose, code = _prose_and_code(doc.read_text(encoding="utf-8"))
    named = [m.group(1) for span in INLINE_CODE.findall(prose)
             for m in [re.match(r"\s*suitesched\s+([A-Za-z][\w-]*)", span)] if m]
    named += [m.group(1) for line in code
              for m in [re.match(r"\s*(?:\$\s*)?suitesched\s+([A-Za-z][\w-]*)", line)] if m]
    unknown = sorted(set(named) - _commands())
    assert not unknown, (f"docs/{doc.name} names commands the app does not have: {unknown} "
                         f"(commands: {sorted(_commands())})")
