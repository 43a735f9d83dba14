"""Trigger phrases: how a case makes the reference server answer in a way no ordinary request provokes.

A user message whose text contains ``[[reference:NAME]]`` asks the reference server (either wording)
for the behaviour NAME. Only cases marked ``"servers": ["reference"]`` rely on them (another server
reads the phrase as plain text); the others only add a phrase that changes nothing elsewhere.

================================ ===========================================================
NAME                             the reference server
================================ ===========================================================
``content_filter``               omits the content: finish ``content_filter`` (both protocols)
``repetition_truncation``        cuts a repeating answer: finish ``repetition_truncation``
``parallel_tool_calls``          calls every function tool of the request at once, in order
``ping``                         sends Anthropic ``ping`` events: first, after each event, last
``web_search_plugin_off``        answers a web search request 400, as with the plugin off
================================ ===========================================================
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["TRIGGERS", "PATTERN", "of_request"]

TRIGGERS = ("content_filter", "repetition_truncation", "parallel_tool_calls", "ping", "web_search_plugin_off")
PATTERN = re.compile(r"\[\[reference:(\w+)\]\]")


def _texts(content: Any) -> list[str]:
    if isinstance(content, str):
        return [content]
    return [p.get("text", "") for p in content or [] if isinstance(p, dict) and isinstance(p.get("text"), str)]


def of_request(body: Any) -> frozenset[str]:
    """The trigger names the user messages of ``body`` contain (unknown names are plain text)."""
    messages = body.get("messages") if isinstance(body, dict) else None
    found = {name for m in messages or [] if isinstance(m, dict) and m.get("role") == "user"
             for text in _texts(m.get("content")) for name in PATTERN.findall(text)}
    return frozenset(found & set(TRIGGERS))
