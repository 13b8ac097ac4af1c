"""Supply-chain traversal from the functional unit down, for hotspots and Sankey diagrams.

A node is an activity reached through a path of inputs; its *cumulative* score is the
cradle-to-gate footprint of the amount of product flowing along that path (``lambda_i * a_i``,
with ``lambda`` the intensities) and its *direct* score what that amount emits itself.
Branches whose cumulative score is below ``cutoff * |total|`` are not expanded (their
footprint is still inside their parent's cumulative score). Loops unroll until amounts fall
below the cut-off, ``max_nodes`` is reached or a path is ``max_depth`` links long (the tree is
walked recursively by its readers, JSON and the printed tree, so its depth stays bounded).
"""

from __future__ import annotations

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


def sankey(tree: TreeNode) -> tuple[list[int], list[tuple[int, int, float]]]:
    """Nodes (activity indices) and links (supplier, consumer, kg CO2e) summed over paths."""
    links: dict[tuple[int, int], float] = {}
    nodes: dict[int, None] = {tree.activity: None}
    stack = [tree]
    while stack:
        node = stack.pop()
        for child in node.children:
            nodes[child.activity] = None
            key = (child.activity, node.activity)
            links[key] = links.get(key, 0.0) + child.cumulative
            stack.append(child)
    return list(nodes), [(s, t, v) for (s, t), v in links.items()]
