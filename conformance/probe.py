"""The probe: one minimal, valid request to a base URL, and why the run cannot go on, if it cannot.

It is a chat request for one token (``max_completion_tokens`` / ``max_tokens`` 1) to the same
endpoint the tests use, not ``GET /models``: the Anthropic protocol has no documented model list, and
a 404 on the endpoint itself is the mistake worth naming. A target that answers at all, with JSON,
passes, whatever the status (a 400 or a 500 is for the tests to judge); so does one that is only
overloaded or rate-limited, which the run's unavailability limit handles. What fails is a target
that is not there (refused, no such host, TLS, no connection), not the API (404 on the endpoint, an
answer that is not JSON, such as a web page) or refuses the key (401).
"""

from __future__ import annotations

from typing import Any

from .exchange import NOT_JSON, Exchange
from .transport import Transport

__all__ = ["request_body", "problem", "probe"]

UNAVAILABLE = frozenset({408, 429, 502, 503, 504})  # the transport's unavailable statuses: not the probe's to judge
_FIX_URL = "fix the base URL (--openai-base-url, --anthropic-base-url or the targets file)"


def request_body(protocol: str, model: str) -> dict[str, Any]:
    """The cheapest valid request of ``protocol``: one user word, one output token."""
    limit = "max_completion_tokens" if protocol == "openai" else "max_tokens"
    return {"model": model, "messages": [{"role": "user", "content": "hi"}], limit: 1}


def problem(exchange: Exchange, url: str, key_env: str) -> str | None:
    """Why a run cannot test the target that answered ``exchange`` at ``url``, in one line; None when it can."""
    if exchange.status == 0:
        return f"{url}: {_unreached(exchange.error or 'no answer')}"
    if exchange.status == 404:
        return (f"{url}: 404 Not Found: the endpoint is not there; the suite appends /chat/completions (OpenAI) "
                f"or /v1/messages (Anthropic) to the base URL: {_FIX_URL}")
    if exchange.status == 401:
        return f"{url}: 401: the server refused the key in ${key_env}: set the right key"
    if exchange.status not in UNAVAILABLE and exchange.body is NOT_JSON:
        start = " ".join(exchange.text[:60].split())
        return (f"{url}: answered {exchange.status} with {exchange.content_type or 'no content type'}, not JSON "
                f"({start!r}...): this is not the API; {_FIX_URL}")
    return None


def _unreached(error: str) -> str:
    """What a connection failure means and what to do about it."""
    lowered = error.lower()
    if "refused" in lowered:
        return f"connection refused: nothing listens there; start the server or {_FIX_URL}"
    if "name or service not known" in lowered or "name resolution" in lowered or "nodename nor servname" in lowered:
        return f"the host name does not resolve ({error}): {_FIX_URL}"
    if "ssl" in lowered or "certificate" in lowered or "tls" in lowered:
        return f"TLS failed ({error}): a plain-HTTP server needs http://, else its certificate is not trusted here"
    if "connecttimeout" in lowered:
        return f"{error}: check the host and port, or a firewall or proxy in between"
    return f"no answer ({error}): {_FIX_URL}"


def probe(transport: Transport, protocol: str, model: str, key_env: str) -> str | None:
    """Send the probe of ``protocol`` once (no retry) and judge what came back."""
    exchange = transport.send(protocol, request_body(protocol, model))
    return problem(exchange, transport.url(protocol), key_env)
