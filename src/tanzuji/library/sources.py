"""The files of a library package: a folder, a zip archive, one file, or bytes.

Every reader takes :class:`Member` items, so an upload (bytes) and a path read the same way.
Sizes are checked by :mod:`tanzuji.factors.importers.limits` (a zip bomb is refused before
anything is unpacked; archive members are read into memory, never extracted to disk).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tanzuji.errors import LibraryError
from tanzuji.factors.importers import limits


@dataclass(frozen=True)
class Member:
    """One file of a package: where it is (for messages) and its bytes."""

    location: str
    name: str
    data: bytes


def members(source: Path | str | bytes, name: str = "upload") -> Iterator[Member]:
    """Every file of ``source``: a folder (recursively), a zip archive, one file, or bytes.

    ``name`` labels bytes in messages (``upload.zip``). Files are yielded in sorted order.

    Raises
    ------
    LibraryError
        The path does not exist, or a zip archive cannot be read.
    """
    if isinstance(source, bytes):
        yield from _from_bytes(source, name)
        return
    path = Path(source)
    if path.is_dir():
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            yield Member(str(file), file.relative_to(path).as_posix(), limits.read_bytes(file))
        return
    if not path.is_file():
        raise LibraryError(
            "no such file or folder; expected a library package (folder, zip or file) / 文件不存在",
            location=str(path),
        )
    yield from _from_bytes(limits.read_bytes(path), str(path))


def _from_bytes(data: bytes, name: str) -> Iterator[Member]:
    if data[:4] != b"PK\x03\x04":
        yield Member(name, Path(name).name, data)
        return
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise LibraryError(
            f"not a readable zip archive ({exc}); expected a zip file", location=name
        ) from None
    with archive:
        limits.check_archive(archive, Path(name))
        for member in sorted(archive.namelist()):
            if member.endswith("/"):
                continue
            data = limits.read_member(archive, member, Path(name))
            yield Member(f"{name}[{member}]", member, data)
