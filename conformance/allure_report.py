"""Allure results for conformance tests: each test's exchanges, findings and labels, when ``--alluredir`` is given.

allure-pytest (loaded by name in pyproject's addopts) writes one result per test, from every xdist
worker alike. After a test's call phase this plugin adds what its judges saw
(:func:`conformance.known.verdicts_of`): each exchange's request (method, URL, the allow-listed
headers, body) and response (the body, or the SSE transcript of a stream) as attachments; each
verdict's findings (check id, severity, basis, location, message, the known deviation covering it);
labels for protocol, endpoint, feature, target and model (also as Allure's epic, feature and story,
as tags and as parameters); and, for each known deviation, a tag and its reason. The test's Allure
severity is its worst failing finding's (contract: critical, compat: normal, info: minor). No key
reaches an attachment: requests keep only the transport's allow-listed headers, and anything in a
body that still looks like a key is masked. Without ``--alluredir`` nothing happens.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, Iterator

import pytest

from .exchange import Exchange
from .verdict import Verdict

# Loaded with -p before conftest.py registers conformance.plugin, .known and .results: importing any
# of those here would keep pytest from rewriting their asserts (a warning, so an error), so they are
# imported inside the hooks.

__all__ = ["SEVERITY", "KEY_PATTERN", "enabled", "mask", "exchange_attachments", "finding_rows", "labels"]

SEVERITY = {"contract": "critical", "compat": "normal", "info": "minor"}  # our severities on Allure's scale
KEY_PATTERN = re.compile(r"\b(?:sk|tp)-[A-Za-z0-9._-]{6,}")  # MiMo keys are sk-… (pay-as-you-go) and tp-… (Token Plan)
MASK = "[key masked]"


def enabled(config: pytest.Config) -> bool:
    """allure-pytest is loaded and writing results (``--alluredir``)."""
    return bool(getattr(config.option, "allure_report_dir", None))


def mask(text: str, keys: tuple[str, ...] = ()) -> str:
    """``text`` with every known key and anything shaped like a key replaced."""
    for key in keys:
        text = text.replace(key, MASK)
    return KEY_PATTERN.sub(MASK, text)


def exchange_attachments(n: int, exchange: Exchange) -> Iterator[tuple[str, str, str]]:
    """(name, text, kind) of the request and the response of exchange ``n``; kind is ``json`` or ``text``."""
    request = exchange.request
    body = request.body.decode("utf-8", "replace") if isinstance(request.body, bytes) else request.body
    sent = {"method": request.method, "url": request.url, "headers": request.headers, "body": body}
    yield f"exchange {n}: request ({exchange.protocol} {exchange.endpoint})", _json(sent), "json"
    mode = "SSE transcript" if exchange.transcript is not None else "body"
    text, kind = _response_text(exchange)
    yield f"exchange {n}: response {exchange.status} ({mode})", text, kind


def _response_text(exchange: Exchange) -> tuple[str, str]:
    if exchange.transcript is None:
        try:
            return _json(json.loads(exchange.text)), "json"
        except ValueError:
            pass
    suffix = f"\n\n[transport error: {exchange.error}]" if exchange.error else ""
    return exchange.text + suffix, "text"


def _json(doc: Any) -> str:
    return json.dumps(doc, indent=1, ensure_ascii=False)


def finding_rows(v: Verdict) -> list[dict[str, Any]]:
    """Each finding of a verdict: check, severity, basis, location, message, and the known deviation covering it."""
    return [{"check": j.finding.check, "severity": j.finding.severity, "basis": j.finding.basis,
             "location": j.finding.location, "message": j.finding.message, "source": j.finding.source,
             "known": None if j.deviation is None else {"label": j.deviation.label, "reason": j.deviation.reason}}
            for j in v.judged]


def labels(target: str, v: Verdict) -> Iterator[tuple[str, str]]:
    """(label, value) of one verdict: protocol, endpoint, feature, target, model."""
    from .results import feature_of

    first = v.exchanges[0]
    model = first.model or first.request.json.get("model")
    yield "protocol", first.protocol
    yield "endpoint", first.endpoint
    yield "feature", feature_of(v.test, v.source)
    yield "target", target
    if isinstance(model, str):
        yield "model", model


def _judged(item: pytest.Item) -> list[tuple[str, Verdict]]:
    """(target, verdict) for every verdict the test's judges reached."""
    from .known import JUDGES

    return [(target, v) for target, judge in item.stash.get(JUDGES, {}).items() for v in judge.verdicts]


def _attach_all(item: pytest.Item) -> None:
    import allure

    judged = _judged(item)
    if not judged:
        return
    keys = _keys(item)
    _attach_exchanges(allure, [v for _, v in judged], keys)
    for i, (_, v) in enumerate(judged, 1):
        if v.judged:
            allure.attach(mask(_json(finding_rows(v)), keys), name=f"findings of verdict {i} ({v.verdict})",
                          attachment_type=allure.attachment_type.JSON)
    _label_all(allure, judged)
    _mark_known(allure, [v for _, v in judged], keys)


def _attach_exchanges(allure: Any, verdicts: list[Verdict], keys: tuple[str, ...]) -> None:
    unique = list({id(ex): ex for v in verdicts for ex in v.exchanges}.values())  # a pair reuses its two exchanges
    for n, exchange in enumerate(unique, 1):
        for name, text, kind in exchange_attachments(n, exchange):
            kind_type = allure.attachment_type.JSON if kind == "json" else allure.attachment_type.TEXT
            allure.attach(mask(text, keys), name=name, attachment_type=kind_type)


def _label_all(allure: Any, judged: list[tuple[str, Verdict]]) -> None:
    found: dict[str, list[str]] = {}
    for target, v in judged:
        for name, value in labels(target, v):
            found.setdefault(name, [])
            if value not in found[name]:
                found[name].append(value)
    for name, values in found.items():
        if name != "feature":  # Allure's own feature label, set below
            allure.dynamic.label(name, *values)
        allure.dynamic.tag(*(f"{name}:{v}" for v in values))
        if name in ("target", "model"):
            allure.dynamic.parameter(name, ", ".join(values))
    allure.dynamic.epic(*found.get("protocol", ()))
    allure.dynamic.feature(*found.get("feature", ()))
    allure.dynamic.story(*found.get("endpoint", ()))
    worst = _worst(v for _, v in judged)
    if worst:
        allure.dynamic.severity(SEVERITY[worst])


def _worst(verdicts: Iterator[Verdict]) -> str | None:
    """The strongest severity among failing findings, else among known ones; None when there is neither."""
    verdicts = list(verdicts)
    for pick in (lambda v: v.failing, lambda v: v.known):
        found = {j.finding.severity for v in verdicts for j in pick(v)}
        for severity in SEVERITY:
            if severity in found:
                return severity
    return None


def _mark_known(allure: Any, verdicts: list[Verdict], keys: tuple[str, ...]) -> None:
    entries = {j.deviation: j.finding for v in verdicts for j in v.known}
    if not entries:
        return
    allure.dynamic.tag("known deviation")
    allure.dynamic.label("known_deviation", *sorted({d.label for d in entries}))
    text = "\n".join(f"{d.label} [{d.check}]: {d.reason}\n  evidence: {d.evidence}\n  finding: {f}"
                     for d, f in entries.items())
    allure.attach(mask(text, keys), name="known deviations", attachment_type=allure.attachment_type.TEXT)


def _keys(item: pytest.Item) -> tuple[str, ...]:
    """The target's key, if the environment has one: masked wherever it appears."""
    from .plugin import TARGET_KEY

    target = item.config.stash.get(TARGET_KEY, None)
    key = os.environ.get(target.key_env) if target is not None else None
    return (key,) if key else ()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    report = yield
    if call.when == "call" and enabled(item.config):
        _attach_all(item)
    return report
