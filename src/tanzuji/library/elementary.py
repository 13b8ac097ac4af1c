"""Elementary flows mapped to Tanzuji greenhouse gases and origins (the biosphere rows).

Libraries name elementary flows in their own nomenclature: ecoinvent-2 style (``Carbon
dioxide, fossil`` in ``air/low population density``), NETL (``Methane [Organic emissions to
air]``), chemical names (``Methane, tetrafluoro-, CFC-14``), FEDEFL (``Carbon dioxide`` in
``emission/air``). A flow is a greenhouse-gas row when

* its compartment is air (an emission; a flow without a compartment is read as one and the
  mapping says so), or it is CO2 taken from air (``resource/in air``, ``resource/biotic``, or
  ``Carbon dioxide, in air``): a biogenic removal;
* its name is a gas of ``data/gwp100.csv`` by :func:`tanzuji.factors.importers.inventory.ghg_of`
  (CO2, CH4, N2O, SF6, NF3, HFC/PFC codes; origin from the name: fossil unless biogenic /
  non-fossil / land transformation), by its halocarbon code (``HCFC-22``, ``CFC-12``), or by a
  chemical name of :data:`CHEMICAL_NAMES`;
* its reference unit is a mass.

Water and soil compartments and resources other than CO2 from air are not greenhouse-gas
flows. Halocarbons that data/gwp100.csv has no GWP100 for (CFC-113, halons, HCFC-21, unspecified
mixtures) are kept as *uncharacterised* so the import report can list what is left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from tanzuji import gases, units
from tanzuji.errors import TanzujiError
from tanzuji.factors.importers.inventory import ghg_of
from tanzuji.library.model import Flow

Kind = Literal["ghg", "uncharacterised", "other"]

#: Chemical names (lower case, as USLCI and ecoinvent 2 write them) of gases whose GWP100 the
#: GWP table holds, by molecular formula: CF4 is PFC-14 (some data sets label it "CFC-14"),
#: C2F6 is PFC-116 (labelled "HFC-116" in USLCI), CH2Cl2 is dichloromethane (HCC-30). Formulas
#: and ids as in IPCC AR6 WG1 Table 7.SM.7 (data/gwp100.csv).
CHEMICAL_NAMES = {
    "methane, tetrafluoro-": "PFC-14",
    "methane, tetrafluoro-, cfc-14": "PFC-14",
    "tetrafluoromethane": "PFC-14",
    "ethane, hexafluoro-": "PFC-116",
    "ethane, hexafluoro-, hfc-116": "PFC-116",
    "hexafluoroethane": "PFC-116",
    "methane, dichloro-": "CH2Cl2",
    "methane, dichloro-, hcc-30": "CH2Cl2",
    "methane, dichloro, hcc-30": "CH2Cl2",
    "dichloromethane": "CH2Cl2",
}
_CODE = re.compile(r"\b(HCFC|CFC|HFC|PFC|HCC|Halon)[- ]?(\d[\w-]*)", re.IGNORECASE)
#: Names of halocarbons that are greenhouse gases (fluorinated, or named by a CFC/HCFC/HFC/PFC/
#: halon/HCC/R- code): those without a GWP100 in the table are reported as uncharacterised.
_HALOCARBON = re.compile(r"fluoro|\b(h?cfc|hfc|pfc|halon|hcc)s?\b|\bR-\d", re.IGNORECASE)
_AIR = ("air", "emission to air", "emissions to air", "emission output to atmosphere")
_SURFACES = ("water", "soil", "emissions to water", "emission to water", "emissions to soil")


@dataclass(frozen=True)
class GasMapping:
    """What an elementary flow is in Tanzuji's biosphere.

    ``kind`` ``ghg``: one row ``(gas, origin)``, ``kg_per_unit`` kg of the gas in one reference
    unit of the flow; ``uncharacterised``: a halocarbon without a GWP100 in the table;
    ``other``: not a greenhouse gas. ``note`` says how the mapping was made.
    """

    kind: Kind
    gas: str | None = None
    origin: str = "fossil"
    kg_per_unit: float = 1.0
    note: str = ""


OTHER = GasMapping("other")


def compartment(category: str) -> str:
    """``air``, ``resource``, ``water``, ``soil``, ``other`` or ``unknown`` for a path."""
    parts = [p.strip().lower() for p in category.split("/") if p.strip()]
    parts = [p for p in parts if p not in ("elementary flows", "elementary flow")]
    for part in parts:
        if part in _AIR or part.startswith(("air", "emission to air", "emissions to air")):
            return "air"
        if part.startswith(("resource", "[resource]")):
            return "resource"
        if part.startswith(_SURFACES) or "freshwater" in part or "to water" in part:
            return "water" if "water" in part else "soil"
        if part.startswith(("soil", "ground")):
            return "soil"
    meaningful = [p for p in parts if not p.startswith("netl") and p != "uslci elementary flows"]
    return "other" if meaningful else "unknown"


def clean_name(name: str) -> str:
    """Name without NETL's ``[...]`` compartment suffix, trailing blanks and double spaces."""
    text = re.sub(r"\[[^\]]*\]", "", name)
    text = re.sub(r"\((laughing gas|in mj)\)", "", text, flags=re.IGNORECASE)
    return re.sub(r"\s+", " ", text).strip()


def map_flow(flow: Flow) -> GasMapping:
    """The :class:`GasMapping` of one elementary flow (``OTHER`` for product/waste flows)."""
    if flow.flow_type != "elementary":
        return OTHER
    where = compartment(flow.category)
    if where in ("water", "soil", "other"):
        return OTHER
    name = clean_name(flow.name)
    if where == "resource":
        return _uptake(flow, name)
    found = _gas_of(name)
    if found is None:
        if _HALOCARBON.search(name):
            return GasMapping("uncharacterised", note=f"{name!r}: no GWP100 in data/gwp100.csv")
        return OTHER
    gas, origin, how = found
    kg = _kg_per_unit(flow)
    if kg is None:
        return GasMapping(
            "uncharacterised",
            gas=gas,
            origin=origin,
            note=f"{gas} in {flow.reference_unit!r}, not a mass",
        )
    if where == "unknown":
        how += "; no compartment given, read as an emission to air"
    return GasMapping("ghg", gas, origin, kg, how)


def _uptake(flow: Flow, name: str) -> GasMapping:
    lowered = f"{name.lower()} {flow.category.lower()}"
    if name.lower().startswith("carbon dioxide") and ("in air" in lowered or "biotic" in lowered):
        kg = _kg_per_unit(flow)
        if kg is not None:
            return GasMapping("ghg", "CO2", "biogenic", kg, "CO2 taken up from air (a removal)")
    return OTHER


def _gas_of(name: str) -> tuple[str, str, str] | None:
    """``(gas, origin, how)`` for a cleaned name, or ``None``."""
    lowered = name.lower()
    if lowered in CHEMICAL_NAMES:
        return CHEMICAL_NAMES[lowered], "fossil", f"chemical name {name!r}"
    found = ghg_of(name, "air")
    if found is not None:
        return found[0], found[1], f"name {name!r}"
    match = _CODE.search(name)
    if match:
        code = f"{match.group(1).upper()}-{match.group(2)}"
        try:
            return gases.canonical_gas(code), "fossil", f"halocarbon code {code}"
        except TanzujiError:
            return None
    return None


def _kg_per_unit(flow: Flow) -> float | None:
    try:
        return units.conversion_factor(flow.reference_unit or "kg", "kg")
    except TanzujiError:
        return None
