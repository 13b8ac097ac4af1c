"""The calculation rules a PCR sets (allocation, credits, electricity, end of life, unit)."""

from __future__ import annotations

from tanzuji.model.rules import CalculationRules
from tanzuji.pcr.schema import Pcr


def rules_of(pcr: Pcr) -> CalculationRules:
    """The :class:`~tanzuji.model.rules.CalculationRules` of a calculation under ``pcr``.

    What the PCR leaves open keeps the default (docs/pcr.md "Calculation rules"); the
    declared unit is always the PCR's unit.
    """
    defaults = CalculationRules()
    return CalculationRules(
        allocation=pcr.allocation.calculation or "default",
        substitution_credits=(
            pcr.credits.substitution if pcr.credits else defaults.substitution_credits
        ),
        recycling_credits=pcr.credits.recycling if pcr.credits else defaults.recycling_credits,
        electricity=pcr.electricity.reported if pcr.electricity else defaults.electricity,
        end_of_life=pcr.end_of_life.method if pcr.end_of_life else None,
        declared_unit=(pcr.unit.amount, pcr.unit.unit),
        source=f"PCR {pcr.ref}",
    )


__all__ = ["rules_of"]
