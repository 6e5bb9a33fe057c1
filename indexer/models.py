"""Shared data types of ReportQA: parsed reports, facts, chunks and answers.

Every package (indexer, retriever, api) exchanges these pydantic models; nothing
else defines cross-module data shapes.
"""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, Field


# ---------------------------------------------------------------- documents
class Document(BaseModel):
    """Text of one report file as read from disk, one entry per source line."""

    source_file: str
    kind: Literal["txt", "md", "pdf"]
    encoding: str = "utf-8"
    lines: list[str]
    # PDF only: 1-based page of each line (same length as lines); empty for text files
    pages: list[int] = Field(default_factory=list)
    content_hash: str  # sha256 of the raw file bytes


# ---------------------------------------------------------------- parse tree
class ReportMeta(BaseModel):
    report_id: str
    unit_name: Optional[str] = None  # 武汉市汉阳区大数据中心
    region: Optional[str] = None  # 汉阳区
    year: Optional[int] = None  # 2021
    title: str = ""  # 武汉市汉阳区大数据中心2021年度部门决算
    source_file: str = ""  # path relative to the corpus directory
    content_hash: str = ""
    aliases: list[str] = Field(default_factory=list)  # short names the report answers to
    # where each field was read from: {"unit_name": "text"|"file name"|"override", "year": …}
    metadata_source: dict[str, str] = Field(default_factory=dict)


class Section(BaseModel):
    path: str  # "第二部分 部门决算表 > 三、支出决算表"
    title: str
    level: int  # 1 = 第X部分, 2 = 一、, 3 = （一）, 4 = 1.
    line_start: int  # 1-based, inclusive
    line_end: int


class Paragraph(BaseModel):
    text: str  # hard wraps joined
    section: str  # Section.path
    line_start: int
    line_end: int


class Cell(BaseModel):
    column: str  # full column name as the table states it, whitespace removed
    raw: str  # cell text as written ("2,399.30", "96.8%", "≥370 条")
    value: Optional[float] = None  # numeric value, None for text cells
    unit: Optional[str] = None  # unit of the number when it differs from the table's
    uncertain: bool = False  # column assignment not decided by identities or spacing
    line: Optional[int] = None  # source line of the figure when the row spans several lines


class Row(BaseModel):
    code: Optional[str] = None  # function / economic code ("2010350", "30107")
    name: str = ""
    cells: list[Cell] = Field(default_factory=list)
    line_start: int
    line_end: int
    uncertain: bool = False

    def cell(self, column: str) -> Optional[Cell]:
        for c in self.cells:
            if c.column == column:
                return c
        return None


class Table(BaseModel):
    name: str  # canonical table name, e.g. 支出决算表
    title: str  # title line as written, e.g. 2021 年度支出决算表
    section: str = ""
    layout: str = ""  # tab | pipe | aligned | pdftext | triples | ...
    unit: str = "万元"
    columns: list[str] = Field(default_factory=list)
    rows: list[Row] = Field(default_factory=list)
    line_start: int
    line_end: int
    notes: list[str] = Field(default_factory=list)  # e.g. "本部门无…支出" sentences


class Fact(BaseModel):
    """One numeric table cell (kind='table', indexer/facts.py) or one figure stated in a narrative
    paragraph (kind='prose', indexer/prose_facts.py). A prose fact has no table, row or column
    ("" each); what it measures stands in its context fields, which table facts leave empty."""

    report_id: str
    table: str  # canonical table name ("" for prose facts)
    table_title: str = ""
    row_code: Optional[str] = None
    row_name: str  # "" for prose facts
    column: str  # "" for prose facts
    value: float
    raw: str  # the figure as written
    unit: str = "万元"
    line: int  # 1-based source line holding the figure (prose: the paragraph's first line)
    line_end: Optional[int] = None
    uncertain: bool = False
    kind: Literal["table", "prose"] = "table"
    chunk_id: Optional[str] = None  # the chunk citing this figure, set by the chunker
    # prose facts only: the words that say what the figure is
    clause: str = ""  # words of the figure's clause before the number ("政府采购支出总额")
    local: str = ""  # that clause and the one before it (the subject often sits there)
    before: str = ""  # the sentence up to the number, after a short heading sentence if one precedes
    sentence: str = ""  # the whole sentence stating the figure


class Check(BaseModel):
    rule: str  # e.g. "支出决算表: 本年支出合计 = 基本支出 + 项目支出 + … (row 合计)"
    table: str
    holds: bool
    detail: str
    diff: float = 0.0  # |lhs - rhs|; 0.01-0.02 counts as holding (rounding)
    line: Optional[int] = None


class ParsedReport(BaseModel):
    report: ReportMeta
    sections: list[Section] = Field(default_factory=list)
    paragraphs: list[Paragraph] = Field(default_factory=list)
    tables: list[Table] = Field(default_factory=list)
    facts: list[Fact] = Field(default_factory=list)
    checks: list[Check] = Field(default_factory=list)
    line_count: int = 0


# ---------------------------------------------------------------- index
class Chunk(BaseModel):
    chunk_id: str
    report_id: str
    kind: Literal["table_row", "paragraph"]
    text: str  # shown to users; contains figures exactly as written
    embed_text: str  # prefixed with report name and section/table title
    section: str
    line_start: int
    line_end: int
    order: int  # position within the report, for neighbours
    page: Optional[int] = None  # 1-based PDF page of line_start


# ---------------------------------------------------------------- answers
class Citation(BaseModel):
    id: str
    chunk_id: str
    report_id: str
    unit_name: Optional[str] = None
    year: Optional[int] = None
    source_file: str
    section: str
    kind: str
    text: str
    line_start: int
    line_end: int
    score: float = 0.0
    page: Optional[int] = None  # 1-based page for PDF sources


class AnswerValue(BaseModel):
    value: float
    unit: str
    label: str
    report_id: Optional[str] = None
    citation_id: Optional[str] = None
    derived: bool = False
    formula: Optional[str] = None
    inputs: list[str] = Field(default_factory=list)  # citation ids of a derived value


class Choice(BaseModel):
    """A report the question may be about, offered when the question fits several equally."""

    report_id: str
    unit_name: Optional[str] = None
    year: Optional[int] = None


class ReportInfo(BaseModel):
    """One indexed report as `GET /reports` lists it."""

    report_id: str
    unit_name: Optional[str] = None
    region: Optional[str] = None
    year: Optional[int] = None
    aliases: list[str] = Field(default_factory=list)
    source_file: str = ""
    metadata_source: dict[str, str] = Field(default_factory=dict)
    sections: int = 0
    tables: int = 0
    rows: int = 0
    chunks: int = 0
    facts: int = 0
    indexed_at: Optional[str] = None


class AskResponse(BaseModel):
    question: str
    found: bool
    answer: str
    values: list[AnswerValue] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    confidence: float = 0.0
    timing_ms: dict[str, float] = Field(default_factory=dict)
    choices: list[Choice] = Field(default_factory=list)  # reports to pick from when ambiguous


class ReportRef(BaseModel):
    """The metadata of the report a passage belongs to."""

    report_id: str
    unit_name: Optional[str] = None
    region: Optional[str] = None
    year: Optional[int] = None
    source_file: str = ""


class PassageResponse(BaseModel):
    """One passage (`GET /passages/{chunk_id}`) with its neighbours and its report."""

    citation: Citation
    prev_chunk_id: Optional[str] = None
    next_chunk_id: Optional[str] = None
    report: ReportRef


class VerifiedNumber(BaseModel):
    """One number of a claim, checked against the reports."""

    value: float = Field(..., description="the number as the claim states it")
    unit: Optional[str] = Field(None, description="its unit as written in the claim (万元, %, 人…), if any")
    status: Literal["supported", "contradicted", "not_found"] = Field(
        ..., description="supported: the reports state this value for the concept; contradicted: they state "
                         "another value (see `stated`); not_found: no figure for the concept")
    stated: Optional[float] = Field(None, description="when contradicted: the value the report states")
    citations: list[Citation] = Field(default_factory=list,
                                      description="the supporting passages, or the contradicting one")


class VerifyResponse(BaseModel):
    """The figures of a claim (`POST /verify`), each supported, contradicted or not found."""

    claim: str
    supported: Optional[bool] = Field(
        None, description="true: every number supported; false: at least one contradicted; "
                          "null: nothing could be checked (no number, no matching report, or no figure found)")
    numbers: list[VerifiedNumber] = Field(default_factory=list)
    reason: Optional[str] = Field(None, description="why nothing could be checked, when `supported` is null")


class IndexStats(BaseModel):
    """What the loaded index holds."""

    model: Optional[str] = None
    version: Optional[str] = None
    counts: dict[str, int] = Field(default_factory=dict)  # reports, chunks, facts


class TableBlock(BaseModel):
    """Lines of one table as found in a report, handed to a layout parser."""

    name: str  # canonical table name (lexicon), e.g. 支出决算表
    title: str  # the title line as written
    title_line: int
    lines: list[tuple[int, str]]  # (1-based line number, raw text) after the title

