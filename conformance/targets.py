"""Target profiles (``schemas/targets.json``): where a run sends, how it authenticates, what it tests."""

from __future__ import annotations

import functools
import json
import os
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from .schemas import SCHEMA_DIR, errors

__all__ = ["TARGETS_FILE", "Target", "TargetError", "load_targets", "get"]

TARGETS_FILE = SCHEMA_DIR / "targets.json"


class TargetError(ValueError):
    """A target file or option that cannot be used; the message names the file, field and fix."""


@dataclass(frozen=True)
class Target:
    """One target profile."""

    name: str
    description: str
    server: str  # what is actually recorded: part of every cassette path
    dialect: str
    base_urls: dict[str, str] | None  # None: the suite starts the reference server
    auth: str
    key_env: str
    models: tuple[str, ...]
    severity_fails: tuple[str, ...] = ("contract",)
    recorded_from: dict[str, str] = field(default_factory=dict)  # software, model, flags of a recording

    @property
    def local(self) -> bool:
        """The suite starts this target's server itself."""
        return self.base_urls is None

    @property
    def on_loopback(self) -> bool:
        """Every base URL is on 127.0.0.1 or localhost: a server on this machine, on whatever port."""
        hosts = {urllib.parse.urlsplit(u).hostname for u in (self.base_urls or {}).values()}
        return bool(hosts) and hosts <= {"127.0.0.1", "localhost", "::1"}

    def key(self) -> str | None:
        """The API key from the profile's environment variable, or None."""
        return os.environ.get(self.key_env) or None

    @property
    def cassette_root(self) -> str:
        """``<server>/<dialect>``: the folder under ``cassettes/`` this target's recordings live in."""
        return f"{self.server}/{self.dialect}"


@functools.cache
def load_targets(path: Path = TARGETS_FILE) -> dict[str, Target]:
    """Every profile in the targets file, validated against ``targets.schema.json``."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise TargetError(f"{path}: cannot read the targets file: {exc.strerror}") from exc
    except ValueError as exc:
        raise TargetError(f"{path}: not valid JSON: {exc}") from exc
    problems = errors("targets.schema.json", doc)
    if problems:
        raise TargetError(f"{path}: {problems[0]} (fix that field; the schema is schemas/targets.schema.json)")
    return {name: _target(name, p) for name, p in doc["targets"].items()}


def _target(name: str, p: dict) -> Target:
    return Target(
        name, p["description"], p["server"], p["dialect"], p["base_urls"], p["auth"], p["key_env"],
        tuple(p["models"]), tuple(p.get("severity_fails", ["contract"])), dict(p.get("recorded_from", {})),
    )


def get(name: str, path: Path = TARGETS_FILE) -> Target:
    """The profile ``name``; an unknown name lists the known ones."""
    targets = load_targets(path)
    if name not in targets:
        raise TargetError(f"unknown target {name!r}: {path} defines {', '.join(sorted(targets))}")
    return targets[name]
