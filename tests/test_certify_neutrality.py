"""The neutrality label (ISO 14068-1:2023): residual emissions matched by retired credits."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from certify_people import ALICE, DORA, NOW, VIC, WIDGET_KG_CO2E, draft
from tanzuji.certify import workflow as wf
from tanzuji.certify.credits import UsedSerial, overlaps
from tanzuji.certify.records import CreditRetirement, LabelType, NeutralityClaim
from tanzuji.errors import CreditSerialReused, LabelRefused


def block(start: int, end: int, registry: str = "Verra VCS", **kw) -> CreditRetirement:
    values = dict(
        registry=registry,
        serial_prefix="VCS-981-",
        serial_start=start,
        serial_end=end,
        vintage=2023,
        quantity_t_co2e=end - start + 1,
        retirement_date=dt.date(2026, 1, 15),
    )
    return CreditRetirement(**{**values, **kw})


def claim(*blocks: CreditRetirement, units: float = 1000) -> NeutralityClaim:
    return NeutralityClaim(
        declared_units=units,
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 12, 31),
        retirements=list(blocks),
        reduction_plan="Green electricity PPA for assembly from 2027; steel supplier switch.",
    )


def at_decision(neutrality: NeutralityClaim, app_id: str = "APP-N"):
    a = wf.submit(draft(LabelType.neutrality, app_id, neutrality=neutrality), ALICE, NOW)
    a = wf.start_review(a, VIC, NOW)
    a = wf.record_pcr_check(a, VIC, [], NOW)
    return wf.sign_off(wf.accept_documents(a, VIC, NOW), VIC, NOW)


def test_enough_retired_credits_give_the_label():
    # residual = 9.1298 kg x 1000 units = 9.1298 t; 10 credits of 1 t retire 10 t
    a = wf.decide(at_decision(claim(block(1, 10))), DORA, True, "ok", NOW)
    details = a.label_details
    assert details["residual_t_co2e"] == pytest.approx(WIDGET_KG_CO2E * 1000 / 1000, rel=1e-12)
    assert details["retired_t_co2e"] == 10
    assert details["credits"][0]["serial_start"] == 1
    assert details["reduction_plan"].startswith("Green electricity")


def test_too_few_credits_are_refused():
    with pytest.raises(LabelRefused, match=r"residual emissions 9.1298 t CO2e .* exceed the 9 t"):
        wf.decide(at_decision(claim(block(1, 9))), DORA, True, "ok", NOW)


def test_overlapping_ranges_are_refused_across_and_within_claims():
    used = (UsedSerial("APP-OLD", block(1, 10)),)
    for start, end in ((10, 19), (5, 6), (0, 1), (1, 10)):
        with pytest.raises(CreditSerialReused, match="already used by application APP-OLD"):
            wf.decide(
                at_decision(claim(block(start, end))),
                DORA,
                True,
                "ok",
                NOW,
                wf.LabelContext(used_serials=used),
            )
    with pytest.raises(CreditSerialReused, match="overlap within the same claim"):
        wf.decide(at_decision(claim(block(20, 25), block(25, 30))), DORA, True, "ok", NOW)
    adjacent = wf.decide(
        at_decision(claim(block(11, 20))),
        DORA,
        True,
        "ok",
        NOW,
        wf.LabelContext(used_serials=used),
    )
    assert adjacent.state.value == "approved"


def test_overlap_rule():
    assert overlaps(block(1, 10), block(10, 12))
    assert not overlaps(block(1, 10), block(11, 12))
    assert not overlaps(block(1, 10), block(1, 10, registry="Gold Standard"))
    assert overlaps(block(1, 10), block(3, 3, registry=" verra vcs "))


def test_credit_records_are_checked():
    with pytest.raises(ValidationError, match="holds 10 credits but quantity_t_co2e is 9"):
        block(1, 10, quantity_t_co2e=9)
    with pytest.raises(ValidationError, match="ends \\(1\\) before it starts \\(5\\)"):
        block(5, 1, quantity_t_co2e=1)
    with pytest.raises(ValidationError, match="at least 20 characters"):
        NeutralityClaim(
            declared_units=1,
            period_start=dt.date(2025, 1, 1),
            period_end=dt.date(2025, 2, 1),
            retirements=[block(1, 1)],
            reduction_plan="later",
        )


def test_credits_not_yet_retired_do_not_count():
    future = block(1, 20, retirement_date=NOW.date() + dt.timedelta(days=1))
    with pytest.raises(LabelRefused, match="only credits already retired count"):
        wf.decide(at_decision(claim(future)), DORA, True, "ok", NOW)
