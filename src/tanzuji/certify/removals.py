"""The label value and biogenic removals: what the PCR says the label counts.

ISO 14067:2018 6.4.9.2 includes biogenic GHG removals in the CFP and asks that they be
documented separately (7.2); some rules do not let them lower a label — PAS 2050:2011 does
not count the carbon stored in food and feed. Each PCR states which (``removals:`` in its
file, :class:`tanzuji.pcr.schema.RemovalsRule`), with the clause it follows.

A footprint total includes every removal it computed. Here the *label value* is derived from
it: with the removals, or without the biogenic CO2 removals (uptake, ``iso14067.
biogenic_ghg_removals``) when the PCR excludes them; biogenic emissions and land-management
removals are not touched. The certificate carries both values and the rule
(:func:`label_values`), and the stage breakdown it prints adds up to the label value
(:func:`label_stages`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tanzuji.pcr.schema import RemovalsRule

#: What a certificate states when its PCR gives no removals rule: the ISO 14067 default.
DEFAULT_RULE = (
    "the PCR states no removals rule: biogenic removals are included, as ISO 14067:2018 "
    "6.4.9.2 includes them in the CFP"
)


def biogenic_removals(footprint: Mapping[str, Any]) -> float:
    """Biogenic CO2 removals of a footprint, kg CO2e per functional unit (<= 0)."""
    return float(footprint["iso14067"]["biogenic_ghg_removals"])


def label_values(footprint: Mapping[str, Any], rule: RemovalsRule | None) -> dict[str, Any]:
    """The label value under ``rule`` and both values, kg CO2e per functional unit.

    ``with_removals_kg_co2e`` is the footprint total; ``without_removals_kg_co2e`` the total
    less its biogenic CO2 removals (removals are negative, so it is the larger); the label
    value is one of the two.
    """
    total = float(footprint["total_kg_co2e"])
    removals = biogenic_removals(footprint)
    excluded = rule is not None and rule.label_value == "exclude"
    without = total - removals
    return {
        "label_value": "excludes_removals" if excluded else "includes_removals",
        "label_kg_co2e": without if excluded else total,
        "with_removals_kg_co2e": total,
        "without_removals_kg_co2e": without,
        "biogenic_removals_kg_co2e": removals,
        "rule": rule.statement() if rule is not None else DEFAULT_RULE,
    }


def label_stages(footprint: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, float]:
    """The stage breakdown that adds up to the label value: ``by_stage`` less each stage's
    biogenic CO2 removals (from ``by_stage_gas``) when the label excludes them."""
    stages = {k: float(v) for k, v in sorted(footprint["by_stage"].items())}
    if values["label_value"] != "excludes_removals":
        return stages
    for cell in footprint.get("by_stage_gas") or []:
        if cell["removal"] and cell["gas"] == "CO2" and cell["origin"] == "biogenic":
            stage = cell["life_cycle_stage"]
            stages[stage] = stages.get(stage, 0.0) - float(cell["kg_co2e"])
    return stages


__all__ = ["DEFAULT_RULE", "biogenic_removals", "label_stages", "label_values"]
