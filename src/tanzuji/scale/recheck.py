"""Recheck many certificates against a new factor release, one computation per model.

:func:`tanzuji.certify.recheck.recheck` recomputes every certified model on its own. On a
platform, thousands of certificates share a model version (one model, many labelled products
or sites; the same model re-certified every period), so here the certificates are grouped by
what their recomputation depends on — the model text, the content of its files, the
calculation rules recorded in the certified footprint and the GWP set — and each group is
compiled, factorized and solved once under the new release. Every certificate is then compared
with its own certified footprint (factor by factor, as the single recheck does) and listed
when its value moved by more than the scheme's threshold.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from tanzuji.certify.recheck import RecheckRow, changed_factors
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


def group_key(application: Application) -> str:
    """What a certificate's recomputation depends on, hashed: model text, file contents
    (their hashes), recorded calculation rules and GWP set."""
    model = application.current_model
    if model is None:
        raise ValueError(f"application {application.id} has no model version")
    content = {
        "model": model.model_sha256,
        "text": hashlib.sha256(model.model_text.encode()).hexdigest(),
        "files": sorted(model.files.items()),
        "rules": model.footprint.get("rules"),
        "gwp_set": model.footprint.get("gwp_set"),
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class RecheckReport:
    """What a grouped recheck found.

    Attributes
    ----------
    checked : int
        Certified applications compared.
    models : int
        Distinct model groups computed (one compilation and factorization each).
    affected : list of RecheckRow
        Certificates whose factors changed, with recomputed values.
    moved : list of RecheckRow
        Those of ``affected`` whose footprint moved by more than ``threshold_percent``.
    problems : list of RecheckRow
        Certificates whose model cannot be recomputed under the release (the reason in
        ``problem``).
    """

    threshold_percent: float
    checked: int = 0
    models: int = 0
    affected: list[RecheckRow] = field(default_factory=list)
    moved: list[RecheckRow] = field(default_factory=list)
    problems: list[RecheckRow] = field(default_factory=list)
    seconds: float = 0.0


def recheck_grouped(
    applications: Iterable[Application],
    source: FactorSource,
    *,
    threshold_percent: float,
    matcher: FactorMatcher | None = None,
    files: Callable[[Application], Mapping[str, bytes]] | None = None,
    solver_options: SolverOptions | None = None,
    library: LibrarySource | None = None,
    progress: Callable[[int, int | None], None] | None = None,
) -> RecheckReport:
    """Recheck certified applications under a release's ``source`` and ``matcher``.

    Parameters
    ----------
    applications : iterable of Application
        Only certified ones are rechecked.
    threshold_percent : float
        A certificate is listed in ``moved`` when ``|recomputed - certified|`` exceeds this
        share of the certified value.
    files : callable, optional
        The files of an application's current model version (by the names the model writes).
    progress : callable, optional
        ``progress(done, total)``: certificates compared so far, of all to compare.
    """
    started = time.perf_counter()
    groups: dict[str, list[Application]] = {}
    for application in applications:
        if application.state in CERTIFIED and application.current_model is not None:
            groups.setdefault(group_key(application), []).append(application)
    total = sum(len(members) for members in groups.values())
    report = RecheckReport(threshold_percent=threshold_percent, checked=total, models=len(groups))
    done = 0
    for members in groups.values():
        first = members[0]
        footprint, problem = _recompute(first, source, matcher, files, solver_options, library)
        for application in members:
            _compare(report, application, footprint, problem)
        done += len(members)
        if progress is not None:
            progress(done, total)
    report.seconds = time.perf_counter() - started
    return report


def _recompute(
    application: Application,
    source: FactorSource,
    matcher: FactorMatcher | None,
    files: Callable[[Application], Mapping[str, bytes]] | None,
    solver_options: SolverOptions | None,
    library: LibrarySource | None,
) -> tuple[Footprint | None, str | None]:
    model = application.current_model
    if model is None:  # excluded by the grouping; kept for the type checker
        return None, "no model version"
    try:
        loaded = load_model_text(
            model.model_text,
            f"{application.id} model v{model.version}",
            dict(files(application) if files is not None else {}),
        )
        footprint = calculate(
            loaded,
            gwp_set=model.footprint["gwp_set"],
            factor_source=source,
            matcher=matcher,
            solver_options=solver_options,
            library=library,
            rules=CalculationRules.from_description(model.footprint.get("rules")),
        )
    except TanzujiError as exc:
        return None, str(exc)
    return footprint, None


def _compare(
    report: RecheckReport,
    application: Application,
    footprint: Footprint | None,
    problem: str | None,
) -> None:
    model = application.current_model
    if model is None:
        return
    row = {
        "certificate_id": application.certificate_id or "",
        "application_id": application.id,
        "certified_kg_co2e": model.total_kg_co2e,
    }
    if footprint is None:
        report.problems.append(
            RecheckRow(**row, changed_factors=[], recomputed_kg_co2e=None, problem=problem)
        )
        return
    changed = changed_factors(model.footprint, footprint)
    if not changed:
        return
    found = RecheckRow(**row, changed_factors=changed, recomputed_kg_co2e=footprint.total_kg_co2e)
    report.affected.append(found)
    if moved_beyond(found, report.threshold_percent):
        report.moved.append(found)


def moved_beyond(row: RecheckRow, threshold_percent: float) -> bool:
    """Whether a recomputed footprint moved by more than ``threshold_percent`` of the
    certified one (any change counts when the certified value is 0)."""
    delta = row.delta_kg_co2e
    if delta is None:
        return False
    certified = abs(row.certified_kg_co2e)
    if certified == 0:
        return delta != 0
    return abs(delta) > threshold_percent / 100.0 * certified


__all__ = ["RecheckReport", "group_key", "moved_beyond", "recheck_grouped"]
