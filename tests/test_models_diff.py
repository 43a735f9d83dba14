"""``mimo-conformance models diff``: a live target's model lists against the models data, and the update it writes."""

from __future__ import annotations

import http.server
import json
import shutil
import threading
from datetime import date
from pathlib import Path

import pytest

from conformance import drift, models
from conformance.schemas import errors

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1"])  # the reference server or a stand-in, on loopback

DAY = "2026-11-26"


def _diff(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str]:
    status = drift.main(list(argv))
    return status, capsys.readouterr().out


def test_the_reference_server_lists_what_the_models_data_serves(capsys: pytest.CaptureFixture) -> None:
    status, out = _diff(capsys, "--target", "reference", "--day", DAY)
    assert status == 0 and "no difference" in out
    assert "GET /models: 200" in out and "GET /v1/models: 200" in out  # both lists, as observed


def test_a_dialect_is_compared_with_its_own_model_ids(capsys: pytest.CaptureFixture) -> None:
    status, out = _diff(capsys, "--target", "reference-empiriolabs", "--day", DAY)
    assert status == 0 and "GET /v1/models: 200, 1 id(s)" in out and "dialect empiriolabs" in out


class _StandIn(http.server.BaseHTTPRequestHandler):
    """A host whose /v1/models answers 404 (as in September 2026) and whose /models lists two ids."""

    LISTED = ["mimo-v2.5-pro", "mimo-v2.7-preview"]

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path != "/models":
            self.send_response(404)
            self.send_header("content-type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html><body>404 Not Found</body></html>")
            return
        body = json.dumps({"object": "list", "data": [{"id": m, "object": "model"} for m in self.LISTED]}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch):
    """The stand-in host on a free port, and the key the xiaomi profile reads."""
    server = http.server.HTTPServer(("127.0.0.1", 0), _StandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("MIMO_API_KEY", "sk-stand-in")
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_a_host_whose_v1_list_is_gone_is_read_from_models(capsys: pytest.CaptureFixture, stand_in: str) -> None:
    status, out = _diff(capsys, "--target", "xiaomi", "--openai-base-url", stand_in, "--day", DAY)
    assert status == 1
    assert "GET /v1/models: 404, no model list (text/html)" in out and "GET /models: 200, 2 id(s)" in out
    assert "  + mimo-v2.7-preview" in out  # listed, unknown to the data
    assert "  - mimo-v2.5\n" in out and "  - mimo-v2.5-pro\n" not in out  # served by the data, not listed
    assert "  - mimo-v2-flash" not in out  # retired: not expected in any list


def test_write_adds_stubs_atomically_and_never_deletes(capsys: pytest.CaptureFixture, stand_in: str, tmp_path: Path) -> None:
    copy = tmp_path / "models.json"
    shutil.copy(models.MODELS_FILE, copy)
    before = json.loads(copy.read_text(encoding="utf-8"))["models"]
    status, out = _diff(capsys, "--target", "xiaomi", "--openai-base-url", stand_in, "--day", DAY, "--write",
                        "--models-file", str(copy))
    after = json.loads(copy.read_text(encoding="utf-8"))
    assert status == 1 and "wrote 1 stub(s)" in out
    assert after["models"][: len(before)] == before and errors("models.schema.json", after) == []
    added = after["models"][-1]
    assert (added["id"], added["stub"], added["in_captured_docs"], added["first_seen"]) == ("mimo-v2.7-preview", True, False, DAY)
    assert added["seen_on"].startswith("127.0.0.1:") and not list(tmp_path.glob(".models.json.*"))  # no temporary left
    status, out = _diff(capsys, "--target", "xiaomi", "--openai-base-url", stand_in, "--day", DAY, "--write",
                        "--models-file", str(copy))
    assert "mimo-v2.7-preview" not in out.split("no model list")[0] and "wrote" not in out  # known now: not written twice
    assert len(json.loads(copy.read_text(encoding="utf-8"))["models"]) == len(before) + 1


def test_a_stub_is_known_but_lends_no_limits() -> None:
    entry = drift.stub("mimo-v2.7-preview", date(2026, 12, 2), "api.xiaomimimo.com", "/models")
    stubbed = models.Model(entry)
    assert stubbed.stub and not stubbed.serves("openai")
    listed = drift.compare({"mimo-v2.7-preview"}, {"mimo-v2.7-preview": stubbed}, date(2026, 12, 2))
    assert listed.count == 0


def test_an_update_that_breaks_the_schema_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "models.json"
    copy.write_text(json.dumps({"models": [{"id": "broken"}]}), encoding="utf-8")
    with pytest.raises(ValueError, match="would break schemas/models.schema.json"):
        drift.write(copy, ["mimo-new"], date(2026, 12, 2), "host", "/models")
    assert json.loads(copy.read_text(encoding="utf-8")) == {"models": [{"id": "broken"}]}


def test_a_target_with_no_host_asks_for_one(capsys: pytest.CaptureFixture) -> None:
    assert drift.main(["--target", "aggregator"]) == 2
    assert "name no host" in capsys.readouterr().err


def test_no_list_answering_is_not_a_clean_result(capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIMO_API_KEY", "sk-x")
    assert drift.main(["--target", "xiaomi", "--openai-base-url", "http://127.0.0.1:9/v1"]) == 2
    out = capsys.readouterr()
    assert "unreachable" in out.out and "nothing was compared" in out.err


def test_the_command_line_runs_it(capsys: pytest.CaptureFixture) -> None:
    from conformance import cli

    assert cli.main(["models", "diff", "--target", "reference", "--day", DAY]) == 0
    assert "no difference" in capsys.readouterr().out
