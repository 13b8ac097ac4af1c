"""The process dataset every LCA-format importer reads into, and its mapping to a factor.

EcoSpold 1/2, ILCD, JSON-LD and SimaPro readers each parse their syntax into one
:class:`ProcessDataset` (reference product, exchanges, metadata); :func:`to_record` then
applies one rule set for all of them:

* elementary exchanges of greenhouse gases become the factor's ``gases`` in kg per unit of the
  reference product (divided by the reference amount); the origin comes from the flow name and
  compartment (:func:`ghg_of`); CO2 taken up from air is a negative biogenic amount;
* a climate-change (GWP100) LCIA result becomes ``kg_co2e``;
* other elementary flows are ignored and counted in the record's comment;
* a *unit* process becomes a ``gate_to_gate`` record of its direct emissions (status draft; the
  comment counts the excluded technosphere exchanges, whose upstream emissions are missing);
  an aggregated (system / LCI-result) dataset is ``cradle_to_gate``;
* a multi-output process gives one record per product, by its allocation share.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tanzuji import gases, units
from tanzuji.errors import FactorImportError, TanzujiError
from tanzuji.factors.importers import ImportResult, Skipped, limits
from tanzuji.factors.importers import xmlread as x
from tanzuji.factors.record import FactorRecord, GasAmount, PedigreeScores, Source, UncertaintySpec

UNKNOWN_LICENCE = "unknown - see source"


@dataclass
class Exchange:
    """One input or output of a process dataset, amount in ``unit`` per reference amount."""

    name: str
    amount: float
    unit: str
    elementary: bool
    is_input: bool
    is_reference: bool = False
    compartment: str = ""
    gsd: float | None = None
    pedigree: tuple[int, int, int, int, int] | None = None
    location: str = ""
    allocation: float | None = None  # share (0..1) of the process allocated to this product
    # What the process library (tanzuji.library) needs beyond a factor record:
    flow_id: str = ""  # the flow's id where the format has one (UUID), else ""
    provider: str = ""  # the provider the data set names (EcoSpold 2 activityLinkId)
    provider_location: str = ""  # the location an input names for its provider (EcoSpold 1)
    waste: bool = False  # a waste flow (ILCD "Waste flow", SimaPro "Waste to treatment")
    avoided: bool = False  # an avoided product (SimaPro "Avoided products")
    uncertainty: dict[str, float | str] | None = None  # distribution and its parameters


@dataclass
class ProcessDataset:
    """A process (or LCIA-result) dataset as read from any LCA exchange format."""

    id: str
    name: str
    location: str
    source: Source
    exchanges: list[Exchange] = field(default_factory=list)
    aggregated: bool = False
    geography: str = "GLO"
    year: int | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    licence: str = UNKNOWN_LICENCE
    classification: dict[str, str] = field(default_factory=dict)
    comment: str = ""
    kg_co2e: float | None = None  # climate-change LCIA result per reference amount
    gwp_set: str | None = None
    boundary: str | None = None
    reference_unit: str | None = None  # when there is no reference exchange (LCIA-only data)
    reference_amount: float = 1.0
    allocation_problem: str = ""  # why the products' allocation shares could not be read


# --- greenhouse-gas flows --------------------------------------------------------------------

_BASE_GASES = {
    "carbon dioxide": "CO2",
    "methane": "CH4",
    "dinitrogen monoxide": "N2O",
    "nitrous oxide": "N2O",
    "sulfur hexafluoride": "SF6",
    "sulphur hexafluoride": "SF6",
    "nitrogen trifluoride": "NF3",
}
# Qualifiers that may follow a base gas name ("Methane, fossil", "carbon dioxide (biogenic)").
_LUC = ("soil or biomass stock", "land transformation", "land use change", "luc")
_QUALIFIERS = re.compile(
    r"^(fossil|non-fossil|biogenic|in air|from soil or biomass stock|land transformation|"
    r"land use change|luc|emissions? to air.*|air.*|unspecified|.*population.*|.*stacks.*|"
    r"net|in ground|resource.*|low\.? pop\.?|high\.? pop\.?|stratosphere.*|indoor|urban.*)$"
)
_FGAS = re.compile(r"\b(HFC|PFC|R|FC)[- ]?(\d[\w-]*)", re.IGNORECASE)
_R_TO_PFC = {"14": "PFC-14", "116": "PFC-116", "218": "PFC-218", "318": "PFC-C-318"}


def ghg_of(name: str, compartment: str = "") -> tuple[str, str] | None:
    """Gas id and origin of an elementary flow, or ``None`` when it is not a greenhouse gas.

    Examples: ``Carbon dioxide, fossil`` -> (CO2, fossil); ``Methane, biogenic`` ->
    (CH4, biogenic); ``Carbon dioxide, from soil or biomass stock`` -> (CO2, land_use_change);
    ``Carbon dioxide, in air`` -> (CO2, biogenic) (a removal when it is an input);
    ``Ethane, 1,1,1,2-tetrafluoro-, HFC-134a`` -> (HFC-134a, fossil). A name without origin
    (``Carbon dioxide``) counts as fossil, as in ecoinvent 2 / US LCI nomenclature.
    """
    text = name.strip().lower()
    if compartment.lower().startswith(("water", "soil", "emission to water", "emission to soil")):
        return None
    inner = re.findall(r"\(([^)]*)\)", text)
    head, *rest = [p.strip() for p in re.sub(r"\([^)]*\)", "", text).split(",")]
    qualifiers = [q for q in rest + [i.strip() for i in inner] if q]
    if head in _BASE_GASES and all(_QUALIFIERS.match(q) for q in qualifiers):
        return _BASE_GASES[head], _origin(" ".join([*qualifiers, compartment.lower()]))
    match = _FGAS.search(name)
    return _fgas(match.group(1).upper(), match.group(2)) if match else None


def _origin(qualifiers: str) -> str:
    if any(k in qualifiers for k in _LUC):
        return "land_use_change"
    if "non-fossil" in qualifiers or "biogenic" in qualifiers or "in air" in qualifiers:
        return "biogenic"
    return "fossil"


def _fgas(prefix: str, number: str) -> tuple[str, str] | None:
    candidates = [f"HFC-{number}", f"PFC-{number}"] if prefix in ("R", "FC") else []
    if prefix in ("R", "FC") and number in _R_TO_PFC:
        candidates.insert(0, _R_TO_PFC[number])
    candidates.append(f"{prefix}-{number}")
    for candidate in candidates:
        try:
            gas = gases.canonical_gas(candidate)
        except TanzujiError:
            continue
        if gas.startswith(("HFC", "PFC")) or gas in ("SF6", "NF3"):
            return gas, "fossil"
    return None


# --- helpers shared by the readers -------------------------------------------------------------


def number(text: object, location: str, name: str) -> float:
    """``text`` as a finite float; raise naming the location and field when it is not."""
    try:
        value = float(str(text).strip())
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value):
        raise FactorImportError(
            f"non-numeric value {text!r} in field {name!r}; expected a finite number such as "
            "0.553 / 数值无效",
            location=location,
            field=name,
            found=text,
            expected="number",
        )
    return value


_ISO_LIKE = re.compile(r"^([A-Z]{2}(-[A-Z0-9]{1,3})?|GLO|RoW|RER|RNA|RAS|RLA|RAF|RME|WEU|UN-.*)$")
_PLACE_NAMES = {
    "global": "GLO",
    "world": "GLO",
    "china": "CN",
    "中国": "CN",
    "people's republic of china": "CN",
    "hong kong": "HK",
    "macao": "MO",
    "macau": "MO",
    "guangdong": "CN-GD",
    "广东": "CN-GD",
    "germany": "DE",
    "united states": "US",
    "united states of america": "US",
    "usa": "US",
    "united kingdom": "GB",
    "japan": "JP",
    "france": "FR",
    "switzerland": "CH",
    "europe": "RER",
    "north america": "RNA",
    "rest of world": "RoW",
    "india": "IN",
    "brazil": "BR",
    "canada": "CA",
}


def geography_code(text: str | None) -> str:
    """ISO 3166 / ecoinvent location code for a location as written (``Germany`` -> ``DE``)."""
    if not text or not text.strip():
        return "GLO"
    stripped = text.strip()
    if _ISO_LIKE.match(stripped):
        return stripped
    lowered = stripped.lower()
    if lowered in _PLACE_NAMES:
        return _PLACE_NAMES[lowered]
    country = lowered.split(",")[0].strip()
    if country in _PLACE_NAMES:  # "United States, Nebraska" -> US (subdivision not mapped)
        return _PLACE_NAMES[country]
    return stripped


def safe_id(prefix: str, raw: str) -> str:
    """A record id ``prefix:raw`` using only the characters the record allows."""
    cleaned = re.sub(r"[^A-Za-z0-9_.:\-/]+", "_", raw.strip()).strip("_")
    return f"{prefix}:{cleaned}"[:200]


def year_of(text: str | None) -> int | None:
    match = re.match(r"\s*(\d{4})", text or "")
    return int(match.group(1)) if match and 1900 <= int(match.group(1)) <= 2100 else None


def date_of(text: str | None) -> dt.date | None:
    match = re.match(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})", text or "")
    if not match:
        return None
    try:
        return dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


def dataset_files(path: Path, suffixes: tuple[str, ...]) -> Iterator[tuple[str, bytes]]:
    """``(location, bytes)`` of every dataset file in a zip, a folder or one file."""
    path = Path(path)
    if path.is_dir():
        for member in sorted(p for p in path.rglob("*") if p.suffix.lower() in suffixes):
            yield str(member), limits.read_bytes(member)
    elif zipfile.is_zipfile(path):
        limits.check_size(path)
        with zipfile.ZipFile(path) as archive:
            limits.check_archive(archive, path)
            for name in sorted(archive.namelist()):
                if name.lower().endswith(suffixes) and not name.endswith("/"):
                    yield f"{path}[{name}]", limits.read_member(archive, name, path)
    elif path.suffix.lower() == ".zip":
        raise FactorImportError(
            "not a readable zip archive; expected a zip file (it may be truncated)",
            location=str(path),
        )
    else:
        yield str(path), limits.read_bytes(path)


def read_xml_datasets(
    path: Path,
    suffixes: tuple[str, ...],
    dataset_tags: tuple[str, ...],
    missing: tuple[str, str],
    parse: Callable[[ET.Element, str, str], ProcessDataset],
) -> ImportResult:
    """Parse every dataset element of the XML files under ``path`` and map them to records.

    Parameters
    ----------
    path : Path
        A file, a zip or a folder (:func:`dataset_files`).
    suffixes : tuple of str
        File suffixes read (``(".xml",)``).
    dataset_tags : tuple of str
        Local names of the dataset elements (``("dataset",)``); a file without one is an error.
    missing : (str, str)
        The dataset elements and the document expected, as the error for a file without one
        names them: ``("<dataset>", "an EcoSpold 1 document")``.
    parse : callable
        ``parse(element, where, location)``: the dataset of one element; ``where`` is the
        file's location, with ``#n`` when the file holds more than one dataset.

    Raises
    ------
    FactorImportError
        A file holds no dataset element.
    """
    datasets: list[ProcessDataset] = []
    for location, data in dataset_files(path, suffixes):
        root = x.parse(data, location)
        found = [e for e in root.iter() if x.local(e) in dataset_tags]
        if not found:
            what, document = missing
            raise FactorImportError(
                f"no {what} element under <{x.local(root)}>; expected {document}",
                location=location,
            )
        for index, element in enumerate(found):
            where = location if len(found) == 1 else f"{location}#{index + 1}"
            datasets.append(parse(element, where, location))
    return collect(datasets)


# --- dataset -> record -------------------------------------------------------------------------


def to_records(dataset: ProcessDataset) -> list[FactorRecord | Skipped]:
    """Map one dataset to factor records (one per reference product), or say why it cannot.

    * aggregated (system / LCI-result) data: boundary ``cradle_to_gate``;
    * a unit process: boundary ``gate_to_gate`` — its own direct emissions per unit of the
      reference product; the comment says how many technosphere exchanges were excluded, since
      their upstream emissions are *not* in the factor (a reviewer links or replaces them);
    * several reference products: one record per product, the process's greenhouse-gas flows
      multiplied by the product's allocation share and divided by its amount;
    * no greenhouse-gas flow and no climate-change result: skipped with the reason.
    """
    references = [e for e in dataset.exchanges if e.is_reference]
    technosphere = [
        e for e in dataset.exchanges if not e.elementary and not e.is_reference and e.amount
    ]
    totals, pick, ignored = _gases(dataset)
    if not totals and dataset.kg_co2e is None:
        linked = f" and {len(technosphere)} technosphere exchange(s)" if technosphere else ""
        return [
            Skipped(
                dataset.location,
                f"no greenhouse-gas flow and no climate-change result ({ignored} other "
                f"elementary flow(s){linked}); nothing to import as a factor",
            )
        ]
    products = _allocated_products(dataset, references)
    if isinstance(products, Skipped):
        return [products]
    notes = [dataset.comment] if dataset.comment else []
    if not dataset.aggregated and technosphere:
        notes.append(_gate_to_gate_note(technosphere))
    if ignored:
        notes.append(f"{ignored} non-greenhouse-gas elementary flow(s) ignored on import")
    outcomes: list[FactorRecord | Skipped] = []
    for product, unit, amount, share in products:
        where = f"{dataset.location} [{product.name}]" if len(products) > 1 else dataset.location
        if amount == 0:
            outcomes.append(Skipped(where, "reference amount is 0; cannot express per unit"))
            continue
        if share == 0:
            outcomes.append(
                Skipped(where, "allocation share 0 %: no emissions allocated to this co-product")
            )
            continue
        _check_unit(unit, dataset.location, "reference product unit")
        scale = share / amount
        gas_amounts = [
            GasAmount(gas=g, origin=o, amount_kg=v * scale) for (g, o), v in totals.items()
        ]
        extra = [f"allocation share {share * 100:g} % to {product.name!r}"] if share != 1 else []
        record = _build(dataset, unit, scale, gas_amounts, pick, " | ".join(notes + extra))
        if len(products) > 1:
            record = record.model_copy(
                update={"id": _product_id(dataset.id, product.name), "name_en": product.name}
            )
        outcomes.append(record)
    return outcomes


def to_record(dataset: ProcessDataset) -> FactorRecord | Skipped:
    """The single record of a one-product dataset (the first outcome of :func:`to_records`)."""
    return to_records(dataset)[0]


def _gate_to_gate_note(technosphere: list[Exchange]) -> str:
    return (
        f"gate-to-gate: direct emissions of this unit process only; {len(technosphere)} "
        f"technosphere exchange(s) excluded (e.g. {technosphere[0].name!r}) — upstream "
        "emissions are NOT included: link or replace them before publishing / 仅含本过程直接排放，"
        "未含上游排放，发布前须补充或替换"
    )


_Product = tuple[Exchange, str, float, float]  # exchange, unit, amount, allocation share


def _allocated_products(
    dataset: ProcessDataset, references: list[Exchange]
) -> list[_Product] | Skipped:
    if len(references) <= 1:
        unit, amount = _reference(dataset, references)
        product = (
            references[0] if references else Exchange(dataset.name, amount, unit, False, False)
        )
        share = product.allocation if product.allocation is not None else 1.0
        return [(product, unit, amount, share)]
    names = ", ".join(repr(e.name) for e in references[:3])
    missing = [e.name for e in references if e.allocation is None]
    if missing:
        reason = dataset.allocation_problem or f"no allocation share for {missing[0]!r}"
        return Skipped(
            dataset.location,
            f"{len(references)} reference products ({names}); {reason} — a factor needs one "
            "product: allocate the multi-output process first",
        )
    total = sum(e.allocation or 0.0 for e in references)
    if abs(total - 1.0) > 0.01:
        return Skipped(
            dataset.location,
            f"{len(references)} reference products ({names}) whose allocation shares add up "
            f"to {total * 100:g} %; expected 100 % — correct the allocation in the source",
        )
    return [(e, e.unit, e.amount, e.allocation or 0.0) for e in references]


def _product_id(dataset_id: str, product: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9_.\-]+", "_", product).strip("_")[:60]
    return f"{dataset_id[:139]}/{slug}"


def _reference(dataset: ProcessDataset, references: list[Exchange]) -> tuple[str, float]:
    if references:
        unit, amount = references[0].unit, references[0].amount
    elif dataset.reference_unit:
        unit, amount = dataset.reference_unit, dataset.reference_amount
    else:
        raise FactorImportError(
            "the dataset names no reference product; expected one quantitative reference",
            location=dataset.location,
            field="reference product",
        )
    return unit, amount


def _check_unit(unit: str, location: str, name: str) -> None:
    try:
        units.parse_unit(unit)
    except TanzujiError as exc:
        raise FactorImportError(
            f"unknown unit {unit!r} in {name}; expected a unit such as kg, t, kWh, MJ, m3, L, "
            "tkm, piece / 单位无法识别",
            location=location,
            field=name,
            found=unit,
        ) from exc


def _gases(dataset: ProcessDataset) -> tuple[dict[tuple[str, str], float], Exchange | None, int]:
    """kg of each (gas, origin) per reference amount of the process, before allocation."""
    totals: dict[tuple[str, str], float] = {}
    pick: Exchange | None = None
    pick_weight = -1.0
    ignored = 0
    for exchange in dataset.exchanges:
        if not exchange.elementary:
            continue
        found = ghg_of(exchange.name, exchange.compartment)
        if found is None:
            ignored += 1
            continue
        where = exchange.location or dataset.location
        _check_unit(exchange.unit, where, f"unit of {exchange.name!r}")
        kg = units.convert(exchange.amount, exchange.unit, "kg", where=where)
        sign = -1.0 if exchange.is_input else 1.0
        totals[found] = totals.get(found, 0.0) + sign * kg
        weight = abs(kg) * gases.gwp(found[0], found[1], "AR6")
        if weight > pick_weight:
            pick, pick_weight = exchange, weight
    return totals, pick, ignored


def _build(
    dataset: ProcessDataset,
    unit: str,
    scale: float,
    gas_amounts: list[GasAmount],
    pick: Exchange | None,
    comment: str,
) -> FactorRecord:
    pedigree = pick.pedigree if pick else None
    gsd = pick.gsd if pick else None
    boundary = dataset.boundary or ("cradle_to_gate" if dataset.aggregated else "gate_to_gate")
    try:
        return FactorRecord(
            id=dataset.id,
            name_en=dataset.name,
            activity=dataset.name,
            unit=unit,
            kg_co2e=None if dataset.kg_co2e is None else dataset.kg_co2e * scale,
            gases=gas_amounts,
            gwp_set=dataset.gwp_set,
            boundary=boundary,
            geography=dataset.geography,
            year=dataset.year,
            valid_from=dataset.valid_from,
            valid_to=dataset.valid_to,
            source=dataset.source,
            licence=dataset.licence or UNKNOWN_LICENCE,
            pedigree=PedigreeScores(**dict(zip(_PEDIGREE, pedigree, strict=True)))
            if pedigree
            else None,
            uncertainty=UncertaintySpec(distribution="lognormal", gsd=gsd) if gsd else None,
            classification=dataset.classification,
            status="draft",
            comment=comment[:4000],
        )
    except ValueError as exc:  # pydantic ValidationError is a ValueError
        raise FactorImportError(
            f"the dataset does not make a valid factor record: {exc}",
            location=dataset.location,
        ) from exc


_PEDIGREE = ("reliability", "completeness", "temporal", "geographical", "technological")


def collect(datasets: list[ProcessDataset], notes: list[str] | None = None) -> ImportResult:
    """Map datasets to an :class:`ImportResult` (records and skips)."""
    result = ImportResult(notes=list(notes or []))
    for dataset in datasets:
        for outcome in to_records(dataset):
            if isinstance(outcome, Skipped):
                result.skipped.append(outcome)
            else:
                result.records.append(outcome)
    return result
