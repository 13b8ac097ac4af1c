"""Reading model files (YAML or JSON) with the line of every value, and validating them.

Errors point at the file and line: ``battery.yaml:42 processes[3].inputs[1].amount: ...``.

A :class:`LoadedModel` carries the content of every file the model names (its
``factor_files``), keyed by the name written in the model: :func:`load_model` reads them next
to the model file once, and nothing later resolves a path, so a model stored with its files
(a certification application) computes the same in any working directory.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from tanzuji.errors import FactorFileError, ModelError, ModelFileError, TanzujiError
from tanzuji.limits import InputLimits
from tanzuji.model.schema import Model

Path_ = tuple[str | int, ...]
T = TypeVar("T", bound=BaseModel)


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


#: Deepest nesting of mappings and lists in a model or PCR file (the reader recurses per level).
MAX_DOCUMENT_DEPTH = 100


def _build(
    node: yaml.Node, path: Path_, source_map: SourceMap, loader: _Loader, budget: list[int]
) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise ModelFileError(
            f"{source_map.file}:{node.start_mark.line + 1} holds more than "
            f"{budget[1]} values once its aliases (*name) are expanded; "
            "expected a smaller document (setting max_document_nodes)"
        )
    if len(path) > MAX_DOCUMENT_DEPTH:
        raise ModelFileError(
            f"{source_map.file}:{node.start_mark.line + 1} nests more than "
            f"{MAX_DOCUMENT_DEPTH} levels of mappings and lists; expected a flatter document"
        )
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
            result[key] = _build(value_node, (*path, key), source_map, loader, budget)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(v, (*path, i), source_map, loader, budget) for i, v in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def parse_document(
    text: str,
    file: str,
    expected: str = "a product model (see docs/model.md)",
    *,
    max_nodes: int = InputLimits.max_document_nodes,
) -> tuple[Any, SourceMap]:
    """Parse YAML or JSON text into Python data plus a :class:`SourceMap`.

    The safe loader builds no Python objects; aliases are counted as they expand (at most
    ``max_nodes`` values, setting ``max_document_nodes``) and nesting is bounded
    (:data:`MAX_DOCUMENT_DEPTH`), so an alias bomb or a deeply nested file is refused with a
    message instead of exhausting memory or the stack. ``expected`` names what the file should
    hold, for the message on an empty file.
    """
    source_map = SourceMap(file)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ModelFileError(f"{file} is empty; expected {expected}")
        budget = [int(max_nodes), int(max_nodes)]
        return _build(node, (), source_map, loader, budget), source_map
    except RecursionError:
        raise ModelFileError(
            f"{file} nests mappings and lists too deeply to read; expected at most "
            f"{MAX_DOCUMENT_DEPTH} levels"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ModelFileError(f"{file}{line} is not valid YAML/JSON: {problem}") from None
    finally:
        loader.dispose()


@dataclass
class LoadedModel:
    """A validated model with where it came from and the files it names.

    Attributes
    ----------
    files : dict of str to bytes
        Content of each of the model's ``factor_files``, keyed by the name written in the
        model. A model loaded from text without them cannot resolve those factors.
    """

    model: Model
    source_map: SourceMap
    path: Path | None
    content_hash: str
    files: dict[str, bytes] = field(default_factory=dict)

    def factor_file(self, name: str) -> tuple[str, bytes]:
        """(name for messages, content) of the factor file ``name`` the model lists.

        Raises
        ------
        FactorFileError
            When the file was not supplied with the model.
        """
        if name not in self.files:
            raise FactorFileError(
                f"cannot read factor file {name}: it was not supplied with the model; "
                f"supplied: {sorted(self.files) or 'none'}"
            )
        origin = str(self.path.parent / name) if self.path is not None else name
        return origin, self.files[name]


def validation_problems(exc: ValidationError, source_map: SourceMap | None = None) -> list[str]:
    """One line per pydantic error: ``file:line path: message (found ...)``.

    Without a ``source_map`` (data that did not come from a YAML/JSON file) the line is the
    path alone.
    """
    problems = []
    for error in exc.errors():
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and "[" in p))
        found = error.get("input")
        shown = "" if isinstance(found, dict | list) else f" (found {found!r})"
        where = source_map.where(loc) if source_map else (format_path(loc) or "document")
        problems.append(f"{where}: {error['msg']}{shown}")
    return problems


def validate_document(
    schema: type[T],
    data: Any,
    source_map: SourceMap | None,
    *,
    what: str,
    error: type[TanzujiError],
) -> T:
    """Validate ``data`` against the pydantic ``schema``; problems raise ``error`` (all listed).

    ``what`` names the document in the message (``the model``, ``the PCR file``, ...).
    """
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        problems = validation_problems(exc, source_map)
        raise error(
            f"{len(problems)} problem(s) in {what}:\n  " + "\n  ".join(problems),
            problems=problems,
        ) from None


def validate(data: Any, source_map: SourceMap) -> Model:
    """Validate parsed data against the schema; errors carry file, line and path."""
    if not isinstance(data, dict):
        raise ModelFileError(
            f"{source_map.file} holds a {type(data).__name__}; expected a mapping with 'product' "
            "and 'processes'"
        )
    return validate_document(Model, data, source_map, what="the model", error=ModelError)


def load_model(path: str | Path, limits: InputLimits | None = None) -> LoadedModel:
    """Read and validate a model file (YAML or JSON) and the factor files it names.

    The factor files are read next to the model file (``factor_files`` names are relative to
    it) and carried in :attr:`LoadedModel.files`.
    """
    limits = limits or InputLimits()
    file = Path(path)
    text = decode_model_text(
        read_input_bytes(file, "model file", ModelFileError, limits.max_upload_bytes), str(file)
    )
    loaded = load_model_text(text, str(file), limits=limits)
    loaded.path = file
    loaded.files = read_model_files(loaded, file.parent, limits)
    return loaded


def read_model_files(
    loaded: LoadedModel, folder: Path, limits: InputLimits | None = None
) -> dict[str, bytes]:
    """The content of each ``factor_files`` entry of ``loaded``, read from ``folder``.

    Raises
    ------
    FactorFileError
        Naming the model's file, line and entry, when a file cannot be read or is too large.
    """
    limit = (limits or InputLimits()).max_upload_bytes
    files: dict[str, bytes] = {}
    for i, name in enumerate(loaded.model.factor_files):
        where = loaded.source_map.where(("factor_files", i))
        try:
            files[name] = read_input_bytes(folder / name, "factor file", FactorFileError, limit)
        except FactorFileError as exc:
            raise FactorFileError(exc.message, location=where) from None
    return files


def decode_model_text(raw: bytes, name: str) -> str:
    """The UTF-8 text of a model file's bytes (a BOM is dropped)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ModelFileError(
            f"{name} is not UTF-8 text (byte {exc.start}); save it as UTF-8"
        ) from None


def read_input_bytes(
    file: Path,
    what: str,
    error: type[TanzujiError],
    max_bytes: int = InputLimits.max_upload_bytes,
) -> bytes:
    """Bytes of an input file, refused before reading when larger than ``max_bytes``
    (setting ``max_upload_bytes``)."""
    limit = int(max_bytes)
    try:
        size = file.stat().st_size
        if size > limit:
            raise error(
                f"{what} {file} is {size} bytes; at most {limit} bytes are read "
                "(setting max_upload_bytes)",
                found=size,
                expected=limit,
            )
        return file.read_bytes()
    except OSError as exc:
        raise error(f"cannot read {what} {file}: {exc.strerror}") from None


def load_model_text(
    text: str,
    name: str = "<model>",
    files: dict[str, bytes] | None = None,
    *,
    limits: InputLimits | None = None,
) -> LoadedModel:
    """Validate a model given as text (API uploads, stored models, tests).

    ``files`` holds the content of its ``factor_files`` by the names the model writes.
    """
    max_nodes = (limits or InputLimits()).max_document_nodes
    data, source_map = parse_document(text, name, max_nodes=max_nodes)
    model = validate(data, source_map)
    return LoadedModel(model, source_map, None, content_hash(model), dict(files or {}))


def content_hash(model: Model) -> str:
    """SHA-256 of the model's canonical JSON (key order and formatting do not matter)."""
    canonical = json.dumps(
        model.model_dump(mode="json", exclude_none=True),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
