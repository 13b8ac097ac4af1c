"""Supply-chain traversal from the functional unit down, for hotspots and Sankey diagrams.

A node is an activity reached through a path of inputs; its *cumulative* score is the
cradle-to-gate footprint of the amount of product flowing along that path (``lambda_i * a_i``,
with ``lambda`` the intensities) and its *direct* score what that amount emits itself.
Branches whose cumulative score is below ``cutoff * |total|`` are not expanded (their
footprint is still inside their parent's cumulative score). Loops unroll until amounts fall
below the cut-off, ``max_nodes`` is reached or a path is ``max_depth`` links long (the tree is
walked recursively by its readers, JSON and the printed tree, so its depth stays bounded).
This is openLCA's ``UpstreamTree``: per path, so a loop's passes appear as deeper nodes.

The Sankey graph (:func:`sankey`) has one node per activity instead, valued by the
loop-corrected upstream total, and links valued by :func:`link_values`.
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp


@dataclass
class TreeNode:
    activity: int
    amount: float  # units of the activity's product along this path
    cumulative: float  # kg CO2e
    direct: float  # kg CO2e
    depth: int
    children: list[TreeNode] = field(default_factory=list)


def supply_chain_tree(
    technosphere_matrix: sp.spmatrix,
    direct_per_operation: np.ndarray,
    intensities: np.ndarray,
    root: int,
    amount: float,
    cutoff: float = 0.01,
    max_nodes: int = 2000,
    max_depth: int = 100,
) -> TreeNode:
    """Breadth-first expansion of the supply chain of ``amount`` of activity ``root``."""
    csc = sp.csc_matrix(technosphere_matrix)
    diag = csc.diagonal()
    total = abs(intensities[root] * amount)
    limit = cutoff * total
    top = TreeNode(
        root,
        amount,
        intensities[root] * amount,
        direct_per_operation[root] * amount / diag[root],
        0,
    )
    queue = deque([top])
    count = 1
    while queue and count < max_nodes:
        node = queue.popleft()
        if node.depth >= max_depth:
            continue
        operations = node.amount / diag[node.activity]
        start, stop = csc.indptr[node.activity], csc.indptr[node.activity + 1]
        rows, values = csc.indices[start:stop], csc.data[start:stop]
        for row, value in sorted(
            zip(rows, values, strict=True), key=lambda rv: -abs(intensities[rv[0]] * rv[1])
        ):
            if row == node.activity or value == 0:
                continue
            child_amount = -value * operations
            cumulative = intensities[row] * child_amount
            if abs(cumulative) < limit or count >= max_nodes:
                continue
            child = TreeNode(
                int(row),
                child_amount,
                cumulative,
                direct_per_operation[row] * child_amount / diag[row],
                node.depth + 1,
            )
            node.children.append(child)
            queue.append(child)
            count += 1
    return top


@dataclass(frozen=True)
class SankeyInputs:
    """What a Sankey graph is drawn from, all by activity index.

    Attributes
    ----------
    technosphere_matrix : sparse (n, n)
    supply : array (n,)
        Operations of each activity (``s``).
    intensities : array (n,)
        kg CO2e per unit of each activity's product (``lambda``).
    upstream : array (n,)
        Loop-corrected cradle-to-gate kg CO2e of each activity in the system
        (:meth:`tanzuji.engine.calculate.Calculation.upstream`).
    loop_factors : array (n,)
        :meth:`tanzuji.engine.calculate.Calculation.loop_factors`.
    scc : array of int (n,)
        Strongly connected component of each activity (the solver's structure).
    """

    technosphere_matrix: sp.spmatrix
    supply: np.ndarray
    intensities: np.ndarray
    upstream: np.ndarray
    loop_factors: np.ndarray
    scc: np.ndarray


def sankey(
    inputs: SankeyInputs, root: int, cutoff: float = 0.01, max_nodes: int = 2000
) -> tuple[list[int], list[tuple[int, int, float]]]:
    """Nodes (activity indices) and links (supplier, consumer, kg CO2e) of a Sankey graph.

    One node per activity (as openLCA's ``Sankey``), its value the loop-corrected upstream
    total; nodes are taken greatest first from the suppliers of nodes already taken while
    ``|upstream| >= cutoff * |upstream[root]|``, at most ``max_nodes``. Links join taken
    nodes (:func:`link_values`).
    """
    nodes = _sankey_nodes(inputs, root, cutoff, max_nodes)
    return nodes, link_values(inputs, nodes)


def _sankey_nodes(inputs: SankeyInputs, root: int, cutoff: float, max_nodes: int) -> list[int]:
    """Best-first walk from ``root`` over suppliers, by ``|upstream|``."""
    csc = sp.csc_matrix(inputs.technosphere_matrix)
    limit = cutoff * abs(inputs.upstream[root])
    taken: dict[int, None] = {}
    heap = [(0.0, root)]
    while heap and len(taken) < max_nodes:
        _, node = heapq.heappop(heap)
        if node in taken:
            continue
        taken[node] = None
        for row in csc.indices[csc.indptr[node] : csc.indptr[node + 1]]:
            value = abs(inputs.upstream[row])
            if row not in taken and value >= limit and value > 0:
                heapq.heappush(heap, (-value, int(row)))
    return list(taken)


def link_values(inputs: SankeyInputs, nodes: list[int]) -> list[tuple[int, int, float]]:
    """kg CO2e carried by each supply link between ``nodes``: ``lambda_i (-A_ij s_j)``.

    The cradle-to-gate footprint of the product ``i`` that ``j`` takes. A link inside a loop
    (``i`` and ``j`` in one strongly connected component) is scaled by ``i``'s loop factor,
    as openLCA scales all links (``Sankey.getLinkShare``: the node's total times the share
    of its output the consumer takes); a link leaving a loop carries delivered product, which
    the intensity already values once, so it is not scaled. That keeps, for every node outside
    a loop, upstream = direct + the links into it.
    """
    keep = np.zeros(inputs.supply.size, dtype=bool)
    keep[nodes] = True
    coo = sp.coo_matrix(inputs.technosphere_matrix)
    chosen = keep[coo.row] & keep[coo.col] & (coo.row != coo.col) & (coo.data != 0)
    rows, cols, values = coo.row[chosen], coo.col[chosen], coo.data[chosen]
    carried = inputs.intensities[rows] * -values * inputs.supply[cols]
    inside = inputs.scc[rows] == inputs.scc[cols]
    carried = np.where(inside, carried * inputs.loop_factors[rows], carried)
    summed: dict[tuple[int, int], float] = {}
    for i, j, v in zip(rows.tolist(), cols.tolist(), carried.tolist(), strict=True):
        summed[(i, j)] = summed.get((i, j), 0.0) + v
    return [(i, j, v) for (i, j), v in summed.items()]
