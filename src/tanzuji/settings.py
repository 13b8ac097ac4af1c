"""One settings registry: name, default, unit, help.

Values come, in increasing priority, from the defaults here, the config file
(``TANZUJI_CONFIG`` or ``./tanzuji.toml``, table ``[tanzuji]``) and environment variables
``TANZUJI_<NAME>`` (upper case). The CLI and the docs are generated from :data:`REGISTRY`
(``tanzuji settings`` lists them; ``docs/settings.md`` is checked against it by a test).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tanzuji.errors import SettingError


@dataclass(frozen=True)
class Setting:
    """One configurable value.

    Parameters
    ----------
    name : str
        Snake-case name; the environment variable is ``TANZUJI_`` + upper case name.
    default : Any
        Value used when nothing else sets it.
    unit : str
        Unit of the value (``"s"``, ``"ms"``, ``"bytes"``, ``"1"`` for dimensionless,
        ``"-"`` for text).
    help : str
        One sentence for docs and ``--help``.
    parse : Callable[[str], Any]
        Turns the text of an environment variable into the value.
    """

    name: str
    default: Any
    unit: str
    help: str
    parse: Callable[[str], Any] = str

    @property
    def env_var(self) -> str:
        return "TANZUJI_" + self.name.upper()


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true/false, found {text!r}")


REGISTRY: dict[str, Setting] = {}


def register(setting: Setting) -> Setting:
    """Add a setting to the registry (modules register their own at import time)."""
    if setting.name in REGISTRY:
        raise SettingError(f"setting {setting.name!r} is registered twice")
    REGISTRY[setting.name] = setting
    return setting


for _s in (
    Setting("gwp_set", "AR6", "-", "GWP100 set used to characterize gases: AR4, AR5 or AR6."),
    Setting("language", "en", "-", "Language of names in printed tables: en or zh (显示语言)."),
    Setting(
        "data_dir",
        str(Path.home() / ".local" / "share" / "tanzuji"),
        "-",
        "Directory for the embedded database, keys and evidence files.",
    ),
    Setting(
        "database_url",
        "",
        "-",
        "SQLAlchemy URL of the database; empty means the SQLite file tanzuji.db in data_dir.",
    ),
    Setting(
        "factor_release",
        "",
        "-",
        "Factor database release that model references without @RELEASE resolve from; empty "
        "means the newest published version of each factor.",
    ),
    Setting(
        "tree_cutoff",
        0.01,
        "1",
        "Relative cut-off for supply-chain trees: branches below this share of the total "
        "are folded.",
        float,
    ),
    Setting(
        "tree_max_nodes", 2000, "1", "Largest number of nodes a supply-chain tree expands.", int
    ),
    Setting(
        "solver_max_residual",
        1e-8,
        "1",
        "Largest relative residual |A s - f| / |f| accepted from the technosphere solve before "
        "the system is reported as ill-posed.",
        float,
    ),
    Setting(
        "solver_dense_block_max",
        64,
        "1",
        "Loop blocks of the technosphere up to this many processes are factorized densely "
        "(LAPACK); larger ones with sparse LU.",
        int,
    ),
    Setting(
        "use_umfpack", True, "-", "Use scikit-umfpack for loop blocks when it is installed.", _bool
    ),
):
    register(_s)


register(
    Setting(
        "certificate_validity_years",
        3,
        "a",
        "Validity period of an issued carbon-footprint label certificate, in years.",
        int,
    )
)
register(
    Setting(
        "certificate_base_url",
        "https://tanzuji.example/c/",
        "-",
        "Base URL of the public certificate pages; the label QR code opens this URL plus the "
        "certificate id.",
    )
)

register(
    Setting(
        "max_upload_bytes",
        200_000_000,
        "bytes",
        "Largest input file read (model, PCR, factor import, certificate, evidence); larger files "
        "are refused before they are read.",
        int,
    )
)
register(
    Setting(
        "max_unpacked_bytes",
        2_000_000_000,
        "bytes",
        "Largest total uncompressed size of the members of an imported zip archive (zip bombs "
        "are refused before anything is decompressed).",
        int,
    )
)
register(
    Setting(
        "max_document_nodes",
        1_000_000,
        "1",
        "Largest number of values a YAML/JSON model or PCR file may hold once its aliases are "
        "expanded (refuses 'billion laughs' alias bombs).",
        int,
    )
)


def _config_file_values() -> dict[str, Any]:
    path = Path(os.environ.get("TANZUJI_CONFIG", "tanzuji.toml"))
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SettingError(f"config file {path} is not valid TOML: {exc}") from exc
    section = data.get("tanzuji", {})
    unknown = sorted(set(section) - set(REGISTRY))
    if unknown:
        raise SettingError(
            f"config file {path} has unknown settings {unknown}; known: {sorted(REGISTRY)}"
        )
    return section


def get(name: str) -> Any:
    """Return the current value of setting ``name`` (env var > config file > default)."""
    try:
        setting = REGISTRY[name]
    except KeyError:
        raise SettingError(
            f"unknown setting {name!r}; known settings: {', '.join(sorted(REGISTRY))}"
        ) from None
    raw = os.environ.get(setting.env_var)
    if raw is not None:
        try:
            return setting.parse(raw)
        except ValueError as exc:
            raise SettingError(
                f"environment variable {setting.env_var}={raw!r} is invalid: {exc}"
            ) from exc
    file_values = _config_file_values()
    if name in file_values:
        return file_values[name]
    return setting.default


def describe() -> list[dict[str, Any]]:
    """All settings with their current values, for the CLI and the docs."""
    return [
        {
            "name": s.name,
            "env_var": s.env_var,
            "default": s.default,
            "unit": s.unit,
            "help": s.help,
        }
        for s in REGISTRY.values()
    ]
