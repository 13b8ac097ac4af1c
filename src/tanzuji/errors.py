"""One error hierarchy for Tanzuji.

Every error says what was found, what was expected and how to fix it, and carries the HTTP
status the web edge answers with. ``location`` names the place in the user's input (file,
line, process id, exchange index, field) so the CLI and the API can point at it.
"""

from __future__ import annotations

from typing import Any


class TanzujiError(Exception):
    """Base class of every error Tanzuji raises on purpose."""

    http_status: int = 400
    code: str = "tanzuji_error"

    def __init__(self, message: str, *, location: str | None = None, **details: Any) -> None:
        self.message = message
        self.location = location
        self.details = details
        super().__init__(f"{location}: {message}" if location else message)

    def to_dict(self) -> dict[str, Any]:
        """The one JSON error shape: ``{"error": {"code", "message", "location", "details"}}``."""
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "location": self.location,
                "details": {k: _jsonable(v) for k, v in self.details.items()},
            }
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


class SettingError(TanzujiError):
    """A setting is unknown or its value cannot be parsed."""

    code = "setting_error"


class UnitMismatch(TanzujiError):
    """Two units met that cannot be converted into each other (different dimensions)."""

    code = "unit_mismatch"


class UnknownUnit(TanzujiError):
    """A unit string is not in the unit registry."""

    code = "unknown_unit"


class UnknownGas(TanzujiError):
    """A greenhouse gas is not in the GWP table."""

    code = "unknown_gas"


class UnknownGWPSet(TanzujiError):
    """A GWP set name is not one of the shipped sets."""

    code = "unknown_gwp_set"


class ModelError(TanzujiError):
    """A product model is malformed: schema, references, amounts."""

    code = "model_error"
    http_status = 422


class ModelFileError(ModelError):
    """A model file cannot be read or parsed (YAML/JSON syntax, missing file)."""

    code = "model_file_error"


class FormulaError(ModelError):
    """A formula amount is not a safe arithmetic expression over known parameters."""

    code = "formula_error"


class DanglingReference(ModelError):
    """An exchange points at a process that the model does not define."""

    code = "dangling_reference"


class InvalidAmount(ModelError):
    """An amount is zero, negative or not finite where that is not allowed."""

    code = "invalid_amount"


class AllocationError(ModelError):
    """Co-product allocation cannot be applied (missing property, shares not summing to 1)."""

    code = "allocation_error"


class UnknownFactor(TanzujiError):
    """An exchange references an emission factor that no factor source knows."""

    code = "unknown_factor"
    http_status = 404


class FactorFileError(TanzujiError):
    """A factor file (CSV next to a model) is malformed."""

    code = "factor_file_error"
    http_status = 422


class SingularTechnosphere(TanzujiError):
    """The technosphere matrix cannot be solved: singular, ill-posed or non-finite."""

    code = "singular_technosphere"
    http_status = 422


class NotFound(TanzujiError):
    """A requested record does not exist."""

    code = "not_found"
    http_status = 404


class DataQualityError(TanzujiError):
    """Pedigree scores, ratings or match confidences outside their scales."""

    code = "data_quality_error"
    http_status = 422


class UncertaintySpecError(ModelError):
    """An ``uncertainty:`` block cannot be turned into a distribution around its amount."""

    code = "uncertainty_spec_error"
