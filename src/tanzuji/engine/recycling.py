"""End-of-life and recycled-content formulas as coefficients per kg of material.

The Circular Footprint Formula (CFF) of the PEF method [1]_, per kg of material::

    Material  (1 - R1) Ev + R1 (A Erecycled + (1 - A) Ev Qsin/Qp)
              + (1 - A) R2 (ErecyclingEoL - E*v Qsout/Qp)
    Energy    (1 - B) R3 (EER - LHV XER,heat ESE,heat - LHV XER,elec ESE,elec)
    Disposal  (1 - R2 - R3) ED

Each E is "the emissions per unit" of a process or factor, so the formula is linear in them:
:func:`terms` returns, for each E, the amount of it one kg of material stands for (kg of
material, or MJ for the substituted energy ESE), split into the *material* part (recycled
content, charged where the material is supplied) and the *end-of-life* part, and marks the
negative terms as credits (E*v, ESE,heat, ESE,elec).

``A = 1`` puts all burdens and credits of recycling on the user of recycled material (the
cut-off, 100:0, recycled-content approach) and ``A = 0`` on the supplier (avoided burden, the
end-of-life recycling approach) [2]_. Tanzuji's ``cut_off`` is the CFF material part with
``A = 1`` and an end of life without credits (energy recovery and disposal burdens stay, the
recovered energy is not credited); ``avoided_burden`` is the CFF with ``A = 0`` and ``B = 0``.

References
----------
.. [1] Commission Recommendation (EU) 2021/2279 of 15 December 2021 on the use of the
   Environmental Footprint methods, Annex I section 4.4.8 (Circular Footprint Formula),
   OJ L 471, 30.12.2021 (corrigendum OJ L 144, 23.5.2022).
.. [2] F. Ardente, S. Andreasi Bassi et al. (JRC), "EoL modelling in the EF method: the
   Circular Footprint Formula", UNECE A-LCA IWG SG5 meeting, 12 July 2023, slide "EoL
   modelling in the EF method" ("A = 1 -> cut-off; A = 0 -> avoided burden").
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources
from typing import Literal

Method = Literal["cff", "cut_off", "avoided_burden"]
Part = Literal["material", "end_of_life"]


@dataclass(frozen=True)
class Parameters:
    """CFF parameters of one material (dimensionless unless named with a unit)."""

    A: float
    B: float = 0.0
    R1: float = 0.0
    R2: float = 0.0
    R3: float = 0.0
    Qsin_Qp: float = 1.0
    Qsout_Qp: float = 1.0
    LHV_mj_per_kg: float = 0.0
    X_er_heat: float = 0.0
    X_er_elec: float = 0.0


@dataclass(frozen=True)
class Term:
    """One E of the formula: how much of it one kg of material stands for.

    ``amount`` is in kg of material, or MJ for ``E_se_heat`` and ``E_se_elec``; it is >= 0,
    and ``credit`` marks the terms the formula subtracts.
    """

    name: str
    part: Part
    amount: float
    credit: bool
    formula: str


def terms(method: Method, p: Parameters) -> list[Term]:
    """The terms of one kg of material under ``method`` (zero terms are left out).

    Parameters
    ----------
    method : {"cff", "cut_off", "avoided_burden"}
    p : Parameters
        ``A`` and ``B`` are ignored for ``cut_off`` (A = 1, no energy credit) and
        ``avoided_burden`` (A = 0, B = 0).

    Returns
    -------
    list of Term
        In the order of the formula: Ev, Erecycled, ErecyclingEoL, E*v, EER, ESE,heat,
        ESE,elec, ED.
    """
    a, b = {"cff": (p.A, p.B), "cut_off": (1.0, 0.0), "avoided_burden": (0.0, 0.0)}[method]
    energy_credit = method != "cut_off"
    recovered_mj = p.R3 * p.LHV_mj_per_kg
    found = [
        # 2021/2279 Annex I 4.4.8.1, material part
        Term("E_v", "material", (1 - p.R1) + p.R1 * (1 - a) * p.Qsin_Qp, False,
             "(1 - R1) + R1 (1 - A) Qsin/Qp"),
        Term("E_recycled", "material", p.R1 * a, False, "R1 A"),
        Term("E_recycling_eol", "end_of_life", (1 - a) * p.R2, False, "(1 - A) R2"),
        Term("E_v_star", "end_of_life", (1 - a) * p.R2 * p.Qsout_Qp, True,
             "(1 - A) R2 Qsout/Qp"),
        # energy part
        Term("E_er", "end_of_life", (1 - b) * p.R3, False, "(1 - B) R3"),
        Term("E_se_heat", "end_of_life",
             (1 - b) * recovered_mj * p.X_er_heat if energy_credit else 0.0, True,
             "(1 - B) R3 LHV XER,heat  [MJ]"),
        Term("E_se_elec", "end_of_life",
             (1 - b) * recovered_mj * p.X_er_elec if energy_credit else 0.0, True,
             "(1 - B) R3 LHV XER,elec  [MJ]"),
        # disposal part
        Term("E_d", "end_of_life", 1 - p.R2 - p.R3, False, "1 - R2 - R3"),
    ]  # fmt: skip
    return [t for t in found if t.amount != 0]


@dataclass(frozen=True)
class CitedValue:
    """A default parameter of the CFF with its citation (``data/cff_parameters.csv``)."""

    id: str
    parameter: str
    value: float
    meaning_en: str
    meaning_zh: str
    source: str
    clause: str
    verified: str  # S: read in the cited public source; K: as commonly known, not checked
    url: str
    accessed: str


def pef_defaults() -> dict[str, CitedValue]:
    """The cited CFF defaults shipped with Tanzuji, by id (e.g. ``A.low_supply``).

    Only values whose source could be cited are shipped: the A rule values (0.2, 0.5, 0.8,
    range 0.2..0.8), A = 1 / 0 for cut-off / avoided burden, and B = 0. The per-material A,
    R1, R2 values of the PEF Annex C list are not (docs/model.md says why).
    """
    text = resources.files("tanzuji").joinpath("data/cff_parameters.csv").read_text("utf-8")
    rows = csv.DictReader(io.StringIO(text))
    return {
        row["id"]: CitedValue(**{**row, "value": float(row["value"])})  # type: ignore[arg-type]
        for row in rows
    }


__all__ = ["CitedValue", "Parameters", "Term", "pef_defaults", "terms"]
