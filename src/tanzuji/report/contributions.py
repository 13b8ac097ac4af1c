"""Hotspots read from a footprint: by model process, by emission factor, by factor input.

A footprint lists one activity per model process and one per (factor, process) pair
(``factor:ID@PROCESS``, see :mod:`tanzuji.model.compile`), each with its direct kg CO2e per
functional unit. Grouped here:

- **by process**: a model process with the factor inputs it uses (its direct emissions plus
  the ``factor:…@PROCESS`` columns) — the process-level hotspot of openLCA/SimaPro;
- **by factor**: a factor summed over the processes that use it, plus one row for the direct
  emissions written in processes;
- **factor inputs**: one row per (process, factor) with the amount of the factor's unit per
  functional unit and the factor's CO2e per unit in this result (direct / amount), which is
  what :mod:`tanzuji.report.compare` decomposes a difference into.

Each grouping sums to the footprint's total (the by-process contributions do).
"""

from __future__ import annotations

from dataclasses import dataclass

from tanzuji.footprint import Footprint, ProcessContribution

#: Row id of the direct emissions of processes in the by-factor grouping.
DIRECT_EMISSIONS = "direct-emissions"


@dataclass(frozen=True)
class FactorInput:
    """A factor as used by one process, per functional unit."""

    process_id: str
    factor_id: str
    factor_version: str | None
    life_cycle_stage: str
    name_en: str
    name_zh: str
    amount: float
    unit: str
    kg_co2e: float

    @property
    def kg_co2e_per_unit(self) -> float | None:
        """The factor's CO2e per unit of ``unit`` in this result (None when unused)."""
        return self.kg_co2e / self.amount if self.amount else None

    @property
    def key(self) -> tuple[str, str]:
        return (self.process_id, self.factor_id)


@dataclass(frozen=True)
class Hotspot:
    """One row of a Pareto: an id, names, stage (when it has one), kg CO2e per FU."""

    id: str
    name_en: str
    name_zh: str
    life_cycle_stage: str | None
    kg_co2e: float


def split_factor_column(activity_id: str) -> tuple[str, str | None, str]:
    """``factor:ID[#vVERSION]@PROCESS`` -> (factor id, version or None, process id)."""
    body, _, process = activity_id.removeprefix("factor:").rpartition("@")
    factor, _, version = body.partition("#v")
    return factor, version or None, process


def _strip_process(name: str, process_name: str, zh: bool) -> str:
    """The factor's own name: compile appends `` (process)`` / ``（process）``."""
    suffix = f"（{process_name}）" if zh else f" ({process_name})"
    return name.removesuffix(suffix) if process_name else name


def factor_inputs(footprint: Footprint) -> list[FactorInput]:
    """One row per (process, factor) column, ordered by |kg CO2e| then ids."""
    processes = {p.id: p for p in footprint.by_process if p.kind != "factor"}
    rows = []
    for p in footprint.by_process:
        if p.kind != "factor":
            continue
        factor, version, process_id = split_factor_column(p.id)
        owner = processes.get(process_id)
        rows.append(
            FactorInput(
                process_id=process_id,
                factor_id=factor,
                factor_version=version,
                life_cycle_stage=p.life_cycle_stage,
                name_en=_strip_process(p.name_en, owner.name_en if owner else "", zh=False),
                name_zh=_strip_process(p.name_zh, owner.name_zh if owner else "", zh=True),
                amount=p.amount,
                unit=p.unit,
                kg_co2e=p.direct_kg_co2e,
            )
        )
    return sorted(rows, key=lambda r: (-abs(r.kg_co2e), r.process_id, r.factor_id))


def by_process(footprint: Footprint) -> list[Hotspot]:
    """Each model process with its factor inputs, by descending |kg CO2e|."""
    totals: dict[str, float] = {}
    owners: dict[str, ProcessContribution] = {}
    for p in footprint.by_process:
        owner = split_factor_column(p.id)[2] if p.kind == "factor" else p.id
        totals[owner] = totals.get(owner, 0.0) + p.direct_kg_co2e
        if p.kind != "factor":
            owners[p.id] = p
    rows = [
        Hotspot(
            pid,
            owners[pid].name_en if pid in owners else pid,
            owners[pid].name_zh if pid in owners else pid,
            owners[pid].life_cycle_stage if pid in owners else None,
            value,
        )
        for pid, value in totals.items()
    ]
    return sorted(rows, key=lambda r: (-abs(r.kg_co2e), r.id))


def by_factor(footprint: Footprint) -> list[Hotspot]:
    """Each factor over all processes using it, and the processes' own direct emissions."""
    totals: dict[str, float] = {}
    names: dict[str, tuple[str, str]] = {}
    for item in factor_inputs(footprint):
        totals[item.factor_id] = totals.get(item.factor_id, 0.0) + item.kg_co2e
        names.setdefault(item.factor_id, (item.name_en, item.name_zh))
    direct = sum(p.direct_kg_co2e for p in footprint.by_process if p.kind != "factor")
    rows = [Hotspot(fid, *names[fid], None, value) for fid, value in totals.items()]
    if direct != 0.0:
        rows.append(
            Hotspot(
                DIRECT_EMISSIONS,
                "Direct emissions of processes",
                "过程直接排放",
                None,
                direct,
            )
        )
    return sorted(rows, key=lambda r: (-abs(r.kg_co2e), r.id))
