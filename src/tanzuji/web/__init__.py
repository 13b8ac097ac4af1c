"""The web platform: server-rendered pages and the REST API under ``/api/v1`` (FastAPI).

The web layer parses and renders only; every operation is a function of
:mod:`tanzuji.services` called with the request's Context (:mod:`tanzuji.web.auth`). See
``docs/web.md`` for how to add a page or an API route.
"""

from tanzuji.web.app import create_app

__all__ = ["create_app"]
