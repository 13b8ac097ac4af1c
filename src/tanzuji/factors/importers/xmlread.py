"""Namespace-agnostic reading of XML datasets (EcoSpold 1/2, ILCD).

Files in the wild use the formats' namespaces with or without prefixes, or none at all; these
helpers match elements by *local* name so one reader handles every spelling.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator

import defusedxml.ElementTree as defused
from defusedxml import DefusedXmlException

from tanzuji.errors import FactorImportError


def parse(data: bytes, location: str) -> ET.Element:
    """Parse XML bytes; a syntax error names the file, line and column.

    Parsed with ``defusedxml``: entity declarations (the "billion laughs" expansion) and
    external entities or DTDs (which could read local files or the network) are refused —
    datasets of the LCA exchange formats need none of them.
    """
    try:
        return defused.fromstring(data)
    except DefusedXmlException as exc:
        raise FactorImportError(
            f"XML declares entities or external references ({type(exc).__name__}: {exc}); "
            "expected a plain dataset without a DTD or entity declarations — refused for "
            "safety / XML 含实体声明，已拒绝",
            location=location,
        ) from None
    except ET.ParseError as exc:
        line, column = exc.position
        raise FactorImportError(
            f"malformed XML ({exc}); expected a complete, well-formed XML document — the file "
            "may be truncated / XML 格式错误",
            location=f"{location}:{line}:{column}",
        ) from exc


def local(element: ET.Element) -> str:
    """Tag name without namespace."""
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def children(element: ET.Element | None, name: str) -> list[ET.Element]:
    """Direct children with local name ``name``."""
    return [c for c in element if local(c) == name] if element is not None else []


def child(element: ET.Element | None, name: str) -> ET.Element | None:
    """First direct child with local name ``name``."""
    found = children(element, name)
    return found[0] if found else None


def descendants(element: ET.Element | None, name: str) -> Iterator[ET.Element]:
    """All descendants with local name ``name``, in document order."""
    if element is None:
        return iter(())
    return (e for e in element.iter() if local(e) == name)


def first(element: ET.Element | None, *path: str) -> ET.Element | None:
    """Follow a path of local names (first match at each step, searching descendants)."""
    current = element
    for name in path:
        current = next(descendants(current, name), None)
        if current is None:
            return None
    return current


def text(element: ET.Element | None, *path: str, lang: str = "en") -> str:
    """Stripped text at ``path``; among siblings with ``xml:lang`` prefer ``lang``."""
    if element is None:
        return ""
    if path:
        parent = first(element, *path[:-1]) if len(path) > 1 else element
        options = list(descendants(parent, path[-1]))
        if not options:
            return ""
        preferred = [o for o in options if o.get(_LANG) == lang]
        element = (preferred or options)[0]
    return (element.text or "").strip()


def attribute(element: ET.Element | None, name: str) -> str | None:
    """Attribute by local name (with or without namespace)."""
    if element is None:
        return None
    for key, value in element.attrib.items():
        if key.rsplit("}", 1)[-1] == name:
            return value
    return None


_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
