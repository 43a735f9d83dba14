"""One test per model, eval item, protocol and epoch: send, score, record (see conformance/evals/plugin.py).

The test fails only when the target failed the request (no answer, or an HTTP error on a valid
request): a wrong answer is a score, written to the results file and compared by
``mimo-conformance evals compare``, not a test failure.
"""

from __future__ import annotations

import pytest

from conformance import models
from conformance.evals import runner
from conformance.evals.plugin import EvalCase, attach, latencies
from conformance.reach import TargetUnavailable


def test_eval(eval_case: EvalCase, transport, vcr, request: pytest.FixtureRequest) -> None:
    model = models.get(eval_case.model)
    item, protocol, epoch = eval_case.item, eval_case.protocol, eval_case.epoch
    # (an item the model cannot take never gets here: it is skipped as n/a at collection)
    try:
        run = runner.run_item(lambda p, body: transport.send(p, body, fresh=True), item, protocol, model.id)
    except TargetUnavailable as exc:
        attach(request.node, {**runner.record(item, protocol, epoch, model, None, status="unavailable", detail=str(exc)),
                              "model": model.id})
        raise
    rec = runner.record(item, protocol, epoch, model, run, latency=latencies(vcr, run.exchanges))
    attach(request.node, {**rec, "model": model.id})
    assert run.error is None, f"{item['id']} through {protocol}: the target gave no usable answer: {run.error}"
