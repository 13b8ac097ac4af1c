"""ILCD process data sets: a zip package, an unpacked folder, or one process ``.xml``.

The reference flow is the exchange named by ``quantitativeReference/referenceToReferenceFlow``.
Units come from the package (flow -> reference flow property -> unit group -> reference unit);
a lone process file has none, so its datasets are skipped with that reason. ``typeOfDataSet``
"LCI result", "Partly terminated system" and "EPD" are aggregated. A climate-change GWP100
``LCIAResult`` (for EPD data sets the module A1-A3 amount) becomes ``kg_co2e``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from tanzuji.factors.importers import ImportResult, Skipped
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


def read(path: Path) -> ImportResult:
    """Read every process data set of an ILCD package or file."""
    roots: dict[str, dict[str, ET.Element]] = {}
    processes: list[tuple[str, ET.Element]] = []
    for location, data in dataset_files(path, (".xml",)):
        root = x.parse(data, location)
        kind = x.local(root)
        if kind == "processDataSet":
            processes.append((location, root))
        elif kind in ("flowDataSet", "flowPropertyDataSet", "unitGroupDataSet"):
            roots.setdefault(kind, {})[x.text(root, "UUID")] = root
    result = ImportResult()
    datasets = []
    for location, root in processes:
        dataset = process_dataset(root, location, roots)
        reference = next((e for e in dataset.exchanges if e.is_reference), None)
        if reference is not None and not reference.unit:
            result.skipped.append(
                Skipped(
                    location,
                    f"unit of the reference flow {reference.name!r} unknown: its flow data set "
                    "is not in the input (import the ILCD zip package with flows/, "
                    "flowproperties/ and unitgroups/)",
                )
            )
        else:
            datasets.append(dataset)
    result.extend(collect(datasets))
    if not processes:
        result.skipped.append(Skipped(str(path), "no ILCD process data set in the input"))
    return result


def _unit(flow_id: str, roots: dict[str, dict[str, ET.Element]]) -> str | None:
    flow = roots.get("flowDataSet", {}).get(flow_id)
    if flow is None:
        return None
    reference = x.text(flow, "referenceToReferenceFlowProperty")
    prop_ref = next(
        (p for p in x.descendants(flow, "flowProperty") if p.get("dataSetInternalID") == reference),
        None,
    )
    prop_id = x.attribute(x.child(prop_ref, "referenceToFlowPropertyDataSet"), "refObjectId")
    prop = roots.get("flowPropertyDataSet", {}).get(prop_id or "")
    group_id = x.attribute(x.first(prop, "referenceToReferenceUnitGroup"), "refObjectId")
    group = roots.get("unitGroupDataSet", {}).get(group_id or "")
    unit_ref = x.text(group, "referenceToReferenceUnit")
    for unit in x.descendants(group, "unit"):
        if unit.get("dataSetInternalID") == unit_ref:
            return x.text(unit, "name")
    return None


def process_dataset(
    root: ET.Element, location: str, roots: dict[str, dict[str, ET.Element]]
) -> ProcessDataset:
    """The :class:`ProcessDataset` of one ``processDataSet`` (reference unit "" if unknown)."""
    name = x.text(root, "name", "baseName") or Path(location).stem
    reference_id = x.text(root, "quantitativeReference", "referenceToReferenceFlow")
    exchanges = []
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
        if flow is not None:
            elementary = x.text(flow, "typeOfDataSet") == "Elementary flow"
            flow_name = x.text(flow, "baseName") or flow_name
        else:
            elementary = not is_reference and ghg_of(flow_name) is not None
        unit = _unit(flow_id, roots) or ("kg" if elementary and flow is None else None)
        exchanges.append(
            Exchange(
                name=flow_name,
                amount=number(amount_text or "nan", where, "meanAmount") if amount_text else 0.0,
                unit=unit or "",
                elementary=elementary,
                is_input=x.text(element, "exchangeDirection") == "Input",
                is_reference=is_reference,
                location=where,
            )
        )
    kind = x.text(root, "LCIMethodAndAllocation", "typeOfDataSet").lower()
    return ProcessDataset(
        id=safe_id("ilcd", x.text(root, "UUID") or name),
        name=name,
        location=location,
        source=Source(
            publisher=x.text(root, "project") or "unknown (ILCD data set)",
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
        kg_co2e=_climate_change(root, location),
        boundary="cradle_to_gate" if kind in _AGGREGATED else None,
    )


def _climate_change(root: ET.Element, location: str) -> float | None:
    for result in x.descendants(root, "LCIAResult"):
        label = x.text(result, "referenceToLCIAMethodDataSet", "shortDescription").lower()
        if ("climate" in label or "gwp" in label or "treibhaus" in label) and "100" in label:
            modules = {a.get(_MODULE): a.text for a in x.descendants(result, "amount")}
            raw = x.text(result, "meanAmount") or modules.get("A1-A3")
            if raw:
                return number(raw, f"{location}: LCIAResults/LCIAResult", "meanAmount")
    return None


_MODULE = "{http://www.iai.kit.edu/EPD/2013}module"
