"""Write evals/items/long_context.json: access codes hidden in synthetic haystacks, 8k to 128k tokens.

For each size and language: one item with a single needle and one with several (RULER's
multi-key variant). Codes and depths come from ``random.Random(seed).random()``, the one
method Python promises to keep stable. Rerunning reproduces the file byte for byte:
``python3 evals/generate_long_context.py``.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from conformance.evals.haystack import PLACEHOLDER, estimate_tokens  # noqa: E402 - after the path is set

OUT = ROOT / "evals" / "items" / "long_context.json"
SIZES = [8000, 16000, 32000, 64000, 128000]
MAX_TOKENS = 128

PLACES = {
    "en": ["Quillon", "Marrow Bay", "Lindenfeld", "Ostry Hill", "Vantor", "Elmsreach", "Corvale", "Saltmere"],
    "zh": ["青石镇", "白鹭湾", "松柏岭", "云溪", "铜雀台", "落霞村", "枫林渡", "雁回山"],
}
NEEDLE = {"en": "The access code for the {place} archive is {code}.", "zh": "{place}档案馆的访问密码是{code}。"}
PROMPT = {
    "en": "Below is a long collection of short notes. Somewhere in it, sentences give the access codes of archives.\n\n"
          "<notes>\n" + PLACEHOLDER + "\n</notes>\n\n"
          "List every archive mentioned in the notes with its access code, one per line as \"<archive>: <code>\". Write nothing else.",
    "zh": "下面是一大段零散的记录，其中有句子给出了一些档案馆的访问密码。\n\n<记录>\n" + PLACEHOLDER + "\n</记录>\n\n"
          "请列出记录中提到的每个档案馆及其访问密码，每行一个，格式为“档案馆：密码”，不要写其他内容。",
}


def needles(rng: random.Random, lang: str, count: int) -> list[dict[str, Any]]:
    """``count`` needles with distinct places and six-digit codes, spread over the depth range."""
    start = int(rng.random() * len(PLACES[lang]))
    places = [PLACES[lang][(start + i) % len(PLACES[lang])] for i in range(count)]
    codes = [str(100000 + int(rng.random() * 900000)) for _ in places]
    depths = [round((i + 0.1 + 0.8 * rng.random()) / count, 2) for i in range(count)]
    return [{"text": NEEDLE[lang].format(place=p, code=c), "depth": d, "code": c} for p, c, d in zip(places, codes, depths)]


def item(index: int, size: int, lang: str, count: int) -> dict[str, Any]:
    """One item: a prompt of about ``size`` tokens holding ``count`` needles; the answer must list all codes."""
    seed = 1000 + index
    chosen = needles(random.Random(seed), lang, count)
    prompt_tokens = estimate_tokens(PROMPT[lang].replace(PLACEHOLDER, ""))
    spec = {"seed": seed, "tokens": size - prompt_tokens, "lang": lang,
            "needles": [{"text": n["text"], "depth": n["depth"]} for n in chosen]}
    return {
        "id": f"lc.{size // 1000}k.{lang}_{'single' if count == 1 else f'multi{count}'}", "family": "long_context",
        "stratum": f"{size // 1000}k", "lang": lang, "messages": [{"role": "user", "content": PROMPT[lang]}],
        "max_tokens": MAX_TOKENS, "protocols": [("openai", "anthropic")[index % 2]], "context_tokens": size,
        "haystack": spec, "grader": {"type": "needles", "values": [n["code"] for n in chosen]},
    }


def grid() -> list[tuple[int, str, int]]:
    """(size, language, needles) in file order, so that protocols alternate item by item and each
    size, language and needle count still meets both protocols (parity of size + language + kind)."""
    order = []
    for s, size in enumerate(SIZES):
        cells = [((s + t + c) % 2, (size, lang, count)) for t, lang in enumerate(("en", "zh"))
                 for c, count in enumerate((1, 2 + (s + t) % 3))]
        evens, odds = ([cell for parity, cell in cells if parity == p] for p in (0, 1))
        order += [cell for pair in zip(evens, odds) for cell in pair]
    return order


def family() -> dict[str, Any]:
    """The whole file's content."""
    return {
        "family": "long_context",
        "description": "Long-context retrieval: one to four access codes hidden at set depths in a synthetic haystack of 8k to "
                       "128k tokens (English or Chinese); the answer must list every code.",
        "sources": [
            {"name": "Needle in a Haystack (Kamradt 2023)", "url": "https://github.com/gkamradt/LLMTest_NeedleInAHaystack",
             "what": "A fact inserted at a chosen depth of a long filler text, retrieval scored across context sizes and depths."},
            {"name": "RULER (Hsieh et al. 2024)", "url": "https://arxiv.org/abs/2404.06654",
             "what": "Synthetic haystacks of set sizes and the multi-key needle variant: several keys, all to be retrieved."},
        ],
        "generator": "evals/generate_long_context.py",
        "items": [item(i, *spec) for i, spec in enumerate(grid())],
    }


def text() -> str:
    """The file's exact text."""
    return json.dumps(family(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    OUT.write_text(text(), encoding="utf-8")
