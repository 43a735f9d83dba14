"""A protocol-neutral view of a valid request: what the reference generator needs to answer it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from .. import models
from . import tokens

__all__ = ["Prompt", "REFERENCE_DAY", "WORDINGS", "from_request", "seed_of"]

# The day the reference server lives on: models are judged retired or not as of it, and every
# `created` falls within it. The date the documents behind the schemas were read (docs/sources.md).
REFERENCE_DAY = date(2026, 11, 26)
# How the reference server words its answers: "reference" echoes the user in a fixed template; "paraphrase"
# is a second server that words every answer its own way, so no case can lean on the reference's wording.
WORDINGS = ("reference", "paraphrase")


@dataclass(frozen=True)
class Prompt:
    """What to answer: the echo source, tools, thinking, budget, stops, format, and the id seed."""

    model: str
    seed: str  # sha256 hex of the canonical request body: every id and timestamp derives from it
    last_user_text: str
    tool_result: str | None  # the text of the tool result the request ends with, if it does
    tools: tuple[tuple[str, dict[str, Any]], ...]  # (name, parameters schema) of each function tool
    thinking: bool
    budget: int
    stops: tuple[str, ...]
    json_object: bool
    prompt_tokens: int
    speech: str | None = None  # TTS models: the text to synthesize
    audio_format: str = "wav"
    text_preview: bool = False  # audio.optimize_text_preview: the answer returns final_text_preview
    day: date = REFERENCE_DAY  # the server's day: every `created` falls within it
    wording: str = "reference"  # one of WORDINGS


def seed_of(body: dict[str, Any]) -> str:
    """The sha256 hex of ``body`` as canonical JSON (sorted keys, compact), stream options left out."""
    # Without the stream options, a streamed request and its plain twin share ids and `created`.
    kept = {k: v for k, v in body.items() if k not in ("stream", "stream_options")}
    canonical = json.dumps(kept, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def from_request(protocol: str, body: dict[str, Any], *, day: date = REFERENCE_DAY, wording: str = "reference") -> Prompt:
    """The prompt of a request that already passed ``contract.request_violations``, for a server on ``day``."""
    if wording not in WORDINGS:
        raise ValueError(f"unknown wording {wording!r}; known: {', '.join(WORDINGS)}")
    try:
        model = models.get(body["model"])
    except KeyError:  # only a server told to answer unknown ids gets here: answer by the first model's rules
        model = next(m for m in models.all_models() if m.serves(protocol, day) and m.kind == "text")
    reader = _openai if protocol == "openai" else _anthropic
    return replace(reader(body, model), model=body["model"], day=day, wording=wording)


def _text_of(content: Any) -> str:
    """The text of a string content or of the ``text`` parts of a content list, joined by spaces."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def _last_text(messages: list[dict[str, Any]], role: str) -> str | None:
    """The text of the last message of ``role`` that carries some, or None."""
    for message in reversed(messages):
        text = _text_of(message.get("content"))
        if message.get("role") == role and text:
            return text
    return None


def _thinking(body: dict[str, Any], model: models.Model) -> bool:
    """Thinking as the request sets it, else the model's default
    (docs/sources.md#openai-api § Request body > thinking)."""
    if not model.thinking["supported"]:
        return False
    asked = (body.get("thinking") or {}).get("type")
    return asked == "enabled" if asked in ("enabled", "disabled") else model.thinking_by_default


def _budget(body: dict[str, Any], model: models.Model, *fields: str) -> int:
    """The first token limit the request sets among ``fields``, else the model's default."""
    for field in fields:
        if body.get(field) is not None:
            return int(body[field])
    return int(model.range("max_tokens").default or model.range("max_tokens").max)


def _stops(value: Any) -> tuple[str, ...]:
    """Stop sequences as a tuple; empty strings cannot stop anything and are dropped."""
    found = [value] if isinstance(value, str) else list(value or ())
    return tuple(s for s in found if isinstance(s, str) and s)


def _prompt_tokens(*parts: Any) -> int:
    """Tokens of every string in the messages, system prompt and tool definitions (at least 1)."""
    return max(1, sum(tokens.count(s) for part in parts for s in tokens.text_leaves(part)))


def _openai(body: dict[str, Any], model: models.Model) -> Prompt:
    """The prompt of a chat completions request."""
    messages = body["messages"]
    last = messages[-1] if messages else {}
    tools = tuple(
        (t["function"]["name"], t["function"].get("parameters") or {})
        for t in body.get("tools") or () if t.get("type") == "function"
    )
    return Prompt(
        model=model.id,
        seed=seed_of(body),
        last_user_text=_last_text(messages, "user") or "",
        tool_result=_text_of(last.get("content")) if last.get("role") == "tool" else None,
        tools=tools,
        thinking=_thinking(body, model),
        # max_completion_tokens is the documented field; max_tokens works too
        # (docs/observed.md § OpenAI protocol > Token limit fields)
        budget=_budget(body, model, "max_completion_tokens", "max_tokens"),
        stops=_stops(body.get("stop")),
        json_object=(body.get("response_format") or {}).get("type") == "json_object",
        prompt_tokens=_prompt_tokens(messages, body.get("tools")),
        speech=_speech(messages) if model.tts else None,
        audio_format=_audio_format(body, model.tts) if model.tts else "wav",
        text_preview=bool((body.get("audio") or {}).get("optimize_text_preview")),
    )


def _speech(messages: list[dict[str, Any]]) -> str:
    """The text to synthesize: the last assistant message (docs/sources.md#openai-api § Request body > audio), else the
    user's."""
    return _last_text(messages, "assistant") or _last_text(messages, "user") or ""


def _audio_format(body: dict[str, Any], tts: dict[str, Any]) -> str:
    """``wav``, ``mp3`` or ``pcm16``: as asked, else the model's default (stream: its stream format)."""
    # docs/sources.md#openai-api § Request body > audio > format: default wav, or pcm when stream is true;
    # "pcm or pcm16 both indicate specifying the use of the pcm16 format".
    default = tts["stream_format"] if body.get("stream") else tts["default_format"]
    fmt = (body.get("audio") or {}).get("format") or default
    return "pcm16" if fmt == "pcm" else fmt


def _tool_result(message: dict[str, Any]) -> str | None:
    """The joined text of the ``tool_result`` blocks of an Anthropic user message, or None."""
    content = message.get("content")
    blocks = [b for b in content if isinstance(b, dict) and b.get("type") == "tool_result"] if isinstance(content, list) else []
    if message.get("role") != "user" or not blocks:
        return None
    return " ".join(_text_of(b.get("content")) for b in blocks)


def _anthropic(body: dict[str, Any], model: models.Model) -> Prompt:
    """The prompt of a messages request."""
    messages = body["messages"]
    tools = tuple((t["name"], t.get("input_schema") or {}) for t in body.get("tools") or () if "input_schema" in t)
    return Prompt(
        model=model.id,
        seed=seed_of(body),
        last_user_text=_last_text(messages, "user") or "",
        tool_result=_tool_result(messages[-1]) if messages else None,
        tools=tools,
        thinking=_thinking(body, model),
        budget=_budget(body, model, "max_tokens"),
        stops=_stops(body.get("stop_sequences")),
        json_object=False,
        prompt_tokens=_prompt_tokens(body.get("system"), messages, body.get("tools")),
    )
