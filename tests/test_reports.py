"""Reports people read, end to end: JUnit messages, Allure results, and the matrix page in a real headless Chromium.

Two kinds of real runs feed them, each made once per pytest session (shared by xdist workers):
a live run against the reference server with a fault on purpose (failures, known deviations and
passes, under ``-n 2``, with ``--results``, ``--junitxml`` and ``--alluredir``), and
``mimo-conformance check --results`` over the committed cassettes of each recorded target.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import pytest
from filelock import FileLock

from conformance import allure_report, matrix, results, schemas

pytestmark = pytest.mark.slow  # pytest subprocesses and a browser

ROOT = Path(__file__).resolve().parent.parent
SECRET = "sk-ref-allure-secret-4f1c2e9a77"  # the reference server's key in the faulted run: never in a report
FAULT_SLICE = "(basic and (user_only or doc_example)) or auth"
FAILING = "test_case[openai.chat_completions.basic.user_only-mimo-v2.5-pro-stream]"
KNOWN = "test_case[anthropic.messages.basic.doc_example-mimo-v2.5-plain]"
CHROMIUM = Path("/usr/bin/chromium")
# Headless, and nothing that reaches out: no QUIC, no background fetches, no component or sync updates.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MIMO_TARGET", "MIMO_API_KEY", "PYTEST_ADDOPTS")}
    return {**env, **extra}


def _shared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, name: str,
            make: Callable[[Path], None]) -> Path:
    """A folder ``make`` fills once per session, whichever xdist worker asks first."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if hasattr(request.config, "workerinput") else base  # the session's folder, shared by workers
    folder = root / f"reports-{name}"
    with FileLock(str(root / f"reports-{name}.lock")):
        if not (folder / "done").exists():
            folder.mkdir(exist_ok=True)
            make(folder)
            (folder / "done").write_text("", encoding="utf-8")
    return folder


def _faulted_run(folder: Path) -> None:
    cmd = [sys.executable, "-m", "pytest", "tests/test_cases.py", "--target", "reference", "--live",
           "--reference-fault", "openai.role_missing", "-k", FAULT_SLICE, "-n", "2", "-q",
           f"--results={folder / 'results.json'}", f"--junitxml={folder / 'junit.xml'}", f"--alluredir={folder / 'allure'}"]
    run = subprocess.run(cmd, cwd=ROOT, env=_env(MIMO_REFERENCE_KEY=SECRET), capture_output=True, text=True, timeout=600)
    (folder / "output.txt").write_text(run.stdout + run.stderr, encoding="utf-8")
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-2000:]  # the fault fails some tests, nothing else breaks


@pytest.fixture
def faulted(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of a live run against the reference server with ``openai.role_missing``: results, JUnit, Allure."""
    return _shared(request, tmp_path_factory, "faulted", _faulted_run)


def _checked(folder: Path) -> None:
    for server in ("reference", "llama-server"):
        cmd = [sys.executable, "-m", "conformance.cli", "check", f"cassettes/{server}", "-q",
               f"--results={folder / f'{server}.json'}"]
        run = subprocess.run(cmd, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=600)
        assert run.returncode in (0, 1), run.stderr[-2000:]  # 1: a failing finding; never 2 (unreadable input)


@pytest.fixture
def checked(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of ``mimo-conformance check --results`` over each recorded server's committed cassettes."""
    return _shared(request, tmp_path_factory, "checked", _checked)


# --- JUnit ------------------------------------------------------------------------------------


def _failures(junit: Path) -> dict[str, str]:
    return {case.get("name"): failure.get("message") for case in ET.parse(junit).iter("testcase")
            for failure in case.iter("failure")}


def test_each_junit_failure_message_starts_with_the_failing_check_ids(faulted: Path) -> None:
    failures = _failures(faulted / "junit.xml")
    assert FAILING in failures and len(failures) >= 2
    for name, message in failures.items():
        assert all(re.match(r"\[[a-z0-9_.]+\] ", line) for line in message.splitlines()), (name, message)
    assert failures[FAILING].startswith("[openai.stream.role_first] event 0 /choices/0/delta/role: ")


# --- Allure -----------------------------------------------------------------------------------


def _allure(faulted: Path) -> dict[str, dict]:
    """Each Allure test result of the run, by test name."""
    found = {}
    for path in (faulted / "allure").glob("*-result.json"):
        doc = json.loads(path.read_text(encoding="utf-8"))
        found[doc["name"]] = doc
    return found


def _attachment(faulted: Path, result: dict, name: str) -> str:
    source = next(a["source"] for a in result["attachments"] if a["name"] == name)
    return (faulted / "allure" / source).read_text(encoding="utf-8")


def _labels(result: dict) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for label in result["labels"]:
        found.setdefault(label["name"], []).append(label["value"])
    return found


def test_allure_has_a_result_for_every_test_of_the_run_under_xdist(faulted: Path) -> None:
    tests = {case.get("name") for case in ET.parse(faulted / "junit.xml").iter("testcase")}
    allure = _allure(faulted)
    assert tests == set(allure) and len(tests) > 20
    assert len({_labels(r)["thread"][0].split("-")[0] for r in allure.values()}) == 2  # both workers wrote results


def test_allure_attaches_each_exchange_and_each_finding_of_a_failing_test(faulted: Path) -> None:
    result = _allure(faulted)[FAILING]
    assert result["status"] == "failed"
    names = [a["name"] for a in result["attachments"]]
    assert names == ["exchange 1: request (openai chat_completions)", "exchange 1: response 200 (SSE transcript)",
                     "findings of verdict 1 (fail)"]
    sent = json.loads(_attachment(faulted, result, names[0]))
    assert sent["body"]["stream"] is True and sent["body"]["model"] == "mimo-v2.5-pro"
    assert "data: [DONE]" in _attachment(faulted, result, names[1])
    findings = json.loads(_attachment(faulted, result, names[2]))
    recorded = _record_of(faulted, FAILING)["findings"][0]  # what the one judge wrote to the results file
    assert findings[0]["check"] == recorded["check"] == "openai.stream.role_first"
    assert findings[0]["location"] == recorded["location"] == "event 0 /choices/0/delta/role"
    assert (findings[0]["severity"], findings[0]["basis"]) == (recorded["severity"], recorded["basis"])


def _record_of(faulted: Path, name: str) -> dict:
    return next(r for r in results.load(faulted / "results.json")["records"] if r["test"].endswith("::" + name))


def test_allure_labels_a_test_by_protocol_endpoint_feature_target_and_model(faulted: Path) -> None:
    labels = _labels(_allure(faulted)[FAILING])
    severity = allure_report.SEVERITY[_record_of(faulted, FAILING)["findings"][0]["severity"]]
    assert {k: labels[k] for k in ("protocol", "endpoint", "feature", "target", "model", "epic", "story", "severity")} == {
        "protocol": ["openai"], "endpoint": ["chat_completions"], "feature": ["basic"], "target": ["reference"],
        "model": ["mimo-v2.5-pro"], "epic": ["openai"], "story": ["chat_completions"], "severity": [severity]}
    assert {"target:reference", "model:mimo-v2.5-pro"} <= set(labels["tag"])
    parameters = {p["name"]: p["value"] for p in _allure(faulted)[FAILING]["parameters"]}
    assert (parameters["target"], parameters["model"]) == ("'reference'", "'mimo-v2.5-pro'")


def test_allure_shows_a_known_deviation_as_such_with_its_reason(faulted: Path) -> None:
    result = _allure(faulted)[KNOWN]
    reason = json.loads((ROOT / "deviations/reference.json").read_text(encoding="utf-8"))["deviations"][1]["reason"]
    assert result["status"] == "skipped" and result["statusDetails"]["message"].startswith("XFAIL known deviation")
    assert "known deviation" in _labels(result)["tag"]
    assert _labels(result)["known_deviation"] == ["deviations/reference.json /deviations/1"]
    assert reason in _attachment(faulted, result, "known deviations")
    findings = json.loads(next(_attachment(faulted, result, a["name"]) for a in result["attachments"]
                               if a["name"].startswith("findings")))
    assert any(f["known"] and f["known"]["reason"] == reason for f in findings)


def test_no_key_reaches_the_allure_results(faulted: Path) -> None:
    assert any(name.startswith("test_case[openai.chat_completions.auth.wrong") for name in _allure(faulted))
    files = list((faulted / "allure").iterdir())
    assert len(files) > 50
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert SECRET not in text and "sk-" not in text, path.name


# --- the matrix -------------------------------------------------------------------------------


def test_results_files_of_separate_runs_merge_into_one_matrix(faulted: Path, checked: Path) -> None:
    runs = [(str(faulted / "results.json"), results.load(faulted / "results.json")),
            (str(checked / "llama-server.json"), results.load(checked / "llama-server.json"))]
    merged = matrix.build(runs, with_coverage=False)
    alone = matrix.build(runs[1:], with_coverage=False)
    assert [i["kind"] for i in merged["inputs"]] == ["pytest", "check"]
    targets = {c["target"] for c in merged["columns"]}
    assert targets == {"reference", "llama-server"}
    status = {(c["protocol"], c["feature"], c["target"], c["model"]): c["status"] for c in merged["cells"]}
    assert status["openai", "basic", "reference", "mimo-v2.5-pro"] == "fail"  # the fault, from the pytest run
    assert status["anthropic", "basic", "reference", "mimo-v2.5"] == "known"
    assert all(status[c["protocol"], c["feature"], c["target"], c["model"]] == c["status"] for c in alone["cells"])


def _chromium_or_fail(path: Path = CHROMIUM) -> Path:
    """Debian's Chromium, or a failed test that says how to install it (a browser is never downloaded here)."""
    if not path.exists():
        pytest.fail(f"Chromium is not installed at {path}: run `apt-get install -y chromium` (Debian's package); "
                    "the matrix page is tested in a real headless browser", pytrace=False)
    return path


def test_a_missing_chromium_fails_with_the_command_that_installs_it(tmp_path: Path) -> None:
    with pytest.raises(pytest.fail.Exception, match=r"apt-get install -y chromium"):
        _chromium_or_fail(tmp_path / "chromium")


@dataclass
class Browser:
    """A headless Chromium page, and every console error and uncaught exception it reported."""

    page: object
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    """A page of Debian's headless Chromium with an empty profile, driven by Playwright."""
    executable = _chromium_or_fail()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(executable), args=CHROMIUM_ARGS, headless=True,
            viewport={"width": 1400, "height": 1000})
        found = Browser(context.new_page())
        found.page.on("console", lambda m: found.errors.append(m.text) if m.type == "error" else None)
        found.page.on("pageerror", lambda e: found.errors.append(str(e)))
        try:
            yield found
        finally:
            context.close()


def _not_blank(png: Path) -> tuple[int, float]:
    """(distinct colours, share of pixels that are not white) of a screenshot."""
    from PIL import Image

    with Image.open(png) as image:
        rgb = image.convert("RGB")
        colours = rgb.getcolors(maxcolors=1 << 24)
        white = sum(n for n, c in colours if c == (255, 255, 255))
        return len(colours), 1 - white / (rgb.width * rgb.height)


def _open(browser: Browser, page_file: Path, shot: Path) -> None:
    browser.page.goto(page_file.as_uri())
    browser.page.wait_for_load_state("load")
    browser.page.screenshot(path=str(shot))
    colours, ink = _not_blank(shot)
    assert colours > 50 and ink > 0.05, (colours, ink)


def test_the_matrix_page_shows_a_failing_cells_evidence_in_chromium(faulted: Path, browser: Browser,
                                                                     tmp_path: Path) -> None:
    page_file = tmp_path / "matrix.html"
    assert matrix.main([str(faulted / "results.json"), "--html", str(page_file)]) == 0
    _open(browser, page_file, tmp_path / "matrix.png")
    evidence = browser.page.locator("#evidence")
    assert evidence.is_hidden()
    browser.page.locator("button.cell.fail").first.click()
    assert evidence.is_visible() and "[openai.stream.role_first]" in evidence.inner_text()
    browser.page.locator("button.cell.known").first.click()
    assert "known deviation deviations/reference.json /deviations/1" in evidence.inner_text()
    browser.page.screenshot(path=str(tmp_path / "evidence.png"))
    evidence.locator("button.close").click()
    assert evidence.is_hidden()
    assert browser.errors == []


def test_the_committed_cassettes_matrix_loads_and_answers_every_click_in_chromium(checked: Path, browser: Browser,
                                                                                  tmp_path: Path) -> None:
    out = {kind: tmp_path / f"matrix.{kind}" for kind in ("html", "json", "markdown")}
    cmd = [sys.executable, "-m", "conformance.cli", "report", str(checked / "reference.json"),
           str(checked / "llama-server.json"), *(f"--{k}={p}" for k, p in out.items())]
    run = subprocess.run(cmd, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    doc = json.loads(out["json"].read_text(encoding="utf-8"))
    assert schemas.errors("matrix.schema.json", doc) == []
    assert [c["target"] for c in doc["coverage"]] == ["llama-server", "reference", "reference-aggregator",
                                                      "reference-empiriolabs", "reference-token-plan"]
    assert "Legend: ✅ pass" in out["markdown"].read_text(encoding="utf-8")
    _open(browser, out["html"], tmp_path / "matrix.png")
    evidence = browser.page.locator("#evidence")
    present = [s for s in matrix.STATUSES if any(c["status"] == s for c in doc["cells"])]
    assert len(present) >= 3 and "untested" in present, present
    for status in present:
        index, cell = next((i, c) for i, c in enumerate(doc["cells"]) if c["status"] == status)
        browser.page.locator(f'button[data-cell="{index}"]').click()
        shown = evidence.inner_text()
        heading = evidence.locator("h2").inner_text()
        assert heading == f"{cell['protocol']} {cell['feature']} @ {cell['target']} / {cell['model']}: {status}"
        first = (cell["evidence"] or [{"test": "No record: not tested.", "findings": []}])[0]
        assert (first["test"] or first["source"]) in shown
        assert all(f"[{f['check']}]" in shown for f in first["findings"])
    assert browser.errors == []
