"""Real, deterministic audio for the TTS models: a voiced hum with one syllable per word, as long as speech.

Formats per docs/sources.md#openai-api § Request body > audio > format: ``wav`` (default; the
standard library's wave), ``mp3`` (LAME through lameenc, 32 kbit/s) and ``pcm``/``pcm16`` (raw
little-endian 16-bit samples). All are 24 kHz mono. The sound is not speech, but it lasts as long as
the text would take to say: :data:`SECONDS_PER_CHARACTER` for each character that is not a space
(a Chinese character counts :data:`CJK_WEIGHT` times), at least :data:`MIN_SECONDS`.
"""

from __future__ import annotations

import io
import math
import wave

import numpy as np

__all__ = ["RATE", "SECONDS_PER_CHARACTER", "CJK_WEIGHT", "MIN_SECONDS", "seconds", "pcm16", "wav", "mp3", "encode"]

RATE = 24_000
SECONDS_PER_CHARACTER = 0.06  # about 16 characters a second, an ordinary speaking pace
CJK_WEIGHT = 4  # a Chinese character is a syllable: about four Latin letters' time
MIN_SECONDS = 0.2
_PITCH = 140.0  # Hz: the hum's fundamental


def seconds(text: str) -> float:
    """How long the reference takes to say ``text``."""
    weight = sum(CJK_WEIGHT if "\u4e00" <= ch <= "\u9fff" else 1 for ch in text if not ch.isspace())
    return max(MIN_SECONDS, round(weight * SECONDS_PER_CHARACTER, 3))


def _samples(text: str) -> np.ndarray:
    """The hum as float samples in [-1, 1]: harmonics of the pitch under one swell per word."""
    n = int(RATE * seconds(text))
    t = np.arange(n) / RATE
    voice = sum(np.sin(2 * math.pi * _PITCH * k * t) / k for k in (1, 2, 3, 4))
    syllables = max(1, len(text.split()))
    swell = np.abs(np.sin(math.pi * syllables * t / max(t[-1], 1e-9))) if n > 1 else np.ones(n)
    return 0.3 * voice * swell


def pcm16(text: str) -> bytes:
    """Raw little-endian 16-bit mono samples at :data:`RATE`."""
    return (np.round(_samples(text) * 32767).astype("<i2")).tobytes()


def wav(text: str) -> bytes:
    """A RIFF/WAVE file around :func:`pcm16`, written by the standard library's wave."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm16(text))
    return out.getvalue()


def mp3(text: str) -> bytes:
    """MPEG-2 audio layer III of :func:`pcm16`, by LAME (deterministic for a given lameenc)."""
    import lameenc

    encoder = lameenc.Encoder()
    encoder.set_bit_rate(32)
    encoder.set_in_sample_rate(RATE)
    encoder.set_channels(1)
    encoder.set_quality(5)
    return bytes(encoder.encode(pcm16(text)) + encoder.flush())


def encode(text: str, fmt: str) -> bytes:
    """Audio for ``text`` in ``fmt`` (``wav``, ``mp3`` or ``pcm16``)."""
    return {"wav": wav, "mp3": mp3, "pcm16": pcm16}.get(fmt, wav)(text)
