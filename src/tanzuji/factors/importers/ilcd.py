"""ILCD process data sets: a zip package, an unpacked folder, or one process ``.xml``.

The reference flow is the exchange named by ``quantitativeReference/referenceToReferenceFlow``.
Its unit is looked up, in this order:

1. the package: flow -> reference flow property -> unit group -> reference unit. For a lone
   process file the flow data set is searched next to it: the exchange's ``uri``
   (``../flows/<uuid>_<version>.xml``), files named ``<uuid>*.xml`` in the same folder and in
   ``../flows/``, and any flow data set in the same folder; flow properties and unit groups
   likewise (``../flowproperties/``, ``../unitgroups/``);
2. the flow's reference flow property alone when its unit group is missing: the ILCD reference
   flow properties have fixed reference units (:data:`REFERENCE_PROPERTY_UNITS`);
3. what the process itself says: an EPD unit-group reference on the reference exchange
   (``common:other/epd:referenceToUnitGroupDataSet``) or a unit in the reference flow's
   ``shortDescription`` (``"steel sheet (kg)"``, ``"electricity, 1 kWh"``).

When none gives a unit the data set is skipped with that reason. ``typeOfDataSet`` "LCI
result", "Partly terminated system", "EPD" and "Avoided product system" are aggregated. A
climate-change ``LCIAResult`` ("Climate change", "GWP", "Global warming", "Treibhauspotential";
the total, not its fossil/biogenic/luluc parts) becomes ``kg_co2e``; for EPD data sets
(EN 15804 modules in ``epd:amount``) the A1-A3 amount, or A1 + A2 + A3.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from tanzuji import units
from tanzuji.errors import FactorImportError, TanzujiError
from tanzuji.factors.importers import ImportResult, Skipped, limits
from tanzuji.factors.importers import xmlread as x
from tanzuji.factors.importers.inventory import (
    UNKNOWN_LICENCE,
    Exchange,
    ProcessDataset,
    collect,
    dataset_files,
    geography_code,
    ghg_of,
    number,
    safe_id,
    year_of,
)
from tanzuji.factors.record import Source

_AGGREGATED = ("lci result", "partly terminated system", "epd", "avoided product system")
_SUPPORT = ("flowDataSet", "flowPropertyDataSet", "unitGroupDataSet")
_FOLDERS = {"flowDataSet": "flows", "flowPropertyDataSet": "flowproperties"}
_FOLDERS["unitGroupDataSet"] = "unitgroups"
_MODULE = "{http://www.iai.kit.edu/EPD/2013}module"

#: Reference units of the ILCD reference flow properties, by UUID and by English name. Read from
#: the ILCD reference package (flowproperties/ and unitgroups/ of ilcd_folder.zip, GreenDelta
#: olca-ilcd@2970519cc092, MPL-2.0): e.g. Mass 93a60a56-...-0800200b9a66 -> "Units of mass" ->
#: kg. "Item(s)" is written ``piece`` here.
REFERENCE_PROPERTY_UNITS = {
    "93a60a56-a3c8-11da-a746-0800200b9a66": "kg",  # Mass
    "93a60a56-a3c8-11da-a746-0800200c9a66": "MJ",  # Net calorific value
    "93a60a56-a3c8-14da-a746-0800200c9a66": "MJ",  # Gross calorific value
    "9b784a67-fbb1-4ad2-8774-30c39643b844": "MJ",  # Energy ren. (net calorific value)
    "93a60a56-a3c8-22da-a746-0800200c9a66": "m3",  # Volume
    "93a60a56-a3c8-13da-a746-0800200c9a66": "m3",  # Normal Volume
    "93a60a56-a3c8-19da-a746-0800200c9a66": "m2",  # Area
    "838aaa23-0117-11db-92e3-0800200c9a66": "m",  # Length
    "838aaa20-0117-11db-92e3-0800200c9a66": "tkm",  # Goods transport (mass*distance)
    "01846770-4cfe-4a25-8ad9-919d8d378345": "piece",  # Number of items
    "mass": "kg",
    "net calorific value": "MJ",
    "gross calorific value": "MJ",
    "volume": "m3",
    "normal volume": "m3",
    "area": "m2",
    "length": "m",
    "goods transport (mass*distance)": "tkm",
    "number of items": "piece",
}
_UNIT_ALIASES = {"item(s)": "piece", "items": "piece", "item": "piece", "t*km": "tkm"}

Roots = dict[str, dict[str, ET.Element]]


def read(path: Path) -> ImportResult:
    """Read every process data set of an ILCD package, folder or lone process file."""
    path = Path(path)
    roots: Roots = {}
    processes: list[tuple[str, ET.Element]] = []
    for location, data in dataset_files(path, (".xml",)):
        root = x.parse(data, location)
        kind = x.local(root)
        if kind == "processDataSet":
            processes.append((location, root))
        elif kind in _SUPPORT:
            roots.setdefault(kind, {})[x.text(root, "UUID")] = root
    if path.is_file() and not path.suffix.lower() == ".zip":
        for _, root in processes:
            _load_neighbours(path, root, roots)
    result = ImportResult()
    datasets = []
    for location, root in processes:
        dataset = process_dataset(root, location, roots)
        reference = next((e for e in dataset.exchanges if e.is_reference), None)
        if reference is not None and not reference.unit:
            result.skipped.append(Skipped(location, _unknown_unit_reason(reference, dataset)))
        else:
            datasets.append(dataset)
    result.extend(collect(datasets))
    if not processes:
        result.skipped.append(Skipped(str(path), "no ILCD process data set in the input"))
    return result


def _unknown_unit_reason(reference: Exchange, dataset: ProcessDataset) -> str:
    result = (
        f" (its climate-change result {dataset.kg_co2e:g} kg CO2e per {reference.amount:g} "
        "reference flow cannot be expressed per unit)"
        if dataset.kg_co2e is not None
        else ""
    )
    return (
        f"unit of the reference flow {reference.name!r} unknown: its flow data set is neither in "
        "the input nor next to the file (same folder, ../flows/), and the process names no unit "
        f"(shortDescription, EPD unit group){result} — import the ILCD zip package with flows/, "
        "flowproperties/ and unitgroups/ / 参考流单位未知"
    )


# --- support data sets next to a lone process file ---------------------------------------------


def _load_neighbours(path: Path, process: ET.Element, roots: Roots) -> None:
    """Load flow / flow property / unit group data sets the process refers to from disk."""
    folder = path.parent
    same_folder = sorted(p for p in folder.glob("*.xml") if p != path)[:50]
    for candidate in same_folder:
        _load_file(candidate, roots)
    for exchange in x.descendants(x.child(process, "exchanges"), "exchange"):
        ref = x.child(exchange, "referenceToFlowDataSet")
        flow = _find(folder, "flowDataSet", ref, roots)
        if flow is None:
            continue
        for prop_ref in x.descendants(flow, "referenceToFlowPropertyDataSet"):
            prop = _find(folder, "flowPropertyDataSet", prop_ref, roots)
            group_ref = x.first(prop, "referenceToReferenceUnitGroup")
            if prop is not None and group_ref is not None:
                _find(folder, "unitGroupDataSet", group_ref, roots)


def _find(folder: Path, kind: str, ref: ET.Element | None, roots: Roots) -> ET.Element | None:
    uuid = x.attribute(ref, "refObjectId") or ""
    if not uuid or uuid in roots.get(kind, {}):
        return roots.get(kind, {}).get(uuid)
    candidates = []
    uri = x.attribute(ref, "uri")
    if uri and not re.match(r"^[a-z]+:", uri):
        candidates.append(folder / uri)
    for place in (folder, folder.parent / _FOLDERS[kind]):
        candidates.extend(sorted(place.glob(f"{uuid}*.xml")) if place.is_dir() else [])
    for candidate in candidates:
        _load_file(candidate, roots)
        if uuid in roots.get(kind, {}):
            return roots[kind][uuid]
    return None


def _load_file(candidate: Path, roots: Roots) -> None:
    if not candidate.is_file():
        return
    try:
        root = x.parse(limits.read_bytes(candidate), str(candidate))
    except FactorImportError:
        return  # a broken neighbour is not the file the user asked to import
    if x.local(root) in _SUPPORT:
        roots.setdefault(x.local(root), {})[x.text(root, "UUID")] = root


# --- units -------------------------------------------------------------------------------------


def _unit(flow_id: str, roots: Roots) -> tuple[str | None, str]:
    """Reference unit of a flow and how it was found ("" when from its unit group)."""
    flow = roots.get("flowDataSet", {}).get(flow_id)
    if flow is None:
        return None, ""
    reference = x.text(flow, "referenceToReferenceFlowProperty")
    props = list(x.descendants(flow, "flowProperty"))
    prop_ref = next((p for p in props if p.get("dataSetInternalID") == reference), None)
    prop_ref = prop_ref if prop_ref is not None else (props[0] if props else None)
    link = x.child(prop_ref, "referenceToFlowPropertyDataSet")
    prop_id = x.attribute(link, "refObjectId") or ""
    prop = roots.get("flowPropertyDataSet", {}).get(prop_id)
    group_id = x.attribute(x.first(prop, "referenceToReferenceUnitGroup"), "refObjectId")
    group = roots.get("unitGroupDataSet", {}).get(group_id or "")
    unit_ref = x.text(group, "referenceToReferenceUnit")
    for unit in x.descendants(group, "unit"):
        if unit.get("dataSetInternalID") == unit_ref:
            return _known_unit(x.text(unit, "name")), ""
    property_name = (x.text(prop, "name") or x.text(link, "shortDescription")).lower()
    known = REFERENCE_PROPERTY_UNITS.get(prop_id) or REFERENCE_PROPERTY_UNITS.get(property_name)
    if known:
        return known, f"unit {known} from the flow property {property_name or prop_id!r}"
    return None, ""


def _known_unit(text: str) -> str | None:
    cleaned = _UNIT_ALIASES.get(text.strip().lower(), text.strip())
    try:
        units.parse_unit(cleaned)
    except TanzujiError:
        return None
    return cleaned


def _unit_from_process(element: ET.Element, flow_name: str) -> tuple[str | None, str]:
    """A unit the process itself states for its reference exchange (EPD extension, name)."""
    for group in x.descendants(x.child(element, "other"), "referenceToUnitGroupDataSet"):
        unit = _known_unit(x.text(group, "shortDescription"))
        if unit:
            return unit, f"unit {unit} from the exchange's EPD unit-group reference"
    for pattern in (r"\(([^()]+)\)\s*$", r"\[([^\]]+)\]\s*$", r",\s*1\s+([^,\s]+)\s*$"):
        match = re.search(pattern, flow_name)
        unit = _known_unit(match.group(1)) if match else None
        if unit:
            return unit, f"unit {unit} from the reference flow name {flow_name!r}"
    return None, ""


# --- process data set --------------------------------------------------------------------------


def process_dataset(root: ET.Element, location: str, roots: Roots) -> ProcessDataset:
    """The :class:`ProcessDataset` of one ``processDataSet`` (reference unit "" if unknown)."""
    name = x.text(root, "name", "baseName") or Path(location).stem
    reference_id = x.text(root, "quantitativeReference", "referenceToReferenceFlow")
    exchanges, notes = [], []
    for element in x.descendants(x.child(root, "exchanges"), "exchange"):
        where = (
            f"{location}: exchanges/exchange[@dataSetInternalID={element.get('dataSetInternalID')}]"
        )
        flow_ref = x.child(element, "referenceToFlowDataSet")
        flow_id = x.attribute(flow_ref, "refObjectId") or ""
        flow_name = x.text(flow_ref, "shortDescription")
        flow = roots.get("flowDataSet", {}).get(flow_id)
        amount_text = x.text(element, "resultingAmount") or x.text(element, "meanAmount")
        is_reference = element.get("dataSetInternalID") == reference_id
        kind_of_flow = x.text(flow, "typeOfDataSet") if flow is not None else ""
        if flow is not None:
            elementary = kind_of_flow == "Elementary flow"
            flow_name = x.text(flow, "baseName") or flow_name
        else:
            # without the flow data set: a greenhouse gas by name, or an ELCD-style name
            # "zinc (Emissions to water)" / "(Resources from ground)"
            elementary = not is_reference and (
                ghg_of(flow_name) is not None or bool(_ELEMENTARY_NAME.search(flow_name))
            )
        unit, how = _unit(flow_id, roots)
        if unit is None and is_reference:
            unit, how = _unit_from_process(element, flow_name)
        if unit is None and elementary and flow is None:
            unit = "kg"  # greenhouse-gas elementary flows of ILCD are mass flows
        if how and is_reference:
            notes.append(how)
        exchanges.append(
            Exchange(
                name=flow_name,
                amount=number(amount_text, where, "meanAmount") if amount_text else 0.0,
                unit=unit or "",
                elementary=elementary,
                is_input=x.text(element, "exchangeDirection") == "Input",
                is_reference=is_reference,
                compartment=flow_compartment(flow),
                location=where,
                flow_id=flow_id,
                waste=kind_of_flow == "Waste flow",
            )
        )
    kind = x.text(root, "LCIMethodAndAllocation", "typeOfDataSet").lower()
    kg_co2e, modules_note = _climate_change(root, location)
    if modules_note:
        notes.append(modules_note)
    return ProcessDataset(
        id=safe_id("ilcd", x.text(root, "UUID") or name),
        name=name,
        location=location,
        source=Source(
            publisher=x.text(root, "project") or _owner(root) or "unknown (ILCD data set)",
            document=f"{name} ({Path(location.rstrip(']')).name})",
            url=x.text(root, "permanentDataSetURI") or None,
        ),
        exchanges=exchanges,
        aggregated=kind in _AGGREGATED,
        geography=geography_code(
            x.attribute(x.first(root, "locationOfOperationSupplyOrProduction"), "location")
        ),
        year=year_of(x.text(root, "time", "referenceYear")),
        licence=x.text(root, "accessRestrictions")[:500] or UNKNOWN_LICENCE,
        kg_co2e=kg_co2e,
        boundary="cradle_to_gate" if kind in _AGGREGATED else None,
        comment=" | ".join(notes),
    )


def flow_compartment(flow: ET.Element | None) -> str:
    """``Emissions/Emissions to air/...``: the elementary-flow categories of a flow data set
    (else its classification), joined by ``/``; ``""`` without a flow data set."""
    if flow is None:
        return ""
    for tag in ("elementaryFlowCategorization", "classification"):
        found = x.first(flow, tag)
        if found is not None:
            levels = sorted(x.descendants(found, "category"), key=lambda c: c.get("level", "0"))
            return "/".join((c.text or "").strip() for c in levels if (c.text or "").strip())
    return ""


def _owner(root: ET.Element) -> str:
    return x.text(root, "publicationAndOwnership", "referenceToOwnershipOfDataSet")


_ELEMENTARY_NAME = re.compile(r"\((emissions|resources) ", re.IGNORECASE)
_CLIMATE = re.compile(r"climate change|global warming|\bgwp|treibhaus", re.IGNORECASE)
_PART = re.compile(r"fossil|biogen|luluc|land use|excluding|\b(20|500)\b", re.IGNORECASE)


def _climate_change(root: ET.Element, location: str) -> tuple[float | None, str]:
    """kg CO2e of the climate-change (GWP100, total) LCIA result, and a note on EPD modules."""
    where = f"{location}: LCIAResults/LCIAResult"
    results = [
        (x.text(r, "referenceToLCIAMethodDataSet", "shortDescription"), r)
        for r in x.descendants(root, "LCIAResult")
    ]
    climate = [(label, r) for label, r in results if _CLIMATE.search(label)]
    totals = [(label, r) for label, r in climate if "total" in label.lower()] or [
        (label, r) for label, r in climate if not _PART.search(label)
    ]
    for label, result in totals:
        modules: dict[str, float] = {}
        for amount in x.descendants(result, "amount"):
            module = amount.get(_MODULE) or x.attribute(amount, "module")
            scenario = x.attribute(amount, "scenario")
            if module and amount.text and amount.text.strip():
                key = f"{module} ({scenario})" if scenario else module
                modules[key] = number(amount.text, where, f"amount[@module={module}]")
        mean = x.text(result, "meanAmount")
        if mean and not modules:
            return number(mean, where, "meanAmount"), ""
        value = _a1_a3(modules)
        if value is not None:
            others = ", ".join(f"{k}={v:g}" for k, v in modules.items() if k != "A1-A3")
            note = (
                f"EPD result {label!r}: modules A1-A3 (cradle to gate) = {value:g} kg CO2e per "
                "declared unit" + (f"; not included: {others}" if others else "")
            )
            return value, note
    return None, ""


def _a1_a3(modules: dict[str, float]) -> float | None:
    """EN 15804 product stage: the A1-A3 amount, else A1 + A2 + A3 when all three are given."""
    if "A1-A3" in modules:
        return modules["A1-A3"]
    if all(m in modules for m in ("A1", "A2", "A3")):
        return modules["A1"] + modules["A2"] + modules["A3"]
    return None
