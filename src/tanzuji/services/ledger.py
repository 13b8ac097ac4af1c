"""Ledger service: the transparency log — signed tree head, status proofs, audit — and keys."""

from __future__ import annotations

from tanzuji.certify.certificate import Keyring
from tanzuji.certify.ledger import TreeHead
from tanzuji.certify.records import Role
from tanzuji.certify.verify import StatusBundle
from tanzuji.context import Context
from tanzuji.errors import NotFound, PermissionDenied
from tanzuji.services.base import Result, run_unit_of_work
from tanzuji.store.certify import CertificationRepository


class LedgerAudit(Result):
    """The stored log matched its newest signed tree head."""

    tree_size: int
    root_hash: str


def tree_head(context: Context) -> TreeHead:
    """The newest signed tree head (签名树头)."""
    with context.unit_of_work(write=False) as session:
        return CertificationRepository(session).tree_head()


def proof(context: Context, certificate_id: str) -> StatusBundle:
    """A certificate's status bundle: the newest head, consistency and inclusion proofs.

    The stored log is audited against its head first.

    Raises
    ------
    NotFound
        When the certificate is not in the ledger.
    LedgerInconsistent, VerificationFailed
        When the stored log does not match its signed head.
    """
    with context.unit_of_work(write=False) as session:
        repository = CertificationRepository(session)
        ledger = repository.ledger()
        head = repository.tree_head()
    ledger.audit(head, context.keys.keyring())
    entries = ledger.entries_for(certificate_id)
    if not entries:
        raise NotFound(f"certificate {certificate_id} is not in the ledger")
    return StatusBundle(
        certificate_id=certificate_id,
        tree_head=head,
        consistency={e.index + 1: ledger.consistency(e.index + 1) for e in entries},
        entries=[{"entry": e, "inclusion_proof": ledger.inclusion(e.index)} for e in entries],
    )


def audit(context: Context) -> LedgerAudit:
    """Check the stored log against its newest signed tree head.

    Raises
    ------
    LedgerInconsistent, VerificationFailed
        When they differ.
    """
    with context.unit_of_work(write=False) as session:
        repository = CertificationRepository(session)
        ledger = repository.ledger()
        head = repository.tree_head()
    ledger.audit(head, context.keys.keyring())
    return LedgerAudit(tree_size=head.tree_size, root_hash=head.root_hash)


def keyring(context: Context) -> Keyring:
    """The public keyring verifiers need (公钥); the first call makes the signing key."""
    context.keys.active(context.now())
    return context.keys.keyring()


def rotate_key(context: Context) -> str:
    """Make a new signing key; earlier keys stay in the keyring for old certificates.

    Needs an administrator, or no acting user (the local operator).
    """
    actor = context.actor
    if actor is not None and actor.role is not Role.administrator:
        raise PermissionDenied(
            f"{actor.id} acts as {actor.role.value}; only an administrator "
            "may rotate the signing key / 仅管理员可执行"
        )
    key = context.keys.rotate(context.now())
    if context.database is not None:
        run_unit_of_work(
            context, lambda s: CertificationRepository(s).sync_keys(context.keys.keyring())
        )
    return key.key_id


__all__ = ["LedgerAudit", "audit", "keyring", "proof", "rotate_key", "tree_head"]
