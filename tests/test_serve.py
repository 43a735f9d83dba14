"""``mimo-conformance serve`` is usable in a minute: it says how to reach it, the official SDKs work with their defaults, it stops at once."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import anthropic
import httpx
import openai
import pytest

from conformance.server import KEY_ENV
from conformance.server.faults import FAULTS

# The server runs on the loopback; the suite blocks every other host in replay.
pytestmark = [pytest.mark.block_network(allowed_hosts=["127.0.0.1"]), pytest.mark.slow]

COMMAND = Path(sys.executable).with_name("mimo-conformance")  # the console script requirements.txt installs (-e .)
LAST_LINE = "Ctrl-C or SIGTERM stops it"


def _env(**extra: str) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if k != KEY_ENV}, **extra}


def _serve(*args: str, **env: str) -> subprocess.CompletedProcess:
    """Run the command to its end (for the ones that never start serving)."""
    return subprocess.run([str(COMMAND), "serve", *args], env=_env(**env), capture_output=True, text=True, timeout=60)


class Served:
    """A running ``mimo-conformance serve`` and what it printed before serving."""

    def __init__(self, proc: subprocess.Popen, lines: list[str]) -> None:
        self.proc, self.lines = proc, lines
        self.urls = dict(re.findall(r"^(openai|anthropic) base URL: (\S+)$", "\n".join(lines), re.M))
        self.key = re.search(r"^key: (\S+)", "\n".join(lines), re.M).group(1)

    def stop(self, sig: int) -> tuple[str, str]:
        """Send ``sig``; what the command printed after the banner, on stdout and stderr."""
        self.proc.send_signal(sig)
        return self.proc.communicate(timeout=30)  # a safety timeout: the command ends well before


def _started(*args: str, **env: str) -> Iterator[Served]:
    proc = subprocess.Popen([str(COMMAND), "serve", "--port", "0", *args], env=_env(**env), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        lines = []
        while not lines or lines[-1] != LAST_LINE:
            line = proc.stdout.readline()
            assert line, f"serve ended before it listened: {proc.stderr.read()}"
            lines.append(line.rstrip("\n"))
        yield Served(proc, lines)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=30)


@pytest.fixture
def served() -> Iterator[Served]:
    """``mimo-conformance serve --port 0`` with no key given."""
    yield from _started()


def test_the_console_script_is_installed():
    assert COMMAND.is_file(), "pip install -r requirements.txt installs the suite (-e .) and its command"


def test_serve_prints_both_base_urls_and_a_generated_key(served):
    assert set(served.urls) == {"openai", "anthropic"}
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", served.urls["openai"])
    assert served.urls["anthropic"] == served.urls["openai"].removesuffix("/v1") + "/anthropic"
    assert re.fullmatch(r"sk-ref-[0-9a-f]{24}", served.key)
    assert f"key: {served.key} (generated; --key or ${KEY_ENV} sets one)" in served.lines


def test_a_key_from_the_environment_is_used_and_not_called_generated():
    for served in _started(**{KEY_ENV: "sk-mine"}):
        assert served.key == "sk-mine" and "key: sk-mine" in served.lines


def test_the_official_sdks_reach_both_endpoints_with_their_default_headers(served):
    # openai sends Authorization: Bearer, anthropic sends x-api-key: neither sends MiMo's api-key.
    with openai.OpenAI(base_url=served.urls["openai"], api_key=served.key, max_retries=0, timeout=30) as client:
        answer = client.chat.completions.create(model="mimo-v2.5-pro", max_completion_tokens=256,
                                                messages=[{"role": "user", "content": "hello"}])
    assert "hello" in answer.choices[0].message.content
    with anthropic.Anthropic(base_url=served.urls["anthropic"], api_key=served.key, max_retries=0, timeout=30) as client:
        reply = client.messages.create(model="mimo-v2.5-pro", max_tokens=256, messages=[{"role": "user", "content": "hello"}])
    assert any(block.type == "text" and "hello" in block.text for block in reply.content)


def _replayed(curl: str) -> httpx.Response:
    """The request a printed curl line makes, sent with httpx: its URL, -H headers and -d body."""
    words = shlex.split(curl)
    assert words[:2] == ["curl", "-s"]
    headers = dict(words[i + 1].split(": ", 1) for i, w in enumerate(words) if w == "-H")
    body = words[words.index("-d") + 1]
    return httpx.post(words[2], headers=headers, content=body.encode(), timeout=30)


def test_each_printed_curl_line_is_answered(served):
    curls = [line.removeprefix("try: ") for line in served.lines if line.startswith("try: curl ")]
    assert len(curls) == 2
    for curl in curls:
        response = _replayed(curl)
        assert response.status_code == 200, (curl, response.text)
        assert json.loads(response.text)["model"] == "mimo-v2.5-pro"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_signal_stops_the_server_with_one_line(served, sig):
    out, err = served.stop(sig)
    assert served.proc.returncode == 0
    assert out == "reference server stopped\n"
    assert err == ""


def test_faults_are_listed_by_the_command_itself():
    run = _serve("--list-faults")
    assert run.returncode == 0
    assert [line.split()[0] for line in run.stdout.splitlines()] == sorted(FAULTS)


def test_a_reader_that_leaves_early_gets_no_traceback():
    # `mimo-conformance serve --list-faults | head -1`: the reader is gone before the catalogue is printed.
    read, write = os.pipe()
    os.close(read)
    try:
        run = subprocess.run([str(COMMAND), "serve", "--list-faults"], env=_env(), stdout=write,
                             stderr=subprocess.PIPE, text=True, timeout=60)
    finally:
        os.close(write)
    assert run.returncode == 0 and run.stderr == ""


def test_help_names_the_command():
    run = _serve("--help")
    assert run.returncode == 0 and run.stdout.startswith("usage: mimo-conformance serve ")


def test_an_unknown_dialect_is_one_line():
    run = _serve("--dialect", "bogus")
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.splitlines() == [
        "mimo-conformance serve: error: argument --dialect: invalid choice: 'bogus' "
        "(choose from 'aggregator', 'empiriolabs', 'token-plan', 'xiaomi') "
        "(--help lists the options)"]


def test_a_port_in_use_is_one_line_naming_it_and_the_fix():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = _serve("--port", str(port))
    assert run.returncode == 2 and "Traceback" not in run.stderr
    [line] = run.stderr.splitlines()
    assert line.startswith(f"mimo-conformance serve: error: cannot listen on 127.0.0.1:{port}: ")
    assert line.endswith("pass --port 0 for a free one, or stop what listens there")
