"""Safe YAML reading that refuses duplicate keys and reports syntax errors with a line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from suitesched.errors import Problem
from suitesched.model import limits


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that treats a key given twice in one mapping as an error."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, f"unhashable key {key!r}", key_node.start_mark
            ) from None
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)


def _construct_timestamp(loader: _StrictLoader, node: yaml.ScalarNode) -> Any:
    """A date-like scalar that is no date (``2026-02-30``) is an error at its line."""
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError) as exc:
        raise yaml.constructor.ConstructorError(
            None, None, f"{node.value!r} is not a valid date or time ({exc})", node.start_mark
        ) from None


_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


class YamlReadError(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


def check_file_size(path: Path, label: str) -> None:
    """Refuse a file over :data:`~suitesched.model.limits.MAX_FILE_BYTES` before reading it."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise YamlReadError(Problem(label, "", f"cannot read the file: {exc.strerror}")) from None
    if size > limits.MAX_FILE_BYTES:
        raise YamlReadError(Problem(label, "", f"the file is {limits.megabytes(size)}; at most "
                                    f"{limits.megabytes(limits.MAX_FILE_BYTES)} is read (see "
                                    "docs/limits.md)"))


def _line_column(text: str, position: int) -> str:
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    return f"line {line}, column {column}"


def unprintable_text(data: Any, where: str = "") -> tuple[str, str] | None:
    """The key path and message of the first string that cannot be printed or stored.

    A lone UTF-16 surrogate (``"\\ud800"`` in YAML or JSON) parses to a Python string that
    no UTF-8 file or terminal can hold; a NUL character cuts text short in C libraries (SQLite,
    terminals). Both are refused where they are read.
    """
    stack: list[tuple[str, Any]] = [(where, data)]
    while stack:
        at, node = stack.pop()
        if isinstance(node, str):
            for char in node:
                if 0xD800 <= ord(char) <= 0xDFFF or char == "\x00":
                    what = "a NUL character" if char == "\x00" else (
                        f"an unpaired surrogate escape (U+{ord(char):04X})")
                    return at or "(top level)", f"the text holds {what}; use plain UTF-8 text"
        elif isinstance(node, dict):
            for key, value in node.items():
                path = f"{at}.{key}" if at else str(key)
                if isinstance(key, str) and (found := unprintable_text(key, path)):
                    return found
                stack.append((path, value))
        elif isinstance(node, list):
            stack.extend((f"{at}[{i}]", value) for i, value in enumerate(node))
    return None


def read_yaml(path: Path, label: str | None = None) -> Any:
    """Parse a YAML (or JSON) file safely; raise :class:`YamlReadError` with a located problem."""
    name = label or path.name
    check_file_size(path, name)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise YamlReadError(Problem(name, "", f"cannot read the file: {exc.strerror}")) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise YamlReadError(
            Problem(name, f"line {line} (byte {exc.start})", "the file is not UTF-8 text")
        ) from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = exc.problem or str(exc)
        raise YamlReadError(Problem(name, where, f"not valid YAML: {what}")) from None
    except yaml.reader.ReaderError as exc:
        char = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        raise YamlReadError(Problem(name, _line_column(text, exc.position),
                                    f"not valid YAML: the control character {char} is not "
                                    "allowed in a YAML file")) from None
    except yaml.YAMLError as exc:
        raise YamlReadError(Problem(name, "", f"not valid YAML: {exc}")) from None
    except RecursionError:
        raise YamlReadError(Problem(name, "", "the YAML nests too deeply")) from None
    except (ValueError, TypeError, OverflowError) as exc:
        # A scalar PyYAML resolves but cannot build (a timestamp such as 2026-02-30).
        raise YamlReadError(Problem(name, "", f"not valid YAML: {exc}")) from None
    if (found := unprintable_text(data)) is not None:
        raise YamlReadError(Problem(name, found[0], found[1]))
    return data
