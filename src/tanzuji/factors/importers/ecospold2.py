"""EcoSpold 2 (``.spold``) datasets: unit processes, system processes and LCI results.

One file holds ``activityDataset`` or ``childActivityDataset`` elements (ecoSpold2 schema,
namespace ``http://www.EcoInvent.org/EcoSpold02``, with or without prefix). ``activity/@type``
1 is a unit process, 2 a system (aggregated) process. The reference product is the
``intermediateExchange`` with ``outputGroup`` 0. Uncertainty: a lognormal ``variance`` (of the
underlying normal) gives GSD = exp(sqrt(varianceWithPedigreeUncertainty)) (ecoinvent data
quality guideline v3, section 10.2); pedigree scores come from ``pedigreeMatrix``.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from tanzuji.errors import FactorImportError
from tanzuji.factors.importers import ImportResult
from tanzuji.factors.importers import xmlread as x
from tanzuji.factors.importers.inventory import (
    Exchange,
    ProcessDataset,
    date_of,
    geography_code,
    number,
    read_xml_datasets,
    safe_id,
    year_of,
)
from tanzuji.factors.record import Source

_DATASETS = ("activityDataset", "childActivityDataset")
_PEDIGREE = (
    "reliability",
    "completeness",
    "temporalCorrelation",
    "geographicalCorrelation",
    "furtherTechnologyCorrelation",
)
_IPCC_GWP = {"2007": "AR4", "2013": "AR5", "2021": "AR6"}


def read(path: Path) -> ImportResult:
    """Read every EcoSpold 2 dataset in a ``.spold``/``.xml`` file, a zip or a folder."""
    return read_xml_datasets(
        path,
        (".spold", ".xml"),
        _DATASETS,
        ("activityDataset or childActivityDataset", "an EcoSpold 2 document"),
        lambda element, where, location: parse_dataset(element, where, Path(location).name),
    )


def parse_dataset(element: ET.Element, location: str, file_name: str) -> ProcessDataset:
    """The :class:`ProcessDataset` of one ``activityDataset`` element."""
    activity = x.first(element, "activityDescription", "activity")
    if activity is None:
        raise FactorImportError(
            "missing activityDescription/activity; expected the activity header",
            location=location,
            field="activityDescription/activity",
        )
    name = x.text(activity, "activityName") or file_name
    period = x.first(element, "activityDescription", "timePeriod")
    start, end = _attr(period, "startDate"), _attr(period, "endDate")
    classes = _classification(element)
    exchanges = [
        _exchange(e, f"{location}: flowData/{x.local(e)}[{i + 1}]")
        for i, e in enumerate(_flow_exchanges(element))
    ]
    reference = next((e for e in exchanges if e.is_reference), None)
    if reference is not None:
        classes |= _product_classification(element, reference.name)
    kg_co2e, gwp_set = _climate_change(element, location)
    comment = " ".join(
        t.text.strip() for t in x.descendants(x.child(activity, "generalComment"), "text") if t.text
    )
    return ProcessDataset(
        id=safe_id("ecospold2", activity.get("id") or file_name),
        name=name,
        location=location,
        source=_source(element, name, file_name),
        exchanges=exchanges,
        aggregated=activity.get("type") == "2" or kg_co2e is not None,
        geography=geography_code(x.text(x.first(element, "geography"), "shortname")),
        year=year_of(end) or year_of(start),
        valid_from=date_of(start),
        valid_to=date_of(end),
        licence=_licence(x.first(element, "dataGeneratorAndPublication")),
        classification=classes,
        comment=comment[:2000],
        kg_co2e=kg_co2e,
        gwp_set=gwp_set,
    )


def _attr(element: ET.Element | None, name: str) -> str | None:
    return element.get(name) if element is not None else None


def _flow_exchanges(element: ET.Element) -> list[ET.Element]:
    flow_data = x.child(element, "flowData")
    names = ("intermediateExchange", "elementaryExchange")
    return [e for e in flow_data if x.local(e) in names] if flow_data is not None else []


def _exchange(element: ET.Element, location: str) -> Exchange:
    if element.get("amount") is None:
        raise FactorImportError(
            "exchange has no 'amount' attribute; expected a number",
            location=location,
            field="amount",
        )
    amount = number(element.get("amount"), location, "amount")
    output_group = x.text(element, "outputGroup")
    elementary = x.local(element) == "elementaryExchange"
    compartment = x.first(element, "compartment")
    uncertainty = x.child(element, "uncertainty")
    gsd = _gsd(x.child(uncertainty, "lognormal"), location)
    flow_id = element.get("elementaryExchangeId" if elementary else "intermediateExchangeId")
    provider = element.get("activityLinkId")
    return Exchange(
        name=x.text(element, "name"),
        amount=amount,
        unit=x.text(element, "unitName") or "",
        elementary=elementary,
        is_input=bool(x.text(element, "inputGroup")),
        is_reference=not elementary and output_group == "0",
        compartment="/".join(
            t.text.strip() for t in (compartment if compartment is not None else []) if t.text
        ),
        gsd=gsd,
        pedigree=_pedigree(x.child(uncertainty, "pedigreeMatrix")),
        location=location,
        flow_id=flow_id or "",
        provider=safe_id("ecospold2", provider) if provider else "",
        uncertainty={"distribution": "lognormal", "gsd": gsd} if gsd else None,
    )


def _gsd(lognormal: ET.Element | None, location: str) -> float | None:
    if lognormal is None:
        return None
    raw = lognormal.get("varianceWithPedigreeUncertainty") or lognormal.get("variance")
    if raw is None:
        return None
    variance = number(raw, location, "uncertainty/lognormal/@varianceWithPedigreeUncertainty")
    gsd = math.exp(math.sqrt(variance)) if variance > 0 else None
    return gsd if gsd and gsd > 1 else None


def _pedigree(matrix: ET.Element | None) -> tuple[int, int, int, int, int] | None:
    if matrix is None:
        return None
    try:
        scores = tuple(int(matrix.get(k, "")) for k in _PEDIGREE)
    except ValueError:
        return None
    return scores if all(1 <= s <= 5 for s in scores) else None  # type: ignore[return-value]


def _classification(element: ET.Element) -> dict[str, str]:
    codes: dict[str, str] = {}
    for item in x.children(x.child(element, "activityDescription"), "classification"):
        system = x.text(item, "classificationSystem")
        value = x.text(item, "classificationValue")
        if system.upper().startswith("ISIC") and value:
            codes["ISIC"] = value.split(":")[0].strip()
    return codes


def _product_classification(element: ET.Element, product: str) -> dict[str, str]:
    for exchange in _flow_exchanges(element):
        if x.text(exchange, "name") == product and x.text(exchange, "outputGroup") == "0":
            for item in x.children(exchange, "classification"):
                if x.text(item, "classificationSystem").upper() == "CPC":
                    return {"CPC": x.text(item, "classificationValue").split(":")[0].strip()}
    return {}


def _climate_change(element: ET.Element, location: str) -> tuple[float | None, str | None]:
    """kg CO2e of an LCIA-result dataset's climate-change GWP100 ``impactIndicator``."""
    for indicator in x.descendants(element, "impactIndicator"):
        label = " ".join(
            [x.text(indicator, "name"), x.text(indicator, "impactCategoryName")]
            + [indicator.get(k, "") for k in ("methodName", "categoryName", "name")]
        ).lower()
        if "climate change" in label and "100" in label:
            method = x.text(indicator, "impactMethodName") + indicator.get("methodName", "")
            year = re.search(r"(2007|2013|2021)", method)
            amount = number(indicator.get("amount"), location, "impactIndicator/@amount")
            return amount, _IPCC_GWP[year.group(1)] if year else None
    return None, None


def _source(element: ET.Element, name: str, file_name: str) -> Source:
    publication = x.first(element, "dataGeneratorAndPublication")
    author = (_attr(publication, "publishedSourceFirstAuthor") or "").strip()
    person = (_attr(publication, "personName") or "").strip()
    generator = _attr(x.first(element, "fileAttributes"), "fileGenerator") or ""
    year = (_attr(publication, "publishedSourceYear") or "").strip()
    publisher = author or person or generator or "unknown (EcoSpold 2 file)"
    document = f"{name} ({file_name})" + (f", published {year}" if year else "")
    return Source(publisher=publisher, document=document)


def _licence(publication: ET.Element | None) -> str:
    protected = _attr(publication, "isCopyrightProtected")
    access = _attr(publication, "accessRestrictedTo")
    if protected is None:
        return "unknown - see source"
    access_text = f"; accessRestrictedTo={access}" if access is not None else ""
    if protected.strip().lower() == "false":
        return f"not copyright-protected (EcoSpold2 isCopyrightProtected=false{access_text})"
    return f"copyright-protected - see source (isCopyrightProtected=true{access_text})"
