"""Electricity instruments (GEC 绿证, I-REC, ...) as evidence: one serial, one claim.

A market-based footprint counts certificates by their serials (``Footprint.electricity``). Like
retired carbon credits, a certificate backs one claim only: the serial blocks an application's
footprint counts must not overlap each other or any block counted by another approved or
certified application. The comparison is the credits guard's own
(:func:`tanzuji.certify.credits.check_serials_unused`): a block is ``registry + prefix +
[start, end]`` in canonical form (:mod:`tanzuji.certify.serials`) and two blocks of one
registry and prefix collide when their ranges overlap.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tanzuji.certify.credits import UsedSerial, check_serials_unused
from tanzuji.certify.records import Application, State
from tanzuji.certify.serials import SerialRange, canonical_range

#: States in which an application's evidence is claimed (as for carbon credits).
CLAIMED = (
    State.approved,
    State.issued,
    State.under_surveillance,
    State.renewed,
    State.suspended,
    State.revoked,
    State.expired,
)


@dataclass(frozen=True)
class InstrumentBlock:
    """The serial block of one counted electricity certificate (same fields as a credit
    block, so the credits guard compares both)."""

    type: str
    registry: str
    serial_prefix: str
    serial_start: int
    serial_end: int

    def serial_range(self) -> SerialRange:
        """The block in canonical form (registry key, prefix, integer range)."""
        return canonical_range(
            self.registry, self.serial_prefix, self.serial_start, self.serial_end
        )

    def label(self) -> str:
        return f"{self.registry} {self.serial_prefix}{self.serial_start}-{self.serial_end}"


def instrument_serials(footprint: dict[str, Any]) -> list[InstrumentBlock]:
    """The serial blocks a footprint (its JSON form) counts in its market-based result."""
    electricity = footprint.get("electricity") or {}
    return [
        InstrumentBlock(
            i["type"], i["registry"], i.get("serial_prefix") or "", i["serial_start"],
            i["serial_end"],
        )
        for use in electricity.get("inputs", [])
        for i in use.get("instruments", [])
        if i.get("serial_start") is not None and i.get("counted", 0) > 0
    ]  # fmt: skip


def used_instruments(applications: Iterable[Application]) -> tuple[UsedSerial, ...]:
    """Every instrument block counted by a claimed application."""
    return tuple(
        UsedSerial(app.id, block)  # type: ignore[arg-type]  # same fields as a credit block
        for app in applications
        if app.state in CLAIMED and app.current_model is not None
        for block in instrument_serials(app.current_model.footprint)
    )


def check_instruments_unused(application: Application, used: Iterable[UsedSerial]) -> None:
    """Refuse an application whose counted certificates overlap each other or another claim.

    Raises
    ------
    CreditSerialReused
        Naming both blocks and the other application.
    """
    model = application.current_model
    if model is None:
        return
    blocks = instrument_serials(model.footprint)
    check_serials_unused(blocks, used, application.id)  # type: ignore[arg-type]


__all__ = ["InstrumentBlock", "check_instruments_unused", "instrument_serials", "used_instruments"]
