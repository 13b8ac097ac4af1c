"""The records of certification: actors, applications, findings, evidence, audit trail, claims.

These are plain pydantic records; :mod:`tanzuji.certify.workflow` moves them between states
and :mod:`tanzuji.store` persists them.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from tanzuji.certify.serials import SerialRange, canonical_range, parse_serial_number
from tanzuji.errors import CertificationError


class Role(StrEnum):
    applicant = "applicant"  # staff of the enterprise that applies
    verifier = "verifier"  # staff of an accredited certification / verification body
    decision_maker = "decision_maker"  # certification decision maker of that body
    administrator = "administrator"  # platform operator: issues, renews, expires, keys
    data_steward = "data_steward"  # reviews and publishes emission factors, makes releases
    public = "public"  # anyone: reads status, verifies


class State(StrEnum):
    draft = "draft"
    submitted = "submitted"
    document_review = "document_review"
    data_verification = "data_verification"
    decision = "decision"
    approved = "approved"
    rejected = "rejected"
    issued = "issued"
    under_surveillance = "under_surveillance"
    renewed = "renewed"
    suspended = "suspended"
    revoked = "revoked"
    expired = "expired"
    superseded = "superseded"  # a newer certificate of the same product and label replaced it


class LabelType(StrEnum):
    disclosure = "disclosure"  # 碳披露
    reduction = "reduction"  # 碳减排
    neutrality = "neutrality"  # 碳中和


class Organisation(BaseModel):
    id: str
    name: str
    kind: Literal["enterprise", "certification_body", "platform", "public"]
    accredited: bool = Field(False, description="certification bodies: accreditation in force")


class Actor(BaseModel):
    """A person acting in one role for one organisation."""

    id: str
    name: str
    role: Role
    organisation: Organisation

    def administers_platform(self) -> bool:
        """The administrator role for a ``platform`` organisation. An administrator of an
        enterprise or a body (possible in data imported from a participants file of an
        earlier version) administers nothing."""
        return self.role is Role.administrator and self.organisation.kind == "platform"


class EvidenceFile(BaseModel):
    name: str
    sha256: str
    size_bytes: int
    added_by: str
    added_at: dt.datetime


class Finding(BaseModel):
    """A verifier's finding during data verification."""

    id: int
    raised_by: str
    text: str
    severity: Literal["error", "warning"] = "error"
    answer: str | None = None
    answered_by: str | None = None
    closed: bool = False


class ModelVersion(BaseModel):
    """One version of the applicant's product model and the footprint computed from it."""

    version: int
    model_sha256: str
    model_text: str
    model_format: Literal["yaml", "json"] = "yaml"
    reason: str
    created_by: str
    created_at: dt.datetime
    footprint: dict[str, Any] = Field(description="the Footprint result as JSON")
    files: dict[str, str] = Field(
        default_factory=dict,
        description="files the model uses (its factor_files): name as written -> SHA-256 of "
        "the content, which the store keeps (cert_model_files)",
    )

    @property
    def total_kg_co2e(self) -> float:
        return float(self.footprint["total_kg_co2e"])


class FactorWaiver(BaseModel):
    """The verifier's statement that a draft, illustrative or unsourced factor may stand in
    this certified result, and why (:mod:`tanzuji.certify.provenance`)."""

    factor_id: str
    version: str
    sha256: str = Field(description="the factor content the waiver is about")
    concerns: list[str] = Field(description="illustrative, unsourced, draft, deprecated")
    reason: str = Field(min_length=1)
    waived_by: str
    waived_at: dt.datetime


class AuditEntry(BaseModel):
    """One line of the append-only audit trail: who, when, what, why."""

    seq: int
    at: dt.datetime
    actor_id: str
    role: Role
    organisation_id: str
    action: str
    from_state: State | None
    to_state: State | None
    reason: str


class CreditRetirement(BaseModel):
    """A block of retired carbon credits; one credit is one tonne CO2e (VCS/Gold Standard/CCER).

    Serial numbers are ``serial_prefix`` + a block number from ``serial_start`` to
    ``serial_end`` inclusive, or ``serial_number`` exactly as the registry prints the retired
    block (Verra, Gold Standard; the numbers are then read from it). Blocks are compared in
    the canonical form of :mod:`tanzuji.certify.serials`.
    """

    registry: str = Field(description="e.g. Verra VCS, Gold Standard, CCER")
    serial_prefix: str = Field("", description="the part of the serial before the block numbers")
    serial_start: int = Field(ge=0)
    serial_end: int = Field(ge=0)
    serial_number: str | None = Field(
        None, description="the block's serial number as the registry prints it (Verra, GS)"
    )
    vintage: int = Field(ge=1990, le=2100)
    quantity_t_co2e: float = Field(gt=0)
    retirement_date: dt.date
    project: str = ""

    @model_validator(mode="before")
    @classmethod
    def _numbers_from_serial_number(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not data.get("serial_number"):
            return data
        try:
            printed = parse_serial_number(str(data.get("registry", "")), str(data["serial_number"]))
        except CertificationError as exc:
            raise ValueError(exc.message) from None
        for field, value in (("serial_start", printed.start), ("serial_end", printed.end)):
            given = data.get(field)
            if given is not None and given != value:
                raise ValueError(
                    f"{field} {given} disagrees with serial_number {data['serial_number']!r} "
                    f"({value})"
                )
        return {"serial_start": printed.start, "serial_end": printed.end, **data}

    @model_validator(mode="after")
    def _range_matches_quantity(self) -> CreditRetirement:
        if self.serial_end < self.serial_start:
            raise ValueError(
                f"serial range ends ({self.serial_end}) before it starts ({self.serial_start})"
            )
        count = self.serial_end - self.serial_start + 1
        if abs(count - self.quantity_t_co2e) > 1e-9:
            raise ValueError(
                f"serial range {self.serial_start}-{self.serial_end} holds {count} credits but "
                f"quantity_t_co2e is {self.quantity_t_co2e:g}; one credit is one tonne"
            )
        try:
            self.serial_range()
        except CertificationError as exc:
            raise ValueError(exc.message) from None
        return self

    def serial_range(self) -> SerialRange:
        """The block in canonical form (registry key, prefix, integer range)."""
        if self.serial_number:
            return parse_serial_number(self.registry, self.serial_number)
        return canonical_range(
            self.registry, self.serial_prefix, self.serial_start, self.serial_end
        )

    def label(self) -> str:
        if self.serial_number:
            return f"{self.registry} {self.serial_number}"
        return f"{self.registry} {self.serial_prefix}{self.serial_start}-{self.serial_end}"


class NeutralityClaim(BaseModel):
    """What the applicant declares for a carbon-neutrality label (ISO 14068-1:2023)."""

    declared_units: float = Field(gt=0, description="functional units covered by the claim")
    period_start: dt.date
    period_end: dt.date
    retirements: list[CreditRetirement] = Field(min_length=1)
    reduction_plan: str = Field(min_length=20, description="the carbon-management plan")


class Application(BaseModel):
    """A certification application and everything that happened to it."""

    id: str
    applicant: Organisation
    created_by: str
    product_id: str
    product_name: dict[str, str]
    pcr_id: str
    pcr_version: str
    factor_release: str
    label_type: LabelType
    state: State = State.draft
    model_versions: list[ModelVersion] = Field(default_factory=list)
    evidence: list[EvidenceFile] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    pcr_error_count: int | None = Field(None, description="None until a PCR check was recorded")
    pcr_messages: list[str] = Field(default_factory=list)
    factor_waivers: list[FactorWaiver] = Field(default_factory=list)
    scheme: str = Field("gba", description="the certification scheme: validity, surveillance")
    verifier: Actor | None = None
    verifier_signed_off_at: dt.datetime | None = None
    decision_maker: Actor | None = None
    decision: Literal["approve", "reject"] | None = None
    baseline_certificate_id: str | None = None
    neutrality: NeutralityClaim | None = None
    label_details: dict[str, Any] = Field(default_factory=dict)
    certificate_id: str | None = None
    certificate_version: int = 0
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    declared_value: dict[str, Any] | None = Field(
        None,
        description="the label value under the PCR's removals rule, with and without "
        "removals (set at approval; :mod:`tanzuji.certify.removals`)",
    )
    superseded_by: str | None = None
    audit: list[AuditEntry] = Field(default_factory=list)

    @property
    def current_model(self) -> ModelVersion | None:
        return self.model_versions[-1] if self.model_versions else None
