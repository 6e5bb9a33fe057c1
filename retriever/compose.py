"""Composing answers: the sentence, the values with their citations, derived arithmetic, and
"not found" that says what is missing and what is available instead."""
from __future__ import annotations

import re
from typing import Optional

from indexer.models import AnswerValue, AskResponse, Choice, Citation
from indexer.numbers import decimals, format_amount

from .index import LoadedIndex
from .match import Candidate
from .money import MONEY, converted, in_unit
from .query import Question
from . import thresholds as th


def citation(index: LoadedIndex, chunk_id: str, cid: str, score: float) -> Citation:
    c = index.by_id[chunk_id]
    r = index.reports[c.report_id]
    # source_file is relative to the corpus (the build stores it so); a PDF passage carries its page
    return Citation(id=cid, chunk_id=c.chunk_id, report_id=c.report_id, unit_name=r.unit_name, year=r.year,
                    source_file=r.source_file, section=c.section, kind=c.kind, text=c.text,
                    line_start=c.line_start, line_end=c.line_end, score=round(float(score), 4), page=c.page)


def who(index: LoadedIndex, report_id: str) -> str:
    r = index.reports[report_id]
    return f"{r.unit_name or r.region or ''}{r.year or ''}年度"


def _fmt(c: Candidate) -> str:
    raw = c.raw.rstrip("%％").strip()
    if c.value < 0 and not raw.startswith("-"):  # (1.30), －20.30 as tables write them: said with a minus
        raw = format_amount(c.value, decimals(re.sub(r"[^\d.]", "", raw)))
    if c.unit and raw.endswith(c.unit):  # a quantity cell written with its unit ("12 次")
        raw = raw[: -len(c.unit)].strip()
    return f"{raw}{c.unit}" if c.unit != "%" else f"{raw}%"


def confidence(score: float) -> float:
    """Map a candidate score to (0, 1): 3 → ~0.5, 6 → ~0.9."""
    import math

    return round(1.0 / (1.0 + math.exp(-(score - th.CONF_MID) * th.CONF_SLOPE)), 3)


def _source(c: Candidate) -> str:
    if c.kind == "table":
        return f"（{c.table}）"
    return "（情况说明）"


def _value(c: Candidate, cid: str, derived: bool = False, formula: Optional[str] = None,
           label: Optional[str] = None) -> AnswerValue:
    return AnswerValue(value=c.value, unit=c.unit or "万元" if c.kind == "table" else c.unit or "",
                       label=label or c.label, report_id=c.report_id, citation_id=cid,
                       derived=derived, formula=formula)


def _in_asked_unit(q: Question, c: Candidate) -> tuple[Optional[AnswerValue], str]:
    """An amount asked in the other money unit than the report states it in ("多少万元" of a figure in
    元): the value in the unit asked and its wording, the report's own figure kept beside it."""
    own = c.unit or "万元"
    if q.unit_implied or q.unit not in MONEY or own not in MONEY or own == q.unit:
        return None, _fmt(c)
    value = converted(c.value, own, q.unit)
    said = f"{format_amount(value, 2 if MONEY[q.unit] > MONEY[own] else 0)}{q.unit}"  # 万元 to the cent, 元 whole
    return (AnswerValue(value=round(value, 6), unit=q.unit, label=c.label, report_id=c.report_id, citation_id="c1",
                        derived=True, formula=f"{_fmt(c)} = {said}"), f"{said}（报告所列{_fmt(c)}）")


def _decrease(q: Question, c: Candidate) -> str:
    """A change asked about and stated negative, said in words as well (-20.30万元，即减少20.30万元)."""
    if not q.asks_change or c.value >= 0:
        return ""
    shown = _fmt(c).lstrip("-")
    return f"，即{'下降' if c.unit == '%' else '减少'}{shown}"


def lookup(q: Question, best: Candidate, cands: list[Candidate], index: LoadedIndex, top_k: int) -> AskResponse:
    cites = [citation(index, best.chunk_id, "c1", best.score)]
    converted, said = _in_asked_unit(q, best)
    values = [converted, _value(best, "c1")] if converted is not None else [_value(best, "c1")]
    answer = f"{who(index, best.report_id)}{best.label}{said}{_decrease(q, best)}{_source(best)}。"
    # The same concept stated elsewhere with another figure (e.g. appropriation-only table).
    other = _sibling(best, cands)
    if other is not None:
        cites.append(citation(index, other.chunk_id, "c2", other.score))
        values.append(_value(other, "c2"))
        answer += f"另见{other.table or '情况说明'}：{other.label}{_fmt(other)}。"
    return AskResponse(question=q.text, found=True, answer=answer, values=values, citations=cites,
                       confidence=confidence(best.score))


def with_slip(resp: AskResponse, slip: Candidate, index: LoadedIndex) -> AskResponse:
    """A lookup whose figure the report writes once otherwise (a misprint): that place cited as well."""
    cid = f"c{len(resp.citations) + 1}"
    resp.citations.append(citation(index, slip.chunk_id, cid, slip.score))
    resp.answer += f"报告另一处写作{_fmt(slip)}，按报告中多处一致的数字作答。"
    return resp


def _sibling(best: Candidate, cands: list[Candidate]) -> Optional[Candidate]:
    if best.kind != "table":
        return None
    for c in cands[1:12]:
        if (c.kind == "table" and c.table != best.table and c.report_id == best.report_id
                and c.label == best.label and abs(c.value - best.value) > th.SAME_VALUE and c.score >= th.ACCEPT):
            return c
    return None


def per_report(q: Question, cands: list[Candidate], index: LoadedIndex) -> AskResponse:
    """No single report named: the best figure of each report, each with its own citation."""
    seen: dict[str, Candidate] = {}
    for c in cands:
        if c.score >= th.ACCEPT and c.report_id not in seen:
            seen[c.report_id] = c
    ordered = sorted(seen.values(), key=lambda c: -c.score)
    values, cites, parts = [], [], []
    for i, c in enumerate(ordered, start=1):
        cid = f"c{i}"
        cites.append(citation(index, c.chunk_id, cid, c.score))
        values.append(_value(c, cid))
        parts.append(f"{who(index, c.report_id)}{c.label}{_fmt(c)}")
    return AskResponse(question=q.text, found=True, answer="；".join(parts) + "。", values=values,
                       citations=cites, confidence=confidence(ordered[0].score) if ordered else 0.0)


def together(q: Question, answers: list[AskResponse]) -> AskResponse:
    """Several answers in one response (one per report, or per figure asked): their citations
    renumbered, their values pointing to them."""
    values, cites, parts = [], [], []
    for a in answers:
        ids = {}
        for c in a.citations:
            ids[c.id] = f"c{len(cites) + 1}"
            cites.append(c.model_copy(update={"id": ids[c.id]}))
        for v in a.values:
            values.append(v.model_copy(update={"citation_id": ids.get(v.citation_id, v.citation_id),
                                               "inputs": [ids.get(i, i) for i in v.inputs]}))
        parts.append(a.answer.rstrip("。"))
    found = [a for a in answers if a.found]
    return AskResponse(question=q.text, found=bool(found), answer="；".join(parts) + "。", values=values,
                       citations=cites, confidence=min((a.confidence for a in found), default=0.0))


def comparison(q: Question, cands: list[Candidate], index: LoadedIndex, minimum: bool) -> AskResponse:
    """Which report has the highest (lowest) figure for the concept asked about."""
    best_per: dict[str, Candidate] = {}
    for c in cands:
        if c.report_id not in best_per:
            best_per[c.report_id] = c
    stated = [c for c in best_per.values() if c.score >= th.ACCEPT]
    unit = _common_unit(q, stated)
    pool = [(c, in_unit(c, unit)) for c in stated]  # each figure with its value in the one unit compared
    pool = [(c, v) for c, v in pool if v is not None]
    if len(pool) < 2:
        return not_found(q, "无法在两份以上的报告中找到可比较的数字", index)
    pool.sort(key=lambda cv: cv[1].value, reverse=not minimum)
    win, win_v = pool[0]
    values, cites = [], []
    for i, (c, _) in enumerate(pool, start=1):
        cid = f"c{i}"
        cites.append(citation(index, c.chunk_id, cid, c.score))
        values.append(_value(c, cid))
    word = "最低" if minimum else "最高"
    detail = "，".join(f"{who(index, c.report_id)}{_said_in(c, v)}" for c, v in pool)
    tied = [c for c, v in pool if abs(v.value - win_v.value) <= th.SAME_VALUE]
    if len(tied) > 1:  # no report is higher: say they are level, name none the winner
        names = "、".join(who(index, c.report_id) for c in tied)
        answer = f"{names}并列{word}，{win.label}均为{_said_in(win, win_v)}。各报告：{detail}。"
    else:
        answer = f"{who(index, win.report_id)}{word}（{win.label}{_said_in(win, win_v)}）。各报告：{detail}。"
    if "difference" in q.ops and len(pool) == 2:  # "…哪个更多？多多少？"
        other, other_v = pool[1]
        gap = abs(win_v.value - other_v.value)
        places = 2 if all(abs(round(x, 2) - x) < 1e-9 for x in (win_v.value, other_v.value)) else 4  # 1.236万元
        formula = f"{format_amount(win_v.value, places)} - {format_amount(other_v.value, places)}"
        values.insert(0, AnswerValue(value=round(gap, places), unit=unit or "万元", label=f"{win.label}之差",
                                     report_id=win.report_id, citation_id="c1", derived=True, formula=formula,
                                     inputs=["c1", "c2"]))
        lead = f"两者{win.label}相同" if len(tied) > 1 else f"{who(index, win.report_id)}更{'少' if minimum else '多'}"
        answer = (f"{lead}，{who(index, win.report_id)}{_said_in(win, win_v)}，"
                  f"{who(index, other.report_id)}{_said_in(other, other_v)}，"
                  f"相差{format_amount(gap, places)}{unit or '万元'}（{formula}）。")
    return AskResponse(question=q.text, found=True, answer=answer, values=values, citations=cites,
                       confidence=min(confidence(c.score) for c, _ in pool))


def _common_unit(q: Question, cands: list[Candidate]) -> Optional[str]:
    """The unit figures of several reports are compared in: the money unit asked, else the one most of
    them are stated in (万元 on a tie); the unit of the best figure for other kinds."""
    if not cands:
        return None
    units = [c.unit or "万元" for c in cands]
    if not all(u in MONEY for u in units):
        return cands[0].unit or None
    if q.unit in MONEY and not q.unit_implied:
        return q.unit
    return max(MONEY, key=lambda u: (units.count(u), u == "万元"))


def _said_in(c: Candidate, v: Candidate) -> str:
    """A figure as the report states it, and in the unit compared when that is another
    (12,360.00元（即1.2360万元）)."""
    if (c.unit or "万元") == (v.unit or "万元"):
        return _fmt(c)
    return f"{_fmt(c)}（即{format_amount(v.value, 4 if MONEY[v.unit] > MONEY[c.unit or '万元'] else 0)}{v.unit}）"


def missing_figure(q: Question) -> str:
    who = "、".join(f"{r.unit_name or r.region}{r.year}年度" for r in q.reports[:8])
    return f"{who}的报告中未找到“{q.core or q.text}”对应的数字"


MAX_CHOICES = 20


def choose(q: Question, index: LoadedIndex) -> AskResponse:
    """Several reports fit the question equally: not found, with the reports to pick from."""
    picks = sorted(q.choices, key=lambda r: (r.unit_name or "", -(r.year or 0)))[:MAX_CHOICES]
    names = "、".join(f"{r.unit_name or r.region or r.report_id}{r.year or ''}年度" for r in picks)
    answer = f"问题可能指以下多份报告：{names}。请指明单位和年度，或点选其中一份。"
    return AskResponse(question=q.text, found=False, answer=answer,
                       choices=[Choice(report_id=r.report_id, unit_name=r.unit_name, year=r.year) for r in picks])


def _where(c: Candidate) -> str:
    """The table by its own title (which names the project), else its kind, else the text."""
    title = " ".join((c.fact.table_title if c.fact is not None else "").split())
    return title or c.table or "正文"


def undecided(q: Question, best: Candidate, other: Candidate, index: LoadedIndex) -> AskResponse:
    """Two figures fit the question about equally: name both, with their rows, and answer neither."""
    cites = [citation(index, c.chunk_id, f"c{i + 1}", c.score) for i, c in enumerate((best, other))]
    opts = "；".join(f"{c.label} {_fmt(c)}（{_where(c)}，第{c.line_start}行）" for c in (best, other))
    answer = f"未能确定：报告中不止一个数字符合“{q.core or q.text}”——{opts}。请说明要哪一个（例如表名、项目名或栏目）。"
    return AskResponse(question=q.text, found=False, answer=answer, values=[], citations=cites, confidence=0.0)


def not_found(q: Question, why: str, index: LoadedIndex) -> AskResponse:
    answer = f"未找到：{why}。"
    if not q.reports and index.reports:
        have = "、".join(sorted({f"{r.unit_name or r.region}{r.year}年" for r in index.reports.values()}))
        answer += f"现有报告：{have}。"
    return AskResponse(question=q.text, found=False, answer=answer, values=[], citations=[], confidence=0.0)
