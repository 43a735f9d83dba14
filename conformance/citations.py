"""Citations of the documents the suite rests on: found in any text, checked against two files.

A rule cites where it comes from. The API documents are listed in docs/sources.md, one ``## id``
heading each with the section paths citations use (`` `A > B > C` ``); the facts seen on the live
service are in docs/observed.md, ``## group`` headings with one ``### title`` per fact. A citation
is the document, then `` § `` and a section path whose segments are joined by `` > ``:

- ``docs/sources.md#openai-api § Request body > top_p``
- ``docs/observed.md § OpenAI protocol > Usage chunk without include_usage``

A path may stop early (a prefix of a listed path names the larger section), and the document alone
names all of it. A remark may follow: `` (in parentheses)``, or a quote after a colon, as in
``docs/sources.md#openai-api § Request body > stop: "up to 4 sequences"``. Several citations are
joined with ``; ``. Text wrapped over lines (a comment, a docstring) reads as one line.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

__all__ = ["Citation", "CitationError", "parse", "resolve", "sections"]

DOCS = Path(__file__).resolve().parent.parent / "docs"
SOURCES = "docs/sources.md"
OBSERVED = "docs/observed.md"
DOCUMENT = re.compile(r"docs/(?:sources\.md#(?P<id>[a-z0-9][a-z0-9-]*)|observed\.md)(?![\w#/-])")
WRAPPED = re.compile(r"[ \t]*\n[ \t]*(?:#+[ \t]*)?")  # a line break, with a comment's "#" after it
SEPARATOR = " > "
# Where a section name that no document lists ends: punctuation of the surrounding text.
UNLISTED_END = re.compile(r"[;:,\"`()\[\]]|\.(?:\s|$)|\s{2}|$")
LISTED_PATH = re.compile(r"^\s*- `([^`]+)`\s*$")


@dataclass(frozen=True)
class Citation:
    """One citation: the document, the section path in it (empty: all of it), any remark, the text."""

    document: str
    path: tuple[str, ...]
    remark: str | None
    text: str


class CitationError(ValueError):
    """A citation that names no listed document or section."""


@cache
def sections() -> dict[str, tuple[tuple[str, ...], ...]]:
    """The section paths each document lists, by the document as citations name it."""
    known = {f"{SOURCES}#{doc}": paths for doc, paths in _sources((DOCS / "sources.md").read_text("utf-8"))}
    known[OBSERVED] = _observed((DOCS / "observed.md").read_text("utf-8"))
    return known


def _sources(text: str) -> list[tuple[str, tuple[tuple[str, ...], ...]]]:
    """Each ``## id`` of docs/sources.md with the paths listed under it."""
    documents: list[tuple[str | None, list[tuple[str, ...]]]] = []
    for line in text.splitlines():
        if line.startswith("## "):  # a heading that is no id (a note between documents) lists nothing
            heading = re.fullmatch(r"## ([a-z0-9][a-z0-9-]*)\s*", line)
            documents.append((heading.group(1) if heading else None, []))
        elif documents and (listed := LISTED_PATH.match(line)):
            documents[-1][1].append(tuple(listed.group(1).split(SEPARATOR)))
    return [(doc, tuple(paths)) for doc, paths in documents if doc is not None]


def _observed(text: str) -> tuple[tuple[str, ...], ...]:
    """Each ``## group > ### fact`` of docs/observed.md, and each group on its own."""
    paths: list[tuple[str, ...]] = []
    for line in text.splitlines():
        if line.startswith("## "):
            paths.append((group := line[3:].strip(),))
        elif line.startswith("### ") and paths:
            paths.append((group, line[4:].strip()))
    return tuple(paths)


@cache
def _tree(document: str) -> dict:
    """The document's listed paths as nested dicts, prefixes included."""
    root: dict = {}
    for path in sections().get(document, ()):
        node = root
        for name in path:
            node = node.setdefault(name, {})
    return root


def parse(text: str) -> list[Citation]:
    """Every citation in a text, in order."""
    flat = WRAPPED.sub(" ", text)
    return [_citation(flat, m) for m in DOCUMENT.finditer(flat)]


def _citation(text: str, match: re.Match) -> Citation:
    """The citation that starts with the document at match."""
    document = match.group(0)
    end, path = match.end(), ()
    if text.startswith(" § ", end):
        path, end = _path(document, text, end + 3)
    remark, end = _remark(text, end)
    return Citation(document, path, remark, text[match.start():end])


def _path(document: str, text: str, start: int) -> tuple[tuple[str, ...], int]:
    """The section path at start, and where it ends."""
    node, path, end = _tree(document), [], start
    while name := _name(node, text, end):
        path.append(name)
        end += len(name)
        node = node.get(name, {})
        if not text.startswith(SEPARATOR, end):
            break
        end += len(SEPARATOR)
    return tuple(path), end


def _name(node: dict, text: str, at: int) -> str:
    """The longest name listed under node that text holds at ``at``, else the text up to punctuation."""
    for name in sorted(node, key=len, reverse=True):
        if text.startswith(name, at) and not re.match(r"[\w-]", text[at + len(name):at + len(name) + 1]):
            return name
    return text[at:UNLISTED_END.search(text, at).start()].split(SEPARATOR)[0].rstrip()


def _remark(text: str, at: int) -> tuple[str | None, int]:
    """A parenthesised remark or a colon and a quote at ``at``, and where it ends."""
    if text.startswith(" (", at):
        depth = 0
        for i in range(at + 1, len(text)):
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            if depth == 0:
                return text[at + 2:i], i + 1
    quote = re.match(r': "([^"]*)"', text[at:])
    if quote:
        return quote.group(1), at + quote.end()
    return None, at


def resolve(citation: Citation) -> Citation:
    """The citation itself when its document lists its section; else a CitationError naming the nearest."""
    known = sections()
    if citation.document not in known:
        nearest = difflib.get_close_matches(citation.document, known, n=3, cutoff=0)
        raise CitationError(f"{citation.text!r}: no document {citation.document}; nearest: {', '.join(nearest)}")
    node = _tree(citation.document)
    for depth, name in enumerate(citation.path):
        if name not in node:
            raise CitationError(f"{citation.text!r}: {citation.document} lists no section "
                                f"{SEPARATOR.join(citation.path)!r}; nearest: {_nearest(citation, depth)}")
        node = node[name]
    return citation


def _nearest(citation: Citation, depth: int) -> str:
    """The listed paths closest to a citation whose segment at depth is not listed."""
    node = _tree(citation.document)
    for name in citation.path[:depth]:
        node = node[name]
    names = difflib.get_close_matches(citation.path[depth], node, n=3, cutoff=0) if node else []
    prefix = citation.path[:depth]
    paths = [SEPARATOR.join(prefix + (name,)) for name in names]
    return ", ".join(repr(p) for p in paths) or repr(SEPARATOR.join(prefix))
