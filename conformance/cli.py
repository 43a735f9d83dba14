"""The ``mimo-conformance`` command: serve the reference server, check captured traffic, report a matrix, list the checks and cases, compare eval runs."""

from __future__ import annotations

import argparse
import os
import sys

__all__ = ["main"]


def _serve(args: argparse.Namespace, rest: list[str]) -> int:
    from .server import main as serve_main

    return serve_main(rest) or 0


def _check(args: argparse.Namespace, rest: list[str]) -> int:
    from .report import main as check_main

    return check_main(rest)


def _checks(args: argparse.Namespace, rest: list[str]) -> int:
    from . import checks

    found = checks.all_checks()
    for c in found:
        print(f"{c.id:48} {c.severity:9} {c.basis:11} {c.doc}")
    counts = {b: sum(c.basis == b for c in found) for b in ("documented", "observed", "reference")}
    print(f"{len(found)} checks: " + ", ".join(f"{n} {b}" for b, n in counts.items())
          + " (the basis caps the severity: documented contract, observed compat, reference info)")
    return 0


def _cases(args: argparse.Namespace, rest: list[str]) -> int:
    from . import cases

    for rel, doc in cases.load_files():
        for case in doc["cases"]:
            print(f"{rel.removesuffix('.json')}.{case['id']:40} {case['description']}")
    return 0


def _evals(args: argparse.Namespace, rest: list[str]) -> int:
    from .evals.gate import main as evals_main

    return evals_main(rest)


def _report(args: argparse.Namespace, rest: list[str]) -> int:
    from .matrix import main as report_main

    return report_main(rest)


def _coverage(args: argparse.Namespace, rest: list[str]) -> int:
    from .coverage import main as coverage_main

    return coverage_main(rest)


def _deviations(args: argparse.Namespace, rest: list[str]) -> int:
    if not rest or rest[0] != "lint":
        print("usage: mimo-conformance deviations lint [--target T] [--results PATH] [--json]", file=sys.stderr)
        return 2
    from .lint import main as lint_main

    return lint_main(rest[1:])


def _models(args: argparse.Namespace, rest: list[str]) -> int:
    if not rest or rest[0] != "diff":
        print("usage: mimo-conformance models diff --target T [--write] [--openai-base-url URL]", file=sys.stderr)
        return 2
    from .drift import main as diff_main

    return diff_main(rest[1:])


def _mutation_score(args: argparse.Namespace, rest: list[str]) -> int:
    from .mutation import main as mutation_main

    return mutation_main([])


COMMANDS = {
    "serve": (_serve, "run the reference server on 127.0.0.1 (--dialect NAME): prints its base URLs, key and a curl line per protocol"),
    "check": (_check, "run every applicable check on captured traffic: vcrpy cassettes, HAR files, transcripts"),
    "report": (_report, "merge results files into one compatibility matrix: HTML, JSON, Markdown"),
    "coverage": (_coverage, "how much of the documented surface captured exchanges cover, per target; --floors"),
    "checks": (_checks, "list every named check: id, severity, basis (documented, observed, reference), the rule it enforces"),
    "cases": (_cases, "list every conformance case in cases/"),
    "mutation-score": (_mutation_score, "inject each fault into a reference server, write docs/mutation-score.md"),
    "deviations": (_deviations, "deviations lint: known-deviation entries that are broad, stale or unused over the evidence"),
    "models": (_models, "models diff: the models a live target lists against schemas/models.json; --write adds unknown ids as stubs"),
    "evals": (_evals, "eval results: compare two runs (the regression gate), promote a run to baseline, rescore a recorded run"),
}


OWN_ARGUMENTS = ("serve", "check", "report", "coverage", "evals", "deviations", "models")  # subcommands that parse their own arguments


def main(argv: list[str] | None = None) -> int:
    """Parse the subcommand and run it; the exit status is the subcommand's."""
    parser = argparse.ArgumentParser(prog="mimo-conformance", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (_, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=name not in OWN_ARGUMENTS)
    args, rest = parser.parse_known_args(argv)
    if rest and args.command not in OWN_ARGUMENTS:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    try:
        return COMMANDS[args.command][0](args, rest)
    except BrokenPipeError:
        # The reader left (``| head``): what is left unprinted goes nowhere, and no traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
