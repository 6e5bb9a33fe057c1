"""indexer.readers: file type detection, text decoding, line fidelity, PDF tables."""
from __future__ import annotations

import codecs
import hashlib
import random
import re
from pathlib import Path

import pytest

from indexer import pdf_reader, readers
from indexer.readers import MAX_BYTES, ReaderError, read_bytes, read_document

try:  # works whether or not tests/ becomes a package
    from tests import pdf_fixture as fx
except ImportError:
    import pdf_fixture as fx

CORPUS = sorted((Path(__file__).resolve().parent.parent / "corpus").glob("*.txt"))
SAMPLE = CORPUS[1] if len(CORPUS) > 1 else CORPUS[0]


def expected_lines(path: Path) -> list[str]:
    # universal newlines = CRLF/CR -> LF; split("\n") keeps blank and last lines
    with open(path, encoding="utf-8") as f:
        return f.read().split("\n")


def assert_one_line(err: pytest.ExceptionInfo) -> str:
    msg = str(err.value)
    assert "\n" not in msg and " / " in msg  # one line, "中文 / English"
    return msg


# ---------------------------------------------------------------- PDF
@pytest.fixture(scope="module")
def pdf_bytes() -> bytes:
    return fx.make_report_pdf()


@pytest.fixture(scope="module")
def pdf_doc(pdf_bytes):
    return read_bytes(pdf_bytes, "uploads/支出决算.pdf")


def test_pdf_kind_and_hash(pdf_doc, pdf_bytes):
    assert pdf_doc.kind == "pdf"
    assert pdf_doc.source_file == "uploads/支出决算.pdf"
    assert pdf_doc.content_hash == hashlib.sha256(pdf_bytes).hexdigest()


def test_pdf_text_is_real_chinese(pdf_doc):
    assert fx.HEADING in pdf_doc.lines
    assert fx.SENTENCE in pdf_doc.lines
    assert not any("(cid:" in line for line in pdf_doc.lines)


def test_pdf_table_rows_are_tab_joined(pdf_doc):
    lines = pdf_doc.lines
    assert "\t".join(fx.HEADER) in lines
    assert "2010350\t事业运行\t335.75\t335.75\t" in lines  # empty last cell kept
    # newline inside a cell joined without a space; empty middle cell kept
    assert "2010399\t其他政府办公厅（室）及相关机构事务支出\t2,449.98\t\t2,449.98" in lines
    assert "\t合计\t2,785.73\t335.75\t2,449.98" in lines  # empty first cell kept


def test_pdf_reading_order_and_no_duplicates(pdf_doc):
    lines = pdf_doc.lines
    order = [lines.index(x) for x in (fx.HEADING, fx.SENTENCE, "\t".join(fx.HEADER), fx.NOTE, fx.PAGE2)]
    assert order == sorted(order)
    rows = lines[order[2]:order[2] + 4]
    assert all(r.count("\t") == 4 for r in rows)  # header + 3 rows, contiguous
    assert sum("事业运行" in line for line in lines) == 1  # table text not repeated as page text
    assert lines[order[4] - 1] == ""  # blank line between pages


def test_pdf_lines_keep_their_pages(pdf_doc):
    lines, pages = pdf_doc.lines, pdf_doc.pages
    assert len(pages) == len(lines)
    assert pages[lines.index(fx.HEADING)] == 1 and pages[lines.index("\t".join(fx.HEADER))] == 1
    assert pages[lines.index(fx.PAGE2)] == 2
    assert pages == sorted(pages) and pages[0] == 1


def test_text_files_have_no_pages():
    assert read_bytes("第一行\n第二行".encode("utf-8"), "a.txt").pages == []


def test_pdf_page_numbers_dropped_and_tables_joined_over_page_breaks():
    """Footers ("—3—") are not text of the report; a table running onto the next page is one block."""
    from bench.synth_templates import variant

    exp, data, _ = variant(0, 7, "guangxi", "pdf")
    doc = read_bytes(data, "gx.pdf")
    assert not any(re.fullmatch(r"—\d+—", line.strip()) for line in doc.lines)
    assert max(doc.pages) > 5
    for k in range(1, len(doc.lines)):
        if doc.pages[k] != doc.pages[k - 1] and "\t" in doc.lines[k] and "\t" in doc.lines[k - 1]:
            break
    else:
        pytest.fail("no table continued over a page break in the generated PDF")


def test_pdf_read_document_and_content_sniffing(tmp_path, pdf_bytes):
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf_bytes)
    assert read_document(path).source_file == str(path)
    assert read_document(str(path)).kind == "pdf"
    # a PDF under a text name is still read as PDF
    assert read_bytes(pdf_bytes, "misnamed.txt").kind == "pdf"


def test_pdf_name_with_non_pdf_bytes():
    with pytest.raises(ReaderError) as err:
        read_bytes("本年支出合计".encode(), "report.pdf")
    assert "PDF" in assert_one_line(err)


@pytest.mark.parametrize("data", [b"%PDF-1.4\n%garbage\n", b"%PDF"])
def test_corrupt_pdf(data):
    with pytest.raises(ReaderError) as err:
        read_bytes(data, "bad.pdf")
    assert_one_line(err)


def test_truncated_pdf(pdf_bytes):
    with pytest.raises(ReaderError):
        read_bytes(pdf_bytes[: len(pdf_bytes) // 3], "truncated.pdf")


def test_password_protected_pdf():
    data = fx.make_canvas_pdf("secret figures", user_password="secret")
    with pytest.raises(ReaderError) as err:
        read_bytes(data, "locked.pdf")
    assert "encrypted" in assert_one_line(err)


def test_owner_password_only_pdf_is_read():
    # Permission-restricted PDFs (empty user password) are common and readable.
    data = fx.make_canvas_pdf("Total 2,785.73", user_password="")
    assert read_bytes(data, "restricted.pdf").lines == ["Total 2,785.73"]


def test_pdf_without_text_layer():
    with pytest.raises(ReaderError) as err:
        read_bytes(fx.make_canvas_pdf(None), "scan.pdf")
    assert "scanned" in assert_one_line(err)


def test_cell_text_joining():
    assert pdf_reader._cell_text(None) == ""
    assert pdf_reader._cell_text("") == ""
    assert pdf_reader._cell_text("政府办公厅（室）及相\n关机构事务") == "政府办公厅（室）及相关机构事务"
    assert pdf_reader._cell_text("2,449.\n98") == "2,449.98"
    assert pdf_reader._cell_text("Total\nexpenditure") == "Total expenditure"
    assert pdf_reader._cell_text("a\tb") == "a b"


# ---------------------------------------------------------------- text files
@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_corpus_files_keep_every_line(path):
    doc = read_document(path)
    assert doc.kind == "txt" and doc.encoding == "utf-8"
    assert len(doc.lines) == len(open(path, encoding="utf-8").read().split("\n"))
    assert doc.lines == expected_lines(path)
    assert doc.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("codec,bom,expected", [
    ("gb18030", b"", "gb18030"),
    ("utf-16-le", codecs.BOM_UTF16_LE, "utf-16"),
    ("utf-16-be", codecs.BOM_UTF16_BE, "utf-16"),
    ("utf-8", codecs.BOM_UTF8, "utf-8-sig"),
    ("utf-32-le", codecs.BOM_UTF32_LE, "utf-32"),
])
def test_other_encodings_read_identically(tmp_path, codec, bom, expected):
    text = SAMPLE.read_text(encoding="utf-8")
    path = tmp_path / "report.txt"
    path.write_bytes(bom + text.encode(codec))
    doc = read_document(path)
    assert doc.encoding == expected
    assert doc.lines == expected_lines(SAMPLE)


def test_gbk_subset_reads_as_gb18030(tmp_path):
    text = "武汉市汉阳区大数据中心\n本年支出合计 2,785.73 万元。\n"
    doc = read_bytes(text.encode("gbk"), "gbk.txt")
    assert doc.lines == text.split("\n") and doc.encoding == "gb18030"


def test_utf16_without_bom():
    text = "本年支出合计 2,785.73 万元。\nTotal\n"
    doc = read_bytes(text.encode("utf-16-le"), "nobom.txt")
    assert doc.lines == text.split("\n")


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_crlf_and_cr_read_identically(tmp_path, newline):
    text = SAMPLE.read_text(encoding="utf-8")
    path = tmp_path / "crlf.txt"
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    assert read_document(path).lines == expected_lines(SAMPLE)


def test_text_is_not_otherwise_changed():
    text = "  标题  \n\n\n（一）２０２１年\u3000全角\t制表\n\x00结尾"
    doc = read_bytes(text.encode("utf-8"), "a.md")
    assert doc.kind == "md"
    assert doc.lines == ["  标题  ", "", "", "（一）２０２１年\u3000全角\t制表", "结尾"]  # NUL dropped only


def test_markdown_extension():
    assert read_bytes(b"| a | b |", "x.markdown").kind == "md"
    assert read_bytes(b"x", "X.TXT").kind == "txt"


def test_empty_file_is_one_empty_line(tmp_path):
    # Decision: an empty file is one empty line, like "".split("\n"); never an error.
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    doc = read_document(path)
    assert doc.lines == [""] and doc.kind == "txt"


def test_invalid_utf8_bytes_amid_chinese():
    lines = SAMPLE.read_text(encoding="utf-8").split("\n")[:40]
    k = next(i for i, line in enumerate(lines) if "大数据中心" in line)
    head, tail = lines[k].split("大数据中心", 1)
    raw = [line.encode("utf-8") for line in lines]
    raw[k] = (head + "大数据").encode() + b"\xff\xfe\x80" + ("中心" + tail).encode()
    doc = read_bytes(b"\n".join(raw), "broken.txt")
    assert doc.encoding.startswith("utf-8")  # not mojibake via GB18030
    expected = list(lines)
    expected[k] = head + "大数据\ufffd\ufffd\ufffd中心" + tail
    assert doc.lines == expected


@pytest.mark.parametrize("data,line", [
    ("中文报告".encode() + b"\xff", "中文报告\ufffd"),  # short text, one stray byte
    (b"abc\xff", "abc\ufffd"),  # no guessing games with a BOM-less UTF-16 reading
])
def test_stray_byte_in_short_text(data, line):
    assert read_bytes(data, "short.txt").lines == [line]


def test_invalid_bytes_amid_gb18030_text():
    text = "\n".join(SAMPLE.read_text(encoding="utf-8").split("\n")[:40])
    data = text.encode("gb18030")
    data = data[:200] + b"\xff" + data[200:]
    doc = read_bytes(data, "broken-gbk.txt")
    assert doc.encoding.startswith("gb18030")
    assert doc.lines[-1] == text.split("\n")[-1]


# ---------------------------------------------------------------- refusals
@pytest.mark.parametrize("data", [
    random.Random(7).randbytes(4096),
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + random.Random(8).randbytes(512),
    b"PK\x03\x04\x14\x00\x06\x00" + random.Random(9).randbytes(512),  # a .docx renamed
], ids=["random", "png", "zip"])
def test_binary_named_txt_is_refused(data):
    with pytest.raises(ReaderError) as err:
        read_bytes(data, "report.txt")
    assert "binary" in assert_one_line(err)


@pytest.mark.parametrize("name", ["report.docx", "report.xlsx", "report", "报告.doc"])
def test_unsupported_type(name):
    with pytest.raises(ReaderError) as err:
        read_bytes("本年支出合计".encode(), name)
    msg = assert_one_line(err)
    assert "不支持的文件类型" in msg and "unsupported file type" in msg


def test_size_guard(monkeypatch, tmp_path):
    assert MAX_BYTES == 50 * 1024 * 1024
    monkeypatch.setattr(readers, "MAX_BYTES", 10)
    with pytest.raises(ReaderError):
        read_bytes(b"x" * 11, "big.txt")
    path = tmp_path / "big.txt"
    path.write_bytes(b"x" * 11)
    with pytest.raises(ReaderError):
        read_document(path)
    assert read_bytes(b"x" * 10, "ok.txt").lines == ["x" * 10]


def test_reader_error_is_value_error():
    assert issubclass(ReaderError, ValueError)
    assert str(ReaderError("甲", "a", "x\ny")) == "甲 / a: x y"


def test_missing_file_raises_oserror(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_document(tmp_path / "missing.txt")


# ---------------------------------------------------------------- a paged PDF as published
@pytest.fixture(scope="module", params=["ruled", "unruled"])
def paged_doc(request):
    return read_bytes(fx.make_paged_pdf(ruled=request.param == "ruled"), "uploads/paged.pdf")


def test_paged_pdf_drops_running_header_and_repeated_header_rows(paged_doc):
    lines = paged_doc.lines
    assert max(paged_doc.pages) >= 3  # the table runs over several pages
    # the running header and the "第 N 页" footer are page furniture, gone from every page but the
    # first (where a line reading like the running header is more often the report's own title)
    assert {p for line, p in zip(lines, paged_doc.pages) if fx.PAGED_UNIT in line} == {1}
    assert not any(re.fullmatch(r"第\s*\d+\s*页", line) for line in lines)
    assert sum(1 for line in lines if line.startswith("科目编码\t")) == 1
    assert sum(1 for line in lines if line.startswith("栏次\t")) == 1
    # the title and unit rows drawn inside the grid are text lines, once each
    assert lines.count(fx.PAGED_TITLE) == 1 and lines.count("金额单位：万元") == 1
    rows = [line for line in lines if re.match(r"^2013\d{3}\t", line)]
    assert [r.split("\t") for r in rows] == fx.paged_rows()


def test_paged_pdf_table_parses_every_row_on_its_page(paged_doc):
    from indexer.parser import parse_document

    parsed = parse_document(paged_doc)
    table = next(t for t in parsed.tables if t.name == "支出决算表")
    assert [r.code for r in table.rows] == [r[0] for r in fx.paged_rows()]
    last = table.rows[-1]
    assert {c.column: c.value for c in last.cells} == {"本年支出合计": 307.25, "基本支出": 307.25}
    assert paged_doc.pages[last.line_start - 1] == max(paged_doc.pages)
    assert not any(f.value in (1.0, 2.0, 3.0) for f in parsed.facts if f.table == "支出决算表")


def test_title_with_spaced_out_characters_is_no_table():
    doc = read_bytes(fx.make_spaced_title_pdf(), "uploads/cover.pdf")
    assert not any("\t" in line for line in doc.lines)
    assert ["".join(line.split()) for line in doc.lines[:2]] == [fx.PAGED_UNIT, "2023年度部门决算"]


def test_title_and_unit_rows_inside_a_ruled_grid_stay_text():
    rows = [["2023 年度支出决算表", "", "", ""], ["部门：东湖县档案服务中心", "", "", "金额单位：万元"],
            ["科目编码", "科目名称", "本年支出合计", "基本支出"], ["2010350", "事业运行", "335.75", "335.75"],
            ["注：本表反映部门本年度各项支出情况。", "", "", ""]]
    assert pdf_reader._table_lines(rows) == [
        "2023 年度支出决算表", "部门：东湖县档案服务中心", "金额单位：万元",
        "科目编码\t科目名称\t本年支出合计\t基本支出", "2010350\t事业运行\t335.75\t335.75",
        "注：本表反映部门本年度各项支出情况。"]
