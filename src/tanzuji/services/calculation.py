"""Calculation service: the footprint of a product model, and its uncertainty.

The model arrives as a :class:`ModelInput` — its text and the content of the files it names
(``factor_files``) — never as a path, so the same request works from the command line, an
upload or a stored application. Factors come from the Context's factor selection: ``factor:``
ids and ``match:`` texts from the same versions; ``library:NAME/ID`` inputs from the Context's
process library (the stored libraries).

A calculation is made under calculation rules (allocation, credits, electricity basis, end of
life, declared unit: a PCR's, :func:`tanzuji.pcr.calculation.rules_for`) and with a parameter
set (the model's own parameters, a named scenario, or the points of a sweep:
:mod:`tanzuji.model.scenarios`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import ConfigDict, Field

from tanzuji import gases
from tanzuji.context import Context
from tanzuji.engine.montecarlo import MonteCarlo, MonteCarloResult
from tanzuji.engine.partitioned import PartitionedMonteCarlo
from tanzuji.engine.sensitivity import summarize
from tanzuji.footprint import Footprint, SweepResult
from tanzuji.footprint import calculate as calculate_footprint
from tanzuji.footprint import sweep as sweep_footprint
from tanzuji.limits import InputLimits
from tanzuji.model.compile import compile_model
from tanzuji.model.files import LoadedModel, load_model_text
from tanzuji.model.rules import DEFAULT_RULES, CalculationRules
from tanzuji.model.scenarios import ParameterSet, parse_sweep, scenario
from tanzuji.pcr.calculation import rules_for
from tanzuji.services.base import Request, Result


class ModelInput(Request):
    """A product model with the files it uses.

    Attributes
    ----------
    name : str
        What to call the model in messages (its file name, an application id).
    text : str
        The model, YAML or JSON.
    files : dict of str to bytes
        Content of each of its ``factor_files`` by the name the model writes.
    """

    model_config = ConfigDict(
        frozen=True, extra="forbid", ser_json_bytes="base64", val_json_bytes="base64"
    )

    name: str = "<model>"
    text: str
    files: dict[str, bytes] = Field(default_factory=dict)

    def load(self, limits: InputLimits | None = None) -> LoadedModel:
        """The validated model (errors name ``name``, line and field)."""
        loaded = load_model_text(self.text, self.name, dict(self.files), limits=limits)
        loaded.path = Path(self.name)  # names its factor files in messages; nothing is read
        return loaded

    def file_hashes(self) -> dict[str, str]:
        """SHA-256 of each file by name."""
        return {name: hashlib.sha256(data).hexdigest() for name, data in self.files.items()}

    def contents(self) -> dict[str, bytes]:
        """Each file's content by its SHA-256 (what the store keeps)."""
        return {hashlib.sha256(data).hexdigest(): data for data in self.files.values()}


class Setup(Request):
    """How a model is calculated: its rules and its parameter set (defaults: the PCR the
    model names, each process's own allocation, the model's own parameters)."""

    model: ModelInput
    gwp_set: str | None = Field(None, description="AR4, AR5 or AR6 (default: setting gwp_set)")
    pcr: str | None = Field(
        None,
        description="PCR id or id@version whose calculation rules apply (default: the "
        "model's product.pcr)",
    )
    allocation: str | None = Field(
        None, description="one allocation method for every process (ALLOCATION_CHOICES)"
    )
    scenario: str | None = Field(None, description="a named parameter set of the model")


class CalculationRequest(Setup):
    """Compute the footprint of ``model`` per functional unit."""

    tree_cutoff: float | None = Field(
        None, ge=0.0, le=1.0, description="relative cut-off of the supply-chain tree; None: no tree"
    )
    monte_carlo_iterations: int = Field(0, ge=0, description="0: no uncertainty analysis")
    monte_carlo_partitioned: bool | None = Field(
        None,
        description="hold the background (process-library blocks) at its mean and resample "
        "only the foreground; None: setting mc_partitioned",
    )
    seed: int = 0


class CalculationResult(Result):
    footprint: Footprint
    #: Why the rules are not the ones asked for (a PCR the model names is not shipped).
    note: str | None = None


class SweepRequest(Setup):
    """The footprint at each value of one parameter (the others from ``scenario``)."""

    sweep: str = Field(description="NAME=START:STOP:STEP (stop included) or NAME=V1,V2,...")


class SweepOutcome(Result):
    table: SweepResult
    note: str | None = None


@dataclass(frozen=True)
class Prepared:
    """A loaded model with the rules and parameter set a request asks for."""

    loaded: LoadedModel
    rules: CalculationRules
    parameter_set: ParameterSet
    note: str | None


def prepare(context: Context, request: Setup) -> Prepared:
    """Load the model and resolve its rules (PCR, allocation) and scenario.

    Raises
    ------
    ModelError, UnknownPcr, PcrError
        The model does not load, names no such scenario, or the PCR or allocation is unknown.
    """
    loaded = request.model.load(context.limits)
    rules, note = rules_for(loaded.model, request.pcr, request.allocation)
    return Prepared(loaded, rules, scenario(loaded.model, request.scenario), note)


def footprint_of(
    context: Context,
    loaded: LoadedModel,
    *,
    gwp_set: str | None = None,
    tree_cutoff: float | None = None,
    rules: CalculationRules = DEFAULT_RULES,
    parameter_set: ParameterSet | None = None,
) -> Footprint:
    """The footprint of a loaded model with the Context's factors and solver options."""
    return calculate_footprint(
        loaded,
        gwp_set=gwp_set or str(context.settings.gwp_set),
        factor_source=context.factors.source,
        matcher=context.factors.matcher,
        tree_cutoff=tree_cutoff,
        tree_max_nodes=int(context.settings.tree_max_nodes),
        solver_options=context.solver_options,
        library=context.library,
        rules=rules,
        parameter_set=parameter_set,
    )


def monte_carlo_of(
    context: Context,
    loaded: LoadedModel,
    iterations: int,
    seed: int = 0,
    *,
    gwp_set: str | None = None,
    progress: Callable[[int], None] | None = None,
    rules: CalculationRules = DEFAULT_RULES,
    parameter_set: ParameterSet | None = None,
    partitioned: bool | None = None,
) -> MonteCarloResult:
    """Monte Carlo of a loaded model (same factors, rules and parameters as
    :func:`footprint_of`); credits are valued after the solve, so the distribution is that of
    the burdens.

    With ``partitioned`` (default: setting ``mc_partitioned``) the process-library blocks are
    the background, solved once at their mean, and only the rest is resampled
    (:mod:`tanzuji.engine.partitioned`); a model without library blocks gives the same runs
    either way."""
    compiled = compile_model(
        loaded,
        context.factors.source,
        context.factors.matcher,
        context.library,
        rules=rules,
        parameter_set=parameter_set,
    )
    options = context.monte_carlo_options
    gwp = gases.check_gwp_set(gwp_set or str(context.settings.gwp_set))
    if options.partitioned if partitioned is None else partitioned:
        background = np.array([a.kind == "library" for a in compiled.system.activities], dtype=bool)
        engine: MonteCarlo | PartitionedMonteCarlo = PartitionedMonteCarlo(
            compiled.system, gwp, background=background, options=options
        )
    else:
        engine = MonteCarlo(compiled.system, gwp, options=options)
    return engine.run(iterations, seed, progress=progress)


def compute(
    context: Context,
    setup: Prepared,
    *,
    gwp_set: str | None = None,
    tree_cutoff: float | None = None,
    iterations: int = 0,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
    partitioned: bool | None = None,
) -> tuple[Footprint, MonteCarloResult | None]:
    """The footprint of a prepared model and, with ``iterations``, its Monte Carlo runs (their
    summary set as ``footprint.uncertainty``; the runs themselves for a histogram)."""
    footprint = footprint_of(
        context,
        setup.loaded,
        gwp_set=gwp_set,
        tree_cutoff=tree_cutoff,
        rules=setup.rules,
        parameter_set=setup.parameter_set,
    )
    runs = None
    if iterations:
        runs = monte_carlo_of(
            context,
            setup.loaded,
            iterations,
            seed,
            gwp_set=gwp_set,
            progress=progress,
            rules=setup.rules,
            parameter_set=setup.parameter_set,
            partitioned=partitioned,
        )
        footprint.uncertainty = summarize(runs)
    return footprint, runs


def calculate(
    context: Context,
    request: CalculationRequest,
    *,
    progress: Callable[[int], None] | None = None,
) -> CalculationResult:
    """The footprint of the requested model, with its uncertainty when iterations are asked.

    ``progress`` is called with the number of Monte Carlo iterations done since the last call.

    Raises
    ------
    ModelError, UnknownFactor, NoFactorMatch, SingularTechnosphere, ...
        Each naming the file, line and field of the model at fault.
    """
    setup = prepare(context, request)
    footprint, _ = compute(
        context,
        setup,
        gwp_set=request.gwp_set,
        tree_cutoff=request.tree_cutoff,
        iterations=request.monte_carlo_iterations,
        seed=request.seed,
        progress=progress,
        partitioned=request.monte_carlo_partitioned,
    )
    return CalculationResult(footprint=footprint, note=setup.note)


def sweep(context: Context, request: SweepRequest) -> SweepOutcome:
    """A table of footprints over the values of one parameter (each point compiled and solved
    on its own, named by its parameter set).

    Raises
    ------
    ModelError
        A malformed sweep text, or a parameter the model does not define.
    """
    spec = parse_sweep(request.sweep)
    setup = prepare(context, request)
    table = sweep_footprint(
        setup.loaded,
        spec.parameter,
        spec.values,
        base=setup.parameter_set,
        gwp_set=request.gwp_set or str(context.settings.gwp_set),
        factor_source=context.factors.source,
        matcher=context.factors.matcher,
        library=context.library,
        solver_options=context.solver_options,
        rules=setup.rules,
    )
    return SweepOutcome(table=table, note=setup.note)


__all__ = [
    "CalculationRequest",
    "CalculationResult",
    "ModelInput",
    "Prepared",
    "Setup",
    "SweepOutcome",
    "SweepRequest",
    "calculate",
    "compute",
    "footprint_of",
    "monte_carlo_of",
    "prepare",
    "sweep",
]
