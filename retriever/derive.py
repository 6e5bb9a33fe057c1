"""Derived figures: previous-year values, shares, sums, net changes and budgets (differences and ratios
in pairs.py, their inputs in inputs.py), each computed from cited figures with the arithmetic shown. Returns None when an input cannot be found with confidence —
the engine then falls back to a plain lookup or "not found", never to a guess."""
from __future__ import annotations

import re
from typing import Optional

from indexer.lexicon import alternation, load
from indexer.models import AskResponse
from indexer.numbers import format_amount

from .compose import not_found, who
from .inputs import (Finder, against_last_year, change_column, decided_input, derived_response, direction,
                     direction_of, fmt, states_change, states_last_year)
from .match import Candidate, bigrams, budget_label, clean_row
from .money import MONEY, in_unit, money_unit
from .pairs import difference, difference_match, ratio, ratio_match
from .relations import TOTAL_WORDS
from .query import Question, plain, subquestion
from . import thresholds as th

_WORDS = load("questions.json")["derivations"]
_DIRECTION_WORDS = load("questions.json")["direction_words"]
_DIRECTIONS = sorted(_DIRECTION_WORDS["up"] + _DIRECTION_WORDS["down"], key=len, reverse=True)


# ------------------------------------------------------------------ previous year


def wants_previous_year(q: Question) -> bool:
    report_years = {r.year for r in q.reports}
    earlier = [y for y in q.years if y not in report_years and any(y < ry for ry in report_years if ry)]
    asks_value = not q.asks_change or "previous_year" in q.ops
    return bool(earlier or ("previous_year" in q.ops and not _asks_rate(q))) and asks_value


def _asks_rate(q: Question) -> bool:
    return q.unit == "%"


_PREVIOUS_WORDS = re.compile(alternation(load("questions.json")["ops"]["previous_year"], longest_first=True))


def previous_year(q: Question, find: Finder, index) -> Optional[AskResponse]:
    r = q.single
    if r is None:
        return None
    mu = money_unit(index, r.report_id)
    core = _PREVIOUS_WORDS.sub("", q.core) or q.core  # "三公经费上一年": this year's 三公经费 and its change
    levels = find(subquestion(q, core, index))
    if decided_input(levels, r.report_id, mu, states_last_year) is not None:
        return None  # the report states last year's figure (上年决算数, a 2020年 column): the lookup gives it
    current = decided_input(levels, r.report_id, mu, lambda c: direction(c) == 0 and not change_column(c)
                            and not states_last_year(c))
    if current is None:
        return None
    changes = find(subquestion(q, core, index, asks_change=True))
    # a table row states its own change in a column (较上年增减额): the row of this figure, or of
    # the table cell the prose figure restates
    rows = [c for c in levels + changes if c.fact is not None and c.report_id == r.report_id
            and not change_column(c) and abs(c.value - current.value) < th.SAME_VALUE and c.score >= th.ACCEPT]
    for base in ([current] if current.fact is not None else []) + rows:
        row_delta = next((c for c in changes if c.fact is not None and change_column(c)
                          and c.fact.table == base.fact.table and c.fact.row_name == base.fact.row_name
                          and c.report_id == r.report_id and "%" not in c.raw), None)
        if row_delta is not None:
            return _previous_from(q, index, r, base, row_delta, 1 if row_delta.value >= 0 else -1)
    # The change stated in the current figure's own sentence corroborates itself ("合计5.48万元，…与上年
    # 相比增加1.55万元"); another sentence of the passage states other items' changes.
    delta = next((m for m in (in_unit(c, mu) for c in changes) if m is not None and m.report_id == r.report_id
                  and m.prose is not None and current.prose is not None and m.score >= 0.5
                  and m.prose.sentence == current.prose.sentence and against_last_year(m)), None)
    if delta is None:
        delta = decided_input(changes, r.report_id, mu, lambda c: c.kind == "prose" and against_last_year(c))
    if delta is None or abs(delta.value - current.value) < th.SAME_VALUE and delta.line_start == current.line_start:
        return None  # one figure read as both the value and its change
    return _previous_from(q, index, r, current, delta, direction(delta))



def _previous_from(q: Question, index, r, current: Candidate, delta: Candidate, sign: int) -> AskResponse:
    """Last year's value = this year's value minus the stated change (each input cited)."""
    mu = money_unit(index, r.report_id)
    amount = abs(delta.value)
    value = current.value - sign * amount
    label = clean_row(current.fact.row_name) if current.fact is not None else current.label
    op, change = "-" if sign > 0 else "+", fmt(delta).lstrip("+-−")
    formula = f"{fmt(current)} {op} {change}"
    year = (r.year - 1) if r.year else None
    sentence = (f"按{who(index, r.report_id)}决算说明推算，{year}年度{label}约为"
                f"{format_amount(value)}{mu}（{formula}；本年{fmt(current)}{mu}，较上年"
                f"{'增加' if sign > 0 else '减少'}{change}{mu}）。")
    return derived_response(q, index, value, mu, f"{year}年度{label}", formula, [current, delta], sentence)




# ------------------------------------------------------------------ share
def _share_parts(q: Question) -> tuple[str, str, str]:
    """The part, the whole and the scope the part is read in of "A占B的比例" ("政府采购中服务类占多少": 服务类
    of 政府采购); all "" when the question is not so worded."""
    if _WORDS["share_word"] not in q.core:
        return "", "", ""
    a_text, b_text = q.core.split(_WORDS["share_word"], 1)
    b_text = re.sub(_WORDS["share_tail_pattern"], "", b_text)
    scope = q.scope
    scoped = re.match(load("questions.json")["scope_infix"], a_text)
    if scoped:  # "政府采购中工程类采购占…": the part is the words after its scope, the whole the scope
        scope, a_text, b_text = scoped.group(1), scoped.group(2), b_text or scoped.group(1)  # (…占多少)
    b_text = b_text or scope  # "基本支出里，人员经费占多大比例": of the scope
    return (a_text, b_text, scope) if a_text and b_text else ("", "", "")


def stated_share_of_part(q: Question, c: Candidate) -> bool:
    """A share the report states of the question's part: its sentence holds the part's words, or the
    part's words hold its row's name (a 100% said of another figure is no answer)."""
    a_text = _share_parts(q)[0]
    if not a_text:
        return True
    about = _covers(a_text, c.prose.local) if c.prose is not None else _covers(plain(c.row_name), a_text)
    return about >= 0.85 and _is_share(c.prose.clause + c.unit if c.prose is not None else c.column)


def share(q: Question, find: Finder, index) -> Optional[AskResponse]:
    r = q.single
    a_text, b_text, scope = _share_parts(q)
    if r is None or not a_text:
        return None
    mu = money_unit(index, r.report_id)
    direct = decided_input(find(q), r.report_id, "%")
    if direct is not None and stated_share_of_part(q, direct):
        return None  # a plain lookup answers it with the report's own figure
    parts = find(subquestion(q, a_text, index, unit=mu))
    a = decided_input(parts, r.report_id, mu)
    if scope and (a is None or not _in_scope(a, scope)):  # 服务类 of 政府采购, not a 服务项目 elsewhere
        named = _AMOUNT_END.sub("", _TOTAL_END.sub("", scope)) + a_text  # 政府采购支出总额中服务类: 政府采购服务类
        a = decided_input(find(subquestion(q, named, index, unit=mu)), r.report_id, mu) or a
    whole = subquestion(q, b_text, index, unit=mu)
    if b_text == scope:
        whole.scope = ""  # the scope is the whole itself, not where it is found
    b = decided_input(find(whole), r.report_id, mu)
    a = _part_beside(parts, b) or a
    if a is None or b is None:  # not computable: the share the report states of the part, of this whole
        return _stated_share(q, a_text, b_text, find, index)
    if q.table and any(c.kind != "table" or c.table != q.table for c in (a, b)):
        return None  # "X表中A占B": both from the table named, not a whole found elsewhere
    if b.value == 0 or a.value == b.value and _one_figure(a, b):
        return None
    if abs(a.value) > abs(b.value) + th.SAME_VALUE:
        return None  # a part larger than its whole: the whole found is not the part's
    places = 1 if any(w in q.norm for w in load("questions.json")["approx_words"]) else 2  # "约为多少": 72.6%
    value = round(a.value / b.value * 100, places)
    formula = f"{fmt(a)} / {fmt(b)} × 100%"
    sentence = (f"{who(index, r.report_id)}{a.label}{fmt(a)}{mu}，占{b.label}{fmt(b)}{mu}的"
                f"{value:.{places}f}%（{formula}）。")
    return derived_response(q, index, value, "%", f"{a.label}占{b.label}的比例", formula, [a, b], sentence)


_TOTAL_END = re.compile(f"(?:{alternation(TOTAL_WORDS, longest_first=True)})$")


_AMOUNT_END = re.compile(f"(?:{alternation(load('questions.json')['amount_words'], longest_first=True)})$")


def _part_beside(parts: list[Candidate], whole: Optional[Candidate]) -> Optional[Candidate]:
    """The part in the whole's own table and column group, when the part's rows in several tables tie
    (一般公共服务支出 in the 收入, 支出 and 财政拨款 tables) or another table's row was taken: a share
    is of one table's figures (the issue's 收入决算表 row over a 财政拨款 total was 100.01%)."""
    if whole is None or whole.fact is None or not parts:
        return None
    group = whole.column.split("/")[0]
    top = max(c.score for c in parts)

    def beside(c: Candidate) -> bool:  # the whole's column, another row; or its row, a column of its group
        return c.column == whole.column and c.row_name != whole.row_name \
            or c.row_name == whole.row_name and c.column != whole.column and c.column.split("/")[0] == group
    return next((c for c in parts if c.fact is not None and c.report_id == whole.report_id
                 and (c.fact.table, c.fact.table_title) == (whole.fact.table, whole.fact.table_title)
                 and beside(c) and c.score >= max(th.ACCEPT_TABLE, top - th.MARGIN)), None)


def _in_scope(c: Candidate, scope: str) -> bool:
    """The figure is said within the scope asked: its row, table or sentence speaks of it."""
    said = c.label + c.row_name + (c.fact.table_title if c.fact is not None else "") \
        + (c.prose.before + c.prose.sentence if c.prose is not None else "")
    return _covers(plain(scope), plain(said)) >= 0.5


def _one_figure(a: Candidate, b: Candidate) -> bool:
    """Two inputs that are one figure read twice (one row, or one clause of a sentence); a whole and its
    only part stated side by side (总额 2,027.38，其中：服务支出 2,027.38) are two."""
    if a.label == b.label:
        return True
    if a.prose is not None and b.prose is not None:
        return a.prose.clause == b.prose.clause and a.line_start == b.line_start
    return a.chunk_id == b.chunk_id and a.kind == b.kind == "table" and a.row_name == b.row_name


def _stated_share(q: Question, a_text: str, b_text: str, find: Finder, index) -> Optional[AskResponse]:
    """The part's share as the report states it ("卫生健康(类)支出 122.55 万元，占 2.81%"), when the whole
    it is of is the whole asked: named in its clause or column ("占本年支出合计的"), else, for a share
    naming no whole, in the title of the section that states it."""
    r = q.single
    stated = decided_input(find(subquestion(q, a_text + _WORDS["share_word"] + "比", index, unit="%")), r.report_id, "%")
    if stated is None or not stated_share_of_part(q, stated):
        return None
    own = stated.prose.clause if stated.prose is not None else stated.column
    whole = own.split(_WORDS["share_word"], 1)[-1] if _WORDS["share_word"] in own else ""
    whole = re.sub(_WORDS["share_tail_pattern"], "", plain(whole))
    where = whole or (index.by_id[stated.chunk_id].section if stated.chunk_id in index.by_id else "")
    if _covers(plain(b_text), plain(where)) < 0.85:
        return None
    sentence = f"{who(index, r.report_id)}{a_text}占{b_text}的{fmt(stated)}%（报告所列）。"
    return derived_response(q, index, stated.value, "%", f"{a_text}占{b_text}的比例", None, [stated], sentence)


def _is_share(label: str) -> bool:
    """A stated ratio of a part to its total (占…比重, 决算数为调整预算数的%), not a rate of change (增幅)."""
    lex = load("questions.json")
    ratio = any(w in label for w in lex["ops"]["share"]) or label.rstrip().endswith(("%", "％"))
    return ratio and not any(w in label for w in lex["change_words"])


def _covers(part: str, text: str) -> float:
    b = bigrams(part)
    return len(b & bigrams(text)) / len(b) if b else 0.0


# ------------------------------------------------------------------ sum
_QUOTED = re.compile(r"[“\"]([^”\"]+)[”\"]")


def _items(text: str, q: Question) -> list[str]:
    """The items of a sum, split at 和 / 与 / 、 / 及 — never inside a term of the index (商品和服务支出)."""
    inside = [False] * len(text)
    for term in q.vocab.concepts(text):
        for m in re.finditer(re.escape(term), text):
            inside[m.start():m.end()] = [True] * (m.end() - m.start())
    items, current = [], ""
    for ch, protected in zip(text, inside):
        if ch in _WORDS["sum_separators"] and not protected:
            items.append(current)
            current = ""
        else:
            current += ch
    return [it for it in items + [current] if it]


def _several_terms_totalled(q: Question) -> bool:
    """"工资福利支出和商品和服务支出合计": two or more items joined, one a term of the index (the split
    never cuts a term), then a total word."""
    tail = re.search(_WORDS["sum_tail_pattern"], q.core)
    items = _items(q.core[:tail.start()], q) if tail and not _quantity(tail.group(0)) else []
    return len(items) >= 2 and any(it in q.vocab for it in items)


def _quantity(tail: str) -> bool:
    """A total word followed by a number ("全年共计4份") words a row's name, not a sum asked."""
    return re.search(r"\d", tail) is not None


def _sum_items(q: Question) -> list[str]:
    """The items a sum question names (quoted, or split at 和/与/、 before 合计)."""
    items = _QUOTED.findall(q.norm)
    if len(items) >= 2:
        return items
    tail = re.search(_WORDS["sum_tail_pattern"], q.core)
    if tail is not None and _quantity(tail.group(0)):
        return []
    return _items(q.core[:tail.start()] if tail else q.core, q)


def total(q: Question, find: Finder, index) -> Optional[AskResponse]:
    r = q.single
    if r is None:
        return None
    items = _sum_items(q)
    if len(items) < 2:
        return None
    mu = money_unit(index, r.report_id)
    found = []
    for it in items:
        c = decided_input(find(subquestion(q, it, index, unit=mu)), r.report_id, mu)
        if c is None:
            return None
        found.append(c)
    value = sum(c.value for c in found)
    formula = " + ".join(fmt(c) for c in found)
    sentence = f"{who(index, r.report_id)}" + "、".join(f"{c.label}{fmt(c)}{mu}" for c in found) + \
        f"，合计{format_amount(value)}{mu}（{formula}）。"
    return derived_response(q, index, value, mu, "合计", formula, found, sentence)


# ------------------------------------------------------------------ net change
_NET_TAIL = re.compile(_WORDS["net_tail_pattern"])


def _net_items(q: Question) -> list[str]:
    """The items of a net-change question, empty unless two or more, as many as it counts."""
    m = _NET_TAIL.search(q.core)
    if m is None:
        return []
    items = _items(re.sub(_WORDS["net_lead"], "", q.core[:m.start()]), q)
    count = m.group("n")
    if len(items) < 2 or count and _WORDS["numerals"].get(count, int(count) if count.isdigit() else 0) != len(items):
        return []
    return items


def net_change(q: Question, find: Finder, index) -> Optional[AskResponse]:
    """"A增加、B减少和C减少三项相抵，净变化": each item's stated change, signed by the direction the
    report states (else the one the question gives), summed. None unless every item is found, as many
    as the question counts, and no direction the question gives contradicts the report's."""
    r = q.single
    items = _net_items(q)
    if r is None or not items:
        return None
    mu = money_unit(index, r.report_id)
    found, signs = [], []
    for it in items:
        name = it
        for w in _DIRECTIONS:
            name = name.replace(w, "")
        c = decided_input(find(subquestion(q, name, index, unit=mu, asks_change=True)), r.report_id, mu,
                  lambda c: change_column(c) or c.prose is not None and against_last_year(c))
        if c is None or len(name) < 2:
            return None
        asked, stated = direction_of(it), _stateddirection(index, c)
        if asked and stated and asked != stated:
            return None  # the question and the report disagree on the direction
        found.append(c)
        signs.append(stated or asked or 1)
    value = sum(s * abs(c.value) for s, c in zip(signs, found))
    amounts = [fmt(c).lstrip("+-−") for c in found]
    formula = ("-" if signs[0] < 0 else "") + amounts[0] + \
        "".join(f" {'-' if s < 0 else '+'} {a}" for s, a in zip(signs[1:], amounts[1:]))
    parts = "、".join(f"{c.label}{'增加' if s > 0 else '减少'}{a}{mu}" for s, c, a in zip(signs, found, amounts))
    sentence = f"{who(index, r.report_id)}{parts}，相抵后净{'增加' if value >= 0 else '减少'}" \
               f"{format_amount(abs(value))}{mu}（{formula}）。"
    return derived_response(q, index, value, mu, "净变化", formula, found, sentence)


def _stateddirection(index, c: Candidate) -> int:
    """The direction the report gives a change: its sign, the sentence's word, or a word in a text cell
    of the table row (变动方向: 减少); 0 when none is given."""
    if c.value < 0:
        return -1
    if c.prose is not None:
        return direction(c)
    chunk = index.by_id.get(c.chunk_id)
    text = chunk.text if chunk is not None else ""
    for named in (c.fact.table_title, c.fact.table, c.fact.row_name, c.fact.column):
        text = text.replace(named, "") if named else text
    return direction_of(text)


# ------------------------------------------------------------------ budget
_BUDGET_ASKED = re.compile(_WORDS["budget_asked_pattern"])


def budget(q: Question, find: Finder, index) -> Optional[AskResponse]:
    """A budget the report states only as the final account's variance ("决算5.48万元，与预算相比增加0万元"):
    budget = final account − the stated increase (each input cited). None when a budget figure is
    found as such (the lookup answers it); "not found" when only the final account is (it is no budget)."""
    r = q.single
    actual_text = _BUDGET_ASKED.sub("", q.core)
    if r is None or actual_text == q.core or len(actual_text) < 2:
        return None
    mu = money_unit(index, r.report_id)
    cands = find(q)
    if any(c.report_id == r.report_id and c.score >= th.ACCEPT and not c.features.get("budget_missing")
           and budget_label(c.column if c.prose is None else c.prose.clause) and not states_change(c)
           for c in cands[:20]):
        return None  # a budget figure is stated as such (decided or not, the lookup answers)
    sub = subquestion(q, actual_text, index, unit=mu)
    current = decided_input(find(sub), r.report_id, mu, lambda c: direction(c) == 0 and not change_column(c))
    if current is None:
        return None
    label = re.sub(_WORDS["final_account_tail"], "", current.label) or current.label
    missing = not_found(q, f"{who(index, r.report_id)}的报告只有{label}的决算数{fmt(current)}{mu}，未列出其预算数", index)
    if current.prose is None:
        return missing
    sub.asks_change = True
    delta = next((m for m in (in_unit(c, mu) for c in find(sub)) if m is not None
                  and m.chunk_id == current.chunk_id and m.prose is not None
                  and m.prose.sentence == current.prose.sentence and direction(m) != 0
                  and _BUDGET_ASKED.search(m.prose.clause)), None)
    if delta is None:
        return missing
    sign = direction(delta)
    value = current.value - sign * abs(delta.value)
    change = fmt(delta).lstrip("+-−")
    formula = f"{fmt(current)} {'-' if sign > 0 else '+'} {change}"
    sentence = (f"按{who(index, r.report_id)}决算说明推算，{label}预算数为{format_amount(value)}{mu}（{formula}；"
                f"决算{fmt(current)}{mu}，与预算相比{'增加' if sign > 0 else '减少'}{change}{mu}）。")
    return derived_response(q, index, value, mu, f"{label}预算数", formula, [current, delta], sentence)


def asked_derivation(q: Question) -> str:
    """The derivation the question calls for ("" for none), in the order they are tried."""
    if wants_previous_year(q):
        return "previous_year"
    if "net" in q.ops:
        return "net"
    if "share" in q.ops and q.unit == "%":
        return "share"
    if "ratio" in q.ops and ratio_match(q):
        return "ratio"
    if "difference" in q.ops and not q.asks_change:  # a stated change answers change questions
        return "difference"
    if "sum" in q.ops or _several_terms_totalled(q):
        return "sum"
    if _BUDGET_ASKED.search(q.core) and q.unit in (None, *MONEY) and not q.asks_change:
        return "budget"
    return ""


def computed_only(q: Question) -> str:
    """The derivation asked whose answer no single stated figure gives, bar one of its own kind:
    "share" (a share stated of the part), "difference" (a stated change or variance), "previous_year"
    (a figure stated as last year's), "sum" and "net" (none); "" for other questions. When `derive` finds no inputs for one, the lookup answers only with
    such a figure."""
    kind = asked_derivation(q)
    parsed = {"net": lambda: _net_items(q), "difference": lambda: difference_match(q),
              "sum": lambda: len(_sum_items(q)) >= 2, "share": lambda: _share_parts(q)[0],
              "previous_year": lambda: True, "ratio": lambda: True}
    return kind if kind in parsed and parsed[kind]() else ""



_DERIVATIONS = {"previous_year": previous_year, "net": net_change, "share": share, "difference": difference,
                "ratio": ratio, "sum": total, "budget": budget}


def several_asked(q: Question) -> list[str]:
    """The figures "A和B分别是多少" names, each to be answered on its own ([] for other questions)."""
    if not any(w in q.norm for w in load("questions.json")["several_words"]) or q.ops & {"sum", "share", "net"}:
        return []
    items = _items(q.core, q)
    return items if len(items) >= 2 and all(len(plain(i)) >= 2 for i in items) else []


def derive(q: Question, find: Finder, index) -> Optional[AskResponse]:
    """The first derivation the question calls for that can be computed from cited figures."""
    kind = asked_derivation(q)
    return _DERIVATIONS[kind](q, find, index) if kind else None
