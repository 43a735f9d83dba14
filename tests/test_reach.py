"""A target that is not there, not an API or refuses the key ends a live run at once with one line; one that stops answering is skipped, and fails the run.

Live runs in pytest subprocesses against servers in this process (a closed port, a web page, a 404,
a 503, the reference server with another key), each counting the requests it gets.
"""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Iterator

import pytest

from conformance import server
from conformance.exchange import Exchange, Request
from conformance.probe import problem, request_body

ROOT = Path(__file__).resolve().parent.parent
KEY = "sk-reach-test"


def _live(urls: dict[str, str], *args: str, key: str = KEY) -> subprocess.CompletedProcess:
    """``pytest --target xiaomi --live`` pointed at ``urls``, on the case runner."""
    env = {**{k: v for k, v in os.environ.items() if k != "MIMO_TARGET"}, "MIMO_API_KEY": key}
    command = [sys.executable, "-m", "pytest", "--target", "xiaomi", "--live", "--no-rate-limit", "-p", "no:randomly",
               "--openai-base-url", urls["openai"], "--anthropic-base-url", urls["anthropic"], "tests/test_cases.py", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)  # a safety timeout


def _urls(port: int) -> dict[str, str]:
    return {"openai": f"http://127.0.0.1:{port}/v1", "anthropic": f"http://127.0.0.1:{port}/anthropic"}


class _Fixed(http.server.BaseHTTPRequestHandler):
    """Answers every request with the same status, content type and body, and counts them."""

    status, content_type, body, seen = 200, "text/html", b"<!DOCTYPE html><html><body>My site</body></html>", []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        self.seen.append(self.path)
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(self.status)
        self.send_header("content-type", self.content_type)
        self.send_header("content-length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


def _serving(status: int, content_type: str, body: bytes) -> Iterator[tuple[dict[str, str], list[str]]]:
    handler = type("Handler", (_Fixed,), {"status": status, "content_type": content_type, "body": body, "seen": []})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield _urls(httpd.server_address[1]), handler.seen
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def web_page():
    """A web server that answers every POST with an HTML page."""
    yield from _serving(200, "text/html", _Fixed.body)


@pytest.fixture
def no_such_path():
    """A server that answers every POST with an HTML 404, as a wrong base path would."""
    yield from _serving(404, "text/html", b"<html><body>404 page not found</body></html>")


@pytest.fixture
def overloaded():
    """A server that answers every POST with a JSON 503."""
    yield from _serving(503, "application/json", b'{"error": {"message": "overloaded"}}')


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop_line(run: subprocess.CompletedProcess) -> str:
    """The one line a stopped run ends with; the run ran no test and printed no traceback."""
    lines = [line for line in run.stdout.splitlines() if "mimo-conformance: stopped before the first test: " in line]
    assert run.returncode == 4 and len(lines) == 1, run.stdout[-3000:] + run.stderr[-3000:]
    assert "Traceback" not in run.stdout + run.stderr and "no tests ran" in run.stdout
    return lines[0].split("mimo-conformance: stopped before the first test: ", 1)[1].rstrip(" !")


@pytest.mark.slow
@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one process", "two workers"])
def test_a_refused_port_ends_the_run_with_one_line(workers):
    urls = _urls(_closed_port())
    line = _stop_line(_live(urls, *workers))
    assert line.startswith(f"{urls['openai']}/chat/completions: connection refused: nothing listens there; ")


@pytest.mark.slow
def test_a_web_page_ends_the_run_with_one_line_after_one_request(web_page):
    urls, seen = web_page
    line = _stop_line(_live(urls))
    assert line.startswith(f"{urls['openai']}/chat/completions: answered 200 with text/html, not JSON ")
    assert "this is not the API" in line
    assert seen == ["/v1/chat/completions"]


@pytest.mark.slow
def test_a_404_on_the_endpoint_ends_the_run_naming_the_base_url_fix(no_such_path):
    urls, seen = no_such_path
    line = _stop_line(_live(urls))
    assert line.startswith(f"{urls['openai']}/chat/completions: 404 Not Found: the endpoint is not there; ")
    assert seen == ["/v1/chat/completions"]


@pytest.mark.slow
@pytest.mark.block_network(allowed_hosts=["127.0.0.1"])
def test_a_rejected_key_ends_the_run_with_one_line():
    with server.serve_in_thread(key="sk-the-right-one") as reference:
        line = _stop_line(_live(reference.base_urls, key="sk-a-wrong-one"))
    assert line == f"{reference.base_urls['openai']}/chat/completions: 401: the server refused the key in $MIMO_API_KEY: set the right key"


def _summary(run: subprocess.CompletedProcess) -> str:
    [line] = [line for line in run.stdout.splitlines() if line.startswith("mimo-conformance: ") and "no answer" in line]
    return line


@pytest.mark.slow
def test_a_target_that_stops_answering_is_skipped_after_the_limit_and_fails_the_run(overloaded):
    urls, seen = overloaded
    run = _live(urls, "--retries", "0", "--unavailable-limit", "3")
    assert run.returncode == 1 and "Traceback" not in run.stdout + run.stderr, run.stdout[-3000:]
    assert len(seen) == 2 + 3  # a probe per protocol (a 503 is for the limit to judge), then three exchanges
    summary = _summary(run)
    assert summary.startswith("mimo-conformance: ") and "tests got no answer from xiaomi (UNAVAILABLE" in summary
    assert summary.endswith("were not sent; the run fails (--allow-unavailable lets it pass)")
    folded = [line for line in run.stdout.splitlines() if "UNAVAILABLE: not sent: xiaomi was unavailable for 3" in line]
    assert len(folded) == 1 and folded[0].startswith("SKIPPED [")  # every test not sent, in one line


@pytest.mark.slow
@pytest.mark.parametrize(("option", "status"), [("--allow-unavailable", 0), ("--fail-on-unavailable", 1)])
def test_allow_unavailable_lets_the_run_pass_and_the_old_option_keeps_the_default(overloaded, option, status):
    urls, _ = overloaded
    run = _live(urls, "--retries", "0", "--unavailable-limit", "3", option)
    assert run.returncode == status, run.stdout[-3000:]
    assert _summary(run).endswith("as --allow-unavailable asks" if status == 0 else "--allow-unavailable lets it pass)")


def _answer(status: int, text: str = "", content_type: str = "application/json", error: str | None = None) -> Exchange:
    request = Request("POST", "http://gw.example/v1/chat/completions", {}, request_body("openai", "mimo-v2.5-pro"))
    return Exchange("openai", request, status, {"content-type": content_type}, text, error=error)


@pytest.mark.parametrize(("exchange", "expected"), [
    (_answer(0, error="ConnectError after 0 SSE items: [Errno 111] Connection refused"), "connection refused"),
    (_answer(0, error="ConnectError after 0 SSE items: [Errno -2] Name or service not known"), "does not resolve"),
    (_answer(0, error="ConnectError after 0 SSE items: [SSL: WRONG_VERSION_NUMBER] wrong version number"), "TLS failed"),
    (_answer(0, error="ConnectTimeout: no connection within 10.0 s"), "a firewall or proxy"),
    (_answer(404, "<html>404</html>", "text/html"), "404 Not Found"),
    (_answer(401, '{"error": {}}'), "refused the key in $MIMO_API_KEY"),
    (_answer(200, "<!DOCTYPE html>", "text/html"), "not JSON"),
    (_answer(501, "Unsupported method", "text/plain"), "not JSON"),
], ids=["refused", "dns", "tls", "connect-timeout", "404", "401", "html-200", "text-501"])
def test_the_probe_names_what_came_back_and_the_fix(exchange, expected):
    found = problem(exchange, "http://gw.example/v1/chat/completions", "MIMO_API_KEY")
    assert found is not None and found.startswith("http://gw.example/v1/chat/completions: ") and expected in found


@pytest.mark.parametrize("exchange", [
    _answer(200, '{"id": "x"}'), _answer(400, '{"error": {"code": "400"}}'), _answer(500, '{"error": {}}'),
    _answer(503, "<html>busy</html>", "text/html"), _answer(429, "slow down", "text/plain"),
], ids=["200", "400", "500", "503-html", "429-text"])
def test_a_target_that_answers_json_or_is_only_busy_passes_the_probe(exchange):
    assert problem(exchange, "http://gw.example/v1/chat/completions", "MIMO_API_KEY") is None


def test_the_probe_asks_for_one_token():
    assert request_body("openai", "m")["max_completion_tokens"] == 1 and request_body("anthropic", "m")["max_tokens"] == 1
