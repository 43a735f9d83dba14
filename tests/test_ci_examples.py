"""The CI examples run only commands that exist: pytest options, mimo-conformance subcommands, files of the repo."""

from __future__ import annotations

import functools
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conformance import cli

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = [ROOT / "examples" / "ci" / "github-actions.yml", ROOT / "examples" / "ci" / "gitlab-ci.yml"]
PROGRAMS = {"python3", "mimo-conformance", "apt-get", "npx", "cat"}  # everything else is a typo or a new tool to vet
REPO_PATH = re.compile(r"^(requirements\.txt|evals|tests|cassettes|schemas|docs|examples)(/\S*)?$")
OPERATORS = {"&&", "||", ";", "|"}


def _scripts(doc: dict) -> list[str]:
    """Every shell script of a workflow: GitHub's steps' ``run``, GitLab's ``before_script`` and ``script``."""
    if "jobs" in doc:
        return [step["run"] for job in doc["jobs"].values() for step in job.get("steps", []) if "run" in step]
    jobs = [job for job in doc.values() if isinstance(job, dict)]
    return [line for job in jobs for key in ("before_script", "script") for line in job.get(key, [])]


def _commands(path: Path) -> list[list[str]]:
    """Each simple command of the file's scripts as tokens: comments, redirections and ``VAR=value`` dropped."""
    found = []
    for script in _scripts(yaml.safe_load(path.read_text(encoding="utf-8"))):
        for line in script.splitlines():
            lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
            lexer.whitespace_split = True
            found += _split(list(lexer))
    return found


def _split(tokens: list[str]) -> list[list[str]]:
    commands, current, skip = [], [], False
    for token in tokens:
        if token in OPERATORS:
            commands.append(current)
            current, skip = [], False
        elif token in (">", ">>"):
            skip = True  # the redirection's target is no argument
        elif not skip and not (not current and re.match(r"^[A-Z_]+=", token)):
            current.append(token)
        else:
            skip = False
    return [c for c in commands + [current] if c]


@functools.cache
def _help(*args: str) -> str:
    run = subprocess.run([sys.executable, "-m", *args, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return run.stdout


def _options(tokens: list[str]) -> list[str]:
    return [t.split("=", 1)[0] for t in tokens if t.startswith("-") and not t.startswith("${")]


def _listed(option: str, help_text: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", help_text) is not None


def _problems(command: list[str]) -> list[str]:
    """What in one command does not exist: the program, an option, a subcommand, a file of the repo."""
    program = command[0]
    if program not in PROGRAMS:
        return [f"unknown program {program!r}"]
    problems = [f"no such file {t!r}" for t in command if REPO_PATH.match(t) and not (ROOT / t).exists()]
    if command[:3] == ["python3", "-m", "pytest"]:
        problems += [f"pytest has no option {o}" for o in _options(command[3:]) if not _listed(o, _help("pytest"))]
    elif command[:3] == ["python3", "-m", "pip"]:
        problems += [] if command[3:5] == ["install", "-r"] else [f"unexpected pip use {command}"]
    elif program == "mimo-conformance":
        problems += _subcommand_problems(command[1:])
    elif program == "npx":
        problems += [] if command[1:4] == ["--yes", "allure-commandline", "generate"] else [f"unexpected npx use {command}"]
    return problems


def _subcommand_problems(args: list[str]) -> list[str]:
    if not args or args[0] not in cli.COMMANDS:
        return [f"mimo-conformance has no subcommand {args[:1]}"]
    path = args[:2] if args[0] in ("evals", "deviations") else args[:1]
    text = _help("conformance.cli", *path)
    return [f"mimo-conformance {' '.join(path)} has no option {o}" for o in _options(args[len(path):]) if not _listed(o, text)]


@pytest.mark.slow  # pytest and mimo-conformance --help in subprocesses
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_command_of_the_ci_example_exists(path: Path) -> None:
    commands = _commands(path)
    assert len(commands) > 8
    assert [p for c in commands for p in _problems(c)] == []


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_the_ci_example_runs_every_job_the_docs_promise(path: Path) -> None:
    lines = [" ".join(c) for c in _commands(path)]
    offline = [line for line in lines if line.startswith("python3 -m pytest -n auto")]
    live = [line for line in lines if line.startswith("python3 -m pytest -n 2 --target")]
    assert offline and "--results" in offline[0] and "--alluredir" in offline[0]
    assert live and all("--live" in line and "--model" in line and "--results" in line for line in live)
    assert any(line.startswith("mimo-conformance evals compare") for line in lines)
    assert any(line.startswith("mimo-conformance report") and "--markdown" in line for line in lines)
    assert any(line.startswith("npx --yes allure-commandline generate") for line in lines)
    assert "MIMO_API_KEY" in path.read_text(encoding="utf-8")


def test_a_missing_option_or_file_is_found() -> None:
    assert _problems(["python3", "-m", "pip", "install", "-r", "requirements-missing.txt"]) == []  # no repo prefix
    assert _problems(["python3", "-m", "pip", "install", "-r", "docs/nowhere.txt"]) == ["no such file 'docs/nowhere.txt'"]
    assert _problems(["mimo-conformance", "reprot"]) == ["mimo-conformance has no subcommand ['reprot']"]
    assert _problems(["curl", "https://example.invalid"]) == ["unknown program 'curl'"]
    assert _split(["a", "&&", "DEBIAN_FRONTEND=x", "b", ">>", "out", "c"]) == [["a"], ["b", "c"]]


@pytest.mark.slow
def test_a_made_up_option_is_found() -> None:
    assert _problems(["python3", "-m", "pytest", "--resutls", "x.json"]) == ["pytest has no option --resutls"]
    assert _problems(["mimo-conformance", "report", "r.json", "--htm", "x"]) == ["mimo-conformance report has no option --htm"]
