"""The check registry: named pure functions over exchanges, and the findings they produce."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Union

from ..basis import SEVERITIES, Rule, cap
from ..dialects import weigh
from ..exchange import Exchange
from ..failures import SuiteError

__all__ = [
    "SEVERITIES", "Finding", "Check", "CheckCrashed", "CheckFailed", "REGISTRY",
    "check", "pair_check", "get", "all_checks", "applicable", "run", "run_pair", "assert_conforms",
    "parse_severities",
]


def parse_severities(text: str) -> tuple[str, ...]:
    """``"contract,compat"`` as a tuple of severities; a ValueError names the known ones."""
    chosen = tuple(dict.fromkeys(s.strip() for s in text.split(",") if s.strip()))
    unknown = [s for s in chosen if s not in SEVERITIES]
    if unknown or not chosen:
        raise ValueError(f"expected a comma-separated list of {', '.join(SEVERITIES)}, got {text!r}")
    return chosen


# What a check yields: (location, message), or (location, message, Rule) when this finding rests on
# another rule than the check's own (the request rule a refusal broke, the schema keyword that failed).
Located = Union[tuple[str, str], tuple[str, str, Rule]]


@dataclass(frozen=True)
class Finding:
    """One broken rule: the check's id, where it broke, what is wrong, how much it matters, and why."""

    check: str
    location: str
    message: str
    severity: str = "contract"
    basis: str = "documented"
    source: str = ""

    def __str__(self) -> str:
        return f"[{self.check}] {self.location or '/'}: {self.message}"


class CheckCrashed(SuiteError):
    """A check raised on an exchange: a bug of the suite (or an exchange it cannot read), never a finding."""

    def __init__(self, check_id: str, exc: BaseException, where: str = "") -> None:
        self.check_id, self.exc, self.where = check_id, exc, where
        super().__init__(f"suite error: check {check_id} crashed{' on ' + where if where else ''}: "
                         f"{type(exc).__name__}: {exc}")


@dataclass(frozen=True)
class Check:
    """A registered check: its id, the function, where it applies, its severity and the rule it holds."""

    id: str
    func: Callable[..., Iterable[Located]]
    applies: Callable[..., bool]
    severity: str
    arity: int  # 1: one exchange; 2: a (streamed, non-streamed) pair
    rule: Rule

    @property
    def doc(self) -> str:
        """The first line of the function's docstring: the rule, stated in the present tense."""
        return (self.func.__doc__ or "").strip().splitlines()[0] if self.func.__doc__ else ""

    @property
    def basis(self) -> str:
        """Where the check's rule comes from: documented, observed or reference."""
        return self.rule.basis

    def findings(self, *exchanges: Exchange) -> list[Finding]:
        """Run the check; a crash inside it raises CheckCrashed, never a silent pass nor a finding.

        Each finding's rule is weighed for the exchange's dialect: a rule of another system's
        documents or observations is only our reading there (conformance.dialects.weigh).
        """
        dialect = exchanges[0].dialect if exchanges else None
        try:
            return [self._finding(dialect, *located) for located in self.func(*exchanges)]
        except Exception as exc:  # noqa: BLE001 - re-raised as the suite's own error, naming the check
            raise CheckCrashed(self.id, exc, _where(exchanges)) from exc

    def _finding(self, dialect: str | None, location: str, message: str, rule: Rule | None = None) -> Finding:
        rule = weigh(rule or self.rule, dialect)
        return Finding(self.id, location, message, cap(self.severity, rule), rule.basis, rule.source)


def _where(exchanges: tuple[Exchange, ...]) -> str:
    return " + ".join(f"{ex.request.method} {ex.request.url} ({ex.status})" for ex in exchanges)


class CheckFailed(AssertionError):
    """Raised by :func:`assert_conforms`; its message lists every finding, one a line."""

    def __init__(self, findings: list[Finding]):
        self.findings = findings
        super().__init__("\n".join(str(f) for f in findings))


REGISTRY: dict[str, Check] = {}


def _always(*_: Exchange) -> bool:
    return True


def _register(check_id: str, arity: int, applies: Callable[..., bool], basis: str, source: str, severity: str | None):
    rule = Rule(basis, source)  # raises on an unknown basis
    chosen = severity or rule.severity
    if chosen not in SEVERITIES or SEVERITIES.index(chosen) < SEVERITIES.index(rule.severity):
        raise ValueError(f"check {check_id}: severity {chosen!r} is not one of {SEVERITIES} "
                         f"at or below {rule.severity!r}, the most a {basis} rule may give")

    def decorate(func: Callable[..., Iterable[Located]]) -> Callable[..., Iterable[Located]]:
        if check_id in REGISTRY:
            raise ValueError(f"check id {check_id!r} is registered twice")
        REGISTRY[check_id] = Check(check_id, func, applies, chosen, arity, rule)
        return func

    return decorate


def check(check_id: str, *, basis: str, source: str, applies: Callable[[Exchange], bool] = _always,
          severity: str | None = None):
    """Register ``func(exchange) -> iterable of (location, message[, rule])`` under ``check_id``.

    ``basis`` and ``source`` say where the rule comes from; the severity defaults to the most the
    basis allows (documented: contract, observed: compat, reference: info) and may only be lower.
    """
    return _register(check_id, 1, applies, basis, source, severity)


def pair_check(check_id: str, *, basis: str, source: str, applies: Callable[[Exchange, Exchange], bool] = _always,
               severity: str | None = None):
    """Register ``func(streamed, plain) -> iterable of (location, message[, rule])`` under ``check_id``."""
    return _register(check_id, 2, applies, basis, source, severity)


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
    found = []
    for _, c in sorted(REGISTRY.items()):
        try:
            if c.arity == len(exchanges) and c.applies(*exchanges):
                found.append(c)
        except Exception as exc:  # noqa: BLE001 - a crashing predicate is the suite's error too
            raise CheckCrashed(c.id, exc, _where(exchanges)) from exc
    return found


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
