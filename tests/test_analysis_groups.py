"""Stage and group results in the analysis-group semantics, against openLCA's test cases.

Sources: olca-core ``org/openlca/core/results/agroups/AnalysisGroupResultTest.java``
(GreenDelta/olca-modules, snapshot a20094aff697): every process emits 1 kg of ``e`` (here fossil
CO2, GWP100 1) and each link supplies the amount shown; and olca-ipc.py
``tests/test_analysis_groups.py`` (commit cfbf651bfc01), a two-process loop.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from tanzuji.engine.groups import linear_results, path_results
from tanzuji.errors import DanglingReference, DuplicateId
from tanzuji.footprint import calculate
from tanzuji.model.files import load_model_text

TOL = 1e-12


def graph_model(links: list[tuple[str, str, float]], groups: dict[str, list[str]]) -> str:
    """Processes named in ``links`` (process, provider, amount), each emitting 1 kg CO2."""
    names = list(dict.fromkeys([name for link in links for name in link[:2]]))
    lines = [
        "product: {id: x, name: x, functional_unit: {unit: kg}, reference_flow: {process: Root}}",
        "processes:",
    ]
    for name in names:
        inputs = [f"{{process: {p}, amount: {a}, unit: kg}}" for q, p, a in links if q == name]
        lines += [
            f"  - id: {name}",
            f"    name: {name}",
            "    life_cycle_stage: production",
            "    reference_product: {unit: kg}",
            f"    inputs: [{', '.join(inputs)}]",
            "    emissions: [{gas: CO2, amount: 1}]",
        ]
    lines.append("analysis_groups:")
    for group, members in groups.items():
        lines.append(f"  - {{name: {group}, processes: [{', '.join(members)}]}}")
    return "\n".join(lines) + "\n"


CASES = {
    # testSimple: Root -+- #A1 -- P / +- #A2 -- Q
    "simple": (
        [("Root", "A1", 1), ("Root", "A2", 1), ("A1", "P", 1), ("A2", "Q", 1)],
        {"A1": ["A1"], "A2": ["A2"]},
        {"A1": 2.0, "A2": 2.0, "Top": 1.0},
    ),
    # testTopBranch: Root -+- P -- Q / +- #A1 -- S
    "top_branch": (
        [("Root", "P", 1), ("P", "Q", 1), ("Root", "A1", 1), ("A1", "S", 1)],
        {"A1": ["A1"]},
        {"Top": 3.0, "A1": 2.0},
    ),
    # testJointChain: Root -+- Q -- #B1 -- R -+- #A1 -- S / +- T -- #B2 -- U -+ (U: 0.5)
    "joint_chain": (
        [
            ("Root", "Q", 1),
            ("Root", "T", 1),
            ("Q", "B1", 1),
            ("T", "B2", 1),
            ("B1", "R", 1),
            ("B2", "U", 1),
            ("R", "A1", 1),
            ("U", "A1", 0.5),
            ("A1", "S", 1),
        ],
        {"A1": ["A1"], "B1": ["B1"], "B2": ["B2"]},
        {"A1": 3.0, "B1": 2.0, "B2": 2.0, "Top": 3.0},
    ),
    # testDoubleLink: Root takes #A1 twice (1 + 1) and #A2 once
    "double_link": (
        [("Root", "A1", 1), ("Root", "A1", 1), ("Root", "A2", 1)],
        {"A1": ["A1"], "A2": ["A2"]},
        {"A1": 2.0, "A2": 1.0, "Top": 1.0},
    ),
    # testSimpleBranchLoop: Root -- #B1 -- P -- #A1 -- S, and S takes 0.5 P (a loop)
    "branch_loop": (
        [("Root", "B1", 1), ("B1", "P", 1), ("P", "A1", 1), ("A1", "S", 1), ("S", "P", 0.5)],
        {"B1": ["B1"], "A1": ["A1"]},
        {"Top": 1.0, "B1": 2.0, "A1": 5.0},
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_olca_analysis_group_cases(case):
    links, groups, expected = CASES[case]
    footprint = calculate(load_model_text(graph_model(links, groups), f"{case}.yaml"))
    assert footprint.analysis_groups == pytest.approx(expected, abs=TOL)
    assert sum(footprint.analysis_groups.values()) == pytest.approx(footprint.total_kg_co2e)


# olca-ipc.py test_analysis_groups: P makes p from 1 q and emits 2 e; Q makes q from 0.5 p
# and emits 4 e; groups Top = {P}, Sub = {Q}: e results Top 2, Sub 10.
# By hand: s_P = 1 + 0.5 s_Q, s_Q = s_P -> s_P = s_Q = 2; total e = 2 x 2 + 4 x 2 = 12.
# Intensities: l_P = 2 + l_Q, l_Q = 4 + 0.5 l_P -> l_P = 12, l_Q = 10. The path Top(P) -> Sub(Q)
# moves 1 x 10 from Top to Sub (the link back to P closes the loop and is not followed).
LOOP = """
product: {id: p, name: p, functional_unit: {unit: kg}, reference_flow: {process: P}}
processes:
  - id: P
    name: P
    life_cycle_stage: production
    reference_product: {unit: kg}
    inputs: [{process: Q, amount: 1, unit: kg}]
    emissions: [{gas: CO2, amount: 2}]
  - id: Q
    name: Q
    life_cycle_stage: raw_materials
    reference_product: {unit: kg}
    inputs: [{process: P, amount: 0.5, unit: kg}]
    emissions: [{gas: CO2, amount: 4}]
analysis_groups:
  - {name: Top, processes: [P]}
  - {name: Sub, processes: [Q]}
"""


def test_olca_ipc_loop_and_both_stage_semantics():
    footprint = calculate(load_model_text(LOOP, "loop.yaml"))
    assert footprint.total_kg_co2e == pytest.approx(12.0, rel=TOL)
    assert footprint.analysis_groups == pytest.approx({"Top": 2.0, "Sub": 10.0}, rel=TOL)
    # stages: direct contributions P 2 x 2 = 4 (production), Q 4 x 2 = 8 (raw materials);
    # as analysis groups (each stage a group) the same 2 and 10 as openLCA's groups
    assert footprint.by_stage == pytest.approx({"production": 4.0, "raw_materials": 8.0})
    assert footprint.by_stage_analysis_groups == pytest.approx(
        {"production": 2.0, "raw_materials": 10.0}
    )


def test_without_loops_the_linear_split_equals_the_path_walk():
    # A random acyclic system: both methods must agree (openLCA's definition, two algorithms).
    rng = np.random.default_rng(7)
    n = 30
    a = np.eye(n) * rng.uniform(1, 2, n)
    for j in range(1, n):
        for i in rng.choice(j, size=min(j, 3), replace=False):
            a[j, i] = -rng.uniform(0.1, 1.0)  # activity i takes product of j > i (acyclic)
    direct = rng.uniform(0, 5, n)
    matrix = sp.csr_matrix(a)
    demand = np.zeros(n)
    demand[0] = 1.0
    supply = np.linalg.solve(a, demand)
    intensities = np.linalg.solve(a.T, direct)
    groups = [None if k % 3 else f"g{k % 9}" for k in range(n)]
    groups[0] = None
    walked = path_results(matrix, intensities, 0, 1.0, groups)
    solved = linear_results(matrix, direct, supply, demand, groups)
    assert walked.keys() == solved.keys()
    for name in walked:
        assert solved[name] == pytest.approx(walked[name], rel=1e-9, abs=1e-12)
    assert sum(solved.values()) == pytest.approx(intensities[0], rel=1e-12)


def test_group_errors_name_the_line():
    unknown = LOOP.replace("processes: [Q]", "processes: [Z]")
    with pytest.raises(DanglingReference, match=r"loop\.yaml:18 analysis_groups\[1\]"):
        calculate(load_model_text(unknown, "loop.yaml"))
    twice = LOOP.replace("processes: [Q]", "processes: [P]")
    with pytest.raises(DuplicateId, match=r"'P' is in analysis groups 'Top' and 'Sub'"):
        calculate(load_model_text(twice, "loop.yaml"))
