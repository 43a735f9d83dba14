"""Media fixtures in case files: ``"$media:NAME"`` and ``"$media-uri:NAME"`` stand for a file of ``cases/media/``.

A case carries its request as JSON; a real image, sound or video goes in as base64. Rather than
pasting kilobytes of it into the case files, a string that is exactly ``$media:shapes.png`` becomes
the file's base64 and ``$media-uri:shapes.png`` a ``data:image/png;base64,…`` URI, when the run's
request is built (:func:`expand`). The files are made by ``python3 -m conformance.make_media``.
"""

from __future__ import annotations

import base64
import functools
import re
from pathlib import Path
from typing import Any

__all__ = ["MEDIA_DIR", "MIME_TYPES", "expand", "base64_of", "data_uri"]

MEDIA_DIR = Path(__file__).resolve().parent.parent / "cases" / "media"
MIME_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp", "bmp": "image/bmp",
              "wav": "audio/wav", "mp3": "audio/mpeg", "mp4": "video/mp4"}
_PLACEHOLDER = re.compile(r"\$media(-uri)?:([\w.-]+)")


@functools.cache
def base64_of(name: str) -> str:
    """The base64 of ``cases/media/NAME``; a ValueError names the files there when it does not exist."""
    path = MEDIA_DIR / name
    if not path.is_file():
        known = ", ".join(sorted(p.name for p in MEDIA_DIR.iterdir() if p.is_file()))
        raise ValueError(f"no media fixture {name!r} in cases/media/; known: {known}")
    return base64.b64encode(path.read_bytes()).decode("ascii")


def data_uri(name: str) -> str:
    """``data:<mime>;base64,<data>`` for ``cases/media/NAME``."""
    return f"data:{MIME_TYPES[name.rsplit('.', 1)[-1]]};base64,{base64_of(name)}"


def _one(text: str) -> str:
    match = _PLACEHOLDER.fullmatch(text)
    if match is None:
        return text
    return data_uri(match[2]) if match[1] else base64_of(match[2])


def expand(value: Any) -> Any:
    """``value`` with every placeholder string replaced by its file's base64 or data URI (a new value)."""
    if isinstance(value, str):
        return _one(value)
    if isinstance(value, dict):
        return {k: expand(v) for k, v in value.items()}
    if isinstance(value, list):
        return [expand(v) for v in value]
    return value
