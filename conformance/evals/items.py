"""Load the eval items (``evals/items/*.json``), check them, and fingerprint the set.

Every file is validated against ``schemas/evals/items.schema.json``; ids must be unique across
files and each item's family must be its file's; a grader module may add semantic checks with
``check_item(item) -> list[str]``. Any problem raises :class:`ItemError` naming the file, the
JSON pointer and what to fix.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
from pathlib import Path
from typing import Any

from .. import schemas
from .graders import GRADERS

__all__ = ["ITEMS_DIR", "ItemError", "load", "digest", "by_id"]

ITEMS_DIR = Path(__file__).resolve().parents[2] / "evals" / "items"
SCHEMA = "evals/items.schema.json"


class ItemError(ValueError):
    """An eval items file that is not usable; the message names the file and the JSON pointer."""


def _read(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ItemError(f"{path}: cannot read it ({exc})") from None
    except json.JSONDecodeError as exc:
        raise ItemError(f"{path}: not valid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None


def _validate(path: Path, doc: Any) -> None:
    problems = schemas.errors(SCHEMA, doc)
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ItemError(f"{path}: {first}{more}; see schemas/evals/items.schema.json")


def _semantic(path: Path, index: int, item: dict[str, Any]) -> None:
    module = importlib.import_module(GRADERS[item["grader"]["type"]].split(":")[0])
    check = getattr(module, "check_item", None)
    for problem in (check(item) if check else []):
        raise ItemError(f"{path}: /items/{index} ({item['id']}): {problem}")


@functools.cache
def _load_dir(directory: Path) -> tuple[dict[str, Any], ...]:
    files = sorted(directory.glob("*.json"))
    if not files:
        raise ItemError(f"{directory}: no eval items files (*.json) here")
    items, seen = [], {}
    for path in files:
        doc = _read(path)
        _validate(path, doc)
        for i, item in enumerate(doc["items"]):
            if item["family"] != doc["family"]:
                raise ItemError(f"{path}: /items/{i}/family is {item['family']!r}, but the file holds {doc['family']!r}")
            if item["id"] in seen:
                raise ItemError(f"{path}: /items/{i}/id {item['id']!r} is also used in {seen[item['id']]}; ids must be unique")
            seen[item["id"]] = path.name
            _semantic(path, i, item)
            items.append(item)
    return tuple(items)


def load(directory: Path = ITEMS_DIR) -> list[dict[str, Any]]:
    """Every item of every family file under ``directory``, in file then item order (checked once per process)."""
    return list(_load_dir(Path(directory).resolve()))


def by_id(directory: Path = ITEMS_DIR) -> dict[str, dict[str, Any]]:
    """The items keyed by id."""
    return {item["id"]: item for item in load(directory)}


def digest(items: list[dict[str, Any]]) -> str:
    """A fingerprint of the item set: results of different item sets are flagged when compared."""
    canonical = json.dumps(items, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
