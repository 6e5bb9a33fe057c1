"""Small Chinese PDFs generated at test time with reportlab (no binary fixtures in git).

reportlab's built-in CID font STSong-Light needs no font file; pdfminer maps its
Adobe-GB1 CIDs back to real Unicode text, so pdfplumber extracts proper Chinese.
"""
from __future__ import annotations

import io

from reportlab.lib import colors, pdfencrypt
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "STSong-Light"

HEADING = "2021 年度支出决算表"
SENTENCE = "本年支出合计 2,785.73 万元。"
NOTE = "注：本表反映部门本年度各项支出情况。"
PAGE2 = "第三部分 名词解释"
HEADER = ["科目编码", "科目名称", "本年支出合计", "基本支出", "项目支出"]
ROWS = [
    ["2010350", "事业运行", "335.75", "335.75", ""],  # empty 项目支出 cell
    # a name wrapped inside its cell, as in real reports
    ["2010399", "其他政府办公厅（室）及相\n关机构事务支出", "2,449.98", "", "2,449.98"],
    ["", "合计", "2,785.73", "335.75", "2,449.98"],
]


def _register_font() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def make_report_pdf() -> bytes:
    """Two pages: heading, sentence, ruled table, a note; then one line on page 2."""
    _register_font()
    style = ParagraphStyle("cn", fontName=FONT, fontSize=12, leading=18)
    table = Table([HEADER] + ROWS)
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), 10),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),  # ruled: pdfplumber finds it by its lines
    ]))
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4).build([
        Paragraph(HEADING, style), Paragraph(SENTENCE, style), Spacer(1, 6), table,
        Spacer(1, 6), Paragraph(NOTE, style), PageBreak(), Paragraph(PAGE2, style),
    ])
    return buf.getvalue()


def make_canvas_pdf(text: str | None, *, font: str = "Helvetica",
                    user_password: str | None = None, owner_password: str = "owner") -> bytes:
    """One page with one line of `text` (None: only a drawn rectangle, like a scan).

    With `user_password` not None the file is encrypted ("" = owner password only).
    """
    if font == FONT:
        _register_font()
    encrypt = None if user_password is None else pdfencrypt.StandardEncryption(
        user_password, owner_password, canCopy=0)
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, encrypt=encrypt)
    if text is None:
        c.rect(72, 600, 300, 150, fill=1)
    else:
        c.setFont(font, 12)
        c.drawString(72, 720, text)
    c.save()
    return buf.getvalue()


# A paged report as published PDFs print it: a running header on every page, "第 N 页" footers, and a
# long 支出决算表 whose title and unit rows sit inside the ruled grid, under a two-row merged header
# (项目 over 科目编码 / 科目名称) that the grid repeats on every page it runs onto.
PAGED_UNIT = "东湖县档案服务中心"
PAGED_TITLE = "2023 年度支出决算表"
PAGED_HEADER = [["项目", "", "本年支出合计", "基本支出", "项目支出"],
                ["科目编码", "科目名称", "", "", ""],
                ["栏次", "", "1", "2", "3"]]


def paged_rows(n: int = 70) -> list[list[str]]:
    """n 项-level rows with distinct figures: code, name, total, basic, project (project empty on odd rows)."""
    rows = []
    for k in range(n):
        basic, project = 100 + k * 3 + 0.25, (0 if k % 2 else 10 + k + 0.5)
        rows.append([f"2013{k:03d}", f"档案事务第{k}项", f"{basic + project:.2f}", f"{basic:.2f}",
                     f"{project:.2f}" if project else ""])
    return rows


def make_paged_pdf(n: int = 70, ruled: bool = True) -> bytes:
    """`ruled=False`: the same table without rules, figures right-aligned (its cells come from the
    characters' positions)."""
    _register_font()
    style = ParagraphStyle("cn", fontName=FONT, fontSize=11, leading=16)
    body = paged_rows(n)
    data = [[PAGED_TITLE, "", "", "", ""], ["金额单位：万元", "", "", "", ""]] + PAGED_HEADER + body
    table = Table(data, repeatRows=5)
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), FONT), ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black) if ruled else ("ALIGN", (2, 5), (-1, -1), "RIGHT"),
        ("SPAN", (0, 0), (-1, 0)), ("SPAN", (0, 1), (-1, 1)), ("SPAN", (0, 2), (1, 2)),
        ("SPAN", (2, 2), (2, 3)), ("SPAN", (3, 2), (3, 3)), ("SPAN", (4, 2), (4, 3)),
    ]))

    def furniture(c, doc) -> None:
        c.setFont(FONT, 9)
        c.drawString(60, doc.pagesize[1] - 30, f"{PAGED_UNIT}2023年度部门决算")
        c.drawCentredString(doc.pagesize[0] / 2, 25, f"第 {doc.page} 页")

    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4).build(
        [Paragraph(f"{PAGED_UNIT}2023年度部门决算", style), Paragraph("一、支出决算表", style), table,
         Paragraph("注：本表反映部门本年度各项支出情况。", style)],
        onFirstPage=furniture, onLaterPages=furniture)
    return buf.getvalue()


def make_spaced_title_pdf() -> bytes:
    """A cover whose title lines are printed with their characters spaced out, then a sentence."""
    _register_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setFont(FONT, 20)
    for k, text in enumerate([PAGED_UNIT, "2023年度部门决算"]):
        c.drawString(100, 700 - 40 * k, "   ".join(text))
    c.setFont(FONT, 11)
    c.drawString(100, 500, "一、部门职责。本中心负责全县档案的收集和保管。")
    c.save()
    return buf.getvalue()
