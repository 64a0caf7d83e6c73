"""Safe YAML reading that refuses duplicate keys and reports syntax errors with a line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from suitesched.errors import Problem


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


class YamlReadError(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


def read_yaml(path: Path, label: str | None = None) -> Any:
    """Parse a YAML (or JSON) file safely; raise :class:`YamlReadError` with a located problem."""
    name = label or path.name
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise YamlReadError(Problem(name, "", f"cannot read the file: {exc.strerror}")) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise YamlReadError(
            Problem(name, f"byte {exc.start}", "the file is not UTF-8 text")
        ) from None
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = exc.problem or str(exc)
        raise YamlReadError(Problem(name, where, f"not valid YAML: {what}")) from None
    except yaml.YAMLError as exc:
        raise YamlReadError(Problem(name, "", f"not valid YAML: {exc}")) from None
    except RecursionError:
        raise YamlReadError(Problem(name, "", "the YAML nests too deeply")) from None
