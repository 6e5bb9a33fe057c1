"""Synthetic reports beyond the Hubei template and beyond 大数据中心-like units.

`variant(seed, index, template, fmt)` draws one report of a unit type (教育局, 街道办事处, 医院,
公路事务中心, 文化和旅游局, …) and writes it in one of the templates below, as text (tab tables),
Markdown (pipe tables) or a generated PDF (ruled tables, page-number footers). The expected
metadata comes with it, so tests can demand 100 % right unit, region and year.

Templates (how the report names itself; in all but the first two the unit is named only there):

* ``hubei``      "{unit} {year} 年度部门决算", 第一部分 … 概况 (the seed reports' template)
* ``yearfirst``  "{year} 年度{unit}部门决算"
* ``chongqing``  "{unit} {year}年度部门决算情况说明", headings 一、 / （一） / 1.
* ``dot``        "{unit} · {year}年度决算公开说明"
* ``sichuan``    "{unit} {year}年度单位决算（情况说明）", 单位决算 throughout
* ``keyvalue``   a title without the unit; "单位名称：" / "**决算年度**：" / "金额单位：" lines
* ``cover``      the unit and "{year} 年度单位决算" on separate cover lines (PDF: the year alone too)
* ``guangxi``    a cover, and page-number lines "—N—" between blocks
* ``department`` a department with a subordinate unit; the body's "纳入…" sentence names both
* ``filename``   no unit in the text at all: the file name names it
"""
from __future__ import annotations

import io
import random
import re
from dataclasses import dataclass

from .synth import CN_NUM, Report, make_report, render
from .synth_data import CITIES, DISTRICTS, YEARS

TEMPLATES = ("hubei", "yearfirst", "chongqing", "dot", "sichuan", "keyvalue", "cover", "guangxi",
             "department", "filename")
FORMATS = ("txt", "md", "pdf")
# unit types: (name pattern, place level) — "{street}" takes a street name, "county"/"district" the place
UNIT_TYPES = [
    ("教育局", "district"), ("{street}街道办事处", "district"), ("人民医院", "county"),
    ("公路事务中心", "district"), ("文化和旅游局", "county"), ("农业农村局", "district"),
    ("疾病预防控制中心", "city"), ("图书馆", "city"), ("第一中学", "county"), ("卫生健康委员会", "district"),
    ("农产品质量安全检测中心", "city"), ("市场监督管理局", "county"),
]
STREETS = ["民主", "新华", "前进", "胜利", "和平", "建设", "光明", "东风"]
COUNTIES = ["龙潭县", "桃源县", "白河县", "永安县", "青峰县", "梅岭县"]
PROVINCES = ["江南省", "岭西省", "川北省"]
SUBORDINATE = "{place}{kind}服务中心"


@dataclass
class Expected:
    unit: str
    region: str
    year: int
    file_name: str
    template: str
    fmt: str


def identity(rng: random.Random, k: int) -> tuple[str, str, int]:
    """(unit name, its region, year) of the k-th unit type, at a drawn place."""
    pattern, level = UNIT_TYPES[k % len(UNIT_TYPES)]
    kind = pattern.format(street=rng.choice(STREETS))
    city = rng.choice(CITIES)
    year = rng.choice(YEARS)
    if level == "district":
        district = rng.choice(DISTRICTS[:16])
        return f"{city}{district}{kind}", district, year
    if level == "county":
        county = rng.choice(COUNTIES)
        return f"{city}{county}{kind}", county, year
    return f"{rng.choice(PROVINCES)}{city}{kind}", city, year


# ------------------------------------------------------------------ text transforms
_FIRST_TITLE = re.compile(r"^(?:# )?.+年度部门决算\s*$")


def _body(text: str) -> list[str]:
    """The rendered report without its title line."""
    lines = text.split("\n")
    k = next(i for i, l in enumerate(lines) if _FIRST_TITLE.match(l))
    return lines[k + 1:]


def _title(template: str, unit: str, year: int, md: bool) -> list[str]:
    h = "# " if md else ""
    kv = (lambda k, v: f"**{k}**：{v}") if md else (lambda k, v: f"{k}：{v}")
    return {
        "hubei": [f"{h}{unit} {year} 年度部门决算"],
        "yearfirst": [f"{h}{year} 年度{unit}部门决算"],
        "chongqing": [f"{h}{unit} {year}年度部门决算情况说明", "=" * 40],
        "dot": [f"{h}{unit} · {year}年度决算公开说明（摘编）"],
        "sichuan": [f"{h}{unit} {year}年度单位决算（情况说明）"],
        "keyvalue": [f"{h}决算公开说明（摘编）", "", kv("单位名称", unit), kv("隶属关系", "区政府直属单位"),
                     kv("决算年度", year), kv("金额单位", "万元")],
        "cover": [unit, f"{year} 年度单位决算"],
        "guangxi": [unit, f"{year} 年度部门决算（节选）"],
        "department": [f"{h}{unit}{year}年度部门决算"],
        "filename": [f"{h}{year}年度部门决算"],
    }[template]


def _chongqing(lines: list[str]) -> list[str]:
    """第X部分 → 一、；一、 → （一）; numbered items stay 1. 2."""
    out, part = [], 0
    for line in lines:
        m = re.match(r"^(#+ )?第[一二三四五六七八九十]+部分\s*(.*)$", line)
        if m:
            out.append(f"{m.group(1) or ''}{CN_NUM[part]}、{m.group(2)}")
            part += 1
            continue
        m = re.match(r"^(#+ )?([一二三四五六七八九十]+)、(.*)$", line)
        out.append(f"{m.group(1) or ''}（{m.group(2)}）{m.group(3)}" if m else line)
    return out


def _is_table_line(line: str) -> bool:
    return "\t" in line or line.startswith("|")


def _page_numbers(lines: list[str], every: int = 40) -> list[str]:
    """Page-number lines "—N—" at block boundaries, about every `every` lines."""
    out, since, page = [], 0, 1
    for k, line in enumerate(lines):
        out.append(line)
        since += 1
        nxt = lines[k + 1] if k + 1 < len(lines) else ""
        if since >= every and not line.strip() and not _is_table_line(nxt) and (k == 0 or not _is_table_line(lines[k - 1])):
            out += [f"—{page}—", ""]
            page, since = page + 1, 0
    return out


def _department_sentences(unit: str, year: int, sub: str) -> list[str]:
    return [f"纳入{unit}{year}年度部门决算编制范围的二级预算单位包括：{unit}本级、{sub}。", "",
            f"{sub}是{unit}所属公益一类事业单位。", ""]


def text_of(r: Report, template: str, md: bool, sub: str = "") -> str:
    base = render(r, "markdown" if md else "tab")
    body = _body(base)
    if template not in ("hubei", "yearfirst", "department"):
        body = [l.replace(r.unit, "本单位") for l in body]
    if template == "department":
        k = next(i for i, l in enumerate(body) if "二、机构设置情况" in l)
        body[k + 2:k + 2] = _department_sentences(r.unit, r.year, sub)
    if template in ("sichuan", "cover"):
        body = [l.replace("部门决算", "单位决算") for l in body]
    if template == "chongqing":
        body = _chongqing(body)
    if template == "guangxi":
        body = _page_numbers(body)
    return "\n".join(_title(template, r.unit, r.year, md) + [""] + body)


def file_name(template: str, r: Report, k: int, fmt: str) -> str:
    if template == "filename":
        return f"{r.unit}_{r.year}.{fmt}"
    return f"upload_{k:03d}.{fmt}"


def variant(seed: int, k: int, template: str, fmt: str) -> tuple[Expected, bytes, Report]:
    """The k-th synthetic report in `template` and format; (expected metadata, file bytes, figures)."""
    rng = random.Random(f"variant-{seed}-{k}")
    unit, region, year = identity(rng, k)
    r = make_report(rng, unit, region, year)
    sub = SUBORDINATE.format(place=region, kind=rng.choice(["信息", "后勤", "事务"]))
    if fmt == "pdf":
        data = pdf_of(r, template, sub)
    else:
        data = text_of(r, template, fmt == "md", sub).encode("utf-8")
    return Expected(unit, region, year, file_name(template, r, k, fmt), template, fmt), data, r


def variants(seed: int = 0, fmts=("txt", "md")):
    """Every template in every format of `fmts`, unit types cycling."""
    k = 0
    for template in TEMPLATES:
        for fmt in fmts:
            yield variant(seed, k, template, fmt)
            k += 1


# ------------------------------------------------------------------ PDF
def _pdf_cover(template: str, unit: str, year: int) -> list[str]:
    """Cover lines as a PDF draws them: the year often on a line of its own."""
    kind = "单位决算" if template in ("sichuan", "cover") else "部门决算"
    if template in ("hubei", "cover", "guangxi"):
        return [unit, str(year), f"年度{kind}"]
    return [l for l in _title(template, unit, year, False) if l and not l.startswith("=")]


def pdf_of(r: Report, template: str, sub: str = "") -> bytes:
    """The report as a PDF: cover page, paragraphs, ruled tables, a page number in each footer."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Table, TableStyle

    font = "STSong-Light"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    text_style = ParagraphStyle("t", fontName=font, fontSize=9, leading=13)
    cover_style = ParagraphStyle("c", fontName=font, fontSize=20, leading=30, alignment=1)
    flow = [Paragraph(line, cover_style) for line in _pdf_cover(template, r.unit, r.year)] + [PageBreak()]
    lines = text_of(r, template, False, sub).split("\n")
    start = len([l for l in _title(template, r.unit, r.year, False)]) + 1
    rows: list[list[str]] = []

    def flush_table() -> None:
        if rows:
            width = max(len(x) for x in rows)
            t = Table([x + [""] * (width - len(x)) for x in rows], repeatRows=0)
            t.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), font), ("FONTSIZE", (0, 0), (-1, -1), 6),
                                   ("GRID", (0, 0), (-1, -1), 0.4, colors.black)]))
            flow.append(t)
            rows.clear()

    for line in lines[start:]:
        if "\t" in line:
            rows.append(line.split("\t"))
            continue
        flush_table()
        if line.strip() and not re.fullmatch(r"—\d+—", line.strip()):
            flow.append(Paragraph(line, text_style))
    flush_table()

    def footer(canvas, doc) -> None:
        if template == "guangxi" or doc.page > 1:
            canvas.setFont(font, 9)
            canvas.drawCentredString(doc.pagesize[0] / 2, 20, f"—{doc.page}—")

    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=landscape(A4), leftMargin=20, rightMargin=20).build(
        flow, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()
