"""Certification schemes: validity and surveillance as data, one engine for every scheme.

A scheme (the GBA label, the national CNCA rule of 2025) says how long a certificate stays
valid and how often the certified product is surveilled (获证后监督). The values live in
``data/schemes/schemes.yaml``, each with its source and whether it was checked against the
scheme's text; an application records its scheme when it is opened (setting
``certification_scheme``), so a later change of the setting does not change its certificate.

Everything here is pure: dates in, dates out.
"""

from __future__ import annotations

import calendar
import datetime as dt
from functools import lru_cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from tanzuji.errors import CertificationError


class UnknownScheme(CertificationError):
    """A certification scheme id that is not among the known schemes."""

    code = "unknown_scheme"
    http_status = 404


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SchemeValue(_Strict):
    """One number of a scheme with its provenance."""

    value: int = Field(gt=0)
    status: Literal["confirmed", "reported", "unconfirmed"]
    source: str = Field(min_length=1)


class Scheme(_Strict):
    """Validity and surveillance of one certification scheme."""

    id: str
    name: dict[str, str]
    owner: str
    validity_years: SchemeValue
    surveillance_interval_months: SchemeValue

    def surveillance_due(self, valid_from: dt.date, valid_until: dt.date) -> list[dt.date]:
        """Due dates of the surveillance audits inside a validity period."""
        return surveillance_due(valid_from, valid_until, self.surveillance_interval_months.value)


class _SchemeFile(_Strict):
    schemes: list[Scheme] = Field(min_length=1)


@lru_cache(maxsize=1)
def schemes() -> dict[str, Scheme]:
    """The known schemes by id (``data/schemes/schemes.yaml``)."""
    text = resources.files("tanzuji").joinpath("data/schemes/schemes.yaml").read_text("utf-8")
    parsed = _SchemeFile.model_validate(yaml.safe_load(text))
    return {s.id: s for s in parsed.schemes}


def get_scheme(scheme_id: str) -> Scheme:
    """The scheme ``scheme_id``.

    Raises
    ------
    UnknownScheme
        Naming the known schemes.
    """
    known = schemes()
    try:
        return known[scheme_id]
    except KeyError:
        raise UnknownScheme(
            f"unknown certification scheme {scheme_id!r}; known: {sorted(known)} / 未知认证方案"
        ) from None


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months; the 31st becomes the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def surveillance_due(
    valid_from: dt.date, valid_until: dt.date, interval_months: int
) -> list[dt.date]:
    """Every ``interval_months`` after ``valid_from``, strictly before ``valid_until`` (at the
    end of the validity the certificate is renewed or expires, no surveillance is due).

    >>> surveillance_due(dt.date(2026, 3, 2), dt.date(2028, 3, 2), 12)
    [datetime.date(2027, 3, 2)]
    """
    due, k = [], 1
    while (day := add_months(valid_from, k * interval_months)) < valid_until:
        due.append(day)
        k += 1
    return due


__all__ = [
    "Scheme",
    "SchemeValue",
    "UnknownScheme",
    "add_months",
    "get_scheme",
    "schemes",
    "surveillance_due",
]
