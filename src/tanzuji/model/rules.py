"""The methodological choices one calculation is made under (usually set by a PCR).

A model says what a product system *is*; a :class:`CalculationRules` says how the standard the
result is declared under wants it computed: the allocation method for every multi-output
process, whether credits count in the reported total, which electricity result is reported,
the end-of-life method and the unit the PCR declares per. ``tanzuji.pcr`` builds one from a
PCR (:func:`tanzuji.pcr.rules_of`); without a PCR the defaults below apply. Every result
records the rules it was computed with (``Footprint.rules``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal, get_args

#: Allocation for a whole calculation (openLCA's calculation-setup choice): each process's own
#: rule, or one method for all (ISO 14067:2018 6.4.6; ISO 14044 4.3.4.2).
AllocationChoice = Literal["default", "physical", "economic", "causal", "none", "substitution"]
ALLOCATION_CHOICES: tuple[str, ...] = get_args(AllocationChoice)
CreditCount = Literal["include", "separate"]
EndOfLifeChoice = Literal["cff", "cut_off", "avoided_burden"]
ElectricityBasis = Literal["market", "location"]


@dataclass(frozen=True)
class CalculationRules:
    """Methodological choices of one calculation.

    Attributes
    ----------
    allocation : {"default", "physical", "economic", "causal", "none", "substitution"}
        ``default``: each process's own ``allocation`` plus the causal factors written on its
        exchanges. ``physical``: mass (energy where the process allocates by energy).
        ``economic``: price x amount. ``causal``: the exchanges' own factors, the process's
        rule for the others. ``none``: the reference product carries everything.
        ``substitution``: co-products are credited by what they replace (``substitutes``).
    substitution_credits : {"separate", "include"}
        Whether credits of avoided products, avoided waste and substituted co-products count
        in ``total_kg_co2e``. Default ``separate``: reported on their own line only (ISO
        14067:2018 6.4.6 and the GHG Protocol Product Standard keep avoided emissions out of
        the inventory total).
    recycling_credits : {"include", "separate"}
        The same for the credit terms of the end-of-life formulas (CFF, avoided burden).
        Default ``include``: they are part of the method the model chose.
    electricity : {"market", "location"}
        Which electricity result is reported in ``total_kg_co2e`` (both are always given).
        Default ``market``: ISO 14067:2018 6.4.9.4 uses the supplier-specific product where
        the instrument meets the quality criteria, else the grid mix.
    end_of_life : {"cff", "cut_off", "avoided_burden"} or None
        Forces one end-of-life method on every material; None keeps each material's own.
    declared_unit : (float, str) or None
        The unit the PCR declares per (e.g. ``(1.0, "kg")``), for ``per_declared_unit``.
    source : str
        Where the choices come from (``PCR battery-eu-2023@1.1`` or ``defaults``).
    """

    allocation: AllocationChoice = "default"
    substitution_credits: CreditCount = "separate"
    recycling_credits: CreditCount = "include"
    electricity: ElectricityBasis = "market"
    end_of_life: EndOfLifeChoice | None = None
    declared_unit: tuple[float, str] | None = None
    source: str = "defaults"

    def counts(self, kind: str) -> bool:
        """Whether credits of ``kind`` (``substitution`` or ``recycling``) count in the total."""
        policy = self.recycling_credits if kind == "recycling" else self.substitution_credits
        return policy == "include"

    def describe(self) -> dict[str, Any]:
        """The rules as a JSON-ready mapping (recorded on every result)."""
        out = asdict(self)
        if self.declared_unit is not None:
            out["declared_unit"] = {"amount": self.declared_unit[0], "unit": self.declared_unit[1]}
        return out

    @classmethod
    def from_description(cls, described: dict[str, Any] | None) -> CalculationRules:
        """The rules a result recorded (:meth:`describe`); the defaults when it recorded none
        (results computed under the default rules record none)."""
        if not described:
            return cls()
        values = dict(described)
        unit = values.get("declared_unit")
        if unit is not None:
            values["declared_unit"] = (float(unit["amount"]), str(unit["unit"]))
        return cls(**values)


DEFAULT_RULES = CalculationRules()

__all__ = ["ALLOCATION_CHOICES", "DEFAULT_RULES", "CalculationRules"]
