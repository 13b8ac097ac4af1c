"""The starter factor database shipped with Tanzuji (``data/factors/*.csv``).

Each CSV file holds factors from one publisher, one row per factor, every row with its source
(publisher, document, table, URL, access date) and licence. The files were written by the
one-time builders ``scripts/build_starter_*.py`` from the reference tables and PyPI packages
named in each builder; ``data/factors/README.md`` lists sources and licences.

Columns (:data:`COLUMNS`): per-gas amounts are kg of the gas per ``unit`` (``co2e_kg``: the
part of a published total that the publisher does not split by gas); ``kg_co2e`` is the
publisher's CO2e total (with the ``gwp_set`` it used) when the publisher gives one;
``heating_value`` is the basis (``HHV`` or ``LHV``) of a factor per energy amount of fuel;
``comment`` records the arithmetic of derived values (e.g. a per-kg factor from a per-TJ factor
and a net calorific value).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from tanzuji.errors import FactorFileError, NotFound, UnknownFactor
from tanzuji.factors.base import FactorData
from tanzuji.factors.record import FactorRecord, GasAmount, Source

#: Columns of a starter CSV file, in order.
COLUMNS: tuple[str, ...] = (
    "id",
    "name_en",
    "name_zh",
    "activity",
    "unit",
    "heating_value",
    "co2_fossil_kg",
    "co2_biogenic_kg",
    "ch4_kg",
    "n2o_kg",
    "co2e_kg",
    "kg_co2e",
    "gwp_set",
    "boundary",
    "geography",
    "year",
    "publisher",
    "document",
    "table",
    "url",
    "accessed",
    "licence",
    "comment",
)

_GAS_COLUMNS = (
    ("co2_fossil_kg", "CO2", "fossil"),
    ("co2_biogenic_kg", "CO2", "biogenic"),
    ("ch4_kg", "CH4", "fossil"),
    ("n2o_kg", "N2O", "fossil"),
    ("co2e_kg", "CO2e", "fossil"),
)

#: Starter data files, loaded in this order.
STARTER_FILES: tuple[str, ...] = (
    "china_grid_mee.csv",
    "ipcc2006_fuels.csv",
    "desnz2023.csv",
    "epa_hub.csv",
    "gba_utilities.csv",
)

#: Optional data sets shipped with Tanzuji: cited like the starter data, loaded into a factor
#: database on request (``tanzuji factors load-starter --with NAME``) but not part of the
#: starter data the in-memory matcher uses by default. ``gbt51366``: GB/T 51366-2019 building
#: materials (附录D) and freight transport (附录E) — factors for building life-cycle models;
#: matched against everyday product text by default they would win on geography alone
#: (docs/data.md "Optional sets").
OPTIONAL_SETS: dict[str, str] = {"gbt51366": "gbt51366_building.csv"}


def write_rows(path: Path, rows: Iterable[Mapping[str, object]]) -> int:
    """Write starter rows to ``path`` (UTF-8, LF); used by ``scripts/build_starter_*.py``.

    Returns the number of rows written.
    """
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if row.get(k) is None else row.get(k) for k in COLUMNS})
            count += 1
    return count


def _number(text: str, *, where: str, column: str) -> float | None:
    if text == "":
        return None
    try:
        return float(text)
    except ValueError:
        raise FactorFileError(
            f"column {column!r}: found {text!r}, expected a number (kg per unit) or empty",
            location=where,
            found=text,
            expected="number",
        ) from None


def record_from_row(row: Mapping[str, str], *, where: str) -> FactorRecord:
    """Turn one starter CSV row into a :class:`FactorRecord` (status ``published``).

    Raises
    ------
    FactorFileError
        When a value is not a number, a required field is missing, or the record is invalid;
        the message names ``where`` (file:line) and the field.
    """
    missing = [c for c in COLUMNS if c not in row]
    if missing:
        raise FactorFileError(
            f"missing columns {missing}; expected the columns {list(COLUMNS)}",
            location=where,
        )
    gas_amounts = []
    for column, gas, origin in _GAS_COLUMNS:
        amount = _number(row[column], where=where, column=column)
        if amount is not None:
            gas_amounts.append(GasAmount(gas=gas, origin=origin, amount_kg=amount))
    kg_co2e = _number(row["kg_co2e"], where=where, column="kg_co2e")
    try:
        return FactorRecord(
            id=row["id"],
            name_en=row["name_en"],
            name_zh=row["name_zh"],
            activity=row["activity"],
            unit=row["unit"],
            heating_value=row["heating_value"] or None,
            gases=gas_amounts,
            kg_co2e=kg_co2e,
            gwp_set=row["gwp_set"] or None,
            boundary=row["boundary"],
            geography=row["geography"],
            year=int(row["year"]) if row["year"] else None,
            source=Source(
                publisher=row["publisher"],
                document=row["document"],
                table=row["table"] or None,
                url=row["url"] or None,
                accessed=dt.date.fromisoformat(row["accessed"]) if row["accessed"] else None,
            ),
            licence=row["licence"],
            status="published",
            comment=row["comment"],
        )
    except (ValidationError, ValueError) as exc:
        raise FactorFileError(
            f"invalid factor row: {exc}".splitlines()[0] + " " + _first_error(exc),
            location=where,
        ) from exc


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        return f"(field {field!r}: {err['msg']}; found {err.get('input')!r})"
    return str(exc)


def read_starter_file(text: str, *, name: str) -> list[FactorRecord]:
    """Parse one starter CSV file's text; ``name`` is used in error locations."""
    reader = csv.DictReader(io.StringIO(text))
    records = []
    for line_number, row in enumerate(reader, start=2):
        records.append(record_from_row(row, where=f"{name}:{line_number}"))
    return records


@lru_cache(maxsize=1)
def _load_cached() -> tuple[FactorRecord, ...]:
    return _load_files(STARTER_FILES)


@lru_cache(maxsize=8)
def _load_files(names: tuple[str, ...]) -> tuple[FactorRecord, ...]:
    folder = resources.files("tanzuji") / "data" / "factors"
    records: list[FactorRecord] = []
    seen: dict[str, str] = {}
    for name in names:
        text = (folder / name).read_text(encoding="utf-8")
        for record in read_starter_file(text, name=f"data/factors/{name}"):
            if record.id in seen:
                raise FactorFileError(
                    f"duplicate factor id {record.id!r} (first in {seen[record.id]})",
                    location=f"data/factors/{name}",
                    found=record.id,
                )
            seen[record.id] = name
            records.append(record)
    return tuple(records)


def load_starter() -> list[FactorRecord]:
    """All starter factors as :class:`FactorRecord` objects (status ``published``).

    Returns
    -------
    list of FactorRecord
        China grid electricity (MEE/NBS), IPCC 2006 fuel combustion, UK DESNZ 2023 fuels,
        electricity and materials, US EPA hub fuels and transport.
    """
    return list(_load_cached())


def load_optional(name: str) -> list[FactorRecord]:
    """The factors of the optional data set ``name`` (:data:`OPTIONAL_SETS`), published.

    Raises
    ------
    NotFound
        ``name`` is not an optional set; the message lists the sets there are.
    """
    if name not in OPTIONAL_SETS:
        raise NotFound(
            f"no optional factor set {name!r}; the sets are {sorted(OPTIONAL_SETS)}",
            found=name,
            expected=sorted(OPTIONAL_SETS),
        )
    return list(_load_files((OPTIONAL_SETS[name],)))


def load_all_shipped() -> list[FactorRecord]:
    """The starter factors and those of every optional set (ids are unique across them)."""
    return list(_load_files(STARTER_FILES + tuple(OPTIONAL_SETS.values())))


#: What :class:`StarterFactorSource` records as the release of the factors it resolves: the
#: starter data built into this installation of Tanzuji, not a database release.
BUILTIN_RELEASE = "builtin"


class StarterFactorSource:
    """The shipped starter factors as a read-only :class:`~tanzuji.factors.base.FactorSource`.

    Lets a model that names starter factor ids (``cn-mee.electricity.2022.cn-ecg.avg``)
    compute on a fresh machine without a factor database. ``resolve("ID")`` and
    ``resolve("ID@builtin")`` give the packaged record (its newest version); the result's
    :attr:`FactorData.release` is :data:`BUILTIN_RELEASE`, so a footprint shows the factor came
    from the built-in data and not from a database release.
    """

    def __init__(self) -> None:
        # resolving an id is unambiguous, so the optional sets' factors resolve too (a model
        # may name cn-gbt51366 ids); only the matcher keeps to the starter data
        self._by_id = {record.id: record for record in load_all_shipped()}

    def resolve(self, ref: str) -> FactorData:
        factor_id, _, release = ref.partition("@")
        if release and release != BUILTIN_RELEASE:
            raise UnknownFactor(
                f"factor {ref!r} names release {release!r}; the built-in starter data answers "
                f"only ID or ID@{BUILTIN_RELEASE} (database releases need the factor database)"
            )
        try:
            record = self._by_id[factor_id]
        except KeyError:
            raise UnknownFactor(
                f"unknown factor {factor_id!r} in the built-in starter data"
            ) from None
        return record.to_factor_data(release=BUILTIN_RELEASE)

    def __contains__(self, ref: str) -> bool:
        return ref.partition("@")[0] in self._by_id
