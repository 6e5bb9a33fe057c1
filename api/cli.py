"""The `reportqa` command line (contract: shared/docs/contract.md).

Exit status: 0 success, 2 bad usage or bad input (one line on stderr), 1 internal failure.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="ReportQA 决算问答: offline QA over 部门决算 reports.")


def fail(message: str, code: int = 2) -> None:
    """One line on stderr, then exit (2 = bad input, 1 = internal failure)."""
    typer.echo(message.replace("\n", " "), err=True)
    raise typer.Exit(code)


def print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=None) + "\n")


@app.command()
def parse(file: Path = typer.Argument(..., help="A report file (.txt, .md, .pdf)"),
          as_json: bool = typer.Option(False, "--json", help="Print one JSON object")) -> None:
    """Show how one report is understood: metadata, sections, tables, facts, identity checks."""
    from indexer.parser import parse_file
    from indexer.readers import ReaderError

    if not file.is_file():
        fail(f"文件不存在 / file not found: {file}")
    try:
        report = parse_file(file)
    except ReaderError as exc:
        fail(str(exc))
    if as_json:
        print_json(parse_summary(report))
    else:
        from .cli_view import show_report

        show_report(report)


def parse_summary(report) -> dict:
    """The `reportqa parse --json` object (contract fields plus a few extras)."""
    return {
        "report": report.report.model_dump(include={"report_id", "unit_name", "region", "year", "source_file", "title"}),
        "sections": [s.model_dump(include={"path", "line_start", "line_end", "level"}) for s in report.sections],
        "paragraphs": len(report.paragraphs),
        "tables": [{"name": t.name, "title": t.title, "line_start": t.line_start, "line_end": t.line_end,
                    "layout": t.layout, "unit": t.unit, "columns": t.columns, "rows": len(t.rows),
                    "uncertain_cells": sum(1 for r in t.rows for c in r.cells if c.uncertain)}
                   for t in report.tables],
        "facts": [f.model_dump(include={"table", "table_title", "row_code", "row_name", "column", "value",
                                        "raw", "unit", "line", "uncertain"}) for f in report.facts],
        "checks": [c.model_dump(include={"rule", "table", "holds", "detail", "diff"}) for c in report.checks],
    }


def main() -> None:
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # internal failure: one line, exit 1
        sys.stderr.write(f"内部错误 / internal error: {type(exc).__name__}: {exc}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
