"""Deterministic graders, by the ``grader.type`` an item names.

A grader is ``grade(item: dict, outcome: Outcome) -> Score``: pure, no I/O, no randomness, so
rescoring a recorded run reproduces its results exactly.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable

from ..outcome import Outcome, Score

__all__ = ["GRADERS", "grade"]

# grader type -> "module:function" (imported on first use)
GRADERS: dict[str, str] = {
    "ifeval": "conformance.evals.graders.ifeval:grade",
    "exact_number": "conformance.evals.graders.numeric:grade",
    "json_object": "conformance.evals.graders.json_object:grade",
    "tool_calls": "conformance.evals.graders.tool_calls:grade",
    "final_state": "conformance.evals.graders.final_state:grade",
    "needles": "conformance.evals.graders.needles:grade",
    "thinking": "conformance.evals.graders.thinking:grade",
}


def _function(kind: str) -> Callable[[dict[str, Any], Outcome], Score]:
    try:
        module, name = GRADERS[kind].split(":")
    except KeyError:
        raise ValueError(f"unknown grader type {kind!r}; known: {', '.join(sorted(GRADERS))}") from None
    return getattr(importlib.import_module(module), name)


def grade(item: dict[str, Any], outcome: Outcome) -> Score:
    """Score ``outcome`` with the grader ``item['grader']['type']`` names."""
    return _function(item["grader"]["type"])(item, outcome)
