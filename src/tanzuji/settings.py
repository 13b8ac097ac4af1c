"""One settings registry: name, default, type, unit, help — and typed snapshots of it.

Values come, in increasing priority, from the defaults here, the config file
(``TANZUJI_CONFIG`` or ``./tanzuji.toml``, table ``[tanzuji]``) and environment variables
``TANZUJI_<NAME>`` (upper case). Every value, whatever its source, is parsed and checked by its
setting's type: ``use_umfpack = "false"`` in the config file is ``False``, as
``TANZUJI_USE_UMFPACK=false`` is; a value that does not parse is one :class:`SettingError`
naming the file or variable, the setting, what was found and what was expected.

Only the edges read settings: the CLI, the web app and the job runner call :func:`load` once
and put the resulting :class:`Settings` snapshot into a :class:`tanzuji.context.Context`.
Nothing below them calls :func:`load` or reads the environment. ``tanzuji settings`` lists
every setting with its value and where the value came from; ``docs/settings.md`` is generated
from :data:`REGISTRY` (``scripts/gen_settings_doc.py``) and checked by a test.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tanzuji.errors import SettingError

#: Where a value came from (the ``source`` column of ``tanzuji settings``).
DEFAULT, CONFIG_FILE, ENVIRONMENT, GIVEN = "default", "config file", "environment", "given"


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, found {text!r}")


def _int(text: str) -> int:
    try:
        return int(text.strip().replace("_", ""))
    except ValueError:
        raise ValueError(f"expected a whole number, found {text!r}") from None


def _float(text: str) -> float:
    try:
        return float(text.strip())
    except ValueError:
        raise ValueError(f"expected a number, found {text!r}") from None


_PARSERS: dict[type, Callable[[str], Any]] = {bool: _bool, int: _int, float: _float, str: str}
_TYPE_NAMES = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}


@dataclass(frozen=True)
class Setting:
    """One configurable value.

    Parameters
    ----------
    name : str
        Snake-case name; the environment variable is ``TANZUJI_`` + upper case name.
    default : bool, int, float or str
        Value used when nothing else sets it; its type is the setting's type.
    unit : str
        Unit of the value (``"s"``, ``"ms"``, ``"bytes"``, ``"1"`` for dimensionless,
        ``"-"`` for text or a switch).
    help : str
        One sentence for docs and ``tanzuji settings``.
    parse : callable, optional
        Turns text (an environment variable, a quoted config value) into the value; default:
        the parser of the default's type.
    choices : tuple of str
        The allowed values of a text setting (empty: any text).
    minimum, maximum : float, optional
        Bounds of a number setting, inclusive.
    """

    name: str
    default: Any
    unit: str
    help: str
    parse: Callable[[str], Any] | None = None
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None

    @property
    def env_var(self) -> str:
        return "TANZUJI_" + self.name.upper()

    @property
    def kind(self) -> type:
        """The Python type of the value: bool, int, float or str."""
        return type(self.default)

    @property
    def type_name(self) -> str:
        if self.choices:
            return " | ".join(self.choices)
        return _TYPE_NAMES.get(self.kind, self.kind.__name__)

    def coerce(self, raw: Any) -> Any:
        """The value of ``raw`` (text or a TOML value) as this setting's type.

        Raises
        ------
        ValueError
            Saying what was found and what was expected.
        """
        kind = self.kind
        if isinstance(raw, str):
            value = (self.parse or _PARSERS.get(kind, str))(raw)
        elif kind is bool and isinstance(raw, bool):
            value = raw
        elif kind is int and isinstance(raw, int) and not isinstance(raw, bool):
            value = raw
        elif kind is float and isinstance(raw, int | float) and not isinstance(raw, bool):
            value = float(raw)
        else:
            hint = " (write text in quotes)" if kind is str else ""
            raise ValueError(f"expected {self.type_name}{hint}, found {raw!r}")
        return self.check(value)

    def check(self, value: Any) -> Any:
        """``value`` when it is one of the choices and within the bounds; else ValueError."""
        if self.choices and value not in self.choices:
            raise ValueError(f"expected one of {', '.join(self.choices)}, found {value!r}")
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"expected at least {self.minimum:g}, found {value!r}")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"expected at most {self.maximum:g}, found {value!r}")
        return value


REGISTRY: dict[str, Setting] = {}


def register(setting: Setting) -> Setting:
    """Add a setting to the registry.

    Every setting is registered here, in this module, so that a snapshot knows them all
    without importing the modules that use them.
    """
    if setting.name in REGISTRY:
        raise SettingError(f"setting {setting.name!r} is registered twice")
    if setting.kind not in _PARSERS:
        raise SettingError(
            f"setting {setting.name!r} has a default of type {setting.kind.__name__}; "
            "expected bool, int, float or str"
        )
    REGISTRY[setting.name] = setting
    return setting


for _s in (
    Setting(
        "gwp_set",
        "AR6",
        "-",
        "GWP100 set used to characterize gases: AR4, AR5 or AR6.",
        parse=lambda text: text.strip().upper(),
        choices=("AR4", "AR5", "AR6"),
    ),
    Setting(
        "language",
        "en",
        "-",
        "Language of names in printed tables: en or zh (显示语言).",
        choices=("en", "zh"),
    ),
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
        "SQLAlchemy URL of the database; empty means the SQLite file tanzuji.db in data_dir "
        "(created and upgraded on first use; any other database is upgraded by "
        "'tanzuji db upgrade').",
    ),
    Setting(
        "database_busy_timeout_ms",
        30_000,
        "ms",
        "How long a SQLite writer waits for another process's write transaction to finish "
        "before giving up.",
        minimum=0,
    ),
    Setting(
        "factor_release",
        "",
        "-",
        "Factor database release that model references without @RELEASE and match: inputs "
        "resolve from; empty means the newest published version of each factor (and the "
        "built-in starter factors for ids the database lacks).",
    ),
    Setting(
        "tree_cutoff",
        0.01,
        "1",
        "Relative cut-off for supply-chain trees: branches below this share of the total "
        "are folded.",
        minimum=0.0,
        maximum=1.0,
    ),
    Setting(
        "tree_max_nodes",
        2000,
        "1",
        "Largest number of nodes a supply-chain tree expands.",
        minimum=1,
    ),
    Setting(
        "solver_max_residual",
        1e-8,
        "1",
        "Largest relative residual |A s - f| / |f| accepted from the technosphere solve before "
        "the system is reported as ill-posed.",
        minimum=0.0,
    ),
    Setting(
        "solver_dense_block_max",
        64,
        "1",
        "Loop blocks of the technosphere up to this many processes are factorized densely "
        "(LAPACK); larger ones with sparse LU.",
        minimum=1,
    ),
    Setting("use_umfpack", True, "-", "Use scikit-umfpack for loop blocks when it is installed."),
    Setting(
        "solver_method",
        "auto",
        "-",
        "How loop blocks are solved: auto (GMRES with a Jacobi preconditioner for one demand "
        "on a large supply-chain loop, LU otherwise; docs/engine.md), lu (always LU) or "
        "iterative (GMRES on every loop block of a single demand, LU as fall back).",
        choices=("auto", "lu", "iterative"),
    ),
    Setting(
        "solver_iterative_min_block",
        500,
        "1",
        "Smallest loop block (processes) that solver_method=auto solves by GMRES for a single "
        "demand; smaller blocks are factorized (LU costs a few ms there).",
        minimum=1,
    ),
    Setting(
        "solver_iterative_tolerance",
        1e-12,
        "1",
        "Largest relative residual max|B x - r| / max|r| accepted from GMRES on a loop block, "
        "recomputed on the block; above it the block is solved by LU.",
        minimum=0.0,
    ),
    Setting(
        "solver_iterative_max_iterations",
        300,
        "1",
        "GMRES iterations (matrix-vector products) on a loop block before it falls back to LU.",
        minimum=1,
    ),
    Setting(
        "mc_tolerance",
        1e-12,
        "1",
        "Monte Carlo: largest relative residual |B_i x - r| / |r| of a loop block accepted "
        "from the refinement preconditioned by the mean factorization.",
        minimum=0.0,
    ),
    Setting(
        "mc_max_refinements",
        40,
        "1",
        "Monte Carlo: refinement steps before an iteration falls back to a fresh factorization.",
        minimum=0,
    ),
    Setting(
        "mc_dense_block_max",
        4096,
        "1",
        "Monte Carlo: loop blocks up to this many processes are factorized densely for the "
        "mean system (one factorization, many solves).",
        minimum=1,
    ),
    Setting(
        "mc_single_precision",
        True,
        "-",
        "Monte Carlo: apply the mean LU of large dense loop blocks in single precision "
        "(residuals stay in double precision, so the result keeps mc_tolerance).",
    ),
    Setting(
        "mc_batch_size",
        64,
        "1",
        "Monte Carlo: iterations solved together as the columns of one block.",
        minimum=1,
    ),
    Setting(
        "mc_partitioned",
        False,
        "-",
        "Monte Carlo: solve the background (process-library blocks) once at its mean and "
        "resample only the foreground, as bw2calc's PartitionedMonteCarloLCA (faster; "
        "background uncertainty is left out; docs/engine.md).",
    ),
    Setting(
        "certification_scheme",
        "gba",
        "-",
        "Certification scheme of new applications: its certificate validity and surveillance "
        "interval (data/schemes/schemes.yaml; gba: the GBA label, cnca-2025: the national "
        "CNCA rule of 2025).",
        choices=("gba", "cnca-2025"),
    ),
    Setting(
        "certificate_base_url",
        "https://tanzuji.example/c/",
        "-",
        "Base URL of the public certificate pages; the label QR code opens this URL plus the "
        "certificate id.",
    ),
    Setting(
        "max_upload_bytes",
        200_000_000,
        "bytes",
        "Largest input file read (model, PCR, factor import, certificate, evidence); larger files "
        "are refused before they are read.",
        minimum=1,
    ),
    Setting(
        "max_unpacked_bytes",
        2_000_000_000,
        "bytes",
        "Largest total uncompressed size of the members of an imported zip archive (zip bombs "
        "are refused before anything is decompressed).",
        minimum=1,
    ),
    Setting(
        "max_document_nodes",
        1_000_000,
        "1",
        "Largest number of values a YAML/JSON model or PCR file may hold once its aliases are "
        "expanded (refuses 'billion laughs' alias bombs).",
        minimum=1,
    ),
    Setting(
        "pact_bind",
        "127.0.0.1",
        "-",
        "Address the PACT host (tanzuji pact serve) listens on; 0.0.0.0 for every interface.",
    ),
    Setting("pact_port", 8443, "1", "TCP port of the PACT host's HTTPS listener.", minimum=1),
    Setting(
        "pact_public_url",
        "",
        "-",
        "Base URL partners reach the PACT host at (the source of the events it sends, the "
        "issuer of its tokens); empty means https://BIND:PORT.",
    ),
    Setting(
        "pact_tls_cert",
        "",
        "-",
        "PEM certificate (chain) of the PACT host; empty means a self-signed certificate for "
        "localhost and 127.0.0.1, generated once in data_dir/pact/.",
    ),
    Setting(
        "pact_tls_key",
        "",
        "-",
        "PEM private key of pact_tls_cert; empty with an empty pact_tls_cert.",
    ),
    Setting(
        "pact_tls_ca",
        "",
        "-",
        "PEM bundle of CAs the PACT client trusts when it calls other hosts (e.g. a partner's "
        "self-signed certificate); empty means the system CAs.",
    ),
    Setting(
        "pact_token_lifetime_s",
        3600,
        "s",
        "Lifetime of the access tokens the PACT host issues (expires_in).",
        minimum=60,
    ),
    Setting(
        "pact_max_page_size",
        1000,
        "1",
        "Most footprints one ListFootprints page returns (a smaller limit asked is obeyed; "
        "more come through the Link rel=next).",
        minimum=1,
    ),
    Setting(
        "pact_auto_fulfil",
        True,
        "-",
        "Answer a RequestCreatedEvent at once when exactly one active footprint shared with "
        "the requester matches it; otherwise it waits as a task (tanzuji pact tasks).",
    ),
    Setting(
        "pact_auto_reject",
        True,
        "-",
        "Reject a RequestCreatedEvent at once (NotFound) when the data owner has no footprint "
        "for its product ids at all; otherwise it waits as a task.",
    ),
    Setting(
        "pact_delivery_interval_s",
        0.5,
        "s",
        "How often the PACT host's delivery loop looks for events due in the outbox.",
        minimum=0.05,
    ),
    Setting(
        "pact_retry_base_s",
        2.0,
        "s",
        "First retry delay of an outgoing PACT event; each failure doubles it (exponential "
        "backoff, at most pact_retry_max_s).",
        minimum=0.01,
    ),
    Setting(
        "pact_retry_max_s",
        3600.0,
        "s",
        "Longest wait between two delivery attempts of an outgoing PACT event.",
        minimum=0.01,
    ),
    Setting(
        "pact_retry_give_up_s",
        259_200.0,
        "s",
        "Age after which an undelivered PACT event is abandoned (PACT v3: SHOULD NOT retry "
        "for more than 3 days = 259200 s).",
        minimum=1.0,
    ),
    Setting(
        "pact_allow_http_loopback",
        False,
        "-",
        "Let the PACT client call hosts on plain HTTP when they are on the loopback interface "
        "(127.0.0.1, localhost, ::1) - for a local test tool; every other host needs HTTPS.",
    ),
    Setting(
        "pact_openapi_file",
        "",
        "-",
        "PACT OpenAPI document (JSON or YAML) that received footprints are validated against "
        "(not shipped: its licence forbids redistribution); empty means Tanzuji's own model "
        "of the specification.",
    ),
    Setting("web_host", "127.0.0.1", "-", "Address the web platform (tanzuji serve) listens on."),
    Setting("web_port", 8000, "1", "TCP port of the web platform.", minimum=1, maximum=65535),
    Setting(
        "web_workers",
        1,
        "1",
        "Worker processes of tanzuji serve (uvicorn workers; each also runs background jobs).",
        minimum=1,
    ),
    Setting(
        "web_secret",
        "",
        "-",
        "Secret key of the web platform (signs the login form's CSRF cookie); empty means a "
        "random key generated once in data_dir/web/secret.",
    ),
    Setting(
        "web_max_request_bytes",
        50_000_000,
        "bytes",
        "Largest request body the web platform accepts (HTTP 413 beyond it).",
        minimum=1,
    ),
    Setting(
        "web_session_lifetime_s",
        28_800,
        "s",
        "How long a login session lasts without activity before it must log in again.",
        minimum=60,
    ),
    Setting(
        "web_cookie_secure",
        False,
        "-",
        "Mark session cookies Secure (set it behind an HTTPS reverse proxy).",
    ),
    Setting(
        "web_login_attempts",
        5,
        "1",
        "Failed logins allowed per user name and per client address within "
        "web_login_window_s before further attempts are refused (HTTP 429).",
        minimum=1,
    ),
    Setting(
        "web_login_window_s",
        300,
        "s",
        "Window of the login rate limit.",
        minimum=1,
    ),
    Setting(
        "web_public_head_s",
        1.0,
        "s",
        "How long a web process answers public certificate pages from the signed tree head "
        "it last read before reading it again (a status change made by another process shows "
        "within this time, or within twice this time on a busy page, which a worker thread "
        "reads the newer head for; one made by this process at once). 0: read it on every "
        "request.",
        minimum=0,
    ),
    Setting(
        "web_page_size",
        50,
        "1",
        "Default number of items in one page of an API list (limit).",
        minimum=1,
    ),
    Setting(
        "web_max_page_size",
        500,
        "1",
        "Largest number of items one page of an API list returns.",
        minimum=1,
    ),
    Setting(
        "job_threads",
        2,
        "1",
        "Background jobs one web process runs at the same time.",
        minimum=1,
    ),
    Setting(
        "job_poll_interval_s",
        1.0,
        "s",
        "How often the job runner looks for queued jobs and writes its heartbeat.",
        minimum=0.05,
    ),
    Setting(
        "job_stale_after_s",
        30.0,
        "s",
        "A running job whose runner wrote no heartbeat for this long is taken as interrupted "
        "(its process stopped): resumed from the start or marked failed.",
        minimum=1.0,
    ),
    Setting(
        "job_max_attempts",
        2,
        "1",
        "Times an interrupted job is started in all before it is marked failed.",
        minimum=1,
    ),
):
    register(_s)


# Scale: snapshots, batch footprints, distributed jobs, rechecks at scale (docs/scale.md).
for _s in (
    Setting(
        "dask_scheduler",
        "",
        "-",
        "Address of a dask.distributed scheduler (e.g. tcp://10.0.0.5:8786) that runs batch "
        "and Monte Carlo jobs; empty means a LocalCluster on this machine.",
    ),
    Setting(
        "dask_workers",
        2,
        "1",
        "Worker processes of the LocalCluster started when no dask_scheduler is set.",
        minimum=1,
    ),
    Setting(
        "batch_chunk_rows",
        4_000_000,
        "rows",
        "Rows of product variants read, scored and written at a time by a batch run (memory "
        "grows with it: about 40 bytes per row, a few chunks at once).",
        minimum=1_000,
    ),
    Setting(
        "batch_threads",
        2,
        "1",
        "Threads that score one chunk of a batch run.",
        minimum=1,
    ),
    Setting(
        "snapshot_cache_entries",
        8,
        "1",
        "Snapshots (factor release x model version) whose intensities are kept in memory; "
        "more are kept on disk in data_dir/snapshots.",
        minimum=1,
    ),
    Setting(
        "recheck_threshold_percent",
        5.0,
        "%",
        "A recheck lists a certificate when its footprint under a new factor release moved "
        "by more than this share of the certified value (the label scheme's threshold).",
        minimum=0.0,
    ),
):
    register(_s)


@dataclass(frozen=True)
class SettingValue:
    """One row of ``tanzuji settings``: a setting, its current value and where it came from."""

    name: str
    value: Any
    source: str
    default: Any
    unit: str
    type_name: str
    env_var: str
    help: str


@dataclass(frozen=True)
class Settings:
    """An immutable, typed snapshot of every setting (what an edge puts into a Context).

    Build one with :func:`load` (environment and config file) or :meth:`defaults`; read values
    as attributes (``snapshot.gwp_set``) or with :meth:`get`. ``sources`` says for each name
    where its value came from: ``default``, ``config file PATH``, ``environment VAR`` or
    ``given`` (passed to :meth:`replace`).
    """

    values: Mapping[str, Any]
    sources: Mapping[str, str] = field(default_factory=dict)
    config_file: Path | None = None

    @classmethod
    def defaults(cls) -> Settings:
        """Every setting at its default (tests, libraries that read nothing)."""
        values = {name: s.default for name, s in REGISTRY.items()}
        return cls(values, dict.fromkeys(REGISTRY, DEFAULT))

    def get(self, name: str) -> Any:
        """The value of setting ``name``.

        Raises
        ------
        SettingError
            When no setting has that name.
        """
        try:
            return self.values[name]
        except KeyError:
            raise SettingError(
                f"unknown setting {name!r}; known settings: {', '.join(sorted(REGISTRY))}"
            ) from None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in REGISTRY:
            raise AttributeError(name)
        return self.get(name)

    def replace(self, **changes: Any) -> Settings:
        """A new snapshot with ``changes`` (parsed and checked like any other value)."""
        values, sources = dict(self.values), dict(self.sources)
        for name, raw in changes.items():
            setting = _setting(name)
            try:
                values[name] = setting.coerce(raw)
            except ValueError as exc:
                raise SettingError(f"setting {name}={raw!r} is invalid: {exc}") from None
            sources[name] = GIVEN
        return Settings(values, sources, self.config_file)

    def describe(self) -> list[SettingValue]:
        """Every setting with its value, source, unit, type and help, sorted by name."""
        return [
            SettingValue(
                name=s.name,
                value=self.values.get(s.name, s.default),
                source=self.sources.get(s.name, DEFAULT),
                default=s.default,
                unit=s.unit,
                type_name=s.type_name,
                env_var=s.env_var,
                help=s.help,
            )
            for s in sorted(REGISTRY.values(), key=lambda s: s.name)
        ]

    @property
    def data_path(self) -> Path:
        """``data_dir`` as a path, ``~`` expanded."""
        return Path(str(self.get("data_dir"))).expanduser()


def _setting(name: str) -> Setting:
    try:
        return REGISTRY[name]
    except KeyError:
        raise SettingError(
            f"unknown setting {name!r}; known settings: {', '.join(sorted(REGISTRY))}"
        ) from None


def config_path(environ: Mapping[str, str]) -> Path:
    """The config file named by ``TANZUJI_CONFIG``, else ``./tanzuji.toml``."""
    return Path(environ.get("TANZUJI_CONFIG") or "tanzuji.toml")


def read_config_file(path: Path) -> dict[str, Any]:
    """The raw ``[tanzuji]`` table of a config file (empty when the file does not exist).

    Raises
    ------
    SettingError
        The file is not TOML, ``[tanzuji]`` is not a table, or it names unknown settings.
    """
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingError(f"config file {path} is not valid TOML: {exc}") from None
    section = data.get("tanzuji", {})
    if not isinstance(section, dict):
        raise SettingError(f"config file {path}: [tanzuji] must be a table of settings")
    unknown = sorted(set(section) - set(REGISTRY))
    if unknown:
        raise SettingError(
            f"config file {path} has unknown settings {unknown}; known: {sorted(REGISTRY)}"
        )
    return section


def load(environ: Mapping[str, str] | None = None, config: Path | None = None) -> Settings:
    """Read every setting once: defaults, then the config file, then the environment.

    Parameters
    ----------
    environ : mapping, optional
        The environment variables to read (default: ``os.environ``).
    config : Path, optional
        The config file (default: :func:`config_path` of ``environ``).

    Raises
    ------
    SettingError
        Naming the config file or environment variable, the setting, the value found and the
        value expected.
    """
    env = os.environ if environ is None else environ
    path = config or config_path(env)
    file_values = read_config_file(path)
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name, setting in REGISTRY.items():
        raw: Any = setting.default
        source = DEFAULT
        if name in file_values:
            raw, source = file_values[name], f"{CONFIG_FILE} {path}"
        if setting.env_var in env:
            raw, source = env[setting.env_var], f"{ENVIRONMENT} {setting.env_var}"
        try:
            values[name] = setting.coerce(raw) if source != DEFAULT else setting.default
        except ValueError as exc:
            where = (
                f"environment variable {setting.env_var}={raw!r}"
                if source.startswith(ENVIRONMENT)
                else f"config file {path}: {name} = {raw!r}"
            )
            raise SettingError(f"{where} is invalid: {exc}") from None
        sources[name] = source
    return Settings(values, sources, path if file_values else None)


def get(name: str) -> Any:
    """The current value of setting ``name`` (environment > config file > default).

    For edges only (it reads the environment and the config file each call); everything else
    receives a :class:`Settings` snapshot through its Context.
    """
    return load().get(name)


def describe() -> list[SettingValue]:
    """Every setting with its current value and source (reads the environment; edges only)."""
    return load().describe()
