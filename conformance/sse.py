"""A small incremental Server-Sent Events parser that keeps the raw transcript.

It follows the WHATWG "event stream interpretation" rules: lines end in CR, LF or CRLF; a leading
UTF-8 BOM is dropped; ``data`` lines join with LF; lines starting with ``:`` are comments; an
empty line dispatches the event. Unlike a client's ``EventSource`` it keeps what a conformance
checker needs: comments in order, events with an empty data buffer, and the exact ``event`` name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Union

__all__ = ["SSEEvent", "SSEComment", "Item", "SSEParser", "parse", "serialize"]


@dataclass(frozen=True)
class SSEEvent:
    """One dispatched event: its ``event`` field (None when absent), joined data, id and retry."""

    data: str
    event: str | None = None
    id: str | None = None
    retry: int | None = None

    @property
    def name(self) -> str:
        """The event type a browser would dispatch (``message`` when no ``event:`` line came)."""
        return self.event or "message"


@dataclass(frozen=True)
class SSEComment:
    """A comment line (``: PROCESSING``), without the leading colon."""

    text: str


Item = Union[SSEEvent, SSEComment]
_EOL = re.compile(r"\r\n|\r|\n")  # WHATWG: a line ends in CRLF, a lone CR or a lone LF


class SSEParser:
    """Feed bytes as they arrive; get back the events and comments completed so far."""

    def __init__(self) -> None:
        self._buffer = ""
        self._decoder_started = False
        self._pending_cr = False
        self._reset_fields()

    def _reset_fields(self) -> None:
        self._data: list[str] = []
        self._event: str | None = None
        self._id: str | None = None
        self._retry: int | None = None
        self._has_field = False

    def feed(self, chunk: bytes | str) -> list[Item]:
        """Parse one chunk; return the items it completed."""
        text = chunk.decode("utf-8", errors="replace") if isinstance(chunk, bytes) else chunk
        if not self._decoder_started and text:
            self._decoder_started = True
            text = text.removeprefix("\ufeff")
        if not text:
            return []  # an empty chunk changes nothing, not even a CR waiting for its LF
        if self._pending_cr and text.startswith("\n"):
            text = text[1:]
        self._pending_cr = False
        self._buffer += text
        return list(self._drain())

    def _drain(self) -> Iterable[Item]:
        buffer, start = self._buffer, 0
        for end in _EOL.finditer(buffer):
            if end.group() == "\r" and end.end() == len(buffer):
                self._pending_cr = True  # a CR at the end of a chunk may be half of a CRLF
            item = self._line(buffer[start : end.start()])
            start = end.end()
            if item is not None:
                yield item
        self._buffer = buffer[start:]

    def _line(self, line: str) -> Item | None:
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            return SSEComment(line[1:].removeprefix(" "))
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        self._has_field |= field in ("data", "event", "id", "retry")  # unknown fields are ignored
        if field == "data":
            self._data.append(value)
        elif field == "event":
            self._event = value
        elif field == "id" and "\0" not in value:
            self._id = value
        elif field == "retry" and value.isdigit():
            self._retry = int(value)
        return None

    def _dispatch(self) -> SSEEvent | None:
        if not self._has_field:
            return None
        event = SSEEvent("\n".join(self._data), self._event, self._id, self._retry)
        self._reset_fields()
        return event

    def close(self) -> list[Item]:
        """End of stream: a trailing event without its blank line is *not* dispatched (WHATWG)."""
        self._reset_fields()
        self._buffer = ""
        return []

    @property
    def pending(self) -> str:
        """Text received after the last complete line (a truncated stream leaves some here)."""
        return self._buffer


def parse(body: bytes | str) -> list[Item]:
    """The events and comments of a complete body."""
    parser = SSEParser()
    return parser.feed(body) + parser.close()


def serialize(items: Iterable[Item], newline: str = "\n") -> str:
    """The wire text of ``items``: the inverse of :func:`parse` for well-formed items."""
    out = []
    for item in items:
        if isinstance(item, SSEComment):
            out.append(f":{item.text}{newline}")
            continue
        if item.event is not None:
            out.append(f"event: {item.event}{newline}")
        if item.id is not None:
            out.append(f"id: {item.id}{newline}")
        if item.retry is not None:
            out.append(f"retry: {item.retry}{newline}")
        out.extend(f"data: {line}{newline}" for line in item.data.split("\n"))
        out.append(newline)
    return "".join(out)
