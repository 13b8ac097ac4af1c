"""The emission-factor database and the interface the engine consumes.

:class:`FactorData` is what the model compiler needs from any factor source: the unit the
factor is "per", and the amount of each gas per unit with its origin. Sources implement
:class:`FactorSource` (``resolve(ref) -> FactorData``); inline model factors, a CSV next to a
model and the database store all plug in the same way.
"""

from tanzuji.factors.base import (
    ChainedSource,
    FactorData,
    FactorFlow,
    FactorSource,
    MappingSource,
    load_factor_csv,
)

__all__ = [
    "ChainedSource",
    "FactorData",
    "FactorFlow",
    "FactorSource",
    "MappingSource",
    "load_factor_csv",
]
