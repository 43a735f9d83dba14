"""Property tests: generated valid requests are answered and conform; each broken rule is refused."""

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conformance import known, models, strategies
from conformance.plugin import TARGET_KEY

# Derandomized with no example database: a replay meets exactly the requests that were recorded.
REPLAYABLE = settings(
    derandomize=True, database=None, deadline=None, print_blob=False,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _pairs(config: pytest.Config) -> list[tuple[str, str]]:
    target = config.stash[TARGET_KEY]
    text_models = [m for m in target.models if models.get(m).kind == "text"]
    return [(p, m) for p in ("openai", "anthropic") for m in text_models if models.get(m).serves(p)]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    pairs = _pairs(metafunc.config)
    if "bound" in metafunc.fixturenames:
        cases = [(p, m, side) for p, m in pairs for side in ("min", "max")]
        metafunc.parametrize("bound", cases, ids=[f"{p}-{m}-{side}" for p, m, side in cases])
    elif "protocol_model" in metafunc.fixturenames:
        metafunc.parametrize("protocol_model", pairs, ids=[f"{p}-{m}" for p, m in pairs])


def _failing(exchange, target) -> list[str]:
    # The findings of target.severity_fails (or --fail-on) that no known deviation covers, judged by
    # the running test's judge (conformance/known.py). Looked up rather than asked for as a fixture:
    # these tests' source seeds their derandomized examples, and so must stay as when recorded.
    return known.running_judge().failing(exchange)


@settings(REPLAYABLE, max_examples=8)
@given(data=st.data())
def test_valid_requests_are_answered_and_conform(protocol_model, transport, target, data):
    protocol, model = protocol_model
    body = data.draw(strategies.valid_requests(protocol, model), label="request")
    exchange = transport.send(protocol, body)
    # A refusal is *.error.valid_request_accepted's to report, weighed by the fields the request leans on.
    problems = _failing(exchange, target)
    assert not problems, "\n".join(problems)


@settings(REPLAYABLE, max_examples=8)
@given(data=st.data())
def test_each_broken_rule_is_refused_with_400(protocol_model, transport, target, data):
    protocol, model = protocol_model
    body, defect = data.draw(strategies.invalid_requests(protocol, model), label="request")
    exchange = transport.send(protocol, body)
    # The status is held by *.error.invalid_request_rejected (the contract's first violation has the
    # defect's status: tests/test_strategies.py), so a known deviation can cover a server that accepts it.
    problems = _failing(exchange, target)
    assert not problems, "\n".join(problems)


def test_values_at_each_documented_bound_are_accepted(bound, transport, target):
    # one request with every ranged field at the same end of its range: a refusal names the field
    protocol, model, side = bound
    at_bound = {field: value for field, end, value in strategies.bounds(protocol, model) if end == side}
    body = {"model": model, "messages": [{"role": "user", "content": "Say ok."}], **at_bound}
    exchange = transport.send(protocol, body)
    problems = _failing(exchange, target)  # a refusal names the field through *.error.valid_request_accepted
    assert not problems, "\n".join(problems)
