"""The library formats: detection from a package's files, and one reader per format.

========== ============================================= ==========================
format     recognised by                                 reader
========== ============================================= ==========================
jsonld     ``.json`` documents with ``@type``            :func:`.jsonld.read`
ecospold2  ``.spold`` files, ``EcoSpold02`` XML          :func:`.datasets.read_ecospold2`
ecospold1  ``EcoSpold01`` XML, ``<dataset>`` elements    :func:`.datasets.read_ecospold1`
ilcd       ILCD ``processDataSet`` / ``flowDataSet`` ... :func:`.datasets.read_ilcd`
simapro    ``.csv``/``.txt`` starting ``{SimaPro``       :func:`.datasets.read_simapro`
========== ============================================= ==========================
"""

from __future__ import annotations

from collections.abc import Callable

from tanzuji.errors import LibraryError
from tanzuji.library import datasets, jsonld
from tanzuji.library.model import Library
from tanzuji.library.sources import Member

READERS: dict[str, Callable[[list[Member]], Library]] = {
    "jsonld": jsonld.read,
    "ecospold2": datasets.read_ecospold2,
    "ecospold1": datasets.read_ecospold1,
    "ilcd": datasets.read_ilcd,
    "simapro": datasets.read_simapro,
}


def detect(files: list[Member]) -> str:
    """The format of a package from its files' names and first bytes.

    Raises
    ------
    LibraryError
        No file of a known format.
    """
    for member in files:
        name = member.name.lower()
        head = member.data[:4096]
        if name.endswith(".json") and b'"@type"' in head:
            return "jsonld"
        if name.endswith(".spold") or (name.endswith(".xml") and b"EcoSpold02" in head):
            return "ecospold2"
        if name.endswith(".xml") and (b"EcoSpold01" in head or b"<dataset" in head):
            return "ecospold1"
        if name.endswith(".xml") and (b"lca.jrc.it/ILCD" in head or b"processDataSet" in head):
            return "ilcd"
        if name.endswith((".csv", ".txt")) and head.lstrip(b"\xef\xbb\xbf").startswith(b"{SimaPro"):
            return "simapro"
    names = ", ".join(m.name for m in files[:5]) or "no files"
    raise LibraryError(
        f"cannot tell the format of the package ({names}); expected openLCA JSON-LD, EcoSpold 1 "
        f"or 2, ILCD or SimaPro CSV (pass --format: {', '.join(READERS)}) / 无法识别数据包格式"
    )


def read(fmt: str, files: list[Member]) -> Library:
    """Read ``files`` with the reader of ``fmt``.

    Raises
    ------
    LibraryError
        Unknown format name.
    """
    if fmt not in READERS:
        raise LibraryError(
            f"unknown library format {fmt!r}; expected one of {', '.join(READERS)}", found=fmt
        )
    return READERS[fmt](files)
