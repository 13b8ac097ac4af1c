"""When two certified results speak of the same thing: one valid certificate per product, and
reductions that compare like with like.

* **One valid certificate** per applicant, product, label type, PCR and declared unit: issuing
  a new one supersedes the earlier ones (:func:`same_certificate_subject`).
* **Reduction labels** compare a new footprint with a baseline certificate of the same
  product, under the same PCR *and version*, the same declared unit (quantity and unit, so
  1000 g is 1 kg but 0.5 kg is not), the same boundary and GWP set (ISO 14067:2018 6.4.7 and
  Annex C: comparisons over time need the same CFP-PCR, method and boundaries). The check
  runs when the application is opened, so an applicant learns at once, in plain words, why a
  baseline cannot serve (:func:`reduction_differences`), and again at the decision.
* The reduction label names the **year of the baseline's data** (its model's
  ``product.reference_period``), not the year its certificate was issued
  (:func:`data_year_text`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tanzuji import units
from tanzuji.certify.certificate import Certificate
from tanzuji.certify.records import Application, State

#: A declared unit: (amount, unit).
DeclaredUnit = tuple[float, str]


def declared_unit_of(footprint: Mapping[str, Any]) -> DeclaredUnit:
    """The unit a footprint is declared per: the PCR's declared unit when the result has one,
    else the functional unit."""
    declared = footprint.get("per_declared_unit") or footprint["functional_unit"]
    return float(declared.get("amount", 1)), str(declared.get("unit", ""))


def certificate_declared_unit(certificate: Certificate) -> DeclaredUnit:
    """The declared unit a certificate states (``declared_unit``, else the functional unit)."""
    declared = certificate.declared_unit or certificate.functional_unit
    return float(declared.get("amount", 1)), str(declared.get("unit", ""))


def same_quantity(a: DeclaredUnit, b: DeclaredUnit) -> bool:
    """Whether two declared units are the same quantity (1000 g = 1 kg; 1 kg != 1 piece)."""
    (amount_a, unit_a), (amount_b, unit_b) = a, b
    if unit_a == unit_b:
        return math.isclose(amount_a, amount_b, rel_tol=1e-9)
    if not units.convertible(unit_a, unit_b):
        return False
    return math.isclose(units.convert(amount_a, unit_a, unit_b), amount_b, rel_tol=1e-9)


def unit_text(unit: DeclaredUnit) -> str:
    return f"{unit[0]:g} {unit[1]}"


def same_certificate_subject(a: Application, b: Application) -> bool:
    """Whether ``a`` and ``b`` certify the same thing: applicant, product, label type, PCR id
    and declared unit. At most one of such certificates is valid at a time."""
    if a.current_model is None or b.current_model is None:
        return False
    same = (
        a.applicant.id == b.applicant.id
        and a.product_id == b.product_id
        and a.label_type is b.label_type
        and a.pcr_id == b.pcr_id
    )
    return same and same_quantity(
        declared_unit_of(a.current_model.footprint), declared_unit_of(b.current_model.footprint)
    )


@dataclass(frozen=True)
class Baseline:
    """A baseline certificate and what the store knows of it beyond the signed document."""

    certificate: Certificate
    applicant_id: str
    state: State
    #: ``product.reference_period`` of the baseline's model (start, end), None when not given.
    data_period: tuple[dt.date, dt.date] | None


def data_year_text(period: tuple[dt.date, dt.date]) -> str:
    """``"2024"``, or ``"2023–2024"`` when the data period spans two calendar years."""
    start, end = period
    return str(start.year) if start.year == end.year else f"{start.year}–{end.year}"


def _stages(footprint: Mapping[str, Any]) -> list[str]:
    return sorted(footprint["by_stage"])


def reduction_differences(
    application: Application, pcr_version: str, baseline: Baseline
) -> list[tuple[str, str]]:
    """Why ``baseline`` cannot serve the reduction label of ``application``: one (English,
    Chinese) sentence per difference; empty when they compare like with like.

    ``pcr_version`` is the version the application follows (resolved, never "latest").
    """
    model = application.current_model
    if model is None:
        return [("the application has no model", "申请没有产品模型")]
    cert, footprint = baseline.certificate, model.footprint
    cid = cert.certificate_id
    out: list[tuple[str, str]] = []
    if baseline.state in (State.revoked, State.suspended):
        out.append(
            (
                f"the baseline certificate {cid} is {baseline.state.value}",
                f"基准证书 {cid} 已{'撤销' if baseline.state is State.revoked else '暂停'}",
            )
        )
    if baseline.applicant_id != application.applicant.id:
        out.append(
            (
                f"the baseline certificate {cid} belongs to another company",
                f"基准证书 {cid} 属于其他企业",
            )
        )
    if cert.product.get("id") != application.product_id:
        out.append(
            (
                f"the baseline is about product {cert.product.get('id')!r}, this application "
                f"about {application.product_id!r}",
                f"基准证书的产品为 {cert.product.get('id')!r}，本申请为 {application.product_id!r}",
            )
        )
    before = (cert.pcr.get("id"), cert.pcr.get("version"))
    if before != (application.pcr_id, pcr_version):
        out.append(
            (
                f"the baseline follows PCR {before[0]} version {before[1]}, this application "
                f"PCR {application.pcr_id} version {pcr_version}; the same PCR and version are "
                "needed",
                f"基准依据 PCR {before[0]} {before[1]} 版，本申请依据 {application.pcr_id} "
                f"{pcr_version} 版；须为同一规则同一版本",
            )
        )
    then, now = certificate_declared_unit(cert), declared_unit_of(footprint)
    if not same_quantity(then, now):
        out.append(
            (
                f"the baseline is declared per {unit_text(then)}, this footprint per "
                f"{unit_text(now)}",
                f"基准的声明单位为 {unit_text(then)}，本申请为 {unit_text(now)}",
            )
        )
    stages_then, stages_now = sorted(cert.stage_breakdown_kg_co2e), _stages(footprint)
    if stages_then != stages_now:
        out.append(
            (
                f"the baseline covers the life-cycle stages {', '.join(stages_then)}, this "
                f"footprint {', '.join(stages_now)}: the boundaries differ",
                f"基准覆盖的生命周期阶段为 {'、'.join(stages_then)}，本申请为 "
                f"{'、'.join(stages_now)}：系统边界不同",
            )
        )
    if cert.gwp_set != footprint["gwp_set"]:
        out.append(
            (
                f"the baseline uses GWP set {cert.gwp_set}, this footprint {footprint['gwp_set']}",
                f"基准采用 {cert.gwp_set} GWP 值，本申请采用 {footprint['gwp_set']}",
            )
        )
    if baseline.data_period is None:
        out.append(
            (
                "the baseline's model states no data period (product.reference_period), so the "
                "label could not name the year it is compared with",
                "基准模型未注明数据期间（product.reference_period），标识无法注明比较年份",
            )
        )
    return out


def refusal_text(baseline_id: str, differences: list[tuple[str, str]]) -> str:
    """The bilingual refusal of a reduction label, one clause per difference."""
    english = "; ".join(en for en, _ in differences)
    chinese = "；".join(zh for _, zh in differences)
    return (
        f"a reduction label cannot compare with certificate {baseline_id}: {english}. A "
        "reduction compares like with like (ISO 14067:2018 6.4.7) / "
        f"无法与证书 {baseline_id} 比较减排：{chinese}"
    )


__all__ = [
    "Baseline",
    "DeclaredUnit",
    "certificate_declared_unit",
    "data_year_text",
    "declared_unit_of",
    "reduction_differences",
    "refusal_text",
    "same_certificate_subject",
    "same_quantity",
]
