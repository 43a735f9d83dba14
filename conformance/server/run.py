"""Running the reference server: in a daemon thread for tests, or in the foreground from the shell."""

from __future__ import annotations

import argparse
import errno
import json
import os
import secrets
import shlex
import signal
import socket
import sys
import threading
import time
from typing import Iterable, Sequence

import uvicorn

from .. import dialects
from ..exchange import ENDPOINTS
from . import faults as fault_catalogue
from .app import DIALECTS, create_app
from .prompt import WORDINGS

__all__ = ["KEY_ENV", "RunningServer", "serve_in_thread", "main"]

KEY_ENV = "MIMO_REFERENCE_KEY"
GRACE = 0.5  # seconds a request still in flight may take once the command is told to stop


def _bind(host: str, port: int) -> socket.socket:
    """A listening-ready socket on ``host:port`` (port 0: a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # Name the protocol: asyncio sets TCP_NODELAY only on sockets whose proto is IPPROTO_TCP, and
    # without it Nagle holds each response body until the client's delayed ACK (~40 ms a request).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def _base_urls(host: str, port: int, dialect: str = dialects.DEFAULT) -> dict[str, str]:
    """The base URL of each protocol a server of ``dialect`` on ``host:port`` serves (Xiaomi's: /v1, /anthropic)."""
    netloc = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    speaks = dialects.get(dialect)
    return {p: f"http://{netloc}{speaks.path(p)}" for p in speaks.protocols}


def _config(key: str, dialect: str, faults: Iterable[str] = (), latency: float = 0.0,
            wording: str = "reference", grace: float | None = None) -> uvicorn.Config:
    """A quiet uvicorn configuration for the app (no access log, no lifespan, no date header of uvicorn's own).

    ``grace`` bounds the seconds a shutdown waits for requests in flight (None: no bound).
    """
    app = create_app(key=key, dialect=dialect, faults=tuple(faults), latency=latency, wording=wording)
    return uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", date_header=False,
                          timeout_graceful_shutdown=grace)


def _server(key: str, dialect: str, faults: Iterable[str] = (), latency: float = 0.0,
            wording: str = "reference") -> uvicorn.Server:
    """A quiet uvicorn server for the app."""
    return uvicorn.Server(_config(key, dialect, faults, latency, wording))


class RunningServer:
    """A reference server running in a daemon thread; a context manager that stops it on exit."""

    def __init__(self, server: uvicorn.Server, thread: threading.Thread, host: str, port: int,
                 dialect: str = dialects.DEFAULT):
        self._server, self._thread = server, thread
        self.host, self.port, self.dialect = host, port, dialect

    @property
    def base_urls(self) -> dict[str, str]:
        """Per protocol the dialect serves: ``{"openai": "http://HOST:PORT/v1", "anthropic": "http://HOST:PORT/anthropic"}``."""
        return _base_urls(self.host, self.port, self.dialect)

    def stop(self, timeout: float = 5.0) -> None:
        """Ask uvicorn to exit and wait (bounded) for the thread to end."""
        self._server.should_exit = True
        self._thread.join(timeout)

    def __enter__(self) -> "RunningServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _accepts(host: str, port: int) -> bool:
    """A TCP connection to ``host:port`` succeeds."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _wait_started(running: RunningServer, timeout: float) -> None:
    """Return once the server accepts connections; raise RuntimeError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not running._thread.is_alive():
            raise RuntimeError(f"reference server on {running.host}:{running.port} exited during startup")
        if running._server.started and _accepts(running.host, running.port):
            return
        time.sleep(0.02)
    running.stop()
    raise RuntimeError(f"reference server on {running.host}:{running.port} did not accept connections within {timeout:g}s")


def serve_in_thread(*, key: str, host: str = "127.0.0.1", port: int = 0, dialect: str = "xiaomi",
                    timeout: float = 10.0, faults: Iterable[str] = (), latency: float = 0.0,
                    wording: str = "reference") -> RunningServer:
    """Start the reference server in a daemon thread and return once it accepts connections.

    ``faults`` names defects of :mod:`.faults` to inject on purpose (none by default); ``latency``
    delays every answer by that many seconds; ``wording`` ``paraphrase`` makes it a second server
    that words every answer differently.
    """
    server = _server(key, dialect, faults, latency, wording)  # before binding: an unknown fault raises with nothing to clean up
    sock = _bind(host, port)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="mimo-reference-server", daemon=True)
    running = RunningServer(server, thread, host, sock.getsockname()[1], dialect)
    thread.start()
    _wait_started(running, timeout)
    return running


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line: the error, not the usage above it."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (--help lists the options)\n")


def _parser() -> argparse.ArgumentParser:
    """The command line of ``mimo-conformance serve``."""
    parser = _Parser(
        prog="mimo-conformance serve", description="Run the MiMo reference server on this machine: both protocols, "
        "the documented contract, deterministic answers. Ctrl-C or SIGTERM stops it.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on; 0 picks a free one (default 8000)")
    parser.add_argument("--key", default=os.environ.get(KEY_ENV),
                        help=f"the API key clients must send (default: ${KEY_ENV}, else a generated one, printed)")
    parser.add_argument("--dialect", default="xiaomi", choices=DIALECTS,
                        help="the API dialect to speak, one of schemas/dialects/ with an adapter (default xiaomi)")
    parser.add_argument("--fault", action="append", default=[], metavar="NAME",
                        help="inject this defect on purpose (repeatable; --list-faults names them)")
    parser.add_argument("--list-faults", action="store_true", help="print the fault catalogue and exit")
    parser.add_argument("--latency", type=float, default=0.0, metavar="SECONDS",
                        help="delay every answer, as a remote target would (default 0)")
    parser.add_argument("--wording", default="reference", choices=WORDINGS,
                        help="reference: echo the user in a fixed template; paraphrase: a second server that words "
                             "every answer its own way (default reference)")
    return parser


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line, checked: a mistake is one line and exit status 2."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.latency < 0:
        parser.error("--latency must be 0 or more seconds")
    for name in args.fault:
        if name not in fault_catalogue.FAULTS:
            parser.error(f"unknown fault {name!r}; --list-faults names them")
    return args


def _bound(host: str, port: int) -> socket.socket | None:
    """A socket bound to ``host:port``, or None after saying in one line why there is none."""
    try:
        sock = _bind(host, port)
    except OSError as exc:
        fix = "pass --port 0 for a free one, or stop what listens there" if exc.errno == errno.EADDRINUSE else "check --host"
        print(f"mimo-conformance serve: error: cannot listen on {host}:{port}: {exc.strerror}: {fix}", file=sys.stderr)
        return None
    return sock


def _curl(protocol: str, url: str, key: str) -> str:
    """A ready-to-paste curl line for one protocol, with the header its official SDK sends the key in."""
    if protocol == "openai":
        body = {"model": "mimo-v2.5-pro", "messages": [{"role": "user", "content": "hello"}], "max_completion_tokens": 64}
        headers = [f"authorization: Bearer {key}"]
    else:
        body = {"model": "mimo-v2.5-pro", "messages": [{"role": "user", "content": "hello"}], "max_tokens": 64}
        headers = [f"x-api-key: {key}", "anthropic-version: 2023-06-01"]
    sent = " ".join(f"-H {shlex.quote(h)}" for h in [*headers, "content-type: application/json"])
    return f"curl -s {url}{ENDPOINTS[protocol][1]} {sent} -d {shlex.quote(json.dumps(body))}"


def _banner(urls: dict[str, str], key: str, generated: bool, faults: Sequence[str],
            dialect: str = dialects.DEFAULT) -> list[str]:
    """What the command prints once it listens: faults, base URLs, the key, a curl line per protocol, the suite's command."""
    lines = [f"injecting fault {name}: {fault_catalogue.get(name).description}" for name in faults]
    lines += [f"{protocol} base URL: {url}" for protocol, url in urls.items()]
    lines.append(f"key: {key}" + (f" (generated; --key or ${KEY_ENV} sets one)" if generated else ""))
    lines += [f"try: {_curl(protocol, url, key)}" for protocol, url in urls.items()]
    lines.append(f"test it: {KEY_ENV}={key} python3 -m pytest --target {_profile(dialect)} --live "
                 + " ".join(f"--{p}-base-url {u}" for p, u in urls.items() if p in ("openai", "anthropic")))
    return [*lines, "Ctrl-C or SIGTERM stops it"]


def _profile(dialect: str) -> str:
    """The reference profile that speaks ``dialect`` (schemas/targets.json), for the suite's command."""
    from ..targets import load_targets

    found = [n for n, t in load_targets().items() if t.local and t.dialect == dialect]
    return found[0] if found else "reference"


class _Announced(uvicorn.Server):
    """A uvicorn server that prints lines once it listens: from then on its own signal handlers stop it cleanly."""

    def __init__(self, config: uvicorn.Config, lines: list[str]) -> None:
        super().__init__(config)
        self.lines = lines

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            print("\n".join(self.lines), flush=True)


class _Stopped(Exception):
    """SIGTERM arrived: the server has shut down and the command ends."""


def _stop(signum: int, frame: object) -> None:
    raise _Stopped


def _run(server: uvicorn.Server, sock: socket.socket) -> None:
    """Serve until Ctrl-C or SIGTERM."""
    # uvicorn shuts down on either signal, then raises it again for the handler it found installed:
    # asyncio's or Python's own for Ctrl-C (KeyboardInterrupt), this one for SIGTERM (the default would
    # kill the process before it says it stopped).
    previous = signal.getsignal(signal.SIGTERM)
    try:
        signal.signal(signal.SIGTERM, _stop)
        server.run(sockets=[sock])
    except (KeyboardInterrupt, _Stopped):
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    """``mimo-conformance serve``: print how to reach the server, serve until stopped, say so; 2 when it cannot start."""
    args = _arguments(argv)
    if args.list_faults:
        for f in fault_catalogue.catalogue():
            print(f"{f.name:42} {f.check:45} {f.description}")
        return 0
    key, generated = args.key or f"sk-ref-{secrets.token_hex(12)}", not args.key
    sock = _bound(args.host, args.port)
    if sock is None:
        return 2
    banner = _banner(_base_urls(args.host, sock.getsockname()[1], args.dialect), key, generated, args.fault, args.dialect)
    _run(_Announced(_config(key, args.dialect, args.fault, args.latency, args.wording, grace=GRACE), banner), sock)
    print("reference server stopped", flush=True)
    return 0
