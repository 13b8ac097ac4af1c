"""Demo service: the story ``make run`` tells, as operations anyone can run on a database.

1. :func:`load_factors` — the starter factors into the database, pinned as a release;
2. :func:`compute` — the example products' footprints from that release;
3. :func:`check` — each example against the PCR it names;
4. :func:`participants` and :func:`certify` — demo organisations and users, then one example
   certified end to end: apply, submit, review, PCR check, finding answered and closed,
   sign-off, approval, issue (signed and logged), label artwork with its QR code, and the
   offline verification of the QR read back from the PNG.

:func:`run` does all of it (a web page or a job loading demo data); the command line calls the
steps one by one to tell the story as it goes. Every step is idempotent where it can be: a
second run reuses the release and the users and issues a new certificate.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import Field

from tanzuji.certify.labels import decode_qr_image
from tanzuji.certify.records import Actor, Application, LabelType, Role
from tanzuji.certify.verify import Report
from tanzuji.context import Context
from tanzuji.errors import CertificationError
from tanzuji.factors.database import ImportReport, ReleaseInfo
from tanzuji.footprint import Footprint
from tanzuji.pcr.checks import CheckReport
from tanzuji.services import certification, factors, labels, organisations, pcr
from tanzuji.services.base import Request, Result
from tanzuji.services.calculation import ModelInput, footprint_of

#: Release the demo pins the starter data as when none is named.
DEMO_RELEASE = "2026.1"

#: The demo's organisations (ids, names in Chinese and English, kind, accreditation).
DEMO_ORGANISATIONS = (
    organisations.OrganisationRequest(
        id="demo-enterprise", name="示例电子有限公司 Demo Electronics Ltd", kind="enterprise"
    ),
    organisations.OrganisationRequest(
        id="demo-body",
        name="示例认证机构 Demo Certification Body",
        kind="certification_body",
        accredited=True,
    ),
    organisations.OrganisationRequest(
        id="platform", name="大湾区碳足迹平台 GBA Platform", kind="platform"
    ),
)

#: The demo's users: one per role the story needs.
DEMO_USERS = (
    organisations.UserRequest(
        id="applicant", name="Li Applicant", role=Role.applicant, organisation="demo-enterprise"
    ),
    organisations.UserRequest(
        id="verifier", name="Chan Verifier", role=Role.verifier, organisation="demo-body"
    ),
    organisations.UserRequest(
        id="decider", name="Wong Decider", role=Role.decision_maker, organisation="demo-body"
    ),
    organisations.UserRequest(
        id="admin", name="Platform Admin", role=Role.administrator, organisation="platform"
    ),
)


#: The web demo's extra user: a data steward of the platform (factor browser and releases).
DEMO_STEWARD = organisations.UserRequest(
    id="steward", name="Ho Data Steward", role=Role.data_steward, organisation="platform"
)

#: Password of every demo user on the web platform: the user id plus this suffix (a local demo
#: on 127.0.0.1 only; ``make run`` prints them).
DEMO_PASSWORD_SUFFIX = "-demo"


class Login(Result):
    user_id: str
    role: str
    organisation: str
    password: str | None = Field(description="None when the user already had a password")


def logins(context: Context) -> list[Login]:
    """The demo users with a password each for the web platform (``<id>-demo``; a password set
    before is kept and not shown), the data steward added."""
    from tanzuji.services import accounts  # the accounts service needs argon2 only here

    people = participants(context)
    known = {u.user.id for u in organisations.users(context)}
    if DEMO_STEWARD.id not in known:
        people[DEMO_STEWARD.id] = organisations.add_user(context, DEMO_STEWARD)
    else:
        people[DEMO_STEWARD.id] = organisations.actor(context, DEMO_STEWARD.id)
    shown = []
    for user_id, actor in people.items():
        password = None
        if not accounts.has_password(context, user_id):
            password = user_id + DEMO_PASSWORD_SUFFIX
            accounts.set_password(
                context, accounts.PasswordRequest(user_id=user_id, password=password)
            )
        shown.append(
            Login(
                user_id=user_id,
                role=actor.role.value,
                organisation=actor.organisation.id,
                password=password,
            )
        )
    return shown


class FactorStep(Result):
    imported: ImportReport
    release: ReleaseInfo
    created: bool


def load_factors(context: Context, release: str = DEMO_RELEASE) -> FactorStep:
    """Step 1: the starter data in the database, pinned as ``release`` (reused when it exists)."""
    report = factors.load_starter(context)
    info, created = factors.ensure_release(
        context, release, note="make run: starter data", created_by="demo"
    )
    return FactorStep(imported=report, release=info, created=created)


class Example(Result):
    """One example model and its footprint."""

    model: ModelInput
    footprint: Footprint


def compute(context: Context, models: Sequence[ModelInput]) -> list[Example]:
    """Step 2: each model's footprint with the Context's factors (pin the release first)."""
    return [
        Example(model=m, footprint=footprint_of(context, m.load(context.limits))) for m in models
    ]


def check(context: Context, examples: Sequence[Example]) -> list[CheckReport]:
    """Step 3: each example against the PCR it names; a failure stops the demo.

    Raises
    ------
    CertificationError
        When an example fails its PCR.
    """
    reports = []
    for example in examples:
        loaded = example.model.load(context.limits)
        report = pcr.check_loaded(context, loaded, footprint=example.footprint)
        reports.append(report)
        if not report.passed:
            raise CertificationError(
                f"example {example.model.name} fails its PCR {report.pcr}; see "
                f"`tanzuji pcr check {example.model.name}`"
            )
    return reports


def participants(context: Context) -> dict[str, Actor]:
    """The demo's organisations and users, added unless they exist; users by id."""
    known = {o.id for o in organisations.organisations(context)}
    for organisation in DEMO_ORGANISATIONS:
        if organisation.id not in known:
            organisations.add_organisation(context, organisation)
    users = {u.user.id: u.user for u in organisations.users(context)}
    for user in DEMO_USERS:
        if user.id not in users:
            users[user.id] = organisations.add_user(context, user)
    return {r.id: users[r.id] for r in DEMO_USERS}


class Certification(Result):
    """Step 4: what certifying one example produced, in order."""

    applied: Application
    pcr_check: str = Field(description="the PCR check line of the audit trail")
    decided: Application
    issued: Application
    document: dict
    label_png: bytes
    label_svg: bytes
    verification: Report


def certify(context: Context, model: ModelInput) -> Certification:
    """Step 4: certify ``model`` with a disclosure label, end to end (see the module notes).

    Raises
    ------
    CertificationError
        When the model fails its PCR or the issued label does not verify.
    """
    people = participants(context)
    as_ = {name: context.with_actor(actor) for name, actor in people.items()}
    named = model.load(context.limits).model.product.pcr
    if not named:
        raise CertificationError(
            f"{model.name}: product.pcr is not set; the demo certifies only a model that names "
            "its PCR"
        )
    pcr_id, _, pcr_version = str(named).partition("@")
    applied = certification.apply(
        as_["applicant"],
        certification.ApplyRequest(
            model=model,
            pcr_id=pcr_id,
            pcr_version=pcr_version or "latest",
            label=LabelType.disclosure,
        ),
    )
    app_id = applied.id
    certification.submit(as_["applicant"], app_id)
    review = certification.ReviewRequest
    verifier = as_["verifier"]
    certification.review(verifier, review(application_id=app_id, action="start"))
    checked = certification.review(verifier, review(application_id=app_id, action="pcr-check"))
    if checked.application.pcr_error_count:
        raise CertificationError(
            f"{model.name} fails its PCR: {'; '.join(checked.application.pcr_messages)}"
        )
    accepted = certification.review(verifier, review(application_id=app_id, action="accept"))
    # the example data marks the values it could not source; the demo verifier lets them stand
    # openly (each waiver is printed in the certificate) rather than hide them
    for concern in certification.open_factor_concerns(accepted.application):
        certification.review(
            verifier,
            review(
                application_id=app_id,
                action="waive",
                factor_id=concern.factor_id,
                text="demo only: example placeholder value, to be replaced by a sourced factor "
                "/ 仅为演示：示例占位值，须替换为有来源的因子",
            ),
        )
    certification.review(
        verifier,
        review(
            application_id=app_id,
            action="finding",
            text="Give the source of the electricity data / 请提供电力数据来源",
        ),
    )
    certification.answer(as_["applicant"], app_id, 1, "Metered plant data / 工厂电表数据")
    certification.review(verifier, review(application_id=app_id, action="close", finding_id=1))
    certification.review(verifier, review(application_id=app_id, action="sign-off"))
    decided = certification.decide(
        as_["decider"],
        certification.DecideRequest(application_id=app_id, approve=True, reason="conforms / 符合"),
    )
    issued = certification.issue(as_["admin"], app_id)
    document = issued.document or {}
    png = labels.label_of(document, labels.LabelFormat.png).content
    svg = labels.label_of(document, labels.LabelFormat.svg).content
    report = certification.verify_qr(decode_qr_image(png), context.keys.keyring(), context.now())
    if not report.ok:
        raise CertificationError(
            f"demo certificate {issued.application.certificate_id} did not verify"
        )
    return Certification(
        applied=applied,
        pcr_check=checked.application.audit[-1].reason,
        decided=decided,
        issued=issued.application,
        document=document,
        label_png=png,
        label_svg=svg,
        verification=report,
    )


class DemoRequest(Request):
    models: list[ModelInput] = Field(min_length=1, description="the first one is certified")
    release: str = DEMO_RELEASE


class DemoResult(Result):
    factors: FactorStep
    examples: list[Example]
    checks: list[CheckReport]
    certification: Certification


def run(context: Context, request: DemoRequest) -> DemoResult:
    """The whole demo on the Context's database (created when missing)."""
    step = load_factors(context, request.release)
    pinned = context.with_release(request.release)
    examples = compute(pinned, request.models)
    checks = check(pinned, examples)
    certified = certify(pinned, request.models[0])
    return DemoResult(factors=step, examples=examples, checks=checks, certification=certified)


__all__ = [
    "DEMO_ORGANISATIONS",
    "DEMO_PASSWORD_SUFFIX",
    "DEMO_RELEASE",
    "DEMO_STEWARD",
    "DEMO_USERS",
    "Certification",
    "DemoRequest",
    "DemoResult",
    "Example",
    "FactorStep",
    "Login",
    "certify",
    "check",
    "compute",
    "load_factors",
    "logins",
    "participants",
    "run",
]
