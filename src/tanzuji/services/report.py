"""Report service: the study report, charts, the battery declaration, comparisons, workbooks.

A report is made from explicit inputs (:class:`tanzuji.report.study.StudyInputs`): a footprint,
the model it was computed from, the PCR check and — for an issued certificate — the signed
certificate. This service gathers them from either source a user names:

- a model (:class:`~tanzuji.services.calculation.ModelInput`), computed here with the Context's
  factors under the calculation rules and parameter set asked for (the PCR the model names by
  default), with a Monte Carlo run when iterations are asked;
- an issued certificate, read from the store alone in one read-only unit of work: its
  application's current model version (text and files), the footprint that was certified, the
  PCR the application named and the certificate document.

Outputs are bytes (HTML, PDF, XLSX, JSON) or records; nothing is written to a file here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import ConfigDict, Field, model_validator

from tanzuji.certify.certificate import SignedCertificate
from tanzuji.context import Context
from tanzuji.errors import PcrError, ReportError
from tanzuji.footprint import Footprint
from tanzuji.model.files import LoadedModel, load_model_text
from tanzuji.pcr.checks import CheckReport
from tanzuji.report import charts as chart_builders
from tanzuji.report import compare as comparing
from tanzuji.report import declaration, terms
from tanzuji.report.documents import study_document
from tanzuji.report.study import StudyInputs
from tanzuji.report.workbook import workbook_bytes
from tanzuji.services import calculation
from tanzuji.services import pcr as pcr_service
from tanzuji.services.base import Request, Result
from tanzuji.services.calculation import ModelInput
from tanzuji.services.certification import pcr_ref
from tanzuji.store.certify import CertificationRepository

#: Media types of the documents this service returns, by format.
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
#: Relative cut-off of the Sankey diagram when none is asked (1 % of the total).
DEFAULT_SANKEY_CUTOFF = 0.01


class StudySource(Request):
    """What a report is about: a model (computed now) or an issued certificate (as stored).

    Exactly one of ``model`` and ``certificate_id``. The calculation options apply to a model
    only; a certificate's footprint is the certified one.
    """

    model: ModelInput | None = None
    certificate_id: str | None = None
    gwp_set: str | None = Field(None, description="AR4, AR5 or AR6 (default: setting gwp_set)")
    pcr: str | None = Field(None, description="PCR id or id@version (default: the model's)")
    allocation: str | None = None
    scenario: str | None = None
    sankey_cutoff: float = Field(DEFAULT_SANKEY_CUTOFF, ge=0.0, lt=1.0)
    monte_carlo_iterations: int = Field(0, ge=0, description="0: no uncertainty analysis")
    seed: int = 0

    @model_validator(mode="after")
    def _one_source(self) -> StudySource:
        if (self.model is None) == (self.certificate_id is None):
            raise ValueError("give a model or a certificate id, not both and not neither")
        if self.certificate_id is not None and self.monte_carlo_iterations:
            raise ValueError("Monte Carlo applies to a model, not to a stored certificate")
        return self


class ReportRequest(Request):
    """The CFP study report of ``source`` in one format and language."""

    source: StudySource
    format: str = Field("html", description="html, pdf or xlsx")
    lang: str = Field("both", description="zh, en or both")


class Document(Result):
    """A document: its bytes, media type and a file name to offer."""

    content: bytes
    media_type: str
    filename: str
    #: What could not be included and why (a PCR the check could not use, ...).
    notes: list[str] = Field(default_factory=list)


class ChartsRequest(Request):
    """Every chart of ``source`` with the data behind it and an interactive page."""

    source: StudySource
    lang: str = "both"
    png: bool = Field(False, description="also a PNG of every chart")


class ChartFiles(Result):
    """The files of a chart folder by relative path (``stages_by_gas.svg``, ``index.html``)."""

    model_config = ConfigDict(frozen=True, ser_json_bytes="base64", val_json_bytes="base64")

    files: dict[str, bytes]
    charts: int
    notes: list[str] = Field(default_factory=list)


class DeclarationRequest(Request):
    """The battery carbon-footprint declaration (Regulation (EU) 2023/1542 Art. 7) of a model
    computed per kWh over the service life."""

    model: ModelInput
    details: str = Field(description="the manufacturer's declaration details, YAML or JSON")
    details_name: str = "<declaration details>"
    format: str = Field("json", description="json or pdf")
    lang: str = "both"


class CompareRequest(Request):
    """Two results side by side; ``format`` html or pdf also returns a comparison document."""

    a: StudySource
    b: StudySource
    labels: tuple[str, str] = ("A", "B")
    format: str | None = Field(None, description="html or pdf document; None: the data only")
    lang: str = "both"


class CompareResult(Result):
    comparison: comparing.Comparison
    document: Document | None = None


class WorkbookRequest(Request):
    """A computed footprint and its model as an Excel workbook (``calc --xlsx``)."""

    model: ModelInput
    footprint: Footprint
    lang: str = "both"


# -- gathering the inputs --------------------------------------------------------------------------
@dataclass
class Study:
    """The inputs of a report, and what had to be left out."""

    inputs: StudyInputs
    notes: list[str] = field(default_factory=list)


def _pcr_check(
    context: Context,
    loaded: LoadedModel,
    footprint: Footprint,
    pcr: str | None,
    notes: list[str],
) -> CheckReport | None:
    """The PCR check of a result, None when no PCR is named or it cannot be used (noted)."""
    if not (pcr or loaded.model.product.pcr):
        return None
    try:
        return pcr_service.check_loaded(context, loaded, pcr, footprint=footprint)
    except PcrError as exc:
        notes.append(f"no PCR check 未做规则检查: {exc}")
        return None


def _model_study(context: Context, source: StudySource, model: ModelInput) -> Study:
    setup = calculation.prepare(
        context,
        calculation.Setup(
            model=model,
            gwp_set=source.gwp_set,
            pcr=source.pcr,
            allocation=source.allocation,
            scenario=source.scenario,
        ),
    )
    notes = [setup.note] if setup.note else []
    footprint, runs = calculation.compute(
        context,
        setup,
        gwp_set=source.gwp_set,
        tree_cutoff=source.sankey_cutoff,
        iterations=source.monte_carlo_iterations,
        seed=source.seed,
    )
    scores = runs.scores if runs is not None else None
    check = _pcr_check(context, setup.loaded, footprint, source.pcr, notes)
    inputs = StudyInputs(footprint, setup.loaded.model, check, None, scores, source.sankey_cutoff)
    return Study(inputs, notes)


def _certificate_study(context: Context, source: StudySource) -> Study:
    """The stored model version, certified footprint, PCR and certificate of an issued
    certificate (one read-only unit of work; nothing is recomputed)."""
    certificate_id = source.certificate_id or ""
    with context.unit_of_work(write=False) as session:
        repository = CertificationRepository(session)
        application = repository.by_certificate(certificate_id)
        version = application.current_model
        if version is None:
            raise ReportError(f"certificate {certificate_id} has no stored model version")
        files = repository.model_files(version)
        document = repository.certificate_document(certificate_id)
    loaded = load_model_text(
        version.model_text,
        f"{application.id} model v{version.version}",
        files,
        limits=context.limits,
    )
    footprint = Footprint.model_validate(version.footprint)
    notes: list[str] = []
    pcr = pcr_ref(application.pcr_id, application.pcr_version)
    check = _pcr_check(context, loaded, footprint, pcr, notes)
    certificate = SignedCertificate.of_file(document).certificate
    inputs = StudyInputs(footprint, loaded.model, check, certificate, None, source.sankey_cutoff)
    return Study(inputs, notes)


def study(context: Context, source: StudySource) -> Study:
    """The inputs of a report about ``source`` (a model computed now, or a certificate).

    Raises
    ------
    NotFound
        No such certificate, or its model files are not in the store.
    ModelError, UnknownFactor, NoFactorMatch, ...
        The model cannot be computed (file, line and field named).
    """
    if source.model is not None:
        return _model_study(context, source, source.model)
    return _certificate_study(context, source)


# -- documents ------------------------------------------------------------------------------------
def report(context: Context, request: ReportRequest) -> Document:
    """The CFP study report (ISO 14067:2018 clause 7; GB/T 24067-2024) as HTML, PDF or XLSX.

    Raises
    ------
    ReportError
        An unknown format or language, or inputs a section cannot be made from.
    """
    terms.check_language(request.lang)
    gathered = study(context, request.source)
    content = study_document(gathered.inputs, request.format, request.lang)
    return Document(
        content=content,
        media_type=MEDIA_TYPES.get(request.format, "application/octet-stream"),
        filename=f"{gathered.inputs.footprint.product_id}-report.{request.format}",
        notes=gathered.notes,
    )


def charts(context: Context, request: ChartsRequest) -> ChartFiles:
    """Every chart as SVG (and PNG), its Vega-Lite specification, its data as CSV and JSON,
    and an interactive page with the vendored scripts."""
    terms.check_language(request.lang)
    gathered = study(context, request.source)
    inputs = gathered.inputs
    drawn = chart_builders.footprint_charts(
        inputs.footprint,
        request.lang,
        sankey_cutoff=inputs.sankey_cutoff,
        scores=inputs.scores,
        model=inputs.model,
    )
    return ChartFiles(
        files=chart_builders.bundle(drawn, request.png), charts=len(drawn), notes=gathered.notes
    )


def declare(context: Context, request: DeclarationRequest) -> Document:
    """The battery carbon-footprint declaration as schema-valid JSON or a printable PDF; the
    footprint is computed under the calculation rules of the PCR the model names.

    Raises
    ------
    DeclarationError
        Details missing or invalid, a result not per 1 kWh, or JSON failing the schema.
    """
    details = declaration.parse_details(request.details, request.details_name)
    setup = calculation.prepare(context, calculation.Setup(model=request.model))
    footprint, _ = calculation.compute(context, setup)
    declared = declaration.declare(footprint, details)
    if request.format == "json":
        content = declaration.to_json(declared).encode("utf-8")
    elif request.format == "pdf":
        content = declaration.to_pdf(declared, request.lang)
    else:
        raise ReportError(f"unknown declaration format {request.format!r}; expected json or pdf")
    return Document(
        content=content,
        media_type=MEDIA_TYPES[request.format],
        filename=f"{declared.declaration_id}.{request.format}",
        notes=[setup.note] if setup.note else [],
    )


def compare(context: Context, request: CompareRequest) -> CompareResult:
    """Two results side by side by stage and process, the difference explained (activity and
    factor effects); with ``format`` the comparison document too.

    Raises
    ------
    ReportError
        When the functional units differ, or the document format is not html or pdf.
    """
    terms.check_language(request.lang)
    first, second = study(context, request.a), study(context, request.b)
    result = comparing.compare(first.inputs.footprint, second.inputs.footprint, request.labels)
    document = None
    if request.format is not None:
        document = Document(
            content=comparing.document(result, request.format, request.lang),
            media_type=MEDIA_TYPES.get(request.format, "application/octet-stream"),
            filename=f"comparison.{request.format}",
            notes=first.notes + second.notes,
        )
    return CompareResult(comparison=result, document=document)


def workbook(context: Context, request: WorkbookRequest) -> Document:
    """The whole result of a calculation as an Excel workbook (formula-safe cells)."""
    terms.check_language(request.lang)
    loaded = request.model.load(context.limits)
    content = workbook_bytes(StudyInputs(request.footprint, loaded.model), request.lang)
    return Document(
        content=content,
        media_type=MEDIA_TYPES["xlsx"],
        filename=f"{request.footprint.product_id}.xlsx",
    )


__all__ = [
    "ChartFiles",
    "ChartsRequest",
    "CompareRequest",
    "CompareResult",
    "DeclarationRequest",
    "Document",
    "ReportRequest",
    "Study",
    "StudySource",
    "WorkbookRequest",
    "charts",
    "compare",
    "declare",
    "report",
    "study",
    "workbook",
]
