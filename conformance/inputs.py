"""Exchanges captured elsewhere: vcrpy cassettes (YAML or JSON), HAR 1.2 files and our transcripts.

Each readable file becomes a :class:`CapturedFile`: its exchanges, each with ``source`` (the file
and the JSON pointer of the interaction, HAR entry or transcript) and, for a cassette this suite
recorded, the pytest node id of the test that recorded it. The request decides the protocol: a
POST to a URL path ending in ``/chat/completions`` is OpenAI, one ending in ``/v1/messages`` is
Anthropic; other requests in a cassette or HAR file are skipped and counted. A body is read as SSE
when the request asked for ``stream: true`` or the response is ``text/event-stream``, exactly as
the transport reads it. Anything unusable raises :class:`InputError` naming the file, the pointer
and what is wrong. Reading never touches the network.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import urllib.parse
import zlib
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

import yaml

from . import sse
from .exchange import Exchange, Request
from .transcript import TranscriptError, load_exchange
from .transport import REQUEST_HEADER_ALLOW_LIST

__all__ = [
    "SUFFIXES", "InputError", "Captured", "CapturedFile", "read_paths", "read_paths_leniently", "read_file", "protocol_of",
]

SUFFIXES = (".json", ".yaml", ".yml", ".har")
KEY_HEADERS = {"api-key": "api-key", "x-api-key": "x-api-key", "authorization": "bearer"}


class InputError(ValueError):
    """An input that cannot be read as exchanges; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Captured:
    """One exchange read from a file: where it came from, and the test that recorded it when known."""

    source: str  # "<file> /interactions/3"
    exchange: Exchange
    test: str | None = None  # pytest node id, for a cassette this suite recorded


@dataclass
class CapturedFile:
    """The exchanges of one file, and the requests in it that go to neither endpoint."""

    path: Path
    exchanges: list[Captured] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "GET /v1/models" per request left out
    recorded_from: dict[str, Any] = field(default_factory=dict)  # a cassette's metadata.recorded_from


def read_paths(paths: Iterable[str | Path]) -> list[CapturedFile]:
    """Every file named, folders walked (sorted, hidden files left out); raises InputError on the first bad one."""
    return [read_file(p) for p in _walk(paths)]


def read_paths_leniently(paths: Iterable[str | Path]) -> tuple[list[CapturedFile], list[str]]:
    """Every readable file named or under a folder named, and one message per file that is not readable.

    A path that does not exist, or a folder with nothing to read, still raises InputError.
    """
    files, problems = [], []
    for path in _walk(paths):
        try:
            files.append(read_file(path))
        except InputError as exc:
            problems.append(str(exc))
    return files, problems


def _walk(paths: Iterable[str | Path]) -> list[Path]:
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in SUFFIXES
                           and not any(part.startswith(".") for part in p.relative_to(path).parts))
            if not files:
                raise InputError(f"{path}: the folder holds no {', '.join(SUFFIXES)} file")
            found += files
        elif path.is_file():
            found.append(path)
        else:
            raise InputError(f"{path}: no such file or folder")
    return found


def read_file(path: Path) -> CapturedFile:
    """The exchanges of one cassette, HAR file or transcript file."""
    doc = _parse(path)
    if isinstance(doc, dict) and isinstance(doc.get("interactions"), list):
        return _cassette(path, doc)
    if isinstance(doc, dict) and isinstance(doc.get("log"), dict) and "entries" in doc["log"]:
        return _har(path, doc["log"])
    if isinstance(doc, dict) and "protocol" in doc and "request" in doc:
        return CapturedFile(path, [_transcript(path, doc, "")])
    if isinstance(doc, list) and doc and all(isinstance(d, dict) and "protocol" in d for d in doc):
        return CapturedFile(path, [_transcript(path, d, f"/{i}") for i, d in enumerate(doc)])
    raise InputError(f"{path}: not a vcrpy cassette (\"interactions\"), a HAR file (\"log\".\"entries\") "
                     f"or a transcript (\"protocol\", \"request\"); found {_shape(doc)}")


def _shape(doc: Any) -> str:
    if isinstance(doc, dict):
        return "an object with keys " + (", ".join(sorted(map(str, doc))[:8]) or "none")
    return f"a {type(doc).__name__}" if not isinstance(doc, list) else f"a list of {len(doc)} items"


def _parse(path: Path) -> Any:
    """The file as JSON, or as YAML unless its name ends in .json or .har."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read it: {exc.strerror}") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        if path.suffix in (".json", ".har"):
            raise InputError(f"{path}: not JSON: {exc}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: neither JSON nor YAML: {_yaml_problem(exc)}") from None


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
    return f"{getattr(exc, 'problem', None) or str(exc).splitlines()[0]}{where}"


def _transcript(path: Path, doc: dict[str, Any], pointer: str) -> Captured:
    try:
        return Captured(f"{path} {pointer or '/'}", load_exchange(doc))
    except TranscriptError as exc:
        raise InputError(f"{path} {pointer or '/'}: {exc}") from None


# --- vcrpy cassettes --------------------------------------------------------------------------


def _cassette(path: Path, doc: dict[str, Any]) -> CapturedFile:
    out, test = CapturedFile(path, recorded_from=_metadata(doc)), _recorded_by(path, doc)
    at, dialect = _moment(out.recorded_from.get("recorded_at")), out.recorded_from.get("dialect")
    for i, interaction in enumerate(doc["interactions"]):
        where = f"{path} /interactions/{i}"
        request, response = _parts(interaction, where)
        raw = _http(request.get("method"), request.get("uri"), request.get("headers"), request.get("body"),
                    _status(response, where), response.get("headers"), _vcr_body(response), where, "/response/body")
        _add(out, replace(raw, at=at, dialect=dialect if isinstance(dialect, str) else None), where, test)
    return out


def _moment(value: Any) -> datetime | None:
    """An ISO 8601 date or date-time (a HAR ``startedDateTime``, a cassette's ``recorded_at``), or None."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _parts(interaction: Any, where: str) -> tuple[dict[str, Any], dict[str, Any]]:
    if not isinstance(interaction, dict):
        raise InputError(f"{where}: not an object with request and response")
    request, response = interaction.get("request"), interaction.get("response")
    if not isinstance(request, dict) or not isinstance(response, dict):
        raise InputError(f"{where}: expected a request object and a response object")
    return request, response


def _status(response: dict[str, Any], where: str) -> int:
    status = response.get("status")
    code = status.get("code") if isinstance(status, dict) else status
    if not isinstance(code, int):
        raise InputError(f"{where}/response/status: expected an HTTP status code, got {status!r:.60}")
    return code


def _vcr_body(response: dict[str, Any]) -> Any:
    body = response.get("body")
    if isinstance(body, dict):
        return body.get("string")
    return response.get("content", body)  # vcrpy before 6 kept httpx bodies under "content"


def _metadata(doc: dict[str, Any]) -> dict[str, Any]:
    metadata = doc.get("metadata")
    recorded = metadata.get("recorded_from") if isinstance(metadata, dict) else None
    return recorded if isinstance(recorded, dict) else {}


def _recorded_by(path: Path, doc: dict[str, Any]) -> str | None:
    """The node id of the test that wrote one of our cassettes (cassettes/…/<module>/<test>.json)."""
    if not _metadata(doc) or not path.parent.name.startswith("test_"):
        return None
    return f"tests/{path.parent.name}.py::{path.stem}"


# --- HAR 1.2 ----------------------------------------------------------------------------------


def _har(path: Path, log: dict[str, Any]) -> CapturedFile:
    out = CapturedFile(path)
    entries = log.get("entries")
    if not isinstance(entries, list):
        raise InputError(f"{path} /log/entries: expected a list of entries, got {_shape(entries)}")
    for i, entry in enumerate(entries):
        where = f"{path} /log/entries/{i}"
        request, response = _parts(entry, where)
        if response.get("status") == 0:  # HAR's mark of a request that got no response (aborted, blocked)
            out.skipped.append(f"{request.get('method')} {urllib.parse.urlsplit(str(request.get('url'))).path} (no response)")
            continue
        content = response.get("content") if isinstance(response.get("content"), dict) else {}
        raw = _http(request.get("method"), request.get("url"), request.get("headers"),
                    (request.get("postData") or {}).get("text"), _status(response, where),
                    response.get("headers"), _har_text(content, where), where, "/response/content/text")
        _add(out, replace(raw, at=_moment(entry.get("startedDateTime"))), where, None)
    return out


def _har_text(content: dict[str, Any], where: str) -> Any:
    text = content.get("text")
    if content.get("encoding") != "base64" or not isinstance(text, str):
        return text
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InputError(f"{where}/response/content/text: marked base64 but does not decode as base64") from None


# --- one HTTP exchange ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Raw:
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: Any
    status: int
    headers: dict[str, str]
    body: Any
    body_at: str  # the JSON pointer of the response body in its file
    at: datetime | None = None  # when it happened, as the file says
    dialect: str | None = None  # how the server spoke, as a cassette of ours says


def _http(method: Any, url: Any, req_headers: Any, req_body: Any, status: int, headers: Any, body: Any,
          where: str, body_at: str) -> _Raw:
    if not isinstance(method, str) or not isinstance(url, str):
        raise InputError(f"{where}/request: expected a method and a URL, got {method!r:.20} {url!r:.60}")
    return _Raw(method.upper(), url, _headers(req_headers), req_body, status, _headers(headers), body, body_at)


def _headers(raw: Any) -> dict[str, str]:
    """Lower-cased headers from vcrpy's {name: [values]} or HAR's [{name, value}]."""
    if isinstance(raw, list):
        pairs = [(h.get("name"), h.get("value")) for h in raw if isinstance(h, dict)]
    else:
        pairs = list(raw.items()) if isinstance(raw, dict) else []
    out: dict[str, str] = {}
    for name, value in pairs:
        values = value if isinstance(value, list) else [value]
        out[str(name).lower()] = ", ".join(str(v) for v in values)
    return out


def protocol_of(method: str, url: str) -> str | None:
    """``openai``, ``anthropic`` or ``responses`` for a POST to one of the endpoints, else None."""
    path = urllib.parse.urlsplit(url).path.rstrip("/")
    if method != "POST":
        return None
    if path.endswith("/chat/completions"):
        return "openai"
    if path.endswith("/responses"):  # OpenAI's Responses API (docs/sources.md#openai-responses-api), as EmpirioLabs serves it
        return "responses"
    return "anthropic" if path.endswith("/v1/messages") else None


def _add(out: CapturedFile, raw: _Raw, where: str, test: str | None) -> None:
    protocol = protocol_of(raw.method, raw.url)
    if protocol is None:
        out.skipped.append(f"{raw.method} {urllib.parse.urlsplit(raw.url).path}")
        return
    out.exchanges.append(Captured(where, _exchange(protocol, raw, where), test))


def _exchange(protocol: str, raw: _Raw, where: str) -> Exchange:
    body = _request_body(raw.request_body, where)
    request = Request(raw.method, raw.url, _kept(raw.request_headers), body, _auth(raw.request_headers),
                      _credential(raw.status))
    text = _text(_decoded(raw.body, raw.headers, where + raw.body_at), where + raw.body_at)
    streamed = request.json.get("stream") is True or raw.headers.get("content-type", "").startswith("text/event-stream")
    model = request.json.get("model") if isinstance(request.json.get("model"), str) else None
    return Exchange(protocol, request, raw.status, raw.headers, text, tuple(sse.parse(text)) if streamed else None,
                    model=model, recorded_at=raw.at, dialect=_dialect(raw.dialect))


def _dialect(name: str | None) -> str:
    """The dialect a cassette names when it is one the suite knows, else the documented one."""
    from . import dialects

    return name if name in dialects.names() else dialects.DEFAULT


def _request_body(body: Any, where: str) -> Any:
    if body is None or body == "" or body == b"":
        raise InputError(f"{where}/request: no request body, so nothing says what the response must satisfy")
    text = _text(body, f"{where}/request/body")
    try:
        return json.loads(text)
    except ValueError:
        return text.encode()  # a malformed request is still an exchange: the checks expect a 400


def _text(body: Any, where: str) -> str:
    if body is None:
        return ""
    if isinstance(body, str):
        return body
    try:
        return bytes(body).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{where}: not UTF-8 (byte {exc.start} is {bytes(body)[exc.start]:#04x})") from None
    except TypeError:
        raise InputError(f"{where}: expected text, got {type(body).__name__}") from None


def _decoded(body: Any, headers: dict[str, str], where: str) -> Any:
    """The body with a gzip or deflate content-encoding undone (a cassette recorded without decoding)."""
    encoding = headers.get("content-encoding", "").strip().lower()
    if not isinstance(body, bytes) or encoding not in ("gzip", "deflate"):
        return body
    try:
        return gzip.decompress(body) if encoding == "gzip" else zlib.decompress(body)
    except (OSError, zlib.error, EOFError):
        raise InputError(f"{where}: content-encoding {encoding} but the body does not decompress") from None


def _kept(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k in REQUEST_HEADER_ALLOW_LIST}  # never a key


def _auth(headers: dict[str, str]) -> str:
    styles = {style for name, style in KEY_HEADERS.items() if name in headers}
    return "both" if len(styles) == 2 else styles.pop() if styles else "api-key"


def _credential(status: int) -> str:
    # A capture keeps no key (ours drop it; others may), so the server's answer is the only witness:
    # a 401 says the key was rejected, anything else that it was accepted.
    return "wrong" if status == 401 else "valid"
