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

import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import BinaryIO

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


#: A zip local file header (PKWARE APPNOTE.TXT 6.3.10, section 4.3.7): signature, version,
#: flags, method, time, date (5 x uint16 incl. version), CRC-32, sizes (3 x uint32), name and
#: extra-field lengths (2 x uint16) — 30 bytes.
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
_LOCAL_SIGNATURE = b"PK\x03\x04"
#: Bytes of compressed input fed to the decompressor per step.
_CHUNK_BYTES = 1 << 16


def read_member(archive: zipfile.ZipFile, name: str, path: Path) -> bytes:
    """One member of a checked archive, decompressed as a stream with a running cap.

    The member's compressed bytes are fed to the decompressor in chunks and the output is
    counted as it grows: the first byte past the size the archive declares stops the read
    with :class:`FactorImportError` (a crafted member cannot unpack more than it declared,
    so the archive total stays under ``max_unpacked_bytes``); a member that unpacks to less,
    or whose CRC-32 differs, is refused as corrupt.
    """
    info = archive.getinfo(name)
    where = f"{path}[{name}]"
    if info.flag_bits & 0x1:
        raise FactorImportError(
            "member is encrypted; expected an unencrypted archive", location=where
        )
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return _read_other_method(archive, info, where)
    decompressor = zlib.decompressobj(-zlib.MAX_WBITS) if info.compress_type else None
    declared, size, crc, chunks = info.file_size, 0, 0, []
    try:
        with Path(path).open("rb") as handle:
            remaining = _seek_member_data(handle, info, where)
            while remaining:
                raw = handle.read(min(_CHUNK_BYTES, remaining))
                if not raw:
                    raise FactorImportError("member is truncated", location=where)
                remaining -= len(raw)
                while raw:
                    if decompressor is None:
                        data, raw = raw[: declared - size + 1], raw[declared - size + 1 :]
                    else:
                        data = decompressor.decompress(raw, declared - size + 1)
                        raw = decompressor.unconsumed_tail
                    size += len(data)
                    if size > declared:
                        raise FactorImportError(
                            f"member unpacks past the {declared} bytes it declares; the archive "
                            "is corrupt or crafted (a zip bomb) and is refused",
                            location=where,
                            found=f"more than {declared} bytes",
                            expected=declared,
                        )
                    crc = zlib.crc32(data, crc)
                    chunks.append(data)
            if decompressor is not None:  # output zlib still holds (bounded by its window)
                data = decompressor.flush()
                size, crc = size + len(data), zlib.crc32(data, crc)
                chunks.append(data)
    except zlib.error as exc:
        raise FactorImportError(f"member cannot be decompressed ({exc})", location=where) from None
    except OSError as exc:
        raise FactorImportError(
            f"cannot read the archive: {exc.strerror}", location=where
        ) from None
    if size != declared or crc != info.CRC:
        raise FactorImportError(
            f"member unpacks to {size} bytes with CRC-32 {crc:08x}; it declares {declared} bytes "
            f"and {info.CRC:08x}: the archive is corrupt",
            location=where,
        )
    return b"".join(chunks)


def _seek_member_data(handle: BinaryIO, info: zipfile.ZipInfo, where: str) -> int:
    """Move ``handle`` to the member's compressed data; return its size in bytes."""
    handle.seek(info.header_offset)
    header = handle.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size or header[:4] != _LOCAL_SIGNATURE:
        raise FactorImportError(
            "member has no valid local header; the archive is corrupt", location=where
        )
    fields = _LOCAL_HEADER.unpack(header)
    handle.seek(fields[-2] + fields[-1], 1)  # file name and extra field
    return info.compress_size


def _read_other_method(archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: str) -> bytes:
    """Members compressed with bzip2/LZMA: zipfile's reader, which stops at the declared size."""
    try:
        with archive.open(info) as member:
            return member.read(info.file_size + 1)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise FactorImportError(
            f"member does not unpack to the {info.file_size} bytes it declares ({exc}); the "
            "archive is corrupt or crafted",
            location=where,
        ) from None
