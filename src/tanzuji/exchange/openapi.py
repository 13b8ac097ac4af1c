"""Validating PACT documents against the schemas of an OpenAPI document the caller supplies.

The PACT OpenAPI document may not be redistributed (WBCSD licence, §2.1), so Tanzuji does not
ship it: the edge names a copy (``tanzuji pact fetch --openapi PATH``, setting
``pact_openapi_file``); tests read it from ``../shared``. Without one, documents are checked by
Tanzuji's own model (:mod:`tanzuji.exchange.model`), written from the specification.

The v3.0.3 document uses two constructs that plain JSON Schema tools reject: a ``$ref`` with
sibling keywords (``{"$ref": BaseEvent, "properties": ...}``) and a ``$ref`` *inside*
``properties`` (``properties: {"$ref": ".../BaseEvent/properties", "type": ...}``), and
responses that ``$ref`` a schema holding ``content``. :func:`resolve` inlines every local
reference and merges siblings over the referenced object (siblings win), as the
specification's own tooling does (``jsonref`` with ``merge_props=True``). The result is
checked with JSON Schema draft 7 and these formats: ``date-time`` (with a time zone),
``uuid``, ``uri``, ``uri-reference``, ``decimal`` and ``urn``.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft7Validator, FormatChecker

from tanzuji.errors import PactInvalid
from tanzuji.exchange.model import parse_datetime

#: Deepest nesting of references followed (the PACT schemas nest about 6 deep).
MAX_DEPTH = 64

_DECIMAL = re.compile(r"^[+-]?\d+(\.\d+)?$")


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value: object) -> bool:
        return not isinstance(value, str) or bool(parse_datetime(value))

    @checker.checks("uuid", raises=ValueError)
    def _uuid(value: object) -> bool:
        return not isinstance(value, str) or bool(uuid.UUID(value))

    @checker.checks("uri")
    def _uri(value: object) -> bool:
        return not isinstance(value, str) or bool(urlsplit(value).scheme)

    @checker.checks("uri-reference")
    def _uri_reference(value: object) -> bool:
        return not isinstance(value, str) or " " not in value

    @checker.checks("decimal")
    def _decimal(value: object) -> bool:
        return not isinstance(value, str) or bool(_DECIMAL.match(value))

    @checker.checks("urn")
    def _urn(value: object) -> bool:
        return not isinstance(value, str) or value[:4].lower() == "urn:"

    return checker


class OpenApiDocument:
    """An OpenAPI document (JSON or YAML) and the JSON schemas resolved from it."""

    def __init__(self, document: Mapping[str, Any], name: str = "OpenAPI document") -> None:
        self.document = document
        self.name = name
        self._checker = _format_checker()

    @classmethod
    def load(cls, path: Path) -> OpenApiDocument:
        """Read the document at ``path`` (``.json``, else YAML).

        Raises
        ------
        PactInvalid
            When the file cannot be read or parsed.
        """
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise PactInvalid(f"cannot read the OpenAPI document {path}: {exc.strerror}") from None
        try:
            if str(path).endswith(".json"):
                document = json.loads(text)
            else:
                import yaml

                document = yaml.safe_load(text)
        except ValueError as exc:
            raise PactInvalid(f"{path} is not JSON/YAML: {exc}") from None
        if not isinstance(document, dict) or "components" not in document:
            raise PactInvalid(f"{path} is not an OpenAPI document (no 'components')")
        return cls(document, Path(path).name)

    @property
    def version(self) -> str:
        return str(self.document.get("info", {}).get("version", ""))

    def _lookup(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            raise PactInvalid(f"{self.name}: only local references are followed, found {ref!r}")
        node: Any = self.document
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, Mapping) or part not in node:
                raise PactInvalid(f"{self.name}: reference {ref!r} points nowhere")
            node = node[part]
        return node

    def resolve(self, node: Any, depth: int = 0) -> Any:
        """``node`` with every local ``$ref`` inlined, siblings merged over the target."""
        if depth > MAX_DEPTH:
            raise PactInvalid(f"{self.name}: references nest deeper than {MAX_DEPTH}")
        if isinstance(node, list):
            return [self.resolve(item, depth + 1) for item in node]
        if not isinstance(node, Mapping):
            return node
        siblings = {k: self.resolve(v, depth + 1) for k, v in node.items() if k != "$ref"}
        if "$ref" not in node:
            return siblings
        target = self.resolve(self._lookup(str(node["$ref"])), depth + 1)
        if not isinstance(target, Mapping):
            return target
        return {**target, **siblings}

    def schema(self, component: str) -> dict[str, Any]:
        """The resolved JSON schema of ``components/schemas/<component>``."""
        return self.resolve({"$ref": f"#/components/schemas/{component}"})

    def response_schema(self, path: str, method: str, status: int) -> dict[str, Any] | None:
        """The resolved JSON body schema of a response (None when it has no JSON body)."""
        operation = self.document["paths"][path][method.lower()]
        response = self.resolve(operation["responses"][str(status)])
        content = response.get("content", {}).get("application/json")
        return content.get("schema") if content else None

    def errors(self, schema: Mapping[str, Any], instance: Any) -> list[str]:
        """Every way ``instance`` fails ``schema``, each as ``path: message``."""
        validator = Draft7Validator(schema, format_checker=self._checker)
        found = []
        for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.path)):
            where = "/".join(str(p) for p in error.absolute_path) or "(document)"
            found.append(f"{where}: {error.message}")
        return found

    def check(self, component: str, instance: Any, where: str) -> None:
        """Raise unless ``instance`` conforms to ``components/schemas/<component>``.

        Raises
        ------
        PactInvalid
            Naming ``where``, the document and the first problems found.
        """
        found = self.errors(self.schema(component), instance)
        if found:
            shown = "; ".join(found[:5]) + (
                f"; and {len(found) - 5} more" if len(found) > 5 else ""
            )
            raise PactInvalid(
                f"does not conform to {component} of {self.name} ({self.version}): {shown}",
                location=where,
            )


__all__ = ["OpenApiDocument"]
