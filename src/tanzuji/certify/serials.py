"""Carbon-credit serial numbers in one canonical form: registry, prefix, integer range.

A retired block is compared with every other one as numbers within one canonical prefix of
one canonical registry, so the same serials cannot pass twice because they were written
differently:

* **registry names** are normalised (Unicode NFKC, case folded, punctuation and repeated
  spaces collapsed) and known aliases map to one key: ``"Verra  VCS"``, ``"verra"`` and
  ``"Verified Carbon Standard"`` are all ``VERRA``;
* **prefixes** are normalised (NFKC, upper case, no white space, every dash variant read as
  ``-``), and digits at the end of a prefix belong to the number: ``"VCS-1234-1"`` + 10..29
  and ``"VCS-1234-"`` + 110..129 are the same serials;
* **printed serial numbers** (``serial_number``) are parsed by the registry's own format.

Registry serial formats (the examples are real retirements, from the registries' public
exports as copied in carbonplan/offsets-db-data, commit 033b388c / e4e70c2b,
``tests/data/verra/transactions.csv`` and ``tests/data/gold-standard/retirements.csv``,
accessed 2026-03-02):

Verra (VCS, Verra Registry)
    ``19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1``: issuance
    batch, first and last block number, then program ``VCS``, unit ``VCU``, and the project's
    fields (country, sectoral scope, project id, vintage start and end ``ddmmyyyy``, flag).
    The quantity of that row is 425 = 941467431 - 941467007 + 1. Block numbers are compared
    within the part after the last block number (program, unit, project, vintage).
Gold Standard (Impact Registry)
    ``GS1-1-KE-GS11603-16-2025-30256-110-5463``: registry, country, project ``GS<id>``,
    project type, vintage year, issuance number, then the first and last credit of the block
    (quantity 5354 = 5463 - 110 + 1). Numbers are compared within everything before them.
CCER (China, 全国温室气体自愿减排注册登记系统)
    No primary description of the CCER serial format was found (searched 2026-03-02);
    CCER blocks are given as ``serial_prefix`` + ``serial_start``..``serial_end`` and compared
    in that generic canonical form.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from tanzuji.errors import CertificationError

#: Registry keys and the names they are known by (the registries' own names for themselves
#: on verra.org, goldstandard.org and the MEE CCER notices; all matched after normalising).
REGISTRY_ALIASES: dict[str, tuple[str, ...]] = {
    "VERRA": (
        "verra",
        "vcs",
        "verra vcs",
        "vcs verra",
        "verra registry",
        "verified carbon standard",
        "verra verified carbon standard",
        "vcu",
    ),
    "GOLD_STANDARD": (
        "gold standard",
        "the gold standard",
        "gs",
        "gs4gg",
        "gold standard for the global goals",
        "gold standard impact registry",
        "gold standard registry",
    ),
    "CCER": (
        "ccer",
        "china ccer",
        "chinese certified emission reduction",
        "china certified emission reduction",
        "国家核证自愿减排量",
        "中国核证自愿减排量",
        "全国温室气体自愿减排注册登记系统",
    ),
}
_ALIAS_TO_KEY = {alias: key for key, names in REGISTRY_ALIASES.items() for alias in names}
#: Dash-like characters read as "-" in prefixes (U+2010..U+2015, U+2212, fullwidth U+FF0D).
_DASHES = re.compile("[\u2010-\u2015\u2212\uff0d]")
#: Largest block number stored (BIGINT holds 19 digits; one less keeps every sum exact).
MAX_SERIAL_DIGITS = 18
_VERRA = re.compile(r"(?P<batch>\d+)-(?P<start>\d+)-(?P<end>\d+)-(?P<rest>VCS-.+)")
_GOLD_STANDARD = re.compile(r"(?P<prefix>GS\d+-\d+-.+-)(?P<start>\d+)-(?P<end>\d+)")


def registry_key(name: str) -> str:
    """The canonical key of a registry name (``VERRA``, ``GOLD_STANDARD``, ``CCER``, or the
    normalised name itself in upper case)."""
    text = unicodedata.normalize("NFKC", name).casefold()
    text = " ".join(re.sub(r"[()\[\]\-_/,.:;·]+", " ", text).split())
    return _ALIAS_TO_KEY.get(text, text.upper())


def prefix_text(prefix: str) -> str:
    """A serial prefix normalised: NFKC, upper case, no white space, one kind of dash."""
    text = _DASHES.sub("-", unicodedata.normalize("NFKC", prefix)).upper()
    return "".join(text.split())


@dataclass(frozen=True)
class SerialRange:
    """Serials ``prefix + n`` for every ``n`` from ``start`` to ``end`` in one registry."""

    registry: str
    prefix: str
    start: int
    end: int

    def overlaps(self, other: SerialRange) -> bool:
        """True when the two ranges share at least one serial."""
        return (
            (self.registry, self.prefix) == (other.registry, other.prefix)
            and self.start <= other.end
            and other.start <= self.end
        )

    @property
    def count(self) -> int:
        return self.end - self.start + 1

    def label(self) -> str:
        return f"{self.registry} {self.prefix}[{self.start}..{self.end}]"


def canonical_range(registry: str, prefix: str, start: int, end: int) -> SerialRange:
    """``prefix`` + ``start``..``end`` in canonical form (trailing prefix digits moved into the
    numbers).

    Raises
    ------
    CertificationError
        When the prefix ends in digits and ``start`` and ``end`` have different numbers of
        digits (the serials would not be one range), or a number is too long.
    """
    text = prefix_text(prefix)
    stem = text.rstrip("0123456789")
    moved = text[len(stem) :]
    if moved and len(str(start)) != len(str(end)):
        raise CertificationError(
            f"serial prefix {prefix!r} ends in digits ({moved!r}) and the block numbers {start} "
            f"and {end} differ in length, so the serials are not one range; put every digit of "
            "the block number into serial_start and serial_end / 序列号前缀与号段无法区分"
        )
    first, last = int(moved + str(start)), int(moved + str(end))
    if len(str(last)) > MAX_SERIAL_DIGITS:
        raise CertificationError(
            f"serial block number {last} has more than {MAX_SERIAL_DIGITS} digits; move the "
            "fixed part into serial_prefix"
        )
    return SerialRange(registry_key(registry), stem, first, last)


def parse_serial_number(registry: str, text: str) -> SerialRange:
    """A serial number (range) as the registry prints it, in canonical form.

    Raises
    ------
    CertificationError
        When the registry has no known printed format, or ``text`` does not follow it.
    """
    key = registry_key(registry)
    printed = prefix_text(text)
    if key == "VERRA":
        match = _VERRA.fullmatch(printed)
        if match is None:
            raise CertificationError(
                f"{text!r} is not a Verra serial number; expected batch-first-last-VCS-VCU-…, "
                "e.g. 19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1"
            )
        start, end, prefix = match["start"], match["end"], match["rest"] + "/"
    elif key == "GOLD_STANDARD":
        match = _GOLD_STANDARD.fullmatch(printed)
        if match is None:
            raise CertificationError(
                f"{text!r} is not a Gold Standard serial number; expected GS1-1-…-first-last, "
                "e.g. GS1-1-KE-GS11603-16-2025-30256-110-5463"
            )
        start, end, prefix = match["start"], match["end"], match["prefix"]
    else:
        raise CertificationError(
            f"no printed serial format is known for registry {registry!r}; give serial_prefix, "
            "serial_start and serial_end instead"
        )
    if int(end) < int(start):
        raise CertificationError(f"serial number {text!r} ends ({end}) before it starts ({start})")
    return SerialRange(key, prefix, int(start), int(end))
