"""Regenerates the media fixtures of ``cases/media/``: real images, speech and video, a few KB each.

``python3 -m conformance.make_media`` writes them; ``--check`` compares instead and exits 1 on a
difference (``tests/test_media.py`` runs it). Every fixture is made here, from nothing downloaded:

- ``shapes.{png,jpeg,gif,webp,bmp}``: one 48x48 drawing (a red disc, a blue square, a green bar) by
  Pillow, in each image format the Anthropic docs list (the OpenAI docs name none).
- ``hello.wav``: "Hello, MiMo." spoken by espeak-ng (Debian's ``espeak-ng`` package), silence
  trimmed, 22.05 kHz halved to 11.025 kHz by averaging sample pairs (numpy); ``hello.mp3``: the same
  samples encoded by LAME (lameenc), 16 kbit/s.
- ``clip.mp4``: eight 64x64 frames at 4 fps (two seconds, a square crossing the frame), H.264 by
  PyAV's libx264 on one thread.

Byte for byte, given the pinned Pillow, PyAV, lameenc and numpy of requirements.txt and espeak-ng
1.51 (Debian 12): a newer encoder may write other bytes for the same pictures and sounds.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
import wave
from pathlib import Path
from typing import Callable, Sequence

__all__ = ["MEDIA_DIR", "FIXTURES", "image", "speech_wav", "speech_mp3", "video", "main"]

MEDIA_DIR = Path(__file__).resolve().parent.parent / "cases" / "media"
IMAGE_FORMATS = {"png": "PNG", "jpeg": "JPEG", "gif": "GIF", "webp": "WEBP", "bmp": "BMP"}
SPOKEN = "Hello, MiMo."


def image(fmt: str) -> bytes:
    """The 48x48 drawing in ``fmt`` (a key of IMAGE_FORMATS); WebP lossless, JPEG at quality 85."""
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (48, 48), "white")
    draw = ImageDraw.Draw(picture)
    draw.ellipse((4, 4, 28, 28), fill=(220, 30, 30))
    draw.rectangle((26, 22, 44, 40), fill=(30, 60, 220))
    draw.rectangle((4, 38, 24, 44), fill=(30, 160, 60))
    options = {"webp": {"lossless": True}, "jpeg": {"quality": 85}}.get(fmt, {})
    out = io.BytesIO()
    picture.save(out, IMAGE_FORMATS[fmt], **options)
    return out.getvalue()


def _espeak_samples() -> tuple[bytes, int]:
    """espeak-ng's 16-bit mono samples of SPOKEN and their rate."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "spoken.wav"
        subprocess.run(["espeak-ng", "-s", "200", "-w", str(path), SPOKEN], check=True, capture_output=True)
        with wave.open(str(path), "rb") as w:
            return w.readframes(w.getnframes()), w.getframerate()


def _halved(samples: bytes) -> bytes:
    """Silence trimmed from both ends, then every two samples averaged into one (half the rate)."""
    import numpy as np

    pcm = np.frombuffer(samples, dtype="<i2").astype(np.int32)
    loud = np.flatnonzero(np.abs(pcm) > 256)
    pcm = pcm[loud[0] : loud[-1] + 1] if loud.size else pcm
    pcm = pcm[: len(pcm) // 2 * 2].reshape(-1, 2).mean(axis=1)
    return pcm.astype("<i2").tobytes()


def _speech() -> tuple[bytes, int]:
    samples, rate = _espeak_samples()
    return _halved(samples), rate // 2


def speech_wav() -> bytes:
    """SPOKEN as a 16-bit mono WAV file (the standard library's wave)."""
    samples, rate = _speech()
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples)
    return out.getvalue()


def speech_mp3() -> bytes:
    """SPOKEN as MPEG audio layer III, 16 kbit/s mono, by LAME."""
    import lameenc

    samples, rate = _speech()
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(16)
    encoder.set_in_sample_rate(rate)
    encoder.set_channels(1)
    encoder.set_quality(2)
    return bytes(encoder.encode(samples) + encoder.flush())


def video() -> bytes:
    """Eight 64x64 frames at 4 fps, a blue square crossing a white frame, as H.264 in MP4."""
    import av
    import numpy as np

    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=4, options={"threads": "1", "preset": "medium", "crf": "30"})
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        for n in range(8):
            frame = np.full((64, 64, 3), 255, dtype=np.uint8)
            frame[20:44, 4 + 6 * n : 20 + 6 * n] = (30, 60, 220)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())
    return out.getvalue()


FIXTURES: dict[str, Callable[[], bytes]] = {
    **{f"shapes.{fmt}": (lambda fmt=fmt: image(fmt)) for fmt in IMAGE_FORMATS},
    "hello.wav": speech_wav,
    "hello.mp3": speech_mp3,
    "clip.mp4": video,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Write every fixture, or with ``--check`` report the ones that differ from a fresh make (exit 1)."""
    parser = argparse.ArgumentParser(prog="python3 -m conformance.make_media", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed files, write nothing")
    args = parser.parse_args(argv)
    differ = []
    for name, make in FIXTURES.items():
        made, path = make(), MEDIA_DIR / name
        if args.check:
            differ += [] if path.exists() and path.read_bytes() == made else [name]
        else:
            MEDIA_DIR.mkdir(parents=True, exist_ok=True)
            path.write_bytes(made)
    for name in differ:
        print(f"cases/media/{name} differs from what conformance.make_media makes", file=sys.stderr)
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
