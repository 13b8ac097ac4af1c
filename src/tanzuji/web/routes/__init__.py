"""The routers of the web platform, in the order they are mounted (see ``docs/web.md``).

Each module holds the pages and API routes of one area; a new area adds its module here.
"""

from tanzuji.web.routes import accounts, admin, home, jobs

ROUTERS = [home.router, accounts.router, admin.router, jobs.router]

__all__ = ["ROUTERS"]
