"""``mimo-conformance evals compare|promote``: whether a model update regressed, judged from two results files.

``compare BASELINE CANDIDATE`` loads both results files (``schemas/evals/results.schema.json``)
and compares them family by family. Records "scored" and "error" count (an error is a failure);
"n/a" and "unavailable" are left out and counted; items in one run only are listed and left out.
A family's pass rate is the mean over its items of each item's mean pass. Its test is exact
McNemar (:func:`~conformance.evals.stats.mcnemar_p`) on records paired by (item, protocol, epoch)
when every item gives exactly one such pair, else the stratified, item-clustered paired bootstrap
(:func:`~conformance.evals.stats.paired_bootstrap`) on items. Holm's adjustment runs across the
families tested. The verdict, and the exit status:

- FAIL (1): some family's Holm-adjusted p <= alpha and its drop >= min-drop;
- WARN (3): no FAIL, but some family dropped >= min-drop with its own p <= alpha that Holm's
  adjustment across families does not keep significant (inconclusive; the reason gives the power
  the test had to detect a min-drop drop). A drop without even that evidence passes: at 20 to 80
  items a family, a 5-point drop is one to four items, and warning on every such drop warned on
  62-85% of unchanged runs (benchmarks/eval_gate_power.py; with this rule, 14-20%);
- PASS (0): otherwise; unusable input (unreadable, invalid, nothing scored in both runs): 2.

``promote RESULTS`` copies a results file to ``evals/baselines/<target>/<model>.json`` (or
``--to``), stamped ``"promoted": {"at", "from"}``, through a temporary file and :func:`os.replace`,
so a crash leaves the old baseline or the new one. It refuses, unless ``--force``, a run with
"error" or "unavailable" records (it would understate the baseline and hide regressions), a run
with no scored record (a replay of nothing), and a destination that holds another target's or
model's baseline or no usable results file (a wrong path). Replacing the same target and model's
baseline is what promotion is for: it goes ahead and names the date it replaced.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import re
import sys
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from .. import schemas
from ..files import write_atomically
from . import stats

__all__ = ["SUBCOMMANDS", "ResultsError", "FamilyTest", "Judgement", "Family", "Flip", "Usage", "Comparison",
           "load", "paired_test", "judge", "compare", "render", "to_json", "baseline_path", "promote", "main"]

SCHEMA = "evals/results.schema.json"
FAMILIES: tuple[str, ...] = tuple(schemas.load(SCHEMA)["$defs"]["family"]["enum"])  # the report's order
COUNTED, LEFT_OUT = ("scored", "error"), ("n/a", "unavailable")
EXIT = {"PASS": 0, "FAIL": 1, "WARN": 3}
UNUSABLE = 2
BASELINES = Path(__file__).resolve().parents[2] / "evals" / "baselines"
COMPARISON_FORMAT = "mimo-conformance/eval-comparison/1"
_EPS = 1e-9  # drops are differences of float means: 0.90 - 0.85 must count as 5 points
_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")  # a target or model name usable as a path segment

Key = tuple[str, str, int]  # (item, protocol, epoch)


class ResultsError(ValueError):
    """A results file or pair of files that cannot be used; one line naming the file, the JSON pointer and why."""


def load(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The results file at ``path``, checked against its schema and the rules a schema cannot state."""
    doc = _read_json(Path(path))
    found = schemas.errors(SCHEMA, doc)
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise ResultsError(f"{path}: {found[0]}{more}")
    problem = _inconsistency(doc)
    if problem:
        raise ResultsError(f"{path}: {problem}")
    return doc


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ResultsError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ResultsError(f"{path}: not UTF-8 (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise ResultsError(f"{path}: not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None


def _inconsistency(doc: dict[str, Any]) -> str | None:
    """The first record breaking a rule the schema cannot state, as "pointer: problem"; None when all hold."""
    first_of_key: dict[Key, int] = {}
    first_of_item: dict[str, int] = {}
    for i, r in enumerate(doc["records"]):
        if r["epoch"] > doc["epochs"]:
            return f"/records/{i}/epoch: {r['epoch']} is more than the run's epochs ({doc['epochs']})"
        if r["protocol"] not in doc["protocols"]:
            return f"/records/{i}/protocol: {r['protocol']!r} is not among the run's protocols {doc['protocols']}"
        j = first_of_key.setdefault(_key(r), i)
        if j != i:
            return f"/records/{i}: a second record of {r['item']} {r['protocol']} epoch {r['epoch']} (the first is /records/{j})"
        j = first_of_item.setdefault(r["item"], i)
        differs = [a for a in ("family", "stratum", "lang") if r[a] != doc["records"][j][a]]
        if differs:
            a = differs[0]
            return f"/records/{i}/{a}: {r['item']} is {r[a]!r} here but {doc['records'][j][a]!r} at /records/{j}"
    return None


def _key(record: Mapping[str, Any]) -> Key:
    return record["item"], record["protocol"], record["epoch"]


@dataclass(frozen=True)
class FamilyTest:
    """One family's paired test: items compared, pass rates with 95% Wilson intervals, drop, p and power.

    Rates are means over items of each item's mean pass, so an item weighs the same whatever its
    number of records; the Wilson interval takes the item count as n (the textbook interval with
    one record per item, conservative with several, whose records are correlated). ``drop`` is
    baseline minus candidate, as a fraction; ``power`` is the chance the test detects a drop of the
    gate's min-drop (see :func:`paired_test`).
    """

    test: str  # "McNemar", "bootstrap" or "none" (no item has a counted record in both runs)
    items: int
    baseline_rate: float
    baseline_ci: tuple[float, float]
    candidate_rate: float
    candidate_ci: tuple[float, float]
    drop: float
    p: float
    power: float
    discordant: tuple[int, int] | None = None  # McNemar's (b, c): pass -> fail, fail -> pass
    drop_ci: tuple[float, float] | None = None  # the bootstrap's 95% percentile interval of the drop


NO_TEST = FamilyTest("none", 0, 0.0, (0.0, 1.0), 0.0, (0.0, 1.0), 0.0, 1.0, 0.0)


def paired_test(baseline: Mapping[Key, bool], candidate: Mapping[Key, bool], strata: Mapping[str, str], *,
                min_drop: float, alpha: float, resamples: int = 2000, seed: Any = 0) -> FamilyTest:
    """Test one family's counted records (key -> passed) for a drop: McNemar when every item gives one pair, else the bootstrap.

    Only items with a counted record in both runs take part. ``alpha`` is the level at which the
    power to detect ``min_drop`` is computed (the gate passes alpha / families tested, the level
    Holm applies to the smallest p; later steps test at higher levels).
    """
    items = sorted({k[0] for k in baseline} & {k[0] for k in candidate})
    if not items:
        return NO_TEST
    kept = set(items)
    base = {k: v for k, v in baseline.items() if k[0] in kept}
    cand = {k: v for k, v in candidate.items() if k[0] in kept}
    if len(base) == len(items) and base.keys() == cand.keys():
        return _mcnemar(base, cand, min_drop=min_drop, alpha=alpha)
    return _bootstrap(items, base, cand, strata, min_drop=min_drop, alpha=alpha, resamples=resamples, seed=seed)


def _mcnemar(base: Mapping[Key, bool], cand: Mapping[Key, bool], *, min_drop: float, alpha: float) -> FamilyTest:
    n = len(base)
    b = sum(1 for k, ok in base.items() if ok and not cand[k])
    c = sum(1 for k, ok in base.items() if cand[k] and not ok)
    passed_b, passed_c = sum(base.values()), sum(cand.values())
    return FamilyTest("McNemar", n, passed_b / n, stats.wilson(passed_b, n), passed_c / n, stats.wilson(passed_c, n),
                      (passed_b - passed_c) / n, stats.mcnemar_p(b, c),
                      stats.mcnemar_power(n, b + c, min_drop, alpha=alpha), discordant=(b, c))


def _bootstrap(items: list[str], base: Mapping[Key, bool], cand: Mapping[Key, bool], strata: Mapping[str, str], *,
               min_drop: float, alpha: float, resamples: int, seed: Any) -> FamilyTest:
    (mean_b, _), (mean_c, records_c) = _item_means(base, items), _item_means(cand, items)
    drops, n = mean_b - mean_c, len(items)
    boot = stats.paired_bootstrap(drops, [strata[i] for i in items], resamples=resamples, seed=seed)
    rate_b, rate_c = float(mean_b.mean()), float(mean_c.mean())
    return FamilyTest("bootstrap", n, rate_b, stats.wilson(rate_b * n, n), rate_c, stats.wilson(rate_c * n, n),
                      rate_b - rate_c, boot.p, stats.bootstrap_power(drops, records_c, min_drop, alpha=alpha),
                      drop_ci=boot.ci)


def _item_means(records: Mapping[Key, bool], items: Sequence[str]) -> tuple[np.ndarray, list[int]]:
    """Each item's mean pass over its records, and its number of records."""
    passed: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for (item, _, _), ok in records.items():
        passed[item] += ok
        total[item] += 1
    return np.array([passed[i] / total[i] for i in items]), [total[i] for i in items]


@dataclass(frozen=True)
class Judgement:
    """Holm-adjusted p per family tested, each family's verdict, and the run's verdict with its reason."""

    holm: dict[str, float]
    verdicts: dict[str, str]  # family -> "FAIL", "WARN", "pass" or "untested" (no item counted in both runs)
    verdict: str
    reason: str


def judge(tests: Mapping[str, FamilyTest], *, alpha: float, min_drop: float) -> Judgement:
    """Adjust the tested families' p-values (Holm) and apply the verdict rules of the module docstring."""
    tested = [f for f, t in tests.items() if t.items]
    holm = dict(zip(tested, stats.holm([tests[f].p for f in tested])))
    verdicts = {f: _family_verdict(t, holm.get(f), alpha, min_drop) for f, t in tests.items()}
    verdict = next((v for v in ("FAIL", "WARN") if v in verdicts.values()), "PASS")
    return Judgement(holm, verdicts, verdict, _reason(verdict, tests, holm, verdicts, alpha=alpha, min_drop=min_drop))


def _family_verdict(test: FamilyTest, holm_p: float | None, alpha: float, min_drop: float) -> str:
    if holm_p is None:
        return "untested"
    if test.drop < min_drop - _EPS:
        return "pass"
    if holm_p <= alpha:
        return "FAIL"
    return "WARN" if test.p <= alpha else "pass"


def _reason(verdict: str, tests: Mapping[str, FamilyTest], holm: Mapping[str, float], verdicts: Mapping[str, str],
            *, alpha: float, min_drop: float) -> str:
    named = [f for f, v in verdicts.items() if v == verdict]
    least = f"{_points(min_drop)}-point"
    if verdict == "FAIL":
        found = "; ".join(f"{f} dropped {_points(tests[f].drop)} points (Holm p {_p(holm[f])})" for f in named)
        return f"FAIL: {found}: significant at alpha {alpha:g} and at least the {least} min-drop"
    if verdict == "WARN":
        found = "; ".join(f"{f} dropped {_points(tests[f].drop)} points with p {_p(tests[f].p)} alone, but Holm p {_p(holm[f])} > alpha {alpha:g}, "
                          f"and the test had {tests[f].power:.0%} power (at {_level(len(holm))}) to detect a {least} drop" for f in named)
        return f"WARN: inconclusive: {found}"
    if not holm:
        return "PASS: no family was tested"
    worst = max(holm, key=lambda f: tests[f].drop)
    return (f"PASS: no family dropped {_points(min_drop)} points or more with p <= alpha {alpha:g} "
            f"(largest drop: {worst}, {_points(tests[worst].drop)} points)")


@dataclass(frozen=True)
class Family:
    """A family's row: its test, Holm-adjusted p, verdict, and what it left out."""

    family: str
    test: FamilyTest
    holm_p: float | None
    verdict: str
    left_out: dict[str, dict[str, int]]  # run ("baseline", "candidate") -> status ("n/a", "unavailable") -> records
    unpaired: int  # items in both runs with no counted record in one of them


@dataclass(frozen=True)
class Flip:
    """A record that passed in one run and failed in the other, paired on (item, protocol, epoch)."""

    family: str
    item: str
    protocol: str
    epoch: int
    change: str  # "pass -> fail" or "fail -> pass"
    detail: str  # the candidate's grader detail


@dataclass(frozen=True)
class Usage:
    """One metric of one family (or "all") over the compared items' counted records: totals, per item and epoch.

    ``*_missing`` counts the records without a value (left out of the totals).
    """

    family: str
    metric: str
    baseline: float
    candidate: float
    baseline_per_item: float
    candidate_per_item: float
    baseline_missing: int
    candidate_missing: int


@dataclass(frozen=True)
class Comparison:
    """Everything :func:`compare` found, in the order the report prints it."""

    runs: dict[str, dict[str, Any]]  # "baseline", "candidate" -> file, target, model, date, epochs, counts
    options: dict[str, Any]
    warnings: tuple[str, ...]
    only_baseline: tuple[str, ...]
    only_candidate: tuple[str, ...]
    families: tuple[Family, ...]
    flips: tuple[Flip, ...]
    usage: tuple[Usage, ...]
    verdict: str
    reason: str

    @property
    def exit_status(self) -> int:
        """0 PASS, 1 FAIL, 3 WARN."""
        return EXIT[self.verdict]


def compare(baseline: Mapping[str, Any], candidate: Mapping[str, Any], *, alpha: float = 0.05,
            min_drop: float = 0.05, resamples: int = 2000, seed: int | None = 0,
            names: tuple[str, str] = ("baseline", "candidate")) -> Comparison:
    """Compare two loaded results files; raise :class:`ResultsError` when no item is counted in both."""
    attrs = _attributes(baseline), _attributes(candidate)
    common = attrs[0].keys() & attrs[1].keys()
    grouped = [_by_family(_counted(doc, common), attrs[0]) for doc in (baseline, candidate)]
    families = [f for f in FAMILIES if any(attrs[0][i]["family"] == f for i in common)]
    tested = [f for f in families if {k[0] for k in grouped[0][f]} & {k[0] for k in grouped[1][f]}]
    if not tested:
        raise ResultsError(f"{names[0]} and {names[1]}: no item has a scored or error record in both runs")
    strata = {i: a["stratum"] for i, a in attrs[0].items()}
    tests = {f: paired_test(grouped[0][f], grouped[1][f], strata, min_drop=min_drop, alpha=alpha / len(tested),
                            resamples=resamples, seed=None if seed is None else [seed, FAMILIES.index(f)])
             for f in families}
    judged = judge(tests, alpha=alpha, min_drop=min_drop)
    compared = {k[0] for k in _counted(baseline, common)} & {k[0] for k in _counted(candidate, common)}
    return Comparison(
        runs={"baseline": _header(baseline, names[0]), "candidate": _header(candidate, names[1])},
        options={"alpha": alpha, "min_drop": min_drop, "resamples": resamples, "seed": seed},
        warnings=tuple(_warnings(baseline, candidate)),
        only_baseline=tuple(sorted(attrs[0].keys() - common)), only_candidate=tuple(sorted(attrs[1].keys() - common)),
        families=tuple(_family(f, tests[f], judged, baseline, candidate, common) for f in families),
        flips=tuple(_flips(baseline, candidate, attrs[0])), usage=tuple(_usage(baseline, candidate, compared, attrs[0])),
        verdict=judged.verdict, reason=judged.reason)


def _attributes(doc: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Item id -> one of its records (family, stratum and lang agree across them; :func:`load` checks it)."""
    return {r["item"]: r for r in doc["records"]}


def _counted(doc: Mapping[str, Any], items: set[str]) -> dict[Key, bool]:
    """Key -> passed, for the records of ``items`` that count: scored, or error (a failure)."""
    return {_key(r): bool(r["passed"]) for r in doc["records"] if r["status"] in COUNTED and r["item"] in items}


def _by_family(counted: Mapping[Key, bool], attrs: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[Key, bool]]:
    grouped: dict[str, dict[Key, bool]] = defaultdict(dict)
    for key, ok in counted.items():
        grouped[attrs[key[0]]["family"]][key] = ok
    return grouped


def _family(name: str, test: FamilyTest, judged: Judgement, baseline: Mapping[str, Any],
            candidate: Mapping[str, Any], common: set[str]) -> Family:
    runs = {"baseline": baseline, "candidate": candidate}
    left_out = {run: {s: sum(1 for r in doc["records"] if r["family"] == name and r["status"] == s) for s in LEFT_OUT}
                for run, doc in runs.items()}
    in_both = {r["item"] for r in baseline["records"] if r["family"] == name and r["item"] in common}
    return Family(name, test, judged.holm.get(name), judged.verdicts[name], left_out, len(in_both) - test.items)


def _header(doc: Mapping[str, Any], name: str) -> dict[str, Any]:
    statuses = Counter(r["status"] for r in doc["records"])
    return {"file": name, **{k: doc[k] for k in ("target", "model", "date", "epochs", "mode", "protocols", "currency")},
            "items": len({r["item"] for r in doc["records"]}), "records": len(doc["records"]),
            "statuses": {s: statuses[s] for s in COUNTED + LEFT_OUT}}


def _warnings(baseline: Mapping[str, Any], candidate: Mapping[str, Any]) -> Iterable[str]:
    if baseline["items_digest"] != candidate["items_digest"]:
        yield (f"the item sets differ (items_digest {baseline['items_digest'][:19]}... vs "
               f"{candidate['items_digest'][:19]}...): only items in both runs are compared, and an item "
               "changed under the same id is still paired")
    if baseline["currency"] != candidate["currency"]:
        yield f"the currencies differ ({baseline['currency']} vs {candidate['currency']}): cost is left out"


def _flips(baseline: Mapping[str, Any], candidate: Mapping[str, Any], attrs: Mapping[str, Mapping[str, Any]]) -> Iterable[Flip]:
    """Records counted in both runs whose pass/fail changed: regressions first, then by family and item."""
    base = {_key(r): r for r in baseline["records"] if r["status"] in COUNTED}
    found = []
    for r in candidate["records"]:
        old = base.get(_key(r))
        if r["status"] in COUNTED and old is not None and bool(old["passed"]) != bool(r["passed"]):
            change = "pass -> fail" if old["passed"] else "fail -> pass"
            found.append(Flip(attrs[r["item"]]["family"], r["item"], r["protocol"], r["epoch"], change, r["detail"]))
    return sorted(found, key=lambda f: (f.change != "pass -> fail", FAMILIES.index(f.family), f.item, f.protocol, f.epoch))


METRICS: dict[str, Callable[[Mapping[str, Any]], float | None]] = {
    "cost": lambda r: r["cost"],
    "prompt tokens": lambda r: r["tokens"] and r["tokens"]["prompt"],
    "completion tokens": lambda r: r["tokens"] and r["tokens"]["completion"],
    "reasoning tokens": lambda r: r["tokens"] and r["tokens"]["reasoning"],
    "latency s": lambda r: r["latency_s"],
}


def _usage(baseline: Mapping[str, Any], candidate: Mapping[str, Any], compared: set[str],
           attrs: Mapping[str, Mapping[str, Any]]) -> Iterable[Usage]:
    """Each metric both runs report, per family and over all, on the compared items (cost only in one currency)."""
    metrics = [m for m in METRICS if all(_reports(doc, m) for doc in (baseline, candidate))]
    if baseline["currency"] != candidate["currency"]:
        metrics = [m for m in metrics if m != "cost"]
    for family in [f for f in FAMILIES if any(attrs[i]["family"] == f for i in compared)] + ["all"]:
        items = {i for i in compared if family in ("all", attrs[i]["family"])}
        for metric in metrics:
            (total_b, per_b, missing_b), (total_c, per_c, missing_c) = (_total(d, items, metric) for d in (baseline, candidate))
            yield Usage(family, metric, total_b, total_c, per_b, per_c, missing_b, missing_c)


def _reports(doc: Mapping[str, Any], metric: str) -> bool:
    return any(METRICS[metric](r) is not None for r in doc["records"])


def _total(doc: Mapping[str, Any], items: set[str], metric: str) -> tuple[float, float, int]:
    """The metric's total over the counted records of ``items``, that total per item and epoch, and the records without it."""
    values = [METRICS[metric](r) for r in doc["records"] if r["item"] in items and r["status"] in COUNTED]
    total = float(sum(v for v in values if v is not None))
    return total, total / max(1, len(items)) / doc["epochs"], sum(v is None for v in values)


def render(comparison: Comparison) -> list[str]:
    """The comparison as plain-text lines: runs, warnings, families, flips, usage, then the verdict."""
    c = comparison
    return [*_render_runs(c), *(f"warning: {w}" for w in c.warnings), *_render_only(c), "",
            *_render_families(c), "", *_render_flips(c), "", *_render_usage(c), "", c.reason]


def _render_runs(c: Comparison) -> list[str]:
    b, k = c.runs["baseline"], c.runs["candidate"]
    rows = [["", "baseline", "candidate"]]
    for field in ("file", "target", "model", "date", "epochs", "mode", "items", "records"):
        rows.append([field, str(b[field]), str(k[field])])
    for status in COUNTED + LEFT_OUT:
        rows.append([f"  {status}", str(b["statuses"][status]), str(k["statuses"][status])])
    return _table(rows)


def _render_only(c: Comparison) -> list[str]:
    lines = []
    for run, items in (("baseline", c.only_baseline), ("candidate", c.only_candidate)):
        if items:
            shown = ", ".join(items[:20]) + (f" and {len(items) - 20} more" if len(items) > 20 else "")
            lines.append(f"left out, only in the {run} ({_count(len(items), 'item')}): {shown}")
    return lines


def _render_families(c: Comparison) -> list[str]:
    least = _points(c.options["min_drop"])
    rows = [["family", "items", "baseline % [95% CI]", "candidate % [95% CI]", "drop, points", "test", "p", "Holm p",
             "power", "verdict"]]
    for f in c.families:
        t = f.test
        if not t.items:
            rows.append([f.family, "0", "-", "-", "-", "none", "-", "-", "-", f.verdict])
            continue
        rows.append([f.family, str(t.items), _rate(t.baseline_rate, t.baseline_ci), _rate(t.candidate_rate, t.candidate_ci),
                     _points(t.drop), t.test, _p(t.p), _p(f.holm_p), f"{t.power:.0%}", f.verdict])
    tested = sum(1 for f in c.families if f.test.items)
    title = (f"Pass rates and paired tests: alpha {c.options['alpha']:g}, Holm across {tested} families, min-drop {least} "
             f"points; power: the chance to detect a {least}-point drop at {_level(tested)}")
    return [title, *_table(rows, right={1, 4, 6, 7, 8}), *_render_left_out(c)]


def _render_left_out(c: Comparison) -> list[str]:
    lines = []
    for f in c.families:
        parts = [f"{run} {n} {s}" for run, counts in f.left_out.items() for s, n in counts.items() if n]
        if f.unpaired:
            parts.append(f"{_count(f.unpaired, 'item')} without a counted record in one run")
        if parts:
            lines.append(f"  left out of {f.family}: {', '.join(parts)}")
    return lines


def _render_flips(c: Comparison) -> list[str]:
    changes = Counter(f.change for f in c.flips)
    head = (f"Flipped records, paired on (item, protocol, epoch): {changes['pass -> fail']} pass -> fail, "
            f"{changes['fail -> pass']} fail -> pass")
    rows = [[f.change, f.family, f.item, f.protocol, f"epoch {f.epoch}", _one_line(f.detail)] for f in c.flips]
    return [head, *("  " + line for line in _table(rows))] if rows else [head]


def _render_usage(c: Comparison) -> list[str]:
    currency = c.runs["baseline"].get("currency", "")
    rows = [["family", "metric", "baseline", "candidate", "change", "per item: baseline", "candidate", "records without"]]
    for u in c.usage:
        rows.append([u.family, u.metric, _amount(u.metric, u.baseline), _amount(u.metric, u.candidate),
                     _change(u.baseline, u.candidate), _amount(u.metric, u.baseline_per_item, per_item=True),
                     _amount(u.metric, u.candidate_per_item, per_item=True), f"{u.baseline_missing} / {u.candidate_missing}"])
    head = (f"Cost{f' ({currency})' if currency else ''}, tokens and latency: totals over the compared items' counted "
            "records (records without a value left out), per item and epoch")
    return [head, *_table(rows, right={2, 3, 4, 5, 6, 7})] if c.usage else [head, "  no record reports any"]


def _table(rows: Sequence[Sequence[str]], right: Iterable[int] = ()) -> list[str]:
    """Rows as columns two spaces apart; the columns in ``right`` aligned right."""
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    aligned = set(right)
    return ["  ".join(cell.rjust(w) if i in aligned else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths))).rstrip()
            for row in rows]


def _level(families: int) -> str:
    """The level power is computed at: alpha over the families tested, Holm's strictest step."""
    return "alpha" if families == 1 else f"alpha/{families}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _points(fraction: float) -> str:
    return f"{fraction * 100:.1f}"


def _p(p: float | None) -> str:
    return "-" if p is None else f"{p:.4f}" if p >= 1e-4 else f"{p:.1e}"


def _rate(rate: float, ci: tuple[float, float]) -> str:
    return f"{rate * 100:.1f} [{ci[0] * 100:.1f}, {ci[1] * 100:.1f}]"


def _one_line(text: str, limit: int = 100) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _amount(metric: str, value: float, *, per_item: bool = False) -> str:
    if metric == "cost":
        return f"{value:.6f}" if per_item else f"{value:.4f}"
    if metric == "latency s":
        return f"{value:.2f}" if per_item else f"{value:.1f}"
    return f"{value:,.1f}" if per_item else f"{value:,.0f}"


def _change(before: float, after: float) -> str:
    return "-" if before == 0 else f"{(after - before) / before:+.1%}"


def to_json(comparison: Comparison) -> dict[str, Any]:
    """The comparison as a JSON-ready dict, tagged with its format."""
    return {"format": COMPARISON_FORMAT, **asdict(comparison), "exit_status": comparison.exit_status}


def baseline_path(doc: Mapping[str, Any]) -> Path:
    """``evals/baselines/<target>/<model>.json`` for the run's target and model."""
    for name in (doc["target"], doc["model"]):
        if not _SEGMENT.fullmatch(name):
            raise ResultsError(f"{name!r} cannot name a baseline file: give the destination with --to")
    return BASELINES / doc["target"] / f"{doc['model']}.json"


def promote(results: str | os.PathLike[str], to: str | os.PathLike[str] | None = None, *, force: bool = False,
            now: dt.datetime | None = None) -> tuple[Path, str | None]:
    """Copy ``results`` to its baseline path, stamped "promoted"; the path and the date of the baseline it replaced.

    Raises :class:`ResultsError` on an unusable file, and on the refusals of the module docstring
    unless ``force``. Writes through a temporary file in the destination folder and os.replace.
    """
    doc = load(results)
    dest = Path(to) if to is not None else baseline_path(doc)
    problem = None if force else _refusal(doc, dest)
    if problem:
        raise ResultsError(f"{results}: not promoted: {problem}; --force promotes it anyway")
    replaced = _date_of(dest)
    at = (now or dt.datetime.now(dt.timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")
    stamped = {**doc, "promoted": {"at": at, "from": Path(results).as_posix()}}
    write_atomically(dest, json.dumps(stamped, indent=1, ensure_ascii=False) + "\n")
    return dest, replaced


def _refusal(doc: Mapping[str, Any], dest: Path) -> str | None:
    """Why ``doc`` should not become the baseline at ``dest``, or None."""
    statuses = Counter(r["status"] for r in doc["records"])
    incomplete = [s for s in ("error", "unavailable") if statuses[s]]
    if incomplete:
        first = next(i for i, r in enumerate(doc["records"]) if r["status"] in incomplete)
        counts = " and ".join(f"{statuses[s]} {s}" for s in incomplete)
        return (f"{counts} records (the first is /records/{first}): a baseline with failures that are not the "
                "model's understates it and hides regressions; run those items again")
    if not statuses["scored"]:
        return "no record is scored: a baseline of nothing"
    if not dest.exists():
        return None
    try:
        old = load(dest)
    except ResultsError as exc:
        return f"{dest} exists and is not a usable results file ({exc})"
    if (old["target"], old["model"]) != (doc["target"], doc["model"]):
        return f"{dest} holds the baseline of {old['target']} {old['model']}, not of {doc['target']} {doc['model']}"
    return None


def _date_of(path: Path) -> str | None:
    try:
        return str(json.loads(path.read_text(encoding="utf-8"))["date"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


# name -> ("module:function" taking the remaining arguments and returning the exit status, help); add more here
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "compare": ("conformance.evals.gate:compare_main",
                "judge a candidate run against a baseline: PASS 0, FAIL 1, WARN 3, unusable input 2"),
    "promote": ("conformance.evals.gate:promote_main",
                "copy a results file to evals/baselines/<target>/<model>.json, stamped"),
    "rescore": ("conformance.evals.rescore:main",
                "rebuild a recorded run's results from its cassettes, offline: 0 identical, 1 different, 2 unusable"),
}


def main(argv: Sequence[str] | None = None) -> int:
    """``mimo-conformance evals SUBCOMMAND …``: run the subcommand; the exit status is its own."""
    parser = argparse.ArgumentParser(prog="mimo-conformance evals", description="Compare and promote eval results.")
    sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
    for name, (_, help_text) in SUBCOMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    args, rest = parser.parse_known_args(argv)
    module, function = SUBCOMMANDS[args.subcommand][0].split(":")
    return getattr(importlib.import_module(module), function)(rest)


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1")
    return value


def _points_option(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text} is not a fraction between 0 and 1 (0.05 is 5 points)")
    return value


def _resamples(text: str) -> int:
    value = int(text)
    if value < 100:
        raise argparse.ArgumentTypeError(f"{text}: at least 100 resamples")
    return value


def _compare_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mimo-conformance evals compare", description="Judge whether CANDIDATE regressed against BASELINE.",
        epilog="Exit status: 0 PASS, 1 FAIL, 3 WARN (a drop of min-drop or more significant in its family but not after Holm), 2 unusable input.")
    parser.add_argument("baseline", metavar="BASELINE", help="the baseline results file (evals/baselines/<target>/<model>.json)")
    parser.add_argument("candidate", metavar="CANDIDATE", help="the candidate results file")
    parser.add_argument("--alpha", type=_fraction, default=0.05, help="family-wise significance level, Holm across families (default 0.05)")
    parser.add_argument("--min-drop", type=_points_option, default=0.05,
                        help="smallest drop in pass rate that fails, as a fraction (default 0.05: 5 points)")
    parser.add_argument("--bootstrap", type=_resamples, default=2000, metavar="N", help="bootstrap resamples (default 2000)")
    parser.add_argument("--seed", type=int, default=0, help="the bootstrap's seed (default 0: the same answer every run)")
    parser.add_argument("--json", metavar="PATH", help="also write the comparison as JSON")
    return parser


def compare_main(argv: Sequence[str]) -> int:
    """``evals compare``: print the comparison; exit 0 PASS, 1 FAIL, 3 WARN, 2 on unusable input."""
    args = _compare_parser().parse_args(argv)
    try:
        docs = load(args.baseline), load(args.candidate)
        result = compare(*docs, alpha=args.alpha, min_drop=args.min_drop, resamples=args.bootstrap, seed=args.seed,
                         names=(args.baseline, args.candidate))
    except ResultsError as exc:
        print(f"mimo-conformance evals compare: error: {exc}", file=sys.stderr)
        return UNUSABLE
    print("\n".join(render(result)))
    if args.json:
        try:
            write_atomically(Path(args.json), json.dumps(to_json(result), indent=1, ensure_ascii=False) + "\n")
        except OSError as exc:
            print(f"mimo-conformance evals compare: error: {args.json}: cannot write it: {exc.strerror or exc}", file=sys.stderr)
            return UNUSABLE
    return result.exit_status


def promote_main(argv: Sequence[str]) -> int:
    """``evals promote``: copy a results file to its baseline path; exit 2 when it is unusable or refused."""
    parser = argparse.ArgumentParser(prog="mimo-conformance evals promote",
                                     description="Make a results file the baseline of its target and model.")
    parser.add_argument("results", metavar="RESULTS", help="the results file to promote")
    parser.add_argument("--to", metavar="PATH", help="destination (default evals/baselines/<target>/<model>.json)")
    parser.add_argument("--force", action="store_true",
                        help="promote despite error or unavailable records, nothing scored, or another model's baseline at PATH")
    args = parser.parse_args(argv)
    try:
        dest, replaced = promote(args.results, args.to, force=args.force)
    except (ResultsError, OSError) as exc:
        print(f"mimo-conformance evals promote: error: {exc}", file=sys.stderr)
        return UNUSABLE
    print(f"promoted {args.results} to {dest}" + (f", replacing the baseline dated {replaced}" if replaced else ""))
    return 0
