"""A protocol-neutral view of a valid request: what the reference generator needs to answer it."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from .. import models
from . import tokens, triggers

__all__ = ["Prompt", "REFERENCE_DAY", "WORDINGS", "from_request", "seed_of", "media_tokens", "web_search_of",
           "IMAGE_TOKENS", "AUDIO_TOKENS", "VIDEO_TOKENS_PER_FRAME"]

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
    media: tuple[tuple[str, int], ...] = ()  # (image|audio|video, tokens) per modality sent, inside prompt_tokens
    web_search: tuple[bool, int] | None = None  # the web search tool's (force_search, limit), when the request has it
    triggers: frozenset[str] = frozenset()  # the trigger phrases of .triggers the user messages hold


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
    prompt = reader(body, model)
    counted = media_tokens(body.get("messages") or [])
    return replace(prompt, model=body["model"], day=day, wording=wording, triggers=triggers.of_request(body),
                   media=tuple(counted.items()), prompt_tokens=prompt.prompt_tokens + sum(counted.values()),
                   web_search=web_search_of(body) if protocol == "openai" else None)


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
    """Tokens of every string in the messages (media parts left out), system prompt and tool definitions (at least 1)."""
    return max(1, sum(tokens.count(s) for part in parts for s in tokens.text_leaves(_without_media(part))))


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


# --- media and web search --------------------------------------------------------------------------
# The reference counts media tokens by a fixed rule of its own (the docs give none): each image, each audio
# part, and each video frame sampled at the part's fps over a clip taken as two seconds long, more at
# media_resolution max. They are inside prompt_tokens and reported in prompt_tokens_details
# (docs/sources.md#openai-api § Chat response object (non-streaming output) > usage > prompt_tokens_details).
IMAGE_TOKENS = 256
AUDIO_TOKENS = 128
VIDEO_TOKENS_PER_FRAME = {"default": 32, "max": 128}
_MEDIA_KINDS = {"image_url": "image", "image": "image", "input_audio": "audio", "video_url": "video"}


def _part_tokens(part: dict[str, Any]) -> int:
    """What one media part costs: a fixed count, or frames times the count per frame for a video."""
    kind = _MEDIA_KINDS[part["type"]]
    if kind != "video":
        return IMAGE_TOKENS if kind == "image" else AUDIO_TOKENS
    frames = max(1, math.ceil(float(part.get("fps", 2)) * 2))
    return frames * VIDEO_TOKENS_PER_FRAME.get(part.get("media_resolution", "default"), 32)


def _media_parts(value: Any) -> Any:
    """Every media part inside messages (tool results included), depth first."""
    if isinstance(value, dict):
        if value.get("type") in _MEDIA_KINDS:
            yield value
        else:
            for item in value.values():
                yield from _media_parts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _media_parts(item)


def media_tokens(messages: list[Any]) -> dict[str, int]:
    """Tokens per modality of the media parts in ``messages`` (only the modalities sent)."""
    found: dict[str, int] = {}
    for part in _media_parts(messages):
        kind = _MEDIA_KINDS[part["type"]]
        found[kind] = found.get(kind, 0) + _part_tokens(part)
    return found


def _without_media(value: Any) -> Any:
    """``value`` with media parts dropped from every list, so their URLs and base64 count no text tokens."""
    if isinstance(value, list):
        return [_without_media(v) for v in value if not (isinstance(v, dict) and v.get("type") in _MEDIA_KINDS)]
    if isinstance(value, dict):
        return {k: _without_media(v) for k, v in value.items()}
    return value


def web_search_of(body: dict[str, Any]) -> tuple[bool, int] | None:
    """The first web search tool's (force_search, limit); defaults false and 5
    (docs/sources.md#openai-api § Request body > tools > Web search tool)."""
    for tool in body.get("tools") or ():
        if isinstance(tool, dict) and tool.get("type") == "web_search":
            return tool.get("force_search") in (True, "true"), int(tool.get("limit", 5))
    return None
