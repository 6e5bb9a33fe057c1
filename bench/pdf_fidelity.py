"""How faithfully PDF tables are read: every synthetic template printed in every PDF style of
`synth_pdf.py`, its facts parsed and compared with the facts parsed from the same report as text.

    python -m bench.pdf_fidelity                 # seeds 5 6 7, every template and style
    python -m bench.pdf_fidelity --seeds 11 --styles unruled --show 5

A fact is (table, row code, row name, column) → value. "missing" are facts of the text the PDF does
not give, "extra" facts the PDF gives and the text does not (a misplaced figure shows as one of each),
"different" the same fact with another value; "metadata" counts reports whose unit or year differs.
"""
from __future__ import annotations

import argparse
import logging
import time
from collections import defaultdict
from typing import Optional

from indexer.parser import parse_document
from indexer.readers import read_bytes

from .synth_pdf import STYLES, styled_pdf
from .synth_templates import TEMPLATES, text_of, variant

Key = tuple[str, str, str, str]


def facts(data: bytes, name: str) -> tuple[dict[Key, float], tuple]:
    parsed = parse_document(read_bytes(data, name))
    out = {(f.table, f.row_code or "", f.row_name, f.column): f.value for f in parsed.facts if f.kind == "table"}
    return out, (parsed.report.unit_name, parsed.report.year)


def compare(seed: int, k: int, template: str, style: str) -> dict:
    _, _, report = variant(seed, k, template, "txt")
    text, meta_text = facts(text_of(report, template, False).encode("utf-8"), f"r{k}.txt")
    pdf, meta_pdf = facts(styled_pdf(report, template, style), f"r{k}.pdf")
    return {
        "facts": len(text),
        "missing": [f for f in text if f not in pdf],
        "extra": [f for f in pdf if f not in text],
        "different": [f for f in text if f in pdf and abs(text[f] - pdf[f]) > 1e-6],
        "metadata": meta_text != meta_pdf,
    }


def run(seeds: list[int], styles: list[str], show: int = 0) -> dict[str, dict[str, int]]:
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for style in styles:
        for seed in seeds:
            for k, template in enumerate(TEMPLATES):
                res = compare(seed, k, template, style)
                t = totals[style]
                t["reports"] += 1
                t["facts"] += res["facts"]
                for key in ("missing", "extra", "different"):
                    t[key] += len(res[key])
                    for f in res[key][:show]:
                        print(f"  {style} seed {seed} {template} {key}: {f}")
                t["metadata"] += res["metadata"]
    return totals


def _main(argv: Optional[list[str]] = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.pdf_fidelity", description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[5, 6, 7])
    ap.add_argument("--styles", nargs="+", choices=STYLES, default=list(STYLES))
    ap.add_argument("--show", type=int, default=0, help="print up to N differing facts per report")
    a = ap.parse_args(argv)
    logging.disable(logging.WARNING)  # the column solver's notes on odd rows
    t0 = time.perf_counter()
    totals = run(a.seeds, a.styles, a.show)
    print("| PDF style | reports | facts (text) | missing | extra | different | metadata differs |")
    print("|---|---|---|---|---|---|---|")
    for style, t in totals.items():
        print(f"| {style} | {t['reports']} | {t['facts']} | {t['missing']} | {t['extra']} | {t['different']} "
              f"| {t['metadata']} |")
    print(f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    _main()
