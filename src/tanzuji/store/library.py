"""Repository of the process library: write an imported library, read it back, log derivations;
reference data and saved column mappings.

Functions take an open :class:`~sqlalchemy.orm.Session` (one transaction, opened by the caller:
a service's unit of work) and domain objects of :mod:`tanzuji.library`.
:class:`DatabaseLibrarySource` is the engine's view of the stored libraries: the
:class:`~tanzuji.library.foreground.LibrarySource` that resolves ``library:NAME/ID`` model
inputs (a Context holds one).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any, cast

from sqlalchemy import Engine, Table, func, insert, select
from sqlalchemy.orm import Session

from tanzuji.errors import LibraryError, NotFound
from tanzuji.library import matrices
from tanzuji.library.elementary import GasMapping
from tanzuji.library.foreground import ResolvedLibrary, split_ref
from tanzuji.library.linking import LinkDecision, Linking, LinkingRules, columns
from tanzuji.library.model import (
    AllocationFactor,
    Exchange,
    Flow,
    FlowProperty,
    Library,
    Process,
    UnitGroup,
)
from tanzuji.store.db import Base, session_scope
from tanzuji.store.factors import FactorVersion, utc_now
from tanzuji.store.library_tables import (
    FactorColumnMapping,
    LibraryDerivation,
    LibraryExchange,
    LibraryFlow,
    LibraryProcess,
    LibraryVersion,
    ReferenceFlow,
    ReferenceFlowProperty,
    ReferenceUnitGroup,
)

#: Rows per INSERT statement (keeps PostgreSQL's parameter count well under its limit).
CHUNK = 2000


@dataclass(frozen=True)
class LibraryMeta:
    """What a library version says about itself (written once, at import)."""

    name: str
    title: str
    publisher: str
    licence: str
    notice: str
    format: str
    source_name: str
    content_hash: str
    url: str | None = None
    accessed: dt.date | None = None


@dataclass(frozen=True)
class LibraryVersionInfo:
    """A stored library version."""

    id: int
    name: str
    version: int
    title: str
    publisher: str
    url: str | None
    accessed: dt.date | None
    licence: str
    notice: str
    format: str
    source_name: str
    content_hash: str
    rules: dict[str, Any]
    counts: dict[str, Any]
    created_at: dt.datetime


@dataclass
class StoredLibrary:
    """A library version read back: the domain objects and the stored links."""

    info: LibraryVersionInfo
    library: Library
    linking: Linking
    mappings: dict[str, GasMapping]


# -- library versions -------------------------------------------------------------------------


def save_library(
    session: Session,
    meta: LibraryMeta,
    library: Library,
    linking: Linking,
    mappings: dict[str, GasMapping],
    counts: dict[str, Any],
) -> LibraryVersionInfo:
    """Write a linked library as the next version of ``meta.name``; return its info."""
    version = 1 + (
        session.scalar(
            select(func.max(LibraryVersion.version)).where(LibraryVersion.name == meta.name)
        )
        or 0
    )
    row = LibraryVersion(
        **asdict(meta),
        version=version,
        rules=linking.rules.as_dict(),
        counts=counts,
        created_at=utc_now(),
    )
    session.add(row)
    session.flush()
    _insert(
        session,
        LibraryFlow,
        (_flow_row(row.id, f, mappings.get(f.id)) for f in library.flows.values()),
    )
    _insert(session, LibraryProcess, (_process_row(row.id, p) for p in library.processes))
    decisions = {(d.process, d.position): d for d in linking.decisions}
    _insert(
        session,
        LibraryExchange,
        (
            _exchange_row(row.id, p.id, e, decisions.get((p.id, e.position)))
            for p in library.processes
            for e in p.exchanges
        ),
    )
    return version_info(row)


def _insert(session: Session, table: type[Base], rows: Iterable[dict[str, Any]]) -> None:
    """Core executemany INSERTs in chunks (the ORM's bulk path splits batches by which values
    are None, which costs thousands of round trips on PostgreSQL)."""
    statement = insert(cast(Table, table.__table__))  # declarative: a Table (typed FromClause)
    batch: list[dict[str, Any]] = []
    for values in rows:
        batch.append(values)
        if len(batch) >= CHUNK:
            session.execute(statement, batch)
            batch = []
    if batch:
        session.execute(statement, batch)


def _flow_row(version_id: int, flow: Flow, mapping: GasMapping | None) -> dict[str, Any]:
    mapping = mapping or GasMapping("other")
    return {
        "library_version_id": version_id,
        "flow_id": flow.id,
        "name": flow.name,
        "flow_type": flow.flow_type,
        "category": flow.category,
        "reference_property": flow.reference_property,
        "reference_unit": flow.reference_unit,
        "properties": flow.properties,
        "cas": flow.cas,
        "formula": flow.formula,
        "location": flow.location,
        "gas_kind": mapping.kind,
        "gas": mapping.gas,
        "origin": mapping.origin if mapping.gas else None,
        "kg_per_unit": mapping.kg_per_unit if mapping.kind == "ghg" else None,
        "mapping_note": mapping.note,
    }


def _process_row(version_id: int, process: Process) -> dict[str, Any]:
    return {
        "library_version_id": version_id,
        "process_id": process.id,
        "name": process.name,
        "process_type": process.process_type,
        "location": process.location,
        "category": process.category,
        "description": process.description,
        "year": process.year,
        "licence": process.licence,
        "source": process.source,
        "allocation": [asdict(a) for a in process.allocation],
        "default_allocation": process.default_allocation,
        "parameters": process.parameters,
    }


def _exchange_row(
    version_id: int, process_id: str, exchange: Exchange, decision: LinkDecision | None
) -> dict[str, Any]:
    values = {k: v for k, v in vars(exchange).items() if k not in ("flow", "position")}
    return {
        "library_version_id": version_id,
        "process_id": process_id,
        "position": exchange.position,
        "flow_id": exchange.flow,
        **values,
        "link": decision.decision if decision else None,
        "provider": (decision.provider or None) if decision else None,
        "candidates": list(decision.candidates) if decision and decision.candidates else None,
        "link_note": decision.note if decision else "",
    }


def version_info(row: LibraryVersion) -> LibraryVersionInfo:
    return LibraryVersionInfo(
        id=row.id,
        name=row.name,
        version=row.version,
        title=row.title,
        publisher=row.publisher,
        url=row.url,
        accessed=row.accessed,
        licence=row.licence,
        notice=row.notice,
        format=row.format,
        source_name=row.source_name,
        content_hash=row.content_hash,
        rules=dict(row.rules),
        counts=dict(row.counts),
        created_at=row.created_at,
    )


def versions(session: Session, name: str | None = None) -> list[LibraryVersionInfo]:
    """Every stored library version (of ``name``), oldest first."""
    query = select(LibraryVersion).order_by(LibraryVersion.name, LibraryVersion.version)
    if name is not None:
        query = query.where(LibraryVersion.name == name)
    return [version_info(row) for row in session.scalars(query)]


def version_row(session: Session, name: str, version: int | None = None) -> LibraryVersion:
    """The row of ``name`` at ``version`` (default: the newest).

    Raises
    ------
    NotFound
        No such library or version.
    """
    query = select(LibraryVersion).where(LibraryVersion.name == name)
    if version is not None:
        query = query.where(LibraryVersion.version == version)
    row = session.scalars(query.order_by(LibraryVersion.version.desc()).limit(1)).first()
    if row is None:
        known = sorted(set(session.scalars(select(LibraryVersion.name))))
        what = f"library {name!r}" + (f" version {version}" if version is not None else "")
        raise NotFound(
            f"{what} is not in the database; stored libraries: {', '.join(known) or 'none'} "
            "(import one with `tanzuji library import PATH --name NAME`) / 数据库中没有该过程数据库"
        )
    return row


def libraries_with_process(session: Session, process_id: str) -> list[str]:
    """Names of the libraries whose newest version holds ``process_id``."""
    newest = (
        select(LibraryVersion.name, func.max(LibraryVersion.version).label("version"))
        .group_by(LibraryVersion.name)
        .subquery()
    )
    query = (
        select(LibraryVersion.name)
        .join(
            newest,
            (newest.c.name == LibraryVersion.name) & (newest.c.version == LibraryVersion.version),
        )
        .join(LibraryProcess, LibraryProcess.library_version_id == LibraryVersion.id)
        .where(LibraryProcess.process_id == process_id)
    )
    return sorted(set(session.scalars(query)))


def load_library(session: Session, name: str, version: int | None = None) -> StoredLibrary:
    """Read a stored library version back with its links (no relinking)."""
    row = version_row(session, name, version)
    info = version_info(row)
    library = Library(format=row.format)
    mappings: dict[str, GasMapping] = {}
    # Core rows, not ORM objects: a library holds tens of thousands of exchanges
    flows = LibraryFlow.__table__
    for flow in session.execute(select(flows).where(flows.c.library_version_id == row.id)):
        library.flows[flow.flow_id] = Flow(
            id=flow.flow_id,
            name=flow.name,
            flow_type=flow.flow_type,
            category=flow.category,
            reference_property=flow.reference_property,
            properties=dict(flow.properties),
            reference_unit=flow.reference_unit,
            cas=flow.cas,
            formula=flow.formula,
            location=flow.location,
        )
        mappings[flow.flow_id] = GasMapping(
            flow.gas_kind,
            flow.gas,
            flow.origin or "fossil",
            flow.kg_per_unit if flow.kg_per_unit is not None else 1.0,
            flow.mapping_note,
        )
    processes: dict[str, Process] = {}
    table = LibraryProcess.__table__
    query = select(table).where(table.c.library_version_id == row.id)
    for item in session.execute(query.order_by(table.c.process_id)):
        processes[item.process_id] = Process(
            id=item.process_id,
            name=item.name,
            process_type=item.process_type,
            location=item.location,
            category=item.category,
            description=item.description,
            year=item.year,
            licence=item.licence,
            source=dict(item.source),
            allocation=[AllocationFactor(**a) for a in item.allocation],
            default_allocation=item.default_allocation,
            parameters=list(item.parameters),
        )
    decisions = []
    table = LibraryExchange.__table__
    query = select(table).where(table.c.library_version_id == row.id)
    for item in session.execute(query.order_by(table.c.process_id, table.c.position)):
        processes[item.process_id].exchanges.append(_exchange(item))
        if item.link is not None:
            decisions.append(
                LinkDecision(
                    item.process_id,
                    item.position,
                    item.flow_id,
                    item.link,
                    item.provider or "",
                    tuple(item.candidates or ()),
                    item.link_note,
                )
            )
    library.processes = list(processes.values())
    rules = LinkingRules.from_dict(info.rules)
    linking = Linking(rules, columns(library, rules), decisions)
    return StoredLibrary(info, library, linking, mappings)


def _exchange(row: Any) -> Exchange:
    return Exchange(
        position=row.position,
        flow=row.flow_id,
        amount=row.amount,
        unit=row.unit,
        is_input=row.is_input,
        is_reference=row.is_reference,
        avoided=row.avoided,
        flow_property=row.flow_property,
        formula=row.formula,
        default_provider=row.default_provider,
        provider_location=row.provider_location,
        uncertainty=row.uncertainty,
        description=row.description,
        amount_ref=row.amount_ref,
        unit_note=row.unit_note,
    )


def save_derivation(session: Session, **values: Any) -> int:
    """Log one derivation run (columns of ``library_derivations``); return its id."""
    row = LibraryDerivation(**values, created_at=utc_now())
    session.add(row)
    session.flush()
    return row.id


def derivations(session: Session, library_version_id: int) -> list[dict[str, Any]]:
    """The derivation runs of one library version, oldest first."""
    query = select(LibraryDerivation).where(
        LibraryDerivation.library_version_id == library_version_id
    )
    return [
        {c.key: getattr(row, c.key) for c in LibraryDerivation.__table__.columns}
        for row in session.scalars(query.order_by(LibraryDerivation.id))
    ]


# -- reference data ----------------------------------------------------------------------------


def save_reference(
    session: Session, library: Library, source_name: str
) -> dict[str, dict[str, int]]:
    """Store the unit groups, flow properties and flows of ``library`` as reference data.

    A record identical to its newest stored version is skipped; a changed one becomes a new
    version. Returns, per kind, how many were ``new``, ``new_version`` and ``unchanged``.
    """
    now = utc_now()
    kinds: tuple[tuple[_ReferenceTable, Iterable[Any], Callable[[Any], dict[str, Any]]], ...] = (
        (ReferenceUnitGroup, library.unit_groups.values(), _unit_group_values),
        (ReferenceFlowProperty, library.flow_properties.values(), _property_values),
        (ReferenceFlow, library.flows.values(), _flow_values),
    )
    report: dict[str, dict[str, int]] = {}
    for table, items, values_of in kinds:
        counts = {"new": 0, "new_version": 0, "unchanged": 0}
        rows = []
        latest = _latest_hashes(session, table)
        for item in items:
            values = values_of(item)
            digest = _hash(values)
            stored = latest.get(item.id)
            if stored is not None and stored[1] == digest:
                counts["unchanged"] += 1
                continue
            counts["new_version" if stored else "new"] += 1
            version = stored[0] + 1 if stored else 1
            rows.append(
                {
                    "uuid": item.id,
                    "version": version,
                    **values,
                    "content_hash": digest,
                    "source_name": source_name,
                    "created_at": now,
                }
            )
        _insert(session, table, rows)
        report[table.__tablename__] = counts
    return report


_ReferenceTable = type[ReferenceUnitGroup] | type[ReferenceFlowProperty] | type[ReferenceFlow]


def _latest_hashes(session: Session, table: _ReferenceTable) -> dict[str, tuple[int, str]]:
    found: dict[str, tuple[int, str]] = {}
    for uuid, version, digest in session.execute(
        select(table.uuid, table.version, table.content_hash).order_by(table.version)
    ):
        found[uuid] = (version, digest)
    return found


def _hash(values: dict[str, Any]) -> str:
    text = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _unit_group_values(group: UnitGroup) -> dict[str, Any]:
    return {"name": group.name, "reference_unit": group.reference_unit, "units": group.units}


def _property_values(prop: FlowProperty) -> dict[str, Any]:
    return {"name": prop.name, "unit_group": prop.unit_group}


def _flow_values(flow: Flow) -> dict[str, Any]:
    return {
        "name": flow.name,
        "flow_type": flow.flow_type,
        "category": flow.category,
        "reference_property": flow.reference_property,
        "properties": flow.properties,
        "cas": flow.cas,
        "formula": flow.formula,
        "location": flow.location,
    }


def reference_counts(session: Session) -> dict[str, int]:
    """Number of distinct records (newest versions) in each reference table."""
    return {
        table.__tablename__: session.scalar(select(func.count(func.distinct(table.uuid)))) or 0
        for table in (ReferenceUnitGroup, ReferenceFlowProperty, ReferenceFlow)
    }


def reference_flow(session: Session, uuid: str) -> dict[str, Any]:
    """The newest version of a reference flow, as a dict.

    Raises
    ------
    NotFound
        No reference flow has this id.
    """
    row = session.scalars(
        select(ReferenceFlow)
        .where(ReferenceFlow.uuid == uuid)
        .order_by(ReferenceFlow.version.desc())
    ).first()
    if row is None:
        raise NotFound(f"reference flow {uuid!r} is not in the database")
    return {c.key: getattr(row, c.key) for c in ReferenceFlow.__table__.columns}


def latest_factor_hashes(session: Session, ids: list[str]) -> dict[str, tuple[int, str]]:
    """Newest stored (version, content hash) of each factor id that exists."""
    found: dict[str, tuple[int, str]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        query = select(FactorVersion.factor_id, FactorVersion.version, FactorVersion.content_hash)
        for factor_id, version, digest in session.execute(
            query.where(FactorVersion.factor_id.in_(chunk)).order_by(FactorVersion.version)
        ):
            found[factor_id] = (version, digest)
    return found


# -- saved column mappings --------------------------------------------------------------------


def save_mapping(
    session: Session, name: str, columns_: dict[str, str], constants: dict[str, str]
) -> int:
    """Save a column mapping under ``name`` (a new version when it changed); return the version."""
    latest = get_mapping(session, name, missing_ok=True)
    if latest is not None and latest[0] == columns_ and latest[1] == constants:
        return latest[2]
    version = (latest[2] if latest else 0) + 1
    session.add(
        FactorColumnMapping(
            name=name, version=version, columns=columns_, constants=constants, created_at=utc_now()
        )
    )
    session.flush()
    return version


def get_mapping(
    session: Session, name: str, *, missing_ok: bool = False
) -> tuple[dict[str, str], dict[str, str], int] | None:
    """The newest saved mapping ``name``: (columns, constants, version).

    Raises
    ------
    NotFound
        No mapping of that name (unless ``missing_ok``).
    """
    row = session.scalars(
        select(FactorColumnMapping)
        .where(FactorColumnMapping.name == name)
        .order_by(FactorColumnMapping.version.desc())
    ).first()
    if row is None:
        if missing_ok:
            return None
        known = sorted(set(session.scalars(select(FactorColumnMapping.name))))
        raise NotFound(
            f"no saved column mapping {name!r}; saved mappings: {', '.join(known) or 'none'} "
            "(save one with --map ... --save-mapping NAME)"
        )
    return dict(row.columns), dict(row.constants), row.version


def check_name(name: str, what: str) -> str:
    """A library or mapping name: 1-64 letters, digits, ``.``, ``_``, ``-``."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._\-]{0,63}", name or ""):
        raise LibraryError(
            f"{what} name {name!r} is not valid; expected 1-64 letters, digits, '.', '_' or '-' "
            "starting with a letter or digit, e.g. uslci",
            found=name,
        )
    return name


class DatabaseLibrarySource:
    """Resolves ``library:NAME/ID`` model inputs from the stored libraries (newest versions).

    Each library version is read and built once per source object (a Context holds one).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._systems: dict[tuple[str, int], tuple[LibraryVersionInfo, Any]] = {}

    def resolve(self, ref: str) -> ResolvedLibrary:
        """The library and column of ``ref``.

        Raises
        ------
        NotFound
            No stored library holds the process, or several do and the reference names none.
        """
        name, process_id = split_ref(ref)
        with session_scope(self.engine, write=False) as session:
            if name is None:
                name = _only_library(session, process_id, ref)
            row = version_row(session, name)
            key = (row.name, row.version)
            if key not in self._systems:
                stored = load_library(session, row.name, row.version)
                system = matrices.build(stored.library, stored.linking, stored.mappings)
                self._systems[key] = (stored.info, system)
        info, system = self._systems[key]
        index = system.index()
        if process_id not in index:
            raise NotFound(
                f"library {info.name} v{info.version} has no process {process_id!r}; list its "
                f"processes with `tanzuji library links {info.name}` or the link report"
            )
        return ResolvedLibrary(
            info.name, info.version, info.content_hash, system, index[process_id]
        )


def _only_library(session: Session, process_id: str, ref: str) -> str:
    names = libraries_with_process(session, process_id.partition("#")[0])
    if len(names) != 1:
        found = ", ".join(names) or "none"
        raise NotFound(
            f"{ref!r} names no library and {len(names)} stored libraries hold process "
            f"{process_id!r} ({found}); write library:NAME/{process_id}"
        )
    return names[0]
