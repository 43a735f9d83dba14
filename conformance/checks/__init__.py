"""Named checks over exchanges: ``from conformance import checks; checks.run(exchange)``."""

from .registry import (
    REGISTRY, SEVERITIES, Check, CheckCrashed, CheckFailed, Finding,
    all_checks, applicable, assert_conforms, check, get, pair_check, parse_severities, run, run_pair,
)

__all__ = [
    "REGISTRY", "SEVERITIES", "Check", "CheckCrashed", "CheckFailed", "Finding",
    "all_checks", "applicable", "assert_conforms", "check", "get", "pair_check", "parse_severities", "run", "run_pair",
]
