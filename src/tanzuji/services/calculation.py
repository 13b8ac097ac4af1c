"""Calculation service: the footprint of a product model, and its uncertainty.

The model arrives as a :class:`ModelInput` — its text and the content of the files it names
(``factor_files``) — never as a path, so the same request works from the command line, an
upload or a stored application. Factors come from the Context's factor selection: ``factor:``
ids and ``match:`` texts from the same versions; ``library:NAME/ID`` inputs from the Context's
process library (the stored libraries).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from pydantic import ConfigDict, Field

from tanzuji import gases
from tanzuji.context import Context
from tanzuji.engine.montecarlo import MonteCarlo
from tanzuji.engine.sensitivity import UncertaintySummary, summarize
from tanzuji.footprint import Footprint
from tanzuji.footprint import calculate as calculate_footprint
from tanzuji.limits import InputLimits
from tanzuji.model.compile import compile_model
from tanzuji.model.files import LoadedModel, load_model_text
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


class CalculationRequest(Request):
    """Compute the footprint of ``model`` per functional unit."""

    model: ModelInput
    gwp_set: str | None = Field(None, description="AR4, AR5 or AR6 (default: setting gwp_set)")
    tree_cutoff: float | None = Field(
        None, ge=0.0, le=1.0, description="relative cut-off of the supply-chain tree; None: no tree"
    )
    monte_carlo_iterations: int = Field(0, ge=0, description="0: no uncertainty analysis")
    seed: int = 0


class CalculationResult(Result):
    footprint: Footprint


def footprint_of(
    context: Context,
    loaded: LoadedModel,
    *,
    gwp_set: str | None = None,
    tree_cutoff: float | None = None,
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
    )


def uncertainty_of(
    context: Context,
    loaded: LoadedModel,
    iterations: int,
    seed: int = 0,
    *,
    gwp_set: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> UncertaintySummary:
    """Monte Carlo of a loaded model (same factors as :func:`footprint_of`)."""
    compiled = compile_model(
        loaded, context.factors.source, context.factors.matcher, library=context.library
    )
    engine = MonteCarlo(
        compiled.system,
        gases.check_gwp_set(gwp_set or str(context.settings.gwp_set)),
        options=context.monte_carlo_options,
    )
    return summarize(engine.run(iterations, seed, progress=progress))


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
    loaded = request.model.load(context.limits)
    footprint = footprint_of(
        context, loaded, gwp_set=request.gwp_set, tree_cutoff=request.tree_cutoff
    )
    if request.monte_carlo_iterations:
        footprint.uncertainty = uncertainty_of(
            context,
            loaded,
            request.monte_carlo_iterations,
            request.seed,
            gwp_set=request.gwp_set,
            progress=progress,
        )
    return CalculationResult(footprint=footprint)


__all__ = [
    "CalculationRequest",
    "CalculationResult",
    "ModelInput",
    "calculate",
    "footprint_of",
    "uncertainty_of",
]
