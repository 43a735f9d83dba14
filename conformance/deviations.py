"""Known deviations as data (``deviations/<target>.json``): findings a target is known to show, and why.

A table (``schemas/deviations.schema.json``) lists entries ``{check, selector, location, message,
reason, evidence}``. An entry *covers* a finding of its check on an exchange its selector picks,
when the finding's location matches ``location`` (an fnmatch pattern such as ``event * /id`` or
``/error/type``) and its message matches ``message`` (a regular expression, searched), for the
pins the entry gives. An entry is *expected* wherever its check ran on an exchange its selector
picks, so an expected entry that covered nothing has gone stale (the target was fixed): in a
strict table (the target's own server) that fails the test, in a lenient one (another server
speaking the target's dialect, ``--openai-base-url``) it is reported. Selector keys: ``test``
(fnmatch on the pytest node id, or any of a list; never matches where no test is known), ``protocol``, ``model``
(fnmatch on the model id), ``stream`` and ``status`` (a status or any of a list); every given key must match one exchange of
the finding.
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterable

from .checks import Finding
from .exchange import Exchange

__all__ = ["DEVIATION_DIR", "SCHEMA", "DeviationError", "Deviation", "Table", "load", "for_target", "known_check_ids"]

DEVIATION_DIR = Path(__file__).resolve().parent.parent / "deviations"
SCHEMA = "deviations.schema.json"


class DeviationError(ValueError):
    """A deviations file that cannot be used; the message names the file, the JSON pointer and the fix."""


@dataclass(frozen=True)
class Deviation:
    """One entry: the check it excuses, where (selector), why (reason) and how we know (evidence)."""

    check: str
    selector: tuple[tuple[str, Any], ...]
    reason: str
    evidence: str
    label: str  # "deviations/xiaomi.json /deviations/2": the entry to edit or delete
    location: str | None = None  # fnmatch pattern on the finding's location
    message: str | None = None  # regular expression searched in the finding's message

    def selects(self, exchange: Exchange, test: str | None) -> bool:
        """Every selector key matches this exchange (and this test, for ``test``)."""
        return all(_matches(key, want, exchange, test) for key, want in self.selector)

    def pins(self, finding: Finding) -> bool:
        """The finding is of this entry's check, and its location and message match the entry's pins."""
        if finding.check != self.check:
            return False
        where = self.location is None or fnmatch.fnmatchcase(finding.location, self.location)
        return where and (self.message is None or re.search(self.message, finding.message) is not None)

    def covers(self, finding: Finding, exchanges: Iterable[Exchange], test: str | None) -> bool:
        """The finding matches the entry's check and pins, on an exchange the selector picks."""
        return self.pins(finding) and any(self.selects(ex, test) for ex in exchanges)


def _matches(key: str, want: Any, exchange: Exchange, test: str | None) -> bool:
    if key == "test":
        patterns = want if isinstance(want, tuple) else (want,)
        return test is not None and any(fnmatch.fnmatchcase(test, p) for p in patterns)
    if key == "model":
        return fnmatch.fnmatchcase(exchange.model or exchange.request.json.get("model") or "", want)
    actual = {"protocol": exchange.protocol, "stream": exchange.streamed, "status": exchange.status}[key]
    return actual in want if isinstance(want, tuple) else actual == want


@dataclass(frozen=True)
class Table:
    """The known deviations of one target (empty when the target has no file)."""

    target: str
    entries: tuple[Deviation, ...] = ()
    strict: bool = True  # an entry that stops firing fails the test (False: it is only reported)

    def lenient(self) -> "Table":
        """The same entries, applied to another server that speaks this target's dialect."""
        return replace(self, strict=False)

    def covering(self, finding: Finding, exchanges: Iterable[Exchange], test: str | None) -> Deviation | None:
        """The first entry that covers ``finding``, or None."""
        exchanges = tuple(exchanges)
        return next((d for d in self.entries if d.covers(finding, exchanges, test)), None)

    def satisfied(self, finding: Finding, exchanges: Iterable[Exchange], test: str | None) -> list[Deviation]:
        """Every entry that covers ``finding``: each is still true, whichever one is credited."""
        exchanges = tuple(exchanges)
        return [d for d in self.entries if d.covers(finding, exchanges, test)]

    def expected(self, ran: Iterable[str], exchanges: Iterable[Exchange], test: str | None) -> list[Deviation]:
        """The entries whose check ran on an exchange their selector picks: each must cover a finding."""
        ran, exchanges = set(ran), tuple(exchanges)
        return [d for d in self.entries if d.check in ran and any(d.selects(ex, test) for ex in exchanges)]


def for_target(name: str, root: Path = DEVIATION_DIR) -> Table:
    """The table of target ``name``: ``<root>/<name>.json``, or an empty table when there is none."""
    path = root / f"{name}.json"
    return load(path, name) if path.exists() else Table(name)


def load(path: Path, target: str | None = None) -> Table:
    """The table in ``path``, checked against its schema, the registered check ids and ``target``."""
    doc = _read(path)
    from .schemas import errors  # the schema file is read on first use

    problems = errors(SCHEMA, doc)
    if problems:
        raise DeviationError(f"{path}: {problems[0]} (the format is schemas/{SCHEMA})")
    if target is not None and doc["target"] != target:
        raise DeviationError(f"{path} /target: the table is for {doc['target']!r}, the run tests {target!r}")
    return Table(doc["target"], tuple(_entry(path, i, e) for i, e in enumerate(doc["deviations"])))


def _read(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise DeviationError(f"{path}: cannot read the deviations file: {exc.strerror}") from None
    except ValueError as exc:
        raise DeviationError(f"{path}: not valid JSON: {exc}") from None


def _entry(path: Path, i: int, doc: dict[str, Any]) -> Deviation:
    label = f"{_shown(path)} /deviations/{i}"
    if doc["check"] not in known_check_ids():
        raise DeviationError(f"{label}/check: no check {doc['check']!r} (`mimo-conformance checks` lists them)")
    message = doc.get("message")
    if message is not None:
        try:
            re.compile(message)
        except re.error as exc:
            raise DeviationError(f"{label}/message: not a regular expression: {exc}") from None
    selector = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in doc["selector"].items()))
    return Deviation(doc["check"], selector, doc["reason"], doc["evidence"], label,
                     doc.get("location"), message)


def _shown(path: Path) -> str:
    """The path as a user would type it: relative to the repository when it lies inside."""
    try:
        return Path(path).resolve().relative_to(DEVIATION_DIR.parent).as_posix()
    except ValueError:
        return str(path)


def known_check_ids() -> set[str]:
    """Every id a deviation may name: the registered checks, the SDK lane's and the cases' expect.NAME."""
    from . import checks
    from .expect import EXPECTATIONS
    from .sdk_lane import CHECK_IDS  # only the ids: the SDKs themselves load when the lane reads

    return {c.id for c in checks.all_checks()} | set(CHECK_IDS.values()) | {f"expect.{n}" for n in EXPECTATIONS}

