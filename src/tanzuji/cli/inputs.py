"""Reading what the user names on the command line into the bytes and text services take."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tanzuji.errors import ModelFileError, TanzujiError
from tanzuji.limits import InputLimits
from tanzuji.model.files import (
    decode_model_text,
    load_model_text,
    read_input_bytes,
    read_model_files,
)
from tanzuji.services.calculation import ModelInput


def read_bytes(
    path: Path, what: str, error: type[TanzujiError], limits: InputLimits | None = None
) -> bytes:
    """The bytes of a file the user named (size-limited); a missing file is a clear error."""
    limit = (limits or InputLimits()).max_upload_bytes
    return read_input_bytes(Path(path), what, error, limit)


def model_input(path: Path, limits: InputLimits | None = None) -> ModelInput:
    """A model file and the factor files it names (read next to it) as a :class:`ModelInput`."""
    limits = limits or InputLimits()
    file = Path(path)
    text = decode_model_text(read_bytes(file, "model file", ModelFileError, limits), str(file))
    loaded = load_model_text(text, str(file), limits=limits)
    loaded.path = file
    files = read_model_files(loaded, file.parent, limits)
    return ModelInput(name=str(file), text=text, files=files)


def read_json(path: Path, what: str, error: type[TanzujiError], limits: InputLimits) -> Any:
    """Parsed JSON of a file the user named."""
    raw = read_bytes(path, what, error, limits)
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise error(f"{path} is not valid JSON: {exc}") from None
