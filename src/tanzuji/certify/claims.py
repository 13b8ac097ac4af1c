"""The rules of the reduction and neutrality labels (disclosure needs no rule beyond review).

* Reduction (碳减排): the same product, under the same PCR and version, with the same declared
  unit, boundary and GWP set, was certified earlier (:mod:`tanzuji.certify.comparability`);
  the reduction is *computed* from the two certified label values and must be positive; the
  label names the year of the baseline's data.
* Neutrality (碳中和, ISO 14068-1:2023, successor of PAS 2060): the residual emissions of the
  declared volume (footprint per functional unit x declared units) are matched by retired
  carbon credits; total retired >= residual; no serial is used twice, within the claim or
  across all certificates; a reduction (carbon-management) plan is recorded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from tanzuji.certify.comparability import (
    Baseline,
    data_year_text,
    reduction_differences,
    refusal_text,
)
from tanzuji.certify.credits import UsedSerial, check_serials_unused
from tanzuji.certify.records import Application, LabelType, NeutralityClaim
from tanzuji.errors import LabelRefused

KG_PER_TONNE = 1000.0  # SI: 1 t = 1000 kg


def reduction_details(
    application: Application, baseline: Baseline | None, label_kg_co2e: float | None = None
) -> dict[str, Any]:
    """The reduction against a baseline certificate; refused unless they compare like with like
    (:func:`tanzuji.certify.comparability.reduction_differences`) and the footprint is lower.

    ``label_kg_co2e``: the application's label value (under its PCR's removals rule); default
    its footprint total. The baseline's value is the one its certificate states.
    """
    model = application.current_model
    if model is None:
        raise LabelRefused(f"application {application.id} has no model version")
    if baseline is None:
        raise LabelRefused(
            "a reduction label needs an earlier certified footprint of the same product "
            "(baseline_certificate_id); none was given / 碳减排标识需要同一产品的历史认证碳足迹"
        )
    cert = baseline.certificate
    differences = reduction_differences(application, application.pcr_version, baseline)
    if differences:
        raise LabelRefused(refusal_text(cert.certificate_id, differences))
    current = float(model.total_kg_co2e if label_kg_co2e is None else label_kg_co2e)
    reduction = cert.footprint_kg_co2e - current
    if not reduction > 0:
        raise LabelRefused(
            f"reduction refused: the footprint {current:.6g} kg CO2e is not lower than the "
            f"baseline {cert.footprint_kg_co2e:.6g} kg CO2e of certificate "
            f"{cert.certificate_id} / 碳足迹未低于基准"
        )
    period = baseline.data_period
    if period is None:  # reduction_differences refuses a baseline without a data period
        raise LabelRefused(f"baseline {cert.certificate_id} states no data period")
    return {
        "type": LabelType.reduction.value,
        "baseline_certificate_id": cert.certificate_id,
        # the year the baseline's data describe (its reference period), not its issue year
        "baseline_data_year": data_year_text(period),
        "baseline_data_period": {"start": period[0].isoformat(), "end": period[1].isoformat()},
        "baseline_kg_co2e": cert.footprint_kg_co2e,
        "reduction_kg_co2e": reduction,
        "reduction_percent": 100.0 * reduction / cert.footprint_kg_co2e,
    }


def neutrality_details(
    application: Application,
    claim: NeutralityClaim | None,
    used: Iterable[UsedSerial],
    today: dt.date,
    label_kg_co2e: float | None = None,
) -> dict[str, Any]:
    """Check a neutrality claim and return what the certificate states about it; the residual
    is the label value (default the footprint total) x the declared units."""
    model = application.current_model
    if model is None:
        raise LabelRefused(f"application {application.id} has no model version")
    if claim is None:
        raise LabelRefused(
            "a neutrality label needs a neutrality claim: declared units, retired credits and a "
            "reduction plan / 碳中和标识需要抵销声明"
        )
    if claim.period_end < claim.period_start:
        raise LabelRefused(
            f"neutrality period ends {claim.period_end} before it starts {claim.period_start}"
        )
    for block in claim.retirements:
        if block.retirement_date > today:
            raise LabelRefused(
                f"credits {block.label()} are to be retired on {block.retirement_date}, after "
                f"today {today}; only credits already retired count / 仅计已注销的碳信用"
            )
    check_serials_unused(claim.retirements, used, application.id)
    per_unit = model.total_kg_co2e if label_kg_co2e is None else label_kg_co2e
    residual_kg = per_unit * claim.declared_units
    retired_t = sum(b.quantity_t_co2e for b in claim.retirements)
    if retired_t * KG_PER_TONNE < residual_kg:
        raise LabelRefused(
            f"neutrality refused: residual emissions {residual_kg / KG_PER_TONNE:.6g} t CO2e "
            f"({per_unit:.6g} kg CO2e x {claim.declared_units:g} units) exceed the "
            f"{retired_t:g} t CO2e of credits retired / 注销量不足以抵销剩余排放"
        )
    return {
        "type": LabelType.neutrality.value,
        "declared_units": claim.declared_units,
        "period": {"start": claim.period_start.isoformat(), "end": claim.period_end.isoformat()},
        "residual_t_co2e": residual_kg / KG_PER_TONNE,
        "retired_t_co2e": retired_t,
        "credits": [b.model_dump(mode="json") for b in claim.retirements],
        "reduction_plan": claim.reduction_plan,
    }
