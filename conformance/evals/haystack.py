"""Synthetic haystacks for long-context items: seeded filler with needles at given depths.

The Needle-in-a-Haystack design (Kamradt 2023) with RULER's several keys (Hsieh et al. 2024),
without an external corpus: the filler is sentences drawn from the word lists below by a
seeded SplitMix64 generator written here (``random``'s methods other than ``random()`` are not
promised stable across Python versions), so a spec renders to the same bytes anywhere. The
filler holds no digits, so a needle's number occurs nowhere else in the text.

``item["haystack"]`` = ``{"seed", "tokens", "lang", "needles": [{"text", "depth"}]}``: ``tokens``
is the size of the haystack with its needles (by ``estimate_tokens``), ``depth`` the fraction of
the filler that comes before the needle (0: first sentence, 1: after the last).
"""

from __future__ import annotations

import math
import re
from typing import Any, Iterator

__all__ = ["PLACEHOLDER", "render", "haystack", "estimate_tokens"]

PLACEHOLDER = "{haystack}"

# Chinese, Japanese and Korean ideographs, kana, hangul, and the CJK and full-width punctuation.
_CJK = re.compile(r"[\u1100-\u11ff\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


def estimate_tokens(text: str) -> int:
    """About 1.5 CJK characters or 4 other characters per token (BPE tokenizers' usual rate)."""
    cjk = len(_CJK.findall(text))
    return math.ceil(cjk / 1.5 + (len(text) - cjk) / 4)


_EN = (
    ("The old ferryman", "A quiet librarian", "The village baker", "A travelling painter", "The harbour master",
     "Our elderly neighbour", "A young gardener", "The night watchman", "A curious schoolgirl", "The weaver's apprentice",
     "A retired sailor", "The choir director"),
    ("walked slowly along", "wrote a long letter about", "sketched a careful picture of", "told a winding story about",
     "spent the afternoon near", "complained cheerfully about", "remembered a summer spent by", "hummed a tune while passing",
     "swept the path beside", "searched for a lost glove near"),
    ("the grey harbour", "the hills beyond the town", "a field of tall sunflowers", "the narrow market street",
     "the abandoned mill", "the chestnut trees by the school", "the little stone bridge", "the orchard behind the chapel",
     "the windy cliffs", "a pond full of reeds", "the station platform", "the bakery on the corner"),
    ("before the rain began", "while the bells were ringing", "as the fog rolled in", "without saying a word to anyone",
     "until the lamps were lit", "long after the market had closed", "while the gulls argued overhead",
     "as the kettle started to whistle", "on a pale and windless morning", "just as the tide turned"),
)
_ZH = (
    ("河边的老船夫", "图书馆的管理员", "村口的面包师", "一位旅行画家", "码头的值班员", "隔壁的老奶奶", "年轻的园丁",
     "夜里巡逻的守卫", "好奇的小女孩", "织布坊的学徒", "退休的水手", "合唱团的指挥"),
    ("慢慢走过", "写了一封长信讲述", "仔细地画下了", "绕着圈子讲起了", "整个下午都待在", "笑着抱怨起", "想起了夏天住过的",
     "哼着小曲走过", "清扫了", "为了找丢失的手套走遍了"),
    ("灰色的港口", "小镇后面的山丘", "一大片向日葵田", "狭窄的集市街道", "废弃的磨坊", "学校旁的栗子树", "小小的石桥",
     "教堂后面的果园", "风很大的悬崖", "长满芦苇的池塘", "火车站的站台", "街角的面包店"),
    ("，那时雨还没有下", "，钟声正在响起", "，雾气慢慢漫了过来", "，一句话也没有说", "，直到路灯亮起", "，集市早已收摊",
     "，海鸥在头顶争吵", "，水壶刚刚开始鸣响", "，那是一个没有风的清晨", "，恰好赶上潮水退去"),
)
_LANGS = {"en": (_EN, "{} {} {} {}.", " "), "zh": (_ZH, "{}{}{}{}。", "")}
_PARAGRAPH = 6  # sentences per paragraph
_MASK = (1 << 64) - 1


def _splitmix64(seed: int) -> Iterator[int]:
    state = seed & _MASK
    while True:
        state = (state + 0x9E3779B97F4A7C15) & _MASK
        z = ((state ^ (state >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        yield z ^ (z >> 31)


def _sentences(seed: int, lang: str) -> Iterator[str]:
    words, template, _ = _LANGS[lang]
    numbers = _splitmix64(seed)
    while True:
        yield template.format(*(options[next(numbers) % len(options)] for options in words))


def _filler(seed: int, lang: str, tokens: int) -> list[str]:
    # Running character counts, not estimate_tokens per sentence: one pass, no rounding drift.
    chosen, cjk, other = [], 0, 0
    sentences, separator = _sentences(seed, lang), len(_LANGS[lang][2])
    while cjk / 1.5 + other / 4 < tokens:
        chosen.append(next(sentences))
        n = len(_CJK.findall(chosen[-1]))
        cjk, other = cjk + n, other + len(chosen[-1]) - n + separator
    return chosen


def _join(sentences: list[str], lang: str) -> str:
    space = _LANGS[lang][2]
    paragraphs = (sentences[i:i + _PARAGRAPH] for i in range(0, len(sentences), _PARAGRAPH))
    return "\n\n".join(space.join(p) for p in paragraphs)


def haystack(spec: dict[str, Any]) -> str:
    """The haystack text a spec describes: filler of about ``tokens`` tokens, needles inside."""
    needles = spec["needles"]
    budget = spec["tokens"] - sum(estimate_tokens(n["text"]) for n in needles)
    sentences = _filler(spec["seed"], spec["lang"], max(budget, 0))
    filler = len(sentences)
    # Deepest (and, at one depth, last listed) first, so no insertion shifts a later one.
    for _, needle in sorted(enumerate(needles), key=lambda n: (n[1]["depth"], n[0]), reverse=True):
        sentences.insert(round(needle["depth"] * filler), needle["text"])
    return _join(sentences, spec["lang"])


def render(item: dict[str, Any]) -> list[dict[str, Any]]:
    """The item's messages with ``{haystack}`` replaced by the haystack its spec describes."""
    text = haystack(item["haystack"])
    return [{**m, "content": m["content"].replace(PLACEHOLDER, text)} for m in item["messages"]]
