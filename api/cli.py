"""The `reportqa` command line (contract: shared/docs/contract.md).

Exit status: 0 success, 2 bad usage or bad input (one line on stderr), 1 internal failure.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from indexer.settings import LIMITS, current as current_settings

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


def _index_dir(index_dir: Optional[Path]) -> Path:
    return Path(index_dir or current_settings().index_dir)


def _corpus_dir(corpus: Optional[Path]) -> Path:
    return Path(corpus or current_settings().corpus_dir)


def run_index(corpus: Path, index_dir: Path, full: bool, as_json: bool, quiet: bool = False, **steps) -> dict:
    from indexer.build import BuildBusy, build_index
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    show = sys.stderr.isatty() and not as_json and not quiet
    names = {"parse": "解析 parse", "embed": "向量 embed", "write": "写入 write"}
    try:
        if show:
            with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                          TimeElapsedColumn(), transient=True) as bar:
                tasks: dict[str, int] = {}

                def progress(stage: str, done: int, total: int) -> None:
                    if stage not in tasks:
                        tasks[stage] = bar.add_task(names.get(stage, stage), total=total)
                    bar.update(tasks[stage], completed=done, total=total)

                return build_index(corpus, index_dir, full=full, progress=progress, **steps)
        return build_index(corpus, index_dir, full=full, **steps)
    except BuildBusy as exc:
        fail(str(exc))
    except FileNotFoundError as exc:
        fail(str(exc))


def run_index_on_ray(address: str, corpus: Path, index_dir: Path, full: bool, as_json: bool) -> dict:
    """run_index with parsing and embedding on Ray (`indexer.distributed`, the only module importing ray)."""
    from indexer.distributed import RayBuild, RayUnavailable

    ray_build = RayBuild(address)
    try:
        ray_build.start()
    except RayUnavailable as exc:
        fail(str(exc))
    try:
        return run_index(corpus, index_dir, full, as_json, parse_files=ray_build.parse_files,
                         embed_texts=ray_build.embed_texts)
    finally:
        ray_build.stop()


RAY_LOCAL = "local"  # `--ray` without an address: a local Ray instance for this build


def _bare_ray_flag(args: list[str]) -> list[str]:
    """`--ray` may stand without a value (typer options cannot): it then means a local instance."""
    return [f"--ray={RAY_LOCAL}" if a == "--ray" and (i + 1 == len(args) or args[i + 1].startswith("-")) else a
            for i, a in enumerate(args)]


@app.command()
def index(corpus: Optional[Path] = typer.Option(None, "--corpus", help="Report folder (default corpus/)"),
          index_dir: Optional[Path] = typer.Option(None, "--index-dir", help="Index folder (default index/)"),
          full: bool = typer.Option(False, "--full", help="Rebuild everything"),
          as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON"),
          ray: Optional[str] = typer.Option(
              None, "--ray", metavar="[ADDRESS]",
              help="Parse and embed on Ray: alone (or 'local') a local instance; auto, HOST:PORT or "
                   "ray://HOST:10001 a running cluster")) -> None:
    """Build or update the index from every report in the corpus (incremental)."""
    if ray is not None:
        s = run_index_on_ray(ray, _corpus_dir(corpus), _index_dir(index_dir), full, as_json)
    else:
        s = run_index(_corpus_dir(corpus), _index_dir(index_dir), full, as_json)
    if as_json:
        print_json(s)
    else:
        typer.echo(f"新增 added {len(s['added'])}, 变更 changed {len(s['changed'])}, 删除 removed {len(s['removed'])}, "
                   f"未变 unchanged {len(s['unchanged'])}; chunks {s['chunks_total']} "
                   f"(embedded {s['chunks_embedded']}), facts {s['facts_total']}, {s['seconds']:.1f}s, model {s['model']}")


def _engine(index_dir: Path):
    from indexer.store import IndexError_
    from retriever.engine import Engine

    try:
        return Engine.load(index_dir)
    except IndexError_ as exc:
        fail(str(exc))


@app.command()
def ask(question: str = typer.Argument(..., help="问题, e.g. 汉阳区大数据中心2021年项目支出多少"),
        index_dir: Optional[Path] = typer.Option(None, "--index-dir"),
        history: Optional[list[str]] = typer.Option(None, "--history",
                                                    help="An earlier question of the conversation (repeat, oldest first)"),
        as_json: bool = typer.Option(False, "--json", help="Print the /ask response body")) -> None:
    """Answer one question from the index."""
    from .schemas import clean_text, text_list  # the same checks as POST /ask

    try:
        q = clean_text(question, "question", LIMITS.max_question_chars, "问题")
        earlier = text_list(history, "history", "历史问题", LIMITS.max_history, LIMITS.max_question_chars) \
            if history else None
    except ValueError as exc:
        fail(str(exc))
    resp = _engine(_index_dir(index_dir)).ask(q, history=earlier)
    if as_json:
        print_json(resp.model_dump())
        return
    typer.echo(resp.answer)
    for v in resp.values:
        typer.echo(f"  {v.label}: {v.value} {v.unit}" + (f"  = {v.formula}" if v.formula else "") + f"  [{v.citation_id}]")
    for c in resp.citations:
        typer.echo(f"  [{c.id}] {c.unit_name} {c.year} {c.source_file}:{c.line_start}-{c.line_end}  {c.text[:120]}")


@app.command("eval")
def evaluate(gold: Path = typer.Option(..., "--gold", help="Gold questions (JSON Lines)"),
             index_dir: Optional[Path] = typer.Option(None, "--index-dir"),
             as_json: bool = typer.Option(False, "--json"),
             show_fails: bool = typer.Option(False, "--show-fails", help="List the items answered wrongly")) -> None:
    """Run a gold question file: accuracy per kind and per report, wrong numbers and reports, citations, latency."""
    from retriever.evaluate import failures, load_gold, run_gold, summarize

    if not gold.is_file():
        fail(f"文件不存在 / file not found: {gold}")
    try:
        items = load_gold(gold)
    except ValueError as exc:
        fail(str(exc))
    if any("question" not in it or "kind" not in it or "id" not in it for it in items):
        fail("每题须有 id、question、kind / every item needs id, question and kind")
    results, lat = run_gold(_engine(_index_dir(index_dir)), items)
    summary = summarize(results, lat)
    fails = failures(results)
    if as_json:
        summary["failures"] = fails if show_fails else len(fails)
        print_json(summary)
        return
    typer.echo(json.dumps(summary, ensure_ascii=False, indent=1))
    if show_fails:
        for r in fails:
            flags = f"cited={r['cited']}" + (f", wrong_report={r['wrong_report_ids']}" if r["wrong_report"] else "")
            typer.echo(f"✗ {r['id']} [{r['kind']}] {r['report']} | {r['question']}\n"
                       f"    → {r['answer'][:160]}  ({flags})")


@app.command()
def serve(index_dir: Optional[Path] = typer.Option(None, "--index-dir"),
          corpus: Optional[Path] = typer.Option(None, "--corpus"),
          host: str = typer.Option("127.0.0.1", "--host"),
          port: int = typer.Option(8000, "--port")) -> None:
    """Start the HTTP API and the web chat page (builds the index first if there is none)."""
    from indexer.backends.base import get_backend

    settings = current_settings()  # read once for the whole service
    idx, corp = Path(index_dir or settings.index_dir), Path(corpus or settings.corpus_dir)
    if get_backend(idx).current() is None:  # the configured backend (faiss directory or Milvus) has no index
        typer.echo("索引不存在，正在构建 / no index yet, building it first …", err=True)
        run_index(corp, idx, False, False)
    from .app import serve as run_server

    run_server(idx, corp, host, port, settings.admin_token, settings=settings)


def parse_summary(report) -> dict:
    """The `reportqa parse --json` object (contract fields plus a few extras)."""
    return {
        "report": report.report.model_dump(include={"report_id", "unit_name", "region", "year", "source_file", "title",
                                                    "aliases", "metadata_source"}),
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
        app(args=_bare_ray_flag(sys.argv[1:]))
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # internal failure: one line, exit 1
        from indexer.embedder import EmbedderError

        if isinstance(exc, EmbedderError):  # a setting or model the user gave: their input, exit 2
            sys.stderr.write(f"{exc}\n")
            sys.exit(2)
        sys.stderr.write(f"内部错误 / internal error: {type(exc).__name__}: {exc}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
