"""The abstract answer: text, reasoning, tool calls, finish and usage, before any protocol shape.

Generation is a pure function of the :class:`~.prompt.Prompt`: the same request gives the same
answer. Faults can be injected later by transforming an :class:`Answer` before it is rendered.
"""

from __future__ import annotations

import calendar
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from . import audio, tokens
from .prompt import Prompt

__all__ = ["ToolCall", "Usage", "Speech", "Answer", "generate", "digest", "example_value", "FINISHES"]

FINISHES = ("stop", "length", "tool_calls")  # abstract finish reasons, named as the OpenAI protocol names them


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


def digest(seed: str, label: str) -> str:
    """A hex digest of the request seed and a label, for ids that must differ per purpose."""
    return hashlib.sha256(f"{seed}/{label}".encode()).hexdigest()


def _answer(p: Prompt, reasoning: str | None, text: str, finish: str, **extra: Any) -> Answer:
    """An Answer whose usage counts exactly the tokens it carries."""
    calls = extra.get("tool_calls", ())
    spent = tokens.count(reasoning or "")
    visible = tokens.count(text) + sum(c.tokens for c in calls) + extra.pop("spoken", 0)
    usage = Usage(p.prompt_tokens, spent + visible, spent)
    created = calendar.timegm(p.day.timetuple()) + int(p.seed[:8], 16) % 86_400  # within the server's day
    return Answer(p.seed, created, p.model, reasoning, text, tuple(calls), finish, usage, extra.get("speech"))


def generate(p: Prompt) -> Answer:
    """The reference answer to ``p``: reasoning first, then a tool call or the echo text."""
    if p.speech is not None:
        return _speak(p)
    reasoning = _reasoning(p) if p.thinking else None
    spent = tokens.count(reasoning or "")
    if reasoning is not None and spent >= p.budget:
        return _answer(p, tokens.truncate(reasoning, p.budget), "", "length")
    left = p.budget - spent
    call = _tool_call(p)
    if call is not None and call.tokens <= left:
        return _answer(p, reasoning, "", "tool_calls", tool_calls=(call,))
    text, finish = _reply(p, left)
    return _answer(p, reasoning, text, finish)


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
