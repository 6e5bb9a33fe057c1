"""Synthetic reports as PDFs in the ways published PDFs draw their tables (for bench/pdf_fidelity.py).

`styled_pdf(report, template, style)` prints the report of `synth_templates.text_of` in one of STYLES;
every style keeps the figures and the table structure of the text version, so the facts parsed from
the PDF must equal the facts parsed from the text:

* ``landscape`` `synth_templates.pdf_of`: landscape pages, each table on one page under a one-row header
* ``paged``    portrait pages, tables running over page breaks with their header repeated, a
               two-row merged header (项目 over 科目编码 / 科目名称), a running page header, "—N—" footers
* ``split``    as ``paged``, the code in three columns 类 / 款 / 项 under a three-row header
* ``ingrid``   as ``paged``, each table's title, and its 部门 / 金额单位 line as one row of two cells,
               drawn inside its grid,
               empty cells printed as "-"
* ``joined``   code and name in one cell ("2010350 事业运行")
* ``unruled``  as ``paged`` without any rules, figures right-aligned
* ``unruled-split``  ``unruled`` with the 类 / 款 / 项 columns
* ``wrapped``  as ``paged``, names wrapped in a narrow name column (two or three lines per cell)
* ``unruled-wrapped``  ``wrapped`` without rules
* ``unruled-wide``  ``unruled`` on landscape pages with columns far wider than their figures, the header
               and the 栏次 row centred and the figures set right (no header stands over its figures)
"""
from __future__ import annotations

import io
import re

from .synth import Report
from .synth_templates import _pdf_cover, _title, pdf_of, text_of

STYLES = ("landscape", "paged", "split", "ingrid", "joined", "unruled", "unruled-split", "wrapped",
          "unruled-wrapped", "unruled-wide")
WIDE = (95, 612)  # points (unruled-wide): a value column's width at most, and all value columns' together
NAME_WIDTH = 60  # points: the name column of the wrapped styles (ten characters of 6 points)
FONT = "STSong-Light"
_CODE = re.compile(r"\d{3}(?:\d{2}){0,2}")
_TABLE_TITLE = re.compile(r"^\d{4} ?年度.*表$")


def _code_columns(data: list[list[str]], style: str) -> tuple[list[list[str]], list[tuple], int]:
    """A by-code table's rows under the style's header: (rows, extra TableStyle commands, header rows)."""
    head, body = data[0], data[1:]
    n = len(head)
    if style.endswith("split"):
        rows = [["项目", "", "", ""] + head[2:], ["科目编码", "", "", "科目名称"] + [""] * (n - 2),
                ["类", "款", "项", ""] + [""] * (n - 2)]
        for row in body:
            code = row[0]
            parts = [code[:3], code[3:5], code[5:7]] if _CODE.fullmatch(code) else [code, "", ""]
            rows.append(parts + row[1:])
        spans = [("SPAN", (0, 0), (3, 0)), ("SPAN", (0, 1), (2, 1)), ("SPAN", (3, 1), (3, 2))]
        spans += [("SPAN", (c, 0), (c, 2)) for c in range(4, n + 2)]
        return rows, spans, 3
    if style == "joined":
        return [["科目编码及名称"] + head[2:]] + [[f"{r[0]} {r[1]}".strip()] + r[2:] for r in body], [], 1
    rows = [["项目", ""] + head[2:], ["科目编码", "科目名称"] + [""] * (n - 2)] + body
    return rows, [("SPAN", (0, 0), (1, 0))] + [("SPAN", (c, 0), (c, 1)) for c in range(2, n)], 2


def _wrapped(data: list[list[str]], nhead: int) -> tuple[list[list], list]:
    """Body names longer than the name column as paragraphs wrapping in it; the column's width."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph

    col = 1 if data[nhead - 1][:2] == ["科目编码", "科目名称"] or data[0][:1] == ["项目"] else 0
    cell_style = ParagraphStyle("w", fontName=FONT, fontSize=6, leading=7)
    out = [row[:] for row in data]
    for row in out[nhead:]:
        if len(row[col]) > 8:  # the column holds nine characters besides its padding
            row[col] = Paragraph(row[col], cell_style)
    widths: list = [None] * len(data[0])
    widths[col] = NAME_WIDTH
    return out, widths


def _title_rows(data: list[list[str]], commands: list[tuple], nhead: int,
                title: list[str]) -> tuple[list[list[str]], list[tuple], int]:
    """(ingrid) The title as a row spanning the grid; "部门：…" and "金额单位：…" as one row below it,
    the one at the left, the other in the last cell (as spreadsheets print them)."""
    w = len(data[0])
    heading = [t for t in title if not t.startswith(("部门", "金额单位"))]
    dept = next((t for t in title if t.startswith("部门")), "")
    unit = next((t for t in title if t.startswith("金额单位")), "")
    rows = [[t] + [""] * (w - 1) for t in heading]
    spans = [("SPAN", (0, k), (-1, k)) for k in range(len(heading))]
    if dept or unit:
        rows.append([dept] + [""] * (w - 2) + [unit])
        spans.append(("SPAN", (0, len(heading)), (w - 2, len(heading))))
    n = len(rows)
    moved = [(cmd[0], (cmd[1][0], cmd[1][1] + n), (cmd[2][0], cmd[2][1] + n)) if cmd[0] == "SPAN" else cmd
             for cmd in commands]
    return rows + data, moved + spans, nhead + n


def _table(rows: list[list[str]], style: str, title: list[str]):
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    width = max(len(x) for x in rows)
    data = [x + [""] * (width - len(x)) for x in rows]
    commands: list[tuple] = [("FONTNAME", (0, 0), (-1, -1), FONT), ("FONTSIZE", (0, 0), (-1, -1), 6)]
    nhead = 1
    if data[0][0] == "科目编码":
        data, spans, nhead = _code_columns(data, style)
        commands += spans
    if style == "ingrid":
        data = [[("-" if not c and j and any(re.fullmatch(r"[\d,.]+", x) for x in row[1:]) else c)
                 for j, c in enumerate(row)] for row in data]
        if title:
            data, commands, nhead = _title_rows(data, commands, nhead, title)
    if style.startswith("unruled"):
        commands.append(("ALIGN", (2, nhead), (-1, -1), "RIGHT"))
    else:
        commands.append(("GRID", (0, 0), (-1, -1), 0.4, colors.black))
    widths = None
    if style == "unruled-wide":
        n = len(data[0])
        commands.append(("ALIGN", (0, 0), (-1, nhead), "CENTER"))  # the header and the 栏次 row under it
        if 2 < n <= 9:  # the twelve narrow columns of the 三公 table keep their own widths
            widths = [None, None] + [min(WIDE[0], WIDE[1] / (n - 2))] * (n - 2)
    if style.endswith("wrapped"):
        data, widths = _wrapped(data, nhead)
    t = Table(data, repeatRows=nhead, colWidths=widths)
    t.setStyle(TableStyle(commands))
    return t


def styled_pdf(r: Report, template: str, style: str) -> bytes:
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate

    if style not in STYLES:
        raise ValueError(f"unknown PDF style {style!r}; one of {', '.join(STYLES)}")
    if style == "landscape":
        return pdf_of(r, template)
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    text_style = ParagraphStyle("t", fontName=FONT, fontSize=9, leading=13)
    cover_style = ParagraphStyle("c", fontName=FONT, fontSize=20, leading=30, alignment=1)
    flow = [Paragraph(line, cover_style) for line in _pdf_cover(template, r.unit, r.year)] + [PageBreak()]
    lines = text_of(r, template, False).split("\n")[len(_title(template, r.unit, r.year, False)) + 1:]
    rows: list[list[str]] = []
    held: list[str] = []  # (ingrid) the table title and unit line, drawn inside the next grid

    def flush() -> None:
        if rows:
            flow.append(_table(rows, style, held))
            rows.clear()
            held.clear()

    for line in lines:
        if "\t" in line:
            rows.append(line.split("\t"))
            continue
        flush()
        text = line.strip()
        if style == "ingrid" and (_TABLE_TITLE.match(text) or (held and text.startswith(("金额单位", "部门")))):
            held.append(text)
            continue
        if style == "ingrid" and held and not text:
            continue
        for h in held:  # a title with no table under it stays a paragraph
            flow.append(Paragraph(h, text_style))
        held.clear()
        if text and not re.fullmatch(r"—\d+—", text):
            flow.append(Paragraph(line, text_style))
    flush()

    def furniture(canvas, doc) -> None:
        canvas.setFont(FONT, 9)
        if doc.page > 1:
            canvas.drawString(40, doc.pagesize[1] - 25, f"{r.unit}{r.year}年度部门决算")
        canvas.drawCentredString(doc.pagesize[0] / 2, 20, f"—{doc.page}—")

    buf = io.BytesIO()
    size = landscape(A4) if style == "unruled-wide" else A4
    SimpleDocTemplate(buf, pagesize=size, leftMargin=30, rightMargin=30, topMargin=40, bottomMargin=40).build(
        flow, onFirstPage=furniture, onLaterPages=furniture)
    return buf.getvalue()
