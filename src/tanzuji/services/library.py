"""Library service: the background process library — import, link report, derived factors,
reference data, and factor tables with foreign columns (背景过程数据库).

Each operation is one unit of work on the Context's database. Packages and files arrive as
bytes (:class:`PackageFile`, an upload or what the edge read), reports leave as rows or bytes;
nothing here reads or writes a file of the user's.

- :func:`import_library` — read a package, map units and flows, link providers, refuse a
  library that cannot be solved, store it as the next version of its name (and its reference
  data) in one transaction; optionally the link report rows;
- :func:`derive_factors` — solve a stored library and publish every process's cradle-to-gate
  intensity as a factor record with its provenance; the import, the optional release and the
  derivation log are one transaction;
- :func:`link_report`, :func:`libraries`, :func:`library` — read stored versions;
- :func:`load_shipped` — the derived factors shipped with Tanzuji (USLCI);
- :func:`import_reference` — flows, flow properties and unit groups into reference tables;
- :func:`import_factor_table` — a factor table with foreign columns through a column mapping
  (dry-run preview; the records and the saved mapping in one transaction);
  :func:`import_factor_file` — a factor file, or the reference data it holds.

Model inputs ``library:NAME/ID`` are resolved by the Context's ``library``
(:class:`tanzuji.store.library.DatabaseLibrarySource`) wherever a model is computed.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

from pydantic import ConfigDict, Field
from sqlalchemy.orm import Session

from tanzuji import gases
from tanzuji.context import Context
from tanzuji.errors import LibraryError, NotFound
from tanzuji.factors.database import (
    ImportReport,
    ReleaseInfo,
    guess_format,
    private_copy,
    read_file,
)
from tanzuji.factors.importers import limits as import_limits
from tanzuji.factors.importers import mapped_table
from tanzuji.factors.record import FactorRecord
from tanzuji.library import elementary, formats, linking, matrices, quantities
from tanzuji.library.derive import Derivation, LibraryProvenance, derived_records
from tanzuji.library.model import Library
from tanzuji.library.report import report_bytes, report_rows
from tanzuji.library.shipped import About, derived_document, read_derived, shipped_derived
from tanzuji.library.solve import gas_intensities, library_calculation, scores_by_column
from tanzuji.library.sources import Member
from tanzuji.services import factors
from tanzuji.services.base import Request, Result, run_unit_of_work
from tanzuji.services.factors import check_upload_size, require_steward
from tanzuji.store import library as repository
from tanzuji.store.factor_repository import add_records_in, create_release_in

#: Formats whose flows, flow properties and unit groups are reference data of their own.
REFERENCE_FORMATS = ("jsonld", "ilcd")

_BYTES = ConfigDict(frozen=True, extra="forbid", ser_json_bytes="base64", val_json_bytes="base64")


# -- requests and results ---------------------------------------------------------------------
class PackageFile(Request):
    """One file of a library package: where it came from (messages), its name in the package
    and its content."""

    model_config = _BYTES

    location: str
    name: str
    content: bytes


def package_of(files: Sequence[Member]) -> list[PackageFile]:
    """The files a package reader yielded (:func:`tanzuji.library.sources.members`)."""
    return [PackageFile(location=m.location, name=m.name, content=m.data) for m in files]


class LibraryImportRequest(Request):
    """Import a package as the next version of library ``name``."""

    name: str
    about: About
    files: list[PackageFile] = Field(min_length=1)
    format: str | None = Field(None, description="jsonld, ecospold1, ecospold2, ilcd, simapro")
    rules: linking.LinkingRules = Field(default_factory=linking.LinkingRules)
    source_name: str = "upload"
    with_report: bool = Field(False, description="return the link report rows")


class ImportSummary(Result):
    """What :func:`import_library` did, with its timings in seconds."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    info: repository.LibraryVersionInfo
    decisions: dict[str, int]
    unit_problems: int
    unit_notes: int
    gas_flows: dict[str, int]
    seconds: dict[str, float] = Field(default_factory=dict)
    report: list[dict[str, Any]] | None = None


class DeriveRequest(Request):
    """Derive the cradle-to-gate factors of a stored library version."""

    name: str
    version: int | None = Field(None, description="default: the newest")
    gwp_set: str | None = Field(None, description="default: setting gwp_set")
    reviewer: str | None = Field(None, description="publish the factors, signed off by")
    release: str | None = Field(None, description="then make this factor release")


class DeriveSummary(Result):
    """What :func:`derive_factors` did."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    info: repository.LibraryVersionInfo
    gwp_set: str
    factors: int
    skipped: list[tuple[str, str]]
    factor_import: ImportReport | None
    release: ReleaseInfo | None
    derivation_id: int
    seconds: dict[str, float]
    records: list[FactorRecord]


class LibraryView(Result):
    """One stored library version and its derivations."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    info: repository.LibraryVersionInfo
    derivations: list[dict[str, Any]]


class FactorTableRequest(Request):
    """Import a factor table with foreign columns through a column mapping."""

    model_config = _BYTES

    name: str = Field(description="file name (.csv or .xlsx): messages, the import log")
    content: bytes
    columns: dict[str, str] = Field(default_factory=dict, description="field -> column")
    constants: dict[str, str] = Field(default_factory=dict, description="field -> text")
    mapping_name: str | None = Field(None, description="start from this saved mapping")
    save_as: str | None = Field(None, description="save the mapping under this name")
    dry_run: bool = False
    status: str | None = None
    reviewer: str | None = None
    exclude_licences: tuple[str, ...] = ()


class TableImport(Result):
    """What :func:`import_factor_table` did or, with ``dry_run``, would do."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    preview: mapped_table.Preview
    mapping: mapped_table.ColumnMapping
    actions: dict[str, str] = Field(description='factor id -> "new", "new_version", "unchanged"')
    report: ImportReport | None = None
    saved_version: int | None = None


class FileImport(Result):
    """A factor file's import: factor records, or reference data when it holds only those."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    factors: ImportReport | None = None
    reference: dict[str, dict[str, int]] | None = None


# -- reading packages -------------------------------------------------------------------------
def read_library(files: Sequence[PackageFile], fmt: str | None = None) -> tuple[Library, str]:
    """The library a package holds and its content hash.

    The hash is SHA-256 over the sorted ``name:sha256(bytes)`` lines of the package's files.
    """
    members = [Member(f.location, f.name, f.content) for f in files]
    lines = sorted(f"{m.name}:{hashlib.sha256(m.data).hexdigest()}" for m in members)
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    return formats.read(fmt or formats.detect(members), members), digest


# -- import -----------------------------------------------------------------------------------
def import_library(context: Context, request: LibraryImportRequest) -> ImportSummary:
    """Import a library package as the next version of ``request.name``, in one transaction.

    Every exchange that needs a provider is linked or reported (never dropped silently). A
    library whose linked technosphere cannot be solved is refused before anything is stored.
    Timings: ``read`` (parse), ``link`` (units, flows, providers), ``store``, ``total``.

    Raises
    ------
    LibraryError
        Unknown format, a package without processes, a process without a usable reference.
    SingularTechnosphere
        The linked technosphere cannot be solved (nothing is stored).
    """
    require_steward(context, "import a process library")
    repository.check_name(request.name, "library")
    started = time.perf_counter()
    with import_limits.applied(context.limits):
        library, digest = read_library(request.files, request.format)
    if not library.processes:
        raise LibraryError(
            f"the package holds no process ({library.counts()['flows']} flows); expected a "
            "process library — import reference data with `tanzuji library reference PATH` / "
            "数据包中没有过程",
            location=request.source_name,
        )
    read_done = time.perf_counter()
    unit_problems = quantities.normalise(library)
    mappings = {f.id: elementary.map_flow(f) for f in library.flows.values()}
    linked = linking.link(library, request.rules)
    # refuse a library that cannot be solved (SingularTechnosphere names the processes)
    library_calculation(matrices.build(library, linked, mappings), "AR6")
    link_done = time.perf_counter()
    counts = _import_counts(library, linked, mappings, unit_problems)
    about = request.about
    meta = repository.LibraryMeta(
        name=request.name,
        title=about.title,
        publisher=about.publisher,
        licence=about.licence,
        notice=about.notice,
        format=library.format,
        source_name=request.source_name[:500],
        content_hash=digest,
        url=about.url,
        accessed=about.accessed,
    )

    def store(session: Session) -> repository.LibraryVersionInfo:
        info = repository.save_library(session, meta, library, linked, mappings, counts)
        if library.format in REFERENCE_FORMATS:
            repository.save_reference(session, library, meta.source_name)
        return info

    info = run_unit_of_work(context, store)
    stored = time.perf_counter()
    return ImportSummary(
        info=info,
        decisions=counts["decisions"],
        unit_problems=counts["unit_problems"],
        unit_notes=counts["unit_notes"],
        gas_flows=counts["gas_flows"],
        seconds={
            "read": read_done - started,
            "link": link_done - read_done,
            "store": stored - link_done,
            "total": stored - started,
        },
        report=report_rows(library, linked, mappings) if request.with_report else None,
    )


def _import_counts(
    library: Library,
    linked: linking.Linking,
    mappings: dict[str, elementary.GasMapping],
    unit_problems: list[Any],
) -> dict[str, Any]:
    """What a stored library version records about itself (counts of everything)."""
    return {
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


# -- reading stored libraries -----------------------------------------------------------------
def libraries(context: Context) -> list[repository.LibraryVersionInfo]:
    """Every stored library version, by name and version."""
    with context.unit_of_work(write=False) as session:
        return repository.versions(session)


def library(context: Context, name: str, version: int | None = None) -> LibraryView:
    """One stored library version (default: the newest) and its derivation runs."""
    with context.unit_of_work(write=False) as session:
        info = repository.version_info(repository.version_row(session, name, version))
        return LibraryView(info=info, derivations=repository.derivations(session, info.id))


def link_report(
    context: Context, name: str, version: int | None = None
) -> tuple[repository.LibraryVersionInfo, list[dict[str, Any]]]:
    """The link report of a stored library version: one row per decision (stored links)."""
    with context.unit_of_work(write=False) as session:
        stored = repository.load_library(session, name, version)
    return stored.info, report_rows(stored.library, stored.linking, stored.mappings)


def report_file(
    info: repository.LibraryVersionInfo, rows: list[dict[str, Any]], *, as_csv: bool
) -> bytes:
    """The link report as CSV, or as JSON headed by the library version it describes."""
    header = {
        "library": info.name,
        "version": info.version,
        "content_hash": info.content_hash,
        "rules": info.rules,
        "counts": info.counts,
    }
    return report_bytes(rows, header, as_csv=as_csv)


def scores_by_process(
    context: Context, name: str, gwp_set: str | None = None, version: int | None = None
) -> dict[str, float]:
    """Cradle-to-gate kg CO2e per reference unit of every column of a stored library."""
    with context.unit_of_work(write=False) as session:
        stored = repository.load_library(session, name, version)
    system = matrices.build(stored.library, stored.linking, stored.mappings)
    return scores_by_column(system, gwp_set)


# -- derived factors --------------------------------------------------------------------------
def derive_factors(context: Context, request: DeriveRequest) -> DeriveSummary:
    """Publish the cradle-to-gate intensity of every process of a stored library as factors.

    One factorization and one transposed solve per greenhouse-gas row (outside any
    transaction); then, in one unit of work, the records go into the factor database as one
    import (``draft``, or ``published`` when a ``reviewer`` signs them off), the release
    ``request.release`` is made when asked (it needs the reviewer) and the run is logged in
    ``library_derivations``: all of it, or nothing.

    Raises
    ------
    LibraryError
        ``release`` without ``reviewer``.
    """
    require_steward(context, "derive factors")
    chosen = gases.check_gwp_set(request.gwp_set or str(context.settings.gwp_set))
    reviewer, release = request.reviewer, request.release
    if release and not reviewer:
        raise LibraryError(
            f"release {release!r} needs published factors: name the reviewer who signs the "
            "derived factors off (--reviewer) / 发布版本需要审核人"
        )
    started = time.perf_counter()
    with context.unit_of_work(write=False) as session:
        stored = repository.load_library(session, request.name, request.version)
    loaded = time.perf_counter()
    system = matrices.build(stored.library, stored.linking, stored.mappings)
    calculation = library_calculation(system, chosen)
    scores = calculation.intensities()
    amounts = gas_intensities(calculation)
    solved = time.perf_counter()
    info = stored.info
    status = "published" if reviewer else "draft"
    derivation = Derivation(chosen, status=status)
    records, skipped = derived_records(
        stored.library, system, stored.linking, amounts, scores, _provenance(info), derivation
    )
    skipped_pairs = [(s.location, s.reason) for s in skipped]

    def store(session: Session) -> tuple[ImportReport, ReleaseInfo | None, int]:
        report = add_records_in(
            session,
            records,
            f"library {info.name} v{info.version} derived ({chosen})",
            status=status,
            reviewer=reviewer,
            skipped=skipped_pairs,
        )
        made = None
        if release:
            note = _release_note(info, chosen)
            made = create_release_in(session, release, note=note, created_by=reviewer)
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
        return report, made, derivation_id

    report, made, derivation_id = run_unit_of_work(context, store)
    done = time.perf_counter()
    return DeriveSummary(
        info=info,
        gwp_set=chosen,
        factors=len(records),
        skipped=skipped_pairs,
        factor_import=report,
        release=made,
        derivation_id=derivation_id,
        seconds={
            "load": loaded - started,
            "solve": solved - loaded,
            "store": done - solved,
            "total": done - started,
        },
        records=records,
    )


def _provenance(info: repository.LibraryVersionInfo) -> LibraryProvenance:
    return LibraryProvenance(
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


def derived_file(summary: DeriveSummary, about: About, *, compress: bool) -> bytes:
    """Derived factors as a shippable file: records, provenance and the entire notice."""
    info = summary.info
    header = {
        "library": info.name,
        "library_version": info.version,
        "library_title": info.title,
        "content_hash": info.content_hash,
        "rules": info.rules,
        "counts": info.counts,
        "gwp_set": summary.gwp_set,
    }
    return derived_document(header, summary.records, about, compress=compress)


def about_of(info: repository.LibraryVersionInfo) -> About:
    """What a stored library version says about itself, as an :class:`About`."""
    return About(
        title=info.title,
        publisher=info.publisher,
        licence=info.licence,
        notice=info.notice,
        url=info.url,
        accessed=info.accessed,
    )


def load_shipped(context: Context, name: str, *, reviewer: str | None = None) -> ImportReport:
    """Import a shipped derived-factor file (``draft``, or ``published`` with a reviewer)."""
    require_steward(context, "import factors")
    files = shipped_derived()
    if name not in files:
        raise NotFound(
            f"no shipped derived factors {name!r}; shipped: {', '.join(files) or 'none'}"
        )
    _, records = read_derived(files[name])
    return context.factor_database().add_records(
        records,
        f"shipped derived factors {name}",
        status="published" if reviewer else "draft",
        reviewer=reviewer,
    )


# -- reference data ---------------------------------------------------------------------------
def import_reference(
    context: Context,
    files: Sequence[PackageFile],
    *,
    fmt: str | None = None,
    source_name: str = "upload",
) -> dict[str, dict[str, int]]:
    """Import the unit groups, flow properties and flows of a package into reference tables.

    Raises
    ------
    LibraryError
        The package is not JSON-LD or ILCD, or holds no reference data.
    """
    require_steward(context, "import reference data")
    with import_limits.applied(context.limits):
        library, _ = read_library(files, fmt)
    if library.format not in REFERENCE_FORMATS:
        raise LibraryError(
            f"reference data come in openLCA JSON-LD or ILCD; this is {library.format}, whose "
            "flows exist only as names in processes",
            location=source_name,
        )
    if not (library.flows or library.flow_properties or library.unit_groups):
        raise LibraryError(
            "the package holds no flow, flow property or unit group; expected reference data "
            "(openLCA JSON-LD flows/, flow_properties/, unit_groups/ or ILCD flows/, "
            "flowproperties/, unitgroups/) / 数据包中没有参考数据",
            location=source_name,
        )
    return run_unit_of_work(
        context, lambda s: repository.save_reference(s, library, source_name[:500])
    )


# -- factor files: foreign columns and reference data -----------------------------------------
def import_factor_table(context: Context, request: FactorTableRequest) -> TableImport:
    """Import a factor table with foreign columns through a column mapping.

    The mapping is the saved mapping ``mapping_name`` (if any) with ``columns`` and
    ``constants`` on top. ``dry_run`` only previews: the rows, the first records, every
    problem, and for each record whether it would be new, a new version or unchanged.
    Otherwise the records are imported and, with ``save_as``, the mapping is saved under that
    name (a new version when it changed) in the same transaction: both, or neither.

    Raises
    ------
    FactorImportError
        Not a dry run and the table has problems (listed; nothing is written).
    """
    if not request.dry_run:
        require_steward(context, "import factors")
    if request.save_as:
        repository.check_name(request.save_as, "mapping")
    mapping = mapped_table.ColumnMapping(dict(request.columns), dict(request.constants))
    with context.unit_of_work(write=False) as session:
        if request.mapping_name:
            saved_columns, saved_constants, _ = repository.get_mapping(  # type: ignore[misc]
                session, request.mapping_name
            )
            mapping = mapped_table.ColumnMapping(saved_columns, saved_constants).merged(mapping)
    with import_limits.applied(context.limits), private_copy(request.name, request.content) as path:
        preview = mapped_table.preview(path, mapping)
        preview.problems[:] = [p.replace(str(path), request.name) for p in preview.problems]

    def work(session: Session) -> TableImport:
        ids = [r.id for r in preview.records]
        actions = _table_actions(preview.records, repository.latest_factor_hashes(session, ids))
        if request.dry_run:
            return TableImport(preview=preview, mapping=mapping, actions=actions)
        records = mapped_table.records_of(preview, request.name)
        report = add_records_in(
            session,
            records,
            request.name,
            status=request.status,
            reviewer=request.reviewer,
            exclude_licences=request.exclude_licences,
        )
        saved = None
        if request.save_as:
            saved = repository.save_mapping(
                session, request.save_as, mapping.columns, mapping.constants
            )
        return TableImport(
            preview=preview, mapping=mapping, actions=actions, report=report, saved_version=saved
        )

    if request.dry_run:
        with context.unit_of_work(write=False) as session:
            return work(session)
    return run_unit_of_work(context, work)


def _table_actions(
    records: list[FactorRecord], latest: dict[str, tuple[int, str]]
) -> dict[str, str]:
    """For each record: ``new``, ``unchanged`` (same content as the newest version) or
    ``new_version``."""

    def action(record: FactorRecord) -> str:
        if record.id not in latest:
            return "new"
        version, digest = latest[record.id]
        same = record.model_copy(update={"version": version}).content_hash() == digest
        return "unchanged" if same else "new_version"

    return {r.id: action(r) for r in records}


def import_factor_file(context: Context, request: factors.ImportRequest) -> FileImport:
    """Import a factor file (:func:`tanzuji.services.factors.import_file`); a JSON-LD or ILCD
    file of flows, flow properties and unit groups (reference data, no process, no factor)
    goes into the reference tables instead.

    Raises
    ------
    FactorImportError, UnknownImportFormat
        Naming the file, record, field, what was found and what was expected; nothing is
        written.
    """
    require_steward(context, "import factors")
    check_upload_size(context, request.name, request.content)
    with import_limits.applied(context.limits), private_copy(request.name, request.content) as path:
        chosen = request.format or guess_format(path)
        if chosen in REFERENCE_FORMATS and not read_file(path, chosen)[0]:
            files = [PackageFile(location=request.name, name=path.name, content=request.content)]
            library, _ = read_library(files, chosen)
            if (library.flows or library.flow_properties or library.unit_groups) and not (
                library.processes
            ):
                saved = run_unit_of_work(
                    context, lambda s: repository.save_reference(s, library, request.name)
                )
                return FileImport(reference=saved)
    return FileImport(factors=factors.import_file(context, request))


__all__ = [
    "REFERENCE_FORMATS",
    "DeriveRequest",
    "DeriveSummary",
    "FactorTableRequest",
    "FileImport",
    "ImportSummary",
    "LibraryImportRequest",
    "LibraryView",
    "PackageFile",
    "TableImport",
    "about_of",
    "derive_factors",
    "derived_file",
    "import_factor_file",
    "import_factor_table",
    "import_library",
    "import_reference",
    "libraries",
    "library",
    "link_report",
    "load_shipped",
    "package_of",
    "read_library",
    "report_file",
    "scores_by_process",
]
