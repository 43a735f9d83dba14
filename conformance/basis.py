"""Where a rule comes from, and how much a finding against it may weigh.

Every rule the suite holds a server to (a schema keyword, a per-model rule of the contract, a check,
a case's expectation) has a *basis*: ``documented`` (a section of the API documents,
docs/sources.md), ``observed`` (how the live API was seen to behave, docs/observed.md) or
``reference`` (a choice this project made where the documents are silent). The basis caps the
severity of a finding: only a documented rule can give a ``contract`` finding, an observed-only
rule gives ``compat`` at most, a reference choice ``info``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["BASES", "SEVERITIES", "CAP", "Rule", "cap", "weaker", "weakest", "of_node", "UNKNOWN"]

BASES = ("documented", "observed", "reference")  # strongest first
SEVERITIES = ("contract", "compat", "info")  # strongest first: contract breaks the documented MiMo contract
CAP = dict(zip(BASES, SEVERITIES))  # the strongest severity a rule of each basis may give


@dataclass(frozen=True)
class Rule:
    """A rule's basis and the citation(s) it rests on (docs/sources.md or docs/observed.md sections)."""

    basis: str
    source: str = ""

    def __post_init__(self) -> None:
        if self.basis not in BASES:
            raise ValueError(f"basis {self.basis!r} is not one of {', '.join(BASES)}")

    @property
    def severity(self) -> str:
        """The strongest severity a finding against this rule may have."""
        return CAP[self.basis]


UNKNOWN = Rule("reference", "")  # a rule nobody annotated: it may only inform


def cap(severity: str, rule: Rule) -> str:
    """``severity``, lowered to what ``rule``'s basis allows."""
    return severity if SEVERITIES.index(severity) >= SEVERITIES.index(rule.severity) else rule.severity


def weaker(a: Rule, b: Rule) -> Rule:
    """The rule with the weaker basis (``a`` on a tie)."""
    return b if BASES.index(b.basis) > BASES.index(a.basis) else a


def weakest(rules: list[Rule], default: Rule) -> Rule:
    """The weakest of ``rules``, or ``default`` when there is none."""
    found = default if not rules else rules[0]
    for rule in rules[1:]:
        found = weaker(found, rule)
    return found


def of_node(node: Any, keyword: str | None = None) -> Rule | None:
    """The rule a schema node states for ``keyword``: its ``x-basis``, else documented when it cites the docs.

    ``x-basis`` is a basis, or an object from keyword to basis with ``"*"`` for the rest. Without
    it, an ``x-source`` means documented. ``x-observed`` or ``x-note`` alone qualify the rule of an
    enclosing node (a widening seen on the wire, an ambiguity resolved) and state none of their
    own: None, so the caller looks further out.
    """
    if not isinstance(node, dict):
        return None
    stated = node.get("x-basis")
    if isinstance(stated, dict):
        stated = stated.get(keyword, stated.get("*")) if keyword is not None else stated.get("*")
    basis = stated or ("documented" if "x-source" in node else None)
    if basis is None:
        return None
    cited = {"documented": node.get("x-source"), "observed": node.get("x-observed"), "reference": node.get("x-note")}
    return Rule(basis, cited[basis] or node.get("x-source") or node.get("x-observed") or node.get("x-note") or "")
