"""Every threshold of the answering path, in one place.

The table-cell accept threshold and the confidence curve are fitted on generated questions
(`python -m bench.fit`, held-in templates only) and stored in `fitted.json` beside this file; the
defaults below apply when no fit is present.
"""
from __future__ import annotations

import json
from pathlib import Path

_FITTED = Path(__file__).with_name("fitted.json")
_fit = json.loads(_FITTED.read_text(encoding="utf-8")) if _FITTED.is_file() else {}


def fitted(name: str) -> dict:
    """A fitted group of values (e.g. ranking weights), empty when none was fitted."""
    value = _fit.get(name)
    return dict(value) if isinstance(value, dict) else {}


ACCEPT: float = 3.0  # a candidate below this score is no answer (prose figures, derived inputs)
ACCEPT_TABLE: float = max(ACCEPT, float(_fit.get("accept_table", ACCEPT)))  # a table cell answered alone
CONF_MID: float = float(_fit.get("conf_mid", 3.0))  # score at which confidence is 0.5
CONF_SLOPE: float = float(_fit.get("conf_slope", 0.8))  # logistic slope of confidence over score
MARGIN: float = float(_fit.get("margin", 0.0))  # a lookup must beat any other value by this much
ROW_CHARS_CAP: int = 8  # a row named in full counts its characters up to this many (longer adds no certainty)
EVIDENCE_MIN: float = 1.5  # a table cell's weighted row/column/table evidence below this: checks cannot lift it
CANDIDATE_CHUNKS: int = 40  # chunks of the resolved reports the BM25 index hands to the ranker
SUPPORT: float = 2.0  # /verify: a candidate of the same value this strong supports a claim
TIE: float = 1e-6  # two scores this close are equal: the ranker prefers neither
SAME_VALUE: float = 0.011  # two figures written to 2 decimals are the same figure
SLIP: float = 0.001  # two figures of one name this close (relative) are one figure misprinted once
NEARBY_LINES: int = 30  # sentences this many lines apart speak of one thing (a 三公 item and its parts)
NAME_MIN: int = 4  # question words this long that a figure's label leaves unsaid name something of their own
PASSAGE_MIN: float = 0.45  # share of the question's key words a quoted sentence must hold
