"""Loading PCR files: the shipped ones (``pcr/rules/*.yaml``) and any file a user names.

A model names its PCR in ``product.pcr`` as ``id`` (the latest version shipped) or
``id@version`` (that exact version). Errors in a PCR file name its file, line and field.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

from tanzuji.errors import ModelFileError, PcrError, UnknownPcr
from tanzuji.model.files import parse_document, read_input_bytes, validate_document
from tanzuji.pcr.schema import Pcr


def parse_pcr(text: str, file: str) -> Pcr:
    """Validate the text of a PCR file; errors carry ``file:line path``."""
    try:
        data, source_map = parse_document(text, file, expected="a PCR (see docs/pcr.md)")
    except ModelFileError as exc:
        raise PcrError(exc.message) from None
    if not isinstance(data, dict):
        raise PcrError(f"{file} holds a {type(data).__name__}; expected a PCR mapping (id, ...)")
    return validate_document(Pcr, data, source_map, what="the PCR file", error=PcrError)


def load_pcr_file(path: str | Path) -> Pcr:
    """Read and validate one PCR file."""
    file = Path(path)
    try:
        text = read_input_bytes(file, "PCR file", PcrError).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PcrError(f"{file} is not UTF-8 text; save it as UTF-8") from None
    return parse_pcr(text, str(file))


@lru_cache(maxsize=1)
def shipped() -> tuple[Pcr, ...]:
    """Every PCR shipped in ``tanzuji/pcr/rules``, sorted by id then version."""
    folder = resources.files("tanzuji.pcr").joinpath("rules")
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".yaml"):
            found.append(parse_pcr(entry.read_text(encoding="utf-8"), f"pcr/rules/{entry.name}"))
    refs = [p.ref for p in found]
    duplicates = sorted({r for r in refs if refs.count(r) > 1})
    if duplicates:
        raise PcrError(f"shipped PCRs define {duplicates} more than once; each id@version once")
    return tuple(sorted(found, key=lambda p: (p.id, _version_key(p.version))))


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def split_ref(ref: str) -> tuple[str, str | None]:
    """``"battery-eu-2023@1.0"`` -> ``("battery-eu-2023", "1.0")``; no ``@`` -> version None."""
    pcr_id, _, version = ref.strip().partition("@")
    return pcr_id.strip(), (version.strip() or None)


def get_pcr(ref: str, candidates: tuple[Pcr, ...] | None = None) -> Pcr:
    """The PCR a reference names: exact ``id@version``, or the latest version of ``id``."""
    pool = shipped() if candidates is None else candidates
    pcr_id, version = split_ref(ref)
    matches = [p for p in pool if p.id == pcr_id]
    if not matches:
        known = ", ".join(sorted({p.id for p in pool}))
        raise UnknownPcr(
            f"no PCR with id {pcr_id!r}; known PCRs: {known} (`tanzuji pcr list`)",
            found=ref,
        )
    if version is None:
        return max(matches, key=lambda p: _version_key(p.version))
    for pcr in matches:
        if pcr.version == version:
            return pcr
    versions = ", ".join(p.version for p in matches)
    raise UnknownPcr(f"PCR {pcr_id!r} has no version {version!r}; versions: {versions}", found=ref)


__all__ = ["get_pcr", "load_pcr_file", "parse_pcr", "shipped", "split_ref"]
