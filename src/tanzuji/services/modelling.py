"""Modelling service: a whole product system from openLCA or SimaPro as a Tanzuji model file.

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
from tanzuji.model.product_system import import_product_system
from tanzuji.services.base import Request, Result
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


__all__ = ["ProductSystemImport", "ProductSystemImportRequest", "import_product_system_file"]
