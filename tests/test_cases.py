"""Runs every conformance case in cases/ against the target: one test per case, model and mode."""

import pytest

from conformance import cases, expect
from conformance.plugin import NOT_APPLICABLE, TARGET_KEY
from conformance.turns import next_turn


def _param(run: cases.Run, server: str):
    # A run the target cannot take (a scenario for another server than ours) is reported n/a, with the reason.
    reason = run.not_applicable(server)
    return pytest.param(run, marks=pytest.mark.skip(reason=NOT_APPLICABLE + reason)) if reason else run


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    target = metafunc.config.stash[TARGET_KEY]
    runs = cases.runs(target.models, dialect=target.dialect, server=target.server)  # what does not run: the summary (plugin)
    if "single" in metafunc.fixturenames:
        chosen = [r for r in runs if r.stream is not None]
        metafunc.parametrize("single", [_param(r, target.server) for r in chosen], ids=[r.id for r in chosen])
    if "pair" in metafunc.fixturenames:
        chosen = [r for r in runs if r.stream is None]
        metafunc.parametrize("pair", [_param(r, target.server) for r in chosen], ids=[r.id for r in chosen])


def _send(transport, run: cases.Run, body=None):
    # A case that expects unavailability (a 429 or 503 scenario) gets its exchange judged, not skipped.
    return transport.send(run.protocol, body or run.raw_body or run.request,
                          auth=run.case.get("auth"), credential=run.case.get("credential", "valid"),
                          scenario=run.scenario, path=run.case.get("path"),
                          unavailable_ok=run.case["expect"].get("unavailable") is True)


def _problems(exchange, expected: dict, run: cases.Run, judge) -> list[str]:
    # Every applicable check and the case's own expectations (findings of `expect.NAME`, weighed by
    # the case's basis), judged in one place: conformance.verdict, through the test's judge.
    return judge.failing(exchange, extra=expect.findings(exchange, expected, run.rule),
                         extra_ran=expect.ids(exchange, expected))


def test_case(single: cases.Run, transport, judge):
    exchange = _send(transport, single)
    problems = _problems(exchange, single.case["expect"], single, judge)
    follow = single.case.get("follow_up")
    # A second turn needs a first that called a tool, and one without failures or known deviations.
    if follow and exchange.ok and expect.summarize(exchange).tool_names and not problems and not judge.known:
        second = _send(transport, single, next_turn(single.request, exchange, follow["tool_result"]))
        problems += [f"(turn 2) {p}" for p in _problems(second, follow["expect"], single, judge)]
    assert not problems, "\n".join(problems)


def test_stream_matches_plain(pair: cases.Run, transport, judge):
    # Each side must be a valid exchange on its own (an HTML page is not a stream), then the pair checks.
    plain = _send(transport, pair, {**pair.request, "stream": False})
    streamed = _send(transport, pair, {**pair.request, "stream": True})
    findings = [f"(plain) {p}" for p in judge.failing(plain)] + [f"(stream) {p}" for p in judge.failing(streamed)]
    findings += judge.failing(streamed, plain)
    assert not findings, "\n".join(findings)


def test_every_case_file_is_valid_and_ids_are_unique():
    seen = set()
    for rel, doc in cases.load_files():
        assert rel.startswith(f"{doc['protocol']}/"), f"cases/{rel}: protocol {doc['protocol']} but filed elsewhere"
        for case in doc["cases"]:
            key = (rel, case["id"])
            assert key not in seen, f"cases/{rel}: id {case['id']} twice"
            seen.add(key)
