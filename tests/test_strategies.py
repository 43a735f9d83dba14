"""The request strategies: valid draws satisfy the contract, invalid ones break exactly the named rule."""

import importlib
import sys

from hypothesis import given, settings, strategies as st

from conformance import strategies
from conformance.contract import request_violations

FIXED = settings(derandomize=True, database=None, deadline=None, max_examples=40)


@FIXED
@given(st.sampled_from(["openai", "anthropic"]).flatmap(lambda p: st.tuples(st.just(p), strategies.valid_requests(p, "mimo-v2.5-pro"))))
def test_valid_requests_satisfy_the_contract(pair):
    protocol, body = pair
    assert request_violations(protocol, body) == []


@FIXED
@given(st.sampled_from(["openai", "anthropic"]).flatmap(lambda p: st.tuples(st.just(p), strategies.invalid_requests(p, "mimo-v2.5"))))
def test_invalid_requests_break_the_named_field(pair):
    protocol, (body, defect) = pair
    found = request_violations(protocol, body)
    assert found, f"{defect} drew an acceptable request: {body}"
    assert defect.field in " ".join(f"{v.pointer} {v.message}" for v in found), (defect, found)
    assert found[0].status == defect.status, (defect, found[0])  # what the property test's check holds a target to


def _draws() -> list:
    out = []

    @settings(derandomize=True, database=None, max_examples=15)
    @given(strategies.valid_requests("openai", "mimo-v2.5-pro"))
    def collect(body):
        out.append(body)

    collect()
    return out


def test_draws_do_not_depend_on_which_modules_are_loaded(tmp_path, monkeypatch):
    before = _draws()
    (tmp_path / "literal_laden_module.py").write_text('WORDS = ["assemble", "zebra-literal-77", 123456789, 2.5]\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.import_module("literal_laden_module")
    try:
        assert _draws() == before
    finally:
        sys.modules.pop("literal_laden_module", None)


def test_bounds_come_from_the_model_data():
    found = dict(((f, side), v) for f, side, v in strategies.bounds("openai", "mimo-v2.5-pro"))
    assert found[("temperature", "max")] == 1.5 and found[("top_p", "min")] == 0.01
    assert found[("max_completion_tokens", "max")] == 131072
