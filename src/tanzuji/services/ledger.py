"""Ledger service: the transparency log — signed tree head, status bundles, audit — and keys.

The log lives in the store (:mod:`tanzuji.store.ledger`): appends happen inside the
certification service's units of work (:func:`tanzuji.store.certify.publish_in`), extending the
stored frontier and status map without reading the whole log; the reads here prove one
certificate's current status (status map + log proofs) or audit every stored entry, tree head
and certificate against each other.
"""

from __future__ import annotations

from tanzuji.certify.keys import Keyring
from tanzuji.certify.ledger import AuditReport, StatusBundle, TreeHead
from tanzuji.certify.records import Role
from tanzuji.context import Context
from tanzuji.errors import PermissionDenied
from tanzuji.services.base import Result, run_unit_of_work
from tanzuji.store.certify import CertificationRepository


class LedgerAudit(Result):
    """What :func:`audit` checked: every stored entry against every signed tree head, the
    heads named by certificates and their label tokens (rollbacks), and the status map."""

    log_size: int
    heads_checked: int
    named_checked: int
    map_checked_at: int | None


def tree_head(context: Context) -> TreeHead:
    """The newest signed tree head (签名树头)."""
    with context.unit_of_work(write=False) as session:
        return CertificationRepository(session).tree_head()


def proof(context: Context, certificate_id: str) -> StatusBundle:
    """A certificate's status bundle: the newest head, its status-map proof of the
    certificate's latest entry, the entry's inclusion proof and consistency proofs from every
    size the certificate was logged at.

    Raises
    ------
    NotFound
        When the certificate is not in the ledger.
    LedgerInconsistent
        When the stored status map does not hold the certificate's latest entry.
    """
    with context.unit_of_work(write=False) as session:
        return CertificationRepository(session).status_bundle(certificate_id)


def appended_since(
    context: Context, old_size: int, old_root: str, head: TreeHead
) -> list[str] | None:
    """The certificates named by the entries logged after size ``old_size`` up to ``head``, or
    None when ``head``'s log does not extend the log of that size and root (read from the
    stored leaves, checked against both roots)."""
    with context.unit_of_work(write=False) as session:
        return CertificationRepository(session).appended_since(old_size, old_root, head)


def audit(context: Context) -> LedgerAudit:
    """Check the stored log against every signed tree head and the certificates naming one.

    A certificate (or its label token) naming a log size larger than the stored log reveals a
    rollback.

    Raises
    ------
    LedgerInconsistent
        Listing every problem found.
    """
    with context.unit_of_work(write=False) as session:
        report: AuditReport = CertificationRepository(session).audit_ledger(context.keys.keyring())
    return LedgerAudit(
        log_size=report.log_size,
        heads_checked=report.heads_checked,
        named_checked=report.named_checked,
        map_checked_at=report.map_checked_at,
    )


def keyring(context: Context) -> Keyring:
    """The public keyring verifiers need (公钥); the file keyring makes its first key here."""
    context.keys.signing_key(context.now())
    return context.keys.keyring()


def rotate_key(context: Context) -> str:
    """Make a new signing key; earlier keys stay in the keyring for old certificates.

    Needs an administrator, or no acting user (the local operator). A key handed in as a
    secret (``TANZUJI_SIGNING_KEY``) is rotated where it is kept, not here
    (:class:`~tanzuji.errors.SigningKeyError`).
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


__all__ = [
    "LedgerAudit",
    "appended_since",
    "audit",
    "keyring",
    "proof",
    "rotate_key",
    "tree_head",
]
