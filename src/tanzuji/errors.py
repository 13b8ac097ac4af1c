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


class HeatingValueMismatch(UnitMismatch):
    """Two energy amounts on different heating-value bases (HHV/GCV vs LHV/NCV) met."""

    code = "heating_value_mismatch"


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


class DuplicateId(ModelError):
    """Two processes or products of a model share one id."""

    code = "duplicate_id"


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


class NoFactorMatch(UnknownFactor):
    """A ``match:`` input's activity text matches no factor of a convertible unit."""

    code = "no_factor_match"
    http_status = 422


class FactorFileError(TanzujiError):
    """A factor file (CSV next to a model) is malformed."""

    code = "factor_file_error"
    http_status = 422


class SingularTechnosphere(TanzujiError):
    """The technosphere matrix cannot be solved: singular, ill-posed or non-finite."""

    code = "singular_technosphere"
    http_status = 422


class NumericOverflow(TanzujiError):
    """A product of finite amounts left the float range (|x| > 1.8e308) in a calculation."""

    code = "numeric_overflow"
    http_status = 422


class NotFound(TanzujiError):
    """A requested record does not exist."""

    code = "not_found"
    http_status = 404


class CertificationError(TanzujiError):
    """A certification step cannot be carried out (workflow, labels, certificates)."""

    code = "certification_error"
    http_status = 422


class PermissionDenied(CertificationError):
    """An actor tried a step that its role or organisation does not allow."""

    code = "permission_denied"
    http_status = 403


class InvalidTransition(CertificationError):
    """An application cannot move from its current state with the requested step."""

    code = "invalid_transition"
    http_status = 409


class GateNotMet(CertificationError):
    """A condition required by a step (sign-off, no PCR errors, label rules) does not hold."""

    code = "gate_not_met"


class FactorsNotWaived(GateNotMet):
    """Sign-off or approval while factors of the footprint are draft, illustrative or
    unsourced and have no verifier's waiver (:mod:`tanzuji.certify.provenance`).

    ``details``: ``application_id``, ``step`` (``sign-off`` or ``approval``) and
    ``factor_ids`` (those without a waiver, sorted). The message names the factors and what
    resolves the refusal (a waiver with a reason, or a sourced replacement) but no command:
    each front end says how to do it there (:meth:`with_hint`): the CLI its command, the API
    its route, the application's page its form. The code stays ``gate_not_met``.
    """

    def with_hint(self, hint: str) -> FactorsNotWaived:
        """The same refusal, its message followed by a front end's ``hint``."""
        return FactorsNotWaived(f"{self.message} {hint}", location=self.location, **self.details)


class LabelRefused(GateNotMet):
    """The requested label (reduction, neutrality) cannot be granted under its rules."""

    code = "label_refused"


class CreditSerialReused(LabelRefused):
    """A carbon-credit serial number was already used by another claim."""

    code = "credit_serial_reused"
    http_status = 409


class SigningKeyError(CertificationError):
    """A platform signing key cannot be used: missing, exposed file, outside its window."""

    code = "signing_key_error"
    http_status = 500


class VerificationFailed(TanzujiError):
    """A certificate, token, tree head or proof does not verify (forged, altered, wrong key)."""

    code = "verification_failed"


class LedgerInconsistent(VerificationFailed):
    """The transparency log does not match its signed tree head or an earlier one."""

    code = "ledger_inconsistent"


class FactorImportError(TanzujiError):
    """A factor file in an exchange format (CSV/XLSX, JSON-LD, EcoSpold, ILCD, PACT, SimaPro)
    is malformed: the message names the file, the row/line or XML path, the field, what was
    found and what was expected."""

    code = "factor_import_error"
    http_status = 422


class PcrError(TanzujiError):
    """A product category rule file is malformed, or a model cannot be checked against it."""

    code = "pcr_error"
    http_status = 422


class UnknownPcr(PcrError):
    """A model names a PCR id (or id@version) that no shipped or given PCR file defines."""

    code = "unknown_pcr"
    http_status = 404


class StoreUnavailable(TanzujiError):
    """The database cannot be opened: bad URL, server not answering, migration failed."""

    code = "store_unavailable"
    http_status = 503


class DatabaseBehind(StoreUnavailable):
    """The database schema is older than this version of Tanzuji needs (run the migrations)."""

    code = "database_behind"


class ConcurrentUpdate(TanzujiError):
    """Someone else changed the record between reading and writing it; read it again and retry."""

    code = "concurrent_update"
    http_status = 409


class UnknownImportFormat(TanzujiError):
    """A factor file format has no importer (unknown name, or its module is not installed)."""

    code = "unknown_import_format"
    http_status = 422


class StatusTransitionError(TanzujiError):
    """A factor version cannot move from its status to the requested one."""

    code = "status_transition_error"
    http_status = 409


class ReleaseError(TanzujiError):
    """A factor release cannot be created (empty or duplicate name, nothing published)."""

    code = "release_error"
    http_status = 409


class ParticipantError(TanzujiError):
    """An organisation or user cannot be added (duplicate id, unknown organisation, bad role)."""

    code = "participant_error"
    http_status = 422


class LastAdministrator(ParticipantError):
    """A change would leave the platform without an active administrator."""

    code = "last_administrator"
    http_status = 409


class ImmutableRecord(TanzujiError):
    """Something tried to change a stored factor version or release; make a new one instead."""

    code = "immutable_record"
    http_status = 409


class FactorEditError(TanzujiError):
    """A new version of a factor cannot be made from the requested changes."""

    code = "factor_edit_error"
    http_status = 422


class DataQualityError(TanzujiError):
    """Pedigree scores, ratings or match confidences outside their scales."""

    code = "data_quality_error"
    http_status = 422


class UncertaintySpecError(ModelError):
    """An ``uncertainty:`` block cannot be turned into a distribution around its amount."""

    code = "uncertainty_spec_error"


class LibraryError(TanzujiError):
    """A background process library cannot be read, linked, stored or solved as asked: the
    message names the library, process, exchange or flow, what was found and what was
    expected."""

    code = "library_error"
    http_status = 422


class ReportError(TanzujiError):
    """A report, chart or export cannot be made from the inputs given (missing part, bad
    option)."""

    code = "report_error"
    http_status = 422


class DeclarationError(ReportError):
    """A carbon-footprint declaration lacks what its regulation requires, or does not validate
    against its schema."""

    code = "declaration_error"


class PactError(TanzujiError):
    """A PACT exchange failed (Tech Specs v3): a document, an event, a partner, a host."""

    code = "pact_error"


class PactInvalid(PactError):
    """A PACT document, event or query does not conform to the specification."""

    code = "pact_invalid"


class PactMappingError(PactError):
    """A Tanzuji result cannot be expressed as a PACT ProductFootprint (or a footprint as a
    factor): a field PACT requires is missing or out of its range."""

    code = "pact_mapping_error"
    http_status = 422


class PactAuthError(PactError):
    """A PACT client could not be authenticated, or its token is invalid or expired."""

    code = "pact_unauthorized"
    http_status = 401


class PactRemoteError(PactError):
    """Another PACT host answered with an error, or could not be reached."""

    code = "pact_remote_error"
    http_status = 502


class AuthenticationFailed(TanzujiError):
    """A login, session or API token is missing, wrong, expired or revoked (HTTP 401)."""

    code = "unauthenticated"
    http_status = 401


class TooManyAttempts(TanzujiError):
    """Too many failed logins for a user name or client address within the window (HTTP 429);
    ``retry_after_s`` says when to try again."""

    code = "too_many_attempts"
    http_status = 429


class CsrfFailed(TanzujiError):
    """An unsafe request authenticated by a cookie lacks the session's CSRF token (HTTP 403)."""

    code = "csrf_failed"
    http_status = 403


class JobError(TanzujiError):
    """A background job cannot be queued: unknown kind or invalid parameters (HTTP 422)."""

    code = "job_error"
    http_status = 422


class BatchInputError(TanzujiError):
    """A file or table of product variants breaks the long input format (docs/scale.md): a
    missing column, an unknown input id, a non-numeric amount, unsorted variants."""

    code = "batch_input_error"
