"""The fault catalogue applied to recordings: each check fires on real third-party answers, not only on ours.

Every fault that a recording can show (conformance.server.edits) edits the committed exchanges of
each server (its cassettes) into faulty ones; the fault's named check must fire on an edited
exchange where it was silent on the clean one (a differential over the same slice). The checks
that fire on the clean recordings already, and the faults a server's recordings cannot show, are
listed with their reasons in conformance.mutation: a test fails when either list is wrong.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from conformance import checks, inputs, mutation
from conformance.exchange import Exchange
from conformance.server import edits, faults

ROOT = Path(__file__).resolve().parent.parent
SLICES = {"reference": ROOT / "cassettes/reference", "llama-server": ROOT / "cassettes/llama-server"}
EDITABLE = [f.name for f in faults.catalogue() if edits.editable(f.name)]


@functools.cache
def recorded(server: str) -> tuple[Exchange, ...]:
    """Every exchange the committed cassettes of ``server`` hold."""
    return tuple(c.exchange for f in inputs.read_paths([SLICES[server]]) for c in f.exchanges)


@functools.cache
def clean_findings(server: str) -> tuple[tuple[str, ...], ...]:
    """The ids of the checks that fire on each clean exchange, in order."""
    return tuple(tuple(sorted({f.check for f in checks.run(ex)})) for ex in recorded(server))


def caught(server: str, name: str) -> tuple[int, str | None]:
    """(how many exchanges the fault edits, the first finding of its check on an edit where it was silent before)."""
    check, applied = checks.get(faults.get(name).check), 0
    for exchange, before in zip(recorded(server), clean_findings(server)):
        edited = edits.edit(name, exchange)
        if edited is None:
            continue
        applied += 1
        found = check.findings(edited) if check.applies(edited) else []
        if found and check.id not in before:
            return applied, str(found[0])
    return applied, None


@pytest.mark.parametrize("server", sorted(SLICES))
@pytest.mark.parametrize("name", EDITABLE)
def test_each_fault_is_caught_on_the_recordings_or_says_why_not(server: str, name: str) -> None:
    applied, finding = caught(server, name)
    why_not = mutation.NOT_SHOWN[server].get(name)
    if why_not is None:
        assert finding is not None, f"{name} edited {applied} recorded exchange(s) of {server}; {faults.get(name).check} never fired"
        assert f"[{faults.get(name).check}]" in finding and "] /:" not in finding, f"no location: {finding}"
    else:
        assert finding is None, f"{name} is caught on {server} now ({finding}): drop it from mutation.NOT_SHOWN"


@pytest.mark.parametrize("server", sorted(SLICES))
def test_the_checks_that_fire_on_clean_recordings_are_the_listed_ones(server: str) -> None:
    firing = {check for found in clean_findings(server) for check in found}
    assert sorted(firing - set(mutation.CLEAN_FIRING[server])) == [], "fires on clean recordings: list it with a reason"
    assert sorted(set(mutation.CLEAN_FIRING[server]) - firing) == [], "listed but silent: drop it from the list"


def test_every_fault_is_editable_or_says_why_it_needs_a_live_server() -> None:
    live_only = [f.name for f in faults.catalogue() if not edits.editable(f.name)]
    assert sorted(live_only) == sorted(edits.LIVE_ONLY)
    assert all(name in faults.FAULTS for name in edits.EDITS)


def test_an_edit_leaves_the_recorded_exchange_as_it_was() -> None:
    exchange = next(ex for ex in recorded("llama-server") if ex.streamed and ex.ok and ex.protocol == "openai")
    text, transcript = exchange.text, exchange.transcript
    edited = edits.edit("openai.role_missing", exchange)
    assert edited is not None and edited.text != text
    assert (exchange.text, exchange.transcript) == (text, transcript)


def test_a_fault_that_does_not_fit_the_recording_edits_nothing() -> None:
    plain = next(ex for ex in recorded("llama-server") if not ex.streamed and ex.ok and ex.protocol == "openai")
    assert edits.edit("openai.role_missing", plain) is None  # a stream fault, a plain answer
    assert edits.edit("anthropic.message_stop_twice", plain) is None  # the other protocol
