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
