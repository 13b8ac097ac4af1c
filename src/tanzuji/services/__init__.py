"""The application layer: one function per operation a user can name, one unit of work each.

Every edge (the ``tanzuji`` command line now; the web app, the PACT host and background jobs
later) calls the same functions with a :class:`~tanzuji.context.Context` and a typed pydantic
request, and renders the typed result. A service orchestrates the domain modules
(``footprint``, ``pcr``, ``certify``, ``factors``) and the store; it holds no rules of its own
beyond the order of the steps, reads no settings, environment or files, and writes no files:
inputs arrive as text or bytes, outputs leave as records or bytes.

Modules, one per domain:

- :mod:`~tanzuji.services.calculation` — footprints and Monte Carlo of a product model;
- :mod:`~tanzuji.services.factors` — the factor database: import, review, releases, search,
  match, export;
- :mod:`~tanzuji.services.pcr` — product category rules: list, show, check a model;
- :mod:`~tanzuji.services.certification` — applications through review, decision, issue and
  the certificate's life (renew, suspend, reinstate, revoke, expire), recheck, verification;
- :mod:`~tanzuji.services.labels` — label artwork (SVG, PNG) of a certificate;
- :mod:`~tanzuji.services.ledger` — the transparency log: head, proofs, audit, signing keys;
- :mod:`~tanzuji.services.organisations` — organisations and users (who may act);
- :mod:`~tanzuji.services.demo` — the demo story of ``make run`` as data anyone can load.

A write is one transaction (:func:`tanzuji.services.base.run_unit_of_work`): it commits whole
or leaves nothing; a conflicting concurrent update is retried a few times, then reported as
:class:`~tanzuji.errors.ConcurrentUpdate` (HTTP 409).
"""
