"""The models as data (``schemas/models.json``): limits and capabilities per model id."""

from __future__ import annotations

import copy
import functools
import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from .schemas import SCHEMA_DIR

__all__ = ["Range", "Model", "MODELS_FILE", "STATUSES", "all_models", "get", "day_of"]

# A model's life: announced but not yet served, served, deprecated (still served), retired (refused).
STATUSES = ("upcoming", "available", "deprecated", "retired")

MODELS_FILE = SCHEMA_DIR / "models.json"


@dataclass(frozen=True)
class Range:
    """A documented numeric range with its default."""

    min: float
    max: float
    default: float | None = None

    def __contains__(self, value: object) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and self.min <= value <= self.max


@dataclass(frozen=True)
class Model:
    """One model's documented limits and capabilities (a thin view over its JSON object)."""

    data: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.data[name]
        except KeyError:
            raise AttributeError(f"model {self.data.get('id')!r} has no field {name!r}") from None

    @property
    def stub(self) -> bool:
        """An id a host listed that the data knows nothing more of (``models diff --write``): no limits, no dates."""
        return self.data.get("stub") is True

    def range(self, name: str) -> Range:
        """``max_tokens``, ``temperature`` or ``top_p`` as a Range."""
        r = self.data[name]
        return Range(r["min"], r["max"], r.get("default"))

    @property
    def thinking_by_default(self) -> bool:
        """Thinking is on when the request says nothing about it."""
        return self.data["thinking"]["supported"] and self.data["thinking"]["default"] == "enabled"

    def status_at(self, when: datetime | date | None = None) -> str:
        """``upcoming``, ``available``, ``deprecated`` or ``retired`` on the day of ``when`` (default today, UTC)."""
        day, life = day_of(when), self.data.get("lifecycle", {})
        for status, key in (("retired", "retired_on"), ("deprecated", "deprecated_on")):
            if life.get(key) and day >= date.fromisoformat(life[key]):
                return status
        if life.get("available_from") and day < date.fromisoformat(life["available_from"]):
            return "upcoming"
        return "available"

    def serves(self, protocol: str, when: datetime | date | None = None) -> bool:
        """The model is documented for this protocol and served on the day of ``when`` (default today); a stub is not."""
        return protocol in self.data.get("protocols", ()) and self.status_at(when) in ("available", "deprecated")


def day_of(when: datetime | date | None) -> date:
    """The UTC calendar day of ``when``; today when it is None."""
    if when is None:
        return datetime.now(timezone.utc).date()
    if isinstance(when, datetime):
        return (when.astimezone(timezone.utc) if when.tzinfo else when).date()
    return when


@functools.cache
def _load() -> dict[str, Model]:
    try:
        doc = json.loads(MODELS_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RuntimeError(f"{MODELS_FILE}: cannot read the models data: {exc}") from exc
    return {m["id"]: Model(m) for m in doc["models"]}


def all_models() -> list[Model]:
    """Every model in the data, in file order."""
    return list(_load().values())


def get(model_id: str) -> Model:
    """The model ``model_id`` (a dialect's own id included); the KeyError names the known ids and the file to edit."""
    found = _load().get(model_id) or _served(model_id)
    if found is None:
        known = ", ".join(_load())
        raise KeyError(f"unknown model {model_id!r} (known: {known}); add it to {MODELS_FILE}")
    return found


@functools.cache
def _served(model_id: str) -> Model | None:
    """A dialect's own model id (schemas/dialects/): the model it serves, with the dialect's fields over it."""
    from . import dialects  # data of the same layer; loaded only for an id models.json does not have

    found = dialects.served_as(model_id)
    if found is None or found[0] not in _load():
        return None
    base, own = found
    data = {**copy.deepcopy(_load()[base].data), **{k: v for k, v in own.items() if k != "thinking_default"}}
    if "thinking_default" in own:
        data["thinking"]["default"] = own["thinking_default"]
    return Model({**data, "serves": base})
