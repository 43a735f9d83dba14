"""Tiny deterministic audio for the TTS models: silence whose length follows the text.

Formats per docs/sources.md#openai-api § Request body > audio > format: ``wav`` (default), ``mp3``,
``pcm``/``pcm16``. Every encoding is valid and minimal: 24 kHz mono 16-bit, 10 ms of silence per
token, at least one token's worth.
"""

from __future__ import annotations

import struct

from . import tokens

__all__ = ["RATE", "encode", "pcm16", "wav", "mp3"]

RATE = 24_000
_SAMPLES_PER_TOKEN = RATE // 100
# One MPEG-1 Layer III frame, 128 kbit/s, 44.1 kHz, no padding: 417 bytes, all-zero side info = silence.
_MP3_FRAME = bytes.fromhex("fffb9064") + bytes(413)


def pcm16(text: str) -> bytes:
    """Raw little-endian 16-bit mono silence, 10 ms per token of ``text``."""
    return bytes(2 * _SAMPLES_PER_TOKEN * max(1, tokens.count(text)))


def wav(text: str) -> bytes:
    """A RIFF/WAVE file around :func:`pcm16`."""
    data = pcm16(text)
    fmt = struct.pack("<HHIIHH", 1, 1, RATE, RATE * 2, 2, 16)
    chunks = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(chunks)) + chunks


def mp3(text: str) -> bytes:
    """Silent MPEG audio frames, one (26 ms) per token of ``text``."""
    return _MP3_FRAME * max(1, tokens.count(text))


def encode(text: str, fmt: str) -> bytes:
    """Audio for ``text`` in ``fmt`` (``wav``, ``mp3`` or ``pcm16``)."""
    return {"wav": wav, "mp3": mp3, "pcm16": pcm16}.get(fmt, wav)(text)
