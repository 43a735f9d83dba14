"""Every user mistake is one line naming the option or file and the fix, with an exit status, never a traceback.

One test per mistake, each in a pytest (or command) subprocess started as a user would. The ones
in ``mimo-conformance serve`` are in tests/test_serve.py, the unreachable targets in tests/test_reach.py.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
ONE_CASE = "openai.chat_completions.basic.user_only-mimo-v2.5-pro-plain"
CASSETTE = f"reference/xiaomi/test_cases/test_case[{ONE_CASE}].json"
NODE = f"tests/test_cases.py::test_case[{ONE_CASE}]"
# Which tests a run collects when no test path is given, without collecting the whole suite: -o is
# pytest's own option, so its value never passes for a test path.
CASES_ONLY = ("-o", "testpaths=tests/test_cases.py")


def _run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("MIMO_API_KEY", "MIMO_TARGET")}
    return subprocess.run([sys.executable, "-m", "pytest", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


def _one_line(run: subprocess.CompletedProcess) -> str:
    """The usage error pytest printed: exactly one line on stderr, nothing on stdout, no traceback."""
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert run.returncode == 4 and len(lines) == 1, run.stdout[-2000:] + run.stderr[-2000:]
    assert "Traceback" not in run.stdout + run.stderr
    return lines[0]


def _targets_file(folder: Path, models: list[str]) -> Path:
    path = folder / "targets.json"
    profile = {"description": "a gateway of mine", "server": "gw", "dialect": "xiaomi", "base_urls": None,
               "auth": "api-key", "key_env": "GW_KEY", "models": models, "source": "me"}
    path.write_text(json.dumps({"targets": {"gw": profile}}), encoding="utf-8")
    return path


def test_an_unknown_model_on_the_command_line_is_one_line():
    line = _one_line(_run("--model", "gpt-4o", "tests/test_sse.py"))
    assert line.startswith("ERROR: --model: unknown model 'gpt-4o'; use one of mimo-v2.5-pro, ")
    assert line.endswith("or add it to schemas/models.json with its limits and capabilities")


def test_an_unknown_model_in_a_targets_file_is_one_line_naming_the_file(tmp_path):
    path = _targets_file(tmp_path, ["mimo-v2.5-pro", "gpt-4o"])
    line = _one_line(_run("--targets-file", str(path), "--target", "gw", "tests/test_sse.py"))
    assert line.startswith(f"ERROR: {path}: target gw: unknown model 'gpt-4o'; use one of ")


def test_an_unknown_eval_family_is_one_line():
    line = _one_line(_run("evals", "--target", "llama-server", "--family", "bogus"))
    assert line.startswith("ERROR: --family bogus: no such family; known: arithmetic, function_calling, ")


def test_evals_with_nothing_recorded_to_replay_stop_naming_the_target_that_has_recordings():
    line = _one_line(_run("evals"))
    assert "pytest evals replays recorded answers" in line and "has none of mimo-v2.5-pro" in line
    assert "replay the committed ones: pytest evals --target llama-server" in line
    assert line.endswith("run them against the target: pytest evals --target reference --live")


def _damaged(tmp_path: Path, damage: str) -> Path:
    """A copy of one committed cassette under tmp_path, damaged as ``damage`` says."""
    path = tmp_path / CASSETTE
    path.parent.mkdir(parents=True)
    good = (ROOT / "cassettes" / CASSETTE).read_bytes()
    path.write_bytes({"truncated": good[: len(good) // 2], "not utf-8": b"\xff\xfe" + good,
                      "wrong shape": b'{"interactions": {"request": 1}}'}[damage])
    return path


@pytest.mark.parametrize("damage", ["truncated", "not utf-8", "wrong shape"])
def test_an_unreadable_cassette_is_one_error_naming_the_file_and_the_fix(tmp_path, damage):
    path = _damaged(tmp_path, damage)
    run = _run("tests/test_cases.py", "-k", ONE_CASE, "--cassette-dir", str(tmp_path), "-q")
    assert run.returncode == 1 and "Traceback" not in run.stdout + run.stderr
    [line] = [line for line in run.stdout.splitlines() if line.startswith(f"{path}: ")]
    record = f"python3 -m pytest --target reference --cassette-dir {tmp_path} --record-mode=once '{NODE}'"
    assert f": delete it and record it again: rm {shlex.quote(str(path))} && {record}; " in line
    assert line.endswith(f"or restore the committed one: git checkout -- {shlex.quote(str(path))}")
    # The error, its heading and pytest's summary, no traceback (beside the suite's own summary lines).
    assert len([x for x in run.stdout.splitlines() if not x.startswith("mimo-conformance: ")]) < 12


def test_the_printed_fix_for_an_unreadable_cassette_records_it_again(tmp_path):
    path = _damaged(tmp_path, "truncated")
    run = _run("tests/test_cases.py", "-k", ONE_CASE, "--cassette-dir", str(tmp_path), "-q")
    [line] = [line for line in run.stdout.splitlines() if line.startswith(f"{path}: ")]
    fix = line.split(": delete it and record it again: ", 1)[1].split("; or restore", 1)[0]
    done = subprocess.run(fix, shell=True, cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={k: v for k, v in os.environ.items() if k != "MIMO_TARGET"})
    assert done.returncode == 0, done.stdout[-2000:]
    assert json.loads(path.read_text(encoding="utf-8"))["interactions"]


def test_a_targets_file_outside_the_repository_in_the_space_form_is_read(tmp_path):
    # Its value is an existing path outside the repository: pytest takes it for a test path before
    # it knows the option (conformance/bootstrap.py).
    path = _targets_file(tmp_path, ["mimo-v2.5-pro"])
    run = _run("--targets-file", str(path), "--target", "gw", *CASES_ONLY, "--co")
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "target gw (gw/xiaomi), mode replay, models mimo-v2.5-pro" in run.stdout


def test_a_cassette_dir_outside_the_repository_in_the_space_form_is_read(tmp_path):
    run = _run("--cassette-dir", str(tmp_path), *CASES_ONLY, "-k", ONE_CASE)
    assert run.returncode == 1, run.stdout[-2000:] + run.stderr[-2000:]
    assert f"--cassette-dir {tmp_path} --record-mode=once '{NODE}'" in run.stdout  # it looked there


def test_a_deviations_table_outside_the_repository_in_the_space_form_is_read(tmp_path):
    table = tmp_path / "deviations.json"
    table.write_text("[]", encoding="utf-8")
    line = _one_line(_run("--deviations", str(table), *CASES_ONLY, "--co"))
    assert line.startswith(f"ERROR: {table}")


def test_a_results_file_outside_the_repository_in_the_space_form_is_written(tmp_path):
    results = tmp_path / "results.json"
    results.write_text("{}", encoding="utf-8")  # an existing file: the case pytest mistook for a test path
    run = _run("--results", str(results), *CASES_ONLY, "-k", ONE_CASE)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert json.loads(results.read_text(encoding="utf-8"))["records"]


def test_an_eval_results_file_outside_the_repository_in_the_space_form_is_written(tmp_path):
    results = tmp_path / "evals.json"
    results.write_text("{}", encoding="utf-8")
    run = _run("evals", "--target", "llama-server", "--eval-results", str(results), "-k", "arith.ages")
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert json.loads(results.read_text(encoding="utf-8"))["target"] == "llama-server"


def test_a_test_file_runs_from_a_subdirectory():
    run = _run("test_sse.py", "-q", cwd=ROOT / "tests")
    assert run.returncode == 0 and " passed" in run.stdout, run.stdout[-2000:] + run.stderr[-2000:]


def test_a_path_option_outside_the_repository_works_from_a_subdirectory(tmp_path):
    path = _targets_file(tmp_path, ["mimo-v2.5-pro"])
    run = _run("test_sse.py", "--targets-file", str(path), "--target", "gw", cwd=ROOT / "tests")
    assert run.returncode == 0 and "target gw (gw/xiaomi)" in run.stdout, run.stdout[-2000:] + run.stderr[-2000:]
