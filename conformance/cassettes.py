"""Cassette policy for vcrpy: canonical JSON body matching, header allow-lists, atomic writes."""

from __future__ import annotations

import json
import os
import urllib.parse
from typing import Any

from vcr.persisters.filesystem import CassetteNotFoundError, FilesystemPersister
from vcr.serialize import serialize

from .files import write_atomically
from .transport import REQUEST_HEADER_ALLOW_LIST, SECRET_QUERY_PARAMS

__all__ = [
    "RESPONSE_HEADER_ALLOW_LIST", "canonical_body", "json_body_matcher", "keep_response_headers",
    "AtomicPersister", "vcr_config",
]

# Response headers worth keeping: date says when the exchange happened (a model is judged by its
# status on that day). Everything else (server, set-cookie, request ids) may carry account data.
RESPONSE_HEADER_ALLOW_LIST = ("content-type", "retry-after", "content-encoding", "date")
KEY_HEADERS = ("api-key", "authorization", "x-api-key")


def canonical_body(body: bytes | str | None) -> Any:
    """The request body as canonical JSON text (sorted keys), or the raw text if it is not JSON."""
    if body is None:
        return None
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    try:
        return json.dumps(json.loads(text), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    except ValueError:
        return text


def json_body_matcher(r1: Any, r2: Any) -> None:
    """vcrpy matcher: the two request bodies are the same JSON document."""
    if canonical_body(r1.body) != canonical_body(r2.body):
        raise AssertionError("request bodies differ as JSON")


def keep_response_headers(response: dict[str, Any]) -> dict[str, Any]:
    """before_record_response hook: drop every response header outside the allow-list."""
    response["headers"] = {k: v for k, v in response["headers"].items() if k.lower() in RESPONSE_HEADER_ALLOW_LIST}
    return response


def keep_request_headers(request: Any) -> Any:
    """before_record_request hook: drop every request header outside the allow-list."""
    for name in list(request.headers):
        if name.lower() not in REQUEST_HEADER_ALLOW_LIST:
            del request.headers[name]
    return request


def without_port(request: Any) -> Any:
    """before_record_request hook for a server the suite starts: its free port varies, so drop it."""
    parts = urllib.parse.urlsplit(request.uri)
    request.uri = urllib.parse.urlunsplit(parts._replace(netloc=parts.hostname or ""))
    return request


class CassetteError(ValueError):
    """A cassette file that cannot be read; the message names the file and how to fix it.

    ``path`` is the file, ``cause`` what was wrong with it (the exception's type and message).
    """

    def __init__(self, path: str, cause: str) -> None:
        super().__init__(f"{path}: not a readable cassette ({cause}). It is corrupted, truncated or not a cassette: "
                         "delete it and record it again, or restore it with git checkout.")
        self.path, self.cause = path, cause


class AtomicPersister(FilesystemPersister):
    """Writes a cassette to a temporary file and renames it, so a crash never leaves half a file."""

    @classmethod
    def load_cassette(cls, cassette_path: str | os.PathLike, serializer: Any) -> Any:
        try:
            return super().load_cassette(cassette_path, serializer)
        except CassetteNotFoundError:
            raise
        # vcrpy's recording modes load the old cassette too, so an unreadable one stops even a
        # re-recording until it is deleted.
        except (ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
            raise CassetteError(os.fspath(cassette_path), f"{type(exc).__name__}: {exc}") from exc

    @staticmethod
    def save_cassette(cassette_path: str | os.PathLike, cassette_dict: dict, serializer: Any) -> None:
        write_atomically(cassette_path, serialize(cassette_dict, serializer))


def vcr_config(*, local_server: bool = False) -> dict[str, Any]:
    """The vcrpy settings every cassette of the suite uses (ports dropped for a suite-started server)."""
    return {
        "serializer": "json",
        "match_on": ["method", "path", "json_body"],
        "filter_headers": list(KEY_HEADERS),
        "filter_query_parameters": list(SECRET_QUERY_PARAMS),
        "before_record_request": [keep_request_headers, without_port] if local_server else keep_request_headers,
        "before_record_response": keep_response_headers,
        "decode_compressed_response": True,
        "allow_playback_repeats": False,  # a retried request replays its tries in order
        "record_on_exception": False,
    }


__all__ += ["CassetteError", "CassetteNotFoundError", "KEY_HEADERS", "keep_request_headers", "without_port"]
