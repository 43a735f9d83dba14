"""The transport on bad networks: retries, Retry-After, bounded waits, stalls, non-UTF-8, keys in URLs."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conformance.transport import RetryPolicy, Timeouts, Transport, redact_url

pytestmark = [pytest.mark.block_network(allowed_hosts=["127.0.0.1"]), pytest.mark.slow]

BODY = {"model": "mimo-v2.5-pro", "messages": [{"role": "user", "content": "hi"}]}
OK = b'{"ok": true}'


class Script:
    """What the fake server answers, try by try: (status, headers, body chunks, pause before each chunk)."""

    def __init__(self, *answers):
        self.answers, self.tries = list(answers), 0

    def next(self):
        answer = self.answers[min(self.tries, len(self.answers) - 1)]
        self.tries += 1
        return answer


def _handler(script: Script):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the stdlib's name
            self.rfile.read(int(self.headers.get("content-length", 0)))
            status, headers, chunks, pause = script.next()
            time.sleep(pause if status is None else 0)
            self.send_response(status or 200)
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            try:
                for chunk in chunks:
                    time.sleep(pause)
                    self.wfile.write(chunk)
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up on a stalled stream, as it should

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def serve():
    """Start a scripted HTTP server on 127.0.0.1; give back its base URL and the script."""
    servers = []

    def start(*answers):
        script = Script(*answers)
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(script))
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}", script

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _transport(base, sleeps, **kw):
    kw.setdefault("retry", RetryPolicy(attempts=4, base=0.01, cap=0.05, budget=10))
    return Transport({"openai": base + "/v1", "anthropic": base + "/anthropic"}, "sk-test", sleep=sleeps.append, **kw)


def test_overload_is_retried_until_it_clears(serve):
    base, script = serve((503, {}, [b"busy"], 0), (503, {}, [b"busy"], 0), (200, {"content-type": "application/json"}, [OK], 0))
    sleeps = []
    ex = _transport(base, sleeps).send("openai", BODY)
    assert (ex.status, ex.attempts, script.tries, ex.unavailable) == (200, 3, 3, False)
    assert len(sleeps) == 2 and all(0 <= s <= 0.05 for s in sleeps)


def test_retry_after_is_honoured(serve):
    base, _ = serve((429, {"retry-after": "2"}, [b"slow down"], 0), (200, {}, [OK], 0))
    sleeps = []
    ex = _transport(base, sleeps).send("openai", BODY)
    assert ex.status == 200 and sleeps == [2.0]


def test_a_target_that_stays_down_is_unavailable_not_non_conformant(serve):
    base, script = serve((503, {}, [b"busy"], 0))
    sleeps = []
    ex = _transport(base, sleeps).send("openai", BODY)
    assert ex.unavailable and ex.status == 503 and ex.attempts == 4 == script.tries and len(sleeps) == 3


def test_retries_stop_at_the_sleep_budget(serve):
    base, script = serve((429, {"retry-after": "30"}, [b"later"], 0))
    sleeps = []
    ex = _transport(base, sleeps, retry=RetryPolicy(attempts=10, budget=45)).send("openai", BODY)
    assert sum(sleeps) <= 45 and script.tries == 2 and ex.unavailable


def test_a_persistent_500_is_a_finding_not_unavailability(serve):
    base, _ = serve((500, {}, [b'{"error": {"message": "boom"}}'], 0))
    ex = _transport(base, []).send("openai", BODY)
    assert ex.status == 500 and not ex.unavailable and ex.attempts == 4


def test_a_refused_connection_is_unavailable(serve):
    base, _ = serve((200, {}, [OK], 0))
    dead = base.rsplit(":", 1)[0] + ":9"  # the discard port: nothing listens there
    ex = _transport(dead, []).send("openai", BODY)
    assert ex.status == 0 and ex.unavailable and "ConnectError" in ex.error


def test_a_stalled_stream_ends_with_the_event_index_in_bounded_time(serve):
    events = [b'data: {"a": 1}\n\n', b'data: {"a": 2}\n\n', b"data: [DONE]\n\n"]
    base, _ = serve((200, {"content-type": "text/event-stream"}, events, 0.0), )
    fast = _transport(base, []).send("openai", {**BODY, "stream": True})
    assert len(fast.events) == 3 and fast.error is None
    base, _ = serve((200, {"content-type": "text/event-stream"}, events, 1.5))
    start = time.perf_counter()
    ex = _transport(base, [], timeouts=Timeouts(idle=0.5), retry=RetryPolicy(attempts=1)).send("openai", {**BODY, "stream": True})
    assert time.perf_counter() - start < 1.4
    assert ex.error == "ReadTimeout: the stream stalled for 0.5 s after 0 SSE items"


def test_no_response_head_hits_the_first_byte_timeout(serve):
    base, _ = serve((None, {}, [OK], 1.5))
    ex = _transport(base, [], timeouts=Timeouts(first_byte=0.3), retry=RetryPolicy(attempts=1)).send("openai", BODY)
    assert ex.error == "ReadTimeout: no response head within 0.3 s"


def test_a_body_that_is_not_utf8_is_marked(serve):
    base, _ = serve((200, {"content-type": "application/json"}, [b'{"x": "caf\xe9"}'], 0))
    ex = _transport(base, []).send("openai", BODY)
    assert ex.undecodable_at == 10 and "\ufffd" in ex.text


def test_keys_in_a_base_url_query_are_redacted(serve):
    assert redact_url("https://gw.example/v1?api-key=sk-secret&region=cn") == "https://gw.example/v1?api-key=REDACTED&region=cn"
    base, _ = serve((200, {}, [OK], 0))
    transport = _transport(base + "/x?key=sk-secret", [])
    ex = transport.send("openai", BODY)
    assert "sk-secret" not in ex.request.url and "sk-secret" not in repr(transport) and ex.status == 200
