"""Parameter sets: the model's own parameters, a named scenario, or one value of a sweep.

Every result names the parameter set it was computed with (``Footprint.inputs.parameter_set``),
so two results of one model never look alike when their parameters differ (openLCA users ask
for the same: GreenDelta/olca-app#376).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from tanzuji.errors import ModelError
from tanzuji.model.schema import Amount, Model

BASELINE = "baseline"
#: Most values one sweep may compute (each is one compile and solve).
MAX_SWEEP_POINTS = 10_000
_ROUND_DIGITS = 12  # start + k * step in decimal steps: 0.1 * 3 is 0.30000000000000004


@dataclass(frozen=True)
class ParameterSet:
    """Parameter definitions to compile a model with, and the name of the set.

    ``overrides`` replace the model's own ``parameters``; ``paths`` gives where each override
    is written in the model file (a scenario's value) or None (a sweep value).
    """

    name: str = BASELINE
    overrides: dict[str, Amount] = field(default_factory=dict)
    paths: dict[str, tuple[str | int, ...] | None] = field(default_factory=dict)


def scenario(model: Model, name: str | None) -> ParameterSet:
    """The parameter set of scenario ``name`` (the model's own parameters when None).

    Raises
    ------
    ModelError
        When the model defines no such scenario, or the scenario sets a parameter the model
        does not define.
    """
    if name is None or name == BASELINE:
        return ParameterSet()
    scenarios = model.scenarios or {}
    if name not in scenarios:
        known = ", ".join(sorted(scenarios)) or "none"
        raise ModelError(
            f"the model defines no scenario {name!r}; defined scenarios: {known} "
            f"(or '{BASELINE}' for the model's own parameters)",
            found=name,
        )
    values = scenarios[name]
    _known_parameters(model, values, f"scenario {name!r}")
    return ParameterSet(name, dict(values), {key: ("scenarios", name, key) for key in values})


def with_value(base: ParameterSet, model: Model, parameter: str, value: float) -> ParameterSet:
    """``base`` with ``parameter`` set to ``value`` (one point of a sweep)."""
    _known_parameters(model, {parameter: value}, "the sweep")
    overrides = {**base.overrides, parameter: value}
    paths = {**base.paths, parameter: None}
    return ParameterSet(f"{base.name}, {parameter}={value:g}", overrides, paths)


def _known_parameters(model: Model, values: dict[str, Amount], what: str) -> None:
    unknown = sorted(set(values) - set(model.parameters))
    if unknown:
        known = ", ".join(sorted(model.parameters)) or "none"
        raise ModelError(
            f"{what} sets parameter(s) {', '.join(unknown)}, which the model does not define "
            f"under 'parameters'; defined: {known}",
            found=unknown,
        )


@dataclass(frozen=True)
class Sweep:
    """One parameter and the values to compute it at."""

    parameter: str
    values: tuple[float, ...]


def parse_sweep(text: str) -> Sweep:
    """``name=start:stop:step`` (stop included) or ``name=v1,v2,...`` as a :class:`Sweep`.

    Raises
    ------
    ModelError
        On a malformed text, a step that is not > 0, a stop below the start or more than
        :data:`MAX_SWEEP_POINTS` values.
    """
    name, sep, spec = text.partition("=")
    name, spec = name.strip(), spec.strip()
    usage = "write NAME=START:STOP:STEP (e.g. rpet_share=0:1:0.1) or NAME=V1,V2,..."
    if not sep or not name or not spec:
        raise ModelError(f"sweep {text!r} is not understood; {usage}", found=text)
    try:
        if ":" in spec:
            parts = spec.split(":")
            if len(parts) != 3:
                raise ValueError(f"a range has 3 parts START:STOP:STEP, found {len(parts)}")
            values = _range(*(float(part) for part in parts))
        else:
            values = tuple(float(part) for part in spec.split(","))
    except (TypeError, ValueError, OverflowError) as exc:
        raise ModelError(f"sweep {text!r} is not understood ({exc}); {usage}", found=text) from None
    if not values or not all(math.isfinite(v) for v in values):
        raise ModelError(f"sweep {text!r} gives no finite values; {usage}", found=text)
    if len(values) > MAX_SWEEP_POINTS:
        raise ModelError(
            f"sweep {text!r} has {len(values)} values; at most {MAX_SWEEP_POINTS}", found=text
        )
    return Sweep(name, values)


def _range(start: float, stop: float, step: float) -> tuple[float, ...]:
    if not step > 0 or stop < start:
        raise ValueError("the step must be > 0 and STOP >= START")
    count = math.floor((stop - start) / step + 1e-9) + 1
    if count > MAX_SWEEP_POINTS:
        raise ValueError(f"{count} values, at most {MAX_SWEEP_POINTS}")
    return tuple(round(start + k * step, _ROUND_DIGITS) for k in range(count))


__all__ = ["BASELINE", "ParameterSet", "Sweep", "parse_sweep", "scenario", "with_value"]
