"""Mutation score: each fault of :mod:`conformance.server.faults` is caught by the check named for it.

For one fault, a reference server that injects it starts on a free port of 127.0.0.1, speaking the
fault's dialect, a fixed slice of the suite's case runs (:data:`SLICE`, or the dialect's in
:data:`SLICES`) goes to it live, as the case runner sends them, and every applicable check judges
every exchange; the fault is caught when its named check fails with a location. A correct server
of each dialect must pass its slice with no failure at all.

``python3 -m conformance.mutation`` (or ``mimo-conformance mutation-score``) writes the table to
docs/mutation-score.md; ``--list`` prints the catalogue.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from . import cases, checks, deviations, dialects, expect, verdict
from .checks import Finding
from .targets import get as get_target, load_targets
from .exchange import Exchange
from .server import serve_in_thread
from .server.faults import Fault, catalogue, get
from .transport import RetryPolicy, Timeouts, Transport

__all__ = [
    "MODEL", "SLICE", "SLICES", "OTHER_MODELS", "TIMEOUTS", "UNREACHED", "CLEAN_FIRING", "NOT_SHOWN", "Catch", "profile_of",
    "slice_runs", "send", "findings", "problems", "hunt", "clean", "sweep", "baseline", "score", "table", "main",
]

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "mutation-score.md"
MODEL = "mimo-v2.5-pro"  # thinks by default, calls tools, answers json_object: every feature the faults break
KEY = "sk-mutation-local-only"  # the local servers' key; never leaves 127.0.0.1
# Cases sent to every faulty server, in this order, each in the modes its case declares (plain,
# stream, pair). The cheap, broad ones come first: a hunt stops at the first exchange that trips.
SLICE = (
    "openai.chat_completions.basic.user_only",
    "openai.chat_completions.thinking.disabled",
    "openai.chat_completions.tools.function_call",
    "openai.chat_completions.json_mode.json_object",
    "openai.chat_completions.limits.length_at_budget",
    "openai.chat_completions.limits.stop_string",
    "openai.chat_completions.basic.chinese",
    "openai.chat_completions.errors.temperature_above_max",
    "openai.chat_completions.errors.unknown_model",
    "openai.chat_completions.errors.retired_model",
    "openai.chat_completions.auth.missing_key",
    "anthropic.messages.basic.string_content",
    "anthropic.messages.thinking.disabled",
    "anthropic.messages.tools.tool_use",
    "anthropic.messages.limits.max_tokens_at_budget",
    "anthropic.messages.limits.stop_sequence",
    "anthropic.messages.errors.temperature_above_max",
    "anthropic.messages.errors.unknown_model",
    "anthropic.messages.errors.retired_model",
    "anthropic.messages.auth.missing_key",
    "openai.chat_completions.web_search.web_search_forced",
)
# Cases that need a model MODEL is not (speech, media input), with that model: sent after SLICE's.
OTHER_MODELS = (
    ("openai.chat_completions.speech.tts_builtin_voice", "mimo-v2.5-tts"),
    ("openai.chat_completions.speech.tts_stream_pcm16", "mimo-v2.5-tts"),
    ("openai.chat_completions.multimodal.image_base64_png", "mimo-v2.5"),
)
# The other dialects' slices, for the faults of their checks: (case selectors, the model they run with).
SLICES = {
    dialects.DEFAULT: (SLICE, MODEL),
    "empiriolabs": ((
        "responses.responses.basic.text_input",
        "responses.responses.basic.message_input",
        "responses.responses.basic.incomplete_at_budget",
        "responses.responses.basic.temperature_above_max",
        "responses.responses.basic.unknown_model",
        "responses.responses.basic.missing_key",
    ), "mimo-v2-5"),
    "aggregator": ((
        "openai.chat_completions.aggregator.user_only",
        "openai.chat_completions.aggregator.provider_error_wrapped",
    ), "xiaomi/mimo-v2.5-pro"),
}
# Short limits: a stalled stream must become a finding in seconds, not after the suite's 60 s.
TIMEOUTS = Timeouts(connect=2.0, first_byte=2.0, idle=2.0)
NO_RETRY = RetryPolicy(attempts=1)  # a fault shows on the first try; a retried 500 would only cost time
# Over the committed recordings of each server (cassettes/<server>/), the checks that fire on the
# clean, unedited exchanges, and why: a fault's edit is caught only where its check was silent before,
# and tests/test_fault_edits.py fails when this list grows (or shrinks) without a line here.
CLEAN_FIRING = {
    "reference": {
        "anthropic.error.anthropic_shape": "errors come in the OpenAI envelope, as the live API sends them",
        "anthropic.ids.tool_use_prefix": "tool_use ids are call_…, as the live API's are",
        "anthropic.thinking.signature_present": "thinking blocks close with an empty signature, as the live API's do",
        "openai.error.valid_request_accepted": "the web search plugin-off case is refused 400 on purpose (info: the console is unseen)",
        "anthropic.error.not_server_error": "the 500 and 503 scenarios answer so on purpose (the error table's rows)",
        "openai.error.not_server_error": "the 500 and 503 scenarios answer so on purpose (the error table's rows)",
        "anthropic.schema.error": "the Token Plan's 402 quota burst is no error envelope, as observed",
        "openai.schema.error": "the Token Plan's 402 quota burst is no error envelope, and a wrong path answers HTML, as observed",
        "anthropic.schema.only_declared_fields": "the Token Plan's 402 quota burst carries keys no error schema declares",
        "openai.schema.only_declared_fields": "the Token Plan's 402 quota burst carries keys no error schema declares",
    },
    "llama-server": {
        "anthropic.error.anthropic_shape": "llama-server answers errors in the OpenAI envelope",
        "anthropic.error.invalid_request_rejected": "llama-server accepts what MiMo's docs refuse (an image/tiff source, ...)",
        "anthropic.error.not_server_error": "llama-server answers 500 to some malformed requests",
        "anthropic.finish.max_tokens_at_budget": "llama-server stops at its 4096-token context and says max_tokens",
        "anthropic.ids.message_prefix": "llama-server's message ids are chatcmpl-…",
        "anthropic.models.served_after_retirement": "llama-server answers mimo-v2-flash, retired on 2026-06-30",
        "anthropic.models.unknown": "llama-server answers any model id, even one nobody documents",
        "anthropic.usage.within_limit": "llama-server answers max_tokens 0 with one token",
        "openai.error.invalid_request_rejected": "llama-server accepts what MiMo's docs refuse (a tool name with a space, ...)",
        "openai.error.not_server_error": "llama-server answers 500 to some malformed requests",
        "openai.finish.length_at_budget": "llama-server stops at its 4096-token context and says length",
        "openai.models.served_after_retirement": "llama-server answers mimo-v2-flash, retired on 2026-06-30",
        "openai.models.unknown": "llama-server answers any model id, even one nobody documents",
        "openai.schema.only_declared_fields": "llama-server adds fields of its own (system_fingerprint, timings)",
        "openai.stream.constant_identity": "llama-server stamps each chunk with the current second",
        "openai.stream.role_first": "some llama-server streams open with a content delta that has no role",
        "openai.stream.usage_reported": "llama-server sends no usage chunk unless stream_options asks for one",
        "openai.usage.within_limit": "llama-server answers max_completion_tokens 0 with one token",
        "anthropic.error.code_of_status": "llama-server's error codes are integers, Xiaomi's strings",
        "openai.error.code_of_status": "llama-server's error codes are integers, Xiaomi's strings",
        "openai.response.model_named": "llama-server names its own model alias whatever id the request names",
    },
}
# Faults whose edit no recording of a server shows as a caught defect, and why.
NOT_SHOWN = {
    "reference": {},
    "llama-server": {
        **{name: "Gemma 3 270M never made a tool call in the recordings, so there is no call to break" for name in (
            "anthropic.input_json_cut", "anthropic.tool_use_end_turn", "openai.tool_arguments_cut",
            "openai.tool_call_id_bare", "openai.tool_call_id_changes", "openai.tool_call_id_repeated",
            "openai.tool_call_name_changes", "openai.tool_calls_finish_stop")},
        **{name: "Gemma 3 270M does not reason, so there are no reasoning tokens to miscount" for name in (
            "openai.reasoning_outside_completion", "openai.total_counts_reasoning_twice")},
        "anthropic.block_indexes_skip": "every recorded llama-server message has one block, index 0 doubled is 0",
        "anthropic.message_id_bare": "llama-server's message ids carry no msg_ prefix to remove (the check fires already)",
        "openai.cost_field_added": "llama-server adds fields of its own already, so the check fires before the edit",
        "openai.error_sse_framed": "llama-server answers no stream request with a 400",
        **{name: "Gemma 3 270M is a text model: no recording holds audio to corrupt or shorten" for name in (
            "openai.audio_corrupted", "openai.audio_chunk_cut", "openai.audio_too_short")},
        "openai.media_tokens_missing": "Gemma 3 270M takes text only: no recorded request sends media to count",
        **{name: "Gemma 3 270M has no web search: no recording uses the web search tool" for name in (
            "openai.pages_over_limit", "openai.forced_search_skipped", "openai.sources_late")},
        "openai.tool_call_indexes_from_one": "Gemma 3 270M never made a tool call in the recordings, so there is no call to renumber",
        **{name: "llama-server's error codes are integers already, so the check fires before the edit" for name in (
            "anthropic.error_code_numeric", "openai.error_code_numeric")},
        "openai.reasoning_renamed": "Gemma 3 270M does not reason, so there is no reasoning_content to rename",
        **{name: "an aggregator's fault: llama-server answers in no aggregator's shape" for name in (
            "openai.native_finish_reason_dropped", "openai.provider_raw_as_text", "openai.reasoning_as_xiaomi")},
        **{name: "llama-server serves no Responses endpoint, so there is no recording to edit" for name in (
            "responses.cost_field_added", "responses.delta_type_renamed", "responses.done_text_short",
            "responses.error_as_422", "responses.error_as_500", "responses.error_as_html", "responses.error_code_generic",
            "responses.incomplete_unexplained", "responses.instructions_refused", "responses.object_chat_completion",
            "responses.sequence_numbers_repeat", "responses.stream_as_text_plain", "responses.terminal_missing",
            "responses.total_without_output")},
    },
}
# Checks no fault reaches, and why: each is a claim the mutation test cannot back yet.
# The first three fail on the correct reference already, because it copies the live API
# (docs/observed.md § Anthropic protocol): a fault cannot make them fail more.
UNREACHED = {
    "anthropic.error.anthropic_shape": "the reference answers errors in the OpenAI envelope, as the live API does",
    "anthropic.ids.tool_use_prefix": "the reference's tool_use ids are call_…, as the live API's are",
    "anthropic.thinking.signature_present": "the reference closes thinking blocks with an empty signature, as the live API does",
    "anthropic.response.utf8": (
        "no Anthropic case sends non-ASCII text, and an ASCII body reads the same in every ASCII-compatible "
        "encoding; a Chinese case under cases/anthropic/messages/ would let a GBK fault show"),
}


@dataclass(frozen=True)
class Catch:
    """What the slice made of one fault: the named check's finding (None: missed), the others, where and when."""

    fault: Fault
    finding: Finding | None
    others: tuple[str, ...]  # the other checks that failed on the exchange that caught it
    run: str  # the id of the case run that caught it
    seconds: float  # from starting the server to the catch

    @property
    def caught(self) -> bool:
        """The named check failed and said where."""
        return self.finding is not None and bool(self.finding.location)


def slice_runs(selectors: Sequence[str] = SLICE, model: str = MODEL, dialect: str = dialects.DEFAULT) -> list[cases.Run]:
    """The runs of the selected cases with ``model`` in ``dialect``, in the order of ``selectors``; for the whole SLICE, OTHER_MODELS' too."""
    found = cases.runs([model], dialect=dialect)
    chosen = [r for selector in selectors for r in found if r.id.startswith(selector + "-")]
    others = OTHER_MODELS if selectors is SLICE else ()
    return chosen + [r for selector, other in others for r in cases.runs([other], dialect=dialect)
                     if r.id.startswith(selector + "-")]


def dialect_runs(dialect: str) -> list[cases.Run]:
    """The slice of ``dialect``'s faults (:data:`SLICES`)."""
    selectors, model = SLICES[dialect]
    return slice_runs(selectors, model, dialect)


def profile_of(dialect: str) -> str:
    """The reference profile of ``dialect``: its known deviations and failing severities judge its slice."""
    return next(n for n, t in load_targets().items() if t.server == "reference" and t.local and t.dialect == dialect)


def send(transport: Transport, run: cases.Run, body: object = None) -> Exchange:
    """Send a run as the case runner does: its raw bytes or JSON body, its auth style, credential, scenario and path."""
    return transport.send(run.protocol, body or run.raw_body or run.request,
                          auth=run.case.get("auth"), credential=run.case.get("credential", "valid"),
                          scenario=run.scenario, path=run.case.get("path"))


def findings(transport: Transport, run: cases.Run) -> list[Finding]:
    """Every finding on a run: its exchange's checks, or for a pair run the stream-vs-plain checks."""
    if run.stream is not None:
        return checks.run(send(transport, run))
    plain = send(transport, run, {**run.request, "stream": False})
    return checks.run_pair(send(transport, run, {**run.request, "stream": True}), plain)


def problems(transport: Transport, run: cases.Run, profile: str = "reference") -> list[str]:
    """What fails a run in the case runner, as conformance.verdict judges it for the reference target of its dialect."""
    table, fails = deviations.for_target(profile), get_target(profile).severity_fails
    if run.stream is None:
        plain = send(transport, run, {**run.request, "stream": False})
        streamed = send(transport, run, {**run.request, "stream": True})
        judged = [verdict.of(ex, table=table, fails=fails) for ex in (plain, streamed)]
        judged.append(verdict.of(streamed, plain, table=table, fails=fails))
    else:
        exchange = send(transport, run)
        judged = [verdict.of(exchange, table=table, fails=fails, extra=expect.findings(exchange, run.case["expect"], run.rule),
                             extra_ran=expect.ids(exchange, run.case["expect"]))]
    return [str(j.finding) for v in judged for j in v.failing]


@contextlib.contextmanager
def _serving(faults: Sequence[str], dialect: str = dialects.DEFAULT) -> Iterator[Transport]:
    """A transport to a reference server of ``dialect`` injecting ``faults``, both closed on exit."""
    server = serve_in_thread(key=KEY, faults=faults, dialect=dialect)
    transport = Transport(server.base_urls, KEY, timeouts=TIMEOUTS, retry=NO_RETRY, dialect=dialect, scenarios=True,
                          auth=dialects.get(dialect).auth_headers[0])
    try:
        yield transport
    finally:
        transport.close()
        server.stop(timeout=0)  # uvicorn takes ~0.2 s to wind down: let its daemon thread do it unwatched


def hunt(name: str, runs: Sequence[cases.Run] | None = None) -> Catch:
    """Serve with fault ``name``; send the slice's runs on its protocol until its named check fails."""
    fault, start = get(name), time.perf_counter()
    if fault.dialect != dialects.DEFAULT:
        runs = dialect_runs(fault.dialect)  # another dialect's fault: its own slice, on its own server
    with _serving((name,), fault.dialect) as transport:
        for run in (r for r in runs or slice_runs() if r.protocol == fault.protocol):
            found = findings(transport, run)
            named = [f for f in found if f.check == fault.check]
            if named:
                others = tuple(sorted({f.check for f in found} - {fault.check}))
                return Catch(fault, named[0], others, run.id, time.perf_counter() - start)
    return Catch(fault, None, (), "", time.perf_counter() - start)


def clean(runs: Sequence[cases.Run] | None = None, dialect: str = dialects.DEFAULT) -> list[str]:
    """Every failure of the whole slice against a correct server of ``dialect``, each prefixed with its run id."""
    profile = profile_of(dialect)
    with _serving((), dialect) as transport:
        return [f"{run.id}: {p}" for run in runs or dialect_runs(dialect) for p in problems(transport, run, profile)]


def sweep(faults: Sequence[str], runs: Sequence[cases.Run] | None = None, dialect: str = dialects.DEFAULT) -> frozenset[str]:
    """Every check that fails, at any severity, over the whole slice against a server injecting ``faults``."""
    with _serving(faults, dialect) as transport:
        return frozenset(f.check for run in runs or dialect_runs(dialect) for f in findings(transport, run))


def baseline(runs: Sequence[cases.Run] | None = None, dialect: str = dialects.DEFAULT) -> frozenset[str]:
    """The checks that fail on a correct server over the slice: what the reference shares with the live API."""
    return sweep((), runs, dialect)


def score(names: Sequence[str] | None = None) -> list[Catch]:
    """The outcome of every named fault (default: the whole catalogue), one server each, in turn."""
    runs = slice_runs()
    return [hunt(name, runs) for name in names or [f.name for f in catalogue()]]


def _row(o: Catch, usual: frozenset[str]) -> str:
    """One table row: fault, defect, rule broken, caught by (where, on which run), also failed."""
    # No time: the file is tracked, and a run's timings would rewrite it every time.
    where = f"`{o.finding.location}` on `{o.run}`" if o.caught else "**missed**"
    others = ", ".join(f"`{c}`" for c in o.others if c not in usual) or "none"
    return (f"| `{o.fault.name}` | {o.fault.description} | `{o.fault.check}` | {'yes' if o.caught else 'NO'}: "
            f"{where} | {others} |")


def _summary(outcomes: Sequence[Catch], failures: Sequence[str], usual: frozenset[str], runs: int) -> list[str]:
    """The lines above the table: what was run, the score, the correct server's result."""
    caught = sum(o.caught for o in outcomes)
    shared = ", ".join(f"`{c}`" for c in sorted(usual)) or "none"
    return [
        "# Mutation score", "",
        "Generated by `python3 -m conformance.mutation` (also `mimo-conformance mutation-score`); do not edit.",
        "Each fault of `conformance/server/faults.py` is injected into its own reference server on 127.0.0.1,",
        f"which gets the slice of {runs} case runs in `conformance.mutation.SLICE` (the same requests the case",
        "runner sends, live, no cassettes) until the check named for the fault fails. `tests/test_mutation.py`",
        "asserts the same, one test per fault.", "",
        f"- **score: {caught}/{len(outcomes)} faults caught by their named check ({100 * caught / max(1, len(outcomes)):.0f}%)**",
        f"- correct server: {len(failures)} failures over the same {runs} runs"
        + "".join(f"\n  - {f}" for f in failures),
        f"- checks that fail on the correct server too, as on the live API, left out of \"also failed\": {shared}",
        f"- a stalled stream is caught by the idle timeout, {TIMEOUTS.idle:g} s; the command prints its wall time",
    ]


def table(outcomes: Sequence[Catch], failures: Sequence[str], usual: frozenset[str], runs: int) -> str:
    """docs/mutation-score.md: the score, the correct server's result, one row per fault, what no fault reaches.

    The same outcomes give the same bytes, however long they took.
    """
    lines = [
        *_summary(outcomes, failures, usual, runs), "",
        "| fault | defect | rule broken | caught by | also failed |",
        "| --- | --- | --- | --- | --- |",
        *(_row(o, usual) for o in outcomes), "",
        "## Checks no fault reaches", "",
        *(f"- `{check}`: {why}." for check, why in UNREACHED.items()),
    ]
    return "\n".join(lines) + "\n"


def _quiet_cuts() -> None:
    """Keep uvicorn from logging the dropped connections the cut faults make on purpose."""
    logging.getLogger("uvicorn.error").addFilter(lambda r: "without completing response" not in r.getMessage())


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python3 -m conformance.mutation", description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="print the fault catalogue and exit")
    parser.add_argument("--fault", action="append", default=None, metavar="NAME", help="score only this fault (repeatable)")
    parser.add_argument("--output", default=str(OUTPUT), help=f"where the table goes (default {OUTPUT.relative_to(ROOT)})")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """List the catalogue, or score it and write the table; exit 1 when a fault is missed or the clean run fails."""
    args = _arguments(argv)
    if args.list:
        for f in catalogue():
            print(f"{f.name:42} {f.check:45} {f.description}")
        return 0
    _quiet_cuts()
    start = time.perf_counter()
    runs = slice_runs()
    failures = clean(runs) + [f for d in SLICES if d != dialects.DEFAULT for f in clean(dialect=d)]
    usual, outcomes = baseline(runs), score(args.fault)
    text = table(outcomes, failures, usual, len(runs))
    Path(args.output).write_text(text, encoding="utf-8")
    print(f"{sum(o.caught for o in outcomes)}/{len(outcomes)} faults caught; {len(failures)} clean failures; "
          f"wrote {args.output} in {time.perf_counter() - start:.1f} s")
    return 0 if all(o.caught for o in outcomes) and not failures else 1


if __name__ == "__main__":
    raise SystemExit(main())
