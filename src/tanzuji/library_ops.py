"""Operations on the process library, one function per thing a user asks for.

This is application-layer code (it opens transactions and calls the domain package
:mod:`tanzuji.library` and the repositories of :mod:`tanzuji.store`); it is meant to move into
``services/`` as it stands. The command line (:mod:`tanzuji.cli.library`) only parses and prints.

* :func:`import_library` — read a package, map units and flows, link providers, store it as a
  new library version, write the link report;
* :func:`derive_factors` — solve a stored library and publish every process's cradle-to-gate
  intensity as a factor record with its provenance;
* :func:`link_report` / :func:`write_report` — every linking decision of a stored version;
* :func:`import_reference` — flows, flow properties and unit groups into the reference tables;
* :func:`load_shipped` — import the derived factors shipped with Tanzuji (USLCI);
* :class:`DatabaseLibrarySource` — library processes as model inputs (``library:NAME/ID``);
* :func:`import_factor_table` — a factor table with foreign columns, through a column mapping
  (dry-run preview, saved mappings); :func:`import_factor_file` — a factor file, or the
  reference data it holds.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import io
import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine

from tanzuji import gases
from tanzuji.engine.calculate import Calculation, characterization_vector
from tanzuji.errors import LibraryError, NotFound
from tanzuji.factors.database import FactorDatabase, ImportReport, ReleaseInfo
from tanzuji.factors.importers import mapped_table
from tanzuji.factors.record import FactorRecord
from tanzuji.library import elementary, formats, linking, matrices, quantities
from tanzuji.library.derive import Derivation, LibraryProvenance, derived_records
from tanzuji.library.foreground import ResolvedLibrary, split_ref
from tanzuji.library.model import Library
from tanzuji.library.sources import Member, members
from tanzuji.store import db
from tanzuji.store import library as repository

#: Marker of an "about" file describing a library (title, publisher, licence, notice).
ABOUT_FORMAT = "tanzuji-library-about"
#: Marker of a shipped file of derived factors.
DERIVED_FORMAT = "tanzuji-derived-factors"
_DATA = "data/library"
#: Formats whose flows, flow properties and unit groups are reference data of their own.
REFERENCE_FORMATS = ("jsonld", "ilcd")


@dataclass(frozen=True)
class About:
    """What a library is and under which terms (from ``--about``, else the command line)."""

    title: str
    publisher: str
    licence: str
    notice: str = ""
    url: str | None = None
    accessed: dt.date | None = None
    citation: str = ""


@dataclass
class ImportSummary:
    """What :func:`import_library` did, with its timings in seconds."""

    info: repository.LibraryVersionInfo
    decisions: dict[str, int]
    unit_problems: int
    unit_notes: int
    gas_flows: dict[str, int]
    seconds: dict[str, float] = field(default_factory=dict)
    report: Path | None = None


@dataclass
class DeriveSummary:
    """What :func:`derive_factors` did."""

    info: repository.LibraryVersionInfo
    gwp_set: str
    factors: int
    skipped: list[tuple[str, str]]
    factor_import: ImportReport | None
    release: ReleaseInfo | None
    derivation_id: int
    seconds: dict[str, float]
    records: list[FactorRecord]


# -- about files -------------------------------------------------------------------------------


def shipped_about(name: str) -> Path:
    """Path of a shipped about file (``uslci`` -> ``data/library/uslci.about.json``)."""
    path = Path(str(resources.files("tanzuji").joinpath(f"{_DATA}/{name}.about.json")))
    if not path.is_file():
        shipped = sorted(p.name.split(".")[0] for p in path.parent.glob("*.about.json"))
        raise NotFound(
            f"no shipped about file {name!r}; shipped: {', '.join(shipped)}; or give a path to "
            f'a JSON file with "format": "{ABOUT_FORMAT}"'
        )
    return path


def read_about(reference: str | Path) -> About:
    """An :class:`About` from a JSON file, or from a shipped one by name (``uslci``)."""
    path = Path(reference)
    if not path.is_file():
        path = shipped_about(str(reference))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LibraryError(f"cannot read the about file: {exc}", location=str(path)) from None
    if not isinstance(data, dict) or data.get("format") != ABOUT_FORMAT:
        raise LibraryError(
            f'expected a JSON object with "format": "{ABOUT_FORMAT}" and title, publisher, '
            "licence, notice",
            location=str(path),
        )
    missing = [k for k in ("title", "publisher", "licence") if not data.get(k)]
    if missing:
        raise LibraryError(f"about file lacks {missing}", location=str(path), field=missing[0])
    accessed = data.get("accessed")
    return About(
        title=data["title"],
        publisher=data["publisher"],
        licence=data["licence"],
        notice=data.get("notice") or "",
        url=data.get("url"),
        accessed=dt.date.fromisoformat(accessed) if accessed else None,
        citation=data.get("citation") or "",
    )


# -- import ------------------------------------------------------------------------------------


def read_library(
    source: Path | str | bytes, fmt: str | None = None, name: str = "upload"
) -> tuple[Library, str]:
    """Read a package (folder, zip, file or bytes); return the library and its content hash.

    The hash is SHA-256 over the sorted ``name:sha256(bytes)`` lines of the package's files.
    """
    files = list(members(source, name))
    digest = _content_hash(files)
    chosen = fmt or formats.detect(files)
    return formats.read(chosen, files), digest


def _content_hash(files: list[Member]) -> str:
    lines = sorted(f"{m.name}:{hashlib.sha256(m.data).hexdigest()}" for m in files)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def import_library(
    engine: Engine,
    source: Path | str | bytes,
    *,
    name: str,
    about: About,
    fmt: str | None = None,
    rules: linking.LinkingRules | None = None,
    report: Path | None = None,
    source_name: str | None = None,
) -> ImportSummary:
    """Import a library package as the next version of ``name``, in one transaction.

    Every exchange that needs a provider is linked or reported (never dropped silently); the
    report file (``.csv`` or ``.json``) lists every decision. Timings: ``read`` (parse),
    ``link`` (units, flows, providers), ``store`` (database), ``total``.

    Raises
    ------
    LibraryError
        Unreadable package, unknown format, a process without a usable reference.
    SingularTechnosphere
        The linked technosphere cannot be solved (nothing is stored).
    """
    repository.check_name(name, "library")
    started = time.perf_counter()
    library, digest = read_library(source, fmt, source_name or "upload")
    if not library.processes:
        raise LibraryError(
            f"the package holds no process ({library.counts()['flows']} flows); expected a "
            "process library — import reference data with `tanzuji library reference PATH` / "
            "数据包中没有过程",
            location=source_name or str(source)[:200],
        )
    read_done = time.perf_counter()
    unit_problems = quantities.normalise(library)
    mappings = {f.id: elementary.map_flow(f) for f in library.flows.values()}
    linked = linking.link(library, rules)
    # refuse a library that cannot be solved: a process without usable reference, or a singular
    # technosphere (SingularTechnosphere names the processes)
    library_calculation(matrices.build(library, linked, mappings), "AR6")
    link_done = time.perf_counter()
    counts = {
        **library.counts(),
        "decisions": linked.counts(),
        "unit_problems": len(unit_problems),
        "unit_notes": sum(
            1
            for p in library.processes
            for e in p.exchanges
            if e.unit_note and e.amount_ref is not None
        ),
        "gas_flows": dict(Counter(m.kind for m in mappings.values())),
    }
    meta = repository.LibraryMeta(
        name=name,
        title=about.title,
        publisher=about.publisher,
        licence=about.licence,
        notice=about.notice,
        format=library.format,
        source_name=source_name or str(source)[:500],
        content_hash=digest,
        url=about.url,
        accessed=about.accessed,
    )
    with db.session_scope(engine) as session:
        info = repository.save_library(session, meta, library, linked, mappings, counts)
        if library.format in REFERENCE_FORMATS:
            repository.save_reference(session, library, meta.source_name)
    stored = time.perf_counter()
    summary = ImportSummary(
        info,
        counts["decisions"],
        counts["unit_problems"],
        counts["unit_notes"],
        counts["gas_flows"],
        {
            "read": read_done - started,
            "link": link_done - read_done,
            "store": stored - link_done,
            "total": stored - started,
        },
    )
    if report is not None:
        rows = report_rows(library, linked, mappings)
        write_report(rows, report, info)
        summary.report = report
    return summary


# -- the link report ---------------------------------------------------------------------------

REPORT_COLUMNS = (
    "process_id",
    "process",
    "location",
    "position",
    "flow_id",
    "flow",
    "flow_type",
    "direction",
    "amount",
    "unit",
    "amount_ref",
    "reference_unit",
    "decision",
    "linked",
    "provider_id",
    "provider",
    "candidates",
    "note",
    "unit_note",
)


def report_rows(
    library: Library, linked: linking.Linking, mappings: dict[str, elementary.GasMapping]
) -> list[dict[str, Any]]:
    """One row per linking decision, in process and exchange order."""
    processes = {p.id: p for p in library.processes}
    columns = {c.id: c for c in linked.columns}

    def label(column_id: str) -> str:
        column = columns.get(column_id)
        if column is None:
            return column_id
        name = processes[column.process].name
        return f"{name} / {library.flows[column.product].name}" if "#" in column_id else name

    rows = []
    for decision in sorted(linked.decisions, key=lambda d: (processes[d.process].name, d.position)):
        process = processes[decision.process]
        exchange = process.exchanges[decision.position]
        flow = library.flows[decision.flow]
        rows.append(
            {
                "process_id": process.id,
                "process": process.name,
                "location": process.location,
                "position": decision.position,
                "flow_id": flow.id,
                "flow": flow.name,
                "flow_type": flow.flow_type,
                "direction": "input" if exchange.is_input else "output",
                "amount": exchange.amount,
                "unit": exchange.unit,
                "amount_ref": exchange.amount_ref,
                "reference_unit": flow.reference_unit,
                "decision": decision.decision,
                "linked": decision.linked,
                "provider_id": decision.provider,
                "provider": label(decision.provider) if decision.provider else "",
                "candidates": "; ".join(f"{label(c)} ({c})" for c in decision.candidates),
                "note": decision.note,
                "unit_note": exchange.unit_note,
            }
        )
    return rows


def write_report(
    rows: list[dict[str, Any]], path: Path, info: repository.LibraryVersionInfo
) -> Path:
    """Write the rows as CSV (``.csv``) or JSON with a header (any other suffix)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=REPORT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        path.write_text(buffer.getvalue(), encoding="utf-8")
        return path
    header = {
        "format": "tanzuji-library-links",
        "library": info.name,
        "version": info.version,
        "content_hash": info.content_hash,
        "rules": info.rules,
        "counts": info.counts,
    }
    path.write_text(
        json.dumps({**header, "decisions": rows}, indent=1, ensure_ascii=False, default=str),
        encoding="utf-8",
    )
    return path


def link_report(
    engine: Engine, name: str, version: int | None = None
) -> tuple[repository.LibraryVersionInfo, list[dict[str, Any]]]:
    """The link report of a stored library version."""
    with db.session_scope(engine) as session:
        stored = repository.load_library(session, name, version)
    return stored.info, report_rows(stored.library, stored.linking, stored.mappings)


# -- solving and derivation --------------------------------------------------------------------
def library_calculation(system: matrices.LibrarySystem, gwp_set: str | None = None) -> Calculation:
    """The factorized library in ``gwp_set`` (labels: column names, for error messages)."""
    labels = [f"{n} ({c.id})" for n, c in zip(system.names, system.columns, strict=True)]
    return Calculation(
        system.technosphere_matrix,
        system.biosphere_matrix,
        characterization_vector(system.flows, gwp_set),
        labels,
    )


def gas_intensities(calc: Calculation) -> np.ndarray:
    """Cradle-to-gate kg of each flow row per reference unit of each column, shape (n, m).

    ``A^T Λ = B^T``: one transposed solve per flow row, reusing ``calc``'s factorization.
    """
    biosphere = calc.biosphere_matrix
    out = np.zeros((calc.technosphere_matrix.shape[0], biosphere.shape[0]))
    for k in range(biosphere.shape[0]):
        out[:, k] = calc.solver.solve_transposed(biosphere.getrow(k).toarray().ravel())
    return out


def derive_factors(
    engine: Engine,
    name: str,
    *,
    version: int | None = None,
    gwp_set: str | None = None,
    reviewer: str | None = None,
    release: str | None = None,
) -> DeriveSummary:
    """Publish the cradle-to-gate intensity of every process of a stored library as factors.

    One factorization and one transposed solve per greenhouse-gas row; the records go into
    the factor database in one import (``draft``, or ``published`` when a ``reviewer`` signs
    them off); with ``release``, a factor release of that name is made afterwards (it needs
    the reviewer). The run is logged in ``library_derivations``.

    Raises
    ------
    LibraryError
        ``release`` without ``reviewer``.
    """
    chosen = gases.check_gwp_set(gwp_set)
    if release and not reviewer:
        raise LibraryError(
            f"release {release!r} needs published factors: name the reviewer who signs the "
            "derived factors off (--reviewer) / 发布版本需要审核人"
        )
    started = time.perf_counter()
    with db.session_scope(engine) as session:
        stored = repository.load_library(session, name, version)
    loaded = time.perf_counter()
    system = matrices.build(stored.library, stored.linking, stored.mappings)
    calculation = library_calculation(system, chosen)
    scores = calculation.intensities()
    amounts = gas_intensities(calculation)
    solved = time.perf_counter()
    info = stored.info
    provenance = LibraryProvenance(
        name=info.name,
        version=info.version,
        content_hash=info.content_hash,
        title=info.title,
        publisher=info.publisher,
        licence=info.licence,
        url=info.url,
        accessed=info.accessed,
        notice=_notice_pointer(info),
        rules=info.rules,
    )
    status = "published" if reviewer else "draft"
    derivation = Derivation(chosen, status=status)
    records, skipped = derived_records(
        stored.library, system, stored.linking, amounts, scores, provenance, derivation
    )
    database = FactorDatabase(engine)
    report = database.add_records(
        records,
        f"library {info.name} v{info.version} derived ({chosen})",
        status=status,
        reviewer=reviewer,
        skipped=[(s.location, s.reason) for s in skipped],
    )
    made = (
        database.create_release(release, note=_release_note(info, chosen), created_by=reviewer)
        if release
        else None
    )
    with db.session_scope(engine) as session:
        derivation_id = repository.save_derivation(
            session,
            library_version_id=info.id,
            gwp_set=chosen,
            engine=derivation.engine,
            status=status,
            factor_import_id=report.import_id,
            factor_release=release,
            factors=len(records),
            skipped=len(skipped),
            content_hash=_records_hash(records),
            solve_seconds=solved - loaded,
        )
    done = time.perf_counter()
    return DeriveSummary(
        info,
        chosen,
        len(records),
        [(s.location, s.reason) for s in skipped],
        report,
        made,
        derivation_id,
        {
            "load": loaded - started,
            "solve": solved - loaded,
            "store": done - solved,
            "total": done - started,
        },
        records,
    )


def _notice_pointer(info: repository.LibraryVersionInfo) -> str:
    if not info.notice:
        return ""
    first = info.notice.strip().splitlines()[0].lstrip("# ").strip()
    return (
        f"{first} applies; the entire notice is kept with library {info.name} "
        f"v{info.version} (`tanzuji library show {info.name} --notice`)"
    )


def _release_note(info: repository.LibraryVersionInfo, gwp_set: str) -> str:
    return (
        f"includes cradle-to-gate factors derived from library {info.name} v{info.version} "
        f"(sha256 {info.content_hash}) in {gwp_set}"
    )


def _records_hash(records: list[FactorRecord]) -> str:
    text = "\n".join(sorted(f"{r.id}:{r.content_hash()}" for r in records))
    return hashlib.sha256(text.encode()).hexdigest()


def scores_by_process(
    engine: Engine, name: str, gwp_set: str | None = None, version: int | None = None
) -> dict[str, float]:
    """Cradle-to-gate kg CO2e per reference unit of every column (for checks and benches)."""
    with db.session_scope(engine) as session:
        stored = repository.load_library(session, name, version)
    system = matrices.build(stored.library, stored.linking, stored.mappings)
    scores = library_calculation(system, gwp_set).intensities()
    return {c.id: float(s) for c, s in zip(system.columns, np.asarray(scores), strict=True)}


# -- shipped derived factors -------------------------------------------------------------------


def export_derived(summary: DeriveSummary, about: About, path: Path) -> Path:
    """Write derived factors as a shipped file: records, provenance and the entire notice."""
    payload = {
        "format": DERIVED_FORMAT,
        "library": summary.info.name,
        "library_version": summary.info.version,
        "library_title": summary.info.title,
        "content_hash": summary.info.content_hash,
        "rules": summary.info.rules,
        "counts": summary.info.counts,
        "gwp_set": summary.gwp_set,
        "engine": summary.records[0].comment.split(" | ")[2] if summary.records else "",
        "citation": about.citation,
        "licence": about.licence,
        "notice": about.notice,
        "modification": (
            "Tanzuji computed these cradle-to-gate intensities from the unit processes of the "
            "library above (linking rules and cut-offs as recorded); they are not published by "
            "the data provider"
        ),
        "factors": [
            r.model_dump(mode="json", exclude={"status", "reviewer", "created_at", "reviewed_at"})
            for r in summary.records
        ],
    }
    factors = payload.pop("factors")
    head = json.dumps(payload, indent=1, ensure_ascii=False)[:-2]
    lines = ",\n".join(json.dumps(f, ensure_ascii=False, sort_keys=True) for f in factors)
    text = f'{head},\n "factors": [\n{lines}\n ]\n}}\n'  # one factor per line
    data = text.encode("utf-8")
    path = Path(path)
    path.write_bytes(gzip.compress(data, mtime=0) if path.suffix == ".gz" else data)
    return path


def shipped_derived() -> dict[str, Path]:
    """The shipped derived-factor files by name (``uslci-ar6``; ``.json`` or ``.json.gz``)."""
    folder = Path(str(resources.files("tanzuji").joinpath(_DATA)))
    return {p.name.split(".derived.json")[0]: p for p in sorted(folder.glob("*.derived.json*"))}


def read_derived(path: Path) -> tuple[dict[str, Any], list[FactorRecord]]:
    """The header and records of a derived-factor file."""
    raw = Path(path).read_bytes()
    data = json.loads(gzip.decompress(raw) if Path(path).suffix == ".gz" else raw)
    if not isinstance(data, dict) or data.get("format") != DERIVED_FORMAT:
        raise LibraryError(f'expected "format": "{DERIVED_FORMAT}"', location=str(path))
    records = [FactorRecord.model_validate(item) for item in data["factors"]]
    return {k: v for k, v in data.items() if k != "factors"}, records


def load_shipped(engine: Engine, name: str, *, reviewer: str | None = None) -> ImportReport:
    """Import a shipped derived-factor file (``draft``, or ``published`` with a reviewer)."""
    files = shipped_derived()
    if name not in files:
        raise NotFound(
            f"no shipped derived factors {name!r}; shipped: {', '.join(files) or 'none'}"
        )
    _, records = read_derived(files[name])
    return FactorDatabase(engine).add_records(
        records,
        f"shipped derived factors {name}",
        status="published" if reviewer else "draft",
        reviewer=reviewer,
    )


# -- reference data ----------------------------------------------------------------------------


def import_reference(
    engine: Engine,
    source: Path | str | bytes,
    *,
    fmt: str | None = None,
    source_name: str | None = None,
) -> dict[str, dict[str, int]]:
    """Import the unit groups, flow properties and flows of a package into reference tables.

    Raises
    ------
    LibraryError
        The package holds no reference data.
    """
    library, _ = read_library(source, fmt, source_name or "upload")
    if library.format not in REFERENCE_FORMATS:
        raise LibraryError(
            f"reference data come in openLCA JSON-LD or ILCD; this is {library.format}, whose "
            "flows exist only as names in processes",
            location=source_name or str(source)[:200],
        )
    if not (library.flows or library.flow_properties or library.unit_groups):
        raise LibraryError(
            "the package holds no flow, flow property or unit group; expected reference data "
            "(openLCA JSON-LD flows/, flow_properties/, unit_groups/ or ILCD flows/, "
            "flowproperties/, unitgroups/) / 数据包中没有参考数据",
            location=source_name or str(source)[:200],
        )
    with db.session_scope(engine) as session:
        return repository.save_reference(session, library, source_name or str(source)[:500])


# -- library processes as model inputs ---------------------------------------------------------


class DatabaseLibrarySource:
    """Resolves ``library:NAME/ID`` model inputs from the stored libraries (newest versions).

    Each library version is read and built once per source object.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._systems: dict[tuple[str, int], tuple[repository.LibraryVersionInfo, Any]] = {}

    def resolve(self, ref: str) -> ResolvedLibrary:
        """The library and column of ``ref``.

        Raises
        ------
        NotFound
            No stored library holds the process, or several do and the reference names none.
        """
        name, process_id = split_ref(ref)
        with db.session_scope(self.engine) as session:
            if name is None:
                name = self._only_library(session, process_id, ref)
            row = repository.version_row(session, name)
            key = (row.name, row.version)
            if key not in self._systems:
                stored = repository.load_library(session, row.name, row.version)
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

    @staticmethod
    def _only_library(session, process_id: str, ref: str) -> str:
        names = repository.libraries_with_process(session, process_id.partition("#")[0])
        if len(names) != 1:
            found = ", ".join(names) or "none"
            raise NotFound(
                f"{ref!r} names no library and {len(names)} stored libraries hold process "
                f"{process_id!r} ({found}); write library:NAME/{process_id}"
            )
        return names[0]


def library_source(engine: Engine | None = None) -> DatabaseLibrarySource | None:
    """The stored libraries as a :class:`LibrarySource`, or ``None`` without a database."""
    if engine is None:
        if not db.database_configured():
            return None
        engine = db.engine_for()
        db.upgrade(engine)
    return DatabaseLibrarySource(engine)


# -- factor files: foreign columns and reference data ------------------------------------------


@dataclass
class TableImport:
    """What :func:`import_factor_table` did or, with ``dry_run``, would do."""

    preview: mapped_table.Preview
    mapping: mapped_table.ColumnMapping
    actions: dict[str, str]  # factor id -> "new", "new_version" or "unchanged"
    report: ImportReport | None = None
    saved_version: int | None = None


def import_factor_table(
    engine: Engine,
    path: Path,
    *,
    columns: dict[str, str] | None = None,
    constants: dict[str, str] | None = None,
    mapping_name: str | None = None,
    save_as: str | None = None,
    dry_run: bool = False,
    status: str | None = None,
    reviewer: str | None = None,
    exclude_licences: Sequence[str] = (),
) -> TableImport:
    """Import a factor table with foreign columns through a column mapping.

    The mapping is the saved mapping ``mapping_name`` (if any) with ``columns`` and
    ``constants`` on top; ``save_as`` stores the result under that name (a new version when it
    changed). ``dry_run`` only previews: the rows, the first records, every problem, and for
    each record whether it would be new, a new version or unchanged.

    Raises
    ------
    FactorImportError
        Not a dry run and the table has problems (listed; nothing is written).
    """
    mapping = mapped_table.ColumnMapping(columns or {}, constants or {})
    if mapping_name:
        with db.session_scope(engine) as session:
            saved_columns, saved_constants, _ = repository.get_mapping(session, mapping_name)  # type: ignore[misc]
        mapping = mapped_table.ColumnMapping(saved_columns, saved_constants).merged(mapping)
    preview = mapped_table.preview(path, mapping)
    with db.session_scope(engine) as session:
        latest = repository.latest_factor_hashes(session, [r.id for r in preview.records])
    actions = {
        r.id: "new"
        if r.id not in latest
        else "unchanged"
        if latest[r.id][1] == r.model_copy(update={"version": latest[r.id][0]}).content_hash()
        else "new_version"
        for r in preview.records
    }
    result = TableImport(preview, mapping, actions)
    if dry_run:
        return result
    records = mapped_table.read(path, mapping).records
    result.report = FactorDatabase(engine).add_records(
        records,
        Path(path).name,
        status=status,
        reviewer=reviewer,
        exclude_licences=exclude_licences,
    )
    if save_as:
        repository.check_name(save_as, "mapping")
        with db.session_scope(engine) as session:
            result.saved_version = repository.save_mapping(
                session, save_as, mapping.columns, mapping.constants
            )
    return result


@dataclass
class FileImport:
    """A factor file's import: factor records, or reference data when it holds only those."""

    factors: ImportReport | None = None
    reference: dict[str, dict[str, int]] | None = None


def import_factor_file(
    engine: Engine,
    path: Path,
    fmt: str | None = None,
    *,
    status: str | None = None,
    reviewer: str | None = None,
    exclude_licences: Sequence[str] = (),
) -> FileImport:
    """Import a factor file; a JSON-LD or ILCD file of flows, flow properties and unit groups
    (reference data, no process) goes into the reference tables instead."""
    from tanzuji.factors.database import guess_format, read_file

    if path.exists():
        chosen = fmt or guess_format(path)
        if chosen in ("jsonld", "ilcd"):
            records, _ = read_file(path, chosen)
            if not records:
                library, _ = read_library(path, chosen, str(path))
                reference = library.flows or library.flow_properties or library.unit_groups
                if reference and not library.processes:
                    with db.session_scope(engine) as session:
                        saved = repository.save_reference(session, library, str(path))
                    return FileImport(reference=saved)
    report = FactorDatabase(engine).import_file(
        path, fmt, status=status, reviewer=reviewer, exclude_licences=exclude_licences
    )
    return FileImport(factors=report)
