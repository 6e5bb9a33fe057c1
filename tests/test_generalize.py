"""Unseen reports: synthetic units, regions and years in the three layouts (tab, PDF text, Markdown)
are parsed, indexed and answered with the figures they were generated from."""
from __future__ import annotations

from pathlib import Path

import pytest

from bench.synth import _class_sum, sample
from conftest import HashEmbedder

LAYOUTS = ["tab", "pdftext", "markdown"]


def engine_over(tmp, files: dict[str, bytes]):
    """An engine (HashEmbedder) over a corpus of the given files."""
    from indexer.build import build_index
    from retriever.engine import Engine

    corpus = tmp / "corpus"
    corpus.mkdir()
    for name, data in files.items():
        (corpus / name).write_bytes(data)
    emb = HashEmbedder()
    build_index(corpus, tmp / "index", embedder=emb, model_id=emb.model_id)
    return Engine(Engine.load(tmp / "index", with_embedder=False).index, emb)


def gold_over_seeds(tmp: Path, reports: Path, gold: Path) -> dict:
    """The summary of the gold questions `gold` over the seed reports of `corpus/` and the files of
    `reports` (its files only, not its subdirectories)."""
    root = Path(__file__).resolve().parents[1]
    files = {p.name: p.read_bytes() for p in sorted((root / "corpus").glob("*.txt"))}
    files.update({p.name: p.read_bytes() for p in sorted(reports.iterdir()) if p.is_file()})
    from retriever.evaluate import load_gold, run_gold, summarize

    results, latencies = run_gold(engine_over(tmp, files), load_gold(gold), warmup=0)
    summary = summarize(results, latencies)
    return summary.get("overall", summary)


def assert_answers(engine, question: str, value: float, history=None):
    """The question is answered and its first figure is `value`; the response, for further checks."""
    r = engine.ask(question, history=history)
    assert r.found and r.values[0].value == value, r.answer
    return r


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    files, reports = {}, []
    for k, layout in enumerate(LAYOUTS):
        r, text = sample(layout, seed=7, index=k)
        files[f"r{k}.{'md' if layout == 'markdown' else 'txt'}"] = text.encode("utf-8")
        reports.append((layout, r))
    return engine_over(tmp_path_factory.mktemp("synthetic"), files), reports


def questions(r):
    return [
        (f"{r.unit}{r.year}年项目支出多少", r.project_total / 100),
        (f"{r.unit}{r.year}年基本支出是多少", r.basic_total / 100),
        (f"{r.unit}{r.year}年本年支出合计是多少", r.spending_total / 100),
        (f"{r.region}{r.year}年{r.personnel[0][1]}是多少", r.personnel[0][2] / 100),
        (f"{r.unit}{r.year}年{r.public[0][1]}花了多少", r.public[0][2] / 100),
        (f"{r.unit}{r.year}年在职实有人数是多少", r.staff[1]),
        (f"{r.unit}{r.year - 1}年项目支出多少", None),  # a year the corpus does not hold
        # the all-funds figure, not the appropriation table's of the same row, unless appropriations are asked
        (f"{r.unit}{r.year}年总计支出", r.spending_total / 100),
        (f"{r.unit}{r.year}年{r.items[0].cls_name}", _class_sum(r.items, r.items[0].cls_code, False) / 100),
        (f"{r.unit}{r.year}年收入决算表中办公楼维修的本年收入合计是多少", None),  # a row it lacks, not the total
    ]


@pytest.mark.parametrize("k", range(len(LAYOUTS)), ids=LAYOUTS)
def test_metadata_and_answers_on_unseen_reports(synthetic, k):
    engine, reports = synthetic
    layout, r = reports[k]
    meta = {(m.unit_name, m.year) for m in engine.index.reports.values()}
    assert (r.unit, r.year) in meta
    for question, want in questions(r):
        resp = engine.ask(question)
        if want is None:
            assert not resp.found and not resp.values, question
        else:
            assert resp.found and resp.values[0].value == pytest.approx(want, abs=0.011), (question, resp.answer)
            assert resp.citations[0].unit_name == r.unit


def test_comparison_over_unseen_reports(synthetic):
    engine, reports = synthetic
    resp = engine.ask("这三个单位中，哪个的基本支出最多？")
    top = max(reports, key=lambda x: x[1].basic_total)[1]
    assert resp.found and top.unit in resp.answer.split("。")[0]
    assert resp.values[0].value == pytest.approx(top.basic_total / 100, abs=0.011)


# ---------------------------------------------------------------- other templates and unit types
OTHER_TEMPLATES = [("chongqing", "txt"), ("sichuan", "md"), ("keyvalue", "md"), ("guangxi", "txt"),
                   ("cover", "pdf"), ("dot", "pdf"), ("department", "txt"), ("filename", "md")]


@pytest.fixture(scope="module")
def templated(tmp_path_factory):
    from bench.synth_templates import variant

    files, reports = {}, []
    for k, (template, fmt) in enumerate(OTHER_TEMPLATES):
        exp, data, r = variant(11, k, template, fmt)
        files[exp.file_name] = data
        reports.append((exp, r))
    return engine_over(tmp_path_factory.mktemp("templated"), files), reports


def test_other_templates_metadata_in_the_index(templated):
    engine, reports = templated
    by_file = {r.source_file: r for r in engine.index.reports.values()}
    for exp, _ in reports:
        got = by_file[exp.file_name]
        assert (got.unit_name, got.region, got.year) == (exp.unit, exp.region, exp.year), exp
        assert got.metadata_source["unit_name"] == ("file name" if exp.template == "filename" else "text")
        assert exp.unit in got.aliases


@pytest.mark.parametrize("k", range(len(OTHER_TEMPLATES)), ids=[f"{t}-{f}" for t, f in OTHER_TEMPLATES])
def test_other_templates_answered(templated, k):
    engine, reports = templated
    exp, r = reports[k]
    resp = engine.ask(f"{r.unit}{r.year}年项目支出多少")
    assert resp.found and resp.values[0].value == pytest.approx(r.project_total / 100, abs=0.011), resp.answer
    assert resp.citations[0].source_file == exp.file_name
    assert (resp.citations[0].page is not None) == (exp.fmt == "pdf")


@pytest.mark.parametrize("template", ["hubei", "chongqing", "guangxi"])
def test_pdf_and_text_give_the_same_facts(template):
    """A generated PDF (ruled tables, page footers, tables over page breaks) and the text it was made
    from give the same table facts."""
    from bench.synth_templates import TEMPLATES, text_of, variant
    from indexer.parser import parse_document
    from indexer.readers import read_bytes

    exp, data, r = variant(5, TEMPLATES.index(template), template, "pdf")
    pdf = parse_document(read_bytes(data, "r.pdf"))
    txt = parse_document(read_bytes(text_of(r, template, False).encode("utf-8"), "r.txt"))

    def key(p):
        return {(f.table, f.row_code, f.row_name, f.column, f.value) for f in p.facts}

    assert len(txt.facts) > 100 and key(pdf) == key(txt)
    assert (pdf.report.unit_name, pdf.report.year) == (txt.report.unit_name, txt.report.year) == (exp.unit, exp.year)


@pytest.mark.parametrize("template", ["hubei", "chongqing", "sichuan", "keyvalue", "guangxi"])
@pytest.mark.parametrize("fmt", ["txt", "md"])
def test_every_code_table_cell_of_other_templates(template, fmt):
    """Every figure of the generated 收入/支出/财政拨款支出 tables is read into its own row and column."""
    from bench.synth import _code_tables
    from bench.synth_templates import TEMPLATES, variant
    from indexer.lexicon import match_table_name
    from indexer.numbers import to_float
    from indexer.parser import parse_document
    from indexer.readers import read_bytes

    exp, data, r = variant(1, TEMPLATES.index(template), template, fmt)
    parsed = parse_document(read_bytes(data, exp.file_name))
    got: dict[tuple[str, str], dict[str, float]] = {}
    for f in parsed.facts:
        if f.row_code:
            got.setdefault((f.table, f.row_code), {})[f.column.split("/")[-1]] = f.value
    cells = 0
    for t in _code_tables(r):
        name, columns = match_table_name(t.title), t.header[0][2:]
        for row in (row for row in t.rows if row[0].isdigit()):
            for column, raw in zip(columns, row[2:]):
                if raw.strip():
                    cells += 1
                    assert got.get((name, row[0]), {}).get(column) == pytest.approx(to_float(raw)), (name, row[:2], column)
    assert cells > 50


def test_budget_from_the_stated_variance_and_no_actual_for_a_budget(tmp_path):
    """A budget stated only as the final account's variance is derived with both inputs cited; a
    budget the report never states is "not found", never the final account."""
    text = ("嘉禾县林业局2020年度部门决算\n\n第二部分 2020年度部门决算情况说明\n\n七、“三公”经费支出决算情况说明\n"
            "“三公”经费支出决算合计 6.20 万元，与预算相比减少 0.80 万元；与上年相比增加 1.10 万元。\n"
            "机关运行经费支出 35.60 万元，比上年增加 2.00 万元。\n")
    engine = engine_over(tmp_path, {"嘉禾县林业局_2020.txt": text.encode("utf-8")})
    r = engine.ask("嘉禾县林业局2020年“三公”经费的预算数是多少？")
    assert r.found and r.values[0].derived and r.values[0].value == pytest.approx(7.0)
    assert [v.value for v in r.values[1:]] == [pytest.approx(6.2), pytest.approx(0.8)]
    assert "6.20 + 0.80" in r.answer
    r = engine.ask("嘉禾县林业局2020年机关运行经费预算是多少")
    assert not r.found and r.values == [] and "35.60" in r.answer
    r = engine.ask("嘉禾县林业局2020年三公经费是多少")
    assert r.found and r.values[0].value == pytest.approx(6.2)
