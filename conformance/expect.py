"""What one case alone expects (the ``expect`` object of a case file), checked against an exchange."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

from .assemble import anthropic_answer, openai_answer
from .basis import Rule, cap, weaker
from .checks import Finding
from .dialects import weigh
from .exchange import Exchange

__all__ = ["Summary", "summarize", "EXPECTATIONS", "applicable", "problems", "unmet", "findings", "ids"]


@dataclass(frozen=True)
class Summary:
    """The few facts of an answer that cases state expectations about, for either protocol."""

    finish_reason: str | None
    tool_names: tuple[str | None, ...]
    text: str
    reasoning: str
    completion_tokens: int | None
    audio: bool
    text_preview: bool = False  # final_text_preview came back (optimize_text_preview)


def _final_response(ex: Exchange) -> dict[str, Any]:
    """A Responses answer's response object: the body, or the last stream event's ``response``."""
    if ex.transcript is None:
        return ex.body if isinstance(ex.body, dict) else {}
    found = [p["response"] for p in ex.payloads() if isinstance(p, dict) and isinstance(p.get("response"), dict)]
    return found[-1] if found else {}


def _responses_summary(ex: Exchange) -> Summary:
    """The facts of a Responses answer; its "finish reason" is the incomplete reason, else the status."""
    doc = _final_response(ex)
    items = [i for i in doc.get("output") or [] if isinstance(i, dict)]
    parts = [p for i in items if i.get("type") in ("message", "reasoning") for p in i.get("content") or [] if isinstance(p, dict)]
    details = doc.get("incomplete_details") if isinstance(doc.get("incomplete_details"), dict) else {}
    return Summary(
        details.get("reason") or doc.get("status"), tuple(i.get("name") for i in items if i.get("type") == "function_call"),
        "".join(p.get("text") or "" for p in parts if p.get("type") == "output_text"),
        "".join(p.get("text") or "" for p in parts if p.get("type") == "reasoning_text"),
        (doc.get("usage") or {}).get("output_tokens"), False,
    )


def summarize(ex: Exchange) -> Summary:
    """The answer's facts: first choice (OpenAI), the whole message (Anthropic) or the response (Responses)."""
    if ex.protocol == "responses":
        return _responses_summary(ex)
    if ex.protocol == "openai":
        answer = openai_answer(ex)
        choice = answer.choices[0] if answer.choices else None
        usage = answer.usage or {}
        return Summary(
            choice and choice.finish_reason, tuple(c.name for c in choice.tool_calls) if choice else (),
            choice.text if choice else "", choice.reasoning if choice else "",
            usage.get("completion_tokens"), _has_audio(ex), _has_preview(ex),
        )
    answer = anthropic_answer(ex)
    return Summary(
        answer.stop_reason, tuple(b.name for b in answer.blocks if b.type == "tool_use"),
        "".join(b.text for b in answer.blocks if b.type == "text"),
        "".join(b.thinking for b in answer.blocks if b.type == "thinking"),
        answer.usage.get("output_tokens"), False,
    )


def _has_audio(ex: Exchange) -> bool:
    docs = ex.payloads() if ex.transcript is not None else [ex.body]
    for doc in docs:
        for choice in (doc.get("choices") or []) if isinstance(doc, dict) else []:
            part = (choice.get("message") or choice.get("delta") or {}).get("audio") or {}
            if isinstance(part, dict) and part.get("data"):
                return True
    return False


def _has_preview(ex: Exchange) -> bool:
    docs = ex.payloads() if ex.transcript is not None else [ex.body]
    for doc in docs:
        for choice in (doc.get("choices") or []) if isinstance(doc, dict) else []:
            text = (choice.get("message") or choice.get("delta") or {}).get("final_text_preview")
            if isinstance(text, str) and text:
                return True
    return False


def _error_text(ex: Exchange) -> str:
    body = ex.error_body()
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict):
        return ex.text
    return " ".join(str(err.get(k) or "") for k in ("message", "param", "type"))


def _error_field(ex: Exchange, key: str) -> Any:
    body = ex.error_body()
    error = body.get("error") if isinstance(body, dict) else None
    return error.get(key) if isinstance(error, dict) else None


def _is_json_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


def _excludes(text: str, unwanted: list[str]) -> str | None:
    found = [u for u in unwanted if u in text]
    return f"content {text[:80]!r} contains {found[0]!r}" if found else None


Expectation = Callable[[Exchange, Summary, Any], "str | None"]
# The docs quote no error message: that an error names the field is what the live API was seen to do.
MENTIONS = Rule("observed", "docs/observed.md § OpenAI protocol: bounds are enforced with messages that name the field sent")
# Nor do they give an error body: its type and code are what was seen (docs/observed.md § Errors, and each reseller's).
BODY = Rule("observed", "docs/observed.md § Errors: the error bodies as seen; docs/observed.md § Resellers and gateways")
OBSERVED_AT_MOST = {"error_mentions": MENTIONS, "error_type": BODY, "error_code": BODY}

# name in the case schema's `expect` -> function(exchange, summary, expected) -> what is wrong, or None
EXPECTATIONS: dict[str, Expectation] = {
    "status": lambda ex, s, v: None if ex.status == v else f"status {ex.status}, expected {v}: {ex.text[:200]}",
    "finish_reason": lambda ex, s, v: None if s.finish_reason == v else f"finish/stop reason {s.finish_reason!r}, expected {v!r}",
    "tool_calls": lambda ex, s, v: None if list(s.tool_names) == v else f"tools called {list(s.tool_names)}, expected {v}",
    "reasoning": lambda ex, s, v: None if bool(s.reasoning) == v else f"reasoning {'present' if s.reasoning else 'absent'}, expected {'present' if v else 'absent'}",
    "content_is_json_object": lambda ex, s, v: None if _is_json_object(s.text) == v else f"content {s.text[:80]!r} is {'' if _is_json_object(s.text) else 'not '}a JSON object",
    "content_contains": lambda ex, s, v: None if v in s.text else f"content {s.text[:80]!r} lacks {v!r}",
    "content_excludes": lambda ex, s, v: _excludes(s.text, [v] if isinstance(v, str) else v),
    "error_mentions": lambda ex, s, v: None if v.lower() in _error_text(ex).lower() else f"error {_error_text(ex)[:160]!r} does not mention {v!r}",
    "completion_tokens": lambda ex, s, v: None if s.completion_tokens == v else f"completion tokens {s.completion_tokens}, expected {v}",
    "audio": lambda ex, s, v: None if s.audio == v else f"audio {'present' if s.audio else 'absent'}, expected {'present' if v else 'absent'}",
    "text_preview": lambda ex, s, v: None if s.text_preview == v else (
        f"final_text_preview {'present' if s.text_preview else 'absent'}, expected {'present' if v else 'absent'}"),
    "unavailable": lambda ex, s, v: None if ex.unavailable == v else (
        f"{'marked' if ex.unavailable else 'not marked'} unavailable after {ex.attempts} tries, expected {'' if v else 'not '}to be"),
    "error_type": lambda ex, s, v: None if _error_field(ex, "type") == v else f"error type {_error_field(ex, 'type')!r}, expected {v!r}",
    "error_code": lambda ex, s, v: None if _error_field(ex, "code") == v else f"error code {_error_field(ex, 'code')!r}, expected {v!r}",
}
ON_ERRORS = ("status", "error_mentions", "unavailable", "error_type", "error_code")  # the expectations an error can meet


def applicable(ex: Exchange, expect: dict[str, Any]) -> list[str]:
    """The names of ``expect`` that are checked on this exchange: all, or only the status ones on an error."""
    # a failed status is already reported; the rest would only repeat it
    return [name for name in expect if ex.ok or name in ON_ERRORS]


def problems(ex: Exchange, expect: dict[str, Any]) -> list[tuple[str, str]]:
    """(name, message) for each applicable expectation of ``expect`` the exchange does not meet."""
    summary = summarize(ex) if ex.ok else None
    found = ((name, EXPECTATIONS[name](ex, summary, expect[name])) for name in applicable(ex, expect))
    return [(name, problem) for name, problem in found if problem]


def unmet(ex: Exchange, expect: dict[str, Any]) -> list[str]:
    """Each expectation of ``expect`` that the exchange does not meet, as ``[expect.NAME] message``."""
    return [f"[expect.{name}] {problem}" for name, problem in problems(ex, expect)]



def findings(ex: Exchange, expect: dict[str, Any], rule: Rule) -> list[Finding]:
    """The unmet expectations as findings of ``expect.NAME``, weighed by the case's rule."""
    out = []
    for name, problem in problems(ex, expect):
        weighed = weigh(weaker(rule, OBSERVED_AT_MOST[name]) if name in OBSERVED_AT_MOST else rule, ex.dialect)
        out.append(Finding(f"expect.{name}", "", problem, cap("contract", weighed), weighed.basis, weighed.source))
    return out


def ids(ex: Exchange, expect: dict[str, Any]) -> set[str]:
    """The ``expect.NAME`` ids checked on this exchange: what ran, for known deviations."""
    return {f"expect.{name}" for name in applicable(ex, expect)}
