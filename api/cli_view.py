"""Readable terminal views for people (rich); the JSON views live in cli.py."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table as RichTable

from indexer.models import ParsedReport


def show_report(report: ParsedReport, console: Console | None = None) -> None:
    console = console or Console()
    m = report.report
    console.print(f"[bold]{m.unit_name or '（单位未识别）'}[/bold]  {m.year or '?'}年度  "
                  f"地区 {m.region or '?'}  id {m.report_id}  ({m.source_file})")
    sources = "  ".join(f"{k}: {v}" for k, v in m.metadata_source.items()) or "—"
    console.print(f"[dim]来源 metadata source  {sources}  简称 aliases {'、'.join(m.aliases) or '—'}[/dim]")
    console.print(f"{len(report.sections)} 个章节, {len(report.paragraphs)} 个段落, "
                  f"{len(report.tables)} 张表, {len(report.facts)} 个数值")
    console.print("\n[bold]章节 sections[/bold]")
    for s in report.sections:
        console.print(f"  {'  ' * (s.level - 1)}{s.title}  [dim]L{s.line_start}-{s.line_end}[/dim]")
    for t in report.tables:
        grid = RichTable(title=f"{t.title}  [{t.name}]  L{t.line_start}-{t.line_end}  {t.layout}  单位:{t.unit}",
                         show_lines=False, title_justify="left")
        grid.add_column("编码")
        grid.add_column("项目")
        for c in t.columns:
            grid.add_column(c, justify="right")
        for r in t.rows:
            cells = {c.column: c.raw + ("?" if c.uncertain else "") for c in r.cells}
            grid.add_row(r.code or "", r.name, *[cells.get(c, "") for c in t.columns])
        console.print(grid)
        for n in t.notes:
            console.print(f"  [dim]{n}[/dim]")
    console.print("\n[bold]恒等式检查 checks[/bold]")
    for c in report.checks:
        mark = "[green]✓[/green]" if c.holds else "[red]✗[/red]"
        console.print(f"  {mark} {c.rule}: {c.detail}")
