"""EcoSpold 1 and 2, ILCD and SimaPro CSV packages read into a :class:`Library`.

The factor importers (:mod:`tanzuji.factors.importers`) already parse these formats into
:class:`~tanzuji.factors.importers.inventory.ProcessDataset`; this module turns the datasets
into library processes and builds their flows:

* a flow keeps the id the format gives it (EcoSpold 2 ``intermediateExchangeId`` /
  ``elementaryExchangeId``, ILCD flow UUID); EcoSpold 1 and SimaPro name flows only, so a
  product flow is identified by its name and an elementary flow by name and compartment
  (a UUID-5 of them, stable across imports);
* the first reference product is the quantitative reference, further ones are co-products
  with their allocation shares (physical allocation factors);
* EcoSpold 2 ``activityLinkId`` becomes the default provider, an EcoSpold 1 input's
  ``location`` the provider's location;
* ILCD packages also give their flows, flow properties and unit groups (reference data).
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from pathlib import Path

from tanzuji import units
from tanzuji.errors import LibraryError, TanzujiError
from tanzuji.factors.importers import ecospold1, ecospold2, ilcd, simapro
from tanzuji.factors.importers import xmlread as x
from tanzuji.factors.importers.inventory import Exchange as DatasetExchange
from tanzuji.factors.importers.inventory import ProcessDataset
from tanzuji.library.model import (
    AllocationFactor,
    Exchange,
    Flow,
    FlowProperty,
    Library,
    Process,
    UnitGroup,
)
from tanzuji.library.quantities import UNIT_SPELLINGS
from tanzuji.library.sources import Member

#: Namespace of the UUID-5 ids of flows that a format names but does not identify.
FLOW_NAMESPACE = uuid.UUID("6f1d5c2e-2b1a-5d0e-9c3f-7a7e2a1b9d40")

Parser = Callable[[ET.Element, str, str], ProcessDataset]


def read_ecospold1(files: Iterable[Member]) -> Library:
    """EcoSpold 1 ``dataset`` elements of every ``.xml`` file."""
    parse: Parser = lambda element, where, name: ecospold1.parse_dataset(element, where, name)  # noqa: E731
    return _from_xml(files, "ecospold1", ("dataset",), parse)


def read_ecospold2(files: Iterable[Member]) -> Library:
    """EcoSpold 2 ``activityDataset`` / ``childActivityDataset`` of every ``.spold``/``.xml``."""
    parse: Parser = lambda element, where, name: ecospold2.parse_dataset(element, where, name)  # noqa: E731
    return _from_xml(files, "ecospold2", ("activityDataset", "childActivityDataset"), parse)


def _from_xml(files: Iterable[Member], fmt: str, tags: tuple[str, ...], parse: Parser) -> Library:
    datasets = []
    for member in files:
        if not member.name.lower().endswith((".xml", ".spold")):
            continue
        root = x.parse(member.data, member.location)
        found = [e for e in root.iter() if x.local(e) in tags]
        for index, element in enumerate(found):
            where = member.location if len(found) == 1 else f"{member.location}#{index + 1}"
            datasets.append(parse(element, where, Path(member.name).name))
    library = Library(format=fmt)
    add_datasets(library, datasets)
    return library


def read_simapro(files: Iterable[Member]) -> Library:
    """Process blocks of every SimaPro CSV export (``.csv`` / ``.txt``)."""
    library = Library(format="simapro")
    for member in files:
        if member.name.lower().endswith((".csv", ".txt")):
            datasets, skipped = simapro.parse_text(simapro.decode(member.data), member.location)
            add_datasets(library, datasets)
            library.notes.extend(f"{s.location}: {s.reason}" for s in skipped)
    return library


def read_ilcd(files: Iterable[Member]) -> Library:
    """Process, flow, flow-property and unit-group data sets of an ILCD package."""
    roots: dict[str, dict[str, ET.Element]] = {}
    processes = []
    for member in files:
        if not member.name.lower().endswith(".xml"):
            continue
        root = x.parse(member.data, member.location)
        kind = x.local(root)
        if kind == "processDataSet":
            processes.append((member.location, root))
        elif kind in ("flowDataSet", "flowPropertyDataSet", "unitGroupDataSet"):
            roots.setdefault(kind, {})[x.text(root, "UUID")] = root
    library = Library(format="ilcd")
    for group_id, root in roots.get("unitGroupDataSet", {}).items():
        library.unit_groups[group_id] = _ilcd_unit_group(group_id, root)
    for prop_id, root in roots.get("flowPropertyDataSet", {}).items():
        group = x.attribute(x.first(root, "referenceToReferenceUnitGroup"), "refObjectId") or ""
        library.flow_properties[prop_id] = FlowProperty(prop_id, x.text(root, "name"), group)
    for flow_id, root in roots.get("flowDataSet", {}).items():
        library.flows[flow_id] = _ilcd_flow(flow_id, root, library)
    datasets = [ilcd.process_dataset(root, where, roots) for where, root in processes]
    add_datasets(library, datasets)
    return library


def _ilcd_unit_group(group_id: str, root: ET.Element) -> UnitGroup:
    reference = x.text(root, "quantitativeReference", "referenceToReferenceUnit")
    units, reference_name = {}, ""
    for unit in x.descendants(x.child(root, "units"), "unit"):
        name = x.text(unit, "name")
        try:
            units[name] = float(x.text(unit, "meanValue") or "1")
        except ValueError:
            continue
        if unit.get("dataSetInternalID") == reference:
            reference_name = name
    return UnitGroup(group_id, x.text(root, "name"), reference_name, units)


_ILCD_TYPES = {"Elementary flow": "elementary", "Waste flow": "waste"}


def _ilcd_flow(flow_id: str, root: ET.Element, library: Library) -> Flow:
    reference = x.text(root, "quantitativeReference", "referenceToReferenceFlowProperty")
    properties, reference_prop = {}, ""
    for prop in x.descendants(x.child(root, "flowProperties"), "flowProperty"):
        prop_id = x.attribute(x.child(prop, "referenceToFlowPropertyDataSet"), "refObjectId") or ""
        try:
            properties[prop_id] = float(x.text(prop, "meanValue") or "1")
        except ValueError:
            continue
        if prop.get("dataSetInternalID") == reference:
            reference_prop = prop_id
    flow = Flow(
        id=flow_id,
        name=x.text(root, "baseName") or flow_id,
        flow_type=_ILCD_TYPES.get(x.text(root, "typeOfDataSet"), "product"),  # type: ignore[arg-type]
        category=ilcd.flow_compartment(root),
        reference_property=reference_prop,
        properties=properties,
        cas=x.text(root, "CASNumber"),
        formula=x.text(root, "sumFormula"),
    )
    flow_property = library.flow_properties.get(reference_prop)
    group = library.unit_groups.get(flow_property.unit_group) if flow_property else None
    flow.reference_unit = group.reference_unit if group else ""
    return flow


# -- datasets -> processes ---------------------------------------------------------------------


def add_datasets(library: Library, datasets: list[ProcessDataset]) -> None:
    """Add the datasets to ``library`` as processes, with the flows they name.

    Raises
    ------
    LibraryError
        Two datasets have the same id.
    """
    seen = {p.id: p for p in library.processes}
    for dataset in datasets:
        if dataset.id in seen:
            raise LibraryError(
                f"process id {dataset.id!r} occurs twice; expected one dataset per id",
                location=dataset.location,
                found=dataset.id,
            )
        process = _process(dataset, library)
        seen[process.id] = process
        library.processes.append(process)


def _process(dataset: ProcessDataset, library: Library) -> Process:
    exchanges, allocation, has_reference = [], [], False
    for position, raw in enumerate(dataset.exchanges):
        flow = _flow_of(raw, library.format, library)
        is_reference = raw.is_reference and not has_reference
        has_reference = has_reference or raw.is_reference
        exchanges.append(
            Exchange(
                position=position,
                flow=flow.id,
                amount=raw.amount,
                unit=raw.unit,
                # products are outputs; a treatment's reference is the waste it takes in
                is_input=(is_reference and raw.waste) if raw.is_reference else raw.is_input,
                is_reference=is_reference,
                avoided=raw.avoided,
                default_provider=raw.provider,
                provider_location=raw.provider_location,
                uncertainty=_uncertainty(raw),
            )
        )
        if raw.is_reference and raw.allocation is not None:
            allocation.append(AllocationFactor("physical", flow.id, raw.allocation))
    products = sum(1 for e in dataset.exchanges if e.is_reference)
    return Process(
        id=dataset.id,
        name=dataset.name,
        process_type="lci_result" if dataset.aggregated else "unit",
        location=dataset.geography,
        description=dataset.comment,
        year=dataset.year,
        licence=dataset.licence,
        source={"publisher": dataset.source.publisher, "document": dataset.source.document},
        exchanges=exchanges,
        allocation=allocation if products > 1 and len(allocation) == products else [],
    )


def _flow_of(raw: DatasetExchange, fmt: str, library: Library) -> Flow:
    kind = "elementary" if raw.elementary else "waste" if raw.waste else "product"
    # an elementary flow is a name in a compartment measured in one dimension (EcoSpold 1
    # writes "Water" in m3 and in kg as two flows); a product is its name
    key = f"{raw.name}|{raw.compartment}|{_dimension(raw.unit)}" if raw.elementary else raw.name
    flow_id = raw.flow_id or str(uuid.uuid5(FLOW_NAMESPACE, f"{fmt}|{kind}|{key.strip().lower()}"))
    flow = library.flows.get(flow_id)
    if flow is None:
        flow = Flow(
            flow_id,
            raw.name,
            kind,  # type: ignore[arg-type]
            category=raw.compartment if raw.elementary else "",
        )
        library.flows[flow_id] = flow
    return flow


def _dimension(unit: str) -> str:
    try:
        return units.dimension(UNIT_SPELLINGS.get(unit, unit))
    except TanzujiError:
        return unit


def _uncertainty(raw: DatasetExchange) -> dict | None:
    spec = dict(raw.uncertainty or {})
    if raw.pedigree:
        spec["pedigree"] = "(" + ";".join(str(p) for p in raw.pedigree) + ")"
    return spec or None
