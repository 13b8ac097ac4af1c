"""Separation of duties (ISO/IEC 17065:2012 4.2 impartiality, 7.6.2 decision by persons not
involved in the evaluation): the same user id may not apply and decide, apply and verify, or
verify and decide, even when that person is later declared in another role."""

from __future__ import annotations

import pytest

from certify_people import ALICE, BODY, DORA, NOW, VIC, draft, issued, to_decision
from tanzuji.certify import workflow as wf
from tanzuji.certify.records import Actor, Role, State
from tanzuji.errors import PermissionDenied

# Alice applied for Acme; the same person (user id "alice") is then declared a decision maker
# or a verifier of the accredited body.
ALICE_DECIDES = Actor(id="alice", name="Alice", role=Role.decision_maker, organisation=BODY)
ALICE_VERIFIES = Actor(id="alice", name="Alice", role=Role.verifier, organisation=BODY)
VIC_DECIDES = Actor(id="vic", name="Vic", role=Role.decision_maker, organisation=BODY)


def test_the_applicant_declared_a_decision_maker_cannot_approve_her_own_application():
    at_decision = to_decision(draft())
    with pytest.raises(PermissionDenied, match="alice prepared or submitted application APP-1"):
        wf.decide(at_decision, ALICE_DECIDES, True, "self-approval", NOW)
    # An independent decision maker of the same body may.
    assert wf.decide(at_decision, DORA, True, "conforms", NOW).state is State.approved


def test_the_applicant_cannot_reject_revoke_or_reinstate_either():
    at_decision = to_decision(draft())
    with pytest.raises(PermissionDenied, match="separation of duties"):
        wf.decide(at_decision, ALICE_DECIDES, False, "x", NOW)
    certified = issued()
    with pytest.raises(PermissionDenied, match="alice prepared or submitted"):
        wf.revoke(certified, ALICE_DECIDES, NOW, "x")
    suspended = wf.suspend(certified, DORA, NOW, "surveillance finding")
    with pytest.raises(PermissionDenied, match="alice prepared or submitted"):
        wf.reinstate(suspended, ALICE_DECIDES, NOW, "fixed")


def test_the_verifier_declared_a_decision_maker_cannot_decide():
    at_decision = to_decision(draft())
    with pytest.raises(PermissionDenied, match=r"vic verified application APP-1 .* 7\.6\.2"):
        wf.decide(at_decision, VIC_DECIDES, True, "conforms", NOW)


def test_the_applicant_cannot_verify_her_own_application():
    submitted = wf.submit(draft(), ALICE, NOW)
    with pytest.raises(PermissionDenied, match=r"impartiality, ISO/IEC 17065:2012 4\.2"):
        wf.start_review(submitted, ALICE_VERIFIES, NOW)
    assert wf.start_review(submitted, VIC, NOW).verifier == VIC
