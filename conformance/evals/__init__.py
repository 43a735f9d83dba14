"""Evals: scored tasks run against a target, and a paired statistical gate between two runs.

Items are data (``evals/items/<family>.json``, checked by ``schemas/evals/items.schema.json``);
``conformance.evals.runner`` sends them through either protocol and folds the answer into an
:class:`~conformance.evals.outcome.Outcome`; a deterministic grader (``conformance.evals.graders``)
scores it; ``conformance.evals.gate`` compares two results files item by item.
"""
