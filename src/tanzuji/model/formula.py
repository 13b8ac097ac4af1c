"""A safe evaluator for amount formulas over named parameters (never ``eval``).

Allowed: numbers, parameter names, ``+ - * / ** %``, unary minus, parentheses and the functions
in :data:`FUNCTIONS`. Anything else (attributes, subscripts, calls of other names, lambdas,
comprehensions, strings) is refused with a :class:`~tanzuji.errors.FormulaError`.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping

from tanzuji.errors import FormulaError

FUNCTIONS: dict[str, Callable[..., float]] = {
    "min": min,
    "max": max,
    "abs": abs,
    "sqrt": math.sqrt,
    "exp": math.exp,
    "log": math.log,
    "log10": math.log10,
    "round": round,
}
_BINARY: dict[type, Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.Mod: operator.mod,
}
_UNARY: dict[type, Callable[[float], float]] = {ast.USub: operator.neg, ast.UAdd: operator.pos}
_MAX_LENGTH = 2000
_MAX_POWER = 1000.0
#: Deepest nesting of operations a formula may have. Evaluation recurses once per level, so
#: this bound keeps far below Python's recursion limit; real amount formulas nest a few levels.
_MAX_DEPTH = 100
#: Characters of a formula quoted in a message (long formulas are shortened with "...").
_QUOTE_CHARS = 80
#: Longest chain of parameters defined through each other (resolution recurses once per link).
_MAX_CHAIN = 200


def _quote(text: str) -> str:
    """``repr`` of a formula, shortened for messages."""
    short = text if len(text) <= _QUOTE_CHARS else text[: _QUOTE_CHARS - 3] + "..."
    return repr(short)


def _depth(tree: ast.AST) -> int:
    """Nesting depth of an expression tree, computed without recursion."""
    deepest = 0
    stack = [(tree, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in ast.iter_child_nodes(node))
    return deepest


def parse(text: str, *, where: str | None = None) -> ast.Expression:
    """Parse and vet a formula; raises :class:`FormulaError` for anything not allowed."""
    if len(text) > _MAX_LENGTH:
        raise FormulaError(
            f"formula is {len(text)} characters long; at most {_MAX_LENGTH} allowed", location=where
        )
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise FormulaError(
            f"formula {_quote(text)} is not valid arithmetic ({exc.msg}); expected e.g. "
            "'2.5 * mass_kg + 3'",
            location=where,
        ) from None
    except (RecursionError, MemoryError):
        tree = None
    if tree is None or _depth(tree) > _MAX_DEPTH:
        raise FormulaError(
            f"formula {_quote(text)} is more than {_MAX_DEPTH} operations deep (each operator "
            "of a chain such as a + b + c adds a level); "
            "split it into named parameters",
            location=where,
        )
    for node in ast.walk(tree):
        if isinstance(node, ast.Expression | ast.Load | ast.operator | ast.unaryop):
            continue
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            continue
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            continue
        if isinstance(node, ast.Name):
            continue
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in FUNCTIONS
            and not node.keywords
        ):
            continue
        raise FormulaError(
            f"formula {_quote(text)} uses {type(node).__name__!s}, which is not allowed; use "
            f"numbers, parameter names, + - * / ** % and the functions {', '.join(FUNCTIONS)}",
            location=where,
        )
    return tree


def names(text: str, *, where: str | None = None) -> set[str]:
    """Parameter names a formula refers to (function names excluded)."""
    tree = parse(text, where=where)
    # parse() admits only calls of a function by its name
    called = {
        n.func.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    }
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - called


def evaluate(text: str, values: Mapping[str, float], *, where: str | None = None) -> float:
    """Evaluate ``text`` with parameter ``values``; returns a finite float."""
    tree = parse(text, where=where)

    def visit(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return visit(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return float(node.value)
        if isinstance(node, ast.Name):
            if node.id not in values:
                known = ", ".join(sorted(values)) or "none"
                raise FormulaError(
                    f"formula {_quote(text)} refers to unknown parameter {node.id!r}; known "
                    f"parameters: {known}",
                    location=where,
                )
            return float(values[node.id])
        if isinstance(node, ast.UnaryOp):
            return _UNARY[type(node.op)](visit(node.operand))
        if isinstance(node, ast.BinOp):
            left, right = visit(node.left), visit(node.right)
            if isinstance(node.op, ast.Pow) and abs(right) > _MAX_POWER:
                raise FormulaError(
                    f"formula {_quote(text)} raises to the power {right}; at most {_MAX_POWER:g}",
                    location=where,
                )
            return _BINARY[type(node.op)](left, right)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            return float(FUNCTIONS[node.func.id](*(visit(a) for a in node.args)))
        raise FormulaError(f"formula {_quote(text)} cannot be evaluated", location=where)

    try:
        result = visit(tree)
    except ZeroDivisionError:
        raise FormulaError(f"formula {_quote(text)} divides by zero", location=where) from None
    except OverflowError:
        raise FormulaError(
            f"formula {_quote(text)} overflows: the result is too large for a number",
            location=where,
        ) from None
    except (ValueError, TypeError) as exc:
        raise FormulaError(
            f"formula {_quote(text)} cannot be evaluated: {exc}", location=where
        ) from None
    if not math.isfinite(result):
        raise FormulaError(
            f"formula {_quote(text)} gives {result}, not a finite number", location=where
        )
    return result


def resolve_parameters(
    definitions: Mapping[str, float | str],
    *,
    where: str = "parameters",
    where_of: Callable[[str], str] | None = None,
) -> dict[str, float]:
    """Evaluate parameters that may refer to each other; detects cycles.

    ``where_of(name)`` gives the location of one parameter (``file:line parameters.name``);
    without it locations are ``where.name``.
    """
    locate = where_of or (lambda name: f"{where}.{name}")
    resolved: dict[str, float] = {}
    visiting: list[str] = []

    def value_of(name: str) -> float:
        if name in resolved:
            return resolved[name]
        if name in visiting:
            cycle = " -> ".join([*visiting[visiting.index(name) :], name])
            raise FormulaError(
                f"parameters refer to each other in a cycle: {cycle}; define at least one of "
                "them by a number",
                location=locate(name),
            )
        definition = definitions[name]
        if isinstance(definition, int | float):
            resolved[name] = float(definition)
            return resolved[name]
        if len(visiting) >= _MAX_CHAIN:
            raise FormulaError(
                f"parameters are defined through each other more than {_MAX_CHAIN} levels deep "
                f"({visiting[0]} -> ... -> {name}); define some of them by numbers",
                location=locate(name),
            )
        visiting.append(name)
        here = locate(name)
        needed = {n: value_of(n) for n in names(definition, where=here) if n in definitions}
        visiting.pop()
        resolved[name] = evaluate(definition, needed, where=here)
        return resolved[name]

    for key in definitions:
        value_of(key)
    return resolved
