"""The offline suite's wall time against the floor of its own parts, and what pytest-xdist buys.

Run: python3 benchmarks/suite_speed.py   (writes benchmarks/results/suite_speed.json; about 8
minutes on two cores; run it on a quiet machine: every number is a wall time)

Measured in one run on this machine, so the ratios compare like with like:
- the default offline run (`pytest`) and the quick lane (`pytest -m "not slow"`), with -n 0 and -n 2;
- the floor of the quick lane: pytest's own cost for as many trivial items (same plugins, same
  options), plus loading every committed cassette's exchanges and running every check on them
  (what the replay tests do, without pytest); the quick lane also does work no floor part counts
  (the SDK lane's parsing, graders, statistics, an in-process server), so it is measured too:
- the replay lane (tests/test_cases.py, tests/test_properties.py: replay the reference server's
  cassettes and check every exchange) against its own floor, the same parts for its tests and
  cassettes;
- the hypothesis tests' share of the quick lane (tests/test_properties.py, tests/test_strategies.py);
- the live run against the reference server (tests/test_cases.py and tests/test_properties.py),
  and the property tests alone live, with -n 0 and -n 2;
- what loading plugins from every installed package's entry points costs a pytest process (it
  marks whole distributions, hypothesis included, for assertion rewriting, redone in every process
  under PYTHONDONTWRITEBYTECODE=1): collection of the default run with and without.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).with_name("results") / "suite_speed.json"
QUICK = ("-m", "not slow")
REPLAY = ("tests/test_cases.py", "tests/test_properties.py")
LIVE = ("--target", "reference", "--live")
BY_NAME = '"--disable-plugin-autoload", "-p", "pytest_recording.plugin", "-p", "xdist.plugin", "-p", "_hypothesis_pytestplugin",'


def wall(*args: str, cwd: Path = ROOT) -> tuple[float, int]:
    """Seconds a pytest command takes, and how many tests it ran (it must pass)."""
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", *args], cwd=cwd, capture_output=True, text=True)
    took = time.perf_counter() - start
    lines = [ln for ln in run.stdout.splitlines() if ln.strip()]
    if run.returncode not in (0, 5):
        raise SystemExit(f"pytest {' '.join(args)} failed:\n" + "\n".join(lines[-20:]))
    counts = re.findall(r"(\d+) (passed|xfailed|skipped|tests collected)", lines[-1] if lines else "")
    return took, sum(int(n) for n, _ in counts)


def trivial_items(n: int) -> float:
    """Seconds pytest needs for n trivial items, with the suite's own configuration file."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
        (Path(tmp) / "test_trivial.py").write_text(
            f"import pytest\n\n\n@pytest.mark.parametrize('i', range({n}))\ndef test_item(i):\n    assert i >= 0\n")
        took, ran = wall("test_trivial.py", cwd=Path(tmp))
    assert ran == n, ran
    return took


def replay_and_check(folder: Path = ROOT / "cassettes") -> dict[str, float]:
    """Seconds to load every cassette's exchanges under ``folder``, and to run every applicable check on them."""
    sys.path.insert(0, str(ROOT))
    from conformance import checks
    from conformance.inputs import read_file

    cassettes = sorted(folder.rglob("*.json"))
    start = time.perf_counter()
    exchanges = [c.exchange for path in cassettes for c in read_file(path).exchanges]
    loaded = time.perf_counter() - start
    start = time.perf_counter()
    for ex in exchanges:
        checks.run(ex)
    return {"cassettes": len(cassettes), "exchanges": len(exchanges), "load_and_parse_s": loaded,
            "check_s": time.perf_counter() - start}


def vcrpy_replay(folder: Path) -> float:
    """Seconds to replay every request of every cassette under ``folder`` through vcrpy and the transport.

    What a replay test does without pytest: open its cassette with the suite's vcrpy settings and
    send each recorded request again through the suite's transport (answered from the cassette).
    """
    sys.path.insert(0, str(ROOT))
    import vcr

    from conformance import cassettes
    from conformance.plugin import REPLAY_KEY, REPLAY_URLS
    from conformance.transport import Transport

    recorder = vcr.VCR()
    recorder.register_matcher("json_body", cassettes.json_body_matcher)
    recorder.register_persister(cassettes.AtomicPersister)
    config = {**cassettes.vcr_config(local_server=True), "record_mode": "none", "allow_playback_repeats": True}
    transport = Transport(dict(REPLAY_URLS), REPLAY_KEY, sleep=lambda _: None)
    start = time.perf_counter()
    for path in sorted(folder.rglob("*.json")):
        with recorder.use_cassette(str(path), **config) as cassette:
            for request in list(cassette.requests):
                protocol = "anthropic" if "/messages" in request.path else "openai"
                transport.send(protocol, request.body if isinstance(request.body, bytes) else (request.body or "").encode())
    took = time.perf_counter() - start
    transport.close()
    return took


def main() -> None:
    r: dict = {"machine": {"cpu_count": os.cpu_count(), "python": platform.python_version()},
               "command": "python3 benchmarks/suite_speed.py"}
    for name, args in {"default": (), "quick": QUICK}.items():
        for n in ("0", "2"):
            took, ran = wall("-n", n, *args)
            r[f"{name}_n{n}"] = {"wall_s": round(took, 2), "tests": ran}
    quick = r["quick_n0"]
    r["floor"] = {"trivial_items_s": round(trivial_items(quick["tests"]), 2), **replay_and_check()}
    floor = r["floor"]["trivial_items_s"] + r["floor"]["load_and_parse_s"] + r["floor"]["check_s"]
    r["floor"]["total_s"] = round(floor, 2)
    r["quick_over_floor"] = round(quick["wall_s"] / floor, 2)
    # The replay lane: the tests that replay the reference server's cassettes and check every exchange.
    # small and so noisy on a shared machine: the best of three, for the lane and each floor part
    runs = [wall("-n", "0", *REPLAY) for _ in range(3)]
    replay_s, replayed = min(runs)
    parts = min((replay_and_check(ROOT / "cassettes" / "reference") for _ in range(3)), key=lambda x: x["check_s"])
    parts["vcrpy_replay_s"] = min(vcrpy_replay(ROOT / "cassettes" / "reference") for _ in range(3))
    replay_floor = min(trivial_items(replayed) for _ in range(3)) + parts["vcrpy_replay_s"] + parts["check_s"]
    r["replay_lane"] = {"wall_s": round(replay_s, 2), "tests": replayed, "floor_s": round(replay_floor, 2),
                        "over_floor": round(replay_s / replay_floor, 2), "floor_parts": parts}
    hypothesis_s, _ = wall("-n", "0", "tests/test_properties.py", "tests/test_strategies.py")
    baseline_s, _ = wall("-n", "0", "tests/test_sse.py", "--co")  # a pytest process that runs nothing
    r["hypothesis"] = {"wall_s": round(hypothesis_s, 2), "share_of_quick": round((hypothesis_s - baseline_s) / quick["wall_s"], 3)}
    for name, args in {"live_reference": (*LIVE, "tests/test_cases.py", "tests/test_properties.py"),
                       "live_properties": (*LIVE, "tests/test_properties.py")}.items():
        for n in ("0", "2"):
            took, ran = wall("-n", n, *args)
            r[f"{name}_n{n}"] = {"wall_s": round(took, 2), "tests": ran}
        r[f"{name}_xdist_speedup"] = round(r[f"{name}_n0"]["wall_s"] / r[f"{name}_n2"]["wall_s"], 2)
    for name in ("default", "quick"):
        r[f"{name}_xdist_speedup"] = round(r[f"{name}_n0"]["wall_s"] / r[f"{name}_n2"]["wall_s"], 2)
    collect_s, _ = wall("--co", "-n", "0")
    with tempfile.TemporaryDirectory() as tmp:  # the same configuration, plugins autoloaded from entry points
        config = (ROOT / "pyproject.toml").read_text()
        assert BY_NAME in config, "pyproject.toml no longer loads plugins by name: update this benchmark"
        (Path(tmp) / "pyproject.toml").write_text(config.replace(BY_NAME, '"-p", "no:benchmark",'))
        autoload_s, _ = wall("--co", "-n", "0", "-c", str(Path(tmp) / "pyproject.toml"), "--rootdir", str(ROOT))
    r["collection"] = {"plugins_by_name_s": round(collect_s, 2), "entry_point_autoload_s": round(autoload_s, 2)}
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(r, indent=2) + "\n")
    print(json.dumps(r, indent=2))


if __name__ == "__main__":
    main()
