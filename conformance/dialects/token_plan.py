"""The Token Plan host on the reference server: Xiaomi's shapes; what differs is data (schemas/dialects/token-plan.json).

Its stricter validation (unknown top-level fields, a null frequency_penalty) is the contract's
``may`` rules, answered with Xiaomi's "Param Incorrect" body; its 402 and 429 are scenarios.
"""

from __future__ import annotations

from .xiaomi import document, items, malformed, refusal, request, unauthorized, upstream

__all__ = ["request", "document", "items", "refusal", "upstream", "unauthorized", "malformed"]
