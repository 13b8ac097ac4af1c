"""PCR service: the product category rules shipped, and checking a model against one."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import Field

from tanzuji.context import Context
from tanzuji.footprint import Footprint
from tanzuji.model.files import LoadedModel
from tanzuji.pcr.checks import CheckReport, check_model, resolve_pcr
from tanzuji.pcr.registry import get_pcr, parse_pcr, shipped
from tanzuji.pcr.schema import Pcr
from tanzuji.services.base import Request
from tanzuji.services.calculation import ModelInput, footprint_of


class PcrDocument(Request):
    """A PCR file given by its text (a PCR that is not shipped)."""

    name: str
    text: str


class PcrCheckRequest(Request):
    """Check ``model`` against ``pcr`` (default: the PCR the model names in product.pcr)."""

    model: ModelInput
    pcr: str | None = Field(None, description="PCR id or id@version")
    pcr_document: PcrDocument | None = Field(None, description="a PCR file instead of an id")
    parameters: dict[str, float] = Field(default_factory=dict)
    gwp_set: str | None = Field(None, description="default: the set the PCR prescribes")


def list_pcrs() -> list[Pcr]:
    """Every PCR shipped, sorted by id and version."""
    return list(shipped())


def show(ref: str | PcrDocument) -> Pcr:
    """One PCR by ``id`` / ``id@version``, or parsed from a document.

    Raises
    ------
    UnknownPcr, PcrError
    """
    if isinstance(ref, PcrDocument):
        return parse_pcr(ref.text, ref.name)
    return get_pcr(ref)


def default_gwp_set(context: Context, pcr: Pcr) -> str:
    """The GWP set a check computes with when none is asked: the ``gwp_set`` setting if the PCR
    allows it, else the PCR's first set."""
    chosen = str(context.settings.gwp_set)
    return chosen if chosen in pcr.gwp_sets else pcr.gwp_sets[0]


def check_loaded(
    context: Context,
    loaded: LoadedModel,
    pcr: Pcr | str | None = None,
    *,
    footprint: Footprint | None = None,
    parameters: Mapping[str, float] | None = None,
    gwp_set: str | None = None,
) -> CheckReport:
    """Run every rule of the PCR on a loaded model and its footprint (computed when not given).

    Raises
    ------
    PcrError, UnknownPcr
        When no PCR is named, the named one does not exist or a parameter name is unknown.
    """
    chosen = resolve_pcr(loaded, pcr)
    if footprint is None:
        footprint = footprint_of(
            context, loaded, gwp_set=gwp_set or default_gwp_set(context, chosen)
        )
    return check_model(loaded, footprint, pcr=chosen, parameters=parameters)


def check(context: Context, request: PcrCheckRequest) -> CheckReport:
    """The findings of the requested model against its PCR; ``report.passed`` is the verdict."""
    loaded = request.model.load(context.limits)
    pcr: Pcr | str | None = request.pcr
    if request.pcr_document is not None:
        pcr = show(request.pcr_document)
    return check_loaded(
        context, loaded, pcr, parameters=request.parameters, gwp_set=request.gwp_set
    )


__all__ = [
    "PcrCheckRequest",
    "PcrDocument",
    "check",
    "check_loaded",
    "default_gwp_set",
    "list_pcrs",
    "show",
]
