"""Size limits on what an import reads: the file itself and the members of a zip archive.

Factor files come from outside (a consultant's export, a supplier's upload), so every importer
reads through these functions: a file larger than ``max_upload_bytes`` is refused before it is
read, and a zip archive whose members would unpack to more than ``max_unpacked_bytes`` (a zip
bomb) is refused before anything is decompressed. Archive members are only ever read into
memory, never extracted to disk, so a member name such as ``../../etc/passwd`` (zip-slip)
names nothing on the file system.

The limits in force are those of the caller: a service runs an import inside
``with applied(context.limits):`` (a context variable, so concurrent imports of different
tenants each see their own); outside one, the defaults of :class:`~tanzuji.limits.InputLimits`.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from tanzuji.errors import FactorImportError
from tanzuji.limits import InputLimits

_LIMITS: ContextVar[InputLimits | None] = ContextVar("tanzuji_import_limits", default=None)


@contextmanager
def applied(limits: InputLimits) -> Iterator[InputLimits]:
    """Run the block with ``limits`` in force for every importer it calls."""
    token = _LIMITS.set(limits)
    try:
        yield limits
    finally:
        _LIMITS.reset(token)


def current() -> InputLimits:
    """The limits in force (see :func:`applied`); the defaults outside one."""
    return _LIMITS.get() or InputLimits()


def check_size(path: Path) -> None:
    """Refuse ``path`` when it is larger than ``max_upload_bytes`` of the limits in force."""
    limit = current().max_upload_bytes
    try:
        size = Path(path).stat().st_size
    except OSError as exc:
        raise FactorImportError(
            f"cannot read the file: {exc.strerror}", location=str(path)
        ) from None
    if size > limit:
        raise FactorImportError(
            f"file is {size} bytes; at most {limit} bytes are imported (setting max_upload_bytes)",
            location=str(path),
            found=size,
            expected=limit,
        )


def read_bytes(path: Path) -> bytes:
    """The bytes of ``path`` after :func:`check_size`."""
    check_size(path)
    return Path(path).read_bytes()


def check_archive(archive: zipfile.ZipFile, path: Path) -> None:
    """Refuse an archive whose members unpack to more than ``max_unpacked_bytes`` in total.

    The sizes are the ones the archive declares; :func:`read_member` also stops a member that
    unpacks to more than it declared.
    """
    limit = current().max_unpacked_bytes
    total = sum(info.file_size for info in archive.infolist())
    if total > limit:
        raise FactorImportError(
            f"zip archive unpacks to {total} bytes; at most {limit} bytes are read (setting "
            "max_unpacked_bytes) — split the package or raise the setting",
            location=str(path),
            found=total,
            expected=limit,
        )


def read_member(archive: zipfile.ZipFile, name: str, path: Path) -> bytes:
    """One member of a checked archive, read in chunks and stopped past its declared size."""
    declared = archive.getinfo(name).file_size
    chunks, size = [], 0
    with archive.open(name) as member:
        while chunk := member.read(1 << 20):
            size += len(chunk)
            if size > declared:
                raise FactorImportError(
                    f"member {name!r} unpacks to more than the {declared} bytes it declares; "
                    "the archive is corrupt or crafted",
                    location=str(path),
                )
            chunks.append(chunk)
    return b"".join(chunks)
