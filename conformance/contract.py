"""The request contract as one pure function: which documented rules a request body breaks.

The reference server answers with the first violation, the checks compare a target's status with
the violations' statuses, and the strategies generate bodies with and without violations. Rules
come from the request schemas (``schemas/<protocol>/...request.json``) and from the models data
(``schemas/models.json``); every violation carries its rule's grounds (:class:`~.basis.Rule`:
documented, observed or reference, and the citation), so a finding about it weighs what its rule
does. Rules about the model id itself (unknown, retired at the time of the request) have the
``model`` scope: they say what a Xiaomi host answers, not what the request breaks. Rules a
stricter host may enforce although the documents allow the request (the Token Plan's) have the
``may`` scope: refusing is allowed, answering too. Each dialect (``conformance.dialects``) gives
its request schema, token fields, ranges, model ids and such refusals. Pure: the only I/O is
loading those data files, once per process.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterator

from . import declared, dialects, models, schemas
from .basis import Rule, of_node, weakest

__all__ = [
    "Violation", "REQUEST_SCHEMAS", "BARE_RULES", "INVALID_JSON", "request_violations", "request_grounds",
    "declared_only", "parse_body",
]

REQUEST_SCHEMAS = {  # Xiaomi's (and OpenAI's, for the Responses API); a dialect may name its own
    "openai": "openai/chat_completions.request.json",
    "anthropic": "anthropic/messages.request.json",
    "responses": "responses/responses.request.json",
}
# Rules whose error body has only `code` and `message` ("Unsupported model X"), not "Param Incorrect".
BARE_RULES = frozenset({"json_body", "model_supported", "model_not_retired"})
INVALID_JSON = "Invalid JSON in request body"  # docs/observed.md § Errors > Malformed JSON first: the live API's words
# The request field that bounds the completion, per protocol (each API's request body:
# docs/sources.md#openai-api § Request body; docs/sources.md#anthropic-api § Request Body).
_TOKEN_FIELDS = {"openai": ("max_completion_tokens", "max_tokens"), "anthropic": ("max_tokens",),
                 "responses": ("max_output_tokens",)}
# Content part types that carry media, and the input modality each needs.
_MEDIA = {"image_url": "image", "input_audio": "audio", "video_url": "video", "image": "image"}

_JSON = Rule("documented", "docs/sources.md#model-hyperparameters § Error codes table (400 - Invalid Format)")
_UNKNOWN_MODEL = Rule("observed", "docs/observed.md § Errors > Unknown model: unknown model: \"Unsupported model X\"")
_RETIRED = Rule("observed", "docs/observed.md § Models move > Retired V2 ids: after that they answer 400 \"Not supported model …\"")
_PROTOCOL = Rule("documented", "docs/sources.md#anthropic-api § Request Body > model")
_TOKENS = {"openai": Rule("documented", "docs/sources.md#openai-api § Request body > max_completion_tokens"),
           "anthropic": Rule("documented", "docs/sources.md#anthropic-api § Request Body > max_tokens")}
_SAMPLING = Rule("documented", "docs/sources.md#openai-api § Request body > temperature; " + "docs/sources.md#openai-api § Request body > top_p")
_UNSUPPORTED = {  # the TTS models take none of these: each field's own section says so
    "thinking": Rule("documented", "docs/sources.md#openai-api § Request body > thinking (TTS models are not supported)"),
    "tools": Rule("documented", "docs/sources.md#openai-api § Request body > tools (TTS models are not supported)"),
    "tool_choice": Rule("documented", "docs/sources.md#openai-api § Request body > tool_choice (TTS models are not supported)"),
    "response_format": Rule("documented", "docs/sources.md#openai-api § Request body > response_format (TTS models are not supported)"),
    "audio": Rule("documented", "docs/sources.md#openai-api § Request body > audio (only the TTS models take it)"),
}
_WEB_SEARCH = Rule("documented", "docs/sources.md#model-hyperparameters § Model specs table > Model Capability")
_TTS = Rule("documented", "docs/sources.md#openai-api § Request body > audio > format, voice, optimize_text_preview")
_TTS_MESSAGES = Rule("documented", "docs/sources.md#openai-api § Request body > messages > User message > content (note on voicedesign)")
_DUPLICATES = Rule("observed", "docs/observed.md § OpenAI protocol > Duplicate tool names: duplicate tool names answer 400")
_MODALITY = Rule("documented", "docs/sources.md#model-hyperparameters § Error codes table (404 - Not Found)")
_UNDECLARED = Rule("observed", "docs/observed.md § OpenAI protocol > Unknown top-level fields: unknown top-level fields are ignored on pay-as-you-go")


@dataclass(frozen=True)
class Violation:
    """One broken rule: where (JSON pointer), which rule, a message naming the field, the HTTP status, why."""

    pointer: str
    rule: str
    message: str
    grounds: Rule  # where the rule comes from: its basis and citation
    status: int = 400
    scope: str = "request"  # "model": about the model id itself (unknown, retired); "may": a stricter host's refusal

    def __str__(self) -> str:
        return f"{self.pointer or '/'}: [{self.rule}] {self.message}"


def _field(pointer: str) -> str:
    """``/messages/0/content`` as ``messages[0].content``; the empty pointer as ``body``."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
    out = ""
    for part in parts:
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out or "body"


def _reject_constant(name: str) -> Any:
    """Refuse NaN and Infinity, which Python's json accepts and JSON does not."""
    raise ValueError(f"{name} is not JSON")


def parse_body(raw: bytes) -> Any:
    """Raw request bytes as strict JSON (UTF-8; no NaN or Infinity); ValueError when they are not."""
    return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)


def _request_schema(protocol: str, dialect: str) -> str:
    """The request schema of ``protocol`` in ``dialect`` (the protocol's own where the dialect serves it not)."""
    if protocol not in REQUEST_SCHEMAS:
        raise ValueError(f"unknown protocol {protocol!r}; known: {', '.join(REQUEST_SCHEMAS)}")
    speaks = dialects.get(dialect)
    return speaks.schema(protocol, "request") if protocol in speaks.protocols else REQUEST_SCHEMAS[protocol]


def _token_fields(protocol: str, dialect: str) -> tuple[str, ...]:
    """The fields that bound the output of ``protocol`` in ``dialect`` (the protocol's own where it serves it not)."""
    speaks = dialects.get(dialect)
    return speaks.token_fields(protocol) if protocol in speaks.protocols else _TOKEN_FIELDS[protocol]


def declared_only(protocol: str, body: Any, dialect: str = dialects.DEFAULT) -> Any:
    """``body`` without the top-level keys its request schema (the dialect's) does not declare."""
    # docs/observed.md § OpenAI protocol > Unknown top-level fields: unknown top-level fields are ignored on
    # pay-as-you-go, so the contract strips them before validating instead of letting additionalProperties reject them.
    if not isinstance(body, dict):
        return body
    declared = schemas.load(_request_schema(protocol, dialect)).get("properties", {})
    return {k: v for k, v in body.items() if k in declared}


def request_violations(protocol: str, body: Any, *, when: datetime | None = None,
                       dialect: str = dialects.DEFAULT) -> list[Violation]:
    """Every documented rule ``body`` breaks for ``protocol`` in ``dialect`` at time ``when`` (default now); the first decides."""
    _request_schema(protocol, dialect)  # a protocol the dialect does not serve raises here
    if isinstance(body, (bytes, bytearray)):  # raw bytes, as a test that sends malformed JSON keeps them
        try:
            body = parse_body(bytes(body))
        except ValueError:  # UnicodeDecodeError is a ValueError too
            return [Violation("", "json_body", INVALID_JSON, _JSON)]
    allowed = list(_stricter(protocol, body, dialect))
    body = declared_only(protocol, body, dialect)
    found = list(_model_violations(protocol, body, when, dialect))
    found += [v for v in _schema_violations(protocol, body, dialect) if not (found and v.pointer == "/model")]
    if not found:
        found = list(_per_model(protocol, body, models.get(body["model"]), dialect))
    return found + allowed


def request_grounds(protocol: str, body: Any, dialect: str = dialects.DEFAULT) -> Rule:
    """The weakest rule a valid ``body`` leans on: documented when the docs promise every field it sends.

    Each value of the body is weighed by the nearest schema node that states a rule for it; a
    top-level field the schema does not declare weighs as the dialect says (pay-as-you-go ignores them: observed).
    """
    if not isinstance(body, dict):
        return _JSON
    name = _request_schema(protocol, dialect)
    undeclared = dialects.get(dialect).unknown_fields()[1] if dialect != dialects.DEFAULT else _UNDECLARED
    rules = [undeclared] if set(body) - set(schemas.load(name).get("properties", {})) else []
    for _, nodes in declared.applied(name, declared_only(protocol, body, dialect)):
        stated = [r for r in map(of_node, nodes) if r is not None]
        rules += [weakest(stated, stated[0])] if stated else []
    return weakest(rules, _JSON)


def _stricter(protocol: str, body: Any, dialect: str) -> Iterator[Violation]:
    """What a stricter host may refuse although the rules allow it: unknown top-level fields, listed values."""
    # docs/observed.md § OpenAI protocol > Unknown top-level fields and > Null frequency_penalty on the Token Plan:
    # the Token Plan host refuses them; the docs allow them, so refusing and answering are both within the contract.
    if not isinstance(body, dict):
        return
    speaks = dialects.get(dialect)
    refused, rule = speaks.unknown_fields()
    declared = schemas.load(_request_schema(protocol, dialect)).get("properties", {})
    for key in (k for k in body if k not in declared) if refused else ():
        yield Violation(f"/{key}", "field_declared", f"{key} is not a parameter this host takes", rule, scope="may")
    for field, value, why in speaks.refusals():
        if field in body and body[field] == value and type(body[field]) is type(value):
            yield Violation(f"/{field}", "value_accepted", f"{field} may not be {json.dumps(value)} on this host", why,
                            scope="may")


def _schema_violations(protocol: str, body: Any, dialect: str = dialects.DEFAULT) -> Iterator[Violation]:
    """The request schema's errors, each message prefixed with the field it is about."""
    for err in schemas.errors(_request_schema(protocol, dialect), body):
        yield Violation(err.pointer, f"schema:{err.keyword}", f"{_field(err.pointer)}: {err.message}", err.rule)


def _model_violations(protocol: str, body: Any, when: datetime | None, dialect: str = dialects.DEFAULT) -> Iterator[Violation]:
    """The model is one the dialect knows, not retired at ``when``, and documented for this protocol."""
    model_id = body.get("model") if isinstance(body, dict) else None
    if not isinstance(model_id, str):
        return  # the schema reports a missing or non-string model
    try:
        if not dialects.get(dialect).knows(model_id) or models.get(model_id).stub:
            raise KeyError(model_id)  # another dialect's own id, or a stub whose limits nobody knows: unknown here
        model = models.get(model_id)
    except KeyError:
        # docs/observed.md § Errors > Unknown model: an unknown model answers 400 "Unsupported model X".
        yield Violation("/model", "model_supported", f"Unsupported model {model_id}", _UNKNOWN_MODEL, scope="model")
        return
    if model.status_at(when) == "retired":
        # docs/observed.md § Models move > Retired V2 ids: retired ids answer 400 "Not supported model …".
        yield Violation("/model", "model_not_retired", f"Not supported model {model_id}", _RETIRED, scope="model")
    elif protocol not in model.protocols:
        # docs/sources.md#anthropic-api § Request Body > model lists only the text models (no TTS).
        yield Violation("/model", "model_supported", f"Unsupported model {model_id}", _PROTOCOL)


def _per_model(protocol: str, body: dict[str, Any], model: models.Model,
               dialect: str = dialects.DEFAULT) -> Iterator[Violation]:
    """The rules that depend on the model: ranges, capabilities, input modalities, TTS voices."""
    yield from _token_range(protocol, body, model, dialect)
    yield from _sampling_ranges(body, model, dialect)
    yield from _capabilities(protocol, body, model)
    yield from _tts(protocol, body, model)
    yield from _duplicate_tools(protocol, body)
    yield from _media(protocol, body, model)


def _within(body: dict[str, Any], field: str, r: models.Range, grounds: Rule,
            ends: tuple[Rule | None, Rule | None] = (None, None)) -> Iterator[Violation]:
    """``field`` (when set) lies in ``r``; the message names the field, as the live API's does.

    ``ends`` are the rules of the range's two ends where a dialect gives its own (else ``grounds``).
    """
    value = body.get(field)
    if value is not None and value not in r:
        low = isinstance(value, (int, float)) and not isinstance(value, bool) and value < r.min
        rule = (ends[0] if low else ends[1]) or grounds
        yield Violation(f"/{field}", f"{field}_range", f"{field} must be within [{r.min:g}, {r.max:g}]", grounds=rule)


def _ends(dialect: str, name: str) -> tuple[Rule | None, Rule | None]:
    """The rules of the min and max of the dialect's own range for ``name``, where it gives one."""
    speaks = dialects.get(dialect)
    return speaks.range_rule(name, "min"), speaks.range_rule(name, "max")


def _token_range(protocol: str, body: dict[str, Any], model: models.Model,
                 dialect: str = dialects.DEFAULT) -> Iterator[Violation]:
    """The token limit lies in the model's range (a dialect's own model: the dialect's range)."""
    # docs/sources.md#openai-api § Request body > max_completion_tokens: [1, 131072], TTS models [1, 8192];
    # docs/sources.md#anthropic-api § Request Body > max_tokens: [1, 131072]. Ranges per model: models.json.
    ends = _ends(dialect, "max_tokens") if model.id in dialects.get(dialect).models else (None, None)
    for field in _token_fields(protocol, dialect):
        yield from _within(body, field, model.range("max_tokens"), _TOKENS.get(protocol, _TOKENS["openai"]), ends)


def _sampling_ranges(body: dict[str, Any], model: models.Model, dialect: str = dialects.DEFAULT) -> Iterator[Violation]:
    """temperature and top_p lie in the model's ranges, where the models data (or the dialect) gives them."""
    # docs/sources.md#openai-api § Request body > temperature (range [0, 1.5]) and
    # docs/sources.md#openai-api § Request body > top_p (range [0.01, 1.0]); the same in
    # docs/sources.md#anthropic-api § Request Body.
    own = model.id in dialects.get(dialect).models
    for field in ("temperature", "top_p"):
        if field in model.data:
            yield from _within(body, field, model.range(field), _SAMPLING, _ends(dialect, field) if own else (None, None))


def _capabilities(protocol: str, body: dict[str, Any], model: models.Model) -> Iterator[Violation]:
    """Parameters the model does not support are absent (null counts as absent)."""
    # docs/sources.md#openai-api § Request body (thinking, response_format, tool_choice, tools): "mimo-v2.5-tts,
    # mimo-v2.5-tts-voicedesign, mimo-v2.5-tts-voiceclone and mimo-v2-tts models are not supported";
    # audio: "Currently, only the [TTS] models are supported". Capabilities per model: models.json.
    refused = [] if _thinking_accepted(body, model) else ["thinking"]
    refused += [] if model.tools else ["tools", "tool_choice"]
    refused += [] if model.json_object else ["response_format"]
    refused += [] if model.tts else ["audio"]
    for field in refused:
        if body.get(field) is not None:
            yield Violation(f"/{field}", "parameter_supported", f"{field} is not supported by model {model.id}",
                            grounds=_UNSUPPORTED[field])
    yield from _web_search(protocol, body, model)


def _thinking_accepted(body: dict[str, Any], model: models.Model) -> bool:
    """The model supports thinking, or never thinks and the request asks it not to."""
    # models.json: thinking {"supported": false, "default": "disabled"} is a model that never thinks
    # (a self-hosted stand-in); cases send {"type": "disabled"} to keep a budget for the answer.
    asked = body.get("thinking")
    off = isinstance(asked, dict) and asked.get("type") == "disabled"
    return model.thinking["supported"] or (model.thinking["default"] == "disabled" and off)


def _web_search(protocol: str, body: dict[str, Any], model: models.Model) -> Iterator[Violation]:
    """The web search tool goes only to models with internet search."""
    # docs/sources.md#model-hyperparameters § Model specs table > Model Capability: "internet search" (models.json
    # web_search).
    for index, tool in enumerate(body.get("tools") or [] if protocol == "openai" else []):
        if tool.get("type") == "web_search" and not model.web_search:
            yield Violation(f"/tools/{index}", "parameter_supported",
                            f"tools[{index}]: web_search is not supported by model {model.id}", _WEB_SEARCH)


def _tts(protocol: str, body: dict[str, Any], model: models.Model) -> Iterator[Violation]:
    """TTS requests carry the messages, voice and format their model needs."""
    if not model.tts:
        return
    audio = body.get("audio") or {}
    yield from _voice(audio.get("voice"), model)
    yield from _tts_options(audio, model)
    yield from _tts_messages(body, audio, model)


def _voice(voice: Any, model: models.Model) -> Iterator[Violation]:
    """The voice is a built-in one, a base64 sample, or absent, as the model's ``tts.voice`` says."""
    # docs/sources.md#openai-api § Request body > audio > voice: mimo-v2.5-tts and mimo-v2-tts take an optional
    # built-in voice (default mimo_default); voiceclone requires the base64 of an mp3/wav sample;
    # voicedesign does not support the field.
    mode, problem = model.tts["voice"], None
    if voice is None:
        problem = "is required" if mode == "clone" else None
    elif mode == "none":
        problem = "is not supported"
    elif mode == "clone" and not _is_base64(voice):
        problem = "must be the base64 of an mp3 or wav sample"
    elif mode == "builtin" and voice not in model.tts["voices"]:
        problem = f"must be one of {', '.join(model.tts['voices'])}"
    if problem:
        yield Violation("/audio/voice", "tts_voice", f"audio.voice {problem} for model {model.id}", _TTS)


def _is_base64(text: str) -> bool:
    """``text`` (or the payload of a ``data:`` URI) decodes as non-empty base64."""
    payload = text.partition(",")[2] if text.startswith("data:") else text
    try:
        return bool(base64.b64decode(payload, validate=True))
    except (binascii.Error, ValueError):
        return False


def _tts_options(audio: dict[str, Any], model: models.Model) -> Iterator[Violation]:
    """The audio format and optimize_text_preview are ones the model supports."""
    # docs/sources.md#openai-api § Request body > audio > format (wav, mp3, pcm, pcm16) and
    # docs/sources.md#openai-api § Request body > audio > optimize_text_preview: "Currently, only the
    # mimo-v2.5-tts-voicedesign model is supported".
    fmt = audio.get("format")
    if fmt is not None and fmt not in model.tts["audio_formats"]:
        yield Violation("/audio/format", "tts_format",
                        f"audio.format must be one of {', '.join(model.tts['audio_formats'])} for model {model.id}", _TTS)
    if audio.get("optimize_text_preview") and not model.tts["optimize_text_preview"]:
        yield Violation("/audio/optimize_text_preview", "parameter_supported",
                        f"audio.optimize_text_preview is not supported by model {model.id}", _TTS)


def _tts_messages(body: dict[str, Any], audio: dict[str, Any], model: models.Model) -> Iterator[Violation]:
    """An assistant message gives the text to speak; voicedesign also needs a user message."""
    # docs/sources.md#openai-api § Request body > audio: "you must add a message with role set to assistant ...
    # when using the mimo-v2.5-tts-voicedesign model, a message with the role of user is required.
    # If optimize_text_preview is set to true, the assistant message can be omitted."
    roles = {m.get("role") for m in body.get("messages", [])}
    if "assistant" not in roles and not audio.get("optimize_text_preview"):
        yield Violation("/messages", "tts_messages",
                        f"messages need an assistant message with the text to speak for model {model.id}", _TTS_MESSAGES)
    if model.tts["requires_user_message"] and "user" not in roles:
        yield Violation("/messages", "tts_messages",
                        f"messages need a user message describing the voice for model {model.id}", _TTS_MESSAGES)


def _tool_names(protocol: str, body: dict[str, Any]) -> list[str]:
    """The names of the function tools, in order."""
    tools = body.get("tools") or []
    if protocol == "openai":
        return [t["function"]["name"] for t in tools if t.get("type") == "function"]
    return [t["name"] for t in tools if "name" in t]


def _duplicate_tools(protocol: str, body: dict[str, Any]) -> Iterator[Violation]:
    """Tool names are unique."""
    # docs/observed.md § OpenAI protocol > Duplicate tool names: duplicate tool names answer 400 (undocumented, but a
    # contract every OpenAI-compatible API keeps: the model could not say which tool it calls).
    names = _tool_names(protocol, body)
    for index, name in enumerate(names):
        if name in names[:index]:
            yield Violation(f"/tools/{index}", "tool_names_unique", f"tools[{index}]: duplicate tool name {name!r}",
                            grounds=_DUPLICATES)


def _parts(protocol: str, body: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every content part with its pointer, including the parts inside Anthropic tool results."""
    for i, message in enumerate(body.get("messages", [])):
        content = message.get("content")
        for j, part in enumerate(content if isinstance(content, list) else []):
            yield f"/messages/{i}/content/{j}", part
            inner = part.get("content") if protocol == "anthropic" and part.get("type") == "tool_result" else None
            for k, sub in enumerate(inner if isinstance(inner, list) else []):
                yield f"/messages/{i}/content/{j}/content/{k}", sub


def _media(protocol: str, body: dict[str, Any], model: models.Model) -> Iterator[Violation]:
    """Image, audio and video inputs go only to models whose input modalities include them."""
    # docs/sources.md#model-hyperparameters § Error codes table: "404 - Not Found: The requested endpoint or model
    # does not support image input capability"; docs/sources.md#openai-api § Request body > messages > User message >
    # content: "mimo-v2.5 and mimo-v2-omni models support image, audio, or video input";
    # docs/sources.md#anthropic-api § Request Body > messages > content > Array of content parts > Image: they
    # support image input.
    accepted = set(model.input_modalities)
    for pointer, part in _parts(protocol, body):
        needed = _MEDIA.get(part.get("type"))
        if needed and needed not in accepted:
            yield Violation(pointer, "input_modality", f"{_field(pointer)}: model {model.id} does not support {needed} input",
                            _MODALITY, 404)
