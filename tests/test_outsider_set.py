"""Reports and questions written by an outsider (a helper session that read the domain notes and the
evaluation format, never the code) in the twelfth session: four templates no other fixture has — a
Guangdong town in Markdown with 行次 and 调整预算数 columns, a Beijing 区委办公室 with 类/款/项 columns and
a 三公 table in 预算数/决算数 sections, a Zhejiang hospital in 元 with text rules (----), a Shaanxi bureau
with its tables in an appendix and "-" cells — two of them also as PDF files. The session's fixes were
found on these questions, so they steer rather than measure; here they guard against a return of the
wrong numbers they found (answers from the wrong column, a budget read as the final account)."""
from __future__ import annotations

from pathlib import Path

import pytest

from indexer.parser import parse_file
from tests.test_generalize import gold_over_seeds

ROOT = Path(__file__).resolve().parents[1]
OUTSIDER = ROOT / "tests" / "fixtures" / "outsider"


@pytest.fixture(scope="module")
def overall(tmp_path_factory):
    return gold_over_seeds(tmp_path_factory.mktemp("outsider"), OUTSIDER,
                           ROOT / "tests" / "fixtures" / "outsider_questions.jsonl")


def test_no_wrong_number_and_no_figure_of_another_report(overall):
    assert overall["wrong_number_rate"] == 0.0 and overall["wrong_report"] == 0, overall
    assert overall["abstention_unanswerable"] == 1.0


def test_most_outsider_questions_are_answered(overall):
    assert overall["accuracy"] >= 0.85, overall


@pytest.mark.parametrize("name", ["中共北京市燕平区委员会办公室_2022", "宁川县农业农村局_2024"])
def test_the_pdf_reads_as_its_text(name):
    text = next(p for p in OUTSIDER.iterdir() if p.is_file() and p.stem == name)

    def cells(path: Path) -> set:
        return {(f.table, f.row_name, f.column, f.value) for f in parse_file(path).facts if f.kind == "table"}

    from_text, from_pdf = cells(text), cells(OUTSIDER / "pdf" / f"{name}.pdf")
    assert len(from_text) > 200 and from_pdf == from_text


def test_the_beijing_sangong_table_keeps_budget_and_final_apart():
    t = next(t for t in parse_file(OUTSIDER / "中共北京市燕平区委员会办公室_2022.txt").tables if t.name == "三公经费支出决算表")
    values = {c.column: c.value for r in t.rows for c in r.cells}
    assert values["预算数/合计"] == 42.0 and values["决算数/合计"] == 31.58
    assert values["决算数/公务接待费"] == 3.12
