"""Conformance cases as data (``cases/``): load, validate against ``case.schema.json``, expand into runs."""

from __future__ import annotations

import copy
import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from . import dialects, media, models
from .basis import Rule
from .schemas import errors

__all__ = ["CASE_DIR", "CaseError", "Run", "Skipped", "load_files", "runs", "capabilities", "skipped", "dialects_of"]

CASE_DIR = Path(__file__).resolve().parent.parent / "cases"


class CaseError(ValueError):
    """A case file that cannot be used; the message names the file and the JSON pointer."""


@dataclass(frozen=True)
class Run:
    """One case with one model and one streaming mode: what a single test sends and expects."""

    id: str
    file: str  # cases/<protocol>/<endpoint>/<feature>.json, relative to cases/
    protocol: str
    case: dict[str, Any]
    model: str | None
    stream: bool | None  # None: the pair run, both streamed and not
    file_source: str = ""  # the case file's own source, for cases that cite none

    @property
    def rule(self) -> Rule:
        """Where the case's expectations come from: its basis and source (the file's when it has none)."""
        return Rule(self.case.get("basis", "documented"), self.case.get("source") or self.file_source)

    @property
    def request(self) -> dict[str, Any]:
        """The body to send: the case's request with this run's model, ``stream`` and media fixtures filled in."""
        body = media.expand(copy.deepcopy(self.case["request"]))
        if self.model is not None:
            body.setdefault("model", self.model)
        if self.stream is not None:
            body["stream"] = self.stream
        return body

    @property
    def raw_body(self) -> bytes | None:
        """Bytes to send instead of the JSON body, for malformed-request cases."""
        raw = self.case.get("raw_body")
        return raw.encode() if raw is not None else None

    @property
    def scenario(self) -> str | None:
        """The answer the case asks the suite's own reference server for (an error of the table), if any."""
        return self.case.get("scenario")

    def not_applicable(self, server: str) -> str | None:
        """Why this run is not sent to a target recorded as ``server``, or None when it is."""
        if self.scenario is not None and server != "reference":
            # A scenario is a request header only the suite's own server reads: a real target must never get it.
            return (f"scenario {self.scenario!r} asks the suite's own reference server for that answer; "
                    f"target server {server!r} is not it")
        return None


@functools.cache
def load_files(root: Path = CASE_DIR) -> tuple[tuple[str, dict[str, Any]], ...]:
    """Every case file under ``root`` as (relative path, document), each checked by the case schema."""
    out = []
    for path in sorted(root.rglob("*.json")):
        rel = path.relative_to(root).as_posix()
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise CaseError(f"cases/{rel}: not valid JSON: {exc}") from exc
        problems = errors("case.schema.json", doc)
        if problems:
            raise CaseError(f"cases/{rel}: {problems[0]} (see schemas/case.schema.json)")
        out.append((rel, doc))
    return tuple(out)


_VOICE_MODES = {"builtin": "voice_builtin", "clone": "voice_clone", "none": "voice_design"}


def capabilities(model: models.Model) -> set[str]:
    """The capability words of ``requires`` that a model has, from the models data."""
    caps = {model.kind} | (set(model.input_modalities) - {"text"})  # "text" means a text model
    caps |= {name for name in ("tools", "web_search", "json_object") if model.data.get(name)}
    if model.thinking["supported"]:
        caps.add("thinking")
    if model.tts:  # how the model takes audio.voice: a built-in name, a sample to clone, or none (voice design)
        caps.add(_VOICE_MODES[model.tts["voice"]])
    return caps


def dialects_of(doc: dict, case: dict) -> tuple[str, ...]:
    """The dialects a case applies to: every dialect that speaks Xiaomi's words, unless ``dialects`` names
    others instead or ``also_dialects`` adds some; the case's own word wins over its file's."""
    xiaomis = tuple(n for n in dialects.names() if dialects.get(n).family == dialects.DEFAULT)
    for where in (case, doc):
        if where.get("dialects"):
            return tuple(where["dialects"])
        if "also_dialects" in where:  # [] on a case: its file's additions do not hold for it
            return xiaomis + tuple(n for n in where["also_dialects"] if n not in xiaomis)
    return xiaomis


def runs(model_ids: Iterable[str], root: Path = CASE_DIR, dialect: str = dialects.DEFAULT, *,
         server: str | None = None) -> list[Run]:
    """Every (case, model, mode) run for a target of ``dialect`` on ``server`` (None: any) testing ``model_ids``."""
    model_ids = tuple(model_ids)
    return [r for rel, doc in load_files(root) for case in doc["cases"]
            if dialect in dialects_of(doc, case) and _on(case, server) for r in _expand(rel, doc, case, model_ids)]


def _on(case: dict, server: str | None) -> bool:
    """The case can run on ``server``: it names no servers, or names this one."""
    return server is None or server in case.get("servers", [server])


def _expand(rel: str, doc: dict, case: dict, model_ids: tuple[str, ...]) -> Iterable[Run]:
    stem = rel.removesuffix(".json").replace("/", ".")
    for model in _models_for(doc["protocol"], case, model_ids):
        for stream in _modes(case):
            suffix = "-".join(p for p in (model, {True: "stream", False: "plain", None: "pair"}[stream]) if p)
            yield Run(f"{stem}.{case['id']}-{suffix}", rel, doc["protocol"], case, model, stream, doc.get("source", ""))


def _models_for(protocol: str, case: dict, model_ids: tuple[str, ...]) -> Iterable[str | None]:
    if "model" in case["request"]:
        return [None]  # the case names its own model (often one that must be refused)
    return [m for m in model_ids if _unfit(protocol, case, models.get(m)) is None]


def _unfit(protocol: str, case: dict, model: models.Model) -> str | None:
    """Why ``case`` cannot run with ``model`` (it does not serve the protocol, lacks a capability or the voice), or None."""
    if not model.serves(protocol):
        return f"does not serve the {protocol} protocol"
    missing = sorted(set(case.get("requires", ["text"])) - capabilities(model))
    if missing:
        return f"needs capability {', '.join(missing)}"
    voice = (case["request"].get("audio") or {}).get("voice")
    accepted = case["expect"].get("status", 200) < 400  # a refusal case sends an unknown voice on purpose
    if accepted and model.tts and model.tts["voice"] == "builtin" and isinstance(voice, str) and voice not in model.tts["voices"]:
        return f"needs voice {voice}"
    return None


@dataclass(frozen=True)
class Skipped:
    """A case that does not run for a target: for which model (None: for the whole target) and why."""

    id: str  # <protocol>.<endpoint>.<feature>.<case id>
    model: str | None
    reason: str


def skipped(model_ids: Iterable[str], root: Path = CASE_DIR, *, server: str | None = None,
            dialect: str = dialects.DEFAULT) -> list[Skipped]:
    """Every case of ``dialect`` that runs for none or only some of ``model_ids`` on ``server``, once per model, with why."""
    model_ids, out = tuple(model_ids), []
    for rel, doc in load_files(root):
        stem = rel.removesuffix(".json").replace("/", ".")
        for case in doc["cases"]:
            if dialect not in dialects_of(doc, case):
                continue  # another dialect's case: not this target's to run
            if not _on(case, server):
                out.append(Skipped(f"{stem}.{case['id']}", None, f"runs only on {', '.join(case['servers'])}"))
            elif "model" not in case["request"]:
                found = ((m, _unfit(doc["protocol"], case, models.get(m))) for m in model_ids)
                out += [Skipped(f"{stem}.{case['id']}", m, why) for m, why in found if why and "protocol" not in why]
    return out


def _modes(case: dict) -> list[bool | None]:
    mode = case.get("stream", "both")
    return {"plain": [False], "stream": [True], "each": [False, True], "both": [False, True, None]}[mode]
