"""Reading model files (YAML or JSON) with the line of every value, and validating them.

Errors point at the file and line: ``battery.yaml:42 processes[3].inputs[1].amount: ...``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from tanzuji.errors import ModelError, ModelFileError
from tanzuji.model.schema import Model

Path_ = tuple[str | int, ...]


@dataclass
class SourceMap:
    """Where each value of a model file is: path in the document -> line (1-based)."""

    file: str
    lines: dict[Path_, int] = field(default_factory=dict)

    def line(self, path: Path_) -> int | None:
        """Line of ``path`` or of its closest parent that has one."""
        for cut in range(len(path), -1, -1):
            found = self.lines.get(tuple(path[:cut]))
            if found is not None:
                return found
        return None

    def where(self, path: Path_) -> str:
        """``file:line path`` for messages."""
        line = self.line(path)
        text = format_path(path)
        prefix = f"{self.file}:{line}" if line else self.file
        return f"{prefix} {text}" if text else prefix


def format_path(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class _Loader(yaml.SafeLoader):
    """Safe loader (no Python objects); keeps ISO dates as strings for pydantic to parse."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _build(node: yaml.Node, path: Path_, source_map: SourceMap, loader: _Loader) -> Any:
    source_map.lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool):
                raise ModelFileError(
                    f"{source_map.file}:{key_node.start_mark.line + 1} a key must be text, found "
                    f"{type(key).__name__}"
                )
            key = str(key)
            if key in result:
                raise ModelFileError(
                    f"{source_map.file}:{key_node.start_mark.line + 1} key {key!r} appears twice "
                    f"in {format_path(path) or 'the document'}; each key once"
                )
            result[key] = _build(value_node, (*path, key), source_map, loader)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(v, (*path, i), source_map, loader) for i, v in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def parse_document(text: str, file: str) -> tuple[Any, SourceMap]:
    """Parse YAML or JSON text into Python data plus a :class:`SourceMap`."""
    source_map = SourceMap(file)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ModelFileError(f"{file} is empty; expected a product model (see docs/model.md)")
        return _build(node, (), source_map, loader), source_map
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ModelFileError(f"{file}{line} is not valid YAML/JSON: {problem}") from None
    finally:
        loader.dispose()


@dataclass
class LoadedModel:
    """A validated model with where it came from."""

    model: Model
    source_map: SourceMap
    path: Path | None
    content_hash: str

    @property
    def directory(self) -> Path:
        return self.path.parent if self.path else Path.cwd()


def validate(data: Any, source_map: SourceMap) -> Model:
    """Validate parsed data against the schema; errors carry file, line and path."""
    if not isinstance(data, dict):
        raise ModelFileError(
            f"{source_map.file} holds a {type(data).__name__}; expected a mapping with 'product' "
            "and 'processes'"
        )
    try:
        return Model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and "[" in p))
            found = error.get("input")
            shown = "" if isinstance(found, dict | list) else f" (found {found!r})"
            problems.append(f"{source_map.where(loc)}: {error['msg']}{shown}")
        raise ModelError(
            f"{len(problems)} problem(s) in the model:\n  " + "\n  ".join(problems),
            problems=problems,
        ) from None


def load_model(path: str | Path) -> LoadedModel:
    """Read and validate a model file (YAML or JSON)."""
    file = Path(path)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise ModelFileError(f"cannot read model file {file}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ModelFileError(
            f"{file} is not UTF-8 text (byte {exc.start}); save it as UTF-8"
        ) from None
    data, source_map = parse_document(text, str(file))
    model = validate(data, source_map)
    return LoadedModel(model, source_map, file, content_hash(model))


def load_model_text(text: str, name: str = "<model>") -> LoadedModel:
    """Validate a model given as text (API uploads, tests)."""
    data, source_map = parse_document(text, name)
    model = validate(data, source_map)
    return LoadedModel(model, source_map, None, content_hash(model))


def content_hash(model: Model) -> str:
    """SHA-256 of the model's canonical JSON (key order and formatting do not matter)."""
    canonical = json.dumps(
        model.model_dump(mode="json", exclude_none=True),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
