"""Results of groups of processes including their upstream chains (openLCA analysis groups).

Two ways to give a life-cycle stage (or any group of processes) its share of a footprint:

* **direct contributions** (``Footprint.by_stage``): each activity's own emissions,
  ``c B diag(s)``, summed by the activity's stage. Upstream emissions sit where they occur.
* **analysis groups** (this module): a group's result is the cradle-to-gate footprint of the
  product flowing *into* the group minus that of the product flowing *out of* it into another
  group, along every supply path from the functional unit. Processes without a group belong
  to the group of the nearest grouped process downstream of them on the path.

The definition is openLCA's (olca-core ``org.openlca.core.results.agroups``: ``SubGraph``,
``Traversal``, ``AnalysisGroupResult.solve``): walk the supply paths from the reference
activity over the sub-graph of activities that lie on a path to a grouped activity, skipping a
link that would close a loop on the current path; the root group starts with the total; on
every link whose two ends are in different groups the child's ``amount x intensity`` moves
from the parent's group to the child's. ``amount`` is the product along the path, ``scaling x
(-A[j, i])``, and the intensity includes loops, as in openLCA (:func:`path_results`).

Without loops the paths need not be walked one by one: the supply ``s`` splits into one part
per group, ``s = sum_G x_G``, where a grouped activity's supply belongs to its own group and an
ungrouped activity's supply to the groups of the activities it supplies, in proportion:
``A' x_G = b_G`` with the rows of grouped activities replaced by ``x_G[k] = s_k`` (own group)
or 0. A group's result is then its direct emissions ``sum_k d_k x_G[k]``; entering minus leaving
upstream totals along every path add up to the same number (:func:`linear_results`, one sparse
factorization). Loops make the two differ (a path stops where it would repeat an activity,
while ``x_G`` counts every pass), so :func:`group_results` walks the paths when the supply
graph has a loop.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import splu

from tanzuji.errors import ModelError

#: Names tried for the group of the reference activity when it has none (openLCA GroupMap).
TOP_NAMES = ("Top", "Base", "Root")
#: Most path nodes one group result expands (every supply path is walked).
MAX_PATH_NODES = 200_000


@dataclass
class _Node:
    index: int
    scaling: float
    group: str
    parent: _Node | None

    def on_path(self, index: int) -> bool:
        node: _Node | None = self
        while node is not None:
            if node.index == index:
                return True
            node = node.parent
        return False


def top_name(group_of: Sequence[str | None], root: int) -> str:
    """The root's group: its own, else the first of :data:`TOP_NAMES` not used by a group."""
    own = group_of[root]
    if own is not None:
        return own
    names = {g for g in group_of if g is not None}
    for name in TOP_NAMES:
        if name not in names:
            return name
    top = "_Top_"
    while top in names:
        top = f"_{top}_"
    return top


def _providers(csc: sp.csc_matrix, i: int) -> list[tuple[int, float]]:
    """Inputs of activity ``i``: ``(j, -A[j, i])`` for the off-diagonal entries below 0."""
    start, end = csc.indptr[i], csc.indptr[i + 1]
    return [
        (int(j), -float(v))
        for j, v in zip(csc.indices[start:end], csc.data[start:end], strict=True)
        if j != i and v < 0
    ]


def sub_graph(csc: sp.csc_matrix, root: int, grouped: set[int]) -> set[int]:
    """Activities on a supply path from ``root`` to a grouped activity (openLCA ``SubGraph``)."""
    parents: dict[int, set[int]] = {root: set()}
    queue = deque([root])
    while queue:
        i = queue.popleft()
        for j, _ in _providers(csc, i):
            if j not in parents:
                parents[j] = set()
                queue.append(j)
            parents[j].add(i)
    keep: set[int] = set()
    stack = [g for g in grouped if g in parents]
    while stack:
        k = stack.pop()
        if k in keep:
            continue
        keep.add(k)
        stack.extend(parents[k])
    keep.add(root)
    return keep


def has_loop(technosphere_matrix: sp.spmatrix) -> bool:
    """True when some activity supplies, directly or not, one of its own suppliers."""
    pattern = sp.csr_matrix(technosphere_matrix, copy=True)
    pattern.setdiag(0)
    pattern.eliminate_zeros()
    count, _ = connected_components(pattern, directed=True, connection="strong")
    return count < pattern.shape[0]


def group_results(
    technosphere_matrix: sp.spmatrix,
    intensities: np.ndarray,
    direct_per_operation: np.ndarray,
    supply: np.ndarray,
    demand: np.ndarray,
    group_of: Sequence[str | None],
) -> dict[str, float]:
    """kg CO2e of each group: :func:`linear_results` without loops, else :func:`path_results`.

    Parameters
    ----------
    technosphere_matrix : sparse (n, n)
        ``A``; products on the diagonal, inputs negative.
    intensities : array (n,)
        Cradle-to-gate kg CO2e per unit of each activity's product.
    direct_per_operation : array (n,)
        kg CO2e emitted by one operation of each activity (``c B``).
    supply : array (n,)
        Operations of each activity for the functional unit (``s``).
    demand : array (n,)
        The functional unit as a demand vector (``f``); one entry, the reference activity's.
    group_of : sequence of str or None
        The group of each activity (None: the group of the nearest grouped activity
        downstream on the path).
    """
    root = int(np.flatnonzero(demand)[0])
    if has_loop(technosphere_matrix):
        amount = float(demand[root])
        return path_results(technosphere_matrix, intensities, root, amount, group_of)
    return linear_results(technosphere_matrix, direct_per_operation, supply, demand, group_of)


def linear_results(
    technosphere_matrix: sp.spmatrix,
    direct_per_operation: np.ndarray,
    supply: np.ndarray,
    demand: np.ndarray,
    group_of: Sequence[str | None],
) -> dict[str, float]:
    """Group results of a supply graph without loops: ``sum_k d_k x_G[k]`` (module notes)."""
    root = int(np.flatnonzero(demand)[0])
    csr = sp.csr_matrix(technosphere_matrix, dtype=np.float64).tolil()
    top = top_name(group_of, root)
    names = sorted({g for g in group_of if g is not None} | {top})
    column = {name: k for k, name in enumerate(names)}
    rhs = np.zeros((csr.shape[0], len(names)))
    for k, group in enumerate(group_of):
        if group is None:
            continue
        csr.rows[k], csr.data[k] = [k], [1.0]
        rhs[k, column[group]] = supply[k]
    if group_of[root] is None:
        rhs[root, column[top]] = demand[root]
    parts = splu(sp.csc_matrix(csr)).solve(rhs)
    values = direct_per_operation @ parts
    return {name: float(values[column[name]]) for name in names}


def path_results(
    technosphere_matrix: sp.spmatrix,
    intensities: np.ndarray,
    root: int,
    amount: float,
    group_of: Sequence[str | None],
    max_nodes: int = MAX_PATH_NODES,
) -> dict[str, float]:
    """kg CO2e of each group for ``amount`` of the root's product, path by path (openLCA).

    Parameters
    ----------
    technosphere_matrix : sparse (n, n)
        ``A``; products on the diagonal, inputs negative.
    intensities : array (n,)
        Cradle-to-gate kg CO2e per unit of each activity's product.
    root : int
        The reference activity; ``amount`` of its product is the functional unit.
    group_of : sequence of str or None
        As for :func:`group_results`.
    max_nodes : int
        Most path nodes expanded.

    Returns
    -------
    dict of str to float
        The groups' results; they sum to ``amount * intensities[root]``.

    Raises
    ------
    ModelError
        When the supply paths to grouped activities exceed ``max_nodes`` nodes.
    """
    csc = sp.csc_matrix(technosphere_matrix)
    diagonal = csc.diagonal()
    grouped = {i for i, g in enumerate(group_of) if g is not None}
    keep = sub_graph(csc, root, grouped)
    top = top_name(group_of, root)
    results = {top: amount * float(intensities[root])}
    queue = deque([_Node(root, amount / diagonal[root], top, None)])
    count = 1
    while queue:
        parent = queue.popleft()
        for j, minus_a in _providers(csc, parent.index):
            if j not in keep or parent.on_path(j):
                continue
            count += 1
            if count > max_nodes:
                raise ModelError(
                    f"analysis groups: the supply paths to the grouped processes have more than "
                    f"{max_nodes} nodes; group fewer processes or merge groups"
                )
            child_amount = parent.scaling * minus_a
            child = _Node(j, child_amount / diagonal[j], group_of[j] or parent.group, parent)
            queue.append(child)
            if child.group == parent.group:
                continue
            moved = child_amount * float(intensities[j])
            results[parent.group] = results.get(parent.group, 0.0) - moved
            results[child.group] = results.get(child.group, 0.0) + moved
    return results


__all__ = [
    "MAX_PATH_NODES",
    "TOP_NAMES",
    "group_results",
    "has_loop",
    "linear_results",
    "path_results",
    "sub_graph",
    "top_name",
]
