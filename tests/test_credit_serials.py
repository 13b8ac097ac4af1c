"""Retired credit serials in canonical form: the same serials written another way are still seen
as reused (workflow check and database trigger).

Real serial numbers of retired blocks, as the registries publish them (copied in
carbonplan/offsets-db-data: tests/data/verra/transactions.csv @033b388c, row "Bale Mountains
Eco-region REDD+ project", quantity 425; tests/data/gold-standard/retirements.csv @e4e70c2b,
row GSID 11603, quantity 5354). The CCER format was not found in a primary source; CCER blocks
use the generic prefix + range form (tanzuji/certify/serials.py).
"""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from certify_people import DORA, NOW
from tanzuji.certify import workflow as wf
from tanzuji.certify.credits import UsedSerial, overlaps
from tanzuji.certify.records import CreditRetirement
from tanzuji.certify.serials import parse_serial_number, registry_key
from tanzuji.errors import CreditSerialReused
from tanzuji.store.certify import CertificationStore
from tanzuji.store.db import engine_for, upgrade
from test_certify_neutrality import at_decision, claim

VERRA = "19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1"
GOLD = "GS1-1-KE-GS11603-16-2025-30256-110-5463"


def credit(registry: str, quantity: int, **serials) -> CreditRetirement:
    return CreditRetirement(
        registry=registry,
        vintage=2020,
        quantity_t_co2e=quantity,
        retirement_date=dt.date(2026, 1, 15),
        **serials,
    )


def test_real_serial_numbers_parse_to_their_published_quantities():
    verra = parse_serial_number("Verra", VERRA)
    assert (verra.start, verra.end, verra.count) == (941467007, 941467431, 425)
    gold = parse_serial_number("Gold Standard", GOLD)
    assert (gold.prefix, gold.start, gold.end, gold.count) == (
        "GS1-1-KE-GS11603-16-2025-30256-",
        110,
        5463,
        5354,
    )
    assert credit("Verra", 425, serial_number=VERRA).serial_start == 941467007


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Verra  VCS", "VERRA"),
        (" verra vcs ", "VERRA"),
        ("Verified Carbon Standard", "VERRA"),
        ("VCS", "VERRA"),
        ("Gold  Standard", "GOLD_STANDARD"),
        ("gold standard impact registry", "GOLD_STANDARD"),
        ("ＣＣＥＲ", "CCER"),  # fullwidth letters (NFKC)
        ("国家核证自愿减排量", "CCER"),
        ("Some  Other   Registry", "SOME OTHER REGISTRY"),
    ],
)
def test_registry_names_are_normalised(name, key):
    assert registry_key(name) == key


def _reused(first: CreditRetirement, second: CreditRetirement) -> None:
    """Approving a claim on ``second`` after ``first`` was claimed is refused."""
    used = (UsedSerial("APP-0", first),)
    with pytest.raises(CreditSerialReused, match="already used by application APP-0"):
        wf.decide(
            at_decision(claim(second)), DORA, True, "ok", NOW, wf.LabelContext(used_serials=used)
        )


def test_verra_serials_reused_under_another_spelling_of_registry_and_serial():
    first = credit("Verra VCS", 425, serial_number=VERRA)
    again = credit("verra  vcs", 425, serial_number=VERRA.lower().replace("-", "‐", 3))
    _reused(first, again)
    part = VERRA.replace("941467007-941467431", "941467100-941467199")  # a sub-block
    _reused(first, credit("VCS", 100, serial_number=part))


def test_gold_standard_serials_reused_with_a_different_prefix_split():
    first = credit("Gold Standard", 5354, serial_number=GOLD)
    # "…-30256-1" + 10..99 are the serials …-30256-110 … -30256-199, inside the block.
    split = credit(
        "Gold  Standard",
        90,
        serial_prefix="GS1-1-KE-GS11603-16-2025-30256-1",
        serial_start=10,
        serial_end=99,
    )
    _reused(first, split)


def test_ccer_serials_reused_with_a_different_prefix_split_and_case():
    first = credit("CCER", 1000, serial_prefix="CCER-2024-001-", serial_start=1000, serial_end=1999)
    second = credit(
        "国家核证自愿减排量", 100, serial_prefix="ccer-2024-001-1", serial_start=500, serial_end=599
    )
    assert overlaps(first, second)  # CCER-2024-001-1500 … -1599
    _reused(first, second)


def test_distinct_serials_are_not_taken_for_reused_ones():
    first = credit("Gold Standard", 5354, serial_number=GOLD)
    after = credit("Gold Standard", 10, serial_number=GOLD.replace("110-5463", "5464-5473"))
    other_issuance = credit("Gold Standard", 5354, serial_number=GOLD.replace("30256", "30255"))
    other_registry = credit(
        "Verra", 5354, serial_prefix=GOLD[:-8], serial_start=110, serial_end=5463
    )
    for block in (after, other_issuance, other_registry):
        assert not overlaps(first, block)


def test_an_ambiguous_prefix_split_is_refused():
    with pytest.raises(ValidationError, match="block numbers 5 and 29 differ in length"):
        credit("CCER", 25, serial_prefix="CCER-2024-001-1", serial_start=5, serial_end=29)


def test_a_serial_number_that_disagrees_with_the_numbers_given_is_refused():
    with pytest.raises(ValidationError, match="serial_start 1 disagrees with serial_number"):
        credit("Verra", 425, serial_number=VERRA, serial_start=1, serial_end=425)


def test_the_database_refuses_the_same_serials_written_differently(database_url):
    engine = engine_for(database_url)
    upgrade(engine)
    store = CertificationStore(engine)
    try:
        first = credit("Gold Standard", 5354, serial_number=GOLD)
        store.save(wf.decide(at_decision(claim(first), "APP-A"), DORA, True, "ok", NOW))
        split = credit(
            "gold standard ",
            90,
            serial_prefix="gs1-1-ke-gs11603-16-2025-30256-1",
            serial_start=10,
            serial_end=99,
        )
        # The workflow check is bypassed on purpose (empty context): the trigger still refuses.
        second = wf.decide(at_decision(claim(split), "APP-B"), DORA, True, "ok", NOW)
        with pytest.raises(CreditSerialReused, match="database refused the credit serials"):
            store.save(second)
    finally:
        engine.dispose()
