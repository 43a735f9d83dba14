"""pytest glue for ``pytest evals``: one test per model, item, protocol and epoch, one results file per model.

Each test sends its item through the session transport (so ``--live``, recording and offline
replay work as for the conformance tests), scores it and attaches the record to its report; the
controlling process (under xdist too) gathers the records and writes the results file at the end.
Cassettes are keyed per item, protocol and epoch:
``cassettes/<server>/<dialect>/evals/<model>/<family>/<item>.<protocol>.e<epoch>.json``, and hold
the latency of each recorded request, so a replay reproduces the results file exactly.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .. import __version__, models
from ..files import write_atomically
from ..plugin import TARGET_KEY, network_mode, selecting
from . import items as item_data
from .runner import not_applicable, record

__all__ = ["EvalCase", "attach", "latencies", "results_document", "unrecorded", "write_results"]

RECORD_PROPERTY = "mimo_eval_record"
RESULTS_FORMAT = "mimo-conformance/eval-results/1"
DEFAULT_RESULTS = "evals/results/{target}/{model}/{date}.json"
_RECORDS = pytest.StashKey["_Collector"]()


@dataclass(frozen=True)
class EvalCase:
    """What one eval test runs."""

    item: dict[str, Any]
    protocol: str
    epoch: int
    model: str

    @property
    def cassette(self) -> tuple[str, str]:
        """(folder under the target's cassette root, file name without .json)."""
        return f"evals/{self.model}/{self.item['family']}", f"{self.item['id']}.{self.protocol}.e{self.epoch}"

    @functools.cached_property
    def not_applicable(self) -> str | None:
        """Why the model cannot take this item through this protocol (None when it can)."""
        return not_applicable(self.item, self.protocol, models.get(self.model))

    def na_record(self) -> dict[str, Any]:
        """The results record of a case the model cannot take."""
        return record(self.item, self.protocol, self.epoch, models.get(self.model), None,
                      status="n/a", detail=self.not_applicable or "")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mimo-evals", "MiMo evals (pytest evals)")
    group.addoption("--epochs", type=int, default=1, help="runs of every item (default 1)")
    group.addoption("--eval-results", default=DEFAULT_RESULTS, metavar="PATH",
                    help=f"where to write the results file; {{target}}, {{model}}, {{date}} are filled in (default {DEFAULT_RESULTS})")
    group.addoption("--family", action="append", default=None, help="run only this family (repeatable)")
    group.addoption("--protocol", action="append", default=None, choices=["openai", "anthropic"],
                    help="run items only through this protocol (repeatable)")
    group.addoption("--eval-note", default=None, metavar="TEXT",
                    help="a note stored in the results file (e.g. how the target was started differently)")
    group.addoption("--items-dir", default=str(item_data.ITEMS_DIR), help="the eval items folder (default evals/items)")


def pytest_configure(config: pytest.Config) -> None:
    selecting(config, {"--items-dir": str(item_data.ITEMS_DIR), "--epochs": 1, "--family": None, "--protocol": None})
    config.stash[_RECORDS] = collector = _Collector()
    config.pluginmanager.register(collector, "mimo-evals-collector")
    if config.getoption("--epochs") < 1:
        raise pytest.UsageError("--epochs must be 1 or more")
    if config.getoption("--family"):
        _check_families(config)


def _check_families(config: pytest.Config) -> None:
    """Each --family is a family of the items folder (checked before collection: a usage error, not a collection error)."""
    try:
        known = sorted({i["family"] for i in item_data.load(Path(config.getoption("--items-dir")))})
    except item_data.ItemError as exc:
        raise pytest.UsageError(str(exc)) from None
    unknown = [f for f in config.getoption("--family") if f not in known]
    if unknown:
        raise pytest.UsageError(f"--family {unknown[0]}: no such family; known: {', '.join(known)}")


def eval_models(config: pytest.Config) -> list[models.Model]:
    """The target's models (or --model) that answer text: TTS models take no eval items."""
    target = config.stash[TARGET_KEY]
    return [m for m in map(models.get, target.models) if m.data.get("kind") == "text"]


def unrecorded(config: pytest.Config) -> str | None:
    """Why a replay of the evals cannot run (the target has no eval recordings of a model), in one line; None when it can."""
    target, root = config.stash[TARGET_KEY], Path(config.getoption("--cassette-dir"))
    missing = [m.id for m in eval_models(config) if not (root / target.cassette_root / "evals" / m.id).is_dir()]
    if network_mode(config) != "replay" or not missing:
        return None
    others = [t.name for t in _targets(config).values() if t.name != target.name and _has_recordings(root, t)]
    replay = f"replay the committed ones: pytest evals --target {others[0]}; or " if others else ""
    return (f"pytest evals replays recorded answers, and {root / target.cassette_root / 'evals'} has none of "
            f"{', '.join(missing)} (target {target.name}): {replay}run them against the target: "
            f"pytest evals --target {target.name} --live")


def _targets(config: pytest.Config) -> dict[str, Any]:
    from .. import targets

    path = config.getoption("--targets-file")
    return targets.load_targets(*([Path(path)] if path else []))


def _has_recordings(root: Path, target: Any) -> bool:
    """Some model of ``target`` has eval cassettes under ``root``."""
    return any((root / target.cassette_root / "evals" / m).is_dir() for m in target.models)


def cases(config: pytest.Config) -> list[EvalCase]:
    """Every (model, item, protocol, epoch) the options select, in a stable order."""
    try:
        selected = item_data.load(Path(config.getoption("--items-dir")))
    except item_data.ItemError as exc:
        raise pytest.UsageError(str(exc)) from None
    families, protocols = config.getoption("--family"), config.getoption("--protocol")
    if families:  # each one known: checked in pytest_configure
        selected = [i for i in selected if i["family"] in families]
    return [EvalCase(item, protocol, epoch, model.id)
            for model in eval_models(config) for item in selected for protocol in item["protocols"]
            if not protocols or protocol in protocols
            for epoch in range(1, config.getoption("--epochs") + 1)]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "eval_case" in metafunc.fixturenames:
        selected = cases(metafunc.config)
        metafunc.parametrize("eval_case", [_param(c) for c in selected],
                             ids=[f"{c.model}-{c.item['id']}-{c.protocol}-e{c.epoch}" for c in selected])


def _param(case: EvalCase) -> Any:
    # An item the model cannot take is skipped before any fixture runs: no request, no cassette.
    reason = case.not_applicable
    return pytest.param(case, marks=pytest.mark.skip(reason=f"n/a: {reason}")) if reason else case


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        case = getattr(item, "callspec", None) and item.callspec.params.get("eval_case")
        if isinstance(case, EvalCase) and case.not_applicable:
            attach(item, {**case.na_record(), "model": case.model})


def attach(item: pytest.Item, rec: dict[str, Any]) -> None:
    """Attach a record to the test's report (it travels to the xdist controller and into JUnit)."""
    item.user_properties.append((RECORD_PROPERTY, json.dumps(rec, ensure_ascii=False, sort_keys=True)))


class _Collector:
    """Gathers the records from the test reports (in the xdist controller, the workers' reports)."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "teardown":
            return  # every phase carries the properties: take them once, when the test is over
        self.records.extend(json.loads(v) for k, v in report.user_properties if k == RECORD_PROPERTY)


def results_document(config: pytest.Config, model_id: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    """The results file of one model: the run's identity, then one record per item, protocol and epoch."""
    target = config.stash[TARGET_KEY]
    model = models.get(model_id)
    selected = item_data.load(Path(config.getoption("--items-dir")))
    unique = {(r["item"], r["protocol"], r["epoch"]): r for r in records}
    return {
        "format": RESULTS_FORMAT, "target": target.name, "server": target.server, "dialect": target.dialect,
        "model": model_id, "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "suite_version": __version__, "items_digest": item_data.digest(selected),
        "epochs": config.getoption("--epochs"),
        "protocols": sorted({r["protocol"] for r in records}),
        "mode": network_mode(config), "recorded_from": target.recorded_from or None,
        "currency": "USD", "pricing": model.data.get("pricing") and model.data["pricing"].get("usd_per_mtok"),
        **({"note": config.getoption("--eval-note")} if config.getoption("--eval-note") else {}),
        "records": [unique[k] for k in sorted(unique)],
    }


def write_results(path: Path, document: dict[str, Any]) -> None:
    """Write atomically: a crash leaves the old file or the new one, never half of one."""
    write_atomically(path, json.dumps(document, indent=1, ensure_ascii=False) + "\n")


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    if hasattr(config, "workerinput") or not config.stash[_RECORDS].records:
        return
    target = config.stash[TARGET_KEY]
    date = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    written = []
    for model_id in sorted({r["model"] for r in config.stash[_RECORDS].records}):
        records = [{k: v for k, v in r.items() if k != "model"} for r in config.stash[_RECORDS].records if r["model"] == model_id]
        path = Path(config.getoption("--eval-results").format(target=target.name, model=model_id, date=date))
        write_results(path, results_document(config, model_id, records))
        written.append((path, records))
    config.stash[_WRITTEN] = written


_WRITTEN = pytest.StashKey[list]()


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    for path, records in config.stash.get(_WRITTEN, []):
        from .stats import wilson

        terminalreporter.section(f"evals: {path}")
        families = sorted({r["family"] for r in records})
        for family in families:
            rs = [r for r in records if r["family"] == family]
            scored = [r for r in rs if r["status"] in ("scored", "error")]
            passed = sum(1 for r in scored if r["passed"])
            na = sum(1 for r in rs if r["status"] == "n/a")
            if scored:
                low, high = wilson(passed, len(scored))
                rate = f"{passed:4}/{len(scored):<4} {passed / len(scored):6.1%}  95% CI [{low:.3f}, {high:.3f}]"
            else:
                rate = "no scored item"
            terminalreporter.write_line(f"{family:22} {rate}" + (f"  ({na} n/a)" if na else ""))
        terminalreporter.write_line("compare two runs: mimo-conformance evals compare BASELINE CANDIDATE")


def latencies(cassette: Any, exchanges: list[Any]) -> float | None:
    """Seconds the item's requests took: measured now, or as recorded when the cassette replayed them.

    A recording stores each request's latency in the cassette's metadata (``latency_s``), so that
    replaying it reproduces the results file exactly.
    """
    measured = [round(e.timings.total, 3) if e.timings.total is not None else None for e in exchanges]
    if cassette is None:  # live: nothing recorded
        return _sum(measured)
    stored = cassette.get_metadata("latency_s", [])
    replayed = cassette.play_count >= len(exchanges) and len(stored) == len(exchanges)
    if not replayed:
        stored[:] = measured
    return _sum(stored)


def _sum(values: list[float | None]) -> float | None:
    return None if not values or any(v is None for v in values) else round(sum(values), 3)
