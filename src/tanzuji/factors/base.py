"""Factor records as the engine sees them, and the simple sources (inline, CSV file)."""

from __future__ import annotations

import csv
import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

from tanzuji import gases, units
from tanzuji.errors import FactorFileError, TanzujiError, UnknownFactor
from tanzuji.factors.spreadsheet import restore

ORIGINS = gases.ORIGINS


@dataclass(frozen=True)
class FactorFlow:
    """Amount of one gas per unit of the factor's reference unit.

    ``amount_kg`` is in kg of the gas (kg CO2e for the pseudo-gas ``CO2e``); negative amounts of
    CO2 with biogenic or land-management origin are removals.
    """

    gas: str
    origin: str
    amount_kg: float
    aircraft: bool = False


@dataclass(frozen=True)
class FactorData:
    """An emission factor resolved for calculation.

    Parameters
    ----------
    id, version : str
        Stable id and the exact version used.
    unit : str
        The unit the factor is "per" (``kWh``, ``kg``, ``tkm``).
    flows : tuple of FactorFlow
        Gas amounts per unit, by origin.
    name_en, name_zh : str
        Names for people.
    source : str
        Citation (publisher, document, table, URL/DOI, access date).
    release : str or None
        Database release the version was taken from (``None`` for inline / file factors).
    illustrative : bool
        True when the value is not sourced (demo only); reports flag it.
    pedigree : tuple of 5 ints or None
        Pedigree scores (reliability, completeness, temporal, geographical, technological).
    status : str or None
        Review status of a factor database version (``published``, or ``deprecated`` for a
        version a release pinned before it was withdrawn); None for model and file factors.
    gwp_set_of_co2e : str or None
        The GWP set behind the factor's ``CO2e`` flows (``AR4``, ``AR5``, ``AR6``; None when
        the source does not say). Per-gas flows are kg of gas and carry no set: they are
        characterized in whatever set a result asks for. A ``CO2e`` flow of another (or an
        unknown) set is added as published and listed in the result's
        ``gwp_set_mismatches``.
    """

    id: str
    version: str
    unit: str
    flows: tuple[FactorFlow, ...]
    name_en: str = ""
    name_zh: str = ""
    source: str = ""
    release: str | None = None
    illustrative: bool = False
    pedigree: tuple[int, int, int, int, int] | None = None
    gwp_set_of_co2e: str | None = None
    status: str | None = None
    extra: Mapping[str, object] = field(default_factory=dict)

    def content_hash(self) -> str:
        """SHA-256 of the values that change a result (id, version, unit, flows)."""
        payload = {
            "id": self.id,
            "version": self.version,
            "unit": self.unit,
            "flows": [asdict(f) for f in self.flows],
        }
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


class FactorSource(Protocol):
    """Anything that turns a factor reference (``ID`` or ``ID@RELEASE``) into FactorData."""

    def resolve(self, ref: str) -> FactorData:  # pragma: no cover - protocol
        ...


class MappingSource:
    """Factors held in memory, keyed by id (inline factors, a CSV file)."""

    def __init__(self, factors: Iterable[FactorData], origin: str = "model") -> None:
        self.origin = origin
        self._by_id: dict[str, FactorData] = {}
        for factor in factors:
            if factor.id in self._by_id:
                raise FactorFileError(
                    f"factor id {factor.id!r} is defined twice in {origin}; ids must be unique"
                )
            self._by_id[factor.id] = factor

    def resolve(self, ref: str) -> FactorData:
        factor_id, _, release = ref.partition("@")
        if release:
            raise UnknownFactor(
                f"factor {ref!r} names release {release!r}, but {self.origin} has no releases; "
                "use the factor database for ID@RELEASE references",
            )
        try:
            return self._by_id[factor_id]
        except KeyError:
            raise UnknownFactor(f"unknown factor {factor_id!r} in {self.origin}") from None

    def __contains__(self, ref: str) -> bool:
        return ref.partition("@")[0] in self._by_id

    def __len__(self) -> int:
        return len(self._by_id)


class ChainedSource:
    """Try several sources in order (model inline -> CSV files -> database -> built-in).

    A chain given inside another is flattened, so a miss is reported once, naming what every
    source said.
    """

    def __init__(self, sources: Iterable[FactorSource]) -> None:
        flat: list[FactorSource] = []
        for source in sources:
            flat.extend(source.sources if isinstance(source, ChainedSource) else [source])
        self.sources: list[FactorSource] = flat

    def resolve(self, ref: str) -> FactorData:
        misses: list[str] = []
        for source in self.sources:
            try:
                return source.resolve(ref)
            except UnknownFactor as exc:
                misses.append(exc.message)
        where = "; ".join(misses) if misses else "no factor source is configured"
        raise UnknownFactor(
            f"unknown factor {ref!r} ({where}); define it under 'factors:' in the model, in a "
            "factor CSV listed under 'factor_files:', or import it into the factor database"
        )


#: Columns of a factor CSV next to a model (docs/model.md).
CSV_COLUMNS = ("id", "name_en", "name_zh", "unit", "gas", "origin", "amount_kg", "source")
CSV_OPTIONAL = ("aircraft", "version", "illustrative", "geography", "year", "boundary", "gwp_set")


def load_factor_csv(path: Path) -> MappingSource:
    """Read a factor CSV file (see :func:`parse_factor_csv`).

    Raises
    ------
    FactorFileError
        When the file cannot be read, or as :func:`parse_factor_csv`.
    """
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise FactorFileError(f"cannot read factor file {path}: {exc.strerror}") from None
    return parse_factor_csv(raw, str(path))


def parse_factor_csv(content: bytes, origin: str) -> MappingSource:
    """Parse a factor CSV: one row per (factor, gas); rows of one id are summed into one factor.

    Parameters
    ----------
    content : bytes
        The file's bytes (UTF-8, a BOM is dropped).
    origin : str
        The file's name, for messages (``origin:line``).

    Raises
    ------
    FactorFileError
        Naming the file, row and column of each problem (unknown column, missing value, unit,
        gas, origin or a non-numeric amount).
    """
    path = origin
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FactorFileError(
            f"factor file {origin} is not UTF-8 text (byte {exc.start}); save it as UTF-8"
        ) from None
    reader = csv.DictReader(text.splitlines())
    header = reader.fieldnames or []
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise FactorFileError(
            f"{path}: header lacks columns {missing}; expected {list(CSV_COLUMNS)} "
            f"(optional {list(CSV_OPTIONAL)})"
        )
    rows: dict[str, list[tuple[int, dict[str, str]]]] = {}
    problems: list[str] = []
    for line, cells in enumerate(reader, start=2):
        # cells an exporter neutralised against formula injection read back as written
        row = {k: restore(v) if isinstance(v, str) else v for k, v in cells.items()}
        for column in CSV_COLUMNS:
            if not (row.get(column) or "").strip():
                problems.append(f"{path}:{line} column {column!r} is empty; a value is required")
        rows.setdefault((row.get("id") or "").strip(), []).append((line, row))
    factors: list[FactorData] = []
    for factor_id, entries in rows.items():
        if not factor_id:
            continue
        first = entries[0][1]
        flows: list[FactorFlow] = []
        for line, row in entries:
            try:
                flows.append(_flow_from_row(row))
                units.parse_unit(row["unit"])
            except TanzujiError as exc:
                problems.append(f"{path}:{line} {exc.message}")
            if row["unit"].strip() != first["unit"].strip():
                problems.append(
                    f"{path}:{line} factor {factor_id!r} has unit {row['unit']!r} here but "
                    f"{first['unit']!r} on its first row; one factor has one unit"
                )
        factors.append(
            FactorData(
                id=factor_id,
                version=(first.get("version") or "1").strip(),
                unit=first["unit"].strip(),
                flows=tuple(flows),
                name_en=first["name_en"].strip(),
                name_zh=first["name_zh"].strip(),
                source=first["source"].strip(),
                illustrative=(first.get("illustrative") or "").strip().lower()
                in ("1", "true", "yes"),
                gwp_set_of_co2e=gases.canonical_gwp_set(first.get("gwp_set")),
            )
        )
    if problems:
        raise FactorFileError(
            f"{len(problems)} problem(s) in factor file {path}:\n  " + "\n  ".join(problems),
            problems=problems,
        )
    return MappingSource(factors, origin=str(path))


def _flow_from_row(row: Mapping[str, str]) -> FactorFlow:
    raw = row["amount_kg"].strip()
    try:
        amount = float(raw)
    except ValueError:
        amount = math.nan
    if not math.isfinite(amount):
        raise FactorFileError(
            f"column 'amount_kg' is {raw!r}; expected a number (finite, kg of gas per unit)"
        )
    origin = row["origin"].strip()
    if origin not in ORIGINS:
        raise FactorFileError(f"column 'origin' is {origin!r}; expected one of {list(ORIGINS)}")
    aircraft = (row.get("aircraft") or "").strip().lower() in ("1", "true", "yes")
    return FactorFlow(gases.canonical_gas(row["gas"]), origin, amount, aircraft)
