"""How often the eval gate cries wolf, and how often it catches a real drop, at our item counts.

Run: nice python3 benchmarks/eval_gate_power.py   (about five minutes on two idle cores; writes
benchmarks/results/eval_gate_power.json and docs/evals-gate.md). The seed is fixed: a rerun on
the same numpy and the same item set reproduces both files. ``--doc-only`` rewrites
docs/evals-gate.md from the JSON.

The items are the real ones (``conformance.evals.items.load()``): each family's items, with their
ids, strata and the protocols each lists, so the simulated records are the records a run makes.
Long-context and thinking items are n/a on a model whose window is too small or that cannot think,
and are simulated anyway: the tables are for a model that takes every item (Holm across seven
families); the unchanged-run verdicts are also given for five families, without those two. The
pass rates are assumptions (``PASS_RATES``), not measurements.

The model: per family, every item's pass probability is drawn from a Beta distribution around the
family's pass rate with concentration 2 (most items nearly always or nearly never pass, as eval
items do); each record (item x protocol x epoch) passes independently with its item's probability.
Under "nothing changed" the candidate draws from the same probabilities. A drop of d points hits
one family at a time, in one of two shapes, each with an expected family drop of exactly d:

- uniform: every item keeps the share 1 - d / mean(p) of its pass probability;
- subset: items taken in random order lose all of their pass probability until the expected
  drop reaches d (the last one in part): a few items break.

The gate is the real one (conformance.evals.gate.paired_test per family, gate.judge across
them), with 2000 bootstrap resamples; its WARN is the gate's. Beside it, the rule WARN had before
(any drop >= min-drop without a FAIL, significant or not) is counted from the same simulations.
Families are independent, so the families that did not drop reuse the unchanged simulations of
the same index.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from conformance.evals import gate, items, stats  # noqa: E402 (after the path is set)

OUT = Path(__file__).with_name("results") / "eval_gate_power.json"
DOC = ROOT / "docs" / "evals-gate.md"

# family -> the mean pass rate assumed for its items: guesses for a capable model, not measurements
PASS_RATES = {
    "instruction_following": 0.80,
    "function_calling": 0.85,
    "multi_turn_tools": 0.60,
    "json_mode": 0.90,
    "arithmetic": 0.75,
    "long_context": 0.70,
    "thinking": 0.65,
}
# n/a on a model without a long enough window (an item's context_tokens) or without thinking (requires)
OPTIONAL = ("long_context", "thinking")
CONCENTRATION = 2.0
STEADIER = 0.5  # the sensitivity run: items that flip less between runs
EPOCHS = (1, 3)
DROPS = (0.03, 0.05, 0.10)
SHAPES = ("uniform", "subset")
SIMULATIONS = 1000
ALPHA, MIN_DROP, RESAMPLES = 0.05, 0.05, 2000
LOOSER_WARN = 0.2  # an alternative WARN rule measured alongside: drop >= min-drop and unadjusted p <= this
SEED = 20261126


class Family(NamedTuple):
    """One family of the real item set, as the simulation needs it."""

    ids: list[str]
    strata: list[str]
    slots: list[tuple[str, str]]  # (item id, protocol): the records one epoch makes
    item_of_slot: np.ndarray  # each slot's item index
    rate: float


def item_set() -> dict[str, Family]:
    """The families of ``evals/items`` in the report's order, with their assumed pass rates."""
    by_family: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in items.load():
        by_family[item["family"]].append(item)
    if by_family.keys() != PASS_RATES.keys():
        raise SystemExit(f"PASS_RATES names {sorted(PASS_RATES)}, the items {sorted(by_family)}: assume a rate for each")
    return {f: _family(by_family[f], PASS_RATES[f]) for f in gate.FAMILIES if f in by_family}


def _family(members: list[dict[str, Any]], rate: float) -> Family:
    slots = [(i, item["id"], protocol) for i, item in enumerate(members) for protocol in item["protocols"]]
    return Family([m["id"] for m in members], [m["stratum"] for m in members], [(d, pr) for _, d, pr in slots],
                  np.array([i for i, _, _ in slots]), rate)


FAMILIES = item_set()
K = len(FAMILIES)


def protocols_per_item(family: Family) -> list[int]:
    """The distinct numbers of protocols the family's items list, ascending."""
    return sorted(set(np.bincount(family.item_of_slot).tolist()))


def probabilities(rng: np.random.Generator, rate: float, n: int, concentration: float = CONCENTRATION) -> np.ndarray:
    """Items' pass probabilities around ``rate``."""
    return rng.beta(rate * concentration, (1 - rate) * concentration, n)


def flip_rate(rate: float, concentration: float) -> float:
    """The share of records that flip between two unchanged runs, E[2p(1 - p)] for p ~ Beta around ``rate``."""
    return 2 * rate * (1 - rate) * concentration / (concentration + 1)


def dropped(rng: np.random.Generator, p: np.ndarray, drop: float, shape: str) -> np.ndarray:
    """``p`` after an expected drop of ``drop`` in the family's mean pass rate, in the given shape."""
    if shape == "uniform":
        return p * (1 - drop / p.mean())
    out, need = p.copy(), drop * p.size
    for i in rng.permutation(p.size):
        take = min(out[i], need)
        out[i] -= take
        need -= take
        if need <= 1e-12:
            break
    return out


def passes(rng: np.random.Generator, family: Family, p: np.ndarray, epochs: int) -> np.ndarray:
    """One run's outcomes, a (slots, epochs) array: each record passes with its item's probability."""
    return rng.random((len(family.slots), epochs)) < p[family.item_of_slot][:, None]


def records(rng: np.random.Generator, family: Family, p: np.ndarray, epochs: int) -> dict[gate.Key, bool]:
    """One run's records of ``family``, keyed as the gate pairs them: (item, protocol, epoch) -> passed."""
    passed = passes(rng, family, p, epochs)
    return {(*family.slots[s], e + 1): bool(ok) for (s, e), ok in np.ndenumerate(passed)}


def family_test(rng: np.random.Generator, name: str, epochs: int, drop: float = 0.0, shape: str = "uniform",
                concentration: float = CONCENTRATION) -> gate.FamilyTest:
    """The gate's test of one simulated family, the candidate ``drop`` lower in ``shape``."""
    family = FAMILIES[name]
    p = probabilities(rng, family.rate, len(family.ids), concentration)
    base = records(rng, family, p, epochs)
    cand = records(rng, family, dropped(rng, p, drop, shape) if drop else p, epochs)
    return gate.paired_test(base, cand, dict(zip(family.ids, family.strata)), min_drop=MIN_DROP, alpha=ALPHA / K,
                            resamples=RESAMPLES, seed=int(rng.integers(2**32)))


def old_rule_warns(tests: dict[str, gate.FamilyTest], judged: gate.Judgement) -> bool:
    """The WARN rule before this one: no FAIL, and some family dropped >= min-drop, significant or not."""
    return judged.verdict != "FAIL" and any(t.items and t.drop >= MIN_DROP - 1e-9 for t in tests.values())


def verdict_rates(null: list[dict[str, gate.FamilyTest]]) -> dict[str, Any]:
    """How often unchanged runs FAIL, WARN, would WARN under the old rule, or under a looser p."""
    judged = [gate.judge(tests, alpha=ALPHA, min_drop=MIN_DROP) for tests in null]
    rate = lambda hits: sum(hits) / len(null)  # noqa: E731
    return {"tested": len(null[0]), "fail": rate(j.verdict == "FAIL" for j in judged),
            "warn": rate(j.verdict == "WARN" for j in judged),
            "warn_old_rule": rate(old_rule_warns(tests, j) for tests, j in zip(null, judged)),
            "warn_looser": rate(
                j.verdict != "FAIL" and any(t.drop >= MIN_DROP - 1e-9 and t.p <= LOOSER_WARN for t in tests.values())
                for tests, j in zip(null, judged))}


def false_alarms(null: list[dict[str, gate.FamilyTest]]) -> dict[str, Any]:
    """Verdict rates when nothing changed (all families, and without the optional ones), and each family's."""
    judged = [gate.judge(tests, alpha=ALPHA, min_drop=MIN_DROP) for tests in null]
    rate = lambda hits: sum(hits) / len(null)  # noqa: E731
    fewer = [{f: t for f, t in tests.items() if f not in OPTIONAL} for tests in null]
    return {
        **verdict_rates(null), "without_optional": verdict_rates(fewer),
        "families": {f: {"test": null[0][f].test,
                         "size_at_alpha": rate(tests[f].p <= ALPHA for tests in null),
                         "size_at_alpha_over_families": rate(tests[f].p <= ALPHA / K for tests in null),
                         "warn": rate(j.verdicts[f] == "WARN" for j in judged),
                         "warn_old_rule": rate(j.verdicts[f] != "FAIL" and tests[f].drop >= MIN_DROP - 1e-9
                                               for tests, j in zip(null, judged))} for f in FAMILIES},
    }


def power(null: list[dict[str, gate.FamilyTest]], hit: list[gate.FamilyTest], family: str) -> dict[str, float]:
    """What the gate did when ``family`` dropped (``hit``) and the others did not (``null``)."""
    judged = [gate.judge({**tests, family: t}, alpha=ALPHA, min_drop=MIN_DROP) for tests, t in zip(null, hit)]
    n = len(hit)
    return {
        "fail": sum(j.verdicts[family] == "FAIL" for j in judged) / n,
        "fail_or_warn": sum(j.verdicts[family] in ("FAIL", "WARN") for j in judged) / n,
        "significant": sum(j.holm[family] <= ALPHA for j in judged) / n,
        "warn_or_fail_any_family": sum(j.verdict != "PASS" for j in judged) / n,
        "p_at_most_alpha_over_families": sum(t.p <= ALPHA / K for t in hit) / n,
        "reported_power_mean": float(np.mean([t.power for t in hit])),
    }


def simulate(rng: np.random.Generator, epochs: int, *, concentration: float = CONCENTRATION,
             shapes: tuple[str, ...] = SHAPES, drops: tuple[float, ...] = DROPS) -> dict[str, Any]:
    """False alarms, and what the gate does when each family in turn drops by each of ``drops`` in each of ``shapes``."""
    start = time.perf_counter()
    null = [{f: family_test(rng, f, epochs, concentration=concentration) for f in FAMILIES} for _ in range(SIMULATIONS)]
    rows = []
    for family in FAMILIES:
        for shape in shapes:
            for drop in drops:
                hit = [family_test(rng, family, epochs, drop, shape, concentration) for _ in range(SIMULATIONS)]
                rows.append({"family": family, "shape": shape, "drop": drop, **power(null, hit, family)})
        print(f"  concentration {concentration}, {epochs} epoch(s): {family} done, {time.perf_counter() - start:.0f} s",
              flush=True)
    return {"false_alarms": false_alarms(null), "power": rows, "seconds": time.perf_counter() - start}


def shifted_p(drops: np.ndarray, strata: list[str], rng: np.random.Generator) -> float:
    """The rejected alternative: the shifted bootstrap, p = (1 + #{T* - T >= T}) / (B + 1), same resampling."""
    order = np.argsort(np.asarray(strata), kind="stable")
    d, labels = drops[order], np.asarray(strata)[order]
    _, first, size = np.unique(labels, return_index=True, return_counts=True)
    idx = np.repeat(first, size) + rng.integers(0, np.repeat(size, size), size=(RESAMPLES, d.size))
    centred = d[idx].mean(axis=1) - d.mean()
    return (1 + np.count_nonzero(centred >= d.mean() - 1e-12)) / (RESAMPLES + 1)


def method_check(rng: np.random.Generator, epochs: int = 3, simulations: int = 2000) -> dict[str, Any]:
    """Test size of the null (sign-flip) bootstrap against the shifted bootstrap, nothing changed, per family."""
    out = {}
    for name, family in FAMILIES.items():
        ours, shifted = [], []
        for _ in range(simulations):
            p = probabilities(rng, family.rate, len(family.ids))
            d = item_means(family, passes(rng, family, p, epochs)) - item_means(family, passes(rng, family, p, epochs))
            ours.append(stats.paired_bootstrap(d, family.strata, seed=int(rng.integers(2**32))).p)
            shifted.append(shifted_p(d, family.strata, rng))
        out[name] = {method: {"size_at_alpha": float(np.mean(np.array(ps) <= ALPHA)),
                              "size_at_alpha_over_families": float(np.mean(np.array(ps) <= ALPHA / K))}
                     for method, ps in (("null_bootstrap", ours), ("shifted_bootstrap", shifted))}
    return {"epochs": epochs, "simulations": simulations, "families": out}


def item_means(family: Family, passed: np.ndarray) -> np.ndarray:
    """Each item's mean pass over its records, from a (slots, epochs) array of outcomes."""
    return (np.bincount(family.item_of_slot, weights=passed.sum(axis=1), minlength=len(family.ids))
            / (np.bincount(family.item_of_slot, minlength=len(family.ids)) * passed.shape[1]))


def timing(rng: np.random.Generator) -> dict[str, Any]:
    """Seconds for one paired bootstrap of 300 items x 2000 resamples (median of 7)."""
    drops = (rng.binomial(3, 0.8, 300) - rng.binomial(3, 0.8, 300)) / 3
    strata = [f"s{i % 6}" for i in range(300)]
    stats.paired_bootstrap(drops, strata)
    took = []
    for _ in range(7):
        start = time.perf_counter()
        stats.paired_bootstrap(drops, strata, resamples=2000)
        took.append(time.perf_counter() - start)
    return {"items": 300, "resamples": 2000, "median_s": float(np.median(took)), "max_s": max(took)}


def main(argv: list[str]) -> None:
    if argv == ["--doc-only"]:
        DOC.write_text("\n".join(document(json.loads(OUT.read_text(encoding="utf-8")))) + "\n", encoding="utf-8")
        return
    rng = np.random.default_rng(SEED)
    result: dict[str, Any] = {
        "generated_by": "benchmarks/eval_gate_power.py", "seed": SEED, "simulations": SIMULATIONS,
        "resamples": RESAMPLES, "alpha": ALPHA, "min_drop": MIN_DROP, "concentration": CONCENTRATION,
        "looser_warn_p": LOOSER_WARN, "items_digest": items.digest(items.load()), "optional": list(OPTIONAL),
        "families": {f: {"items": len(fam.ids), "protocols_per_item": protocols_per_item(fam),
                         "records_per_epoch": len(fam.slots), "strata": len(set(fam.strata)), "pass_rate": fam.rate}
                     for f, fam in FAMILIES.items()},
        "machine": {"python": platform.python_version(), "numpy": np.__version__, "processor": platform.machine()},
        "timing": timing(rng),
    }
    print(f"bootstrap, 300 items x 2000 resamples: {result['timing']['median_s'] * 1000:.1f} ms", flush=True)
    result["method_check"] = method_check(rng)
    print("method check done", flush=True)
    result["epochs"] = {str(e): simulate(rng, e) for e in EPOCHS}
    result["steadier"] = {"concentration": STEADIER,
                          "epochs": {str(e): simulate(rng, e, concentration=STEADIER, shapes=("uniform",), drops=DROPS[1:])
                                     for e in EPOCHS}}
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    DOC.write_text("\n".join(document(result)) + "\n", encoding="utf-8")
    print("\n".join(document(result)))


def pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def document(r: dict[str, Any]) -> list[str]:
    """docs/evals-gate.md: how the gate decides, then what the simulations measured."""
    return [*intro(r), *summary_section(r), *false_alarm_section(r), *power_section(r),
            *approximation_section(r), *steadier_section(r), *method_section(r), *timing_section(r)]


def spread(values: list[float]) -> str:
    """Rates as "a" or "a to b", lowest first."""
    lo, hi = min(values), max(values)
    return pct(lo) if pct(lo) == pct(hi) else f"{pct(lo)} to {pct(hi)}"


def intro(r: dict[str, Any]) -> list[str]:
    """The gate's rules, then the simulation's model and the families it simulates."""
    sizes = [f["items"] for f in r["families"].values()]
    unchanged = [run["false_alarms"] for run in r["epochs"].values()]
    text = INTRO.format(**r, fewest=min(sizes), most=max(sizes), least_items=f"{MIN_DROP * min(sizes):g}",
                        most_items=f"{MIN_DROP * max(sizes):g}", points=f"{MIN_DROP * 100:g}",
                        old=spread([u["warn_old_rule"] for u in unchanged]), new=spread([u["warn"] for u in unchanged]),
                        steadier_c=f"{r['steadier']['concentration']:g}", digest=r["items_digest"][:19],
                        total=sum(sizes), optional_names=" and ".join(r["optional"]), tested=len(sizes),
                        without=len(sizes) - len(r["optional"]), overstated=f"{overstatement(r):.1f}")
    rows = [f"| {name} | {f['items']} | {'-'.join(map(str, f['protocols_per_item']))} | {f['records_per_epoch']} | "
            f"{f['strata']} | {f['pass_rate']:.2f} | {flip_rate(f['pass_rate'], r['concentration']):.1%} | "
            f"{flip_rate(f['pass_rate'], r['steadier']['concentration']):.1%} |" for name, f in r["families"].items()]
    return [*text.splitlines(), *rows]


def overstatement(r: dict[str, Any]) -> float:
    """The bootstrap's largest ratio of reported to simulated power where the simulated is 1% to 10% (fewer is noise)."""
    rows = [x for run in r["epochs"].values() for x in run["power"] if (x["shape"], x["drop"]) == ("uniform", MIN_DROP)
            and run["false_alarms"]["families"][x["family"]]["test"] == "bootstrap"]
    return max(x["reported_power_mean"] / x["p_at_most_alpha_over_families"] for x in rows
               if 0.01 <= x["p_at_most_alpha_over_families"] <= 0.10)


INTRO = """# The eval regression gate

Generated by `nice python3 benchmarks/eval_gate_power.py` (numbers in
`benchmarks/results/eval_gate_power.json`); do not edit. The code: `conformance/evals/stats.py`
(the statistics) and `conformance/evals/gate.py` (`mimo-conformance evals compare|promote`).

## How it decides

`mimo-conformance evals compare BASELINE CANDIDATE [--alpha 0.05] [--min-drop 0.05] [--bootstrap 2000] [--seed 0] [--json PATH]`

- **What counts.** Records "scored" and "error" (an error is a failure); "n/a" and "unavailable"
  are left out and counted per family; items in one run only are listed and left out; a changed
  `items_digest` is warned about. A family's pass rate is the mean over items of each item's mean
  pass, shown with a 95% Wilson interval that takes the item count as n.
- **Which test.** Exact McNemar (one-sided, P(X >= b), X ~ Binomial(b + c, 1/2), in integers)
  when every item gives exactly one record in each run under the same (protocol, epoch); else the
  stratified, item-clustered paired bootstrap: d_i = baseline minus candidate mean pass of item i,
  items resampled with replacement within their stratum (sizes kept), statistic the mean of d_i.
  With one epoch, function calling (two protocols an item) takes the bootstrap and every other
  family McNemar; with several epochs every family takes the bootstrap.
- **The bootstrap's p-value** resamples under H0: "nothing changed" makes an item's two runs
  exchangeable, so each resampled item's sign is flipped at random; p = (1 + #{{T* >= T}}) / (B + 1).
  With one record per item this is a resampled McNemar test. The shifted bootstrap
  (#{{T* - T >= T}}) was measured and rejected: too many false alarms on small families (table
  below). The 95% confidence interval of the drop is the percentile interval of the unsigned
  replicates (in the JSON output).
- **Multiplicity.** Holm's step-down adjustment across the families tested.
- **Verdict.** FAIL (exit 1) when some family's Holm-adjusted p <= alpha and its drop >= min-drop.
  WARN (exit 3, inconclusive) when no FAIL, but some family dropped >= min-drop with its own p <=
  alpha that Holm's adjustment across families does not keep significant; the reason gives the
  power the test had to detect a min-drop drop. A drop without even that evidence passes: at
  {fewest} to {most} items a family, a {points}-point drop is {least_items} to {most_items} items, and warning on every such drop
  warned on {old} of unchanged runs (this rule: {new}; "When nothing changed" below).
  PASS (exit 0) otherwise; 2 on unusable input (unreadable or invalid file, named with its JSON
  pointer, or nothing scored in both runs).
- **Power** (a column, and in a WARN's reason): the chance the family's test detects a drop of
  min-drop at alpha / (families tested), the level Holm applies to the smallest p. Exact for
  McNemar at the observed discordance (never below the drop itself); for the bootstrap a one-sided
  z-test with the null bootstrap's spread, never below the spread the drop itself brings, which
  overstates small powers (up to {overstated} times the simulated power between 1% and 10%: table below).
- **Promote.** `mimo-conformance evals promote RESULTS [--to PATH] [--force]` copies the file to
  `evals/baselines/<target>/<model>.json`, stamped `"promoted": {{"at", "from"}}`, through a
  temporary file and `os.replace`. Unless `--force`, it refuses a run with error or unavailable
  records, a run with nothing scored (a replay of nothing), and a destination holding another
  target's or model's baseline or no usable results file; it replaces the same model's baseline.

## The simulations

{simulations} simulated run pairs per setting, seed {seed}, {resamples} bootstrap resamples, alpha
{alpha}, min-drop {min_drop}. The items are the real item set's ({total} items, `items_digest`
{digest}...): each family's items with their ids, strata and the protocols each lists, so
a simulated run makes the records a real one does. The pass rates are assumptions, not
measurements. Every item's pass probability is drawn from a Beta distribution around its family's
pass rate with concentration {concentration} (most items nearly always or nearly never pass); each
record passes independently with its item's probability. Under "nothing changed" the candidate
draws from the same probabilities. A drop hits one family at a time, in one of two shapes with the
same expected family drop: **uniform** (every item keeps the share 1 - d / mean(p) of its pass
probability) or **subset** (items in random order lose all of theirs until the drop is reached: a
few items break).

The {optional_names} items are n/a on a model whose context window is smaller than an item's
`context_tokens`, or that cannot think (`requires`); they are simulated anyway, as for a model that
takes every item: Holm across {tested} families. On a model with neither, the gate tests {without}; its
verdicts on unchanged runs are given for that case too ("When nothing changed").

Per family: items, protocols an item lists, records an epoch, strata, the assumed pass rate, and
the share of records that flip between two unchanged runs it implies, E[2p(1 - p)] = 2 r (1 - r) c
/ (c + 1) for pass rate r and concentration c (the discordance that limits the power):

| family | items | protocols | records an epoch | strata | pass rate (assumed) | flip rate per record | at concentration {steadier_c} |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"""


def summary_section(r: dict[str, Any]) -> list[str]:
    """The measurements in five sentences."""
    runs, sizes = r["epochs"], [f["items"] for f in r["families"].values()]
    by = lambda key, sub=None: " and ".join(  # noqa: E731
        pct((run["false_alarms"][sub] if sub else run["false_alarms"])[key]) for run in runs.values())
    caught = []
    for e, run in runs.items():
        rows = [x for x in run["power"] if x["shape"] == "uniform" and x["drop"] == DROPS[-1]]
        best = max(rows, key=lambda x: x["fail"])
        caught.append(f"{pct(min(x['fail'] for x in rows))} to {pct(best['fail'])} ({best['family']}) with {e} epoch(s)")
    return ["", "## In short", "",
            f"- When nothing changed, the gate FAILed {by('fail')} of runs ({' and '.join(runs)} epochs): within alpha = {ALPHA:g}.",
            f"- It WARNed on {by('warn')} of them: a family dropped {MIN_DROP * 100:g} points or more with its own p <= "
            f"{ALPHA:g} that Holm's adjustment did not keep. The rule before, WARN on any drop of {MIN_DROP * 100:g} points "
            f"or more without a FAIL, fired on {by('warn_old_rule')}: with {min(sizes)} to {max(sizes)} items a family, "
            f"an observed drop of {MIN_DROP * 100:g} points is {MIN_DROP * min(sizes):g} to {MIN_DROP * max(sizes):g} items "
            "that chance alone often moves, so that WARN said little; this is why WARN now needs the family's own "
            "p <= alpha.",
            f"- On a model without {' and '.join(r['optional'])} (those items n/a, "
            f"{len(sizes) - len(r['optional'])} families tested) the gate FAILed {by('fail', 'without_optional')} "
            f"and WARNed on {by('warn', 'without_optional')} of unchanged runs.",
            f"- A uniform {DROPS[-1] * 100:g}-point drop in one family was caught (FAIL) in {'; '.join(caught)}: "
            f"the families are small for 5 to 10 points under Holm across {len(sizes)}, and epochs help most.",
            f"- Steadier items (concentration {r['steadier']['concentration']:g}, fewer flips between runs) raise the power: "
            "see their section."]


def headline(runs: dict[str, Any], optional: list[str]) -> list[str]:
    """Verdict rates when nothing changed, one row per epoch count and set of families tested."""
    lines = ["| epochs | families tested | FAIL (false alarm) | WARN (the gate) | WARN, the old rule | "
             f"WARN if p <= {LOOSER_WARN:g} sufficed |", "| ---: | --- | ---: | ---: | ---: | ---: |"]
    for e, run in runs.items():
        for fa in (run["false_alarms"], run["false_alarms"]["without_optional"]):
            tested = f"{fa['tested']}" + (" (all)" if fa is run["false_alarms"] else f" (no {', '.join(optional)})")
            lines.append(f"| {e} | {tested} | {pct(fa['fail'])} | {pct(fa['warn'])} | {pct(fa['warn_old_rule'])} | "
                         f"{pct(fa['warn_looser'])} |")
    return lines


def false_alarm_section(r: dict[str, Any]) -> list[str]:
    runs = r["epochs"]
    level = f"{ALPHA / len(r['families']):.2g}"
    lines = ["", "## When nothing changed", "",
             "The gate's verdicts; then how often WARN fired under the old rule (a drop of min-drop or more without a "
             "FAIL, significant or not) and would fire if the family's unadjusted p <= "
             f"{LOOSER_WARN:g} were enough (a looser alternative). Neither is the gate's.", "",
             *headline(runs, r["optional"])]
    lines += ["", f"Per family: the test's rejection rate at alpha and at alpha / {len(r['families'])} (before Holm and "
              "min-drop; a valid test stays at or under the level), and how often the family alone triggers a WARN, "
              "under the gate's rule and under the old one.", "",
              f"| family | epochs | test | p <= {ALPHA:g} | p <= {level} | WARN | WARN, old rule |",
              "| --- | ---: | --- | ---: | ---: | ---: | ---: |"]
    for f in r["families"]:
        for e, run in runs.items():
            s = run["false_alarms"]["families"][f]
            lines.append(f"| {f} | {e} | {s['test']} | {pct(s['size_at_alpha'])} | "
                         f"{pct(s['size_at_alpha_over_families'])} | {pct(s['warn'])} | {pct(s['warn_old_rule'])} |")
    return lines


def power_section(r: dict[str, Any]) -> list[str]:
    lines = ["", "## When one family dropped", "",
             "Each cell: how often the gate FAILs on that family, then (in brackets) how often it FAILs or WARNs "
             "on it (a WARN: the family's own p <= alpha, not kept by Holm). A true drop of exactly min-drop shows "
             "an observed drop below min-drop about half the time, so both stay under about 50% there by design.", ""]
    for shape in SHAPES:
        head = " | ".join(f"{d * 100:g} pts, {e} ep." for e in r["epochs"] for d in DROPS)
        lines += [f"### {shape} drop", "", f"| family | {head} |", "| --- |" + " ---: |" * (len(DROPS) * len(r["epochs"]))]
        for f in r["families"]:
            cells = []
            for run in r["epochs"].values():
                for d in DROPS:
                    row = next(x for x in run["power"] if (x["family"], x["shape"], x["drop"]) == (f, shape, d))
                    cells.append(f"{pct(row['fail'])} ({pct(row['fail_or_warn'])})")
            lines.append(f"| {f} | {' | '.join(cells)} |")
        lines.append("")
    return lines


def approximation_section(r: dict[str, Any]) -> list[str]:
    lines = ["## The power column against simulation", "",
             "For a uniform drop of min-drop: the mean power the gate reported, and the simulated rate of "
             f"p <= alpha / {len(r['families'])} it estimates.", "",
             "| family | epochs | reported (mean) | simulated |", "| --- | ---: | ---: | ---: |"]
    for f in r["families"]:
        for e, run in r["epochs"].items():
            row = next(x for x in run["power"] if (x["family"], x["shape"], x["drop"]) == (f, "uniform", MIN_DROP))
            lines.append(f"| {f} | {e} | {pct(row['reported_power_mean'])} | {pct(row['p_at_most_alpha_over_families'])} |")
    return lines


def steadier_section(r: dict[str, Any]) -> list[str]:
    s = r["steadier"]
    lines = ["", f"## With steadier items (concentration {s['concentration']:g})", "",
             "The same gate on items that flip less between runs (the last column of the first table): "
             "verdicts when nothing changed, then, for a uniform drop, FAIL and (in brackets) FAIL or WARN on "
             "the family that dropped.", "",
             *headline(s["epochs"], r["optional"]), "",
             "| family | " + " | ".join(f"{d * 100:g} pts, {e} ep." for e in s["epochs"] for d in DROPS[1:]) + " |",
             "| --- |" + " ---: |" * (len(DROPS[1:]) * len(s["epochs"]))]
    for f in r["families"]:
        cells = [f"{pct(row['fail'])} ({pct(row['fail_or_warn'])})" for run in s["epochs"].values()
                 for d in DROPS[1:] for row in run["power"] if (row["family"], row["drop"]) == (f, d)]
        lines.append(f"| {f} | {' | '.join(cells)} |")
    return lines


def method_section(r: dict[str, Any]) -> list[str]:
    m, level = r["method_check"], f"{ALPHA / len(r['families']):.2g}"
    lines = ["", "## Why the bootstrap's p-value resamples under H0", "",
             f"Nothing changed, {m['epochs']} epochs, {m['simulations']} simulations per family: the rejection "
             "rate of each bootstrap p-value (a valid one stays at or under the level).", "",
             f"| family | null bootstrap, p <= {ALPHA:g} | shifted, p <= {ALPHA:g} | null bootstrap, p <= {level} | "
             f"shifted, p <= {level} |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for f, s in m["families"].items():
        ours, shifted = s["null_bootstrap"], s["shifted_bootstrap"]
        lines.append(f"| {f} | {pct(ours['size_at_alpha'])} | {pct(shifted['size_at_alpha'])} | "
                     f"{pct(ours['size_at_alpha_over_families'])} | {pct(shifted['size_at_alpha_over_families'])} |")
    return lines


def timing_section(r: dict[str, Any]) -> list[str]:
    t = r["timing"]
    seconds = " and ".join(f"{run['seconds']:.0f} s for {e} epoch(s)" for e, run in r["epochs"].items())
    seconds += " (concentration 2; " + " and ".join(f"{run['seconds']:.0f} s" for run in r["steadier"]["epochs"].values())
    seconds += f" at {r['steadier']['concentration']:g})"
    return ["", "## Speed", "",
            f"One paired bootstrap of {t['items']} items x {t['resamples']} resamples: {t['median_s'] * 1000:.1f} ms "
            f"(median of 7; Python {r['machine']['python']}, numpy {r['machine']['numpy']}). The simulations took {seconds}."]


if __name__ == "__main__":
    main(sys.argv[1:])
