"""A toy process library in openLCA JSON-LD, small enough to solve by hand.

Processes (reference first; amounts per written unit):

* ``grid`` (US): 1 kWh electricity; in 0.1 kWh electricity (its own losses), 0.5 kg coal,
  1 kg ``CUTOFF Water, tap``; out 0.8 kg CO2 fossil;
* ``coal`` (US): 1 t hard coal; in 5 l diesel (two producers), out 10 kg waste (to ``landfill``),
  2 kg CH4 fossil;
* ``diesel_us`` (US) and ``diesel_cn`` (CN): 1 m3 diesel; out 300 / 500 kg CO2 fossil;
* ``landfill``: treats 1 kg waste (its reference is a waste *input*); out 0.05 kg CH4 fossil;
* ``steel``: 1 kg steel and 0.5 kg slag (physical allocation 0.8 / 0.2); in 2 kWh electricity,
  0.1 kg CO2 from air; out 1 kg CO2 fossil, 0.01 kg SO2, 1e-6 kg CFC-113;
* ``user`` (CN): 1 kg widget; in 1 kg slag, 1 kg coal under another id (same name), 1 kg
  diesel (mass; the data set names ``diesel_cn`` as provider), 10 lb av coal (the unit group says
  0.45 kg), 1 "bananas" of coal (no such unit);
* ``aggregated`` (LCI result): 1 kg; in 1 kWh electricity; out 5 kg CO2 fossil.

The v1 spellings (``input``, ``quantitativeReference``) are used except in ``user`` and
``steel``, which use v2's (``isInput``, ``isQuantitativeReference``).
"""

from __future__ import annotations

import json
from pathlib import Path

from tanzuji.library.sources import Member

MASS_GROUP, ENERGY_GROUP, VOLUME_GROUP = "ug-mass", "ug-energy", "ug-volume"
MASS, ENERGY, VOLUME = "fp-mass", "fp-energy", "fp-volume"
DIESEL_DENSITY_KG_PER_M3 = 840.0


def _ref(kind: str, id_: str, **extra) -> dict:
    return {"@type": kind, "@id": id_, **extra}


UNIT_GROUPS = [
    {
        "@type": "UnitGroup",
        "@id": MASS_GROUP,
        "name": "Units of mass",
        "units": [
            {"name": "kg", "conversionFactor": 1.0, "referenceUnit": True},
            {"name": "t", "conversionFactor": 1000.0},
            {"name": "lb av", "conversionFactor": 0.45},
        ],
    },
    {
        "@type": "UnitGroup",
        "@id": ENERGY_GROUP,
        "name": "Units of energy",
        "units": [
            {"name": "MJ", "conversionFactor": 1.0, "referenceUnit": True},
            {"name": "kWh", "conversionFactor": 3.6},
        ],
    },
    {
        "@type": "UnitGroup",
        "@id": VOLUME_GROUP,
        "name": "Units of volume",
        "units": [
            {"name": "m3", "conversionFactor": 1.0, "referenceUnit": True},
            {"name": "l", "conversionFactor": 0.001},
        ],
    },
]
PROPERTIES = [
    {
        "@type": "FlowProperty",
        "@id": MASS,
        "name": "Mass",
        "unitGroup": _ref("UnitGroup", MASS_GROUP),
    },
    {
        "@type": "FlowProperty",
        "@id": ENERGY,
        "name": "Energy",
        "unitGroup": _ref("UnitGroup", ENERGY_GROUP),
    },
    {
        "@type": "FlowProperty",
        "@id": VOLUME,
        "name": "Volume",
        "unitGroup": _ref("UnitGroup", VOLUME_GROUP),
    },
]


def _flow(id_: str, name: str, kind: str, prop: str, category: str = "", extra=None) -> dict:
    factors = [
        {
            "flowProperty": _ref("FlowProperty", prop),
            "conversionFactor": 1.0,
            "referenceFlowProperty": True,
        }
    ]
    factors += extra or []
    return {
        "@type": "Flow",
        "@id": id_,
        "name": name,
        "flowType": kind,
        "category": category,
        "flowProperties": factors,
    }


FLOWS = [
    _flow("electricity", "Electricity, at grid", "PRODUCT_FLOW", ENERGY),
    _flow("coal", "Hard coal", "PRODUCT_FLOW", MASS),
    _flow("coal-2", "Hard coal", "PRODUCT_FLOW", MASS),
    _flow(
        "diesel",
        "Diesel",
        "PRODUCT_FLOW",
        VOLUME,
        extra=[
            {
                "flowProperty": _ref("FlowProperty", MASS),
                "conversionFactor": DIESEL_DENSITY_KG_PER_M3,
            }
        ],
    ),
    _flow("water", "CUTOFF Water, tap", "PRODUCT_FLOW", MASS),
    _flow("waste", "Mine waste", "WASTE_FLOW", MASS),
    _flow("steel", "Steel", "PRODUCT_FLOW", MASS),
    _flow("slag", "Slag", "PRODUCT_FLOW", MASS),
    _flow("widget", "Widget", "PRODUCT_FLOW", MASS),
    _flow("aggregate", "Aggregated product", "PRODUCT_FLOW", MASS),
    _flow(
        "co2", "Carbon dioxide, fossil", "ELEMENTARY_FLOW", MASS, "Elementary flows/air/unspecified"
    ),
    _flow("ch4", "Methane, fossil", "ELEMENTARY_FLOW", MASS, "Elementary flows/air/unspecified"),
    _flow(
        "co2-air",
        "Carbon dioxide, in air",
        "ELEMENTARY_FLOW",
        MASS,
        "Elementary flows/resource/in air",
    ),
    _flow("so2", "Sulfur dioxide", "ELEMENTARY_FLOW", MASS, "Elementary flows/air/unspecified"),
    _flow(
        "cfc113",
        "Ethane, 1,1,2-trichloro-1,2,2-trifluoro-, CFC-113",
        "ELEMENTARY_FLOW",
        MASS,
        "Elementary flows/air/unspecified",
    ),
]
_PROPERTY_OF = {"kWh": ENERGY, "MJ": ENERGY, "l": VOLUME, "m3": VOLUME}


def _x(
    flow: str,
    amount: float,
    unit: str,
    *,
    inp: bool = False,
    ref: bool = False,
    v2: bool = False,
    **extra,
) -> dict:
    exchange = {
        "@type": "Exchange",
        "amount": amount,
        "flow": {"@type": "Flow", "@id": flow},
        "unit": {"@type": "Unit", "name": unit},
        "flowProperty": _ref("FlowProperty", extra.pop("prop", _PROPERTY_OF.get(unit, MASS))),
        **extra,
    }
    exchange["isInput" if v2 else "input"] = inp
    if ref:
        exchange["isQuantitativeReference" if v2 else "quantitativeReference"] = True
    return exchange


def _process(id_: str, location: str, exchanges: list[dict], **extra) -> dict:
    return {
        "@type": "Process",
        "@id": id_,
        "name": id_.replace("_", " ").title(),
        "processType": "UNIT_PROCESS",
        "location": {
            "@type": "Location",
            "@id": f"loc-{location}",
            "name": location,
            "code": location,
        },
        "exchanges": exchanges,
        **extra,
    }


PROCESSES = [
    _process(
        "grid",
        "US",
        [
            _x("electricity", 1, "kWh", ref=True),
            _x("electricity", 0.1, "kWh", inp=True),
            _x("coal", 0.5, "kg", inp=True),
            _x("water", 1, "kg", inp=True),
            _x("co2", 0.8, "kg"),
        ],
    ),
    _process(
        "coal",
        "US",
        [
            _x("coal", 1, "t", ref=True),
            _x("diesel", 5, "l", inp=True),
            _x("waste", 10, "kg"),
            _x("ch4", 2, "kg"),
        ],
    ),
    _process("diesel_us", "US", [_x("diesel", 1, "m3", ref=True), _x("co2", 300, "kg")]),
    _process("diesel_cn", "CN", [_x("diesel", 1, "m3", ref=True), _x("co2", 500, "kg")]),
    _process("landfill", "US", [_x("waste", 1, "kg", inp=True, ref=True), _x("ch4", 0.05, "kg")]),
    _process(
        "steel",
        "US",
        [
            _x("steel", 1, "kg", ref=True, v2=True),
            _x("slag", 0.5, "kg", v2=True),
            _x("electricity", 2, "kWh", inp=True, v2=True),
            _x("co2-air", 0.1, "kg", inp=True, v2=True),
            _x("co2", 1.0, "kg", v2=True),
            _x("so2", 0.01, "kg", v2=True),
            _x("cfc113", 1e-6, "kg", v2=True),
        ],
        allocationFactors=[
            {
                "allocationType": "PHYSICAL_ALLOCATION",
                "product": _ref("Flow", "steel"),
                "value": 0.8,
            },
            {
                "allocationType": "PHYSICAL_ALLOCATION",
                "product": _ref("Flow", "slag"),
                "value": 0.2,
            },
        ],
    ),
    _process(
        "user",
        "CN",
        [
            _x("widget", 1, "kg", ref=True, v2=True),
            _x("slag", 1, "kg", inp=True, v2=True),
            _x("coal-2", 1, "kg", inp=True, v2=True),
            _x(
                "diesel",
                1,
                "kg",
                inp=True,
                v2=True,
                prop=MASS,
                defaultProvider=_ref("Process", "diesel_cn"),
            ),
            _x("coal", 10, "lb av", inp=True, v2=True),
            _x("coal", 1, "bananas", inp=True, v2=True),
        ],
    ),
    _process(
        "aggregated",
        "US",
        [
            _x("aggregate", 1, "kg", ref=True),
            _x("electricity", 1, "kWh", inp=True),
            _x("co2", 5, "kg"),
        ],
        processType="LCI_RESULT",
    ),
]

# Hand arithmetic (AR6 GWP100: CO2 1, CH4 fossil 29.8; data/gwp100.csv), per reference unit:
GWP_CH4_FOSSIL_AR6 = 29.8
LANDFILL_PER_KG = 0.05 * GWP_CH4_FOSSIL_AR6  # 1.49
COAL_PER_KG = (2 * GWP_CH4_FOSSIL_AR6 + 10 * LANDFILL_PER_KG) / 1000  # diesel unlinked: 0.0745
COAL_PER_KG_US_DIESEL = COAL_PER_KG + 5 * 0.001 * 300 / 1000  # + 0.005 m3 x 300: 0.076
GRID_PER_KWH = (0.8 + 0.5 * COAL_PER_KG) / (1 - 0.1)  # net 0.9 kWh per operation: 0.930278
STEEL_PER_KG = 1.0 - 0.1 + 2 * GRID_PER_KWH  # whole process on steel (co-products ignored)
LB_AV_KG = 0.45359237  # international avoirdupois pound, tanzuji.units (the group says 0.45)
USER_PER_KG = 500 / DIESEL_DENSITY_KG_PER_M3 + 10 * LB_AV_KG * COAL_PER_KG


def documents() -> list[dict]:
    return [*UNIT_GROUPS, *PROPERTIES, *FLOWS, *PROCESSES]


def members() -> list[Member]:
    """The package as in-memory files."""
    return [
        Member(
            f"toy/{d['@type']}/{d['@id']}.json",
            f"{d['@type']}/{d['@id']}.json",
            json.dumps(d).encode(),
        )
        for d in documents()
    ]


def write(folder: Path) -> Path:
    """Write the package as a JSON-LD folder; return it."""
    for document in documents():
        path = folder / document["@type"].lower() / f"{document['@id']}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document), encoding="utf-8")
    return folder
