"""The suite's own failures: a bug of ours or an input we cannot read, never a finding about a server."""

from __future__ import annotations

__all__ = ["SuiteError"]


class SuiteError(Exception):
    """The suite itself failed (a check crashed, our reading of an SDK's answer broke): an error, not a verdict."""
