"""The client-side rate limit holds across processes sharing one budget file (as xdist workers do)."""

import subprocess
import sys

import pytest

from conformance.ratelimit import estimated_tokens

WORKER = """
import sys, time
from pathlib import Path
from conformance.ratelimit import RateLimit
limit = RateLimit(Path(sys.argv[1]), requests=4, tokens=10**6, window_ms=1000)
for _ in range(6):
    limit("openai", {"messages": []})
    print(time.monotonic(), flush=True)
"""


@pytest.mark.slow
def test_two_processes_together_stay_under_the_request_rate(tmp_path):
    db = tmp_path / "budget.sqlite"
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(db)], stdout=subprocess.PIPE, text=True) for _ in range(2)]
    stamps = sorted(float(line) for p in procs for line in p.communicate(timeout=60)[0].split())
    assert len(stamps) == 12
    # any 5 consecutive acquisitions span at least the 1 s window (4 per window allowed)
    assert min(b - a for a, b in zip(stamps, stamps[4:])) >= 0.95, stamps


def test_token_estimate_counts_prompt_and_budget():
    body = {"messages": [{"role": "user", "content": "x" * 400}], "max_completion_tokens": 100}
    assert 250 > estimated_tokens(body) > 200 and estimated_tokens("raw") == 1
