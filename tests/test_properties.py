"""Property tests: generated valid requests are answered and conform; each broken rule is refused."""

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conformance import checks, models, strategies
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
        cases = [(p, m, *b) for p, m in pairs for b in strategies.bounds(p, m)]
        metafunc.parametrize("bound", cases, ids=[f"{p}-{m}-{f}-{side}" for p, m, f, side, _ in cases])
    elif "protocol_model" in metafunc.fixturenames:
        metafunc.parametrize("protocol_model", pairs, ids=[f"{p}-{m}" for p, m in pairs])


def _failing(exchange, target) -> list[str]:
    return [str(f) for f in checks.run(exchange) if f.severity in target.severity_fails]


@settings(REPLAYABLE, max_examples=12)
@given(data=st.data())
def test_valid_requests_are_answered_and_conform(protocol_model, transport, target, data):
    protocol, model = protocol_model
    body = data.draw(strategies.valid_requests(protocol, model), label="request")
    exchange = transport.send(protocol, body)
    assert exchange.status == 200, f"status {exchange.status} for a valid request: {exchange.text[:300]}"
    problems = _failing(exchange, target)
    assert not problems, "\n".join(problems)


@settings(REPLAYABLE, max_examples=15)
@given(data=st.data())
def test_each_broken_rule_is_refused_with_400(protocol_model, transport, target, data):
    protocol, model = protocol_model
    body, defect = data.draw(strategies.invalid_requests(protocol, model), label="request")
    exchange = transport.send(protocol, body)
    assert exchange.status == defect.status, f"{defect}: status {exchange.status}: {exchange.text[:300]}"
    problems = _failing(exchange, target)
    assert not problems, "\n".join(problems)


def test_values_at_each_documented_bound_are_accepted(bound, transport, target):
    protocol, model, field, side, value = bound
    budget = strategies.TOKEN_FIELDS[protocol][0]
    body = {"model": model, "messages": [{"role": "user", "content": "Say ok."}], budget: 16, field: value}
    exchange = transport.send(protocol, body)
    assert exchange.status == 200, f"{field}={value} ({side} of the documented range) refused: {exchange.text[:300]}"
    assert not _failing(exchange, target), "\n".join(_failing(exchange, target))
