"""The eval gate's statistics: paired tests, intervals, multiplicity and power. Pure, no I/O.

Two paired tests of "the candidate passes less often than the baseline":

- :func:`mcnemar_p`, exact McNemar, when every item gives one pass/fail pair. Only the discordant
  pairs carry information: ``b`` (baseline passed, candidate failed) and ``c`` (the reverse). Under
  H0 each discordant pair is a regression with probability 1/2, so the one-sided p-value is
  P(X >= b) for X ~ Binomial(b + c, 1/2), summed in integers (:func:`math.comb`), exact.
- :func:`paired_bootstrap`, when items give several records (epochs, protocols). The cluster is
  the item: d_i = (baseline mean pass over its records) - (candidate mean pass over its records),
  and the statistic is the mean of d_i over items, i.e. the stratum means weighted by stratum size.
  Each replicate resamples items with replacement within each stratum, keeping stratum sizes.

  The p-value comes from a bootstrap that obeys H0 (Hall and Wilson 1991, guideline 1): H0 is
  "nothing changed", under which an item's baseline and candidate records are exchangeable, so
  each resampled item's sign is flipped with probability 1/2 (its two runs swap places). Then
  p = (1 + #{T* >= T}) / (B + 1), counting ties as extreme and the observed sample as one
  replicate (as in Davison and Hinkley 1997), so p is never 0. With one record per item this
  is a resampled McNemar test. The shifted bootstrap (#{T* - T >= T}) was measured and rejected:
  on our smallest families (20 to 30 items of three records), when nothing changed, it rejected
  up to 6.6% of the time at a nominal 5% and up to 2.1% at a nominal 0.71% (alpha / 7), where this
  one stayed under both
  (benchmarks/eval_gate_power.py, docs/evals-gate.md).

  The confidence interval is the percentile interval of the ordinary (unsigned) replicates.

:func:`wilson` gives a pass rate's interval, :func:`holm` adjusts the families' p-values, and
:func:`mcnemar_power` / :func:`bootstrap_power` give the probability that a test detects a drop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Sequence

import numpy as np

__all__ = ["mcnemar_p", "mcnemar_power", "wilson", "holm", "Bootstrap", "paired_bootstrap", "bootstrap_power"]

_TIE = 1e-12  # replicate means equal to the observed one in exact arithmetic may differ by rounding


def mcnemar_p(b: int, c: int, *, alternative: str = "greater") -> float:
    """Exact McNemar p-value from the discordant counts; "greater" tests for more regressions (b > c).

    ``alternative="two-sided"`` doubles the smaller tail, capped at 1. With no discordant pair the
    data say nothing and p is 1.
    """
    if b < 0 or c < 0:
        raise ValueError(f"discordant counts must be non-negative, got b={b}, c={c}")
    n = b + c
    if n == 0:
        return 1.0
    if alternative == "greater":
        return _upper_count(n, b) / 2**n
    if alternative == "two-sided":
        smaller = min(_upper_count(n, b), _upper_count(n, c))  # P(X <= b) = P(X >= c) by symmetry
        return min(2**n, 2 * smaller) / 2**n
    raise ValueError(f"alternative must be 'greater' or 'two-sided', got {alternative!r}")


def _upper_count(n: int, k: int) -> int:
    """How many of the 2**n outcomes of n fair coins show k heads or more."""
    return sum(math.comb(n, j) for j in range(k, n + 1))


def mcnemar_power(n: int, discordant: int, drop: float, *, alpha: float) -> float:
    """Exact probability that the one-sided McNemar test at ``alpha`` rejects when the pass rate drops by ``drop``.

    ``n`` pairs, of which a share q = max(discordant / n, drop) is discordant (the observed
    discordance, but never less than the drop itself needs); a discordant pair is a regression with
    probability (q + drop) / (2 q), so regressions minus improvements average ``drop``. Sums over
    the number of discordant pairs D ~ Binomial(n, q) and b ~ Binomial(D, that probability).
    """
    if n == 0 or drop <= 0:
        return 0.0 if n == 0 else _size(n, max(discordant / n, 1e-12), alpha)
    q = min(1.0, max(discordant / n, drop))
    regress = min(1.0, (q + drop) / (2 * q))
    return sum(_pmf(n, d, q) * _tail(d, _critical(d, alpha), regress) for d in range(n + 1))


def _size(n: int, q: float, alpha: float) -> float:
    """The McNemar test's rejection rate when nothing changed (at most ``alpha``)."""
    return sum(_pmf(n, d, q) * _tail(d, _critical(d, alpha), 0.5) for d in range(n + 1))


def _critical(d: int, alpha: float) -> int:
    """The smallest b whose one-sided p-value among d discordant pairs is at most ``alpha`` (d + 1: none)."""
    count, total = 0, 2**d
    for b in range(d, -1, -1):
        count += math.comb(d, b)
        if count / total > alpha:
            return b + 1
    return 0


def _pmf(n: int, k: int, p: float) -> float:
    if p <= 0.0 or p >= 1.0:
        return float(k == (n if p >= 1.0 else 0))
    return math.exp(math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
                    + k * math.log(p) + (n - k) * math.log1p(-p))


def _tail(n: int, k: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    return sum(_pmf(n, j, p) for j in range(k, n + 1))


def wilson(successes: float, n: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion ``successes / n``; (0, 1) when n is 0.

    ``successes`` may be fractional (an item-mean pass rate times the number of items).
    """
    if n == 0:
        return (0.0, 1.0)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low = 0.0 if successes <= 0 else max(0.0, centre - half)
    high = 1.0 if successes >= n else min(1.0, centre + half)
    return (low, high)


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the input order: monotone in p and capped at 1."""
    p = np.asarray(pvalues, dtype=float)
    order = np.argsort(p, kind="stable")
    steps = np.minimum(1.0, (p.size - np.arange(p.size)) * p[order])
    adjusted = np.empty_like(p)
    adjusted[order] = np.maximum.accumulate(steps)
    return adjusted.tolist()


@dataclass(frozen=True)
class Bootstrap:
    """A paired bootstrap's answer: the observed mean drop, its one-sided p-value, percentile CI and SE."""

    drop: float
    p: float
    ci: tuple[float, float]
    se: float
    resamples: int


def paired_bootstrap(drops: Sequence[float], strata: Sequence[str], *, resamples: int = 2000,
                     seed: int | Sequence[int] | None = 0, confidence: float = 0.95) -> Bootstrap:
    """Stratified, item-clustered bootstrap of the mean per-item drop: p for H0 "no drop", and a CI.

    ``drops[i]`` is item i's baseline minus candidate mean pass; ``strata[i]`` its stratum. Items
    are resampled with replacement within their stratum (``resamples`` times, from
    ``numpy.random.default_rng(seed)``); see the module docstring for the p-value. All replicates
    are drawn at once, a (resamples, items) array: 300 items x 2000 resamples take milliseconds.
    """
    d = np.asarray(drops, dtype=float)
    if d.size < 2:
        return Bootstrap(float(d.mean()) if d.size else 0.0, 1.0, (-1.0, 1.0), 0.0, resamples)
    rng = np.random.default_rng(seed)
    d = d[np.argsort(np.asarray(strata, dtype=str), kind="stable")]
    drawn = d[_within_strata(np.sort(np.asarray(strata, dtype=str)), resamples, rng)]
    signs = rng.integers(0, 2, size=drawn.shape, dtype=np.int8) * 2 - 1
    null = (drawn * signs).mean(axis=1)
    replicates = drawn.mean(axis=1)
    observed = float(d.mean())
    p = (1 + np.count_nonzero(null >= observed - _TIE)) / (resamples + 1)
    low, high = np.quantile(replicates, [(1 - confidence) / 2, (1 + confidence) / 2])
    return Bootstrap(observed, float(p), (float(low), float(high)), float(replicates.std(ddof=1)), resamples)


def _within_strata(labels: np.ndarray, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``resamples`` stratified resamples of sorted ``labels``: each column draws from its own stratum."""
    _, start, size = np.unique(labels, return_index=True, return_counts=True)
    first, count = np.repeat(start, size), np.repeat(size, size)
    return first + rng.integers(0, count, size=(resamples, labels.size))


def bootstrap_power(drops: Sequence[float], records: Sequence[int], drop: float, *, alpha: float) -> float:
    """Approximate probability that :func:`paired_bootstrap` rejects at ``alpha`` when the pass rate drops by ``drop``.

    A one-sided z-test with the null bootstrap's spread, sigma0^2 = sum(d_i^2) / n^2 (what the
    sign flips give), but never less than a drop of ``drop`` made only of independent flips of the
    candidate's ``records[i]`` records would bring: sum(drop (1 - drop) / m_i + drop^2) / n^2,
    the clustered analogue of :func:`mcnemar_power`'s floor on discordance. Under the drop the
    spread about it is sigma1^2 = sigma0^2 - drop^2 / n.
    """
    d, m = np.asarray(drops, dtype=float), np.asarray(records, dtype=float)
    if d.size == 0 or drop <= 0:
        return 0.0 if d.size == 0 else alpha
    floor = np.sum(drop * (1 - drop) / m + drop * drop)
    sigma0 = math.sqrt(max(float(np.sum(d * d)), float(floor))) / d.size
    sigma1 = math.sqrt(max(sigma0**2 - drop * drop / d.size, 1e-18))
    z = NormalDist().inv_cdf(1 - alpha)
    return NormalDist().cdf((drop - z * sigma0) / sigma1)
