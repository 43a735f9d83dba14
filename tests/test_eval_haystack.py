"""Haystacks: the same spec renders the same bytes, needles sit at their depth, and every
long_context item renders to within 10% of its stated size."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import pytest

from conformance.evals.haystack import PLACEHOLDER, estimate_tokens, haystack, render

ROOT = Path(__file__).resolve().parent.parent
ITEMS = json.loads((ROOT / "evals/items/long_context.json").read_text(encoding="utf-8"))["items"]
NEEDLE = "The access code for the Quillon archive is 482913."


def _spec(lang: str = "en", tokens: int = 4000, seed: int = 7, needles: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"seed": seed, "tokens": tokens, "lang": lang, "needles": needles or [{"text": NEEDLE, "depth": 0.5}]}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_same_spec_renders_the_same_bytes(lang: str) -> None:
    assert haystack(_spec(lang)).encode() == haystack(_spec(lang)).encode()
    assert haystack(_spec(lang, seed=8)) != haystack(_spec(lang))


def test_filler_is_pinned_across_python_versions() -> None:
    # SplitMix64 is written out in haystack.py; this pins its first sentence for seed 7.
    assert haystack(_spec(tokens=40, needles=[{"text": "N.", "depth": 1}])).startswith(
        "A travelling painter spent the afternoon near the little stone bridge without saying a word to anyone.")


@pytest.mark.parametrize("depth", [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_needle_sits_at_its_depth(lang: str, depth: float) -> None:
    text = haystack(_spec(lang, needles=[{"text": NEEDLE, "depth": depth}]))
    position = text.index(NEEDLE) / (len(text) - len(NEEDLE))
    assert abs(position - depth) < 0.02
    assert text.count(NEEDLE) == 1


def test_needles_at_the_ends_open_and_close_the_text() -> None:
    first, last = "First needle.", "Last needle."
    text = haystack(_spec(needles=[{"text": last, "depth": 1.0}, {"text": first, "depth": 0.0}]))
    assert text.startswith(first) and text.endswith(last)


def test_needles_at_one_depth_keep_their_order() -> None:
    needles = [{"text": f"Needle number {word}.", "depth": 0.4} for word in ("one", "two", "three")]
    text = haystack(_spec(needles=needles))
    assert text.index("number one") < text.index("number two") < text.index("number three")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_filler_has_no_digits(lang: str) -> None:
    assert not re.search(r"\d", haystack(_spec(lang, needles=[{"text": "x", "depth": 0.5}])))


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("tokens", [500, 8000, 64000])
def test_haystack_has_the_size_asked_for(lang: str, tokens: int) -> None:
    assert abs(estimate_tokens(haystack(_spec(lang, tokens))) / tokens - 1) < 0.02


def test_estimate_counts_four_latin_or_one_and_a_half_cjk_characters_per_token() -> None:
    assert estimate_tokens("abcd" * 100) == 100
    assert estimate_tokens("汉字" * 75) == 100
    assert estimate_tokens("ab，汉字。") == 4  # 4 CJK characters / 1.5 + 2 latin / 4 = 3.17, rounded up
    assert estimate_tokens("") == 0


def test_render_fills_the_placeholder_and_leaves_the_rest() -> None:
    item = {"messages": [{"role": "user", "content": "Read:\n" + PLACEHOLDER + "\nDone?"}, {"role": "assistant", "content": "{x}"}],
            "haystack": _spec(tokens=300)}
    original = json.dumps(item)
    messages = render(item)
    assert messages[0]["content"] == "Read:\n" + haystack(item["haystack"]) + "\nDone?"
    assert messages[1] == {"role": "assistant", "content": "{x}"}
    assert json.dumps(item) == original


@pytest.mark.parametrize("item", ITEMS, ids=lambda i: i["id"])
def test_item_renders_within_ten_percent_of_its_size(item: dict[str, Any]) -> None:
    prompt = "".join(m["content"] for m in render(item))
    assert abs(estimate_tokens(prompt) / item["context_tokens"] - 1) <= 0.10
    assert PLACEHOLDER not in prompt
    assert all(prompt.count(n["text"]) == 1 for n in item["haystack"]["needles"])


def test_items_cover_every_size_language_and_needle_count() -> None:
    cells = {(i["context_tokens"], i["lang"], i["protocols"][0]) for i in ITEMS}
    assert cells == {(size, lang, p) for size in (8000, 16000, 32000, 64000, 128000) for lang in ("en", "zh") for p in ("openai", "anthropic")}
    assert {(len(i["haystack"]["needles"]) > 1, i["protocols"][0]) for i in ITEMS} == {(m, p) for m in (False, True) for p in ("openai", "anthropic")}
    assert {len(i["haystack"]["needles"]) for i in ITEMS} == {1, 2, 3, 4}
    assert [i["protocols"] for i in ITEMS] == [[("openai", "anthropic")[n % 2]] for n in range(len(ITEMS))]
    assert all(i["max_tokens"] == 128 for i in ITEMS)


def test_generator_reproduces_the_file() -> None:
    spec = importlib.util.spec_from_file_location("generate_long_context", ROOT / "evals/generate_long_context.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.text() == (ROOT / "evals/items/long_context.json").read_text(encoding="utf-8")
