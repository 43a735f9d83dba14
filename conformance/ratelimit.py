"""Client-side rate limiting from the models data, shared by every process of a run (xdist workers too).

The budget lives in one SQLite file per target under the temp folder, guarded by a file lock
(pyrate-limiter's SQLiteBucket), so two workers together stay under the documented limits
(docs/sources.md#model-hyperparameters § Model specs table > Flow Control: "RPM: 100 TPM: 10 M").
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from pyrate_limiter import Duration, Limiter, Rate, SQLiteBucket

__all__ = ["RateLimit", "estimated_tokens", "default_path"]


def default_path(target: str) -> Path:
    """The shared budget file of ``target`` (one per machine, so parallel runs share it too)."""
    return Path(tempfile.gettempdir()) / f"mimo-conformance-ratelimit-{target}.sqlite"


def estimated_tokens(body: Any) -> int:
    """What a request may cost: its prompt (about 4 bytes a token) plus its output budget."""
    if not isinstance(body, dict):
        return 1
    budget = body.get("max_completion_tokens") or body.get("max_tokens") or 0
    return max(1, len(json.dumps(body.get("messages", []))) // 4 + int(budget if isinstance(budget, int) else 0))


class RateLimit:
    """Blocks before each request until the shared requests-per-window and tokens-per-window allow it."""

    def __init__(self, path: Path, *, requests: int, tokens: int, window_ms: int = Duration.MINUTE) -> None:
        self.tokens = tokens
        self._requests = _limiter(path, "requests", Rate(requests, window_ms))
        self._tokens = _limiter(path, "tokens", Rate(tokens, window_ms))

    def __call__(self, protocol: str, body: Any) -> None:
        self._requests.try_acquire("requests", blocking=True)
        self._tokens.try_acquire("tokens", weight=min(self.tokens, estimated_tokens(body)), blocking=True)


def _limiter(path: Path, table: str, rate: Rate) -> Limiter:
    bucket = SQLiteBucket.init_from_file([rate], table=table, db_path=str(path), use_file_lock=True)
    return Limiter(bucket)
