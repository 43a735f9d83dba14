"""The media fixtures are real files, small, made by the committed script, and reach the cases intact."""

from __future__ import annotations

import base64
import wave

import pytest

from conformance import cases, make_media, media


def test_fixtures_are_what_the_script_makes_byte_for_byte() -> None:
    assert make_media.main(["--check"]) == 0


def test_every_fixture_is_a_few_kilobytes() -> None:
    sizes = {p.name: p.stat().st_size for p in media.MEDIA_DIR.iterdir()}
    assert set(sizes) == set(make_media.FIXTURES)
    assert {name: size for name, size in sizes.items() if not 100 < size < 24_000} == {}


@pytest.mark.parametrize("fmt", sorted(make_media.IMAGE_FORMATS))
def test_each_image_opens_in_its_own_format_at_48_pixels(fmt: str) -> None:
    from PIL import Image

    with Image.open(media.MEDIA_DIR / f"shapes.{fmt}") as picture:
        assert (picture.format, picture.size) == (make_media.IMAGE_FORMATS[fmt], (48, 48))


def test_the_speech_lasts_about_a_second_in_both_formats() -> None:
    import miniaudio

    with wave.open(str(media.MEDIA_DIR / "hello.wav"), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 11_025)
        assert 0.5 < w.getnframes() / w.getframerate() < 1.5
    assert 0.5 < miniaudio.decode_file(str(media.MEDIA_DIR / "hello.mp3")).duration < 1.6


def test_the_video_has_eight_h264_frames_over_two_seconds() -> None:
    import av

    with av.open(str(media.MEDIA_DIR / "clip.mp4")) as container:
        frames = list(container.decode(video=0))
    assert len(frames) == 8 and frames[0].width == 64 and frames[-1].time == pytest.approx(1.75)


def test_placeholders_become_base64_and_data_uris() -> None:
    raw = (media.MEDIA_DIR / "shapes.png").read_bytes()
    out = media.expand({"a": ["$media:shapes.png", "$media-uri:shapes.png", "not $media:shapes.png"]})
    assert base64.b64decode(out["a"][0]) == raw
    assert out["a"][1] == "data:image/png;base64," + out["a"][0]
    assert out["a"][2] == "not $media:shapes.png"  # only a whole string is a placeholder


def test_an_unknown_fixture_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(ValueError, match="no media fixture 'nope.png'.*shapes.png"):
        media.expand("$media:nope.png")


def test_every_placeholder_in_the_cases_names_a_fixture() -> None:
    for rel, doc in cases.load_files():
        for case in doc["cases"]:
            media.expand(case["request"])  # raises on an unknown fixture


def test_a_run_sends_the_fixture_not_the_placeholder() -> None:
    runs = [r for r in cases.runs(["mimo-v2.5"]) if "$media" in str(r.case["request"])]
    assert runs, "no case uses a media fixture"
    assert all("$media" not in str(r.request) for r in runs)
