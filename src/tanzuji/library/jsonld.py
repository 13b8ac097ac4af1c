"""openLCA JSON-LD packages (olca-schema v1 as written by openLCA 1.x, and v2).

The two versions spell the same things differently; both are read:

============================== ============================ ===============================
what                           v1 (openLCA 1.x)             v2 (openLCA 2.x)
============================== ============================ ===============================
exchange direction             ``input``                    ``isInput``
quantitative reference         ``quantitativeReference``    ``isQuantitativeReference``
avoided product                ``avoidedProduct``           ``isAvoidedProduct``
category                       ``{"@id"}`` of a Category    ``"path/of/category"``
allocation factor's exchange   ``{"flow": {"@id"}}``        ``{"internalId"}``
============================== ============================ ===============================

A parser written for v2 only would silently read every exchange as an output; the USLCI
export in ``shared/reference/lci`` is v1 (see its README). Documents of other types (actors,
sources, DQ systems, LCIA methods) are not needed for the inventory and are skipped.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from tanzuji.errors import LibraryError
from tanzuji.library.model import (
    AllocationFactor,
    Exchange,
    Flow,
    FlowProperty,
    Library,
    Process,
    UnitGroup,
)
from tanzuji.library.sources import Member

_FLOW_TYPES = {"ELEMENTARY_FLOW": "elementary", "PRODUCT_FLOW": "product", "WASTE_FLOW": "waste"}
_ALLOCATION = {
    "PHYSICAL_ALLOCATION": "physical",
    "ECONOMIC_ALLOCATION": "economic",
    "CAUSAL_ALLOCATION": "causal",
}
#: olca-schema UncertaintyType -> (Tanzuji distribution, {olca field: Tanzuji field}).
_UNCERTAINTY = {
    "LOG_NORMAL_DISTRIBUTION": ("lognormal", {"geomMean": "geometric_mean", "geomSd": "gsd"}),
    "NORMAL_DISTRIBUTION": ("normal", {"mean": "mean", "sd": "sd"}),
    "TRIANGLE_DISTRIBUTION": (
        "triangular",
        {"minimum": "minimum", "mode": "mode", "maximum": "maximum"},
    ),
    "UNIFORM_DISTRIBUTION": ("uniform", {"minimum": "minimum", "maximum": "maximum"}),
}


def read(files: Iterable[Member]) -> Library:
    """Read the JSON-LD documents of a package into a :class:`Library`.

    Raises
    ------
    LibraryError
        Malformed JSON (file, line, column), an exchange without amount or flow, a
        non-numeric amount.
    """
    documents: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for member in files:
        if not member.name.lower().endswith(".json") or member.name.endswith("context.json"):
            continue
        document = _parse(member)
        if isinstance(document, dict) and isinstance(document.get("@type"), str):
            documents.setdefault(document["@type"], []).append((member.location, document))
    categories = {d.get("@id"): d for _, d in documents.get("Category", [])}
    locations = {d.get("@id"): d for _, d in documents.get("Location", [])}
    library = Library(format="jsonld")
    for where, doc in documents.get("UnitGroup", []):
        group = _unit_group(doc, where)
        library.unit_groups[group.id] = group
    for _, doc in documents.get("FlowProperty", []):
        ref = doc.get("unitGroup") or {}
        prop = FlowProperty(str(doc.get("@id")), str(doc.get("name") or ""), str(ref.get("@id")))
        library.flow_properties[prop.id] = prop
    for _, doc in documents.get("Flow", []):
        flow = _flow(doc, categories, locations)
        library.flows[flow.id] = flow
    for where, doc in documents.get("Process", []):
        library.processes.append(_process(doc, where, categories, locations, library))
    _reference_units(library)
    return library


def _parse(member: Member) -> Any:
    try:
        return json.loads(member.data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise LibraryError(
            f"not UTF-8 text ({exc.reason}); expected a JSON-LD document", location=member.location
        ) from None
    except json.JSONDecodeError as exc:
        raise LibraryError(
            f"malformed JSON: {exc.msg}; expected a valid JSON-LD document",
            location=f"{member.location}:{exc.lineno}:{exc.colno}",
        ) from None


def _get(obj: dict[str, Any], *keys: str, default: Any = None) -> Any:
    for key in keys:
        if key in obj:
            return obj[key]
    return default


# Documents are looked up by their @id, which a reference may lack (then None, not found).
def category_path(ref: Any, categories: Mapping[Any, dict[str, Any]]) -> str:
    """``a/b/c`` for a v2 category string or a v1 reference to a Category document."""
    if isinstance(ref, str):
        return ref.strip("/")
    if not isinstance(ref, dict):
        return ""
    parts, seen = [], set()
    current: dict[str, Any] | None = ref
    while current and current.get("@id") not in seen:
        seen.add(current.get("@id"))
        full = categories.get(current.get("@id"), current)
        parts.append(str(full.get("name") or ""))
        current = full.get("category") if isinstance(full.get("category"), dict) else None
    path = "/".join(reversed([p for p in parts if p]))
    if not path and isinstance(ref.get("categoryPath"), list):
        path = "/".join(ref["categoryPath"])
    return path


def _location(ref: Any, locations: Mapping[Any, dict[str, Any]]) -> str:
    if isinstance(ref, str):
        return ref
    if not isinstance(ref, dict):
        return ""
    full = locations.get(ref.get("@id"), ref)
    return str(full.get("code") or ref.get("code") or full.get("name") or "").strip()


def _unit_group(doc: dict[str, Any], where: str) -> UnitGroup:
    units: dict[str, float] = {}
    reference = ""
    for unit in doc.get("units") or []:
        name = str(unit.get("name") or "").strip()
        factor = _number(
            unit.get("conversionFactor", 1.0), where, f"units[{name}].conversionFactor"
        )
        for alias in [name, *(unit.get("synonyms") or [])]:
            units.setdefault(str(alias).strip(), factor)
        if _get(unit, "referenceUnit", "isReferenceUnit", default=False):
            reference = name
    return UnitGroup(str(doc.get("@id")), str(doc.get("name") or ""), reference, units)


def _flow(doc: dict[str, Any], categories, locations) -> Flow:
    properties: dict[str, float] = {}
    reference = ""
    for factor in doc.get("flowProperties") or []:
        prop_id = str((factor.get("flowProperty") or {}).get("@id"))
        properties[prop_id] = float(factor.get("conversionFactor", 1.0))
        if _get(factor, "referenceFlowProperty", "isRefFlowProperty", default=False):
            reference = prop_id
    return Flow(
        id=str(doc.get("@id")),
        name=str(doc.get("name") or "").strip(),
        flow_type=_FLOW_TYPES.get(str(doc.get("flowType")), "product"),  # type: ignore[arg-type]
        category=category_path(doc.get("category"), categories),
        reference_property=reference or next(iter(properties), ""),
        properties=properties,
        cas=str(doc.get("cas") or "").strip(),
        formula=str(doc.get("formula") or "").strip(),
        location=_location(doc.get("location"), locations),
    )


def _process(doc: dict[str, Any], where: str, categories, locations, library: Library) -> Process:
    process_id = str(doc.get("@id") or "")
    if not process_id:
        raise LibraryError("process has no '@id'; expected a UUID", location=where, field="@id")
    documentation = doc.get("processDocumentation") or {}
    exchanges = [
        _exchange(raw, i, f"{where}: exchanges[{i}]", library, categories)
        for i, raw in enumerate(doc.get("exchanges") or [])
    ]
    return Process(
        id=process_id,
        name=str(doc.get("name") or process_id).strip(),
        process_type="lci_result" if doc.get("processType") == "LCI_RESULT" else "unit",
        location=_location(doc.get("location"), locations),
        category=category_path(doc.get("category"), categories),
        description=str(doc.get("description") or "").strip(),
        year=_year(_get(documentation, "validFrom", "validUntil")),
        licence=_licence(documentation),
        source=_source(documentation),
        exchanges=exchanges,
        allocation=_allocation(doc, exchanges, where),
        default_allocation=_ALLOCATION.get(str(doc.get("defaultAllocationMethod")), ""),
        parameters=[
            {k: p.get(k) for k in ("name", "value", "formula", "description") if k in p}
            for p in doc.get("parameters") or []
        ],
    )


def _exchange(
    raw: dict[str, Any], position: int, where: str, library: Library, categories
) -> Exchange:
    flow_ref = raw.get("flow") or {}
    flow_id = flow_ref.get("@id")
    if not flow_id:
        raise LibraryError(
            "exchange names no flow; expected flow.@id", location=where, field="flow"
        )
    if "amount" not in raw:
        raise LibraryError("exchange has no 'amount'", location=where, field="amount")
    if flow_id not in library.flows:  # a lone process document: the flow from its reference
        library.flows[flow_id] = Flow(
            id=flow_id,
            name=str(flow_ref.get("name") or flow_id).strip(),
            flow_type=_FLOW_TYPES.get(str(flow_ref.get("flowType")), "product"),  # type: ignore[arg-type]
            category=category_path(flow_ref.get("category"), categories),
        )
    provider = raw.get("defaultProvider") or {}
    return Exchange(
        position=position,
        flow=flow_id,
        amount=_number(raw["amount"], where, "amount"),
        unit=str((raw.get("unit") or {}).get("name") or "").strip(),
        is_input=bool(_get(raw, "isInput", "input", default=False)),
        is_reference=bool(
            _get(raw, "isQuantitativeReference", "quantitativeReference", default=False)
        ),
        avoided=bool(_get(raw, "isAvoidedProduct", "avoidedProduct", default=False)),
        flow_property=str((raw.get("flowProperty") or {}).get("@id") or ""),
        formula=str(raw.get("amountFormula") or ""),
        default_provider=str(provider.get("@id") or ""),
        uncertainty=_uncertainty(raw, where),
        description=str(raw.get("description") or "").strip()[:500],
    )


def _uncertainty(raw: dict[str, Any], where: str) -> dict[str, Any] | None:
    spec = raw.get("uncertainty")
    pedigree = _get(raw, "dqEntry", "pedigreeUncertainty")
    out: dict[str, Any] = {}
    if isinstance(spec, dict) and spec.get("distributionType") in _UNCERTAINTY:
        distribution, fields = _UNCERTAINTY[spec["distributionType"]]
        out["distribution"] = distribution
        for olca, name in fields.items():
            if spec.get(olca) is not None:
                out[name] = _number(spec[olca], where, f"uncertainty.{olca}")
    if pedigree:
        out["pedigree"] = str(pedigree)
    if raw.get("baseUncertainty") is not None:
        out["base_uncertainty"] = _number(raw["baseUncertainty"], where, "baseUncertainty")
    return out or None


def _allocation(doc: dict[str, Any], exchanges: list[Exchange], where: str) -> list:
    by_internal = {}
    for i, raw in enumerate(doc.get("exchanges") or []):
        if raw.get("internalId") is not None:
            by_internal[raw["internalId"]] = i
    factors = []
    for i, raw in enumerate(doc.get("allocationFactors") or []):
        method = _ALLOCATION.get(str(raw.get("allocationType")))
        product = (raw.get("product") or {}).get("@id") or raw.get("productId")
        if method is None or not product:
            continue  # no product named: the factor cannot be applied (USLCI has 100 such)
        position = None
        ref = raw.get("exchange") or {}
        if method == "causal":
            if ref.get("internalId") in by_internal:
                position = by_internal[ref["internalId"]]
            else:
                flow_id = (ref.get("flow") or {}).get("@id")
                position = next((e.position for e in exchanges if e.flow == flow_id), None)
            if position is None:
                continue
        value = _number(raw.get("value"), f"{where}: allocationFactors[{i}]", "value")
        factors.append(AllocationFactor(method, str(product), value, position))  # type: ignore[arg-type]
    return factors


def _licence(documentation: dict[str, Any]) -> str:
    text = str(documentation.get("restrictionsDescription") or "").strip()
    copyright_ = _get(documentation, "isCopyrightProtected", "copyright")
    if copyright_ is True:
        text = f"{text} (copyright protected)".strip()
    return text[:1000]


def _source(documentation: dict[str, Any]) -> dict[str, Any]:
    people = [documentation.get(k) or {} for k in ("dataSetOwner", "dataGenerator")]
    return {
        "generator": next((p.get("name") for p in people if p.get("name")), None),
        "publication": (documentation.get("publication") or {}).get("name"),
        "valid_from": documentation.get("validFrom"),
        "valid_until": documentation.get("validUntil"),
    }


def _year(text: Any) -> int | None:
    head = str(text or "")[:4]
    return int(head) if head.isdigit() and 1900 <= int(head) <= 2100 else None


def _number(value: Any, where: str, name: str) -> float:
    try:
        result = float(value)
    except (TypeError, ValueError):
        result = math.nan
    if not math.isfinite(result):
        raise LibraryError(
            f"field {name!r} is {value!r}; expected a finite number",
            location=where,
            field=name,
            found=value,
        )
    return result


def _reference_units(library: Library) -> None:
    """Set each flow's reference unit from its reference property's unit group."""
    for flow in library.flows.values():
        prop = library.flow_properties.get(flow.reference_property)
        group = library.unit_groups.get(prop.unit_group) if prop else None
        if group is not None:
            flow.reference_unit = group.reference_unit
