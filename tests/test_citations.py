"""Every citation in the repository names a document and a section that docs/sources.md or
docs/observed.md lists, and nothing points at files outside the repository."""

from __future__ import annotations

import io
import json
import re
import tokenize
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance import citations
from conformance.citations import CitationError, parse, resolve

ROOT = Path(__file__).resolve().parent.parent
JSON_FILES = sorted({*ROOT.glob("schemas/**/*.json"), *ROOT.glob("deviations/*.json"), *ROOT.glob("cases/**/*.json"),
                     *ROOT.glob("evals/items/*.json"), *ROOT.glob("tests/data/seed_examples/*.json")})
PYTHON_FILES = sorted({*ROOT.glob("conformance/**/*.py"), *ROOT.glob("tests/*.py"), *ROOT.glob("benchmarks/*.py"),
                       *ROOT.glob("evals/**/*.py")})
MARKDOWN_FILES = sorted({*ROOT.glob("docs/*.md"), ROOT / "README.md"})
SKIPPED_DIRS = {".git", "cassettes", "__pycache__", ".pytest_cache", ".hypothesis", ".venv", "venv", "node_modules"}
# Names of what users never see: the old observations file, the shared folder, the seed captures.
OUTSIDE = re.compile(r"(?<!docs/)OBSERVED\.md|\.\./shared|/work/share[d]|\b\d{3}_[0-9a-f]{16}\.txt\b")
SOURCES = (ROOT / "docs" / "sources.md").read_text(encoding="utf-8")


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _strings(value: Any) -> Iterator[str]:
    """Every string value in a JSON document."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _python_texts(source: str) -> Iterator[str]:
    """The comments (a run of comment lines as one text), docstrings and strings of a module."""
    run: list[str] = []
    last = -1
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            if run and token.start[0] != last + 1:
                yield "\n".join(run)
                run = []
            run.append(token.string)
            last = token.start[0]
        elif token.type == tokenize.STRING:
            yield token.string
    if run:
        yield "\n".join(run)


def _texts(path: Path) -> Iterator[str]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        yield from _strings(json.loads(text))
    elif path.suffix == ".py":
        yield from _python_texts(text)
    else:
        yield text


def _repository_files() -> Iterator[Path]:
    """Every file of the working tree outside cassettes/, .git and tool caches."""
    stack = [ROOT]
    while stack:
        for path in sorted(stack.pop().iterdir()):
            if path.is_dir():
                if path.name not in SKIPPED_DIRS and not path.name.endswith(".egg-info"):
                    stack.append(path)
            else:
                yield path


def _first(text: str) -> citations.Citation:
    found = parse(text)
    assert found, text
    return found[0]


@pytest.mark.parametrize("path", JSON_FILES + PYTHON_FILES + MARKDOWN_FILES, ids=_rel)
def test_every_citation_resolves(path: Path) -> None:
    problems = []
    for text in _texts(path):
        for citation in parse(text):
            try:
                resolve(citation)
            except CitationError as error:
                problems.append(str(error))
    assert not problems, "\n".join(problems)


def test_no_file_points_outside_the_repository() -> None:
    hits = []
    for path in _repository_files():
        text = path.read_bytes().decode("utf-8", errors="replace")
        hits += [f"{_rel(path)}: {m.group(0)}" for m in OUTSIDE.finditer(text)]
    assert not hits, "\n".join(hits)


def _keyword_values(value: Any, keyword: str) -> Iterator[Any]:
    """The values of a keyword anywhere in a JSON document."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == keyword:
                yield item
            yield from _keyword_values(item, keyword)
    elif isinstance(value, list):
        for item in value:
            yield from _keyword_values(item, keyword)


def _schema_values(keyword: str) -> list[Any]:
    return [pytest.param(v, id=f"{_rel(p)}:{i}") for p in sorted(ROOT.glob("schemas/**/*.json"))
            for i, v in enumerate(_keyword_values(json.loads(p.read_text("utf-8")), keyword))]


@pytest.mark.parametrize("value", _schema_values("x-source"))
def test_each_x_source_cites(value: str) -> None:
    assert parse(value), value


@pytest.mark.parametrize("value", _schema_values("x-observed"))
def test_each_x_observed_cites_observed_md(value: str) -> None:
    assert any(c.document == "docs/observed.md" for c in parse(value)), value


def test_each_mimo_models_source_cites() -> None:
    # The llama-server stand-in (gemma-3-270m) is no MiMo model: its sources describe llama-server.
    models = json.loads((ROOT / "schemas" / "models.json").read_text("utf-8"))["models"]
    uncited = [f"{m['id']}.{field}" for m in models if m["id"].startswith("mimo-")
               for field, value in m["sources"].items() if not parse(value)]
    assert not uncited


@pytest.mark.parametrize("path", sorted(ROOT.glob("deviations/*.json")), ids=lambda p: p.stem)
def test_each_deviation_evidence_cites_or_names_its_recording(path: Path) -> None:
    # A MiMo target's evidence cites the docs or the observations; llama-server's is the recording
    # of llama-server itself (no document describes it), which must be committed.
    entries = json.loads(path.read_text("utf-8"))["deviations"]
    bad = [e["evidence"] for e in entries
           if not parse(e["evidence"]) and not (path.stem == "llama-server" and (ROOT / e["evidence"]).is_file())]
    assert not bad, bad


@pytest.mark.parametrize("text, nearest", [
    # Each made-up citation is split after "docs/", so that the scan of this file does not find it.
    ("docs/" + "sources.md#openai-api § Request body > top_k", "'Request body > top_p'"),
    ("docs/" + "sources.md#anthropic-api § Request Body > tools > input_shema", "'Request Body > tools > input_schema'"),
    ("docs/" + "observed.md § OpenAI protocol > Usage chunk without usage",
     "'OpenAI protocol > Usage chunk without include_usage'"),
    ("docs/" + "observed.md § Error", "'Errors'"),
    ("docs/" + "sources.md#openai-apis § Request body", "docs/sources.md#openai-api"),
])
def test_a_made_up_section_is_rejected_naming_the_nearest(text: str, nearest: str) -> None:
    with pytest.raises(CitationError) as error:
        resolve(_first(text))
    assert text in str(error.value) and nearest in str(error.value)


def _documents() -> list[Any]:
    chunks = re.split(r"^## ", SOURCES, flags=re.M)[1:]
    return [pytest.param(chunk, id=chunk.split("\n", 1)[0]) for chunk in chunks if re.match(r"[a-z0-9-]+\n", chunk)]


@pytest.mark.parametrize("entry", _documents())
def test_each_source_document_says_where_and_when(entry: str) -> None:
    assert re.search(r"^- (URL: https?://\S+|No page URL: \S.*)$", entry, re.M), entry
    assert re.search(r"^- Read: \d{4}-\d{2}-\d{2}$", entry, re.M), entry


def test_every_listed_document_is_known_to_the_resolver() -> None:
    listed = {f"docs/sources.md#{p.id}" for p in _documents()}
    assert listed | {"docs/observed.md"} == set(citations.sections())


@pytest.mark.parametrize("text, document, path, remark", [
    ("docs/sources.md#openai-api" + " § Request body > top_p (range [0.01, 1.0])",
     "docs/sources.md#openai-api", ("Request body", "top_p"), "range [0.01, 1.0]"),
    ("docs/sources.md#openai-api" + " § Chat response object (non-streaming output) > usage",
     "docs/sources.md#openai-api", ("Chat response object (non-streaming output)", "usage"), None),
    ("docs/observed.md" + ' § Errors > Malformed JSON first: "Invalid JSON in request body"',
     "docs/observed.md", ("Errors", "Malformed JSON first"), "Invalid JSON in request body"),
    ("# (docs/observed.md" + " § OpenAI protocol >\n    # Tool-call deltas), so", "docs/observed.md",
     ("OpenAI protocol", "Tool-call deltas"), None),
    ("see docs/sources.md#first-api-call" + ".", "docs/sources.md#first-api-call", (), None),
])
def test_a_citation_reads_as_document_path_and_remark(text: str, document: str, path: tuple, remark: str | None) -> None:
    citation = resolve(_first(text))
    assert (citation.document, citation.path, citation.remark) == (document, path, remark)


def test_citations_joined_by_semicolons_are_each_found() -> None:
    text = "docs/sources.md#openai-api" + " § Request body > model; docs/sources.md#anthropic-api" + " § Request Body > model"
    assert [c.path for c in parse(text)] == [("Request body", "model"), ("Request Body", "model")]


def test_citations_exports() -> None:
    assert citations.__all__ == ["Citation", "CitationError", "parse", "resolve", "sections"]
