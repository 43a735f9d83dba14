"""Verifiable instructions, IFEval-style: each constraint kind is a named check over the answer.

Modelled on Zhou et al. 2023, "Instruction-Following Evaluation for Large Language Models"
(https://arxiv.org/abs/2311.07911) and its reference checkers (google-research,
instruction_following_eval), rewritten here without nltk or langdetect, for English and Chinese.
The counting rules the reference leaves to a library are ours, stated once here:

- A *word* is a run of letters (inner apostrophes kept), a number (``3.5``, ``1,200``) or one Han
  character: a Chinese answer is measured in characters, the way Chinese length limits (字数) are.
- A *sentence* ends at ``.`` ``!`` ``?`` followed by whitespace or the end, at ``。！？``, or at a
  blank line; "e.g. this" therefore counts as two.
- A *paragraph* is a block between blank lines or ``***``/``---`` dividers.
- A line that is only a ``<<title>>`` or a ``#`` heading is neither a sentence nor a paragraph.
- The *language* is zh when Han characters are at least as many as Latin-script words, else en
  (numbers count for neither; no letters at all is no language).
- Keywords match case-insensitively; a keyword's Latin ends match on word boundaries ("cat" is
  not in "category"), Han text matches anywhere.

The score is the fraction of constraints met; the item passes when all are (IFEval's strict
prompt-level accuracy), and the detail names every constraint that failed and why.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable

from ..outcome import Outcome, Score

__all__ = ["CONSTRAINTS", "constraint", "grade", "check_item"]

# A check returns None when the answer meets the constraint, else a short reason.
Check = Callable[[str, dict[str, Any]], "str | None"]
CONSTRAINTS: dict[str, Check] = {}

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_LATIN_WORD = rf"[^\W\d_{_HAN}]+(?:['’][^\W\d_{_HAN}]+)*"
_WORD = re.compile(rf"[{_HAN}]|\d+(?:[.,]\d+)*|{_LATIN_WORD}")
_HAN_CHAR = re.compile(rf"[{_HAN}]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]+(?:['’][A-Za-z\u00c0-\u024f]+)*")
_NOT_PROSE = re.compile(r"^[ \t]*(?:<<[^<>\n]*>>|#{1,6}[ \t][^\n]*)[ \t]*$", re.M)
_SENTENCE_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s|$)|[。！？]+[”’」』）]*|\n[ \t]*\n")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n|^[ \t]*(?:\*{3,}|-{3,})[ \t]*$", re.M)
_BULLET = re.compile(r"^[ \t]*[*-][ \t]+\S", re.M)
_NUMBERED = re.compile(r"^[ \t]*\d+(?:[.)][ \t]+|[、．）][ \t]*)\S", re.M)
_HIGHLIGHT = re.compile(r"\*\*(?!\s)[^\n*]+?(?<!\s)\*\*|\*(?!\s)[^\n*]+?(?<!\s)\*")
_PLACEHOLDER = re.compile(r"\[[^\[\]\n]*[^\[\]\s][^\[\]\n]*\]")
_TITLE = re.compile(r"<<[^<>\n]*[^<>\s][^<>\n]*>>")
_FENCE = re.compile(r"^```(?:json)?[ \t]*\n(.*?)\n?[ \t]*```$", re.S | re.I)
_COMMAS = (",", "，")  # ASCII and full-width; the enumeration mark 、 is not a comma (逗号)
_QUOTES = (('"', '"'), ("“", "”"))
# A rough ceiling on words per output token, to catch a minimum that max_tokens cannot reach.
_WORDS_PER_TOKEN = 0.7


def constraint(kind: str) -> Callable[[Check], Check]:
    """Register a check under ``kind``, the name items, schema and failure details use."""

    def register(check: Check) -> Check:
        CONSTRAINTS[kind] = check
        return check

    return register


def _bounds(low: int | None, high: int | None) -> str:
    if low == high:
        return f"exactly {low}"
    if high is None:
        return f"at least {low}"
    if low is None:
        return f"at most {high}"
    return f"{low} to {high}"


def _within(count: int, spec: dict[str, Any], unit: str) -> str | None:
    low, high = spec.get("min"), spec.get("max")
    if (low is None or count >= low) and (high is None or count <= high):
        return None
    return f"found {count} {unit}, want {_bounds(low, high)}"


def _prose(text: str) -> str:
    """The text without title-only and heading-only lines."""
    return _NOT_PROSE.sub("", text)


def _pieces(pattern: re.Pattern[str], text: str) -> list[str]:
    return [piece for piece in pattern.split(text) if re.search(r"\w", piece)]


def _occurrences(word: str, text: str) -> int:
    """How often ``word`` occurs, case-insensitively, its Latin ends on word boundaries."""
    head = r"(?<![A-Za-z0-9])" if re.match(r"[A-Za-z0-9]", word) else ""
    tail = r"(?![A-Za-z0-9])" if re.search(r"[A-Za-z0-9]$", word) else ""
    body = r"\s+".join(re.escape(part) for part in word.split())
    return len(re.findall(head + body + tail, text, flags=re.I))


def _bare(text: str) -> str:
    """The answer without surrounding whitespace and quotation marks (as IFEval's end check)."""
    return text.strip().strip('"“”').strip()


def _clip(text: str, width: int = 40) -> str:
    return text if len(text) <= width else "…" + text[-width:]


@constraint("word_count")
def word_count(text: str, spec: dict[str, Any]) -> str | None:
    """Words (Han characters, for Chinese) within [min, max]."""
    return _within(len(_WORD.findall(text)), spec, "words")


@constraint("sentence_count")
def sentence_count(text: str, spec: dict[str, Any]) -> str | None:
    """Sentences within [min, max]."""
    return _within(len(_pieces(_SENTENCE_END, _prose(text))), spec, "sentences")


@constraint("paragraph_count")
def paragraph_count(text: str, spec: dict[str, Any]) -> str | None:
    """Paragraphs (blocks between blank lines or dividers) within [min, max]."""
    return _within(len(_pieces(_PARAGRAPH_BREAK, _prose(text))), spec, "paragraphs")


@constraint("bullet_count")
def bullet_count(text: str, spec: dict[str, Any]) -> str | None:
    """Markdown bullet lines ("* " or "- ") within [min, max]."""
    return _within(len(_BULLET.findall(text)), spec, "bullet points")


@constraint("numbered_count")
def numbered_count(text: str, spec: dict[str, Any]) -> str | None:
    """Numbered list lines ("1. ", "2) ", "3、") within [min, max]."""
    return _within(len(_NUMBERED.findall(text)), spec, "numbered items")


@constraint("highlight_count")
def highlight_count(text: str, spec: dict[str, Any]) -> str | None:
    """Markdown-highlighted *sections* or **sections** within [min, max]."""
    return _within(len(_HIGHLIGHT.findall(text)), spec, "highlighted sections")


@constraint("placeholder_count")
def placeholder_count(text: str, spec: dict[str, Any]) -> str | None:
    """Square-bracket placeholders like [name] within [min, max]."""
    return _within(len(_PLACEHOLDER.findall(text)), spec, "placeholders")


@constraint("letter_frequency")
def letter_frequency(text: str, spec: dict[str, Any]) -> str | None:
    """Occurrences of one letter, either case, within [min, max]."""
    return _within(text.casefold().count(spec["letter"].casefold()), spec, f"letter {spec['letter']!r}")


@constraint("include_keywords")
def include_keywords(text: str, spec: dict[str, Any]) -> str | None:
    """Every keyword occurs at least ``min`` times (default 1)."""
    want = spec.get("min", 1)
    short = [f"{word!r} {n}/{want}" for word in spec["keywords"] if (n := _occurrences(word, text)) < want]
    return f"too few: {', '.join(short)}" if short else None


@constraint("forbidden_words")
def forbidden_words(text: str, spec: dict[str, Any]) -> str | None:
    """None of the words occurs."""
    found = [word for word in spec["words"] if _occurrences(word, text)]
    return f"uses {', '.join(map(repr, found))}" if found else None


@constraint("lowercase")
def lowercase(text: str, spec: dict[str, Any]) -> str | None:
    """Has letters with case, none of them capital."""
    if text.islower():
        return None
    return "has capital letters" if any(c.isupper() for c in text) else "has no letters with case"


@constraint("uppercase")
def uppercase(text: str, spec: dict[str, Any]) -> str | None:
    """Has letters with case, all of them capital."""
    if text.isupper():
        return None
    return "has lowercase letters" if any(c.islower() for c in text) else "has no letters with case"


@constraint("start_with")
def start_with(text: str, spec: dict[str, Any]) -> str | None:
    """Begins with the phrase, ignoring case and surrounding whitespace and quotation marks."""
    if _bare(text).casefold().startswith(spec["phrase"].strip().casefold()):
        return None
    return f"starts with {_bare(text)[:40]!r}"


@constraint("end_with")
def end_with(text: str, spec: dict[str, Any]) -> str | None:
    """Ends with the phrase, nothing after it, ignoring case and surrounding whitespace and quotes."""
    if _bare(text).casefold().endswith(spec["phrase"].strip().casefold()):
        return None
    return f"ends with {_clip(_bare(text))!r}"


@constraint("quoted")
def quoted(text: str, spec: dict[str, Any]) -> str | None:
    """The whole answer is wrapped in double quotation marks ("…" or “…”)."""
    stripped = text.strip()
    if len(stripped) >= 2 and any(stripped[0] == a and stripped[-1] == b for a, b in _QUOTES):
        return None
    return "not wrapped in double quotation marks"


@constraint("json")
def json_format(text: str, spec: dict[str, Any]) -> str | None:
    """The whole answer is a JSON object or array, optionally in a ```json fence."""
    stripped = text.strip()
    fenced = _FENCE.match(stripped)
    try:
        value = json.loads(fenced.group(1) if fenced else stripped)
    except ValueError as exc:
        return f"not JSON ({exc.msg} at char {exc.pos})" if isinstance(exc, json.JSONDecodeError) else "not JSON"
    return None if isinstance(value, (dict, list)) else f"JSON {type(value).__name__}, not an object or array"


@constraint("title")
def title(text: str, spec: dict[str, Any]) -> str | None:
    """Has a title in double angular brackets, <<like this>>."""
    return None if _TITLE.search(text) else "no <<title>>"


@constraint("no_comma")
def no_comma(text: str, spec: dict[str, Any]) -> str | None:
    """Has no comma, ASCII or full-width."""
    found = sum(text.count(c) for c in _COMMAS)
    return f"has {found} commas" if found else None


@constraint("postscript")
def postscript(text: str, spec: dict[str, Any]) -> str | None:
    """A line starts with the marker (``P.S.``; case and a space after each period ignored)."""
    marker = r"[ \t]?".join(re.escape(c) for c in spec["marker"].replace(" ", ""))
    if re.search(rf"^[ \t>*_]*{marker}", text, flags=re.M | re.I):
        return None
    return f"no line starts with {spec['marker']!r}"


@constraint("language")
def language(text: str, spec: dict[str, Any]) -> str | None:
    """Reads as ``lang``: zh when Han characters are at least as many as Latin words, else en."""
    han, latin = len(_HAN_CHAR.findall(text)), len(_LATIN.findall(text))
    if not han and not latin:
        return "has no letters"
    found = "zh" if han >= latin else "en"
    return None if found == spec["lang"] else f"reads as {found} ({han} Han characters, {latin} Latin words)"


def grade(item: dict[str, Any], outcome: Outcome) -> Score:
    """The fraction of the item's constraints ``outcome.text`` meets; passed when it meets all."""
    constraints = item["grader"]["constraints"]
    failed = [(c["kind"], why) for c in constraints if (why := CONSTRAINTS[c["kind"]](outcome.text, c))]
    met = len(constraints) - len(failed)
    detail = f"{met}/{len(constraints)} constraints met"
    if failed:
        detail += "; failed " + "; ".join(f"{kind}: {why}" for kind, why in failed)
    return Score(met / len(constraints), not failed, detail)


# Pairs of kinds no answer can meet together.
_EXCLUSIVE = [("lowercase", "uppercase"), ("json", "quoted")]


def check_item(item: dict[str, Any]) -> list[str]:
    """What the schema cannot say: bounds in order, constraints that contradict each other."""
    constraints = item["grader"]["constraints"]
    kinds = [c["kind"] for c in constraints]
    reversed_bounds = [c for c in constraints if c.get("min", 0) > c.get("max", float("inf"))]
    problems = [f"{c['kind']}: min {c['min']} > max {c['max']}" for c in reversed_bounds]
    problems += [f"constraint {c} appears twice" for i, c in enumerate(constraints) if c in constraints[:i]]
    problems += [f"{a} and {b} contradict each other" for a, b in _EXCLUSIVE if a in kinds and b in kinds]
    problems += _keyword_clashes(constraints)
    problems += _length_fits(constraints, item["max_tokens"])
    return problems


def _keyword_clashes(constraints: list[dict[str, Any]]) -> list[str]:
    """Required keywords that are also forbidden, or that carry a forbidden comma."""
    required = [w for c in constraints if c["kind"] == "include_keywords" for w in c["keywords"]]
    required += [c["phrase"] for c in constraints if c["kind"] in ("start_with", "end_with")]
    forbidden = {w.casefold() for c in constraints if c["kind"] == "forbidden_words" for w in c["words"]}
    problems = [f"{w!r} is both required and forbidden" for w in required if w.casefold() in forbidden]
    if any(c["kind"] == "no_comma" for c in constraints):
        problems += [f"{w!r} has a comma but commas are forbidden" for w in required if any(m in w for m in _COMMAS)]
    return problems


def _length_fits(constraints: list[dict[str, Any]], max_tokens: int) -> list[str]:
    """A word minimum the item's max_tokens cannot plausibly hold."""
    return [
        f"word_count min {c['min']} is more than max_tokens {max_tokens} can hold"
        for c in constraints
        if c["kind"] == "word_count" and c.get("min", 0) > max_tokens * _WORDS_PER_TOKEN
    ]
