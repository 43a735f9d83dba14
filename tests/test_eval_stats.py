"""The eval gate's statistics hold to values computed by hand (exact fractions, textbook examples)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from conformance.evals import stats


def test_public_names_are_pinned() -> None:
    assert stats.__all__ == ["mcnemar_p", "mcnemar_power", "wilson", "holm", "Bootstrap", "paired_bootstrap", "bootstrap_power"]


def test_mcnemar_one_sided_is_the_binomial_upper_tail() -> None:
    # P(X >= 10 | X ~ Binomial(12, 1/2)) = (C(12,10) + C(12,11) + C(12,12)) / 2^12 = 79/4096
    assert stats.mcnemar_p(10, 2) == 79 / 4096
    assert round(stats.mcnemar_p(10, 2), 5) == 0.01929


def test_mcnemar_two_sided_doubles_the_smaller_tail() -> None:
    assert stats.mcnemar_p(10, 2, alternative="two-sided") == 158 / 4096
    assert round(stats.mcnemar_p(10, 2, alternative="two-sided"), 5) == 0.03857
    assert stats.mcnemar_p(2, 10, alternative="two-sided") == stats.mcnemar_p(10, 2, alternative="two-sided")


def test_mcnemar_without_discordant_pairs_is_one() -> None:
    assert stats.mcnemar_p(0, 0) == 1.0
    assert stats.mcnemar_p(0, 0, alternative="two-sided") == 1.0


def test_mcnemar_two_sided_caps_at_one_when_balanced() -> None:
    assert stats.mcnemar_p(3, 3, alternative="two-sided") == 1.0


def test_mcnemar_one_sided_favours_no_regression_when_candidate_improves() -> None:
    assert stats.mcnemar_p(2, 10) == 4083 / 4096  # P(X >= 2) = 1 - (1 + 12) / 4096


def test_mcnemar_stays_exact_for_large_counts() -> None:
    assert stats.mcnemar_p(600, 400) == pytest.approx(1.2e-10, rel=0.2)
    assert 0 < stats.mcnemar_p(2000, 1000) < 1e-70


def test_mcnemar_rejects_negative_counts_and_unknown_alternatives() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        stats.mcnemar_p(-1, 2)
    with pytest.raises(ValueError, match="alternative"):
        stats.mcnemar_p(1, 2, alternative="less")


def test_wilson_interval_of_90_in_100() -> None:
    low, high = stats.wilson(90, 100)
    assert (round(low, 3), round(high, 3)) == (0.826, 0.945)


def test_wilson_interval_at_the_edges() -> None:
    assert stats.wilson(0, 10)[0] == 0.0 and round(stats.wilson(0, 10)[1], 4) == 0.2775
    assert stats.wilson(10, 10)[1] == 1.0 and round(stats.wilson(10, 10)[0], 4) == 0.7225
    assert stats.wilson(0, 0) == (0.0, 1.0)


def test_wilson_confidence_widens_the_interval() -> None:
    narrow, wide = stats.wilson(45, 60, confidence=0.8), stats.wilson(45, 60, confidence=0.99)
    assert wide[0] < narrow[0] < 0.75 < narrow[1] < wide[1]


def test_holm_on_a_textbook_example() -> None:
    # sorted: 0.01 x 3 = 0.03; 0.03 x 2 = 0.06; 0.04 x 1 = 0.04, raised to 0.06 to stay monotone
    assert stats.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])


def test_holm_caps_at_one_and_keeps_order() -> None:
    adjusted = stats.holm([0.5, 0.2, 0.9, 0.001])
    assert adjusted == pytest.approx([1.0, 0.6, 1.0, 0.004])
    assert stats.holm([]) == []


def test_mcnemar_power_matches_full_enumeration() -> None:
    n, q, drop, alpha = 12, 0.25, 0.1, 0.05
    regress, improve = (q + drop) / 2, (q - drop) / 2
    enumerated = sum(math.factorial(n) / (math.factorial(b) * math.factorial(c) * math.factorial(n - b - c))
                     * regress**b * improve**c * (1 - q) ** (n - b - c)
                     for b in range(n + 1) for c in range(n + 1 - b) if stats.mcnemar_p(b, c) <= alpha)
    assert stats.mcnemar_power(n, 3, drop, alpha=alpha) == pytest.approx(enumerated, rel=1e-12)


def test_mcnemar_power_grows_with_items_and_drop() -> None:
    small, more_items, bigger_drop = (stats.mcnemar_power(n, round(0.2 * n), d, alpha=0.05)
                                      for n, d in ((50, 0.05), (400, 0.05), (50, 0.15)))
    assert small < more_items and small < bigger_drop
    assert stats.mcnemar_power(40, 8, 0.0, alpha=0.05) <= 0.05


def _drops(rng: np.random.Generator, n: int, shift: float) -> np.ndarray:
    """Per-item drops of three epochs each: symmetric noise, plus ``shift`` items' worth of regressions."""
    noise = (rng.binomial(3, 0.5, n) - rng.binomial(3, 0.5, n)) / 3
    return noise + (rng.random(n) < shift)


def test_bootstrap_without_a_drop_gives_a_large_p() -> None:
    rng = np.random.default_rng(1)
    drops = _drops(rng, 120, 0.0)
    drops -= drops.mean()  # exactly zero mean drop
    assert stats.paired_bootstrap(drops, ["a"] * 60 + ["b"] * 60).p >= 0.45


def test_bootstrap_detects_a_clear_drop() -> None:
    rng = np.random.default_rng(2)
    result = stats.paired_bootstrap(_drops(rng, 120, 0.3), ["a"] * 60 + ["b"] * 60)
    assert result.p < 0.01
    assert result.ci[0] > 0.1 and result.ci[0] < result.drop < result.ci[1]


def test_bootstrap_p_is_never_zero() -> None:
    result = stats.paired_bootstrap([1.0] * 50, ["a"] * 50, resamples=500)
    assert result.p == 1 / 501


def test_bootstrap_is_deterministic_under_a_seed() -> None:
    drops, strata = _drops(np.random.default_rng(3), 80, 0.1), ["a", "b"] * 40
    first, again = (stats.paired_bootstrap(drops, strata, seed=7) for _ in range(2))
    assert first == again
    assert stats.paired_bootstrap(drops, strata, seed=8).ci != first.ci


def test_bootstrap_resamples_within_strata() -> None:
    # Every resample keeps 5 items of each stratum; with all of "a" at 1 and all of "b" at 0 the
    # drop is 0.5 in every replicate. Pooled resampling would spread it over [0.1, 0.9].
    result = stats.paired_bootstrap([1.0] * 5 + [0.0] * 5, ["a"] * 5 + ["b"] * 5)
    assert result.ci == (0.5, 0.5) and result.se == 0.0


def test_bootstrap_of_one_item_says_nothing() -> None:
    result = stats.paired_bootstrap([1.0], ["a"])
    assert (result.p, result.ci) == (1.0, (-1.0, 1.0))


def test_bootstrap_power_floors_the_spread_at_what_the_drop_brings() -> None:
    # No observed discordance: the spread is that of a 5-point drop made of flips of 3 records
    # an item, sigma0^2 = 100 (0.05 * 0.95 / 3 + 0.05^2) / 100^2, sigma1^2 = sigma0^2 - 0.05^2 / 100.
    sigma0 = math.sqrt(100 * (0.05 * 0.95 / 3 + 0.0025)) / 100
    sigma1 = math.sqrt(sigma0**2 - 0.0025 / 100)
    expected = 0.5 * math.erfc(-(0.05 - 1.6448536269514722 * sigma0) / sigma1 / math.sqrt(2))
    assert stats.bootstrap_power([0.0] * 100, [3] * 100, 0.05, alpha=0.05) == pytest.approx(expected, rel=1e-9)


def test_bootstrap_power_grows_with_items() -> None:
    few, many = (stats.bootstrap_power([0.0, 1 / 3, -1 / 3] * k, [3] * 3 * k, 0.05, alpha=0.01) for k in (10, 100))
    assert few < many
