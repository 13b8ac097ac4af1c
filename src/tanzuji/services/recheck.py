"""Recheck every certificate against a new factor release as one (background) operation.

:func:`recheck_release` is a plain ``(context, request, progress)`` function: a job runner
runs it in the background and shows ``progress(done, total)`` (certificates compared). The
certificates are read in one read-only transaction; each distinct model is recomputed once
(:mod:`tanzuji.scale.recheck`); the result lists the certificates whose footprint moved by
more than the scheme's threshold (setting ``recheck_threshold_percent``, or the request's).
Nothing is written: what to do with a moved certificate (a revision, a suspension) is the
certification workflow's decision.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import Field

from tanzuji.certify.recheck import RecheckRow
from tanzuji.certify.records import Application
from tanzuji.context import Context
from tanzuji.scale.recheck import recheck_grouped
from tanzuji.services.base import Request, Result
from tanzuji.services.batch import Progress
from tanzuji.store.certify import CertificationRepository


class ReleaseRecheckRequest(Request):
    """Which release to recheck against, and the threshold (default: the setting)."""

    release: str = Field(description="the new factor release")
    threshold_percent: float | None = Field(
        None, ge=0.0, description="None: setting recheck_threshold_percent"
    )


class MovedCertificate(Result):
    """A certificate whose footprint moved under the release."""

    certificate_id: str
    application_id: str
    changed_factors: list[str]
    certified_kg_co2e: float
    recomputed_kg_co2e: float | None
    delta_kg_co2e: float | None
    delta_percent: float | None
    problem: str | None = None

    @classmethod
    def of(cls, row: RecheckRow) -> MovedCertificate:
        return cls(
            certificate_id=row.certificate_id,
            application_id=row.application_id,
            changed_factors=row.changed_factors,
            certified_kg_co2e=row.certified_kg_co2e,
            recomputed_kg_co2e=row.recomputed_kg_co2e,
            delta_kg_co2e=row.delta_kg_co2e,
            delta_percent=row.delta_percent,
            problem=row.problem,
        )


class ReleaseRecheckResult(Result):
    release: str
    threshold_percent: float
    #: Certified applications compared, and distinct models computed for them.
    checked: int
    models: int
    #: Certificates whose factors changed (any amount).
    affected: int
    #: Those that moved beyond the threshold, and those that cannot be recomputed.
    moved: list[MovedCertificate]
    problems: list[MovedCertificate]
    seconds: float


def recheck_release(
    context: Context, request: ReleaseRecheckRequest, progress: Progress | None = None
) -> ReleaseRecheckResult:
    """Certificates whose footprint moves beyond the threshold under ``request.release``
    (复核: 新因子发布后超出阈值的证书).

    Raises
    ------
    NotFound
        The release does not exist.
    StoreUnavailable
        There is no database.
    """
    pinned = context.with_release(request.release)
    threshold = (
        float(context.settings.recheck_threshold_percent)
        if request.threshold_percent is None
        else request.threshold_percent
    )
    with context.unit_of_work(write=False) as session:
        repository = CertificationRepository(session)
        applications = [
            a
            for a in repository.applications()
            if a.certificate_id is not None and a.current_model is not None
        ]
        files = _files_by_set(repository, applications)
    report = recheck_grouped(
        applications,
        pinned.factors.source,
        threshold_percent=threshold,
        matcher=pinned.factors.matcher,
        files=lambda a: files[_file_set(a)],
        solver_options=context.solver_options,
        library=context.library,
        progress=progress,
    )
    return ReleaseRecheckResult(
        release=request.release,
        threshold_percent=threshold,
        checked=report.checked,
        models=report.models,
        affected=len(report.affected),
        moved=[MovedCertificate.of(r) for r in report.moved],
        problems=[MovedCertificate.of(r) for r in report.problems],
        seconds=report.seconds,
    )


def _file_set(application: Application) -> tuple[tuple[str, str], ...]:
    model = application.current_model
    return tuple(sorted(model.files.items())) if model is not None else ()


def _files_by_set(
    repository: CertificationRepository, applications: list[Application]
) -> dict[tuple[tuple[str, str], ...], Mapping[str, bytes]]:
    """Each distinct set of model files read once (thousands of certificates share a few)."""
    out: dict[tuple[tuple[str, str], ...], Mapping[str, bytes]] = {}
    for application in applications:
        key = _file_set(application)
        if key not in out and application.current_model is not None:
            out[key] = repository.model_files(application.current_model)
    return out


__all__ = [
    "MovedCertificate",
    "ReleaseRecheckRequest",
    "ReleaseRecheckResult",
    "recheck_release",
]
