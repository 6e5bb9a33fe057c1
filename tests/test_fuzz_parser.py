"""Bad input never crashes the reader or the parser (issue 7, part 1).

Property: for any bytes or any text, `read_bytes` returns a `Document` or raises `ReaderError`,
and `parse_document` returns a `ParsedReport` whose line references stay inside the document —
within a time bound (a hang fails the test), and with no other exception.

Inputs: real reports of the corpus mutated (truncated tables, shuffled / deleted / duplicated
lines, random characters, tabs changed), random text, random and mutated bytes (text and PDF),
the corpus re-encoded (GBK, GB18030, UTF-8 with BOM, UTF-16/32 with and without BOM, CRLF, CR),
empty files, and a 50 MB single line.

The examples are deterministic (CI stays reproducible); set REPORTQA_FUZZ_RANDOM=1 for a fresh
random run, REPORTQA_FUZZ_EXAMPLES=N for more examples per property, and REPORTQA_FUZZ_SHRINK=1 to
shrink a failing example (slow on inputs this large).
"""
from __future__ import annotations

import math
import os
import signal
import time
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from conftest import REPORTS
from indexer import readers
from indexer.models import Document, ParsedReport
from indexer.parser import parse_document, parse_file
from indexer.readers import MAX_BYTES, ReaderError, read_bytes

EXAMPLES = int(os.environ.get("REPORTQA_FUZZ_EXAMPLES", "80"))
PER_EXAMPLE_SECONDS = 10.0  # a real report parses in < 0.2 s; anything near this is a hang
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,  # the time bound is enforced by `time_limit` (SIGALRM), which also catches hangs
    derandomize=not os.environ.get("REPORTQA_FUZZ_RANDOM"),
    database=None,  # no .hypothesis/ folder in the work tree
    # Shrinking a failure of these large inputs can take minutes; CI reports the failing example as drawn.
    phases=[Phase.explicit, Phase.generate] + ([Phase.shrink] if os.environ.get("REPORTQA_FUZZ_SHRINK") else []),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)

TEXTS = {name: path.read_text(encoding="utf-8") for name, path in REPORTS.items()}
LINES = {name: text.split("\n") for name, text in TEXTS.items()}
NAMES = sorted(LINES)
# Characters that matter to the parser: digits, separators, table punctuation and the corpus' own CJK.
ALPHABET = sorted(set("".join(TEXTS.values())) | set("0123456789,.%-+()（）|\t 　：:。；、"))


# ---------------------------------------------------------------- the property and its time bound
class Hang(BaseException):
    """Raised by SIGALRM; a BaseException so no `except Exception` in the code under test eats it."""


class TooSlow(AssertionError):
    """What the test sees (an ordinary failure, so hypothesis reports the example)."""


@contextmanager
def time_limit(seconds: float):
    """Fail with `TooSlow` after `seconds`; keeps pytest-timeout's own SIGALRM timer running."""
    def on_alarm(signum, frame):
        raise Hang(f"no result within {seconds:.0f} s (hang or super-linear time)")

    old_handler = signal.signal(signal.SIGALRM, on_alarm)
    old_delay, old_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    start = time.monotonic()
    try:
        yield
    except Hang as exc:
        raise TooSlow(str(exc)) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
        if old_delay > 0:  # restore pytest-timeout's alarm, minus the time spent here
            signal.setitimer(signal.ITIMER_REAL, max(old_delay - (time.monotonic() - start), 0.001), old_interval)


def check_report(rep: ParsedReport, doc: Document) -> None:
    """A parsed report is well formed: every line reference is a line of the document."""
    n = len(doc.lines)
    assert isinstance(rep, ParsedReport)
    assert rep.line_count == n
    assert rep.report.report_id

    def span(a, b, what):
        assert 1 <= a <= b <= max(n, 1), (what, a, b, n)

    for s in rep.sections:
        span(s.line_start, s.line_end, f"section {s.path!r}")
    for p in rep.paragraphs:
        span(p.line_start, p.line_end, "paragraph")
        assert p.text.strip()
    for t in rep.tables:
        span(t.line_start, t.line_end, f"table {t.name}")
        for r in t.rows:
            span(r.line_start, r.line_end, f"row {r.name!r} of {t.name}")
    for f in rep.facts:
        assert 1 <= f.line <= n, ("fact line", f.line, n)
        assert f.line_end is None or f.line <= f.line_end <= n, ("fact line_end", f.line, f.line_end, n)
        assert math.isfinite(f.value), f
        assert f.raw
    for c in rep.checks:
        assert isinstance(c.holds, bool)
    # the index stores the parsed report as JSON and reads it back
    assert ParsedReport.model_validate_json(rep.model_dump_json()) == rep


def parse_ok(doc: Document, seconds: float = PER_EXAMPLE_SECONDS) -> ParsedReport:
    with time_limit(seconds):
        rep = parse_document(doc)
    check_report(rep, doc)
    return rep


def read_and_parse(data: bytes, name: str, seconds: float = PER_EXAMPLE_SECONDS):
    """The contract: a Document (then a well-formed report) or ReaderError — nothing else, no hang."""
    with time_limit(seconds):
        try:
            doc = read_bytes(data, name)
        except ReaderError as exc:
            message = str(exc)
            assert message and "\n" not in message and "/" in message  # one line, Chinese / English
            return None
    assert isinstance(doc, Document) and doc.lines, doc
    assert all("\n" not in line and "\r" not in line for line in doc.lines)
    return doc, parse_ok(doc, seconds)


def doc_of(lines: list[str], name: str = "fuzz.txt") -> Document:
    return Document(source_file=name, kind="txt", lines=lines, content_hash="0" * 64)


# ---------------------------------------------------------------- mutated reports
def _table_regions(lines: list[str]) -> list[tuple[int, int]]:
    """(title index, end index) of each table-ish block: from a 决算表/情况表 title to the next blank line run."""
    out = []
    for i, line in enumerate(lines):
        if ("决算表" in line or "情况表" in line or "自评表" in line) and len(line) < 60:
            j = i + 1
            while j < len(lines) and j - i < 80 and (lines[j].strip() or j - i < 3):
                j += 1
            out.append((i, j))
    return out


REGIONS = {name: _table_regions(lines) for name, lines in LINES.items()}


@st.composite
def mutated_report(draw) -> list[str]:
    name = draw(st.sampled_from(NAMES))
    lines = list(LINES[name])
    ops = draw(st.lists(st.sampled_from(
        ["truncate", "window", "cut_table", "drop_table_rows", "shuffle", "delete", "duplicate", "insert",
         "scramble_chars", "tabs_to_spaces", "tabs_to_pipes", "join_lines", "split_line"]), min_size=1, max_size=4))
    for op in ops:
        n = len(lines)
        if n == 0:
            break
        i = draw(st.integers(0, n - 1))
        j = draw(st.integers(i, min(n, i + 120)))
        if op == "truncate":  # the file ends in the middle of a line
            lines = lines[: i + 1]
            lines[-1] = lines[-1][: draw(st.integers(0, len(lines[-1])))]
        elif op == "window":
            lines = lines[i: max(j, i + 1)]
        elif op in ("cut_table", "drop_table_rows") and REGIONS[name] and n == len(LINES[name]):
            start, end = draw(st.sampled_from(REGIONS[name]))
            cut = draw(st.integers(start + 1, max(start + 1, end)))
            if op == "cut_table":  # a table ends after a few rows (the rest of the report follows)
                lines = lines[:cut] + lines[end:]
            else:  # random rows of a table are lost
                keep = draw(st.lists(st.booleans(), min_size=end - start, max_size=end - start))
                lines = lines[:start + 1] + [l for l, k in zip(lines[start + 1:end], keep[1:]) if k] + lines[end:]
        elif op == "shuffle":
            block = lines[i:j]
            order = draw(st.permutations(range(len(block)))) if len(block) <= 40 else range(len(block))[::-1]
            lines[i:j] = [block[k] for k in order]
        elif op == "delete":
            del lines[i:j]
        elif op == "duplicate":
            lines[j:j] = lines[i:j]
        elif op == "insert":
            lines[i:i] = draw(st.lists(st.text(alphabet=ALPHABET, max_size=80), min_size=1, max_size=5))
        elif op == "scramble_chars":
            line = lines[i]
            if line:
                k = draw(st.integers(0, len(line) - 1))
                junk = draw(st.text(alphabet=st.one_of(st.sampled_from(ALPHABET), st.characters()), max_size=6))
                lines[i] = line[:k] + junk + line[k + 1:]
        elif op == "tabs_to_spaces":
            lines[i:j] = [l.replace("\t", "  ") for l in lines[i:j]]
        elif op == "tabs_to_pipes":
            lines[i:j] = ["| " + l.replace("\t", " | ") + " |" if "\t" in l else l for l in lines[i:j]]
        elif op == "join_lines":
            lines[i:j] = [" ".join(lines[i:j])] if j > i else []
        elif op == "split_line":
            line = lines[i]
            k = draw(st.integers(0, len(line)))
            lines[i:i + 1] = [line[:k], line[k:]]
    return lines


@FUZZ
@given(mutated_report())
def test_mutated_reports_parse_or_fail_cleanly(lines):
    parse_ok(doc_of(lines))


@FUZZ
@given(st.lists(st.text(alphabet=st.one_of(st.sampled_from(ALPHABET), st.characters(codec="utf-8")), max_size=120),
                max_size=60))
def test_random_text_lines(lines):
    parse_ok(doc_of(lines))


@FUZZ
@given(name=st.sampled_from(NAMES), data=st.data())
def test_numbers_replaced_by_junk(name, data):
    """Every figure of a window replaced by a random number-like token (negative, %, huge, 1e308, NaN-ish).

    Figures of more than 308 digits are left to `test_figure_beyond_float_range_gives_no_infinite_fact`."""
    import re

    lines = LINES[name]
    i = data.draw(st.integers(0, len(lines) - 1))
    window = lines[i:i + 150]
    token = st.one_of(st.sampled_from(["-", "—", "－", "-0.00", "1e308", "9" * 40, "NaN", "inf", "1,2,3", ".",
                                       "12..5", "(3.5)", "3.5%", "１２３．４５", "0x1F", "-∞", "1/0"]),
                      st.from_regex(r"-?[0-9]{1,12}(,[0-9]{3}){0,3}(\.[0-9]{0,4})?%?", fullmatch=True))
    out = [re.sub(r"\d[\d,]*\.?\d*", lambda m: data.draw(token), l) for l in window]
    parse_ok(doc_of(out))


# ---------------------------------------------------------------- bytes through the reader
NAMES_BY_TYPE = st.sampled_from(["r.txt", "r.TXT", "r.md", "r.markdown", "r.pdf", "r.docx", "noext", ".txt", "r.txt.pdf"])


@FUZZ
@given(data=st.binary(max_size=8192), name=NAMES_BY_TYPE)
def test_random_bytes(data, name):
    read_and_parse(data, name)


@FUZZ
@given(name=st.sampled_from(NAMES), data=st.data())
def test_mutated_file_bytes(name, data):
    raw = TEXTS[name].encode(data.draw(st.sampled_from(["utf-8", "gb18030"])))
    start = data.draw(st.integers(0, len(raw) - 1))
    chunk = bytearray(raw[start:start + data.draw(st.integers(1, 30000))])
    for _ in range(data.draw(st.integers(0, 8))):
        pos = data.draw(st.integers(0, len(chunk)))
        what = data.draw(st.sampled_from(["flip", "insert", "delete", "nul"]))
        if what == "flip" and pos < len(chunk):
            chunk[pos] = data.draw(st.integers(0, 255))
        elif what == "insert":
            chunk[pos:pos] = data.draw(st.binary(min_size=1, max_size=16))
        elif what == "delete":
            del chunk[pos:pos + data.draw(st.integers(1, 16))]
        elif what == "nul":
            chunk[pos:pos] = b"\x00" * data.draw(st.integers(1, 4))
    prefix = data.draw(st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"%PDF-1.4\n", b"\x89PNG"]))
    read_and_parse(prefix + bytes(chunk), data.draw(NAMES_BY_TYPE))


@pytest.fixture(scope="module")
def sample_pdf() -> bytes:
    from pdf_fixture import make_report_pdf

    return make_report_pdf()


@settings(FUZZ, max_examples=max(10, EXAMPLES // 3))
@given(data=st.data())
def test_truncated_and_corrupted_pdf(sample_pdf, data):
    """pdfminer's many exception types all become ReaderError; nothing hangs."""
    raw = bytearray(sample_pdf)
    mode = data.draw(st.sampled_from(["truncate", "flip", "zero_block", "drop_block"]))
    pos = data.draw(st.integers(0, len(raw) - 1))
    if mode == "truncate":
        raw = raw[:pos]
    elif mode == "flip":
        for _ in range(data.draw(st.integers(1, 20))):
            raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    elif mode == "zero_block":
        raw[pos:pos + 256] = b"\x00" * len(raw[pos:pos + 256])
    else:
        del raw[pos:pos + data.draw(st.integers(1, 2048))]
    read_and_parse(bytes(raw), data.draw(st.sampled_from(["r.pdf", "r.txt"])))


def test_valid_pdf_still_reads(sample_pdf):
    doc, rep = read_and_parse(sample_pdf, "r.pdf")
    assert doc.kind == "pdf" and any("2,785.73" in l for l in doc.lines)


# ---------------------------------------------------------------- encodings and line endings
WITH_BOM = {"utf-8-sig", "utf-16", "utf-32"}  # Python's utf-16/utf-32 codecs write a BOM


@FUZZ
@given(name=st.sampled_from(NAMES), data=st.data(),
       codec=st.sampled_from(["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16", "utf-16-le", "utf-16-be", "utf-32"]),
       newline=st.sampled_from(["\n", "\r\n", "\r"]))
def test_encodings_and_line_endings(name, data, codec, newline):
    lines = LINES[name]
    i = data.draw(st.integers(0, len(lines) - 1))
    window = lines[i:i + data.draw(st.integers(1, 400))]
    text = newline.join(window)
    try:
        raw = text.encode(codec)
    except UnicodeEncodeError:  # a character GBK lacks: such a file cannot exist
        assume(False)
    result = read_and_parse(raw, data.draw(st.sampled_from(["r.txt", "r.md"])))
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    ascii_only = text.isascii()
    # Round trip where the encoding is knowable: BOM, UTF-8, or GB text with enough Chinese to tell.
    if codec in WITH_BOM or codec == "utf-8" or ascii_only and codec in ("gbk", "gb18030") \
            or (codec in ("gbk", "gb18030") and cjk >= 20):
        assert result is not None, (codec, newline)
        doc, _ = result
        assert doc.lines == window, (codec, doc.encoding, newline)


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_bomless_utf16_whole_report(codec):
    raw = "\r\n".join(LINES["hanyang"]).encode(codec)
    doc, rep = read_and_parse(raw, "r.txt")
    assert doc.lines == LINES["hanyang"] and rep.report.year == 2021 and rep.facts


@pytest.mark.parametrize("codec", ["gbk", "gb18030", "utf-8-sig", "utf-16", "utf-32"])
def test_whole_report_in_each_encoding_parses_the_same(codec):
    text = TEXTS["qiaokou"]
    try:
        raw = text.replace("\n", "\r\n").encode(codec)
    except UnicodeEncodeError:
        raw = text.replace("\n", "\r\n").encode("gb18030")
    doc, rep = read_and_parse(raw, "r.txt")
    base = parse_ok(doc_of(LINES["qiaokou"]))
    assert [(f.table, f.row_name, f.column, f.value, f.line) for f in rep.facts] == \
           [(f.table, f.row_name, f.column, f.value, f.line) for f in base.facts]


# ---------------------------------------------------------------- empty and degenerate files
@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\r\n" * 1000, b" \t\n" * 500, b"\n",
                                  "　".encode() * 100, b"\x0c\x0b"])
@pytest.mark.parametrize("name", ["empty.txt", "empty.md"])
def test_empty_and_blank_text_files(data, name):
    doc, rep = read_and_parse(data, name)
    assert not rep.tables and not rep.facts


def test_empty_document_and_empty_pdf(tmp_path):
    parse_ok(doc_of([]))
    parse_ok(doc_of([""]))
    assert read_and_parse(b"", "empty.pdf") is None  # ReaderError: not a PDF
    assert read_and_parse(b"%PDF-1.4\n%%EOF\n", "empty.pdf") is None
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    rep = parse_file(empty)
    assert rep.line_count == 1 and not rep.facts


# ---------------------------------------------------------------- size: the 50 MB single line
FIFTY_MB_SECONDS = 20.0  # measured 7-10 s on the shared 2-core machine for the report line below


def _single_line(text: str) -> bytes:
    unit = text.encode("utf-8")
    data = (unit * (MAX_BYTES // len(unit) + 1))[:MAX_BYTES]
    return data.decode("utf-8", errors="ignore").encode("utf-8")  # cut on a character boundary


def test_fifty_mb_single_line_report_text():
    """A report whose line breaks were lost, repeated to exactly MAX_BYTES: one 50 MB line."""
    data = _single_line(TEXTS["hanyang"].replace("\n", " "))
    assert MAX_BYTES - 4 <= len(data) <= MAX_BYTES and b"\n" not in data
    doc, rep = read_and_parse(data, "big.txt", seconds=FIFTY_MB_SECONDS)
    assert len(doc.lines) == 1


def test_fifty_mb_single_line_without_sentence_ends():
    """The same report text without 。！？；: one 17-million-character sentence."""
    text = TEXTS["hanyang"].replace("\n", " ")
    for ch in "。！？；":
        text = text.replace(ch, "，")
    read_and_parse(_single_line(text), "big.txt", seconds=FIFTY_MB_SECONDS)


def test_over_the_size_limit_is_refused_before_decoding(tmp_path):
    t0 = time.monotonic()
    with pytest.raises(ReaderError, match="too large"):
        read_bytes(b"x" * (MAX_BYTES + 1), "big.txt")
    big = tmp_path / "big.txt"
    with open(big, "wb") as f:  # sparse: no 50 MB written to disk
        f.truncate(MAX_BYTES + 1)
    with pytest.raises(ReaderError, match="too large"):
        parse_file(big)
    assert time.monotonic() - t0 < 5


def test_reader_error_is_the_only_error_type():
    """ReaderError is a ValueError (callers map it to exit status 2 / HTTP 422), with one-line text."""
    assert issubclass(ReaderError, ValueError)
    err = readers.ReaderError("坏", "bad", "line1\nline2\r")
    assert "\n" not in str(err) and "\r" not in str(err)


def test_figure_beyond_float_range_gives_no_infinite_fact():
    lines = list(LINES["hanyang"])
    i = next(k for k, l in enumerate(lines) if "2,399.30" in l and "\t" in l)
    lines[i] = lines[i].replace("2,399.30", "9" * 400, 1)
    rep = parse_ok(doc_of(lines))  # check_report asserts every fact value is finite
    assert rep.facts


def test_parse_time_linear_in_lines_without_sentence_ends():
    def seconds(n: int) -> float:
        doc = read_bytes("汉\n".encode() * n, "x.txt")
        start = time.perf_counter()
        parse_document(doc)
        return time.perf_counter() - start

    small = min(seconds(50_000) for _ in range(2))
    bound = max(9 * small, 3.0)  # 5x the lines: ~4x the time when linear, ~14x now
    try:
        with time_limit(bound):
            big = seconds(250_000)
    except TooSlow:
        pytest.fail(f"250,000 lines took more than {bound:.1f} s (50,000 lines: {small:.2f} s)")
    assert big < bound
