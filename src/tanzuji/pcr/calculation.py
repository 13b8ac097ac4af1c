"""The calculation rules a PCR sets (allocation, credits, electricity, end of life, unit)."""

from __future__ import annotations

from dataclasses import replace
from typing import cast

from tanzuji.errors import PcrError, UnknownPcr
from tanzuji.model.rules import ALLOCATION_CHOICES, AllocationChoice, CalculationRules
from tanzuji.model.schema import Model
from tanzuji.pcr.registry import get_pcr
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


def rules_for(
    model: Model, pcr: str | None = None, allocation: str | None = None
) -> tuple[CalculationRules, str | None]:
    """The rules of one calculation: the named PCR's, else the model's ``product.pcr``.

    ``allocation`` overrides the allocation method (one of
    :data:`~tanzuji.model.rules.ALLOCATION_CHOICES`). Returns the rules and a note when the
    model names a PCR that is not shipped (then the defaults apply; ``pcr check`` reports it).

    Raises
    ------
    UnknownPcr
        When ``pcr`` is given and names no shipped PCR.
    PcrError
        When ``allocation`` is not a known method.
    """
    note = None
    if pcr is not None:
        chosen = rules_of(get_pcr(pcr))
    elif model.product.pcr:
        try:
            chosen = rules_of(get_pcr(model.product.pcr))
        except UnknownPcr:
            chosen = CalculationRules()
            note = (
                f"PCR {model.product.pcr!r} is not shipped; default calculation rules used "
                "(默认计算规则)"
            )
    else:
        chosen = CalculationRules()
    if allocation is not None:
        if allocation not in ALLOCATION_CHOICES:
            raise PcrError(
                f"allocation method {allocation!r} is unknown; expected one of "
                f"{', '.join(ALLOCATION_CHOICES)}",
                found=allocation,
            )
        method = cast(AllocationChoice, allocation)  # one of ALLOCATION_CHOICES (checked above)
        chosen = replace(chosen, allocation=method, source=f"{chosen.source}; --allocation")
    return chosen, note


__all__ = ["rules_for", "rules_of"]
