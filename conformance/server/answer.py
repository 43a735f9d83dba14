"""The abstract answer: text, reasoning, tool calls, finish and usage, before any protocol shape.

Generation is a pure function of the :class:`~.prompt.Prompt`: the same request gives the same
answer. Faults can be injected later by transforming an :class:`Answer` before it is rendered.
"""

from __future__ import annotations

import calendar
import hashlib
import json
from dataclasses import dataclass, replace
from typing import Any

from . import audio, tokens
from .prompt import Prompt

__all__ = ["ToolCall", "Usage", "Speech", "Answer", "generate", "digest", "example_value", "FINISHES"]

# Abstract finish reasons, named as the OpenAI protocol names them; the last two only on request (.triggers).
FINISHES = ("stop", "length", "tool_calls", "content_filter", "repetition_truncation")


@dataclass(frozen=True)
class ToolCall:
    """One function call: its id, the function name, and the arguments as JSON text."""

    id: str
    name: str
    arguments: str

    @property
    def tokens(self) -> int:
        """What the call costs in completion tokens."""
        return tokens.count(self.name) + tokens.count(self.arguments)


@dataclass(frozen=True)
class Usage:
    """Token counts: completion includes reasoning (docs/sources.md#openai-api § Chat response object (non-streaming
    output) > usage > completion_tokens_details)."""

    prompt_tokens: int
    completion_tokens: int
    reasoning_tokens: int
    media: tuple[tuple[str, int], ...] = ()  # (image|audio|video, tokens) inside prompt_tokens
    web_search: tuple[int, int] | None = None  # (tool_usage, page_usage) when the request had the web search tool

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion."""
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class Speech:
    """Synthesized audio: its id, the encoded bytes and the format they are in."""

    id: str
    data: bytes
    format: str
    preview: str | None = None  # final_text_preview, when optimize_text_preview asked for it


@dataclass(frozen=True)
class Answer:
    """Everything a protocol renderer needs, with no protocol shape yet."""

    seed: str
    created: int
    model: str
    reasoning: str | None  # None: thinking is off
    text: str
    tool_calls: tuple[ToolCall, ...]
    finish: str  # one of FINISHES
    usage: Usage
    speech: Speech | None = None
    annotations: tuple[dict[str, str], ...] = ()  # the web search results the answer cites
    pings: bool = False  # Anthropic streams carry ping events (the ``ping`` trigger)


def digest(seed: str, label: str) -> str:
    """A hex digest of the request seed and a label, for ids that must differ per purpose."""
    return hashlib.sha256(f"{seed}/{label}".encode()).hexdigest()


def _answer(p: Prompt, reasoning: str | None, text: str, finish: str, **extra: Any) -> Answer:
    """An Answer whose usage counts exactly the tokens it carries."""
    calls = extra.get("tool_calls", ())
    spent = tokens.count(reasoning or "")
    visible = tokens.count(text) + sum(c.tokens for c in calls) + extra.pop("spoken", 0)
    usage = Usage(p.prompt_tokens, spent + visible, spent, p.media)
    created = calendar.timegm(p.day.timetuple()) + int(p.seed[:8], 16) % 86_400  # within the server's day
    answer = Answer(p.seed, created, p.model, reasoning, text, tuple(calls), finish, usage, extra.get("speech"))
    return _searched(p, replace(answer, pings="ping" in p.triggers))


def generate(p: Prompt) -> Answer:
    """The reference answer to ``p``: reasoning first, then a tool call or the echo text."""
    if p.speech is not None:
        return _speak(p)
    reasoning = _reasoning(p) if p.thinking else None
    spent = tokens.count(reasoning or "")
    if reasoning is not None and spent >= p.budget:
        return _answer(p, tokens.truncate(reasoning, p.budget), "", "length")
    left = p.budget - spent
    calls = _tool_calls(p)
    if calls and sum(c.tokens for c in calls) <= left:
        return _answer(p, reasoning, "", "tool_calls", tool_calls=calls)
    text, finish = _reply(p, left)
    return _answer(p, reasoning, *_provoked(p, text, finish))


# The paraphrasing server's words: none repeats the user, each has spaces and the letter e, as most answers do.
_PARAPHRASES = (
    "Sure, here is a reply from a second server, phrased in words of its own.",
    "Happy to help: this answer comes from another server that never repeats the question.",
    "Here we go. Every sentence here is worded differently from the reference answer.",
    "Understood. A different server answers now, briefly and in its own style.",
)
_PARAPHRASED_RESULTS = ("The tool has answered; here is what it means, in other words.",
                        "Thanks, the tool replied and the task is done.")
_PARAPHRASED_REASONING = ("Let me weigh the question a different way before answering.",
                          "Considering the request, a short and plain reply seems best here.")


def _pick(p: Prompt, options: tuple[str, ...], label: str) -> str:
    """One of ``options``, chosen by the request seed: the same request gets the same words."""
    return options[int(digest(p.seed, label)[:8], 16) % len(options)]


def _reasoning(p: Prompt) -> str:
    """The reasoning text: the reference template echoing the user, or a paraphrase."""
    if p.wording == "paraphrase":
        return _pick(p, _PARAPHRASED_REASONING, "reasoning")
    return f"Reference reasoning. The user said: {p.last_user_text}. I answer with the reference template."


def _full_text(p: Prompt) -> str:
    """The whole answer before stop sequences and the budget cut it."""
    if p.wording == "paraphrase":
        text = _pick(p, _PARAPHRASED_RESULTS if p.tool_result is not None else _PARAPHRASES, "text")
        return json.dumps({"reply": text, "server": "second"}, ensure_ascii=False) if p.json_object else text
    if p.tool_result is not None:
        text = f"Reference answer. The tool returned: {p.tool_result}. This is the end of the reference answer."
    else:
        text = f"Reference answer. You said: {p.last_user_text}. This is the end of the reference answer."
    return json.dumps({"answer": text}, ensure_ascii=False) if p.json_object else text


def _reply(p: Prompt, left: int) -> tuple[str, str]:
    """The visible text and finish: cut before the first stop sequence, then at the budget."""
    text = _full_text(p)
    cuts = [i for i in (text.find(s) for s in p.stops) if i >= 0]
    text = text[: min(cuts)] if cuts else text
    if tokens.count(text) > left:
        return tokens.truncate(text, left), "length"
    return text, "stop"


def _tool_call(p: Prompt) -> ToolCall | None:
    """A call of the first function tool, unless the request ends with a tool result."""
    if not p.tools or p.tool_result is not None:
        return None
    name, schema = p.tools[-1] if p.wording == "paraphrase" else p.tools[0]  # another server may pick another tool
    arguments = json.dumps(example_value(schema, "paraphrased " + name if p.wording == "paraphrase" else name),
                           ensure_ascii=False)
    return ToolCall("call_" + digest(p.seed, "call/0")[:24], name, arguments)


def example_value(schema: Any, name: str = "value") -> Any:
    """A value of the right type for a JSON Schema: first enum value, required properties, and so on."""
    if not isinstance(schema, dict):
        return {}
    if "enum" in schema and schema["enum"]:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            return example_value(schema[key][0], name)
    return _typed_example(schema, name)


def _typed_example(schema: dict[str, Any], name: str) -> Any:
    """An example by ``type`` (the first non-null one when it is a list); objects by default."""
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props = schema.get("properties") or {}
        return {k: example_value(props.get(k, {}), k) for k in schema.get("required") or ()}
    if kind == "array":
        return [example_value(schema.get("items", {}), name)] * max(1, schema.get("minItems", 1))
    scalars = {"string": f"reference {name}", "integer": int(schema.get("minimum", 1)),
               "number": float(schema.get("minimum", 1.5)), "boolean": True, "null": None}
    return scalars.get(kind, f"reference {name}")


def _speak(p: Prompt) -> Answer:
    """TTS: audio of the speech text, one token a word; cut at the budget (finish ``length``)."""
    said = p.speech or ""
    finish = "length" if tokens.count(said) > p.budget else "stop"
    said = tokens.truncate(said, p.budget)
    preview = said if p.text_preview else None
    speech = Speech("audio_" + digest(p.seed, "audio")[:24], audio.encode(said, p.audio_format), p.audio_format, preview)
    return _answer(p, None, "", finish, speech=speech, spoken=tokens.count(said))


# --- finishes on request, parallel calls, web search -----------------------------------------------


def _provoked(p: Prompt, text: str, finish: str) -> tuple[str, str]:
    """The text and finish a trigger asks for: content omitted, or a repetition cut; else as they are."""
    if finish != "stop":
        return text, finish  # the budget or a stop decided first
    if "content_filter" in p.triggers:
        return "", "content_filter"  # "content was omitted due to a flag from our content filters"
    if "repetition_truncation" in p.triggers:
        return tokens.truncate(text, max(1, tokens.count(text) // 2)), "repetition_truncation"
    return text, finish


def _tool_calls(p: Prompt) -> tuple[ToolCall, ...]:
    """One call of the first tool, or of every function tool at once with the parallel_tool_calls trigger."""
    call = _tool_call(p)
    if call is None or "parallel_tool_calls" not in p.triggers or len(p.tools) < 2:
        return () if call is None else (call,)
    names = [name for name, _ in p.tools]
    order = names[::-1] if p.wording == "paraphrase" else names
    return tuple(_call_of(p, n, name, dict(p.tools)[name]) for n, name in enumerate(order))


def _call_of(p: Prompt, n: int, name: str, schema: Any) -> ToolCall:
    """Call number ``n`` of a parallel turn: tool ``name`` with example arguments."""
    arguments = json.dumps(example_value(schema, name), ensure_ascii=False)
    return ToolCall("call_" + digest(p.seed, f"call/{n}")[:24], name, arguments)


SEARCH_RESULTS = 3  # the pretend search finds this many pages, fewer when the tool's limit is lower


def _searched(p: Prompt, a: Answer) -> Answer:
    """The answer with the web search's usage and, when force_search is on, its made-up results cited."""
    if p.web_search is None:
        return a
    forced, limit = p.web_search
    pages = min(limit, SEARCH_RESULTS) if forced else 0
    usage = replace(a.usage, web_search=(1 if forced else 0, pages))
    return replace(a, usage=usage, annotations=tuple(_result(p, n) for n in range(pages)))


def _result(p: Prompt, n: int) -> dict[str, str]:
    """One clearly fake search result: an example.invalid URL and a title that says it is made up."""
    tag = digest(p.seed, f"search/{n}")[:8]
    return {"logo_url": "https://example.invalid/logo.png", "publish_time": p.day.isoformat() + " 00:00:00",
            "site_name": "example.invalid (fake)", "summary": "A made-up result of the reference server's pretend "
            "web search; no page was fetched.", "title": f"Fake search result {n + 1} (reference server, not a real page)",
            "type": "web_search", "url": f"https://result-{n + 1}.example.invalid/{tag}"}
