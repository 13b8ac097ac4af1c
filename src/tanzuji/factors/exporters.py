"""Export factor records to the CSV template and to an openLCA JSON-LD zip.

Both round-trip: :func:`tanzuji.factors.importers.read` of an exported file gives records
equal to the exported ones. The JSON-LD package holds one ``Process`` per factor (reference
product plus one elementary exchange per gas, so openLCA users see the inventory) and the
full record after :data:`~tanzuji.factors.importers.jsonld.RECORD_MARKER` in the process
description, because openLCA has no fields for names in Chinese, pedigree or source table.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
import zipfile
from collections.abc import Iterable
from pathlib import Path

from tanzuji.factors.importers.jsonld import RECORD_MARKER
from tanzuji.factors.importers.table import COLUMNS, GAS_COLUMNS, OPTIONAL_COLUMNS
from tanzuji.factors.record import FactorRecord
from tanzuji.factors.spreadsheet import neutralise_row

_NAMESPACE = uuid.UUID("6f1c2b1e-7d1a-4c53-9a1e-2f6d0c7b9e11")  # fixed: stable @ids
_FLOW_NAMES = {
    ("CO2", "fossil"): "Carbon dioxide, fossil",
    ("CO2", "biogenic"): "Carbon dioxide, non-fossil",
    ("CO2", "land_use_change"): "Carbon dioxide, from soil or biomass stock",
    ("CH4", "fossil"): "Methane, fossil",
    ("CH4", "biogenic"): "Methane, non-fossil",
    ("N2O", "fossil"): "Dinitrogen monoxide",
}


def template_row(record: FactorRecord) -> dict[str, str]:
    """One CSV template row for ``record``."""
    by_column = {v: k for k, v in GAS_COLUMNS.items()}
    row = dict.fromkeys((*COLUMNS, *OPTIONAL_COLUMNS), "")
    others = []
    for gas in record.gases:
        column = by_column.get((gas.gas, gas.origin))
        if column and not gas.aircraft and not row[column]:
            row[column] = repr(gas.amount_kg)
        else:
            flag = ":aircraft" if gas.aircraft else ""
            others.append(f"{gas.gas}:{gas.origin}{flag}={gas.amount_kg!r}")
    source = record.source
    row |= {
        "id": record.id,
        "name_en": record.name_en,
        "name_zh": record.name_zh,
        "activity": record.activity,
        "unit": record.unit,
        "heating_value": record.heating_value or "",
        "kg_co2e": "" if record.kg_co2e is None else repr(record.kg_co2e),
        "other_gases": "; ".join(others),
        "gwp_set": record.gwp_set or "",
        "boundary": record.boundary,
        "geography": record.geography,
        "year": "" if record.year is None else str(record.year),
        "valid_from": record.valid_from.isoformat() if record.valid_from else "",
        "valid_to": record.valid_to.isoformat() if record.valid_to else "",
        "source_publisher": source.publisher,
        "source_document": source.document,
        "source_table": source.table or "",
        "source_url": source.url or "",
        "source_doi": source.doi or "",
        "source_accessed": source.accessed.isoformat() if source.accessed else "",
        "licence": record.licence,
        "pedigree": "-".join(map(str, record.pedigree.as_tuple())) if record.pedigree else "",
        "gsd": repr(record.uncertainty.gsd)
        if record.uncertainty and record.uncertainty.gsd
        else "",
        "cpc": record.classification.get("CPC", ""),
        "hs": record.classification.get("HS", ""),
        "isic": record.classification.get("ISIC", ""),
        "primary_data": "true" if record.primary_data else "",
        "version": str(record.version),
        "comment": record.comment,
    }
    return row


def csv_bytes(records: Iterable[FactorRecord]) -> bytes:
    """``records`` as the CSV template (UTF-8, comma-separated).

    Text cells that a spreadsheet would run as a formula are neutralised
    (:mod:`tanzuji.factors.spreadsheet`); the table importer restores them.
    """
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=[*COLUMNS, *OPTIONAL_COLUMNS])
    writer.writeheader()
    for record in records:
        writer.writerow(neutralise_row(template_row(record)))
    return out.getvalue().encode("utf-8")


def export_csv(records: Iterable[FactorRecord], path: Path) -> Path:
    """Write ``records`` as the CSV template to ``path`` (see :func:`csv_bytes`)."""
    path = Path(path)
    path.write_bytes(csv_bytes(records))
    return path


def process_document(record: FactorRecord) -> tuple[dict, list[dict]]:
    """The JSON-LD Process of ``record`` and the Flow documents it references."""
    product = _flow(f"product:{record.id}", record.name_en or record.name_zh, "PRODUCT_FLOW")
    exchanges = [_exchange(1, product, 1.0, record.unit, False, True)]
    flows = [product]
    for index, gas in enumerate(record.gases, start=2):
        name = _FLOW_NAMES.get((gas.gas, gas.origin), f"{gas.gas}, {gas.origin}")
        flow = _flow(f"gas:{name}", name, "ELEMENTARY_FLOW", ["Elementary flows", "air"])
        flows.append(flow)
        exchanges.append(_exchange(index, flow, gas.amount_kg, "kg", False, False))
    process = {
        "@type": "Process",
        "@id": str(uuid.uuid5(_NAMESPACE, f"process:{record.id}")),
        "name": record.name_en or record.name_zh,
        "processType": "LCI_RESULT",
        "location": {"@type": "Location", "code": record.geography, "name": record.geography},
        "processDocumentation": {
            "validFrom": record.valid_from.isoformat() if record.valid_from else None,
            "validUntil": record.valid_to.isoformat() if record.valid_to else None,
            "restrictionsDescription": record.licence,
            "publication": {"@type": "Source", "name": record.source.document},
        },
        "exchanges": exchanges,
        "description": RECORD_MARKER + record.model_dump_json(),
    }
    return process, flows


def _flow(key: str, name: str, flow_type: str, category: list[str] | None = None) -> dict:
    flow = {
        "@type": "Flow",
        "@id": str(uuid.uuid5(_NAMESPACE, key)),
        "name": name,
        "flowType": flow_type,
    }
    if category:
        flow["category"] = "/".join(category)
    return flow


def _exchange(
    internal_id: int,
    flow: dict,
    amount: float | None,  # a validated record has every gas amount_kg filled
    unit: str,
    is_input: bool,
    reference: bool,
) -> dict:
    ref = {k: flow[k] for k in ("@type", "@id", "name", "flowType")}
    return {
        "@type": "Exchange",
        "internalId": internal_id,
        "amount": amount,
        "isInput": is_input,
        "isQuantitativeReference": reference,
        "flow": ref,
        "unit": {"@type": "Unit", "name": unit},
    }


def export_jsonld(records: Iterable[FactorRecord], path: Path) -> Path:
    """Write ``records`` as an openLCA JSON-LD zip to ``path`` (see :func:`jsonld_bytes`)."""
    path = Path(path)
    path.write_bytes(jsonld_bytes(records))
    return path


def jsonld_bytes(records: Iterable[FactorRecord]) -> bytes:
    """``records`` as an openLCA JSON-LD zip (``processes/`` and ``flows/``)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        written: set[str] = set()
        for record in records:
            process, flows = process_document(record)
            archive.writestr(f"processes/{process['@id']}.json", json.dumps(process, indent=1))
            for flow in flows:
                if flow["@id"] not in written:
                    written.add(flow["@id"])
                    archive.writestr(f"flows/{flow['@id']}.json", json.dumps(flow, indent=1))
    return out.getvalue()
