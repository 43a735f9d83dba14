"""``mimo-conformance report RESULTS…``: one compatibility matrix from any number of results files.

Rows are the features of :data:`conformance.results.FEATURES` per protocol (``streaming`` holds
every streamed or paired record, on top of its own feature's row); columns are target × model; a
cell aggregates its records: ``fail`` when any failed, else ``known`` when any was a known
deviation, else ``pass``; ``untested`` when it has none. Each cell keeps its evidence: per record
the test or source, the cassette, and every finding of a failing severity class (check, severity,
basis, location, message, the known deviation's label and reason); ``info`` findings are counted
per check, not listed. The coverage of the documented surface (:mod:`conformance.coverage`) comes
from the cassettes the records name, where they exist. Three renderings of the same document
(``schemas/matrix.schema.json``): JSON, one static HTML page (inline CSS and JS, no external
asset, works from ``file://``), and Markdown for a CI job summary.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Iterable

from . import __version__, coverage, inputs, models, results
from .files import write_atomically

__all__ = ["FORMAT", "PROTOCOLS", "VERDICTS", "STATUSES", "SYMBOLS", "OTHER_MODEL", "build", "cell_status", "to_json", "to_html",
           "to_markdown", "main"]

FORMAT = "mimo-conformance-matrix/1"
PROTOCOLS = ("openai", "anthropic")
VERDICTS = ("fail", "known", "pass")  # worst first: a cell is its worst record
STATUSES = (*VERDICTS, "untested")
SYMBOLS = {"pass": "✅", "fail": "❌", "known": "⚠️", "untested": "–"}  # Markdown: GitHub and GitLab draw emoji
MARKS = {"pass": "✓", "fail": "✗", "known": "⚠", "untested": "–"}  # HTML: glyphs every common font has
WORDS = {"pass": "pass", "fail": "fail", "known": "known deviation", "untested": "not tested"}
OTHER_MODEL = "other model ids"  # ids no models data names (an error test's made-up model): one column per target
STREAMED = ("stream", "pair")


# --- the document -----------------------------------------------------------------------------


def build(docs: Iterable[tuple[str, dict[str, Any]]], *, with_coverage: bool = True) -> dict[str, Any]:
    """The matrix of results files ``(path, document)``: inputs, rows, columns, cells, coverage."""
    docs = list(docs)
    placed = [(_row_keys(r), _column(r), _evidence(r, path)) for path, doc in docs for r in doc["records"]]
    columns = sorted({c for _, c, _ in placed}, key=_column_order)
    cells = {(p, f, t, m): [] for p in PROTOCOLS for f in results.FEATURES for t, m in columns}
    for rows, column, evidence in placed:
        for protocol, feature in rows:
            cells.setdefault((protocol, feature, *column), []).append(evidence)
    return {"format": FORMAT, "suite_version": __version__,
            "generated": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "inputs": [_input(path, doc) for path, doc in docs],
            "rows": [{"protocol": p, "feature": f} for p in PROTOCOLS for f in results.FEATURES],
            "columns": [{"target": t, "model": m} for t, m in columns],
            "cells": [_cell(key, found) for key, found in cells.items()],
            "coverage": _coverage(docs) if with_coverage else []}


def _row_keys(record: dict[str, Any]) -> list[tuple[str, str]]:
    """The rows a record counts in: its feature's, and ``streaming`` when it streamed."""
    rows = [(record["protocol"], record["feature"])]
    if record["mode"] in STREAMED and record["feature"] != "streaming":
        rows.append((record["protocol"], "streaming"))
    return rows


def _column(record: dict[str, Any]) -> tuple[str, str]:
    target = record.get("target") or record.get("server") or "no profile"
    return target, record["model"] if _documented_model(record.get("model")) else OTHER_MODEL


def _documented_model(model_id: str | None) -> bool:
    return model_id in {m.id for m in models.all_models()}


def _column_order(column: tuple[str, str]) -> tuple[str, bool, str]:
    return column[0], column[1] == OTHER_MODEL, column[1]


def _input(path: str, doc: dict[str, Any]) -> dict[str, Any]:
    run = doc["run"]
    return {"path": path, "kind": run["kind"], "target": run.get("target"), "mode": run.get("mode"),
            "date": run["date"], "records": len(doc["records"])}


def _evidence(record: dict[str, Any], path: str) -> dict[str, Any]:
    """What a cell shows of one record: where it came from and its findings of a failing severity class."""
    listed = [f for f in record["findings"] if f["severity"] != "info" or f["known"] is not None]
    info = Counter(f["check"] for f in record["findings"] if f not in listed)
    return {"verdict": record["verdict"], "test": record.get("test"), "source": record.get("source"),
            "cassette": record.get("cassette"), "results": path, "mode": record["mode"], "status": record["status"],
            "outcome": record.get("outcome"),
            "findings": [{k: f[k] for k in ("check", "severity", "basis", "location", "message", "known")} for f in listed],
            "info": dict(sorted(info.items()))}


def cell_status(verdicts: Iterable[str]) -> str:
    """``fail`` if any record failed, else ``known`` if any was a known deviation, ``pass``, or ``untested`` for none."""
    found = set(verdicts)
    return next((s for s in VERDICTS if s in found), "untested")


def _cell(key: tuple[str, str, str, str], evidence: list[dict[str, Any]]) -> dict[str, Any]:
    protocol, feature, target, model = key
    counts = Counter(e["verdict"] for e in evidence)
    ordered = sorted(evidence, key=lambda e: (STATUSES.index(e["verdict"]), e["test"] or "", e["source"] or ""))
    return {"protocol": protocol, "feature": feature, "target": target, "model": model,
            "status": cell_status(counts), "counts": {s: counts[s] for s in VERDICTS}, "evidence": ordered}


def _coverage(docs: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Coverage per target, from the cassettes its records name that can be read here."""
    by_target: dict[str, set[Path]] = {}
    for path, doc in docs:
        for record in doc["records"]:
            found = _cassette_path(record.get("cassette"), Path(path).parent)
            if found is not None:
                by_target.setdefault(_column(record)[0], set()).add(found)
    return [_target_coverage(target, sorted(paths)) for target, paths in sorted(by_target.items())]


def _cassette_path(name: str | None, beside: Path) -> Path | None:
    """A record's cassette, relative to the working directory or to its results file; None when neither has it."""
    if not name:
        return None
    return next((p.resolve() for p in (Path(name), beside / name) if p.is_file()), None)


def _target_coverage(target: str, paths: list[Path]) -> dict[str, Any]:
    files, _ = inputs.read_paths_leniently(paths)
    found = coverage.of_exchanges(target, (c.exchange for f in files for c in f.exchanges))
    return {**found.as_json(), "cassettes": len(files)}


# --- renderings -------------------------------------------------------------------------------


def to_json(matrix: dict[str, Any]) -> str:
    """The matrix as JSON text (``schemas/matrix.schema.json``)."""
    return json.dumps(matrix, indent=1, ensure_ascii=False) + "\n"


def _header(column: dict[str, str]) -> str:
    return f"{column['target']} · {column['model']}"


def _grid(matrix: dict[str, Any]) -> dict[tuple[str, str], list[tuple[int, dict[str, Any]]]]:
    """Each row's cells, in column order, with their index in ``matrix["cells"]``."""
    order = {(c["target"], c["model"]): i for i, c in enumerate(matrix["columns"])}
    rows: dict[tuple[str, str], list[tuple[int, dict[str, Any]]]] = {}
    for i, cell in enumerate(matrix["cells"]):
        rows.setdefault((cell["protocol"], cell["feature"]), []).append((i, cell))
    return {k: sorted(v, key=lambda ic: order[ic[1]["target"], ic[1]["model"]]) for k, v in rows.items()}


def to_markdown(matrix: dict[str, Any], *, failing_lines: int = 20) -> str:
    """A compact table per protocol (✅ ❌ ⚠️ – per cell), a legend, failing checks and coverage, for a CI summary."""
    heads = [_header(c) for c in matrix["columns"]]
    lines = ["## MiMo compatibility matrix", "",
             "Legend: ✅ pass · ❌ fail · ⚠️ known deviation · – not tested. Inputs: "
             + ", ".join(f"`{i['path']}` ({i['kind']}, {i['records']} records)" for i in matrix["inputs"]), ""]
    grid = _grid(matrix)
    for protocol in PROTOCOLS:
        lines += [f"### {protocol}", "", "| feature | " + " | ".join(heads) + " |", "|---" * (len(heads) + 1) + "|"]
        lines += [f"| {f} | " + " | ".join(SYMBOLS[c["status"]] for _, c in grid[protocol, f]) + " |"
                  for f in results.FEATURES if (protocol, f) in grid]
        lines.append("")
    return "\n".join(lines + _failing_markdown(matrix, failing_lines) + _coverage_markdown(matrix)) + "\n"


def _failing_markdown(matrix: dict[str, Any], limit: int) -> list[str]:
    found = [f"- {c['protocol']} {c['feature']} @ {c['target']} · {c['model']}: `[{f['check']}]` {f['location']}: "
             f"{f['message'][:160]}" for c in matrix["cells"] if c["status"] == "fail"
             for f in _failing_findings(c)]
    unique = list(dict.fromkeys(found))
    if not unique:
        return []
    more = [f"- … and {len(unique) - limit} more (the JSON or HTML matrix has them all)"] if len(unique) > limit else []
    return ["### Failing checks", "", *unique[:limit], *more, ""]


def _failing_findings(cell: dict[str, Any]) -> list[dict[str, Any]]:
    """The uncovered findings of the failing records of a cell, first per check."""
    findings = [f for e in cell["evidence"] if e["verdict"] == "fail" for f in e["findings"] if f["known"] is None]
    return list({f["check"]: f for f in reversed(findings)}.values())[::-1]


def _coverage_markdown(matrix: dict[str, Any]) -> list[str]:
    if not matrix["coverage"]:
        return []
    lines = ["### Coverage of the documented surface", "", "| target | sent (request items) | observed (response items) |",
             "|---|---|---|"]
    for c in matrix["coverage"]:
        lines.append(f"| {c['target']} | {_ratio(c['sent'])} | {_ratio(c['observed'])} |")
    return lines + [""]


def _ratio(counts: dict[str, int]) -> str:
    total = counts["total"]
    return f"{counts['covered']}/{total} ({100 * counts['covered'] / total:.0f}%)" if total else "0/0"


def to_html(matrix: dict[str, Any]) -> str:
    """One static page: the matrix per protocol, a legend, an evidence panel a click fills, coverage."""
    data = json.dumps(matrix, ensure_ascii=False).replace("<", "\\u003c")  # no "</script>" inside the script
    body = [_html_legend(matrix), *(_html_table(matrix, p) for p in PROTOCOLS), _html_coverage(matrix)]
    return _PAGE.format(css=_CSS, js=_JS, data=data, body="\n".join(body), title=html.escape(_title(matrix)))


def _title(matrix: dict[str, Any]) -> str:
    targets = sorted({c["target"] for c in matrix["columns"]})
    return f"MiMo compatibility matrix: {', '.join(targets) or 'no records'}"


def _html_legend(matrix: dict[str, Any]) -> str:
    keys = "".join(f'<span class="cell {s}">{MARKS[s]} {WORDS[s]}</span> ' for s in STATUSES)
    inputs = "".join(f"<li><code>{html.escape(i['path'])}</code>: {i['kind']} run"
                     f"{' of ' + html.escape(i['target']) if i['target'] else ''}, {i['date']}, {i['records']} records</li>"
                     for i in matrix["inputs"])
    return (f"<h1>{html.escape(_title(matrix))}</h1><p class=legend>{keys}</p>"
            f"<p>Click a cell for its evidence.</p><ul class=inputs>{inputs}</ul>")


def _html_table(matrix: dict[str, Any], protocol: str) -> str:
    heads = "".join(f"<th scope=col>{html.escape(c['target'])}<br><small>{html.escape(c['model'])}</small></th>"
                    for c in matrix["columns"])
    grid = _grid(matrix)
    rows = "".join(f"<tr><th scope=row>{f}</th>{''.join(_html_cell(i, c) for i, c in grid[protocol, f])}</tr>"
                   for f in results.FEATURES if (protocol, f) in grid)
    return f"<h2>{protocol}</h2><table><thead><tr><th>feature</th>{heads}</tr></thead><tbody>{rows}</tbody></table>"


def _html_cell(index: int, cell: dict[str, Any]) -> str:
    status, total = cell["status"], sum(cell["counts"].values())
    label = f"{MARKS[status]} {WORDS[status]}" + (f" · {cell['counts'][status]} of {total}" if total else "")
    title = f"{cell['protocol']} {cell['feature']}: " + (_counts_text(cell) or "no record")
    return (f'<td><button type=button class="cell {status}" data-cell="{index}" title="{html.escape(title)}">'
            f'{html.escape(label)}</button></td>')


def _counts_text(cell: dict[str, Any]) -> str:
    return ", ".join(f"{n} {s}" for s, n in cell["counts"].items() if n)


def _html_coverage(matrix: dict[str, Any]) -> str:
    if not matrix["coverage"]:
        return "<h2>Coverage</h2><p>No cassette of these records could be read here: coverage unknown.</p>"
    rows = "".join(f"<tr><th scope=row>{html.escape(c['target'])}</th><td>{_ratio(c['sent'])}</td>"
                   f"<td>{_ratio(c['observed'])}</td><td>{c['exchanges']} exchanges, {c['cassettes']} cassettes</td></tr>"
                   for c in matrix["coverage"])
    lists = "".join(f"<details><summary>{html.escape(c['target'])}: {len(c['uncovered'])} items never sent or observed"
                    f"</summary><ul>{''.join(f'<li><code>{html.escape(u)}</code></li>' for u in c['uncovered'])}</ul>"
                    f"</details>" for c in matrix["coverage"])
    return (f"<h2>Coverage of the documented surface</h2><table><thead><tr><th>target</th><th>sent</th><th>observed</th>"
            f"<th>from</th></tr></thead><tbody>{rows}</tbody></table>{lists}")


_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1b1b1b;background:#fff}
table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #c8c8c8;padding:3px 6px;text-align:left}
thead th{background:#f0f0f0;vertical-align:bottom}
.cell{border:0;border-radius:3px;padding:3px 8px;font:inherit;cursor:pointer;white-space:nowrap;display:inline-block}
.pass{background:#cdeccf;color:#0f4d14}.fail{background:#f6c1c1;color:#6b0b0b}.known{background:#fde7a9;color:#5c4200}
.untested{background:#e6e6e6;color:#555}.cell:focus{outline:2px solid #1a5fb4}
#evidence{position:sticky;bottom:0;max-height:45vh;overflow:auto;background:#fafafa;border-top:3px solid #1a5fb4;padding:.5em 1em}
#evidence .record{border-left:4px solid #999;margin:.5em 0;padding:.2em .6em;background:#fff}
#evidence .record-fail{border-color:#c62828}#evidence .record-known{border-color:#d49b00}#evidence .record-pass{border-color:#2e7d32}
code{font-size:12px}.legend .cell{cursor:default}#evidence .close{float:right;font:inherit;cursor:pointer}
"""

_JS = """
(function(){
  var data = JSON.parse(document.getElementById('matrix-data').textContent);
  var panel = document.getElementById('evidence');
  function el(tag, text, cls){ var e = document.createElement(tag); if (text) e.textContent = text; if (cls) e.className = cls; return e; }
  function finding(f){
    var known = f.known ? ' (known deviation ' + f.known.label + ': ' + f.known.reason + ')' : '';
    return el('li', '[' + f.check + '] ' + f.severity + ', ' + f.basis + ' ' + f.location + ': ' + f.message + known);
  }
  function record(r){
    var box = el('div', null, 'record record-' + r.verdict);
    box.appendChild(el('strong', r.verdict + ' ' + r.mode + ' ' + r.status + ': ' + (r.test || r.source || '(unnamed)')));
    if (r.cassette) box.appendChild(el('div', 'cassette: ' + r.cassette));
    var list = el('ul'); r.findings.forEach(function(f){ list.appendChild(finding(f)); });
    var info = Object.keys(r.info).map(function(k){ return k + ' x' + r.info[k]; }).join(', ');
    if (info) list.appendChild(el('li', 'info findings: ' + info));
    box.appendChild(list); return box;
  }
  function show(i){
    var c = data.cells[i];
    panel.textContent = '';
    var close = el('button', 'close', 'close'); close.type = 'button';
    close.addEventListener('click', function(){ panel.hidden = true; });
    panel.appendChild(close);
    panel.appendChild(el('h2', c.protocol + ' ' + c.feature + ' @ ' + c.target + ' / ' + c.model + ': ' + c.status));
    if (!c.evidence.length) panel.appendChild(el('p', 'No record: not tested.'));
    c.evidence.forEach(function(r){ panel.appendChild(record(r)); });
    panel.hidden = false;
  }
  document.querySelectorAll('button[data-cell]').forEach(function(b){
    b.addEventListener('click', function(){ show(Number(b.dataset.cell)); });
  });
})();
"""

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{css}</style></head>
<body>
{body}
<section id="evidence" aria-live="polite" hidden></section>
<script type="application/json" id="matrix-data">{data}</script>
<script>{js}</script>
</body></html>
"""


# --- the command ------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mimo-conformance report",
        description="Merge results files (pytest --results, mimo-conformance check --results) into one compatibility "
                    "matrix: rows are features per protocol, columns target x model.",
        epilog="Without an output option the Markdown goes to standard output. Exit status: 2 when a results file "
               "cannot be used, else 0.")
    parser.add_argument("results", nargs="+", metavar="RESULTS", help="results files (schemas/results.schema.json)")
    parser.add_argument("--html", metavar="PATH", help="write the static HTML page (no external asset)")
    parser.add_argument("--json", metavar="PATH", help="write the matrix as JSON (schemas/matrix.schema.json)")
    parser.add_argument("--markdown", metavar="PATH", help="write the Markdown summary (e.g. $GITHUB_STEP_SUMMARY)")
    parser.add_argument("--no-coverage", action="store_true", help="do not read the records' cassettes for coverage")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Build the matrix and write what was asked; 2 with one line naming the file when an input is unusable."""
    args = _parser().parse_args(argv)
    try:
        docs = [(path, results.load(path)) for path in args.results]
    except ValueError as exc:
        print(f"mimo-conformance report: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    matrix = build(docs, with_coverage=not args.no_coverage)
    outputs = [(path, render) for path, render in ((args.json, to_json), (args.html, to_html),
                                                   (args.markdown, to_markdown)) if path]
    for path, render in outputs:
        write_atomically(path, render(matrix))
    if not outputs:
        sys.stdout.write(to_markdown(matrix))
    return 0
