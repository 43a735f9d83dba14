"""``mimo-conformance models diff``: the models a live target lists, against the models data.

The model list moved (docs/observed.md § Models move > Model list endpoint: ``GET /v1/models``
answered in May and June 2026, ``GET /models`` in September), so both lists of the target's
dialect are asked and the ids of those that answer are joined. The data side is the dialect's:
its own model ids, or (Xiaomi's hosts) the ids of schemas/models.json no other dialect names. A
difference is an id the host lists that the data does not know, an id the data says is served on
the day that the host does not list, or an id the host lists that the data has retired or not yet
launched. ``--write`` adds the unknown ids to the models file as stubs, never deletes, writes
atomically, and checks the file against its schema first.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import urllib.parse
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from . import dialects, models
from .files import write_atomically
from .schemas import errors
from .targets import Target, TargetError, get as get_target
from .transport import Transport

__all__ = ["Listing", "Diff", "listed_ids", "known", "compare", "stub", "with_stubs", "render", "main"]


@dataclass(frozen=True)
class Listing:
    """What one model list answered: its path, the status, the ids (None when it gave no list)."""

    path: str
    status: int
    ids: tuple[str, ...] | None
    note: str = ""


@dataclass
class Diff:
    """Where the host's ids and the data's differ, on one day."""

    unknown: list[str] = field(default_factory=list)  # listed, not in the data
    missing: list[str] = field(default_factory=list)  # served by the data on the day, not listed
    retired: list[str] = field(default_factory=list)  # listed, retired by the data
    upcoming: list[str] = field(default_factory=list)  # listed, not yet launched by the data

    @property
    def count(self) -> int:
        """How many ids differ."""
        return len(self.unknown) + len(self.missing) + len(self.retired) + len(self.upcoming)


def listed_ids(text: str) -> tuple[str, ...] | None:
    """The ids of an OpenAI-style model list (``{"data": [{"id": ...}]}``), or None when it is none."""
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    data = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(data, list):
        return None
    return tuple(m["id"] for m in data if isinstance(m, dict) and isinstance(m.get("id"), str))


def listing(transport: Transport, path: str) -> Listing:
    """Ask one model list."""
    status, kind, text = transport.fetch(path)
    ids = listed_ids(text) if status == 200 else None
    note = "" if ids is not None else (text[:80] if status == 0 else f"{kind.split(';')[0] or 'no content type'}")
    return Listing(path, status, ids, note)


def known(dialect: str, models_file: Path | None = None) -> dict[str, models.Model]:
    """The data's side: the dialect's own ids, or the ids of the models file that no other dialect names."""
    speaks = dialects.get(dialect)
    if speaks.models:
        return {m: models.get(m) for m in speaks.models}
    entries = _entries(models_file) if models_file else [m.data for m in models.all_models()]
    return {e["id"]: models.Model(e) for e in entries if speaks.knows(e["id"])}


def _entries(path: Path) -> list[dict[str, Any]]:
    return json.loads(Path(path).read_text(encoding="utf-8"))["models"]


def compare(listed: set[str], data: dict[str, models.Model], day: date) -> Diff:
    """The differences between the ids a host lists and the data's, as of ``day``."""
    out = Diff()
    for model_id in sorted(listed):
        model = data.get(model_id)
        if model is None:
            out.unknown.append(model_id)
        elif not model.stub and model.status_at(day) == "retired":
            out.retired.append(model_id)
        elif not model.stub and model.status_at(day) == "upcoming":
            out.upcoming.append(model_id)
    out.missing = sorted(m for m, model in data.items() if m not in listed and _served(model, day))
    return out


def _served(model: models.Model, day: date) -> bool:
    return any(model.serves(p, day) for p in model.data.get("protocols", ()))


def stub(model_id: str, day: date, host: str, path: str) -> dict[str, Any]:
    """The stub entry of an id that ``host``'s model list at ``path`` named on ``day``."""
    return {"id": model_id, "stub": True, "lifecycle": {}, "in_captured_docs": False, "first_seen": day.isoformat(),
            "seen_on": host,
            "notes": (f"Listed by GET {path} on {host} on {day.isoformat()} and not in the captured docs: no limits, "
                      "capabilities or dates are known, so the rules that need them are skipped; fill the entry in "
                      "(and drop stub) when they are."),
            "sources": {"first_seen": f"mimo-conformance models diff --write (GET {path} on {host})"}}


def with_stubs(doc: dict[str, Any], ids: list[str], day: date, host: str, path: str) -> dict[str, Any]:
    """The models document with a stub for each of ``ids`` it does not hold yet; nothing removed."""
    have = {m["id"] for m in doc["models"]}
    return {**doc, "models": [*doc["models"], *(stub(m, day, host, path) for m in ids if m not in have)]}


def write(models_file: Path, ids: list[str], day: date, host: str, path: str) -> int:
    """Add the stubs to ``models_file`` atomically, after checking the result against its schema; how many."""
    doc = json.loads(Path(models_file).read_text(encoding="utf-8"))
    updated = with_stubs(doc, ids, day, host, path)
    problems = errors("models.schema.json", updated)
    if problems:
        raise ValueError(f"{models_file}: the update would break schemas/models.schema.json: {problems[0]}")
    write_atomically(models_file, json.dumps(updated, indent=2, ensure_ascii=False) + "\n")
    return len(updated["models"]) - len(doc["models"])


def render(target: Target, host: str, day: date, lists: list[Listing], diff: Diff) -> list[str]:
    """The report's lines: each list asked, then each kind of difference."""
    lines = [f"models diff: {target.name} at {host} (dialect {target.dialect}), as of {day.isoformat()}"]
    for found in lists:
        what = f"{len(found.ids)} id(s)" if found.ids is not None else f"no model list ({found.note})"
        lines.append(f"  GET {found.path}: {found.status or 'unreachable'}, {what}")
    groups = (("listed by the host, not in the models data", "+", diff.unknown),
              (f"in the models data and served on {day.isoformat()}, not listed by the host", "-", diff.missing),
              ("listed by the host though the models data has them retired", "!", diff.retired),
              ("listed by the host before the models data launches them", "?", diff.upcoming))
    for title, mark, ids in groups:
        if ids:
            lines += [f"{title} ({len(ids)}):", *(f"  {mark} {m}" for m in ids)]
    lines.append(f"{diff.count} difference(s)" if diff.count else "no difference")
    return lines


@contextlib.contextmanager
def _transport(target: Target) -> Iterator[Transport]:
    """A transport to the target; a local reference profile gets its server started, in its dialect."""
    if not target.local:
        transport = Transport(target.base_urls, target.key(), auth=target.auth, dialect=target.dialect)
        try:
            yield transport
        finally:
            transport.close()
        return
    from .server import serve_in_thread

    key = target.key() or "sk-models-diff-local-only"
    with serve_in_thread(key=key, dialect=target.dialect) as server:
        transport = Transport(server.base_urls, key, auth=target.auth, dialect=target.dialect)
        try:
            yield transport
        finally:
            transport.close()


def _target(args: argparse.Namespace) -> Target:
    target = get_target(args.target, *([Path(args.targets_file)] if args.targets_file else []))
    if args.openai_base_url:
        target = Target(**{**target.__dict__, "base_urls": {"openai": args.openai_base_url}})
    if target.base_urls == {}:
        raise TargetError(f"--target {target.name}: its documents name no host; pass --openai-base-url")
    if not target.local and not target.key():
        raise TargetError(f"--target {target.name} needs its key: set ${target.key_env}")
    return target


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mimo-conformance models diff",
                                     description="Compare the models a live target lists with the models data.",
                                     epilog="Exit status: 0 no difference, 1 differences, 2 no model list answered or "
                                            "an option cannot be used.")
    parser.add_argument("--target", required=True, help="the profile of schemas/targets.json to ask")
    parser.add_argument("--targets-file", help="a targets file of your own")
    parser.add_argument("--openai-base-url", help="ask this base URL instead of the profile's (its /v1 is left out)")
    parser.add_argument("--write", action="store_true", help="add the ids the data does not know to the models file as stubs")
    parser.add_argument("--models-file", default=str(models.MODELS_FILE), help="the models file --write updates")
    parser.add_argument("--day", type=date.fromisoformat, default=None, help="judge the data as of this day (default today, UTC)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``models diff``; the exit status is 1 when ids differ, 2 when nothing could be compared."""
    args = _parser().parse_args(argv)
    day = args.day or datetime.now(timezone.utc).date()
    try:
        target = _target(args)
    except TargetError as exc:
        print(f"mimo-conformance models diff: error: {exc}", file=sys.stderr)
        return 2
    with _transport(target) as transport:
        host = transport.host_url("")
        lists = [listing(transport, path) for path in dialects.get(target.dialect).model_lists]
    answered = [found for found in lists if found.ids is not None]
    diff = compare({m for found in answered for m in found.ids}, known(target.dialect, Path(args.models_file)), day)
    print("\n".join(render(target, host, day, lists, diff)))
    if not answered:
        print("mimo-conformance models diff: error: no model list answered; nothing was compared", file=sys.stderr)
        return 2
    if args.write and diff.unknown:
        added = write(Path(args.models_file), diff.unknown, day, urllib.parse.urlsplit(host).netloc, answered[0].path)
        print(f"wrote {added} stub(s) to {args.models_file}")
    return 1 if diff.count else 0
