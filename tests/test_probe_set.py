"""The team's own probe questions of the eleventh session (`tests/fixtures/probe_questions.jsonl`), over
the seed reports of `corpus/` and the invented reports of `tests/fixtures/probe/` (templates the other
fixtures lack: sides headed by their own names, accounts in 元, year columns, sentences only, two years
of one unit, PDFs). They found this session's gaps, so they steer rather than measure; here they guard
against a return of the wrong numbers they found. Hash embeddings: the dense ranking differs from the
product's, the figures must not."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_generalize import gold_over_seeds

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def overall(tmp_path_factory):
    return gold_over_seeds(tmp_path_factory.mktemp("probe"), ROOT / "tests" / "fixtures" / "probe",
                           ROOT / "tests" / "fixtures" / "probe_questions.jsonl")


def test_no_wrong_number_and_no_figure_of_another_report(overall):
    assert overall["wrong_number_rate"] == 0.0 and overall["wrong_report"] == 0, overall
    assert overall["abstention_unanswerable"] == 1.0


def test_the_probe_questions_are_answered(overall):
    assert overall["accuracy"] >= 0.95, overall
