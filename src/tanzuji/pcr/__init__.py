"""Product category rules (PCRs) as data, and the checks they drive. See docs/pcr.md."""

from tanzuji.pcr.checks import CheckReport, Finding, check, check_model
from tanzuji.pcr.registry import get_pcr, load_pcr_file, shipped
from tanzuji.pcr.schema import Pcr

__all__ = [
    "CheckReport",
    "Finding",
    "Pcr",
    "check",
    "check_model",
    "get_pcr",
    "load_pcr_file",
    "shipped",
]
