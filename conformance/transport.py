"""The one module that speaks HTTP: send a request, get back an :class:`Exchange`.

Retries follow the usual client rules (408, 409, 429, 5xx and connection errors; exponential
backoff with full jitter; ``Retry-After`` honoured; bounded in tries and in total sleep). A target
that stays overloaded, rate-limited or unreachable gives an exchange marked ``unavailable``: the
plugin reports that as its own outcome, never as non-conformance.
"""

from __future__ import annotations

import email.utils
import json
import random
import time
import urllib.parse
from dataclasses import dataclass, replace
from typing import Any, Callable

import httpx

from .exchange import BASE_OF, ENDPOINTS, SCENARIO_HEADER, Exchange, Request, Timings
from .sse import SSEParser

__all__ = ["Timeouts", "RetryPolicy", "Transport", "REQUEST_HEADER_ALLOW_LIST", "WRONG_KEY", "SCENARIO_HEADER", "redact_url"]

# Only these request headers are kept in an exchange: never a key, whatever the auth style.
REQUEST_HEADER_ALLOW_LIST = ("content-type", "accept", "anthropic-version", "user-agent", SCENARIO_HEADER)
WRONG_KEY = "sk-mimo-conformance-wrong-key"  # a key no server accepts, for the 401 tests
USER_AGENT = "mimo-conformance"
SECRET_QUERY_PARAMS = ("key", "api_key", "api-key", "apikey", "token", "access_token", "auth")


@dataclass(frozen=True)
class Timeouts:
    """Seconds: to connect, to the response head (first byte), and between any two reads after it."""

    connect: float = 10.0
    first_byte: float = 120.0
    idle: float = 60.0


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to retry; ``attempts`` counts the first try."""

    attempts: int = 4
    base: float = 0.5
    cap: float = 8.0
    budget: float = 60.0  # total seconds spent sleeping between tries, at most
    retry_statuses: frozenset[int] = frozenset({408, 409, 429, 500, 502, 503, 504})
    unavailable_statuses: frozenset[int] = frozenset({408, 429, 502, 503, 504})  # a 500 stays a finding

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds before try ``attempt + 1``: full jitter, at least what Retry-After asks."""
        jittered = rng.uniform(0, min(self.cap, self.base * 2**attempt))
        return max(jittered, retry_after or 0.0)


NO_RETRY = RetryPolicy(attempts=1)


def redact_url(url: str) -> str:
    """``url`` with the values of key-like query parameters replaced (a key in a URL is still a key)."""
    parts = urllib.parse.urlsplit(url)
    if not parts.query:
        return url
    pairs = [(k, "REDACTED" if k.lower() in SECRET_QUERY_PARAMS else v) for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(pairs)))


class Transport:
    """Sends JSON to a target's two endpoints over one shared httpx client."""

    def __init__(self, base_urls: dict[str, str], key: str | None, *, auth: str = "api-key",
                 timeouts: Timeouts = Timeouts(), retry: RetryPolicy = RetryPolicy(),
                 sleep: Callable[[float], None] = time.sleep, client: httpx.Client | None = None,
                 before_send: Callable[[str, Any], None] | None = None, dialect: str = "xiaomi",
                 scenarios: bool = False) -> None:
        self.base_urls = {p: u.rstrip("/") for p, u in base_urls.items()}
        self.dialect, self.scenarios = dialect, scenarios  # scenarios: the target is the suite's own server
        self._key = key
        self.auth, self.timeouts, self.retry, self._sleep = auth, timeouts, retry, sleep
        self._before_send = before_send  # e.g. a rate limiter; called once per try
        self._rng = random.Random()
        self.sent = 0  # tries that went out, retries included
        timeout = httpx.Timeout(timeouts.first_byte, connect=timeouts.connect)
        self._client = client or httpx.Client(timeout=timeout, headers={"user-agent": USER_AGENT})

    def __repr__(self) -> str:  # never show the key
        return f"Transport(base_urls={ {p: redact_url(u) for p, u in self.base_urls.items()} !r}, auth={self.auth!r})"

    def close(self) -> None:
        """Close the shared client."""
        self._client.close()

    def host_url(self, path: str) -> str:
        """``path`` below the host of the OpenAI base URL (its trailing ``/v1`` left out): where model lists live."""
        parts = urllib.parse.urlsplit(self.base_urls["openai"])
        root = parts.path.rstrip("/").removesuffix("/v1")
        return urllib.parse.urlunsplit(parts._replace(path=root + path))

    def fetch(self, path: str) -> tuple[int, str, str]:
        """GET ``path`` below the host (a model list) with the key: (status, content type, text); 0 when unreachable."""
        self.sent += 1
        try:
            resp = self._client.get(self.host_url(path), headers=self._auth_headers(self.auth, "valid"))
        except httpx.TransportError as exc:
            return 0, "", f"{type(exc).__name__}: {redact_url(str(exc))}"
        return resp.status_code, resp.headers.get("content-type", ""), resp.text

    def url(self, protocol: str, path: str | None = None) -> str:
        """The endpoint URL of ``protocol`` on this target, or ``path`` below its base URL (query parameters kept)."""
        parts = urllib.parse.urlsplit(self.base_urls.get(protocol) or self.base_urls[BASE_OF.get(protocol, protocol)])
        return urllib.parse.urlunsplit(parts._replace(path=parts.path.rstrip("/") + (path or ENDPOINTS[protocol][1])))

    def send(self, protocol: str, body: Any, *, auth: str | None = None, credential: str = "valid",
             model: str | None = None, scenario: str | None = None, path: str | None = None) -> Exchange:
        """POST ``body`` (a JSON value, or raw bytes) to the protocol's endpoint, retrying as the policy says.

        ``scenario`` asks the suite's own reference server for that answer; a transport not built for
        it (``scenarios=False``: any real target) refuses to send, so no target ever sees the header.
        ``path`` sends to that path below the protocol's base URL instead (a wrong path, on purpose).
        """
        auth = auth or self.auth
        content = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        headers = {"content-type": "application/json", **self._auth_headers(auth, credential)}
        if protocol == "anthropic":
            headers["anthropic-version"] = "2023-06-01"
        if scenario is not None:
            headers[SCENARIO_HEADER] = self._scenario(scenario)
        request = Request("POST", redact_url(self.url(protocol, path)), _kept(headers), body, auth, credential)
        model = model or (body.get("model") if isinstance(body, dict) else None)
        return self._with_retries(protocol, request, content, headers, model, path)

    def _with_retries(self, protocol: str, request: Request, content: bytes, headers: dict[str, str],
                      model: str | None, path: str | None = None) -> Exchange:
        slept = 0.0
        for attempt in range(self.retry.attempts):
            exchange = self._exchange(protocol, request, content, headers, model, path)
            if not self._retryable(exchange):
                return replace(exchange, attempts=attempt + 1)
            pause = self.retry.delay(attempt, _retry_after(exchange.headers), self._rng)
            if attempt + 1 == self.retry.attempts or slept + pause > self.retry.budget:
                break
            self._sleep(pause)
            slept += pause
        return replace(exchange, attempts=attempt + 1, unavailable=self._unavailable(exchange))

    def _scenario(self, name: str) -> str:
        if not self.scenarios:
            raise ValueError(f"scenario {name!r}: only the suite's own reference server is asked for scenarios, "
                             "and this transport does not talk to it")
        return name

    def _retryable(self, exchange: Exchange) -> bool:
        return exchange.status in self.retry.retry_statuses or (exchange.status == 0 and exchange.error is not None)

    def _unavailable(self, exchange: Exchange) -> bool:
        return exchange.status in self.retry.unavailable_statuses or exchange.status == 0

    def _auth_headers(self, auth: str, credential: str) -> dict[str, str]:
        key = {"valid": self._key, "wrong": WRONG_KEY, "missing": None}[credential]
        if key is None or auth == "none":
            return {}
        if auth == "api-key":
            return {"api-key": key}
        if auth == "bearer":
            return {"authorization": f"Bearer {key}"}
        if auth == "x-api-key":
            return {"x-api-key": key}
        # "both": the docs name two headers; api-key wins (docs/observed.md § Errors > Both auth headers),
        # so the bearer one is wrong
        return {"api-key": key, "authorization": f"Bearer {WRONG_KEY}"}

    def _exchange(self, protocol: str, request: Request, content: bytes, headers: dict[str, str],
                  model: str | None, path: str | None = None) -> Exchange:
        if self._before_send is not None:
            self._before_send(protocol, request.body)
        self.sent += 1
        start = time.perf_counter()
        parser, chunks, items, times = SSEParser(), [], [], []
        status, resp_headers, head, error = 0, {}, None, None
        try:
            with self._client.stream("POST", self.url(protocol, path), content=content, headers=headers) as resp:
                status, resp_headers = resp.status_code, {k.lower(): v for k, v in resp.headers.items()}
                head = time.perf_counter() - start
                _idle_timeout(resp, self.timeouts.idle)
                for chunk in resp.iter_bytes():
                    chunks.append(chunk)
                    new = parser.feed(chunk)
                    items.extend(new)
                    times.extend([time.perf_counter() - start] * len(new))
        except httpx.TimeoutException as exc:
            error = _timeout_message(exc, head, len(items), self.timeouts)
        except httpx.TransportError as exc:
            error = f"{type(exc).__name__} after {len(items)} SSE items: {redact_url(str(exc))}"
        timings = Timings(head, times[0] if times else None, time.perf_counter() - start, tuple(times))
        exchange = _build(protocol, request, status, resp_headers, b"".join(chunks), items, error, timings, model)
        return replace(exchange, dialect=self.dialect)


def _idle_timeout(response: httpx.Response, idle: float) -> None:
    # httpcore reads the request's "timeout" extension again on every body read, so after the
    # head has come the read timeout becomes the idle limit between two reads of the stream.
    response.request.extensions.setdefault("timeout", {})["read"] = idle


def _timeout_message(exc: Exception, head: float | None, items: int, t: Timeouts) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return f"ConnectTimeout: no connection within {t.connect} s"
    if head is None:
        return f"ReadTimeout: no response head within {t.first_byte} s"
    return f"ReadTimeout: the stream stalled for {t.idle} s after {items} SSE items"


def _retry_after(headers: dict[str, str]) -> float | None:
    value = headers.get("retry-after")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    parsed = email.utils.parsedate_to_datetime(value) if value else None
    return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def _kept(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() in REQUEST_HEADER_ALLOW_LIST}


def _build(protocol: str, request: Request, status: int, headers: dict[str, str], raw: bytes,
           items: list, error: str | None, timings: Timings, model: str | None) -> Exchange:
    try:
        text, bad_at = raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        text, bad_at = raw.decode("utf-8", errors="replace"), exc.start
    is_sse = request.json.get("stream") is True or headers.get("content-type", "").startswith("text/event-stream")
    return Exchange(protocol, request, status, headers, text, tuple(items) if is_sse else None,
                    timings, error, model, undecodable_at=bad_at)
