"""Eval tests keep their cassettes per model, family, item, protocol and epoch (see conformance/evals/plugin.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.evals.plugin import EvalCase, unrecorded
from conformance.plugin import TARGET_KEY


@pytest.hookimpl(trylast=True)  # after conformance.plugin has resolved the target
def pytest_configure(config: pytest.Config) -> None:
    # A run that includes evals/ and replays: stop at once when there is nothing to replay, rather
    # than fail every test on a missing cassette.
    problem = unrecorded(config)
    if problem:
        raise pytest.UsageError(problem)


@pytest.fixture
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    """Eval cassettes: ``<cassette dir>/<server>/<dialect>/evals/<model>/<family>``."""
    case: EvalCase = request.getfixturevalue("eval_case")
    target = request.config.stash[TARGET_KEY]
    return str(Path(request.config.getoption("--cassette-dir")) / target.cassette_root / case.cassette[0])


@pytest.fixture
def default_cassette_name(request: pytest.FixtureRequest) -> str:
    """``<item>.<protocol>.e<epoch>``: one cassette per item, protocol and epoch."""
    return request.getfixturevalue("eval_case").cassette[1]
