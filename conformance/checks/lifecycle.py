"""Models in time (info): an id the models data does not know, and a model answering after its retirement."""

from __future__ import annotations

from typing import Iterator

from ..exchange import Exchange
from ._common import dialect_of
from .registry import check

__all__: list[str] = []

Violations = Iterator[tuple[str, str]]
RETIRED = "docs/observed.md § Models move > Retired V2 ids: all mimo-v2-* ids were removed on 2026-06-30"
DATA = ("the models data (schemas/models.json) is this project's record of which ids exist and their dates; "
        "an id it does not know may be new, a reseller's own name, or a typo")


def _model_id(exchange: Exchange) -> str | None:
    model = exchange.request.json.get("model")
    return model if isinstance(model, str) else None


def _known(model_id: str, exchange: Exchange | None = None):
    """The model, when the models data (and the exchange's dialect) knows the id; else None."""
    from .. import models  # the models data is read when a check first needs it

    if exchange is not None and not dialect_of(exchange).knows(model_id):
        return None  # another dialect's own id: unknown in this one
    try:
        model = models.get(model_id)
    except KeyError:
        return None
    return None if model.stub else model  # a stub: listed by a host, its limits unknown


@check("openai.models.unknown", applies=lambda ex: ex.protocol == "openai" and ex.ok, basis="reference", source=DATA)
@check("anthropic.models.unknown", applies=lambda ex: ex.protocol == "anthropic" and ex.ok, basis="reference",
       source=DATA)
@check("responses.models.unknown", applies=lambda ex: ex.protocol == "responses" and ex.ok, basis="reference",
       source=DATA)
def unknown(exchange: Exchange) -> Violations:
    """The model id is one the models data (the dialect's) knows; otherwise the rules that need its limits are skipped."""
    model_id = _model_id(exchange)
    if model_id is not None and _known(model_id, exchange) is None:
        yield "/model", (f"unknown model id {model_id!r} in dialect {exchange.dialect}: the rules that need its limits, "
                         "capabilities and dates (ranges, thinking default, TTS, media) are skipped; add it to "
                         "schemas/models.json or the dialect's models (mimo-conformance models diff)")


@check("openai.models.served_after_retirement", applies=lambda ex: ex.protocol == "openai" and ex.ok,
       basis="observed", source=RETIRED, severity="info")
@check("anthropic.models.served_after_retirement", applies=lambda ex: ex.protocol == "anthropic" and ex.ok,
       basis="observed", source=RETIRED, severity="info")
def served_after_retirement(exchange: Exchange) -> Violations:
    """A model retired by the day of the exchange does not answer 2xx: when it does, the models data is news."""
    model_id = _model_id(exchange)
    model = _known(model_id) if model_id else None
    if model is None or model.status_at(exchange.when) != "retired":
        return
    day = exchange.when.date().isoformat() if exchange.when else "today"
    yield "/model", (f"{model_id} is retired since {model.data['lifecycle']['retired_on']} by the models data, "
                     f"yet answered {exchange.status} on {day}: the target still serves it (or its date moved)")
