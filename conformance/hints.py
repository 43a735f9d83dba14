"""What a failed replay tells the user to do: the exact command that records the test again.

The command repeats every option that decided which tests exist or where their cassettes live
(the target, its targets file, base URLs, models, the cassette folder, the evals' items folder,
epochs, families), so that it selects the same test and writes the same cassette.
"""

from __future__ import annotations

import shlex
from typing import Any, Iterable

from .targets import Target

__all__ = ["record_command", "missing_recording", "unreadable_cassette"]


def record_command(target: Target, options: Iterable[tuple[str, Any]], nodeid: str, mode: str = "once") -> str:
    """``python3 -m pytest --target T [OPTION VALUE ...] --record-mode=MODE 'NODEID'``; list values repeat their option."""
    words = ["python3", "-m", "pytest", "--target", target.name]
    for name, value in options:
        for one in value if isinstance(value, (list, tuple)) else [value]:
            words += [name, str(one)]
    return " ".join(shlex.quote(w) for w in [*words, f"--record-mode={mode}", nodeid])


def _needs(target: Target) -> str:
    """What the record command needs besides itself."""
    if target.local:
        return ""  # the suite starts the reference server
    return f" (it sends to {target.base_urls['openai']}: set ${target.key_env})"


def missing_recording(nodeid: str, vcr_message: str, command: str, target: Target) -> str:
    """The replay failure: vcrpy's account of the request and the cassette, then how to record it here."""
    # vcrpy's own "How to fix" names its defaults (record mode "once"); this suite replays with "none".
    account = vcr_message.split("\nHow to fix:")[0].rstrip()
    return (f"no recording for this request in the cassette of {nodeid}; this suite replays with record mode "
            f"'none' and never records unless asked.\nRecord it with{_needs(target)}:\n  {command}\n\n{account}")


def unreadable_cassette(path: str, cause: str, command: str, target: Target) -> str:
    """A cassette that cannot be read: which file, why, and the two ways out, in one line."""
    return (f"{path}: not a readable cassette ({cause}): delete it and record it again{_needs(target)}: "
            f"rm {shlex.quote(path)} && {command}; or restore the committed one: git checkout -- {shlex.quote(path)}")
