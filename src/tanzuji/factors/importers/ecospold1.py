"""EcoSpold 1 XML datasets (ecoinvent v1/v2, U.S. LCI, openLCA exports).

A file holds one or more ``dataset`` elements (namespace ``http://www.EcoInvent.org/EcoSpold01``,
with or without prefix; the root element's name is not checked). Field meanings follow the
EcoSpold 1 data format (ecoinvent report No. 1 / EcoSpold01Dataset.xsd):

* ``processInformation/referenceFunction`` names the reference product (``name``, ``unit``,
  ``amount``); ``dataSetInformation/@type`` 1 and 5 (multi-output) are unit processes, 0 and 2
  (non-terminated / terminated system) aggregated ones;
* ``flowData/exchange`` with ``inputGroup`` 1-3, 5 or ``outputGroup`` 1, 3 are technosphere
  exchanges, ``inputGroup`` 4 (from nature) and ``outputGroup`` 4 (to nature) elementary flows;
  ``outputGroup`` 0 (reference product) and 2 (allocated by-product) are products;
* ``allocation`` elements give, per co-product (``referenceToCoProduct``), the ``fraction`` of
  the listed exchanges (``referenceToInputOutput``) allocated to it. The format documents the
  fraction in percent, but some tools (Excel2EcoSpold for U.S. LCI) write shares of 1; the scale
  is taken from the sum over co-products (100 -> percent, 1 -> share);
* ``uncertaintyType`` 1 is lognormal with ``standardDeviation95`` = GSD² (ecoinvent data
  quality guideline v2), so GSD = sqrt(standardDeviation95); a pedigree
  ``(r,c,t,g,te,s)`` at the start of the exchange's ``generalComment`` gives the scores.
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
    UNKNOWN_LICENCE,
    Exchange,
    ProcessDataset,
    geography_code,
    ghg_of,
    number,
    read_xml_datasets,
    safe_id,
    year_of,
)
from tanzuji.factors.record import Source

_AGGREGATED_TYPES = ("0", "2")
_PRODUCT_GROUPS = ("0", "2")
_ACCESS = {
    "0": "public",
    "1": "ETH domain / ecoinvent centre",
    "2": "ecoinvent clients",
    "3": "data owner only",
}


def read(path: Path) -> ImportResult:
    """Read every EcoSpold 1 ``dataset`` in a file, a zip or a folder of ``.xml`` files."""
    return read_xml_datasets(
        path,
        (".xml",),
        ("dataset",),
        ("<dataset>", "an EcoSpold 1 document"),
        lambda element, where, location: parse_dataset(
            element, where, Path(location.rstrip("]")).name
        ),
    )


def parse_dataset(element: ET.Element, location: str, file_name: str) -> ProcessDataset:
    """The :class:`ProcessDataset` of one EcoSpold 1 ``dataset`` element."""
    function = x.first(element, "processInformation", "referenceFunction")
    if function is None:
        raise FactorImportError(
            "missing metaInformation/processInformation/referenceFunction; expected the "
            "reference function of an EcoSpold 1 dataset",
            location=location,
            field="referenceFunction",
        )
    name = (function.get("name") or "").strip() or file_name
    exchanges, numbers = [], []
    for element_ in x.descendants(x.child(element, "flowData"), "exchange"):
        number_ = element_.get("number", "")
        where = f"{location}: flowData/exchange[@number={number_}]"
        exchanges.append(_exchange(element_, where))
        numbers.append(number_)
    products = [e for e in exchanges if e.is_reference]
    if not products:
        _reference_by_name(exchanges, function, location)
    problem = _allocate(element, exchanges, numbers, location)
    info = x.first(element, "dataSetInformation")
    kind = info.get("type", "1") if info is not None else "1"
    period = x.first(element, "timePeriod")
    publication = x.first(element, "dataGeneratorAndPublication")
    return ProcessDataset(
        id=safe_id("ecospold1", f"{Path(file_name).stem}/{element.get('number', '')}".strip("/")),
        name=name,
        location=location,
        source=_source(element, name, file_name),
        exchanges=exchanges,
        aggregated=kind in _AGGREGATED_TYPES,
        geography=geography_code(_attr(x.first(element, "geography"), "location")),
        year=year_of(x.text(period, "endYear") or x.text(period, "startYear")),
        licence=_licence(publication),
        comment=(function.get("generalComment") or "").strip()[:2000],
        allocation_problem=problem,
    )


def _attr(element: ET.Element | None, name: str) -> str | None:
    return element.get(name) if element is not None else None


def _exchange(element: ET.Element, location: str) -> Exchange:
    raw = element.get("meanValue")
    if raw is None:
        raise FactorImportError(
            "exchange has no 'meanValue' attribute; expected a number",
            location=location,
            field="meanValue",
        )
    inputs, outputs = x.text(element, "inputGroup"), x.text(element, "outputGroup")
    elementary = inputs == "4" or outputs == "4"
    comment = element.get("generalComment") or ""
    gsd = _gsd(element, location)
    return Exchange(
        name=(element.get("name") or "").strip(),
        amount=number(raw, location, "meanValue"),
        unit=(element.get("unit") or "").strip(),
        elementary=elementary,
        is_input=bool(inputs),
        is_reference=outputs in _PRODUCT_GROUPS,
        compartment="/".join(p for p in (element.get("category"), element.get("subCategory")) if p),
        gsd=gsd,
        pedigree=_pedigree(comment),
        location=location,
        provider_location="" if elementary else (element.get("location") or "").strip(),
        uncertainty={"distribution": "lognormal", "gsd": gsd} if gsd else None,
    )


def _reference_by_name(exchanges: list[Exchange], function: ET.Element, location: str) -> None:
    """Without product exchanges the reference function itself is the product (amount, unit)."""
    name = (function.get("name") or "").strip()
    amount = number(function.get("amount", "1"), location, "referenceFunction/@amount")
    exchanges.append(
        Exchange(name, amount, (function.get("unit") or "").strip(), False, False, True)
    )


def _gsd(element: ET.Element, location: str) -> float | None:
    if element.get("uncertaintyType") != "1" or element.get("standardDeviation95") is None:
        return None
    squared = number(element.get("standardDeviation95"), location, "standardDeviation95")
    return math.sqrt(squared) if squared > 1 else None


def _pedigree(comment: str) -> tuple[int, int, int, int, int] | None:
    match = re.match(
        r"\s*\(\s*([1-5])\s*,\s*([1-5])\s*,\s*([1-5])\s*,\s*([1-5])\s*,\s*([1-5])", comment
    )
    return tuple(int(g) for g in match.groups()) if match else None  # type: ignore[return-value]


def _allocate(
    element: ET.Element, exchanges: list[Exchange], numbers: list[str], location: str
) -> str:
    """Set each product's allocation share from the ``allocation`` elements; return a problem.

    The share of a product is the fraction its allocation elements give to the greenhouse-gas
    exchanges (the only ones a factor keeps). An empty string means no problem.
    """
    by_number = dict(zip(numbers, exchanges, strict=False))
    ghg = {n for n, e in by_number.items() if e.elementary and ghg_of(e.name, e.compartment)}
    fractions: dict[str, set[float]] = {}
    for allocation in x.children(x.child(element, "flowData"), "allocation"):
        product = allocation.get("referenceToCoProduct", "")
        where = f"{location}: flowData/allocation[@referenceToCoProduct={product}]"
        fraction = number(allocation.get("fraction"), where, "fraction")
        covered = {(r.text or "").strip() for r in x.children(allocation, "referenceToInputOutput")}
        if covered & ghg:
            fractions.setdefault(product, set()).add(fraction)
    products = {n: e for n, e in by_number.items() if e.is_reference}
    if not fractions or not products:
        return ""
    for product_number, values in fractions.items():
        if len(values) > 1:
            name = products.get(product_number, Exchange(product_number, 0, "", False, False)).name
            return (
                f"exchange-specific allocation fractions for {name!r} differ "
                f"({', '.join(f'{v:g}' for v in sorted(values))}); one share per product needed"
            )
    total = sum(next(iter(v)) for v in fractions.values())
    scale = 100.0 if abs(total - 100.0) <= 1.0 else 1.0 if abs(total - 1.0) <= 0.01 else None
    if scale is None:
        return f"allocation fractions add up to {total:g} (neither 100 % nor 1)"
    for product_number, reference in products.items():
        shares = fractions.get(product_number)
        reference.allocation = next(iter(shares)) / scale if shares else 0.0
    return ""


def _source(element: ET.Element, name: str, file_name: str) -> Source:
    source = x.first(element, "modellingAndValidation", "source")
    person = x.first(element, "administrativeInformation", "person")
    publisher = (
        _attr(source, "firstAuthor")
        or _attr(source, "publisher")
        or _attr(person, "name")
        or "unknown (EcoSpold 1 file)"
    ).strip()
    title = (_attr(source, "title") or "").strip()
    year = (_attr(source, "year") or "").strip()
    document = f"{name} ({file_name})" + (f"; source: {title}" if title else "")
    return Source(publisher=publisher, document=document + (f", {year}" if year else ""))


def _licence(publication: ET.Element | None) -> str:
    copyright_ = _attr(publication, "copyright")
    if copyright_ is None:
        return UNKNOWN_LICENCE
    access = _attr(publication, "accessRestrictedTo")
    access_text = f"; access: {_ACCESS.get(access or '', access)}" if access is not None else ""
    if copyright_.strip().lower() == "false":
        return f"not copyright-protected (EcoSpold1 copyright=false{access_text})"
    return f"copyright-protected - see source (EcoSpold1 copyright=true{access_text})"
