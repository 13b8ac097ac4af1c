"""The routers of the web platform, in the order they are mounted (see ``docs/web.md``).

Each module holds the pages and API routes of one area; a new area adds its module here.
"""

from tanzuji.web.routes import (
    accounts,
    admin,
    applications,
    audit,
    casework,
    enterprise,
    home,
    jobs,
    public,
    steward,
    vendor,
)

ROUTERS = [
    home.router,
    accounts.router,
    admin.router,
    audit.router,
    applications.router,
    jobs.router,
    public.router,
    vendor.router,
    enterprise.router,
    casework.router,
    steward.router,
]

__all__ = ["ROUTERS"]
