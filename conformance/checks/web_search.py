"""Web search: the usage counts what the tool allowed, a forced search searches, sources come first in a stream."""

from __future__ import annotations

from typing import Any, Iterator

from ..basis import Rule
from ..exchange import Exchange
from ._common import at, choice_deltas, is_int, json_events, where
from .registry import check
from .usage import _openai_usages

__all__: list[str] = []

Violations = Iterator[Any]
TOOL = "docs/sources.md#openai-api § Request body > tools > Web search tool"
USAGE = "docs/sources.md#openai-api § Chat response object (non-streaming output) > usage > web_search_usage"
ANNOTATIONS = "docs/sources.md#openai-api § Chat response object (non-streaming output) > choices > message > annotations"
FIRST_PACKET = ("docs/sources.md#news-v2-flash-2026-03-03 § Core Capabilities > Early search source return "
                "(\"In the streaming response, the first packet will return all search sources\")")
UNSEEN = Rule("reference", "the docs do not say that web_search_usage or annotations come back, only what they hold: "
              "an answer showing neither leaves a forced search unproven")


def _tool(exchange: Exchange) -> dict[str, Any] | None:
    """The request's first web search tool."""
    tools = exchange.request.json.get("tools")
    return next((t for t in tools or [] if isinstance(t, dict) and t.get("type") == "web_search"), None) \
        if isinstance(tools, list) else None


def _uses_search(exchange: Exchange) -> bool:
    return exchange.protocol == "openai" and exchange.ok and _tool(exchange) is not None


def _web_usages(exchange: Exchange) -> Iterator[tuple[str, dict[str, Any]]]:
    for loc, usage in _openai_usages(exchange):
        if isinstance(usage.get("web_search_usage"), dict):
            yield f"{loc}/web_search_usage", usage["web_search_usage"]


@check("openai.web_search.pages_within_limit", applies=_uses_search, basis="documented", source=f"{TOOL} > limit; {USAGE}")
def pages_within_limit(exchange: Exchange) -> Violations:
    """web_search_usage counts are whole numbers, and page_usage is at most tool_usage times the tool's limit."""
    limit = _tool(exchange).get("limit", 5)  # the documented default
    for loc, counts in _web_usages(exchange):
        calls, pages = counts.get("tool_usage"), counts.get("page_usage")
        for name, value in (("tool_usage", calls), ("page_usage", pages)):
            if value is not None and not (is_int(value) and value >= 0):
                yield f"{loc}/{name}", f"expected a count, got {value!r}"
        if is_int(calls) and is_int(pages) and is_int(limit) and pages > calls * limit:
            yield f"{loc}/page_usage", f"expected at most {calls} search(es) x limit {limit} = {calls * limit} pages, got {pages}"


def _annotations(exchange: Exchange) -> list[tuple[str, Any]]:
    """(location, annotations) of the plain message or of every chunk's delta that carries some."""
    if exchange.streamed:
        return [(at(i, f"/choices/{k}/delta/annotations"), (c.get("delta") or {}).get("annotations"))
                for i, k, c in choice_deltas(exchange) if (c.get("delta") or {}).get("annotations")]
    choices = exchange.body.get("choices") if isinstance(exchange.body, dict) else None
    message = (choices[0] or {}).get("message") if isinstance(choices, list) and choices and isinstance(choices[0], dict) else {}
    found = message.get("annotations") if isinstance(message, dict) else None
    return [("/choices/0/message/annotations", found)] if found else []


@check("openai.web_search.forced_search_ran", applies=_uses_search, basis="documented", source=f"{TOOL} > force_search; {USAGE}")
def forced_search_ran(exchange: Exchange) -> Violations:
    """With force_search true the answer shows a search: web_search_usage.tool_usage at least 1, or annotations."""
    if _tool(exchange).get("force_search") not in (True, "true"):
        return
    usages = list(_web_usages(exchange))
    for loc, counts in usages:
        if is_int(counts.get("tool_usage")) and counts["tool_usage"] < 1:
            yield f"{loc}/tool_usage", f"expected a search with force_search true, got tool_usage {counts['tool_usage']}"
    if not usages and not _annotations(exchange):
        yield "/usage", "expected web_search_usage or annotations with force_search true, got neither", UNSEEN


@check("openai.stream.sources_first", applies=lambda ex: _uses_search(ex) and ex.streamed, basis="documented",
       source=FIRST_PACKET + "; " + ANNOTATIONS)
def sources_first(exchange: Exchange) -> Violations:
    """A streamed answer's search sources (annotations) all come in its first chunk."""
    first = next((i for i, _ in json_events(exchange)), None)
    for loc, _ in _annotations(exchange):
        if not loc.startswith(at(first, "/")):
            yield loc, f"expected every annotation in the first chunk (event {first}), got some later"
