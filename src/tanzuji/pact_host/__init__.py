"""The PACT host: an edge that serves the PACT Tech Specs v3 API over HTTPS.

* :mod:`.app` — the FastAPI application (parse, authenticate, call
  :mod:`tanzuji.services.pact`, render) and the delivery loop of the outbox;
* :mod:`.tokens` — access tokens (Ed25519 JWTs) and the JWKS;
* :mod:`.keys` — the host's key material and its self-signed TLS certificate;
* :mod:`.server` — ``tanzuji pact serve``: settings read once into a Context, TLS, uvicorn.
"""
