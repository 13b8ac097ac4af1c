"""Size limits on what Tanzuji reads from outside (settings ``max_*``), as one value object.

An edge builds :class:`InputLimits` from its settings snapshot (``Context.limits``) and hands
it to the readers: model and PCR files (:mod:`tanzuji.model.files`), factor imports
(:mod:`tanzuji.factors.importers.limits`). The defaults are those of the settings; a test
checks that they agree.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InputLimits:
    """Largest inputs accepted.

    Attributes
    ----------
    max_upload_bytes : int
        Largest file read (model, PCR, factor import, evidence), in bytes.
    max_unpacked_bytes : int
        Largest total uncompressed size of the members of a zip archive, in bytes.
    max_document_nodes : int
        Largest number of values in a YAML/JSON document once its aliases are expanded.
    """

    max_upload_bytes: int = 200_000_000
    max_unpacked_bytes: int = 2_000_000_000
    max_document_nodes: int = 1_000_000
