"""Write evals/items/arithmetic.json: plain arithmetic and GSM8K-style word problems, EN and ZH.

Each template draws its numbers from one ``random.Random(SEED)`` and computes the answer here,
exactly: integers, or Decimals rounded half-up where the prompt says so (draws that would land on
a rounding tie are redrawn, so half-up and half-even agree). Re-running rewrites the file byte for
byte; tests/test_eval_numeric.py holds it to that.

    python3 evals/generate_arithmetic.py [--out PATH]
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Callable

SEED = 20231107
OUT = Path(__file__).resolve().parent / "items" / "arithmetic.json"
PER_LANG = 2  # items per template and language
PROTOCOLS = (["openai"], ["anthropic"])  # alternate item by item
MAX_TOKENS = {"expression": 128, "one_step": 160, "multi_step": 200}
FINAL_LINE = {
    "en": 'Give the final answer on the last line as "Answer: <number>" (just the number, no units).',
    "zh": "请在最后一行以“答案：<数字>”的格式给出最终答案（只写数字，不带单位）。",
}
NAMES = {"en": ["Maria", "Tom", "Aisha", "Kenji", "Lena", "Omar"], "zh": ["小明", "小红", "李华", "王芳", "张伟", "刘洋"]}
# (English singular, English plural, Chinese noun, Chinese measure word)
GOODS = [
    ("notebook", "notebooks", "笔记本", "本"), ("pen", "pens", "钢笔", "支"), ("apple", "apples", "苹果", "个"),
    ("towel", "towels", "毛巾", "条"), ("mug", "mugs", "杯子", "个"), ("ticket", "tickets", "门票", "张"),
]


@dataclass(frozen=True)
class Template:
    """A problem shape: its stratum, its text per language, and a draw of numbers with the answer."""

    name: str
    stratum: str
    text: dict[str, str]
    draw: Callable[[random.Random, str], dict[str, Any]]


def _rounded(value: Decimal, places: str) -> Decimal | None:
    """``value`` rounded half-up to ``places`` ("0.01", "1"), or None on an exact tie."""
    quantum = Decimal(places)
    remainder = (value / quantum) % 1
    return None if remainder == Decimal("0.5") else value.quantize(quantum, rounding=ROUND_HALF_UP)


def _sum_product(rng: random.Random, lang: str) -> dict[str, Any]:
    a, b, c, d = rng.randint(12, 89), rng.randint(12, 89), rng.randint(3, 9), rng.randint(5, 95)
    return {"a": a, "b": b, "c": c, "d": d, "answer": (a + b) * c - d}


def _with_division(rng: random.Random, lang: str) -> dict[str, Any]:
    a, c, e, k = rng.randint(3, 12), rng.randint(5, 30), rng.randint(3, 9), rng.randint(4, 15)
    b = c + rng.randint(4, 25)
    return {"a": a, "b": b, "c": c, "d": e * k, "e": e, "answer": a * (b - c) + k}


def _negative(rng: random.Random, lang: str) -> dict[str, Any]:
    b, c, d = rng.randint(6, 15), rng.randint(5, 20), rng.randint(5, 20)
    a = rng.randint(10, b * (c + d) - 10)
    return {"a": a, "b": b, "c": c, "d": d, "answer": a - b * (c + d)}


def _unit_price(rng: random.Random, lang: str) -> dict[str, Any]:
    one, many, noun, measure = rng.choice(GOODS)
    price, count = rng.randint(3, 28), rng.randint(6, 24)
    return {"one": one, "many": many, "noun": noun, "measure": measure, "price": price, "count": count, "answer": price * count}


def _minutes(rng: random.Random, lang: str) -> dict[str, Any]:
    hours, minutes = rng.randint(2, 9), rng.randint(5, 55)
    return {"hours": hours, "minutes": minutes, "answer": 60 * hours + minutes}


def _metres(rng: random.Random, lang: str) -> dict[str, Any]:
    metres = rng.randint(1005, 9995) // 5 * 5
    return {"km": Decimal(metres) / 1000, "answer": metres}


def _discount(rng: random.Random, lang: str) -> dict[str, Any]:
    price, percent = rng.randint(3, 30) * 20, rng.choice([10, 15, 20, 25, 30, 35, 40, 45])
    return {"price": price, "percent": percent, "answer": price * (100 - percent) // 100}


def _tax(rng: random.Random, lang: str) -> dict[str, Any]:
    while True:
        price, percent = Decimal(rng.randint(1000, 9999)).scaleb(-2), rng.choice([6, 7, 8, 9, 12, 13, 15])
        total = _rounded(price * (100 + percent) / 100, "0.01")
        if total is not None and total != price * (100 + percent) / 100:
            return {"price": price, "percent": percent, "answer": total}


def _change(rng: random.Random, lang: str) -> dict[str, Any]:
    (_, many1, noun1, m1), (_, many2, noun2, m2) = rng.sample(GOODS, 2)
    n1, p1, n2, p2 = rng.randint(2, 6), rng.randint(2, 9), rng.randint(2, 5), rng.randint(4, 15)
    bill = next(note for note in (20, 50, 100, 200) if note > n1 * p1 + n2 * p2)
    return {"name": rng.choice(NAMES[lang]), "n1": n1, "many1": many1, "noun1": noun1, "m1": m1, "p1": p1,
            "n2": n2, "many2": many2, "noun2": noun2, "m2": m2, "p2": p2, "bill": bill, "answer": bill - n1 * p1 - n2 * p2}


def _ages(rng: random.Random, lang: str) -> dict[str, Any]:
    elder, younger = rng.sample(NAMES[lang], 2)
    age, times, years = rng.randint(3, 14), rng.randint(2, 4), rng.randint(2, 9)
    return {"elder": elder, "younger": younger, "times": times, "years": years, "later": times * age + years, "answer": age}


def _tank(rng: random.Random, lang: str) -> dict[str, Any]:
    rate, minutes = rng.randint(4, 25), rng.randint(6, 40)
    have = rng.randint(5, 60) * 5
    return {"capacity": have + rate * minutes, "have": have, "rate": rate, "answer": minutes}


def _workers(rng: random.Random, lang: str) -> dict[str, Any]:
    rate, w1, d1, w2, d2 = rng.randint(1, 4), rng.randint(2, 6), rng.randint(2, 6), rng.randint(3, 9), rng.randint(2, 8)
    return {"w1": w1, "d1": d1, "made": rate * w1 * d1, "w2": w2, "d2": d2, "answer": rate * w2 * d2}


def _average(rng: random.Random, lang: str) -> dict[str, Any]:
    while True:
        scores, mean = [rng.randint(68, 98) for _ in range(4)], rng.randint(78, 90)
        needed = 5 * mean - sum(scores)
        if 0 <= needed <= 100:
            return {"name": rng.choice(NAMES[lang]), "s": scores, "mean": mean, "answer": needed}


def _raises(rng: random.Random, lang: str) -> dict[str, Any]:
    while True:
        salary, p1, p2 = rng.randint(25, 90) * 100, rng.choice([3, 4, 5, 6, 8]), rng.choice([2, 3, 5, 7])
        exact = Decimal(salary) * (100 + p1) * (100 + p2) / 10000
        if (whole := _rounded(exact, "1")) is not None:
            return {"name": rng.choice(NAMES[lang]), "salary": salary, "p1": p1, "p2": p2, "answer": whole}


TEMPLATES = [
    Template("sum_product", "expression", {
        "en": "Compute ({a} + {b}) × {c} - {d}.",
        "zh": "计算：({a} + {b}) × {c} - {d}。",
    }, _sum_product),
    Template("with_division", "expression", {
        "en": "Compute {a} × ({b} - {c}) + {d} ÷ {e}.",
        "zh": "计算：{a} × ({b} - {c}) + {d} ÷ {e}。",
    }, _with_division),
    Template("negative_result", "expression", {
        "en": "Compute {a} - {b} × ({c} + {d}).",
        "zh": "计算：{a} - {b} × ({c} + {d})。",
    }, _negative),
    Template("unit_price", "one_step", {
        "en": "One {one} costs {price} dollars. How many dollars do {count} {many} cost?",
        "zh": "一{measure}{noun}{price}元，买{count}{measure}{noun}一共要多少元？",
    }, _unit_price),
    Template("hours_to_minutes", "one_step", {
        "en": "How many minutes are there in {hours} hours and {minutes} minutes?",
        "zh": "{hours}小时{minutes}分钟一共是多少分钟？",
    }, _minutes),
    Template("km_to_m", "one_step", {
        "en": "A hiking trail is {km} kilometres long. How many metres long is it?",
        "zh": "一条步道长{km}千米，合多少米？",
    }, _metres),
    Template("discount", "one_step", {
        "en": "A jacket costs {price} dollars. In a sale its price is cut by {percent}%. What is the sale price in dollars?",
        "zh": "一件外套原价{price}元，促销时降价{percent}%。促销价是多少元？",
    }, _discount),
    Template("sales_tax", "one_step", {
        "en": "A meal costs {price} dollars before a {percent}% tax is added. What is the total in dollars, rounded to two decimal places?",
        "zh": "一顿饭税前{price}元，另加{percent}%的税。含税总价是多少元？结果保留两位小数（四舍五入）。",
    }, _tax),
    Template("shopping_change", "multi_step", {
        "en": "{name} buys {n1} {many1} at {p1} dollars each and {n2} {many2} at {p2} dollars each, and pays with a {bill}-dollar note. How many dollars of change does {name} get?",
        "zh": "{name}买了{n1}{m1}{noun1}，每{m1}{p1}元，又买了{n2}{m2}{noun2}，每{m2}{p2}元，付了一张{bill}元的钞票。应找回多少元？",
    }, _change),
    Template("ages", "multi_step", {
        "en": "{elder} is {times} times as old as {younger}. In {years} years, {elder} will be {later} years old. How old is {younger} now?",
        "zh": "{elder}的年龄是{younger}的{times}倍。{years}年后，{elder}将是{later}岁。{younger}现在几岁？",
    }, _ages),
    Template("fill_tank", "multi_step", {
        "en": "A tank holds {capacity} litres and already contains {have} litres. A pump adds {rate} litres per minute. How many minutes until the tank is full?",
        "zh": "一个水箱能装{capacity}升水，现在已有{have}升。水泵每分钟注入{rate}升。还要多少分钟能把水箱注满？",
    }, _tank),
    Template("workers", "multi_step", {
        "en": "{w1} workers make {made} chairs in {d1} days. Working at the same rate, how many chairs do {w2} workers make in {d2} days?",
        "zh": "{w1}名工人{d1}天做了{made}把椅子。按同样的效率，{w2}名工人{d2}天能做多少把椅子？",
    }, _workers),
    Template("average_needed", "multi_step", {
        "en": "{name} scored {s[0]}, {s[1]}, {s[2]} and {s[3]} on four tests. What score on the fifth test makes the average of all five exactly {mean}?",
        "zh": "{name}前四次测验的成绩是{s[0]}、{s[1]}、{s[2]}和{s[3]}分。第五次测验要考多少分，五次的平均分才正好是{mean}分？",
    }, _average),
    Template("two_raises", "multi_step", {
        "en": "{name} earns {salary} dollars a month, gets a {p1}% raise, and a year later a further {p2}% raise on the new salary. What is the monthly salary now, rounded to the nearest dollar?",
        "zh": "{name}月薪{salary}元，先涨了{p1}%，一年后又在新月薪的基础上涨了{p2}%。现在的月薪是多少元？结果四舍五入到整数。",
    }, _raises),
]

SOURCES = [
    {"name": "GSM8K (Cobbe et al. 2021, Training Verifiers to Solve Math Word Problems)", "url": "https://arxiv.org/abs/2110.14168",
     "what": "Grade-school word problems with a single final number, graded by exact match on that number; the templates here are original."},
    {"name": "openai/grade-school-math", "url": "https://github.com/openai/grade-school-math",
     "what": "The final-answer convention (a marked last line holding only the number) that the prompts ask for."},
]


def _json_number(value: int | Decimal) -> int | float:
    """An integral answer as a JSON integer, a decimal one as the shortest float that reads back."""
    return int(value) if value == int(value) else float(value)


def _item(index: int, template: Template, lang: str, rng: random.Random) -> dict[str, Any]:
    values = template.draw(rng, lang)
    prompt = template.text[lang].format(**values) + "\n" + FINAL_LINE[lang]
    return {
        "id": f"arith.{template.name}.{lang}{index % PER_LANG + 1}",
        "family": "arithmetic",
        "stratum": template.stratum,
        "lang": lang,
        "messages": [{"role": "user", "content": prompt}],
        "max_tokens": MAX_TOKENS[template.stratum],
        "protocols": PROTOCOLS[index % 2],
        "grader": {"type": "exact_number", "answer": _json_number(values["answer"])},
    }


def items(seed: int = SEED) -> list[dict[str, Any]]:
    """Every item: for each template, PER_LANG in English then PER_LANG in Chinese."""
    rng = random.Random(seed)
    plan = [(t, lang) for t in TEMPLATES for lang in ("en", "zh") for _ in range(PER_LANG)]
    return [_item(i, t, lang, rng) for i, (t, lang) in enumerate(plan)]


def document(seed: int = SEED) -> dict[str, Any]:
    """The family file's content."""
    return {
        "family": "arithmetic",
        "description": "Plain expressions with parentheses and one- to three-step word problems (shopping, rates, ages, "
                       "unit conversions, percentages), in English and Chinese, each with one exact number as the answer.",
        "sources": SOURCES,
        "generator": "evals/generate_arithmetic.py",
        "items": items(seed),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"where to write (default: {OUT})")
    args = parser.parse_args(argv)
    args.out.write_text(json.dumps(document(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
