"""openLCA JSON-LD: a zip package, an unpacked folder, or one process ``.json`` document.

Processes (``@type`` Process; olca-schema v2 and openLCA 1.x spellings: ``isInput``/``input``,
``isQuantitativeReference``/``quantitativeReference``) become :class:`ProcessDataset`; flow
types and compartments come from the exchange's flow reference or, in a package, from
``flows/<id>.json``. ``processType`` ``LCI_RESULT`` is aggregated. LCIA results (``@type``
Result, ``impactResults``) of a climate-change GWP100 indicator become ``kg_co2e`` factors.
A process written by :mod:`tanzuji.factors.exporters` carries its full factor record in
``description`` (after :data:`RECORD_MARKER`) and is restored exactly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tanzuji.errors import FactorImportError
from tanzuji.factors.importers import ImportResult, Skipped, load_json
from tanzuji.factors.importers.inventory import (
    UNKNOWN_LICENCE,
    Exchange,
    ProcessDataset,
    collect,
    dataset_files,
    date_of,
    geography_code,
    number,
    safe_id,
    year_of,
)
from tanzuji.factors.record import FactorRecord, Source

RECORD_MARKER = "tanzuji-factor-record:"


def read(path: Path) -> ImportResult:
    """Read the processes (and climate-change results) of a JSON-LD package or file."""
    documents = [
        (where, load_json(where, data.decode("utf-8-sig")))
        for where, data in dataset_files(path, (".json",))
    ]
    flows: dict[str | None, dict[str, Any]] = {
        d.get("@id"): d for _, d in documents if isinstance(d, dict) and d.get("@type") == "Flow"
    }
    datasets: list[ProcessDataset] = []
    restored: list[FactorRecord] = []
    for where, document in documents:
        if not isinstance(document, dict):
            if Path(where.rstrip("]")).name == "context.json":
                continue
            raise FactorImportError(
                "expected a JSON object with '@type'", location=where, found=type(document)
            )
        kind = document.get("@type")
        if kind == "Process":
            record = _restored(document, where)
            if record is not None:
                restored.append(record)
            else:
                datasets.append(process_dataset(document, where, flows))
        elif kind == "Result":
            dataset = _result_dataset(document, where)
            if dataset is not None:
                datasets.append(dataset)
    result = collect(datasets)
    result.records[:0] = restored
    if not datasets and not restored:
        result.skipped.append(Skipped(str(path), "no Process or Result document found"))
    return result


def _restored(document: dict[str, Any], where: str) -> FactorRecord | None:
    description = document.get("description") or ""
    if RECORD_MARKER not in description:
        return None
    payload = description.split(RECORD_MARKER, 1)[1]
    try:
        return FactorRecord.model_validate(json.loads(payload))
    except ValueError as exc:
        raise FactorImportError(
            f"the embedded Tanzuji factor record is invalid ({exc})",
            location=f"{where}: description",
            field="description",
        ) from exc


def _get(obj: dict[str, Any], *keys: str, default: Any = None) -> Any:
    for key in keys:
        if key in obj:
            return obj[key]
    return default


def process_dataset(
    document: dict[str, Any], where: str, flows: dict[str | None, dict[str, Any]] | None = None
) -> ProcessDataset:
    """The :class:`ProcessDataset` of one JSON-LD Process document."""
    exchanges = []
    for index, raw in enumerate(document.get("exchanges") or []):
        at = f"{where}: exchanges[{index}]"
        flow = raw.get("flow") or {}
        full = (flows or {}).get(flow.get("@id"), {})
        flow_type = flow.get("flowType") or full.get("flowType") or ""
        category = flow.get("category") or flow.get("categoryPath") or full.get("category") or ""
        if "amount" not in raw:
            raise FactorImportError("exchange has no 'amount'", location=at, field="amount")
        exchanges.append(
            Exchange(
                name=str(flow.get("name") or full.get("name") or ""),
                amount=number(raw["amount"], at, "amount"),
                unit=str((raw.get("unit") or {}).get("name") or ""),
                elementary=flow_type == "ELEMENTARY_FLOW",
                is_input=bool(_get(raw, "isInput", "input", default=False)),
                is_reference=bool(
                    _get(raw, "isQuantitativeReference", "quantitativeReference", default=False)
                ),
                compartment="/".join(category) if isinstance(category, list) else str(category),
                location=at,
            )
        )
    doc = document.get("processDocumentation") or {}
    location = document.get("location") or {}
    name = str(document.get("name") or document.get("@id") or Path(where).stem)
    return ProcessDataset(
        id=safe_id("jsonld", str(document.get("@id") or name)),
        name=name,
        location=where,
        source=_source(doc, name, where),
        exchanges=exchanges,
        aggregated=document.get("processType") == "LCI_RESULT",
        geography=geography_code(location.get("code") or location.get("name")),
        year=year_of(_get(doc, "validFrom", "validUntil")),
        valid_from=date_of(doc.get("validFrom")),
        valid_to=date_of(_get(doc, "validUntil", "validTo")),
        licence=_licence(doc),
        comment=str(document.get("description") or "")[:2000],
    )


def _source(doc: dict[str, Any], name: str, where: str) -> Source:
    publication = doc.get("publication") or {}
    people = [doc.get(k) or {} for k in ("dataSetOwner", "dataGenerator", "dataDocumentor")]
    publisher = next((p.get("name") for p in people if p.get("name")), None)
    document = f"{name} ({Path(where).name})"
    if publication.get("name"):
        document = f"{publication['name']}; {document}"
    return Source(publisher=publisher or "unknown (openLCA JSON-LD)", document=document)


def _licence(doc: dict[str, Any]) -> str:
    restrictions = str(doc.get("restrictionsDescription") or "").strip()
    copyright_ = _get(doc, "isCopyrightProtected", "copyright")
    if restrictions:
        return restrictions[:500]
    if copyright_ is False:
        return "not copyright-protected (JSON-LD copyright=false)"
    if copyright_ is True:
        return "copyright-protected - see source"
    return UNKNOWN_LICENCE


def _result_dataset(document: dict[str, Any], where: str) -> ProcessDataset | None:
    """A Result whose climate-change GWP100 impact result becomes ``kg_co2e``."""
    for index, impact in enumerate(document.get("impactResults") or []):
        indicator = impact.get("indicator") or {}
        label = f"{indicator.get('name', '')} {indicator.get('refUnit', '')}".lower()
        if ("climate change" in label or "gwp" in label) and "100" in label:
            amount = number(impact.get("amount"), f"{where}: impactResults[{index}]", "amount")
            name = str(document.get("name") or document.get("@id"))
            return ProcessDataset(
                id=safe_id("jsonld", str(document.get("@id") or name)),
                name=name,
                location=where,
                source=Source(publisher="unknown (openLCA JSON-LD result)", document=name),
                aggregated=True,
                kg_co2e=amount,
                reference_unit=_result_unit(document),
                boundary="cradle_to_gate",
            )
    return None


def _result_unit(document: dict[str, Any]) -> str | None:
    for flow in document.get("flowResults") or []:
        if flow.get("isRefFlow") or flow.get("isQuantitativeReference"):
            return str((flow.get("unit") or {}).get("name") or "") or None
    return None
