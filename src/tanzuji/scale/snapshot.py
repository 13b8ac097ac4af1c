"""Content-addressed snapshots of a product system and their cached intensities.

A snapshot freezes what a footprint depends on — the technosphere and biosphere matrices (the
factor values are the biosphere columns of the factor activities), the characterization
vector (GWP set), the activity ids and units, the flow labels, the factor release and the
model version — and names it by the SHA-256 of a canonical encoding of all of it
(:func:`snapshot_key`). Same inputs, same key; a changed factor value or a new release, a new
key. Everything computed from a snapshot is computed once per key:

* the **intensities** ``lambda`` with ``A^T lambda = B^T c`` (kg CO2e per unit of each
  activity's product, one transposed solve; [1] ch. 2), so the footprint of any demand
  vector ``f`` is the dot product ``f . lambda`` — how 10^8 variants become cheap;
* the intensities **by gas** (kg CO2e of each gas per unit, one transposed solve with one
  right-hand side per gas; they add up to ``lambda``).

:class:`SnapshotCache` keeps them in memory (least recently used first out) and on disk
(``DIR/<key>.npz``, written atomically, with a checksum of its arrays). A file that does not
load or whose checksum does not match is recomputed and rewritten, with a
:class:`SnapshotCacheWarning` — never an error.

References
----------
[1] R. Heijungs, S. Suh, "The Computational Structure of Life Cycle Assessment", 2002.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import warnings
import zipfile
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from tanzuji.engine.calculate import Calculation, characterization_vector
from tanzuji.engine.solver import SolverOptions
from tanzuji.engine.system import ProductSystem

#: Version of the canonical encoding hashed by :func:`snapshot_key` and of the cache files;
#: a change of either makes new keys, so old cache files are simply not used.
FORMAT_VERSION = 1


class SnapshotCacheWarning(UserWarning):
    """A cached snapshot file was unreadable or corrupt and has been recomputed."""


def _canonical(matrix: sp.spmatrix) -> sp.csr_matrix:
    """CSR with duplicates summed, zeros dropped and indices sorted (one form per matrix)."""
    out = sp.csr_matrix(matrix, dtype=np.float64, copy=True)
    out.sum_duplicates()
    out.eliminate_zeros()
    out.sort_indices()
    return out


@dataclass(frozen=True)
class Snapshot:
    """A product system frozen for reuse: matrices, characterization and labels.

    Attributes
    ----------
    technosphere_matrix : scipy.sparse.csr_matrix, shape (n, n)
    biosphere_matrix : scipy.sparse.csr_matrix, shape (m, n)
    characterization : numpy.ndarray, shape (m,)
        kg CO2e per kg of each flow.
    activity_ids : tuple of str, length n
        What a variant's ``input_id`` names (model process ids, ``factor:ID@PROCESS``).
    activity_units : tuple of str, length n
        Unit of one unit of each activity's product (a variant's ``amount`` is in it).
    flow_gases : tuple of str, length m
        Gas of each flow (the grouping of :attr:`Intensities.by_gas`).
    release : str
        Factor release the factor values come from ("" when unpinned).
    model_hash : str
        Content hash of the model version (its text and files).
    gwp_set : str
        GWP set of ``characterization``.
    """

    technosphere_matrix: sp.csr_matrix
    biosphere_matrix: sp.csr_matrix
    characterization: np.ndarray
    activity_ids: tuple[str, ...]
    activity_units: tuple[str, ...]
    flow_gases: tuple[str, ...]
    release: str = ""
    model_hash: str = ""
    gwp_set: str = ""
    key: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "technosphere_matrix", _canonical(self.technosphere_matrix))
        object.__setattr__(self, "biosphere_matrix", _canonical(self.biosphere_matrix))
        object.__setattr__(
            self, "characterization", np.ascontiguousarray(self.characterization, np.float64)
        )
        object.__setattr__(self, "key", snapshot_key(self))

    @classmethod
    def from_system(
        cls, system: ProductSystem, *, release: str, model_hash: str, gwp_set: str
    ) -> Snapshot:
        """The snapshot of a compiled product system in ``gwp_set``."""
        return cls(
            system.technosphere_matrix,
            system.biosphere_matrix,
            characterization_vector(system.flows, gwp_set),
            tuple(a.id for a in system.activities),
            tuple(a.unit for a in system.activities),
            tuple(f.gas for f in system.flows),
            release=release,
            model_hash=model_hash,
            gwp_set=gwp_set,
        )

    @property
    def n_activities(self) -> int:
        return len(self.activity_ids)

    def gases(self) -> list[str]:
        """The characterized gases, sorted (columns of :attr:`Intensities.by_gas`)."""
        return sorted(
            {g for g, c in zip(self.flow_gases, self.characterization, strict=True) if c != 0}
        )


def snapshot_key(snapshot: Snapshot) -> str:
    """SHA-256 (hex) of the canonical encoding of a snapshot's content.

    The header (format version, release, model hash, GWP set, shapes, ids, units, gases) is
    canonical JSON; each array follows as little-endian bytes of fixed dtype, each part
    preceded by its length, so no two different contents encode alike.
    """
    digest = hashlib.sha256()

    def part(data: bytes) -> None:
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)

    header = {
        "format": FORMAT_VERSION,
        "release": snapshot.release,
        "model_hash": snapshot.model_hash,
        "gwp_set": snapshot.gwp_set,
        "technosphere_shape": list(snapshot.technosphere_matrix.shape),
        "biosphere_shape": list(snapshot.biosphere_matrix.shape),
        "activity_ids": list(snapshot.activity_ids),
        "activity_units": list(snapshot.activity_units),
        "flow_gases": list(snapshot.flow_gases),
    }
    part(json.dumps(header, sort_keys=True, ensure_ascii=False).encode())
    for matrix in (snapshot.technosphere_matrix, snapshot.biosphere_matrix):
        part(np.ascontiguousarray(matrix.indptr, "<i8").tobytes())
        part(np.ascontiguousarray(matrix.indices, "<i8").tobytes())
        part(np.ascontiguousarray(matrix.data, "<f8").tobytes())
    part(np.ascontiguousarray(snapshot.characterization, "<f8").tobytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class Intensities:
    """What a snapshot's factorization gives once: kg CO2e per unit of every activity.

    Attributes
    ----------
    key : str
        The snapshot's key.
    activity_ids : tuple of str
    total : numpy.ndarray, shape (n,)
        kg CO2e per unit of each activity's product (read-only).
    gases : tuple of str
        Columns of ``by_gas``.
    by_gas : numpy.ndarray, shape (n, len(gases))
        kg CO2e of each gas per unit of each activity's product; rows add up to ``total``.
    """

    key: str
    activity_ids: tuple[str, ...]
    total: np.ndarray
    gases: tuple[str, ...] = ()
    by_gas: np.ndarray | None = None

    def index(self) -> dict[str, int]:
        """Column of each activity id."""
        return {a: i for i, a in enumerate(self.activity_ids)}

    def checksum(self) -> str:
        """SHA-256 of the arrays and labels (what a cache file is checked against)."""
        digest = hashlib.sha256(self.key.encode())
        digest.update(json.dumps([list(self.activity_ids), list(self.gases)]).encode())
        digest.update(np.ascontiguousarray(self.total, "<f8").tobytes())
        if self.by_gas is not None:
            digest.update(np.ascontiguousarray(self.by_gas, "<f8").tobytes())
        return digest.hexdigest()


def compute_intensities(
    snapshot: Snapshot, *, by_gas: bool = True, solver_options: SolverOptions | None = None
) -> Intensities:
    """Factorize the snapshot's technosphere once; solve for all intensities.

    ``A^T lambda = B^T c`` for the total and ``A^T Lambda = B^T diag(c) G`` for the gases
    (``G`` sums the flows of one gas), the second with the same factorization.
    """
    calculation = Calculation(
        snapshot.technosphere_matrix,
        snapshot.biosphere_matrix,
        snapshot.characterization,
        labels=snapshot.activity_ids,
        solver_options=solver_options,
    )
    total = calculation.intensities()
    gases: tuple[str, ...] = ()
    per_gas = None
    if by_gas:
        gases = tuple(snapshot.gases())
        column = {g: k for k, g in enumerate(gases)}
        flows = [i for i, g in enumerate(snapshot.flow_gases) if g in column]
        grouping = sp.csr_matrix(
            (
                snapshot.characterization[flows],
                (flows, [column[snapshot.flow_gases[i]] for i in flows]),
            ),
            shape=(len(snapshot.flow_gases), len(gases)),
        )
        # kg CO2e of each gas emitted directly per operation, (n, gases).
        direct = (snapshot.biosphere_matrix.T @ grouping).toarray()
        per_gas = calculation.solver.solve_transposed(direct) if gases else direct
    return Intensities(snapshot.key, snapshot.activity_ids, _frozen(total), gases, _frozen(per_gas))


def _frozen(array: np.ndarray | None) -> np.ndarray | None:
    if array is None:
        return None
    out = np.ascontiguousarray(array, dtype=np.float64)
    out.flags.writeable = False
    return out


class SnapshotCache:
    """Intensities by snapshot key: in memory (LRU, ``max_entries``) then on disk.

    Parameters
    ----------
    directory : Path or None
        Where ``<key>.npz`` files are kept; ``None``: memory only.
    max_entries : int
        Snapshots kept in memory; the least recently used is dropped first.

    Notes
    -----
    ``hits`` counts answers from memory, ``disk_hits`` from a file, ``computed`` the
    factorizations made; tests and the benchmark read them.
    """

    def __init__(self, directory: Path | None, max_entries: int = 8) -> None:
        self.directory = Path(directory) if directory is not None else None
        self.max_entries = max(1, int(max_entries))
        self._memory: OrderedDict[str, Intensities] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.disk_hits = 0
        self.computed = 0

    def path(self, key: str) -> Path | None:
        return self.directory / f"{key}.npz" if self.directory is not None else None

    def intensities(
        self,
        snapshot: Snapshot,
        *,
        by_gas: bool = True,
        solver_options: SolverOptions | None = None,
    ) -> Intensities:
        """The intensities of ``snapshot``: from memory, else disk, else computed and stored."""
        return self.fetch(snapshot, by_gas=by_gas, solver_options=solver_options)[0]

    def fetch(
        self,
        snapshot: Snapshot,
        *,
        by_gas: bool = True,
        solver_options: SolverOptions | None = None,
    ) -> tuple[Intensities, str]:
        """:meth:`intensities` and where they came from: ``memory``, ``disk`` or
        ``computed``."""
        key = snapshot.key
        with self._lock:
            found = self._memory.get(key)
            if found is not None and (found.by_gas is not None or not by_gas):
                self._memory.move_to_end(key)
                self.hits += 1
                return found, "memory"
        loaded = self._load(key, by_gas)
        if loaded is not None:
            self.disk_hits += 1
            source = "disk"
        else:
            loaded = compute_intensities(snapshot, by_gas=by_gas, solver_options=solver_options)
            self.computed += 1
            self._save(loaded)
            source = "computed"
        self._remember(loaded)
        return loaded, source

    def _remember(self, intensities: Intensities) -> None:
        with self._lock:
            self._memory[intensities.key] = intensities
            self._memory.move_to_end(intensities.key)
            while len(self._memory) > self.max_entries:
                self._memory.popitem(last=False)

    def _load(self, key: str, by_gas: bool) -> Intensities | None:
        path = self.path(key)
        if path is None or not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                gases = tuple(str(g) for g in data["gases"])
                stored_by_gas = data["by_gas"] if bool(data["has_by_gas"]) else None
                found = Intensities(
                    str(data["key"]),
                    tuple(str(a) for a in data["activity_ids"]),
                    _frozen(data["total"]),
                    gases,
                    _frozen(stored_by_gas),
                )
                checksum = str(data["checksum"])
        except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
            self._warn(path, f"it could not be read ({type(exc).__name__}: {exc})")
            return None
        if found.key != key or found.checksum() != checksum:
            self._warn(path, "its content does not match its checksum")
            return None
        if by_gas and found.by_gas is None:
            return None  # stored without gases: compute them (not a corruption)
        return found

    @staticmethod
    def _warn(path: Path, why: str) -> None:
        warnings.warn(
            f"snapshot cache file {path} was ignored because {why}; the snapshot is being "
            f"recomputed and the file rewritten (快照缓存文件损坏，已重新计算)",
            SnapshotCacheWarning,
            stacklevel=4,
        )

    def _save(self, intensities: Intensities) -> None:
        path = self.path(intensities.key)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        with open(temporary, "wb") as handle:
            np.savez(
                handle,
                key=np.array(intensities.key),
                activity_ids=np.array(intensities.activity_ids, dtype=str),
                total=intensities.total,
                gases=np.array(intensities.gases, dtype=str),
                has_by_gas=np.array(intensities.by_gas is not None),
                by_gas=(intensities.by_gas if intensities.by_gas is not None else np.zeros((0, 0))),
                checksum=np.array(intensities.checksum()),
            )
        os.replace(temporary, path)  # readers see the old file or the whole new one

    def clear_memory(self) -> None:
        with self._lock:
            self._memory.clear()


_CACHES: dict[tuple[str, int], SnapshotCache] = {}
_CACHES_LOCK = threading.Lock()


def cache_for(directory: Path, max_entries: int) -> SnapshotCache:
    """The process's one cache for ``directory`` (as one database engine per URL): every
    request of a process shares its memory entries."""
    key = (str(Path(directory).resolve()), int(max_entries))
    with _CACHES_LOCK:
        if key not in _CACHES:
            _CACHES[key] = SnapshotCache(Path(directory), max_entries)
        return _CACHES[key]


def activity_index(ids: Sequence[str]) -> dict[str, int]:
    """Position of each id, plus ``factor:ID`` for a factor used under one id only once
    (``factor:ID@PROCESS`` columns of one factor all have the same intensity)."""
    index = {a: i for i, a in enumerate(ids)}
    aliases: dict[str, int] = {}
    versioned: set[str] = set()  # a factor used in two versions has no alias
    for i, activity in enumerate(ids):
        if activity.startswith("factor:") and "@" in activity:
            head = activity.split("@", 1)[0]
            base = head.split("#v", 1)[0]
            aliases.setdefault(base, i)
            if head != base:
                versioned.add(base)
    for alias, i in aliases.items():
        if alias not in versioned:
            index.setdefault(alias, i)
    return index


__all__ = [
    "FORMAT_VERSION",
    "Intensities",
    "Snapshot",
    "SnapshotCache",
    "SnapshotCacheWarning",
    "activity_index",
    "cache_for",
    "compute_intensities",
    "snapshot_key",
]
