"""The check registry: named pure functions over exchanges, and the findings they produce."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

from ..exchange import Exchange

__all__ = [
    "SEVERITIES", "Finding", "Check", "CheckFailed", "REGISTRY",
    "check", "pair_check", "get", "all_checks", "applicable", "run", "run_pair", "assert_conforms",
    "parse_severities",
]

SEVERITIES = ("contract", "compat", "info")  # contract: breaks the documented MiMo contract


def parse_severities(text: str) -> tuple[str, ...]:
    """``"contract,compat"`` as a tuple of severities; a ValueError names the known ones."""
    chosen = tuple(dict.fromkeys(s.strip() for s in text.split(",") if s.strip()))
    unknown = [s for s in chosen if s not in SEVERITIES]
    if unknown or not chosen:
        raise ValueError(f"expected a comma-separated list of {', '.join(SEVERITIES)}, got {text!r}")
    return chosen


Violation = tuple[str, str]  # (location: "event 3 /choices/0/delta" or a JSON pointer, message)


@dataclass(frozen=True)
class Finding:
    """One broken rule: the check's id, where it broke, what is wrong, and how much it matters."""

    check: str
    location: str
    message: str
    severity: str = "contract"

    def __str__(self) -> str:
        return f"[{self.check}] {self.location or '/'}: {self.message}"


@dataclass(frozen=True)
class Check:
    """A registered check: its id, the function, where it applies, and its severity."""

    id: str
    func: Callable[..., Iterable[Violation]]
    applies: Callable[..., bool]
    severity: str
    arity: int  # 1: one exchange; 2: a (streamed, non-streamed) pair

    @property
    def doc(self) -> str:
        """The first line of the function's docstring: the rule, stated in the present tense."""
        return (self.func.__doc__ or "").strip().splitlines()[0] if self.func.__doc__ else ""

    def findings(self, *exchanges: Exchange) -> list[Finding]:
        """Run the check; a crash inside it is itself a finding, never a silent pass."""
        try:
            return [Finding(self.id, loc, msg, self.severity) for loc, msg in self.func(*exchanges)]
        except Exception as exc:  # noqa: BLE001 - a check must not hide a malformed exchange
            return [Finding(self.id, "", f"check crashed on this exchange: {exc!r}", self.severity)]


class CheckFailed(AssertionError):
    """Raised by :func:`assert_conforms`; its message lists every finding, one a line."""

    def __init__(self, findings: list[Finding]):
        self.findings = findings
        super().__init__("\n".join(str(f) for f in findings))


REGISTRY: dict[str, Check] = {}


def _always(*_: Exchange) -> bool:
    return True


def _register(check_id: str, arity: int, applies: Callable[..., bool], severity: str):
    if severity not in SEVERITIES:
        raise ValueError(f"check {check_id}: severity {severity!r} is not one of {SEVERITIES}")

    def decorate(func: Callable[..., Iterable[Violation]]) -> Callable[..., Iterable[Violation]]:
        if check_id in REGISTRY:
            raise ValueError(f"check id {check_id!r} is registered twice")
        REGISTRY[check_id] = Check(check_id, func, applies, severity, arity)
        return func

    return decorate


def check(check_id: str, *, applies: Callable[[Exchange], bool] = _always, severity: str = "contract"):
    """Register ``func(exchange) -> iterable of (location, message)`` under ``check_id``."""
    return _register(check_id, 1, applies, severity)


def pair_check(check_id: str, *, applies: Callable[[Exchange, Exchange], bool] = _always, severity: str = "contract"):
    """Register ``func(streamed, plain) -> iterable of (location, message)`` under ``check_id``."""
    return _register(check_id, 2, applies, severity)


def get(check_id: str) -> Check:
    """The check registered as ``check_id``; a KeyError names the known ids when it is not."""
    _load_all()
    try:
        return REGISTRY[check_id]
    except KeyError:
        raise KeyError(f"no check {check_id!r}; known: {', '.join(sorted(REGISTRY))}") from None


def all_checks() -> list[Check]:
    """Every registered check, by id."""
    _load_all()
    return [c for _, c in sorted(REGISTRY.items())]


def applicable(*exchanges: Exchange) -> list[Check]:
    """The checks of matching arity whose ``applies`` accepts these exchanges, by id."""
    _load_all()
    return [c for _, c in sorted(REGISTRY.items()) if c.arity == len(exchanges) and c.applies(*exchanges)]


def run(exchange: Exchange, *, only: Iterable[str] | None = None) -> list[Finding]:
    """Every finding of every applicable single-exchange check (or only the named ones)."""
    chosen = _select(applicable(exchange), only)
    return [f for c in chosen for f in c.findings(exchange)]


def run_pair(streamed: Exchange, plain: Exchange, *, only: Iterable[str] | None = None) -> list[Finding]:
    """Every finding of every applicable pair check."""
    chosen = _select(applicable(streamed, plain), only)
    return [f for c in chosen for f in c.findings(streamed, plain)]


def _select(checks: list[Check], only: Iterable[str] | None) -> Iterator[Check]:
    wanted = None if only is None else set(only)
    return (c for c in checks if wanted is None or c.id in wanted)


def assert_conforms(exchange: Exchange, *, severities: Iterable[str] = ("contract",)) -> list[Finding]:
    """Raise CheckFailed if any finding of the given severities remains; return all findings."""
    findings = run(exchange)
    failing = [f for f in findings if f.severity in set(severities)]
    if failing:
        raise CheckFailed(failing)
    return findings


def _load_all() -> None:
    from . import _modules  # noqa: F401  - importing the check modules fills REGISTRY
