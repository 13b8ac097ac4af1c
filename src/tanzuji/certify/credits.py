"""Carbon credits for neutrality claims: one serial, one use, across all certificates.

Double counting is the classic failure of offsetting claims (ISO 14068-1:2023 requires that
credits are retired and not claimed twice). Serials are compared as ranges in canonical form
(:mod:`tanzuji.certify.serials`: registry names normalised, prefixes normalised with their
trailing digits moved into the numbers, printed serial numbers parsed by registry): a block
collides with another block of the same registry and prefix when the two ranges overlap at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tanzuji.certify.records import CreditRetirement
from tanzuji.errors import CreditSerialReused


@dataclass(frozen=True)
class UsedSerial:
    """A block of serials already claimed by an application."""

    application_id: str
    block: CreditRetirement


def overlaps(a: CreditRetirement, b: CreditRetirement) -> bool:
    """True when two blocks share at least one serial (compared in canonical form)."""
    return a.serial_range().overlaps(b.serial_range())


def check_serials_unused(
    blocks: Sequence[CreditRetirement], used: Iterable[UsedSerial], application_id: str
) -> None:
    """Refuse blocks that overlap each other or any block claimed by another application."""
    for i, a in enumerate(blocks):
        for b in blocks[i + 1 :]:
            if overlaps(a, b):
                raise CreditSerialReused(
                    f"credit serials {a.label()} and {b.label()} overlap within the same claim; "
                    "each serial counts once / 同一碳信用序列号不得重复使用"
                )
    for previous in used:
        if previous.application_id == application_id:
            continue
        for block in blocks:
            if overlaps(block, previous.block):
                raise CreditSerialReused(
                    f"credit serials {block.label()} were already used by application "
                    f"{previous.application_id} ({previous.block.label()}); a serial can back "
                    "only one claim / 该碳信用序列号已被其他证书使用"
                )
