"""The one module that speaks HTTP: send a request, get back an :class:`Exchange`."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import httpx

from .exchange import ENDPOINTS, Exchange, Request, Timings
from .sse import SSEParser

__all__ = ["Timeouts", "Transport", "REQUEST_HEADER_ALLOW_LIST", "WRONG_KEY"]

# Only these request headers are kept in an exchange: never a key, whatever the auth style.
REQUEST_HEADER_ALLOW_LIST = ("content-type", "accept", "anthropic-version", "user-agent")
WRONG_KEY = "sk-mimo-conformance-wrong-key"  # a key no server accepts, for the 401 tests
USER_AGENT = "mimo-conformance"


@dataclass(frozen=True)
class Timeouts:
    """Seconds: to connect, and to wait for any byte (so also the idle time between events)."""

    connect: float = 10.0
    read: float = 60.0


class Transport:
    """Sends JSON to a target's two endpoints over one shared httpx client."""

    def __init__(self, base_urls: dict[str, str], key: str | None, *, auth: str = "api-key",
                 timeouts: Timeouts = Timeouts(), client: httpx.Client | None = None) -> None:
        self.base_urls = {p: u.rstrip("/") for p, u in base_urls.items()}
        self._key = key
        self.auth = auth
        timeout = httpx.Timeout(timeouts.read, connect=timeouts.connect)
        self._client = client or httpx.Client(timeout=timeout, headers={"user-agent": USER_AGENT})

    def __repr__(self) -> str:  # never show the key
        return f"Transport(base_urls={self.base_urls!r}, auth={self.auth!r})"

    def close(self) -> None:
        """Close the shared client."""
        self._client.close()

    def url(self, protocol: str) -> str:
        """The endpoint URL of ``protocol`` on this target."""
        return self.base_urls[protocol] + ENDPOINTS[protocol][1]

    def send(self, protocol: str, body: Any, *, auth: str | None = None, credential: str = "valid",
             model: str | None = None) -> Exchange:
        """POST ``body`` (a JSON value, or raw bytes) to the protocol's endpoint and read it all."""
        auth = auth or self.auth
        content = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        headers = {"content-type": "application/json", **self._auth_headers(auth, credential)}
        if protocol == "anthropic":
            headers["anthropic-version"] = "2023-06-01"
        request = Request("POST", self.url(protocol), _kept(headers), body, auth, credential)
        model = model or (body.get("model") if isinstance(body, dict) else None)
        return self._exchange(protocol, request, content, headers, model)

    def _auth_headers(self, auth: str, credential: str) -> dict[str, str]:
        key = {"valid": self._key, "wrong": WRONG_KEY, "missing": None}[credential]
        if key is None or auth == "none":
            return {}
        if auth == "api-key":
            return {"api-key": key}
        if auth == "bearer":
            return {"authorization": f"Bearer {key}"}
        # "both": the docs name two headers; OBSERVED says api-key wins, so the bearer one is wrong
        return {"api-key": key, "authorization": f"Bearer {WRONG_KEY}"}

    def _exchange(self, protocol: str, request: Request, content: bytes, headers: dict[str, str],
                  model: str | None) -> Exchange:
        start = time.perf_counter()
        parser, chunks, times, error = SSEParser(), [], [], None
        items: list = []
        status, resp_headers, head = 0, {}, None
        try:
            with self._client.stream("POST", request.url, content=content, headers=headers) as resp:
                status, resp_headers = resp.status_code, {k.lower(): v for k, v in resp.headers.items()}
                head = time.perf_counter() - start
                for chunk in resp.iter_bytes():
                    chunks.append(chunk)
                    new = parser.feed(chunk)
                    items.extend(new)
                    times.extend([time.perf_counter() - start] * len(new))
        except httpx.TimeoutException as exc:
            error = f"{type(exc).__name__}: no data for the read timeout after {len(items)} SSE items"
        except httpx.TransportError as exc:
            error = f"{type(exc).__name__}: {exc}"
        return _build(protocol, request, status, resp_headers, b"".join(chunks), items, error,
                      Timings(head, times[0] if times else None, time.perf_counter() - start, tuple(times)),
                      model)


def _kept(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() in REQUEST_HEADER_ALLOW_LIST}


def _build(protocol: str, request: Request, status: int, headers: dict[str, str], raw: bytes,
           items: list, error: str | None, timings: Timings, model: str | None) -> Exchange:
    text = raw.decode("utf-8", errors="replace")
    is_sse = request.json.get("stream") is True or headers.get("content-type", "").startswith("text/event-stream")
    return Exchange(protocol, request, status, headers, text, tuple(items) if is_sse else None,
                    timings, error, model)
