"""Rescore a recorded eval run from its cassettes, offline, and say whether it reproduces its results file.

Every record is re-derived: the item is re-rendered, its requests are answered by the cassette
(``record_mode="none"``, so nothing can reach a network), the grader runs again and the latency
comes from the cassette's metadata. A record that differs in any field is a difference; so is an
item that no longer exists, or a request the cassette does not hold (the item's prompt or options
changed since the recording). A run with no cassettes of its own is refused: a live run, or one
whose cassettes are missing (named), since other cassettes at the same paths are another run's.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, Callable

import vcr
from vcr.errors import CannotOverwriteExistingCassetteException

from .. import cassettes, models, targets
from ..plugin import CASSETTE_DIR, REPLAY_KEY, REPLAY_URLS
from ..transport import RetryPolicy, Transport
from . import items as item_data
from .plugin import EvalCase, latencies
from .runner import record, run_item

__all__ = ["RescoreError", "rescore", "main"]


class RescoreError(ValueError):
    """A results file that cannot be rescored; the message names the file and the problem."""


def _replayer() -> vcr.VCR:
    recorder = vcr.VCR()
    recorder.register_matcher("json_body", cassettes.json_body_matcher)
    recorder.register_persister(cassettes.AtomicPersister)
    return recorder


def _load(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RescoreError(f"{path}: not a readable results file ({exc})") from None
    from .. import schemas

    problems = schemas.errors("evals/results.schema.json", doc)
    if problems:
        raise RescoreError(f"{path}: {problems[0]}; see schemas/evals/results.schema.json")
    return doc


def rescore(results: Path, *, cassette_dir: Path = CASSETTE_DIR,
            items_dir: Path = item_data.ITEMS_DIR) -> tuple[dict[str, Any], list[str]]:
    """The results document rebuilt from the cassettes, and every way it differs from ``results``."""
    doc = _load(results)
    try:
        target = targets.get(doc["target"])
        model = models.get(doc["model"])
    except (ValueError, KeyError) as exc:
        raise RescoreError(f"{results}: {exc}") from None
    known = item_data.by_id(items_dir)
    root = Path(cassette_dir) / doc["server"] / doc["dialect"]
    _check_recorded(results, doc, root, known, model)
    recorder = _replayer()
    config = {**cassettes.vcr_config(local_server=target.local or target.on_loopback), "record_mode": "none"}
    transport = Transport(dict(target.base_urls or REPLAY_URLS), REPLAY_KEY, auth=target.auth,
                          retry=RetryPolicy(), sleep=lambda _: None)
    new_records, differences = [], []
    try:
        for old in doc["records"]:
            where = f"{old['item']} {old['protocol']} e{old['epoch']}"
            item = known.get(old["item"])
            if item is None:
                differences.append(f"{where}: the item is no longer in {items_dir}")
                continue
            new = _rescore_one(lambda path: recorder.use_cassette(path, **config), transport, root, item, old, model)
            new_records.append(new)
            changed = [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
            if changed:
                differences.append(f"{where}: " + "; ".join(f"{k} {old.get(k)!r} -> {new.get(k)!r}" for k in changed))
    finally:
        transport.close()
    return {**doc, "records": new_records}, differences


def _check_recorded(results: Path, doc: dict[str, Any], root: Path, known: dict[str, Any], model: models.Model) -> None:
    """Refuse a run with no cassettes of its own: a live run, or one whose cassettes are not where they should be."""
    if doc["mode"] == "live":
        raise RescoreError(f"{results}: a live run keeps no cassettes, so nothing can rescore it (cassettes under {root} "
                           "would be another run's); rescore a run recorded with --record-mode=once or rewrite")
    paths = [_cassette(root, known, r, model) for r in doc["records"]]
    missing = [path for path in paths if path is not None and not path.is_file()]
    if missing:
        shown = ", ".join(str(p) for p in missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        raise RescoreError(f"{results}: {len(missing)} of its cassettes are missing: {shown}; pass the --cassette-dir "
                           "the run recorded into, or record the run again")


def _cassette(root: Path, known: dict[str, Any], old: dict[str, Any], model: models.Model) -> Path | None:
    """Where the cassette of a record is; None for a record that sent nothing (unavailable, n/a) or a vanished item."""
    item = known.get(old["item"])
    if item is None or old["status"] == "unavailable":
        return None
    case = EvalCase(item, old["protocol"], old["epoch"], model.id)
    if case.not_applicable:
        return None
    folder, name = case.cassette
    return root / folder / f"{name}.json"


def _rescore_one(replay: Callable[[str], Any], transport: Transport, root: Path, item: dict[str, Any],
                 old: dict[str, Any], model: models.Model) -> dict[str, Any]:
    protocol, epoch = old["protocol"], old["epoch"]
    if old["status"] == "unavailable":
        return dict(old)  # nothing was recorded: the target never answered
    case = EvalCase(item, protocol, epoch, model.id)
    if case.not_applicable:
        return case.na_record()
    folder, name = case.cassette
    path = root / folder / f"{name}.json"  # there: _check_recorded saw to it
    with replay(str(path)) as cassette:
        try:
            run = run_item(transport.send, item, protocol, model.id)
        except CannotOverwriteExistingCassetteException:
            return {**record(item, protocol, epoch, model, None, status="error"),
                    "detail": f"{path} holds no recording of this request: the item changed since it was recorded"}
        latency = latencies(cassette, run.exchanges)
    return record(item, protocol, epoch, model, run, latency=latency)


def main(argv: list[str]) -> int:
    """``mimo-conformance evals rescore RESULTS``: 0 when it reproduces, 1 when it does not, 2 on bad input."""
    parser = argparse.ArgumentParser(prog="mimo-conformance evals rescore", description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="a results file written by pytest evals")
    parser.add_argument("--cassette-dir", type=Path, default=CASSETTE_DIR)
    parser.add_argument("--items-dir", type=Path, default=item_data.ITEMS_DIR)
    parser.add_argument("--write", type=Path, default=None, metavar="PATH", help="also write the rescored results here")
    args = parser.parse_args(argv)
    try:
        new, differences = rescore(args.results, cassette_dir=args.cassette_dir, items_dir=args.items_dir)
    except (RescoreError, item_data.ItemError, cassettes.CassetteError) as exc:
        print(f"error: {exc}")
        return 2
    if args.write:
        from .plugin import write_results

        write_results(args.write, new)
    for line in differences:
        print(line)
    n = len(new["records"])
    print(f"{args.results}: {n} records rescored from the cassettes; "
          + ("identical" if not differences else f"{len(differences)} differ"))
    return 1 if differences else 0
