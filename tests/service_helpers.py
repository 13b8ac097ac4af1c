"""Shared helpers of the service tests (not a test module): a Context per test, the cast."""

from __future__ import annotations

from pathlib import Path

from tanzuji.context import Context
from tanzuji.factors.importers import limits
from tanzuji.library.sources import members
from tanzuji.services import certification, demo, library
from tanzuji.settings import Settings
from tanzuji.store import db

ROOT = Path(__file__).resolve().parents[1]
BATTERY = ROOT / "examples" / "lfp_battery_pack.yaml"


def service_context(database_url: str, data_dir: Path) -> Context:
    """A Context on ``database_url`` (migrated), keys in ``data_dir``, the demo's cast added."""
    db.database_for(database_url).upgrade()
    snapshot = Settings.defaults().replace(database_url=database_url, data_dir=str(data_dir))
    ctx = Context.from_settings(snapshot)
    demo.participants(ctx)
    return ctx


def as_user(ctx: Context, user: str) -> Context:
    """``ctx`` acted in by one of the demo's users (applicant, verifier, decider, admin)."""
    return ctx.with_user(user)


def to_decision(ctx: Context, application_id: str, waivers: dict[str, str] | None = None) -> None:
    """Submit, review (no PCR errors recorded), accept and sign off an application; ``waivers``
    (factor id -> reason) are recorded by the verifier before the sign-off (the factor gate)."""
    step = certification.ReviewRequest
    certification.submit(as_user(ctx, "applicant"), application_id)
    verifier = as_user(ctx, "verifier")
    for action in ("start", "accept"):
        certification.review(verifier, step(application_id=application_id, action=action))
        if action == "start":
            certification.review(
                verifier,
                step(application_id=application_id, action="pcr-check", findings=[]),
            )
    for factor_id, reason in (waivers or {}).items():
        certification.review(
            verifier,
            step(application_id=application_id, action="waive", factor_id=factor_id, text=reason),
        )
    certification.review(verifier, step(application_id=application_id, action="sign-off"))


def certify(
    ctx: Context, application_id: str, waivers: dict[str, str] | None = None
) -> certification.CertificateResult:
    """Take an applied application to an issued certificate (``waivers`` as in to_decision)."""
    to_decision(ctx, application_id, waivers)
    certification.decide(
        as_user(ctx, "decider"),
        certification.DecideRequest(application_id=application_id, approve=True, reason="ok"),
    )
    return certification.issue(as_user(ctx, "admin"), application_id)


def plain_context(database_url: str, data_dir: Path) -> Context:
    """A Context on ``database_url`` (migrated), nobody acting (the local operator)."""
    db.database_for(database_url).upgrade()
    snapshot = Settings.defaults().replace(database_url=database_url, data_dir=str(data_dir))
    return Context.from_settings(snapshot)


def import_package(ctx: Context, path: Path, name: str, about, **options) -> library.ImportSummary:
    """Import the library package at ``path`` (folder, zip or file) through the service."""
    with limits.applied(ctx.limits):
        files = library.package_of(list(members(path)))
    request = library.LibraryImportRequest(
        name=name, about=about, files=files, source_name=str(path), **options
    )
    return library.import_library(ctx, request)


def package(path: Path) -> list[library.PackageFile]:
    """The files of a package the way the command line reads them."""
    return library.package_of(list(members(path)))
