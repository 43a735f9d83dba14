"""Run one eval item through one protocol: render the requests, play the tool turns, score the answer.

The runner is transport-agnostic: it takes ``send(protocol, body) -> Exchange``, so the same code
runs live, records, and replays (pytest-recording's cassettes sit underneath the transport). An
item a model cannot take (a protocol it does not serve, a capability it lacks, a context window
too small) is ``n/a`` and sends nothing. An answer that is not HTTP 200 is an ``error`` record
that counts as a failed item: a client would have got nothing.

Requests are plain (not streamed): the conformance suite already holds streams to the plain
answer, and an eval scores answers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable

from .. import models
from ..assemble import anthropic_answer, openai_answer
from ..exchange import NOT_JSON, Exchange
from ..turns import next_turn
from .graders import grade
from .outcome import Outcome, Score, ToolCallOut

__all__ = ["Send", "Run", "not_applicable", "request_body", "run_item", "record", "cost"]

Send = Callable[[str, dict[str, Any]], Exchange]
FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "tool_calls"}
# docs/sources.md#model-hyperparameters § Pricing tables: "Input ≤ 256K" / "Input 256K - 1M".
LONG_CONTEXT_FROM = 256 * 1024


def not_applicable(item: dict[str, Any], protocol: str, model: models.Model) -> str | None:
    """Why ``model`` cannot take ``item`` through ``protocol`` (None when it can)."""
    if protocol not in item["protocols"]:
        return f"the item runs through {', '.join(item['protocols'])} only"
    if not model.serves(protocol):
        return f"{model.id} is not served through the {protocol} protocol"
    if model.data.get("kind") != "text":
        return f"{model.id} is a {model.data.get('kind')} model"
    capable = {"tools": bool(model.data.get("tools")), "json_object": bool(model.data.get("json_object")),
               "thinking": bool((model.data.get("thinking") or {}).get("supported"))}
    missing = [c for c in item.get("requires", []) if not capable[c]]
    if missing:
        return f"{model.id} lacks {', '.join(missing)} (schemas/models.json)"
    window = model.data.get("context_tokens")
    needed = item.get("context_tokens", 0) + item["max_tokens"]
    if window and needed > window:
        return f"needs about {needed} tokens of context; {model.id} has {window}"
    return None


def _messages(item: dict[str, Any]) -> list[dict[str, Any]]:
    if "haystack" in item:
        from .haystack import render

        return render(item)
    return [dict(m) for m in item["messages"]]


def request_body(item: dict[str, Any], protocol: str, model_id: str) -> dict[str, Any]:
    """The first request of ``item`` in ``protocol``'s shape."""
    body: dict[str, Any] = {"model": model_id}
    messages = _messages(item)
    if protocol == "openai":
        body["messages"] = ([{"role": "system", "content": item["system"]}] if "system" in item else []) + messages
        body["max_completion_tokens"] = item["max_tokens"]
        if "tools" in item:
            body["tools"] = [{"type": "function", "function": dict(t)} for t in item["tools"]]
        if "tool_choice" in item:
            body["tool_choice"] = item["tool_choice"]
        if item.get("response_format") == "json_object":
            body["response_format"] = {"type": "json_object"}
    else:
        if "system" in item:
            body["system"] = item["system"]
        body["messages"] = messages
        body["max_tokens"] = item["max_tokens"]
        if "tools" in item:
            body["tools"] = [{"name": t["name"], "description": t["description"], "input_schema": t["parameters"]}
                             for t in item["tools"]]
        if "tool_choice" in item:
            body["tool_choice"] = {"type": {"auto": "auto", "none": "none", "required": "any"}[item["tool_choice"]]}
    thinking = item.get("thinking") or ("disabled" if (models.get(model_id).data.get("thinking") or {}).get("supported") else None)
    if thinking:
        # Items score answers: on a model that thinks by default a short token budget would go to
        # reasoning, so thinking is off unless the item asks for it (the thinking family does).
        body["thinking"] = {"type": thinking}
    if "temperature" in item:
        body["temperature"] = item["temperature"]
    body["stream"] = False
    return body


@dataclass
class Turn:
    """One assistant turn, protocol-neutral."""

    text: str
    reasoning: str
    calls: list[ToolCallOut]
    finish: str
    usage: dict[str, int]


def _arguments(value: Any) -> Any:
    return None if value is NOT_JSON else value


def _openai_turn(exchange: Exchange) -> Turn:
    answer = openai_answer(exchange)
    choice = answer.choices[0] if answer.choices else None
    usage = answer.usage or {}
    details = usage.get("completion_tokens_details") or {}
    cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0
    tokens = {"prompt": _int(usage.get("prompt_tokens")), "completion": _int(usage.get("completion_tokens")),
              "reasoning": _int(details.get("reasoning_tokens")), "cached": _int(cached)}
    if choice is None:
        return Turn("", "", [], "none", tokens)
    calls = [ToolCallOut(c.name, _arguments(c.parsed), c.arguments) for c in choice.tool_calls]
    return Turn(choice.text, choice.reasoning, calls, choice.finish_reason or "none", tokens)


def _anthropic_turn(exchange: Exchange) -> Turn:
    answer = anthropic_answer(exchange)
    usage = answer.usage or {}
    cached = _int(usage.get("cache_read_input_tokens"))
    tokens = {"prompt": _int(usage.get("input_tokens")) + cached + _int(usage.get("cache_creation_input_tokens")),
              "completion": _int(usage.get("output_tokens")), "reasoning": 0, "cached": cached}
    text = "".join(b.text for b in answer.blocks if b.type == "text")
    reasoning = "".join(b.thinking for b in answer.blocks if b.type == "thinking")
    calls = [ToolCallOut(b.name, _arguments(b.parsed_input), b.input_json or json.dumps(b.input, ensure_ascii=False))
             for b in answer.blocks if b.type == "tool_use"]
    reason = answer.stop_reason or "none"
    return Turn(text, reasoning, calls, FINISH.get(reason, reason), tokens)


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


@dataclass
class Run:
    """What running an item produced: the exchanges, the outcome (None on error) and why it failed."""

    exchanges: list[Exchange] = field(default_factory=list)
    outcome: Outcome | None = None
    error: str | None = None
    turns: list[Turn] = field(default_factory=list)


def run_item(send: Send, item: dict[str, Any], protocol: str, model_id: str) -> Run:
    """Send ``item`` (and its tool turns, if it has a simulator) and fold the answers into an Outcome."""
    simulator = None
    if "simulator" in item:
        from .simulators import make

        simulator = make(item["simulator"])
    body, run = request_body(item, protocol, model_id), Run()
    fold = _openai_turn if protocol == "openai" else _anthropic_turn
    for _ in range(item.get("max_turns", 1) if simulator else 1):
        exchange = send(protocol, body)
        run.exchanges.append(exchange)
        if exchange.status != 200:
            run.error = _error(exchange)
            return run
        turn = fold(exchange)
        run.turns.append(turn)
        if simulator is None or not turn.calls:
            break
        results = [json.dumps(simulator.call(c.name or "", c.arguments), ensure_ascii=False, sort_keys=True)
                   for c in turn.calls]
        body = next_turn(body, exchange, results)
    last = run.turns[-1]
    run.outcome = Outcome(
        text=last.text, reasoning="".join(t.reasoning for t in run.turns), tool_calls=tuple(run.turns[0].calls),
        finish=last.finish, state=simulator.state() if simulator else None, turns=len(run.turns),
        calls=tuple(c for t in run.turns for c in t.calls))
    return run


def _error(exchange: Exchange) -> str:
    if exchange.error:
        return f"no answer: {exchange.error}"
    doc = exchange.error_body()
    error = doc.get("error", doc) if isinstance(doc, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    return f"HTTP {exchange.status}: {message or exchange.text[:200]!s}"


def cost(pricing: dict[str, Any] | None, turns: list[Turn], currency: str = "USD") -> float | None:
    """What the turns cost at the model's documented prices (None when the model has none)."""
    if not pricing:
        return None
    unit = currency.lower()
    total = 0.0
    for t in turns:
        table = pricing[f"long_context_{unit}_per_mtok" if t.usage["prompt"] > LONG_CONTEXT_FROM else f"{unit}_per_mtok"]
        fresh = t.usage["prompt"] - t.usage["cached"]
        total += (fresh * table["input_cache_miss"] + t.usage["cached"] * table["input_cache_hit"]
                  + t.usage["completion"] * table["output"]) / 1_000_000
    return round(total, 9)


def record(item: dict[str, Any], protocol: str, epoch: int, model: models.Model, run: Run | None,
           *, status: str | None = None, detail: str = "", latency: float | None = None) -> dict[str, Any]:
    """The results-file record of one item, protocol and epoch."""
    rec: dict[str, Any] = {
        "item": item["id"], "family": item["family"], "stratum": item["stratum"], "lang": item["lang"],
        "protocol": protocol, "epoch": epoch, "status": status or "scored", "score": None, "passed": None,
        "detail": detail, "tokens": None, "requests": 0, "latency_s": latency, "cost": None,
    }
    if run is None:
        return rec
    rec["requests"] = len(run.exchanges)
    if run.turns:
        rec["tokens"] = {k: sum(t.usage[k] for t in run.turns) for k in ("prompt", "completion", "reasoning")}
        rec["cost"] = cost(model.data.get("pricing"), run.turns)
    if run.outcome is None:
        rec.update(status="error", score=0.0, passed=False, detail=run.error or "no answer")
        return rec
    score: Score = grade(item, run.outcome)
    rec.update(score=round(score.score, 6), passed=score.passed, detail=score.detail)
    return rec
