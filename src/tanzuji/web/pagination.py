"""Pagination of API lists: ``?offset=&limit=`` in, one page shape out.

Every list route takes :func:`page_params` as a dependency and answers with :class:`Page`::

    {"items": [...], "total": 123, "offset": 0, "limit": 50, "next_offset": 50}

``limit`` defaults to ``web_page_size`` and is capped at ``web_max_page_size`` (the page says
which limit it used); ``next_offset`` is ``null`` on the last page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from fastapi import Query, Request
from pydantic import BaseModel

T = TypeVar("T")


@dataclass(frozen=True)
class PageParams:
    offset: int
    limit: int


class Page(BaseModel, Generic[T]):
    """One page of a list."""

    items: list[T]
    total: int
    offset: int
    limit: int
    next_offset: int | None


def page_params(
    request: Request,
    offset: int = Query(0, ge=0, le=10**9, description="items to skip"),
    limit: int | None = Query(None, ge=1, le=10**6, description="items in the page"),
) -> PageParams:
    """The page asked for, the limit defaulted and capped by the settings."""
    settings = request.app.state.web.context.settings
    chosen = int(settings.web_page_size) if limit is None else limit
    return PageParams(offset=offset, limit=min(chosen, int(settings.web_max_page_size)))


def page_of(items: Sequence[T], params: PageParams, total: int | None = None) -> Page[T]:
    """The page ``params`` of ``items`` (all of them), or of an already cut page when
    ``total`` is given (a database query that applied offset and limit itself)."""
    if total is None:
        total = len(items)
        chosen = list(items[params.offset : params.offset + params.limit])
    else:
        chosen = list(items)
    end = params.offset + len(chosen)
    return Page[T](
        items=chosen,
        total=total,
        offset=params.offset,
        limit=params.limit,
        next_offset=end if end < total else None,
    )


__all__ = ["Page", "PageParams", "page_of", "page_params"]
