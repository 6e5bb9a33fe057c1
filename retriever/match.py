"""Finding the figure a question asks for: the signals of table facts, and the word helpers the
signals of figures stated in prose (`match_prose.py`) share.

Every candidate is scored on how much of the question its row / column / table (or its words
in the sentence) cover, whether its unit is the one asked for, and whether its cell is certain.
"""
from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass, field
from typing import Optional

from indexer.aliases import in_order
from indexer.layouts.cells import SUB_ITEM_RE
from indexer.lexicon import alternation, load, squash, table_specs
from indexer.models import Fact

from . import rank
from . import thresholds as th
from .prose import ProseFigure
from .index import ROW_ORDINAL
from .query import FLOWS, Question, plain, subject_of

_LEX = load("questions.json")
GENERIC_BIGRAMS = frozenset(_LEX["generic_bigrams"])  # question bigrams that name no figure
_AMOUNT_WORDS = re.compile(alternation(_LEX["amount_words"], longest_first=True))
_VALUE_ASPECTS = tuple(_LEX["value_aspect_words"])  # 支出决算, 预算数: a clause naming which value is no bare one
_ASPECT_WORDS = re.compile(alternation(_VALUE_ASPECTS + tuple(_LEX["budget_words"]), longest_first=True))
_BUDGET = tuple(_LEX["budget_words"])
_MONEY_UNITS = frozenset(_LEX["money_units"])  # 万元, 元
_ACTUAL_LABEL = tuple(_LEX["actual_label_words"])
_SIBLING_PREFIXES = tuple(_LEX["sibling_row_prefixes"])
_VALUE_COLUMNS = frozenset(_LEX["value_columns"])
# words that state a change in a clause (比上年增加, 少了, 增幅)
_CHANGE_STATED = tuple(_LEX["change_words"] + _LEX["direction_words"]["up"] + _LEX["direction_words"]["down"])
_FORMS = _LEX["question_word_forms"]
_TABLE_TAIL = re.compile("(" + alternation(_FORMS["table_name_tail"], longest_first=True) + ")$")
_BARE_TOTALS = tuple(_LEX["whole_column_words"])  # 合计, 小计, 总计: a row named by its being a total
_YEAR = r"((?:19|20)\d\d)\s*年度?"  # a year heading a column (2021年决算数)
_YEAR_HEAD = re.compile("^" + _YEAR)
_COLUMN_YEAR = re.compile(_YEAR)
_COUNT_WORD = _FORMS["figure_kind_suffix"]  # 数 of 预算数, 执行数
_TITLE_NOISE = re.compile(r"^\d{4}\s*年度?|" + alternation(_FORMS["title_noise"]) + r"|\s")  # names no subject


@lru_cache(maxsize=1 << 17)
def bigrams(s: str) -> frozenset[str]:
    """Character bigrams of the CJK/alphanumeric text (cached: row and column labels repeat)."""
    s = re.sub(r"[^\u4e00-\u9fff0-9A-Za-z%]", "", s)
    return frozenset(s[i:i + 2] for i in range(len(s) - 1))


@lru_cache(maxsize=1 << 16)
def clause_bigrams(s: str) -> frozenset[str]:
    """Bigrams of a sentence's text within its clauses ("比上年，支出合计" has no 年支), a joint
    abbreviation read in full as well ("收、支总计" is 收入总计 and 支出总计)."""
    return frozenset().union(*(bigrams(part) for part in _CLAUSE_SEP.split(_joint_spelled_out(s))))


def _joint_spelled_out(s: str) -> str:
    for m in _JOINT.finditer(s):
        s += "；" + "；".join(f"{full}{m.group(2)}" for full in _JOINT_FORMS[m.group(1)])
    return s


_JOINT_FORMS: dict[str, list[str]] = _LEX["joint_abbreviations"]
_JOINT = re.compile(f"({alternation(list(_JOINT_FORMS), longest_first=True)})([\u4e00-\u9fff]{{2,6}})")


_CLAUSE_SEP = re.compile(r"[，；;。：:、]|(?<!\d),|,(?!\d{3}(?!\d))")  # not the comma of 2,177.55


def coverage(part: str, whole: str) -> float:
    """Share of `part`'s bigrams that occur in `whole`."""
    b = bigrams(part)
    if not b:
        return 0.0
    w = bigrams(whole)
    return len(b & w) / len(b)


@dataclass
class Candidate:
    kind: str  # table | prose
    report_id: str
    value: float
    raw: str
    unit: str
    label: str
    chunk_id: Optional[str]
    line_start: int
    line_end: int
    score: float
    table: str = ""
    column: str = ""
    row_name: str = ""
    fact: Optional[Fact] = None
    prose: Optional[ProseFigure] = None
    features: dict[str, float] = field(default_factory=dict)  # the signals behind `score` (rank.py)
    asked: frozenset = frozenset()  # the question's bigrams a table cell's row name holds (rank.rival)


def clean_row(name: str) -> str:
    """A row's name without its ordinal (（一）) and the 其中： marking a sub-item."""
    name = ROW_ORDINAL.sub("", squash(name))
    return SUB_ITEM_RE.sub("", name, count=1) or name


def same_unit(a: str, b: str) -> bool:
    if a == b:
        return True
    eq = load("questions.json")["unit_equivalents"]
    return b in eq.get(a, []) or a in eq.get(b, [])


def _unit_signals(q: Question, unit: str) -> dict[str, float]:
    if not q.unit:
        return {}
    if same_unit(unit, q.unit) or q.unit_implied and {q.unit, unit or "万元"} <= _MONEY_UNITS:
        return {"unit_same": 1.0}  # an amount asked in no unit: in the report's own (元 or 万元)
    if unit and {q.unit, unit} <= _MONEY_UNITS:
        return {}  # an amount in the other money unit: the same amount, converted when answered
    if q.unit == "万元" and not unit:
        return {"unit_other_money": 1.0}  # a bare number for an amount
    return {"unit_other_kind": 1.0}  # another kind of quantity is never the answer


def score_fact(q: Question, f: Fact) -> tuple[float, dict[str, float]]:
    """The fact's score and the signals behind it (see `rank.score`)."""
    evidence, checks = fact_features(q, f)
    return rank.score("table", evidence, checks)


def fact_features(q: Question, f: Fact) -> tuple[dict[str, float], dict[str, float]]:
    """What a table fact has of the question: (label evidence, checks applied once there is evidence).
    Each value is a plain signal (a flag, a coverage, a count); `rank.FACT_WEIGHTS` weighs them."""
    lex, of_change = load("questions.json"), change_cell(f)
    core = without_change_words(q.core) if of_change else q.core
    row = clean_row(f.row_name)
    seg = squash(f.column).split("/")[-1]
    x: dict[str, float] = {}
    row_hit = False
    if q.codes and f.row_code:
        row_hit = f.row_code in q.codes
        x["code_hit" if row_hit else "code_other"] = 1.0
    # 合计 inside 本年收入合计 names the column, not the row (nor the column inside the row, below)
    row_core = core.replace(seg, " ") if seg and row != seg and row in seg else core
    if not row_hit and row and len(row) >= 2 and _row_named(row_core, plain(row)):
        x["row_in_question"], x["row_in_question_chars"] = 1.0, min(len(row), th.ROW_CHARS_CAP)
        row_hit = True
    elif not row_hit and len(row) >= 4:
        short = shortened_in(row_core, plain(row))
        if short:  # "商品服务支出" for 商品和服务支出: the row's words in order, some left out
            x["row_shortened"], x["row_shortened_chars"] = 1.0, min(len(short), th.ROW_CHARS_CAP)
            row_hit = True
    if not row_hit:
        x["row_overlap"] = max(coverage(row, row_core), coverage(row_core, row)) ** 2  # either side's in the other
        x.update(_row_words(q, row, seg, of_change))
    for t in q.terms:
        if squash(t) == row:
            x["term_is_row"] = x.get("term_is_row", 0.0) + 1.0
            row_hit = True
        elif squash(t) == seg:
            x["term_is_column"] = x.get("term_is_column", 0.0) + 1.0
    col_core = core.replace(row, " ") if row and seg != row and seg in row else core  # and 合计 of 本年支出合计 the row
    said = seg if seg in col_core else _without_count_word(seg)  # 预算 names the 预算数 column
    if said and said in col_core:
        x["column_in_question"], x["column_in_question_chars"] = 1.0, len(said)
        if "/" in f.column and squash(f.column).split("/")[0] in col_core:
            x["column_group_in_question"] = 1.0
    elif lex["default_columns"].get(f.table) in (f.column, seg):
        x["default_column"] = 1.0
    if not row_hit and row in lex["total_rows"] and seg and seg in core and seg not in _VALUE_COLUMNS \
            and not subject_of(core.replace(seg, " ")):  # (not "X的本年收入合计", a row X the table may lack)
        x["total_row_of_column"] = 1.0  # "项目支出多少" means the total row of the 项目支出 column
    elif not row_hit and row in lex["total_rows"] and _names_the_table(core, seg, f):
        x["total_row_of_table"] = 1.0  # "三公经费决算数": the 合计 row of the 三公经费 table
    title_name = _TITLE_NOISE.sub("", f.table_title)
    title_cov = coverage(title_name, q.norm) if len(title_name) >= 2 else 0.0
    if title_cov >= 0.6:
        x["title_overlap"] = title_cov
    return x, _fact_checks(q, f, row, title_cov)


def _without_count_word(seg: str) -> str:
    """A column named by its figure kind and 数 (预算数, 执行数) without the 数; "" for other columns."""
    return seg[:-1] if len(seg) >= 3 and seg.endswith(_COUNT_WORD) else ""


def _names_the_table(core: str, seg: str, f: Fact) -> bool:
    """The question's words, less the fact's column, are all words of the table's name (three
    characters at least: 支出 alone names many tables)."""
    said = seg if seg in core else _without_count_word(seg)
    subject = plain(core.replace(said, " ") if said and said in core else core).replace(" ", "")
    subject = _TOTAL_WORDS.sub("", subject)  # "…支出一共": the table's total
    return len(subject) >= 3 and coverage(subject, f"{squash(f.table)}{squash(f.table_title)}") == 1.0


_TOTAL_WORDS = re.compile(alternation(load("questions.json")["sum_follow_up_words"], longest_first=True))


def without_change_words(core: str) -> str:
    """The core without the words a change column explains ("财政拨款收入增加": 财政拨款收入)."""
    return _CHANGE_WORDS.sub(" ", core)


_CHANGE_WORDS = re.compile(alternation(_CHANGE_STATED, longest_first=True))


@lru_cache(maxsize=1024)
def _change_positions(core: str) -> frozenset[int]:
    """Positions of the plain core held by change words (增加, 减少了)."""
    return frozenset(i for m in _CHANGE_WORDS.finditer(plain(core)) for i in range(m.start(), m.end()))


def _outside_row(q: Question, row: str) -> str:
    """The question's core without the row's name, when the row is named in full."""
    return q.core.replace(plain(row), " ") if len(row) >= 4 and plain(row) in q.core else q.core


def _implied_by_the_row_only(q: Question, c: Candidate) -> bool:
    """The unit was read only from words inside this candidate's row name, which the question names: 万元
    from its amount words (年度财政资金总额), or a unit from its noun (对口帮扶人数 → 人)."""
    if q.asks_change or "row_in_question" not in c.features:
        return False
    rest = _outside_row(q, clean_row(c.row_name))
    if q.unit_implied:
        return not any(w in rest for w in _LEX["amount_words"])
    return bool(q.unit_word) and q.unit_word in clean_row(c.row_name) and q.unit_word not in rest


def _lift_unit_penalty(c: Candidate) -> None:
    c.score -= rank.weighed("table", {"unit_other_kind": c.features.pop("unit_other_kind")})


def column_named_by_meaning(q: Question, cands: list[Candidate]) -> None:
    """The column the question names in other words (评分 → 得分, `meaning.py`) sets the unit asked of a
    row whose own name is the only amount word ("年度财政资金总额评分": 分, not 万元)."""
    for c in cands:
        if c.features.get("column_meaning", 0.0) > 0 and "unit_other_kind" in c.features \
                and _implied_by_the_row_only(q, c):
            _lift_unit_penalty(c)


def _rows_without_the_implied_unit(q: Question, cands: list[Candidate]) -> None:
    """A row named in full whose own words are the only amount words of the question, and which holds no
    cell in 万元 ("为人大代表对区财政预算提供便捷的监督方式", a % row): 万元 was never asked of it, so its
    cells lose the other-unit penalty. A row with a 万元 cell (基本支出) keeps it on its % cells."""
    if not q.unit_implied:
        return  # (a unit read from a noun of the row, 人数, is left to the column, column_named_by_meaning)
    units: dict[tuple, set] = {}
    for c in cands:
        units.setdefault((c.report_id, c.table, c.row_name), set()).add(c.unit or "万元")
    for c in cands:
        if "unit_other_kind" in c.features and _implied_by_the_row_only(q, c) \
                and not any(same_unit(u, q.unit) for u in units[(c.report_id, c.table, c.row_name)]):
            _lift_unit_penalty(c)


def _row_named(core: str, row: str) -> bool:
    """The row's name stands in the question, not as the tail of a sibling's name (其他行政事业单位医疗
    is not 行政事业单位医疗)."""
    return any(not core[:m.start()].endswith(_SIBLING_PREFIXES) for m in re.finditer(re.escape(row), core)) \
        if not row.startswith(_SIBLING_PREFIXES) else row in core


def _row_words(q: Question, row: str, column: str, of_change: bool = False) -> dict[str, float]:
    """The question's words found in the row and column in any order ("服务类采购" → 政府采购服务支出):
    the share of its words found, when two or more of them are in the row itself (a change word, 增加,
    left out for a column of changes)."""
    words = [w for w in q.words if w not in GENERIC_BIGRAMS and not (of_change and w in _CHANGE_STATED)]
    found = [w for w in words if w in row or w in column]
    if sum(w in row for w in found) >= 2:
        return {"row_words": len(found) / len(words)}
    return {}


def _other_column_named(q: Question, f: Fact, row: str) -> bool:
    """The question names a column of the index that is not this fact's, nor like it (本年支出合计 for
    占本年支出比重), nor a word of its row or of its table's name (基本支出 of 基本支出决算明细表)."""
    seg = squash(f.column).split("/")[-1]
    own = f"{row}{squash(f.table)}{squash(f.table_title)}"
    return any(c not in own and c not in seg and seg not in c and coverage(c, seg) < 0.5
               for c in q.columns_named)


_FLOW_VERBS = load("questions.json")["flow_verbs"]


def _column_of_the_other_flow(q: Question, column: str) -> bool:
    """The column (or a sentence's clause) names one flow (本年收入合计) and the question only the
    other (一般公共服务支出)."""
    said = [k for k in FLOWS if k in q.core] or [k for k, verbs in _FLOW_VERBS.items() if any(v in q.norm for v in verbs)]
    return len(said) == 1 and any(k in column for k in FLOWS if k not in said)


def _fact_checks(q: Question, f: Fact, row: str, title_cov: float) -> dict[str, float]:
    """Signals against a fact that has evidence: another table named, another unit, words left unexplained."""
    lex = load("questions.json")
    y: dict[str, float] = {}
    if q.table:
        y["table_named" if f.table == q.table else "table_other"] = 1.0
    elif f.table in lex["all_funds_tables"] and not any(w in q.norm for w in lex["appropriation_words"]):
        y["all_funds_table"] = 1.0
    y.update(_unit_signals(q, f.unit))
    # a column of changes says the question's 增加 / 减少 for its rows
    of_change = change_cell(f)
    framing = q.framing | _change_positions(q.core) if of_change else q.framing
    seg = squash(f.column).split("/")[-1]
    apart = (*q.columns_named, seg, _without_count_word(seg)) if row in _BARE_TOTALS else ()
    key = key_bigrams(q, framing, tuple(c for c in apart if c))
    label_text = f"{f.table}{f.table_title}{f.row_name}{f.column}"
    if key:  # question words the fact's table, row and column do not explain
        y["question_unexplained"] = len(key - bigrams(label_text)) / len(key)
    y["unexplained_chars"] = unexplained_chars(q, label_text, framing)
    y["quantity_unsaid"] = quantity_unsaid(q, f"{label_text}{f.row_code or ''}")
    if not y["unexplained_chars"] and not y.get("question_unexplained"):
        y["all_explained"] = 1.0  # every word of the question is the table's, row's or column's
    y.update(concept_signals(q, label_text))
    # a total row of a table outside the template is about that table: 三公经费's 合计 is no 本年支出合计
    about = f.table_title if row in lex["total_rows"] and f.table not in _template_tables() else ""
    y["label_unasked"] = unasked_count(q, row + about)
    y["scope_itself"] = scope_itself(q, row)
    budget = _budget_signals(q, f.column)
    if "budget_missing" in budget and not any(w in _outside_row(q, row) for w in _BUDGET):
        budget = {}  # the words of a row named in full say which row, not whether a budget is asked
    y.update(budget)
    if _other_column_named(q, f, row):
        y["column_other"] = 1.0
    group, _, seg = squash(f.column).rpartition("/")
    if _column_of_the_other_flow(q, seg):
        y["column_other_flow"] = 1.0
    elif group and _column_of_the_other_flow(q, group):
        y["column_group_other_flow"] = 1.0  # a 支出 question, a cell under 收入 (收入/金额): another figure
    if not q.asks_change and of_change:
        y["change_unasked"] = 1.0  # a 较上年增减 column answers only a question about change
    if f.uncertain:
        y["uncertain_cell"] = 1.0
    y.update(_column_year(q, f))
    return {k: v for k, v in y.items() if v}


def _column_year(q: Question, f: Fact) -> dict[str, float]:
    """A column headed by a year ("2020年决算数" in a report of 2021): the year asked, or the report's
    own when none is; an earlier year's column holds last year's figure (column_year_earlier, which
    weighs nothing: derive.states_last_year reads it)."""
    m = _COLUMN_YEAR.search(f.column)
    own = next((r.year for r in q.reports if r.report_id == f.report_id), None)
    if m is None or own is None:
        return {}
    year = int(m.group(1))
    out = {"column_year_earlier": 1.0} if year < own else {}
    if year not in (q.years or [own]):
        out["column_other_year"] = 1.0
    return out



@lru_cache(maxsize=1 << 16)
def shortened_in(text: str, name: str) -> str:
    """The longest run of `text` that shortens `name`: it starts with one of the name's first two
    characters and ends with its last, the rest follow the name in order, and it keeps at least half
    of the name (津补贴 for 津贴补贴, 个人家庭补助 for 对个人和家庭的补助)."""
    if len(name) < 4 or name[-1] not in text:
        return ""
    best = ""
    for start in (i for i, ch in enumerate(text) if ch in name[:2]):
        for stop in range(len(text), start + 2, -1):
            run = text[start:stop]
            if len(run) <= len(best):
                break
            if run[-1] == name[-1] and len(run) * 2 >= len(name) and in_order(run, name):
                best = run
                break
    return best


@lru_cache(maxsize=1)
def _template_tables() -> frozenset[str]:
    return frozenset(spec["name"] for spec in table_specs())


def key_bigrams(q: Question, framing: Optional[frozenset[int]] = None, apart: tuple[str, ...] = ()) -> set[str]:
    """The question's bigrams that may name the figure: not generic, not touching a framing word
    (`framing`: positions of the plain core, the question's own by default), nor across the edge of
    a column name of `apart` (三公经费|决算数, for a bare 合计 row, whose label cannot join the two as a
    row name before its column does)."""
    framing = q.framing if framing is None else framing
    core = plain(q.core) if framing else q.core
    content = "".join(" " if i in framing else ch for i, ch in enumerate(core))
    for col in apart:
        content = content.replace(col, f" {col} ")
    return set().union(*(bigrams(part) for part in content.split())) - GENERIC_BIGRAMS


_FUNDS = re.compile(alternation(_LEX["fund_names"], longest_first=True))


def budget_label(label: str) -> bool:
    """A budget figure's label (预算数), not the final account's (决算数, 执行数); the 预算 of a fund's name
    (一般公共预算财政拨款) is none."""
    label = _FUNDS.sub("", label)
    return any(w in label for w in _BUDGET) and not any(w in label for w in _ACTUAL_LABEL)


@lru_cache(maxsize=256)
def _asks_budget(core: str) -> bool:
    """The question core names a budget, not only a fund (一般公共预算财政拨款); once per question."""
    return any(w in _FUNDS.sub("", core) for w in _BUDGET)


def _budget_signals(q: Question, label: str) -> dict[str, float]:
    """Asked about money spent (no 预算 in the question): a budget figure is not the answer."""
    label = _FUNDS.sub("", label)
    asks_budget = _asks_budget(q.core)
    if not asks_budget and budget_label(label):
        return {"budget_unasked": 1.0}
    if asks_budget and not any(w in label for w in _BUDGET):
        return {"budget_missing": 1.0}
    return {}


def concept_signals(q: Question, label: str, wider: str = "") -> dict[str, float]:
    """Domain terms the question names that the figure's label lacks (or holds only in its sentence)."""
    label, wider = plain(label), plain(wider)
    equivalents = load("questions.json")["concept_equivalents"]
    out = {"concept_missing": 0.0, "concept_in_sentence_only": 0.0}
    for c in q.concepts:
        forms = [c] + equivalents.get(c, [])
        if not any(f in label for f in forms):
            out["concept_in_sentence_only" if any(f in wider for f in forms) else "concept_missing"] += 1.0
    return {k: min(v, _CONCEPTS_COUNTED) for k, v in out.items()}


_CONCEPTS_COUNTED = 3.0  # domain terms missing from a label count up to this many


def _concepts_absent(q: Question, text: str) -> float:
    """Domain terms of the question of which the text holds not even a word (三公经费 asked, a sentence
    on the whole department's 完成预算 99.38%): a figure of something else."""
    equivalents = load("questions.json")["concept_equivalents"]
    said = bigrams(text)
    return min(_CONCEPTS_COUNTED, sum(1.0 for c in q.concepts  # by its own words: 经费 of 三公经费 is every item's
                                      if not any(bigrams(_AMOUNT_WORDS.sub(" ", f)) & said
                                                 for f in [c] + equivalents.get(c, []))))


def unasked_count(q: Question, label: str) -> float:
    """Label coverage the other way: domain terms of the figure's own label that the question does
    not ask about (政府采购 in 政府采购支出总额 when 支出总额 is asked), at most two."""
    return float(min(2, len(_unasked(q, label))))


def _narrower(q: Question, unasked: list[str]) -> bool:
    """A term of the label the question does not ask (`_unasked`) names an item the question shares no
    word with (三公经费 for 支出合计), not a value's aspect (决算数) nor a fuller name of what is asked
    (本年收入合计 for 收入)."""
    core = bigrams(q.core)
    return any(not bigrams(c) & core and not _ASPECT_WORDS.fullmatch(c) for c in unasked)


def _unasked(q: Question, label: str) -> list[str]:
    """The domain terms of `label` the question does not ask about, nor an equivalent of them."""
    label = plain(label)
    if not label or not q.vocab:
        return []
    asked = plain(q.core) + "".join(plain(t) for t in q.terms) + "".join(q.concepts)
    equivalents = load("questions.json")["concept_equivalents"]
    extra = [c for c in q.vocab.concepts(label)
             if c not in asked and not _ASPECT_WORDS.fullmatch(c) and not any(c in equivalents.get(a, []) or a in equivalents.get(c, [])
                                           for a in q.concepts)
             and not any(a in c for a in q.concepts)
             and not (q.scope and coverage(c, plain(q.scope) + "|" + plain(q.core)) >= 0.7)]  # 政府采购…中服务类
    return extra


def unexplained_runs(q: Question, label: str, framing: Optional[frozenset[int]] = None) -> list[str]:
    """Runs of two or more characters of the question core that no bigram of the label covers, nor a
    generic question word, nor a framing word ("评分" left over when the label says 得分)."""
    core, known = plain(q.core), bigrams(label)
    framing = q.framing if framing is None else framing
    covered = [i in framing for i in range(len(core))]
    for i in range(len(core) - 1):
        if core[i:i + 2] in known or core[i:i + 2] in GENERIC_BIGRAMS:
            covered[i] = covered[i + 1] = True
    return re.findall(r"[\u4e00-\u9fff]{2,}", "".join(" " if c else ch for ch, c in zip(core, covered)))


def quantity_unsaid(q: Question, text: str) -> float:
    """1 when the question names a quantity as part of the figure's name (单价50万元以上的设备) that `text`
    does not hold (单价100万元以上的设备), else 0."""
    said = squash(text)
    return float(any(n not in said for n in _QUANTITY_NAMED.findall(plain(q.core))))


_QUANTITY_NAMED = re.compile(r"\d+(?:\.\d+)?")


def unexplained_chars(q: Question, label: str, framing: Optional[frozenset[int]] = None) -> float:
    """How many characters of the question the label leaves unexplained (`unexplained_runs`, at most 8)."""
    return float(min(8, sum(len(r) for r in unexplained_runs(q, label, framing))))


def scope_itself(q: Question, label: str) -> float:
    """"A中，B是多少": 1 when the figure is A itself and its label does not also say B."""
    if not q.scope or plain(q.scope) not in plain(label):
        return 0.0
    own = key_bigrams(q) - bigrams(q.scope)  # the words of B that A does not already say
    return 1.0 if own and not own & bigrams(label) else 0.0


def _states_change_in_row(f: Fact) -> bool:
    """A row whose own name is a change (本年增加), whatever its column."""
    return any(w in f.row_name for w in _LEX["change_words"])


def change_cell(f: Fact) -> bool:
    """A cell in a column of changes (较上年增减额, 变动额, 增减幅度)."""
    return any(w in f.column for w in _LEX["change_words"])


def table_candidates(q: Question, facts: list[Fact]) -> list[Candidate]:
    out, key = [], bigrams(q.core) - GENERIC_BIGRAMS
    for f in facts:
        of_change = change_cell(f)
        if q.asks_change != (of_change or _states_change_in_row(f)):
            continue  # a change (较上年增减额) answers only a question about change, and only a change does
        if q.vs_budget and of_change and not any(w in f.column for w in _BUDGET):
            continue  # a change against the budget is not one against last year (比上年增减)
        sc, features = score_fact(q, f)
        label = clean_row(f.row_name) or f.column
        parts = squash(f.column).split("/")
        seg = parts[-1]
        if len(parts) > 1 and budget_label(parts[-2]) and not budget_label(seg):
            seg = f"{parts[-2]}{seg}"  # 预算数/合计: the budget's total, not the actual's
        if label in _BARE_TOTALS and (not seg or _YEAR_HEAD.sub("", seg) in _VALUE_COLUMNS or budget_label(seg)
                                      or seg in _BARE_TOTALS):
            label = f"{_TABLE_TAIL.sub('', squash(f.table))}{label}"  # 合计 of the 三公 table: 三公经费支出合计
        plain_value = _YEAR_HEAD.sub("", seg) in _VALUE_COLUMNS and not features.get("column_year_earlier")
        if seg and seg not in label and not plain_value:  # not the report's own 2022年决算数; 2021年决算数 is
            label = f"{label}·{seg}" if label not in _BARE_TOTALS else seg
        out.append(Candidate("table", f.report_id, f.value, f.raw, f.unit, label, f.chunk_id, f.line,
                             f.line_end, sc, f.table, f.column, f.row_name, fact=f, features=features,
                             asked=key & bigrams(f.row_name)))
    _rows_without_the_implied_unit(q, out)
    return out
