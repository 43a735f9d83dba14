"""Write evals/items/thinking.json: each small question asked with thinking enabled and disabled.

A pair differs only in the ``thinking`` option (and so in whether reasoning must come back); both
items of a pair go through the same protocol, pairs alternate protocols. Rerunning reproduces
the file byte for byte: ``python3 evals/generate_thinking.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "items" / "thinking.json"
MAX_TOKENS = 1024
SUFFIX = {"en": "\n\nEnd your reply with a line \"Answer: <number>\".", "zh": "\n\n最后一行写“答案：<数字>”。"}

# (slug, lang, question, answer)
QUESTIONS = [
    ("muffin_boxes", "en", "A bakery sells muffins in boxes of 6. Lena needs 45 muffins for a party. How many boxes must she buy?", 8),
    ("train_minutes", "en", "A train leaves at 14:35 and arrives at 17:10 the same day. How many minutes does the trip take?", 155),
    ("sibling_ages", "en", "Tom is twice as old as his sister. In 6 years the sum of their ages will be 45. How old is Tom now?", 22),
    ("discount_then_markup", "en",
     "A shirt costs 40 dollars. Its price is cut by 25%, and the reduced price is then raised by 10%. What is the final price in dollars?",
     33),
    ("divisible_by_3_or_5", "en", "How many whole numbers from 1 to 100 are divisible by 3 or by 5?", 47),
    ("children_in_row", "en", "In a row of children, Mia is 7th from the left and 12th from the right. How many children are in the row?",
     18),
    ("zh_pool_pipes", "zh", "一个水池装有进水管和出水管。单开进水管 6 小时注满，单开出水管 9 小时放空。两管同时打开，空池几小时注满？", 18),
    ("zh_heads_and_legs", "zh", "笼子里有鸡和兔子，共 20 个头、56 只脚。兔子有几只？", 8),
    ("zh_walk_or_cycle", "zh", "小明每分钟走 75 米，走了 24 分钟到学校。如果骑车每分钟 300 米，从家到学校需要几分钟？", 6),
    ("zh_pages_left", "zh", "一本书共 240 页，第一天读了全书的 1/4，第二天读了剩下的 1/3。还剩多少页没读？", 120),
    ("zh_reverse_operations", "zh", "一个数加上 15，再乘以 3，结果是 87。这个数是多少？", 14),
    ("zh_price_up_down", "zh", "某商品先涨价 20%，再降价 20%，现价是 96 元。原价是多少元？", 100),
]


def item(pair: int, slug: str, lang: str, question: str, answer: int, thinking: str) -> dict[str, Any]:
    """One item: the question with thinking ``enabled`` or ``disabled``, graded on reasoning and answer."""
    grader = {"type": "thinking", "reasoning": "present" if thinking == "enabled" else "absent", "answer": {"answer": answer}}
    return {
        "id": f"think.{slug}.{thinking}", "family": "thinking", "stratum": thinking, "lang": lang,
        "messages": [{"role": "user", "content": question + SUFFIX[lang]}], "thinking": thinking,
        "max_tokens": MAX_TOKENS, "protocols": [("openai", "anthropic")[pair % 2]], "requires": ["thinking"], "grader": grader,
    }


def family() -> dict[str, Any]:
    """The whole file's content."""
    return {
        "family": "thinking",
        "description": "The thinking option is honoured: the same small arithmetic or logic question with thinking enabled must "
                       "come back with reasoning, with thinking disabled without any, and the numeric answer is right both times.",
        "sources": [
            {"name": "Xiaomi MiMo API documentation", "url": "https://platform.xiaomimimo.com/static/docs/api/chat/openai-api.md",
             "what": "The thinking request option ({\"type\": \"enabled\" | \"disabled\"}), reasoning_content and thinking blocks "
                     "(docs/sources.md#openai-api § Request body > thinking)."},
            {"name": "GSM8K (Cobbe et al. 2021)", "url": "https://arxiv.org/abs/2110.14168",
             "what": "Grade-school word problems with one numeric answer read from the end of the reply."},
        ],
        "generator": "evals/generate_thinking.py",
        "items": [item(pair, *question, thinking) for pair, question in enumerate(QUESTIONS) for thinking in ("enabled", "disabled")],
    }


def text() -> str:
    """The file's exact text."""
    return json.dumps(family(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    OUT.write_text(text(), encoding="utf-8")
