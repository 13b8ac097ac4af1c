"""Recheck: which certificates does a new factor release touch, and by how much?

A certificate names the exact factors its footprint was computed from (id, version, content
hash, in ``footprint.inputs.factors``). For a new release, every factor whose content hash
differs in the release marks the certificate as affected; its model version is recomputed
against the release and the delta reported.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel

from tanzuji.certify.records import Application
from tanzuji.certify.workflow import CERTIFIED
from tanzuji.errors import TanzujiError
from tanzuji.factors.base import FactorSource
from tanzuji.footprint import calculate
from tanzuji.model.files import load_model_text


class RecheckRow(BaseModel):
    certificate_id: str
    application_id: str
    changed_factors: list[str]
    certified_kg_co2e: float
    recomputed_kg_co2e: float

    @property
    def delta_kg_co2e(self) -> float:
        return self.recomputed_kg_co2e - self.certified_kg_co2e

    @property
    def delta_percent(self) -> float:
        return (
            100.0 * self.delta_kg_co2e / self.certified_kg_co2e if self.certified_kg_co2e else 0.0
        )


def changed_factors(application: Application, release: FactorSource) -> list[str]:
    """Ids of the factors used by the certified model whose content differs in ``release``."""
    model = application.current_model
    if model is None:
        return []
    changed = []
    for used in model.footprint["inputs"]["factors"]:
        if used.get("release") is None:
            continue  # inline or CSV factor of the model itself: a release does not change it
        try:
            now = release.resolve(used["id"])
        except TanzujiError:
            continue  # dropped from the release: reported by the factor database, not here
        if now.content_hash() != used["sha256"]:
            changed.append(used["id"])
    return changed


def recheck(
    applications: Iterable[Application], release: FactorSource, gwp_set: str | None = None
) -> list[RecheckRow]:
    """Affected certificates with their recomputed footprints (per functional unit)."""
    rows = []
    for application in applications:
        if application.state not in CERTIFIED or application.current_model is None:
            continue
        changed = changed_factors(application, release)
        if not changed:
            continue
        model = application.current_model
        loaded = load_model_text(model.model_text, f"{application.id} model v{model.version}")
        footprint = calculate(
            loaded, gwp_set=gwp_set or model.footprint["gwp_set"], factor_source=release
        )
        rows.append(
            RecheckRow(
                certificate_id=application.certificate_id or "",
                application_id=application.id,
                changed_factors=changed,
                certified_kg_co2e=model.total_kg_co2e,
                recomputed_kg_co2e=footprint.total_kg_co2e,
            )
        )
    return rows
