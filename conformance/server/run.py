"""Running the reference server: in a daemon thread for tests, or in the foreground from the shell."""

from __future__ import annotations

import argparse
import os
import socket
import threading
import time
from typing import Iterable, Sequence

import uvicorn

from .. import dialects
from . import faults as fault_catalogue
from .app import DIALECTS, create_app
from .prompt import WORDINGS

__all__ = ["KEY_ENV", "RunningServer", "serve_in_thread", "main"]

KEY_ENV = "MIMO_REFERENCE_KEY"


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


def _server(key: str, dialect: str, faults: Iterable[str] = (), latency: float = 0.0,
            wording: str = "reference") -> uvicorn.Server:
    """A quiet uvicorn server for the app (no access log, no lifespan, no date header of uvicorn's own)."""
    app = create_app(key=key, dialect=dialect, faults=tuple(faults), latency=latency, wording=wording)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", date_header=False)
    return uvicorn.Server(config)


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


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line, with the key from --key or the environment."""
    parser = argparse.ArgumentParser(prog="python -m conformance.server", description="Run the MiMo reference server.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on; 0 picks a free one (default 8000)")
    parser.add_argument("--key", default=os.environ.get(KEY_ENV), help=f"the API key clients must send (default: ${KEY_ENV})")
    parser.add_argument("--dialect", default="xiaomi", choices=DIALECTS,
                        help="the API dialect to speak, one of schemas/dialects/ with an adapter (default xiaomi)")
    parser.add_argument("--fault", action="append", default=[], metavar="NAME",
                        help="inject this defect on purpose (repeatable; `python3 -m conformance.mutation --list` names them)")
    parser.add_argument("--latency", type=float, default=0.0, metavar="SECONDS",
                        help="delay every answer, as a remote target would (default 0)")
    parser.add_argument("--wording", default="reference", choices=WORDINGS,
                        help="reference: echo the user in a fixed template; paraphrase: a second server that words "
                             "every answer its own way (default reference)")
    args = parser.parse_args(argv)
    if args.latency < 0:
        parser.error("--latency must be 0 or more seconds")
    if not args.key:
        parser.error(f"no key: pass --key or set {KEY_ENV}")
    for name in args.fault:
        if name not in fault_catalogue.FAULTS:
            parser.error(f"unknown fault {name!r}; `python3 -m conformance.mutation --list` names them")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Serve in the foreground until Ctrl-C, after printing both base URLs (never the key)."""
    args = _arguments(argv)
    sock = _bind(args.host, args.port)
    server = _server(args.key, args.dialect, args.fault, args.latency, args.wording)
    for name in args.fault:
        print(f"injecting fault {name}: {fault_catalogue.get(name).description}", flush=True)
    for protocol, url in _base_urls(args.host, sock.getsockname()[1], args.dialect).items():
        print(f"{protocol} base URL: {url}", flush=True)
    server.run(sockets=[sock])
    return 0
