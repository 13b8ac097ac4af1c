"""Modelling service: product models from a bill of materials, or from openLCA or SimaPro.

A bill of materials (:mod:`tanzuji.model.bom`) gets factor suggestions for its rows
(:func:`suggest_factors`) and becomes a model file naming the chosen factors, the choice of
every row recorded in it (:func:`model_from_bom`); its footprint is computed on the way, so
a model that does not calculate is refused with the row at fault.

The export arrives as bytes — one file (a JSON-LD zip or ``.json``, a SimaPro CSV) or the files
of an unpacked JSON-LD folder — and leaves as the text of a model file with the notes of what
the model language has no place for (:mod:`tanzuji.model.product_system`). The reader takes a
path, so the bytes go to a private temporary copy whose name never reaches a message.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePosixPath

from pydantic import Field

from tanzuji.context import Context
from tanzuji.factors.database import private_copy
from tanzuji.factors.importers import limits as import_limits
from tanzuji.footprint import Footprint
from tanzuji.model.bom import BomProduct, BomRow, model_text_of_bom
from tanzuji.model.product_system import import_product_system
from tanzuji.services import factors
from tanzuji.services.base import Request, Result
from tanzuji.services.calculation import CalculationRequest, ModelInput, calculate
from tanzuji.services.library import PackageFile


class ProductSystemImportRequest(Request):
    """An openLCA JSON-LD or SimaPro CSV export: one file, or the files of a JSON-LD folder."""

    name: str = Field(description="what the export is called in messages (its file name)")
    files: list[PackageFile] = Field(min_length=1)


class ProductSystemImport(Result):
    """The model file's text and what the import could not keep."""

    text: str
    processes: int
    notes: list[str]


def _one_file(request: ProductSystemImportRequest) -> bytes:
    """The export as one file: itself, or the folder's files packed into a zip (the reader
    takes both; it tells a zip by its content)."""
    if len(request.files) == 1:
        return request.files[0].content
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in request.files:
            archive.writestr(str(PurePosixPath(item.name)), item.content)
    return buffer.getvalue()


def import_product_system_file(
    context: Context, request: ProductSystemImportRequest
) -> ProductSystemImport:
    """Convert a product system export into a model file (nothing is stored).

    Raises
    ------
    ModelError
        The export holds no product system (JSON-LD) or no process (SimaPro), or a link names
        a process that is not in it.
    FactorImportError
        Unreadable files (size limits of the Context, malformed JSON or zip).
    """
    name = request.name
    with import_limits.applied(context.limits), private_copy(name, _one_file(request)) as path:
        imported = import_product_system(path)
        imported.source = imported.source.replace(str(path), name)
        imported.notes = [note.replace(str(path), name) for note in imported.notes]
    return ProductSystemImport(
        text=imported.yaml_text(),
        processes=len(imported.document["processes"]),
        notes=imported.notes,
    )


# -- bill of materials ------------------------------------------------------------------------
class BomLine(Request):
    """A row of a bill of materials before its factor is chosen (what the matcher reads)."""

    text: str = Field(min_length=1, max_length=300)
    amount: float | None = Field(None, gt=0)
    unit: str | None = Field(None, max_length=40)
    geography: str | None = Field(None, max_length=40)
    year: int | None = Field(None, ge=1990, le=2100)


class SuggestRequest(Request):
    lines: list[BomLine] = Field(min_length=1, max_length=500)
    release: str | None = Field(None, description="factor release (default: the Context's)")
    limit: int = Field(5, ge=1, le=20, description="suggestions per row")


class FactorChoice(Result):
    """One suggested factor for a row: what it is, its value and why it was proposed."""

    id: str
    name_en: str
    name_zh: str
    unit: str
    kg_co2e_per_unit: float | None = Field(description="when the source gives CO2e")
    gases_kg_per_unit: dict[str, float] = Field(description="gas amounts, when it gives gases")
    geography: str
    year: int | None
    source: str
    confidence: float = Field(description="the matcher's confidence, 0..1")
    explanation: str


class RowSuggestions(Result):
    """The suggestions for one row, best first (empty: nothing matches in a compatible unit)."""

    row: int = Field(description="position of the row in the request, from 0")
    candidates: list[FactorChoice]


def suggest_factors(context: Context, request: SuggestRequest) -> list[RowSuggestions]:
    """Ranked factor suggestions with confidence for each row of a bill of materials."""
    found = []
    for position, line in enumerate(request.lines):
        candidates = factors.match(
            context,
            factors.MatchRequest(
                text=line.text,
                amount=line.amount,
                unit=line.unit,
                geography=line.geography,
                year=line.year,
                release=request.release,
                limit=request.limit,
            ),
        ).candidates
        found.append(
            RowSuggestions(
                row=position,
                candidates=[
                    FactorChoice(
                        id=c.record.id,
                        name_en=c.record.name_en,
                        name_zh=c.record.name_zh,
                        unit=c.record.unit,
                        kg_co2e_per_unit=c.record.kg_co2e,
                        gases_kg_per_unit={
                            g.gas: g.amount_kg for g in c.record.gases if g.amount_kg is not None
                        },
                        geography=c.record.geography,
                        year=c.record.year,
                        source=f"{c.record.source.publisher}: {c.record.source.document}",
                        confidence=round(float(c.confidence), 4),
                        explanation=c.explanation,
                    )
                    for c in candidates
                ],
            )
        )
    return found


class BomRequest(Request):
    """A bill of materials with the factor chosen for every row."""

    product: BomProduct
    rows: list[BomRow] = Field(min_length=1, max_length=500)


class BomModel(Result):
    """The model built from a bill of materials, and its footprint."""

    model: ModelInput
    footprint: Footprint


def model_from_bom(context: Context, request: BomRequest) -> BomModel:
    """The model file of a bill of materials, checked by computing its footprint with the
    Context's factors (nothing is stored: applying stores it).

    Raises
    ------
    UnknownFactor
        When a chosen factor is not in the Context's factors; the message names the row.
    ModelError, UnitMismatch
        When the rows do not make a model that calculates (a unit that does not convert).
    """
    text = model_text_of_bom(request.product, list(request.rows))
    model = ModelInput(name=f"{request.product.id}.yaml", text=text)
    result = calculate(context, CalculationRequest(model=model))
    return BomModel(model=model, footprint=result.footprint)


__all__ = [
    "BomLine",
    "BomModel",
    "BomRequest",
    "FactorChoice",
    "ProductSystemImport",
    "ProductSystemImportRequest",
    "RowSuggestions",
    "SuggestRequest",
    "import_product_system_file",
    "model_from_bom",
    "suggest_factors",
]
