"""The suite is worth its verdicts: each injected fault trips the check named for it, a correct server none.

Live against reference servers on 127.0.0.1 (one per fault, in this process), never cassettes: no
test here asks for the `transport` fixture, so the cassette machinery leaves them alone.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from conformance import checks, mutation
from conformance.server import faults, serve_in_thread

# The suite blocks the network by default (replay mode); these servers run on the loopback only.
pytestmark = [pytest.mark.block_network(allowed_hosts=["127.0.0.1"]), pytest.mark.slow]

STALL_BUDGET = mutation.TIMEOUTS.idle + 1.5  # seconds a stalled stream may cost before it is a finding


@pytest.fixture(scope="module")
def runs():
    """The slice of case runs every server gets."""
    return mutation.slice_runs()


@pytest.mark.parametrize("name", sorted(faults.FAULTS))
def test_fault_is_caught_by_its_named_check(name: str, runs) -> None:
    outcome = mutation.hunt(name, runs)
    assert outcome.finding is not None, f"{name} ({outcome.fault.description}): {outcome.fault.check} never failed"
    assert outcome.finding.location, f"{outcome.finding} does not say which event or field broke the rule"
    assert outcome.seconds < STALL_BUDGET, f"{name} took {outcome.seconds:.1f} s to catch"


def test_correct_server_passes_the_slice(runs) -> None:
    assert mutation.clean(runs) == []


@pytest.mark.parametrize("dialect", sorted(set(mutation.SLICES) - {"xiaomi"}))
def test_correct_server_of_each_dialect_passes_its_slice_with_every_named_check_silent(dialect: str) -> None:
    runs = mutation.dialect_runs(dialect)
    assert runs and mutation.clean(runs, dialect) == []
    named = {f.check for f in faults.catalogue() if f.dialect == dialect}
    assert sorted(mutation.baseline(runs, dialect) & named) == []


def test_each_named_check_is_silent_on_the_correct_server_over_the_same_slice(runs) -> None:
    # The differential: a fault's check fires with the fault (above) and not without it; the checks a
    # correct server trips anyway (it mirrors the live API) are the listed ones, each with its reason.
    usual = mutation.baseline(runs)
    assert sorted(usual - set(mutation.CLEAN_FIRING["reference"])) == []
    assert sorted(f.name for f in faults.catalogue() if f.check in usual) == []


def test_catalogue_holds_forty_faults_each_on_a_registered_check() -> None:
    registered = {c.id for c in checks.all_checks()}
    assert len(faults.FAULTS) >= 40
    assert {f.name: f.check for f in faults.catalogue() if f.check not in registered} == {}


def test_every_check_is_reached_by_a_fault_or_says_why_not() -> None:
    reached, registered = {f.check for f in faults.catalogue()}, {c.id for c in checks.all_checks()}
    assert sorted(registered - reached - set(mutation.UNREACHED)) == []
    assert sorted(set(mutation.UNREACHED) - (registered - reached)) == []  # no stale or needless excuse


def test_every_slice_entry_selects_runs(runs) -> None:
    assert [s for s in mutation.SLICE if not any(r.id.startswith(s + "-") for r in runs)] == []
    assert [s for s, _ in mutation.OTHER_MODELS if not any(r.id.startswith(s + "-") for r in runs)] == []
    for dialect, (selectors, _) in mutation.SLICES.items():
        chosen = mutation.dialect_runs(dialect)
        assert [s for s in selectors if not any(r.id.startswith(s + "-") for r in chosen)] == [], dialect


def test_every_fault_of_another_dialect_has_a_slice_there() -> None:
    assert sorted({f.dialect for f in faults.catalogue()} - set(mutation.SLICES)) == []


def test_every_fault_has_a_present_tense_description() -> None:
    assert [f.name for f in faults.catalogue() if not f.description.endswith(".")] == []


def test_unknown_fault_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown fault 'nonesuch'; known: .*openai.done_missing"):
        serve_in_thread(key="sk-test", faults=("nonesuch",))


def test_server_command_refuses_an_unknown_fault() -> None:
    run = subprocess.run([sys.executable, "-m", "conformance.server", "--key", "k", "--fault", "nonesuch"],
                         check=False, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "unknown fault 'nonesuch'" in run.stderr


def test_the_table_holds_no_timings(runs) -> None:
    # docs/mutation-score.md is tracked: the same outcomes must give the same bytes, however long they took.
    caught = [mutation.hunt(name, runs) for name in ("openai.done_missing", "anthropic.block_not_stopped")]
    slower = [dataclasses.replace(c, seconds=c.seconds + 7.25) for c in caught]
    assert mutation.table(caught, [], frozenset(), len(runs)) == mutation.table(slower, [], frozenset(), len(runs))


def test_the_committed_mutation_score_is_what_the_command_writes(tmp_path) -> None:
    written = tmp_path / "mutation-score.md"
    mutation.main(["--output", str(written)])
    assert written.read_bytes() == mutation.OUTPUT.read_bytes(), "run mimo-conformance mutation-score and commit the file"
