"""What a client ends up with: an exchange, streamed or not, folded into one answer.

``openai_answer`` gives per choice the text, the reasoning, the tool calls (arguments joined) and
the finish reason, plus the usage; ``anthropic_answer`` gives the content blocks (deltas joined),
the stop reason and sequence, and the usage (``message_delta`` merged over ``message_start``).
Both are tolerant: a malformed event is skipped here and reported by the checks. Each part keeps
``at``, the location it came from ("event 4 /choices/0/delta/tool_calls/1" or "/content/2"), so a
check can say where a rule broke without walking the events again.
"""

from __future__ import annotations

import functools
import json
import weakref
from dataclasses import dataclass, field
from typing import Any, Callable, Union

from .exchange import Exchange, parse_json

__all__ = [
    "Spans", "ToolCall", "Choice", "OpenAIAnswer", "Block", "AnthropicAnswer",
    "openai_answer", "anthropic_answer", "assemble", "at",
]


def at(event: int, pointer: str = "") -> str:
    """The location of ``pointer`` inside dispatched event number ``event``."""
    return f"event {event} {pointer}" if pointer else f"event {event}"


@dataclass
class Spans:
    """Text joined from pieces, remembering where each piece came from."""

    text: str = ""
    starts: list[tuple[int, str]] = field(default_factory=list)  # (offset, location) per piece

    def add(self, piece: Any, location: str) -> None:
        """Append ``piece`` when it is a non-empty string."""
        if isinstance(piece, str) and piece:
            self.starts.append((len(self.text), location))
            self.text += piece

    def location_of(self, offset: int) -> str:
        """The location of the piece holding character ``offset``."""
        return next((loc for start, loc in reversed(self.starts) if start <= offset), "")


@dataclass
class ToolCall:
    """One OpenAI tool call: its index, id, function name and joined arguments string."""

    index: Any
    id: str | None
    name: str | None
    arguments: str = ""
    at: str = ""

    @property
    def parsed(self) -> Any:
        """The arguments parsed as JSON, or ``NOT_JSON``."""
        return parse_json(self.arguments)


@dataclass
class Choice:
    """One OpenAI choice as a client sees it once the answer is complete."""

    index: Any
    content: Spans = field(default_factory=Spans)
    reasoning_content: Spans = field(default_factory=Spans)
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str | None = None
    at: str = ""  # the message (plain) or the choice's first chunk (stream)
    finish_at: str = ""

    @property
    def text(self) -> str:
        """The content, joined."""
        return self.content.text

    @property
    def reasoning(self) -> str:
        """The reasoning_content, joined ("" when none came)."""
        return self.reasoning_content.text


@dataclass
class OpenAIAnswer:
    """The choices, in order of first appearance, and the last usage object seen."""

    choices: list[Choice]
    usage: dict[str, Any] | None = None
    usage_at: str = ""


@dataclass
class Block:
    """One Anthropic content block; ``input_json`` is the joined ``partial_json`` (stream) or the dumped input."""

    type: Any
    index: Any
    pieces: Spans = field(default_factory=Spans)  # the text, for a text block
    thinking: str = ""
    signature: str | None = None
    id: str | None = None
    name: str | None = None
    input_json: str = ""
    input: Any = None  # the input object of content_block_start or of the plain body
    at: str = ""

    @property
    def text(self) -> str:
        """The text of a text block, joined."""
        return self.pieces.text

    @property
    def parsed_input(self) -> Any:
        """The tool input a client gets: the joined JSON, or the start input when no fragment came."""
        if self.input_json.strip():
            return parse_json(self.input_json)
        return self.input if isinstance(self.input, dict) else {}  # as the Anthropic SDK does


@dataclass
class AnthropicAnswer:
    """The blocks in index order, the stop reason and sequence, and the merged usage."""

    blocks: list[Block]
    stop_reason: str | None = None
    stop_sequence: str | None = None
    usage: dict[str, Any] = field(default_factory=dict)
    at: str = ""
    stop_at: str = ""
    usage_at: str = ""


Answer = Union[OpenAIAnswer, AnthropicAnswer]


def assemble(exchange: Exchange) -> Answer:
    """The answer of ``exchange`` in its protocol's shape."""
    return openai_answer(exchange) if exchange.protocol == "openai" else anthropic_answer(exchange)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _json_events(exchange: Exchange) -> list[tuple[int, dict[str, Any]]]:
    return [(i, p) for i, p in enumerate(exchange.payloads()) if isinstance(p, dict)]


# --- OpenAI ---------------------------------------------------------------------------------


def _once(fold: Callable[[Exchange], Any]) -> Callable[[Exchange], Any]:
    """Fold each exchange once: several checks read the same answer (answers are not to be edited)."""
    cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    @functools.wraps(fold)
    def cached(exchange: Exchange) -> Any:
        if exchange not in cache:
            cache[exchange] = fold(exchange)
        return cache[exchange]

    return cached


@_once
def openai_answer(exchange: Exchange) -> OpenAIAnswer:
    """Per choice: text, reasoning, tool calls and finish reason; plus the usage."""
    return _openai_stream(exchange) if exchange.streamed else _openai_plain(_dict(exchange.body))


def _openai_plain(body: dict[str, Any]) -> OpenAIAnswer:
    choices = []
    for k, raw in enumerate(_list(body.get("choices"))):
        raw, where = _dict(raw), f"/choices/{k}"
        message = _dict(raw.get("message"))
        choice = Choice(raw.get("index", k), at=where + "/message", finish_at=where + "/finish_reason")
        choice.content.add(message.get("content"), where + "/message/content")
        choice.reasoning_content.add(message.get("reasoning_content"), where + "/message/reasoning_content")
        # the aggregator's name for it (docs/observed.md § Resellers and gateways > Aggregator response shape)
        choice.reasoning_content.add(message.get("reasoning"), where + "/message/reasoning")
        for t, call in enumerate(_list(message.get("tool_calls"))):
            choice.tool_calls.append(_plain_call(t, call, f"{where}/message/tool_calls/{t}"))
        choice.finish_reason = raw.get("finish_reason")
        choices.append(choice)
    usage = body.get("usage")
    return OpenAIAnswer(choices, usage if isinstance(usage, dict) else None, "/usage")


def _plain_call(position: int, raw: Any, where: str) -> ToolCall:
    raw = _dict(raw)
    function = _dict(raw.get("function"))
    arguments = function.get("arguments")
    arguments = arguments if isinstance(arguments, str) else ""
    return ToolCall(position, raw.get("id"), function.get("name"), arguments, where)


def _openai_stream(exchange: Exchange) -> OpenAIAnswer:
    answer, by_index = OpenAIAnswer([]), {}
    for i, payload in _json_events(exchange):
        for k, raw in enumerate(_list(payload.get("choices"))):
            raw = _dict(raw)
            where = f"/choices/{k}"
            choice = by_index.get(raw.get("index"))
            if choice is None:
                choice = by_index[raw.get("index")] = Choice(raw.get("index"), at=at(i, where))
                answer.choices.append(choice)
            _fold_delta(choice, _dict(raw.get("delta")), i, where + "/delta")
            if raw.get("finish_reason") is not None:
                choice.finish_reason, choice.finish_at = raw["finish_reason"], at(i, where + "/finish_reason")
        if isinstance(payload.get("usage"), dict):
            answer.usage, answer.usage_at = payload["usage"], at(i, "/usage")
    return answer


def _fold_delta(choice: Choice, delta: dict[str, Any], i: int, where: str) -> None:
    choice.content.add(delta.get("content"), at(i, where + "/content"))
    choice.reasoning_content.add(delta.get("reasoning_content"), at(i, where + "/reasoning_content"))
    choice.reasoning_content.add(delta.get("reasoning"), at(i, where + "/reasoning"))
    for t, fragment in enumerate(_list(delta.get("tool_calls"))):
        _fold_fragment(choice, _dict(fragment), at(i, f"{where}/tool_calls/{t}"))


def _fold_fragment(choice: Choice, fragment: dict[str, Any], where: str) -> None:
    function = _dict(fragment.get("function"))
    call = next((c for c in choice.tool_calls if c.index == fragment.get("index")), None)
    if call is None:
        call = ToolCall(fragment.get("index"), fragment.get("id"), function.get("name"), at=where)
        choice.tool_calls.append(call)
    # The first non-null id and name win: later fragments carry null
    # (docs/observed.md § OpenAI protocol > Tool-call deltas).
    call.id = call.id if call.id is not None else fragment.get("id")
    call.name = call.name if call.name is not None else function.get("name")
    if isinstance(function.get("arguments"), str):
        call.arguments += function["arguments"]


# --- Anthropic ------------------------------------------------------------------------------


@_once
def anthropic_answer(exchange: Exchange) -> AnthropicAnswer:
    """The content blocks, stop reason, stop sequence and usage."""
    return _anthropic_stream(exchange) if exchange.streamed else _anthropic_plain(_dict(exchange.body))


def _anthropic_plain(body: dict[str, Any]) -> AnthropicAnswer:
    blocks = []
    for k, raw in enumerate(_list(body.get("content"))):
        block = _start_block(_dict(raw), k, f"/content/{k}")
        block.pieces.add(_dict(raw).get("text"), f"/content/{k}/text")
        if block.type == "tool_use":
            block.input_json = json.dumps(block.input, ensure_ascii=False)
        blocks.append(block)
    usage = _dict(body.get("usage"))
    return AnthropicAnswer(
        blocks, body.get("stop_reason"), body.get("stop_sequence"), dict(usage), "/content", "/stop_reason", "/usage"
    )


def _start_block(raw: dict[str, Any], index: Any, where: str) -> Block:
    thinking = raw.get("thinking")
    return Block(
        raw.get("type"), index, thinking=thinking if isinstance(thinking, str) else "",
        signature=raw.get("signature"), id=raw.get("id"), name=raw.get("name"), input=raw.get("input"), at=where,
    )


def _anthropic_stream(exchange: Exchange) -> AnthropicAnswer:
    answer, by_index = AnthropicAnswer([], at="event 0"), {}
    for i, payload in _json_events(exchange):
        kind = payload.get("type")
        if kind == "message_start":
            _fold_message_start(answer, _dict(payload.get("message")), i)
        elif kind == "content_block_start":
            raw = _dict(payload.get("content_block"))
            block = by_index[payload.get("index")] = _start_block(raw, payload.get("index"), at(i, "/content_block"))
            block.pieces.add(raw.get("text"), at(i, "/content_block/text"))
        elif kind == "content_block_delta" and payload.get("index") in by_index:
            _fold_block_delta(by_index[payload["index"]], _dict(payload.get("delta")), i)
        elif kind == "message_delta":
            _fold_message_delta(answer, payload, i)
    answer.blocks = [by_index[k] for k in sorted(by_index, key=_sort_key)]
    return answer


def _sort_key(index: Any) -> tuple[int, Any]:
    return (0, index) if isinstance(index, int) else (1, str(index))


def _fold_message_start(answer: AnthropicAnswer, message: dict[str, Any], i: int) -> None:
    answer.usage = dict(_dict(message.get("usage")))
    answer.stop_reason, answer.stop_sequence = message.get("stop_reason"), message.get("stop_sequence")
    answer.at, answer.usage_at = at(i), at(i, "/message/usage")


def _fold_block_delta(block: Block, delta: dict[str, Any], i: int) -> None:
    kind = delta.get("type")
    if kind == "text_delta":
        block.pieces.add(delta.get("text"), at(i, "/delta/text"))
    elif kind == "thinking_delta" and isinstance(delta.get("thinking"), str):
        block.thinking += delta["thinking"]
    elif kind == "signature_delta":
        block.signature = delta.get("signature")  # a signature arrives whole, as in the Anthropic SDK
    elif kind == "input_json_delta" and isinstance(delta.get("partial_json"), str):
        block.input_json += delta["partial_json"]


def _fold_message_delta(answer: AnthropicAnswer, payload: dict[str, Any], i: int) -> None:
    delta = _dict(payload.get("delta"))
    answer.stop_reason, answer.stop_sequence = delta.get("stop_reason"), delta.get("stop_sequence")
    answer.stop_at = at(i, "/delta/stop_reason")
    usage = _dict(payload.get("usage"))
    answer.usage.update({k: v for k, v in usage.items() if v is not None})
    if usage:
        answer.usage_at = at(i, "/usage")
