"""The models as data (``schemas/models.json``): limits and capabilities per model id."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

from .schemas import SCHEMA_DIR

__all__ = ["Range", "Model", "MODELS_FILE", "all_models", "get"]

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

    def range(self, name: str) -> Range:
        """``max_tokens``, ``temperature`` or ``top_p`` as a Range."""
        r = self.data[name]
        return Range(r["min"], r["max"], r.get("default"))

    @property
    def thinking_by_default(self) -> bool:
        """Thinking is on when the request says nothing about it."""
        return self.data["thinking"]["supported"] and self.data["thinking"]["default"] == "enabled"

    def serves(self, protocol: str) -> bool:
        """The model is documented for this protocol and not retired."""
        return protocol in self.data["protocols"] and self.data["status"] != "retired"


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
    """The model ``model_id``; the KeyError names the known ids and the file to edit."""
    try:
        return _load()[model_id]
    except KeyError:
        known = ", ".join(_load())
        raise KeyError(f"unknown model {model_id!r} (known: {known}); add it to {MODELS_FILE}") from None
