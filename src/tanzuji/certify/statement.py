"""What a certificate states beside the total: declared unit, sales unit and credits.

The footprint result carries the numbers (``per_declared_unit``, ``per_sales_unit``,
``credits``); :func:`unit_fields` copies them into the :class:`~tanzuji.certify.certificate.
Certificate` fields of the same names, so the certificate and the label show the footprint per
the unit the PCR declares (1 kg) and per the unit the product is sold in (one bottle).
"""

from __future__ import annotations

from typing import Any


def unit_fields(footprint: dict[str, Any], label_kg_co2e: float | None = None) -> dict[str, Any]:
    """Certificate fields from a footprint (its JSON form); empty when it has none of them.

    ``label_kg_co2e``: the label value per functional unit when it is not the footprint total
    (a PCR that excludes biogenic removals); the per-unit values are scaled to it.
    """
    out: dict[str, Any] = {}
    total = float(footprint["total_kg_co2e"])
    label = total if label_kg_co2e is None else float(label_kg_co2e)

    def per(unit: dict[str, Any]) -> float:
        if label == total:  # unchanged: the footprint's own figure, bit for bit
            return float(unit["total_kg_co2e"])
        return label * float(unit["functional_units"])

    declared = footprint.get("per_declared_unit")
    if declared:
        out["declared_unit"] = {
            "amount": declared["amount"],
            "unit": declared["unit"],
            "functional_units": declared["functional_units"],
            "footprint_kg_co2e": per(declared),
        }
    sales = footprint.get("per_sales_unit")
    if sales:
        out["sales_unit"] = {
            "amount": sales["amount"],
            "unit": sales["unit"],
            "name_zh": sales.get("name_zh") or "",
            "name_en": sales.get("name_en") or "",
            "functional_units": sales["functional_units"],
            "footprint_kg_co2e": per(sales),
        }
    credits = footprint.get("credits")
    if credits:
        out["credits_kg_co2e"] = float(credits["credits_kg_co2e"])
    return out


__all__ = ["unit_fields"]
