"""Recheck: which certificates does a new factor release touch, and by how much?

A certificate names the exact factors its footprint was computed from (id, version, content
hash, in ``footprint.inputs.factors``) — those named by id and those matched from an activity
text alike. For a new release, every certified model is recomputed from its stored text and
files with the release's factors (the same source for ids and matcher for texts) and the
factors used are compared one by one: a factor whose content hash differs, or one used on
only one side (a ``match:`` input now matched to another factor), marks the certificate as
affected, and the delta is reported. Factors from the model's own files never change. The
model is recomputed under the calculation rules its certified footprint records (the PCR's
allocation, credits, electricity basis, end of life, declared unit), so only the factors differ.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel

from tanzuji.certify.records import Application
from tanzuji.certify.workflow import CERTIFIED
from tanzuji.engine.solver import SolverOptions
from tanzuji.errors import TanzujiError
from tanzuji.factors.base import FactorSource
from tanzuji.factors.matchers import FactorMatcher
from tanzuji.footprint import Footprint, calculate
from tanzuji.library.foreground import LibrarySource
from tanzuji.model.files import load_model_text
from tanzuji.model.rules import CalculationRules


class RecheckRow(BaseModel):
    certificate_id: str
    application_id: str
    changed_factors: list[str]
    certified_kg_co2e: float
    recomputed_kg_co2e: float | None
    problem: str | None = None

    @property
    def delta_kg_co2e(self) -> float | None:
        if self.recomputed_kg_co2e is None:
            return None
        return self.recomputed_kg_co2e - self.certified_kg_co2e

    @property
    def delta_percent(self) -> float | None:
        delta = self.delta_kg_co2e
        if delta is None:
            return None
        return 100.0 * delta / self.certified_kg_co2e if self.certified_kg_co2e else 0.0


def changed_factors(certified: Mapping[str, Any], recomputed: Footprint) -> list[str]:
    """Ids of factors whose content differs between two footprints, or used by only one.

    ``certified`` is the stored footprint (JSON), ``recomputed`` the new one.
    """
    before = {f["id"]: f["sha256"] for f in certified["inputs"]["factors"]}
    after = {f.id: f.sha256 for f in recomputed.inputs.factors}
    return sorted(i for i in before.keys() | after.keys() if before.get(i) != after.get(i))


def recheck(
    applications: Iterable[Application],
    source: FactorSource,
    gwp_set: str | None = None,
    *,
    matcher: FactorMatcher | None = None,
    files: Mapping[str, Mapping[str, bytes]] | None = None,
    solver_options: SolverOptions | None = None,
    library: LibrarySource | None = None,
) -> list[RecheckRow]:
    """Affected certificates with their recomputed footprints (per functional unit).

    Parameters
    ----------
    applications : iterable of Application
        Only certified ones are rechecked.
    source, matcher
        The new release's factors: ids and ``match:`` texts (same versions).
    files : mapping
        Application id -> the files of its current model version (by the names the model
        writes).
    library : LibrarySource, optional
        Resolves ``library:NAME/ID`` inputs of the certified models (the stored libraries).

    A model that cannot be recomputed (a factor missing from the release) is reported with
    its ``problem`` and no recomputed value.
    """
    rows = []
    for application in applications:
        model = application.current_model
        if application.state not in CERTIFIED or model is None:
            continue
        loaded = load_model_text(
            model.model_text,
            f"{application.id} model v{model.version}",
            dict((files or {}).get(application.id, {})),
        )
        row = {
            "certificate_id": application.certificate_id or "",
            "application_id": application.id,
            "certified_kg_co2e": model.total_kg_co2e,
        }
        try:
            footprint = calculate(
                loaded,
                gwp_set=gwp_set or model.footprint["gwp_set"],
                factor_source=source,
                matcher=matcher,
                solver_options=solver_options,
                library=library,
                rules=CalculationRules.from_description(model.footprint.get("rules")),
            )
        except TanzujiError as exc:
            rows.append(
                RecheckRow(**row, changed_factors=[], recomputed_kg_co2e=None, problem=str(exc))
            )
            continue
        changed = changed_factors(model.footprint, footprint)
        if changed:
            rows.append(
                RecheckRow(
                    **row, changed_factors=changed, recomputed_kg_co2e=footprint.total_kg_co2e
                )
            )
    return rows
