"""pytest11 entry point: a run inside this repository that lost its configuration gets it back.

pytest finds its configuration file (and with it ``addopts``, which registers this suite's plugins)
from the path-like arguments of the command line, before any plugin has said which options take a
value. In ``pytest --targets-file /my/t.json`` it reads ``/my/t.json`` as a test path, looks for a
configuration in ``/my`` and above, finds none, and then refuses ``--targets-file``. Only a plugin
loaded from an entry point runs in such a run (autoloading is on, since ``addopts`` that turns it
off was never read): this one starts pytest again with ``-c <repository>/pyproject.toml``. Anywhere
else it does nothing.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

__all__ = ["PYPROJECT", "pytest_load_initial_conftests"]

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    """Start pytest again with this repository's configuration when discovery missed it inside the repository."""
    if early_config.inipath is not None or not PYPROJECT.is_file():
        return
    if not early_config.invocation_params.dir.resolve().is_relative_to(PYPROJECT.parent):
        return
    args = list(early_config.invocation_params.args)
    if not _from_the_command_line(args):
        raise pytest.UsageError(f"pytest did not read {PYPROJECT}: a path option's value outside the repository "
                                f"looked like a test path to it; pass -c {PYPROJECT} or write the option as --name=PATH")
    capture = early_config.pluginmanager.getplugin("capturemanager")
    if capture is not None:
        capture.stop_global_capturing()  # give the new pytest the terminal, not this one's capture files
    os.execv(sys.executable, [sys.executable, "-m", "pytest", "-c", str(PYPROJECT), *args])


def _from_the_command_line(args: list[str]) -> bool:
    """This pytest is the process's command (``pytest`` or ``python -m pytest``), not a ``pytest.main`` call."""
    return sys.argv[1:] == args and Path(sys.argv[0]).name in ("pytest", "py.test", "__main__.py")
