"""Understanding a question: which report(s), which figure, which unit, which operation.

Vocabulary comes from lexicon/questions.json and from the indexed reports themselves (unit and
region names); nothing here knows any particular report.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import islice
from typing import Iterable, Iterator, Optional

from indexer.lexicon import alternation, fix_typos, load, squash, table_specs

from indexer.aliases import split_name

from .index import LoadedIndex, ReportRec
from .prose import LAST_YEAR, against_last_year
from .resolve import digit_years, higher_places, relative_offset, resolve, years_in
from .words import Vocabulary, apply_synonyms, blank_noise, split_words, strip_noise, terms_in

_FORMS = load("questions.json")["question_word_forms"]
_CODE = re.compile(r"(?<![\d.])(\d{3,7})(?![\d.]" + "".join(r"|\s*" + re.escape(w) for w in _FORMS["code_not_before"]) + ")")


def table_in(text: str) -> tuple[Optional[str], Optional[str]]:
    """The canonical table a question names, by its longest pattern found in the text."""
    best: tuple[Optional[str], Optional[str]] = (None, None)
    t = text.replace('"', "“")
    for spec in table_specs():
        for pat in spec["patterns"]:
            for variant in {pat, pat.replace("“", "").replace("”", "")}:
                if len(variant) >= 4 and variant in t and (best[1] is None or len(variant) > len(best[1])):
                    best = (spec["name"], variant)
    typo = _table_with_a_typo(t, len(best[1] or ""))
    return typo if typo[0] else best


def _table_with_a_typo(t: str, longer_than: int) -> tuple[Optional[str], Optional[str]]:
    """A table name written with two neighbouring characters swapped ("一般公共预算财拨政款支出决算表")
    or one character left out ("财政款收入支出决算总表"), read where the question says 表 (never a name
    another table has); the longest such name, as the question writes it."""
    ends = [j for j, ch in enumerate(t) if ch == "表"]
    best: tuple[Optional[str], Optional[str]] = (None, None)
    known = {pat for spec in table_specs() for pat in spec["patterns"]}
    for spec in table_specs() if ends else ():
        for pat in spec["patterns"]:
            if len(pat) < 8 or not pat.endswith("表") or len(pat) <= max(longer_than, len(best[1] or "")):
                continue
            for j in ends:
                for w in (t[max(0, j - len(pat) + 1):j + 1], t[max(0, j - len(pat) + 2):j + 1]):
                    if w not in known and (_swapped(w, pat) or _one_left_out(w, pat)):
                        best = (spec["name"], w)
    return best


def _swapped(w: str, pat: str) -> bool:
    diff = [k for k in range(len(w)) if w[k] != pat[k]] if len(w) == len(pat) else []
    return len(diff) == 2 and diff[1] == diff[0] + 1 and w[diff[0]] == pat[diff[1]] and w[diff[1]] == pat[diff[0]]


def _one_left_out(w: str, pat: str) -> bool:
    """`w` is `pat` without one of its characters (not its last, 表)."""
    return len(w) == len(pat) - 1 and any(pat[:k] + pat[k + 1:] == w for k in range(len(pat) - 1))


@dataclass
class Question:
    text: str
    norm: str  # typo-fixed, whitespace removed
    years: list[int] = field(default_factory=list)
    regions_named: list[str] = field(default_factory=list)  # places of the named reports
    reports: list[ReportRec] = field(default_factory=list)  # the reports the question is about
    mentions: list[str] = field(default_factory=list)  # words that name the reports
    choices: list[ReportRec] = field(default_factory=list)  # several reports fit; the user picks
    reasons: dict[str, str] = field(default_factory=dict)  # report_id → why it was chosen
    missing: Optional[str] = None  # why no report matches (for the not-found answer)
    unit: Optional[str] = None  # unit the question asks for
    unit_implied: bool = False  # `unit` is 万元 only because an amount word (支出, 资金) was used
    unit_word: Optional[str] = None  # the noun `unit` was read from (人数 → 人), none when asked (多少人)
    ops: set[str] = field(default_factory=set)
    terms: list[str] = field(default_factory=list)  # canonical terms (synonyms expanded)
    literal: bool = False  # read in its own words: no colloquial word replaced (`understand`)
    rewritten: bool = False  # a colloquial word of it was replaced by a term of the lexicon
    table: Optional[str] = None  # canonical table the question names ("基本支出决算表" → …明细表)
    codes: list[str] = field(default_factory=list)  # function / economic codes named
    core: str = ""  # question text without report, year and noise words
    concepts: list[str] = field(default_factory=list)  # domain terms the answer must be about
    vocab: "Vocabulary" = field(default_factory=lambda: Vocabulary(), repr=False)  # the index's domain terms
    scope: str = ""  # "A中，B": A narrows where B is found
    asks_change: bool = False  # 增加/减少/增长… asked about
    per_unit: str = ""  # "人均", "每次": a figure per person or item is asked
    negated: bool = False  # the part of a figure that is not something named ("不是财政拨款的部分")
    years_compared: list = field(default_factory=list)  # both reports of "2020年到2021年X变化了多少"
    value_word_free: str = ""  # the question without the 决算数 after its term ("项目支出决算数" → 项目支出)
    vs_last_year: bool = False  # "比上年" (与上年相比, 较去年…) asked: a signal, not figure words
    vs_budget: bool = False  # "比预算多多少": the change against the budget, not against last year
    framing: frozenset = frozenset()  # positions in `core` of words that frame the question (framing_in)
    words: tuple = ()  # the core's words that do not frame it (content_words)
    columns_named: tuple = ()  # column names of the index found in `core` (本年收入合计, 得分)

    @property
    def single(self) -> Optional[ReportRec]:
        return self.reports[0] if len(self.reports) == 1 else None


def understand(text: str, index: LoadedIndex, report_id: Optional[str] = None,
               year: Optional[int] = None, unit: Optional[str] = None,
               history: Optional[list[str]] = None, literal: bool = False) -> Question:
    """The question read against the index; `literal`: its own words, no colloquial word replaced by
    a term of the lexicon (for a report that words the figure as the question does)."""
    q = _understand(text, index, report_id, year, unit, history, literal=literal)
    if not history or q.codes:
        return q
    asked = _with_earlier_figures(text, q, index, history)
    if asked != text:  # the reports stay those the question itself was read to compare
        q = _understand(asked, index, report_id, year, unit, history, many=len(q.reports) > 1, literal=literal)
        q.text = text
    return q


def _with_earlier_figures(text: str, q: Question, index: LoadedIndex, history: list[str]) -> str:
    """A follow-up that names no figure ("那上一年呢", "占比多少") asks about the figure of the latest
    earlier question that named one; "两者相差多少" about the figures of the two latest."""
    lex = load("questions.json")
    both = next((w for w in lex["both_words"] if w in text), "")
    inside = next((w for w in lex["follow_up_scope_words"] if text.lstrip().startswith(w)), "")
    if inside:  # "其中服务类的呢": a part of the figure asked before
        earlier = next(_earlier_subjects(index, [h for h in history if not h.lstrip().startswith(inside)]), "")
        return f"{earlier}中{text.lstrip()[len(inside):]}" if earlier else text
    opening = text.lstrip()
    against = against_last_year(opening, q.single.year if q.single else None)  # 和21年比… → 比上年…
    if opening.startswith(_SHARE_OPENER) or (against.startswith(tuple(lex["follow_up_against"]))
                                             and not _NOT_AGAINST.match(opening)):
        # "占本年收入的比重": the share of the figure before; "比基本支出多多少": that figure against this one
        earlier = next(_earlier_subjects(index, history), "")
        return earlier + opening if earlier and not subject_of(q.core).startswith(earlier) else text
    if q.core in FLOWS:  # "收入总计" then "支出呢": the same figure of the other flow (支出总计)
        figure = _of_the_other_flow(q.core, next(_earlier_subjects(index, history), ""))
        if figure:
            return text.replace(q.core, figure, 1)
    former, latter = lex["former_latter"]  # "前者是后者的几倍": the two figures, in the order asked
    if former in text and latter in text:
        pair = [s for s, _ in islice(_earlier_figures(index, history), 2)]
        return text.replace(former, pair[1], 1).replace(latter, pair[0], 1) if len(pair) == 2 else text
    if subject_of(q.core.replace(both, "") if both else q.core):
        return text  # the question names its own figure(s) ("A和B两项合计")
    # "哪个多" of one report after two figures were asked: those two, side by side
    compared = len(q.reports) == 1 and bool(q.ops & {*lex["many_report_ops"], "difference"}) \
        and not q.asks_change and not _names_other_side(q.norm, lex)
    summed = any(w in q.norm for w in lex["sum_follow_up_words"])  # "合计多少" after two figures: their sum
    figures = list(islice(_earlier_figures(index, history), 2 if both or compared or summed else 1))
    subjects = [s for s, _ in figures]
    if summed and not both and len(subjects) == 2:
        return f"{subjects[1]}和{subjects[0]}{lex['ops']['sum'][0]}"
    if compared and figures and any(w in figures[0][1] for w in lex["several_words"]):
        return subjects[0] + text  # "A和B分别是多少" then "哪个多": those two
    if both and len(subjects) == 2:
        return text.replace(both, f"{subjects[1]}和{subjects[0]}", 1)
    if both:  # one figure of two reports ("那洪山区呢" then "两者相差多少"): that figure, between them
        text = text.replace(both, "", 1)
    if compared and len(subjects) == 2:
        return f"{subjects[1]}和{subjects[0]}{text}"
    return subjects[0] + _OPENER.sub("", text) if subjects else text


_LEX = load("questions.json")
_OPENER = re.compile(  # 那, 那么 opening a follow-up that goes on to name something
    r"^\s*(?:" + alternation(_LEX["follow_up_openers"], longest_first=True) + r")(?=[\u4e00-\u9fff\d]{2})")
_VALUE_ASKED = re.compile(f"(.{{2,}}?)的?(?:{alternation(_LEX['value_columns'], longest_first=True)})")
_REWRITES = [(re.compile(p), r) for p, r in _LEX["question_rewrites"]]
_VS_BUDGET = re.compile(  # 比预算, 与年初预算, 较调整后预算: a comparison with a budget
    f"[{_LEX['comparison_prefixes']}](?:{alternation(_LEX['budget_qualifiers'], longest_first=True)})?"
    f"(?:{alternation(_LEX['budget_words'])})")
_NOT_AGAINST = re.compile(alternation(load("questions.json")["follow_up_not_against"]))  # 比较…: a comparison asked
FLOWS = tuple(load("questions.json")["flow_kinds"])  # 收入, 支出: the two flows a figure is of


def _of_the_other_flow(flow: str, earlier: str) -> str:
    """`earlier` (收入总计) with its one word of the other flow replaced by `flow` (支出总计); "" when
    it names no other flow, or names `flow` already."""
    other = [k for k in FLOWS if k != flow and earlier.count(k) == 1 and flow not in earlier]
    return earlier.replace(other[0], flow) if other else ""


_SHARE_OPENER = tuple(w for w in load("questions.json")["ops"]["share"] if len(w) == 1)  # 占


def _earlier_subjects(index: LoadedIndex, history: list[str]) -> Iterator[str]:
    """The figures the earlier questions named, latest first, each once."""
    return (s for s, _ in _earlier_figures(index, history))


def _earlier_figures(index: LoadedIndex, history: list[str]) -> Iterator[tuple[str, str]]:
    """(figure, the question naming it) of the earlier questions, latest first, each figure once
    ("其中财政拨款收入呢" after a question on 收入合计 names 收入合计中财政拨款收入)."""
    seen = set()
    recent = history[-10:]
    scope_words = load("questions.json")["follow_up_scope_words"]
    for i in range(len(recent) - 1, -1, -1):
        h = recent[i].lstrip()
        inside = next((w for w in scope_words if h.startswith(w)), "")
        earlier = _understand(h[len(inside):], index, None, None, None, None)
        s = subject_of(earlier.core, earlier.concepts)
        if s and inside:
            outer = next(_earlier_subjects(index, recent[:i]), "")
            s = f"{outer}中{s}" if outer else s
        elif s in FLOWS:  # "支出呢" after "收入总计": 支出总计
            s = _of_the_other_flow(s, next(_earlier_subjects(index, recent[:i]), "")) or s
        if s and s not in seen:
            seen.add(s)
            yield s, recent[i]


def subject_of(core: str, terms: Iterable[str] = ()) -> str:
    """The words of a question core that name a figure: the core without aspect words (changes,
    budgets, shares, last year, units), follow-up and question words, except inside `terms`
    (预算 of 一般公共预算财政拨款收入, `_aspect_inside`); "" when no two characters of a word are left."""
    kept = [t for t in terms if t in core and _aspect_inside(t)]
    parts = re.split(f"({alternation(kept, longest_first=True)})", core) if kept else [core]
    rest = "".join(p if i % 2 else _ASPECT.sub(" ", p) for i, p in enumerate(parts))
    return plain(rest) if re.search(r"[\u4e00-\u9fff]{2}", rest) else ""


def _aspect_inside(term: str) -> bool:
    """The term's aspect words are its name's: inside it (预算 of 一般公共预算财政拨款收入) or a total word
    closing it (合计 of 本年收入合计), not one saying which value (预算数, 项目支出预算数)."""
    totals = load("questions.json")["follow_up_words"]
    found = list(_ASPECT.finditer(term))
    return bool(found) and all(0 < m.start() and (m.end() < len(term) or m.group(0) in totals) for m in found)


def _aspect_words() -> re.Pattern:
    lex = load("questions.json")
    words = lex["change_words"] + lex["budget_words"] + lex["side_words"] + lex["follow_up_words"] \
        + lex["ops"]["share"] + lex["ops"]["previous_year"] + lex["ops"]["sum"] + lex["ops"]["difference"] \
        + lex["derivations"]["absolute_difference_words"] + list(lex["relative_years"]) + lex["question_noise"] \
        + [w for ws in lex["direction_words"].values() for w in ws] + [w for w, _ in lex["units"]] \
        + lex["aspect_particles"] + lex["ops"]["list"] + lex["list_questions"]["ask_after_noun"] \
        + lex["value_aspect_words"]
    return re.compile(alternation(words, longest_first=True))


_ASPECT = _aspect_words()


def _understand(text: str, index: LoadedIndex, report_id: Optional[str], year: Optional[int], unit: Optional[str],
                history: Optional[list[str]], many: bool = False, literal: bool = False) -> Question:
    lex = load("questions.json")
    norm = _rewritten(squash(fix_typos(text)))
    many = many or any(w in norm for op in lex["many_report_ops"] for w in lex["ops"][op]) \
        or any(w in norm for w in lex["many_report_words"]) \
        or bool(history) and any(w in norm for w in lex["ops"]["difference"]) \
        and not subject_of(_without_both(norm, lex)) and not _names_other_side(norm, lex)  # "多多少" after two units
    res = resolve(text, index.names, history=history, report_id=report_id, year=year, unit=unit, many=many)
    norm_focus = _rewritten(squash(fix_typos(digit_years(focus(text, lex)))))
    q = Question(text=text, norm=reliance(norm_focus, lex, index.vocab), years=res.years,
                 regions_named=res.regions_named, reports=res.reports, mentions=res.mentions, choices=res.choices,
                 reasons=res.reasons, missing=res.missing)
    q.literal = literal
    q = _finish(q, lex, index.vocab)
    if years_in(norm) and (relative_offset(norm) or 0) < 0:
        q.ops.add("previous_year")  # "2020年公务接待费去年花了多少": the year before the one named
    _two_figures_compared(q, lex)
    if q.ops & set(lex["many_report_ops"]):  # "哪个更多？多多少？": the follow-up asks the gap
        q.ops |= {op for op in ("difference",) if any(w in norm for w in lex["ops"][op])}
        unit, word = _unit_of(blank_noise(norm, lex), lex)
        if "difference" in q.ops and unit and (q.unit is None or q.unit_implied):  # "多多少元": the gap in 元
            q.unit, q.unit_word, q.unit_implied = unit, word, False
    elif "difference" in q.ops and len(q.reports) > 1 and len(q.concepts) <= 1 and not q.asks_change:
        q.ops.add("compare")  # one figure of several reports, a gap asked ("A和B的基本支出差多少"): between them
    named = q.reports if res.named else []
    if named and len(q.years) >= 2 and q.ops & {"difference", "compare", "compare_max", "compare_min"} \
            and not q.asks_change:
        have = {r.year for r in named}
        absent = [y for y in q.years if y not in have]
        if absent:  # comparing years the corpus does not hold
            who = named[0].unit_name or named[0].region
            q.missing = f"语料中没有{who}{absent[0]}年度的决算；现有" + "、".join(f"{y}年" for y in sorted(have))
    _change_of_the_later_year(q)
    return q


def _change_of_the_later_year(q: Question) -> None:
    """"2021年比2020年增加了多少", "2020年到2021年变化了多少" of one unit with both years indexed: the
    change the later report states against its last year, not each report's own change."""
    units = {r.unit_name for r in q.reports}
    years = sorted({r.year for r in q.reports if r.year})
    if q.asks_change and len(units) == 1 and len(years) == 2 and years[1] - years[0] == 1 \
            and set(years) <= set(q.years):
        q.years_compared, q.reports = list(q.reports), [r for r in q.reports if r.year == years[1]]


# the two sides of a difference (A与B之差, A和B相差, A比B多), shared with derive.py
DIFFERENCE_PATTERNS = [re.compile(p) for p in load("questions.json")["derivations"]["difference_patterns"]]


def _rewritten(norm: str) -> str:
    """The question with the lexicon's rewrites applied (A是B的百分之几 → A占B的比例)."""
    for pattern, replacement in _REWRITES:
        norm = pattern.sub(replacement, norm)
    return norm


def _without_both(norm: str, lex: dict) -> str:
    """"两者相差多少" without its 两者 (the two figures or reports asked just before)."""
    both = next((w for w in lex["both_words"] if w in norm), "")
    return norm.replace(both, "") if both else norm


def _names_other_side(norm: str, lex: dict) -> bool:
    """"比预算多多少", "与上年相比": the question names what its figure is compared with."""
    return any(w in norm for w in lex["budget_words"] + lex["side_words"]) \
        or any(p in norm for p in lex["comparison_prefixes"])


def _two_figures_compared(q: Question, lex: dict) -> None:
    """"项目支出和基本支出哪个多" of one report: the two figures side by side, as their difference."""
    if len(q.reports) != 1 or not q.ops & {*lex["many_report_ops"], "difference"} or q.asks_change \
            or any(p.search(q.core) for p in DIFFERENCE_PATTERNS):
        return
    joiners = lex["derivations"]["sum_separators"]
    m = re.fullmatch(rf"(.{{2,}}?)[{joiners}](.{{2,}}?)(?:{alternation(lex['compare_residue'])})+", q.core)
    if m and subject_of(m.group(1)) and subject_of(m.group(2)):
        q.core = f"{m.group(1)}和{m.group(2)}相差"
        q.ops = (q.ops - set(lex["many_report_ops"])) | {"difference"}


def focus(text: str, lex: dict) -> str:
    """The part of a several-part question that asks for a figure ("X是多少？比上年变化如何？" → the
    first; "是否主要靠上级补助？占多少？" → the first, whose source the share is of; "X为何增加？增加了多少"
    → the second after the words of the first). The whole text names the report."""
    parts = [p for p in re.split(r"[？?；;！!]", text) if p.strip()]
    if len(parts) <= 1:
        return text
    words = lex["figure_question_words"] + [w for op in ("compare", "compare_max", "compare_min", "list")
                                            for w in lex["ops"][op]]
    asks = [p for p in parts if any(w in p for w in words)]
    relied = [p for p in parts if reliance(squash(p), lex) != squash(p)]
    share = lex["derivations"]["share_word"]
    if relied and all(share in p for p in asks):  # "是否主要靠X？占多少？": X's share, as the first part names it
        return relied[0]
    chosen = asks[0] if asks else parts[0]
    k = parts.index(chosen)
    if k and not subject_of(squash(chosen)):  # "收入为啥比上年多了那么多？多了多少": the subject before
        before = parts[k - 1]
        for w in lex["passage_words"]["reason"]:
            before = before.replace(w, "")
        return f"{before}，{chosen}"
    return chosen


def reliance(norm: str, lex: dict, vocab: list[str] = ()) -> str:
    """A yes/no question whether the money comes wholly or mainly from one source ("…是不是全靠财政拨款")
    asked as that source's share of the whole ("…财政拨款占本年收入合计的比例"): the report term the question
    names before it, else the total of income or spending. Other questions unchanged."""
    words = lex["derivations"]["reliance"]
    m = re.search(words["pattern"], norm.rstrip("？?。！!"))
    if m is None or not any(w in norm for w in words["yes_no"]):
        return norm
    part, before = m.group("part"), norm[:m.start()]
    for w in words["yes_no"]:
        part = part.replace(w, "")
    for w in words["yes_no"]:
        before = before.removesuffix(w)
    whose = re.search(words["subject_tail"], before)
    named = next((t for t in vocab if before.endswith(t)), "")
    if len(named) > len(whose.group(0).lstrip("的")):  # "基本支出是不是都是人员经费": the term named is the whole
        return f"{before[:-len(named)]}{part}占{named}的比例"
    totals = words["totals"]
    whole = totals[next((w for w in totals if w and w in part + whose.group(0)), "")]
    return f"{before[:whose.start()]}{part}占{whole}的比例"


def _op_words(norm: str, words: list[str], lex: dict) -> bool:
    """A word of an operation, not as part of a comparison (比上年 is a change, not last year's value)
    nor inside a longer word (巡检4次以上年初目标值)."""
    prefixes = lex["comparison_prefixes"]
    inside = [range(m.start(), m.end()) for s in lex["op_word_spans"] for m in re.finditer(re.escape(s), norm)]
    return any((m.start() == 0 or norm[m.start() - 1] not in prefixes)
               and not any(m.start() in r and m.end() - 1 in r for r in inside)
               for w in words for m in re.finditer(re.escape(w), norm))


def index_names_higher(r: ReportRec) -> str:
    """The province/city levels above a report's place (dropped from the question core)."""
    return split_name(r.unit_name or "").higher


def plain(text: str) -> str:
    """Whitespace, quotes and brackets removed: “三公”经费 == 三公经费."""
    return re.sub(r"[\s“”\"‘’'《》「」]", "", text or "")


# a number with its unit inside the question ("全年总计12份", "满意率达到80%") is the wording of a row
# (a performance indicator), not the unit or the kind of figure asked
_QUANTITY = re.compile(r"(?<![\d.])\d+(?:\.\d+)?\s*(?:%|％|[\u4e00-\u9fff])")
_YEAR_WORD = re.compile(r"(?:19|20)?\d\d\s*年度?")


def _after_quantities(text: str) -> str:
    """The words after the question's last stated quantity (years aside): the amount words before it
    ("全年总计12份年初目标值") belong to the row's own wording."""
    last = None
    for last in _QUANTITY.finditer(_YEAR_WORD.sub(lambda m: " " * len(m.group(0)), text)):
        pass
    return text[last.end():] if last else text


def _unit_of(norm: str, lex: dict) -> tuple[Optional[str], Optional[str]]:
    """(unit, the noun it was read from). The unit attached to the first question word (多少套, 几辆,
    百分之; no noun) wins over units elsewhere; of two units at one place the longer word decides (多少人次
    over 多少人)."""
    asked = [(norm.find(w), -len(w), u) for w, u in lex["units"] if w.startswith(tuple(_FORMS["ask_prefixes"])) and w in norm]
    if asked:
        return min(asked)[2], None
    # otherwise the unit word nearest before the question word ("对口帮扶人数得分多少": 得分, not 人数)
    ask = min((i for i in (norm.find(w) for w in _FORMS["ask_words"]) if i >= 0), default=len(norm))
    before = [(norm.rfind(w, 0, ask) + len(w), len(w), u, w) for w, u in lex["units"] if norm.rfind(w, 0, ask) >= 0]
    if before:
        return max(before)[2:]
    for w, u in lex["units"]:
        if w in norm:
            return u, w
    return None, None


def _finish(q: Question, lex: dict, vocab: list[str] = ()) -> Question:
    norm = q.norm
    q.unit, q.unit_word = _unit_of(_QUANTITY.sub(lambda m: " " * len(m.group(0)), blank_noise(norm, lex)), lex)
    q.table, mention = table_in(norm)
    asked = norm[norm.find(mention) + len(mention):] if mention else norm  # the table's own name is no figure
    changed = any(w in asked for w in lex["change_words"]) and "多少" in asked  # 减少了多少: an amount
    if q.unit is None and (changed or any(w in _after_quantities(asked) for w in lex["amount_words"])):
        q.unit, q.unit_implied = "万元", True  # an amount question: 万元 unless the question says otherwise
    for op, words in lex["ops"].items():
        if op == "previous_year" and _op_words(norm, words, lex) or op != "previous_year" and any(w in norm for w in words):
            q.ops.add(op)
    if any(w in norm for w in lex["list_questions"]["not_a_list"]):
        q.ops.discard("list")  # "A和B分别是多少": figures, not a list of names
    core = _against_last_year(norm, vocab, q.single.year if q.single else None)
    q.vs_last_year = LAST_YEAR in core
    q.vs_budget = bool(_VS_BUDGET.search(norm))
    q.per_unit = next((w for w in lex["per_unit_words"] if w in norm), "")
    q.negated = bool(re.search(lex["negated_part"], norm))
    q.codes = [c for c in _CODE.findall(norm) if len(c) in (3, 5, 7)]
    if mention:  # "…表中X": the table's name and the 中 after it
        core = re.sub(rf"{re.escape(mention)}(?:之中|当中|中|里|内)?", " ", core)
    quoted = _QUOTED_NAME.findall(core)  # a quoted name ("智慧武昌"建设项目) keeps a place it holds
    held = {f"\ue000{i}\ue001": text for i, text in enumerate(quoted)}
    for key, text in held.items():
        core = core.replace(text, key, 1)
    for m in q.mentions:  # with the comparison word before a name and its 的 ("比江汉区的多多少")
        core = re.sub(rf"[{lex['comparison_prefixes']}]?{re.escape(m)}的?", "", core)
    for key, text in held.items():
        core = core.replace(key, text)
    if q.mentions:  # "江汉区和洪山区…": the joiner of two names is no figure word
        core = re.sub(rf"^[{lex['derivations']['sum_separators']}]+", "", core)
    for r in q.reports:  # 湖北省武汉市, 武汉, 北京: the levels above the report's place, in any form
        higher = index_names_higher(r)
        for h in ([higher] if higher else []) + higher_places(higher):
            core = core.replace(h, "")
    core = re.sub(r"(20)?\d\d年度?|20\d\d", "", core)
    core = plain(core)
    scoped = re.match(lex["scope_pattern"], core)
    if not (scoped or mention) and lex["derivations"]["share_word"] not in core:
        # "公务用车运行维护费中燃料费": a term, 中, the figure (with a table named, "…表中X" is its form)
        scoped = re.match(lex["scope_infix"], core)
        whole = re.sub(f"(?:{alternation(lex['amount_words'], longest_first=True)})$", "", scoped.group(1)) \
            if scoped else ""  # "政府采购总额中货物采购": a term and its total word
        scoped = scoped if scoped and any(w.endswith(t) for w in {scoped.group(1), whole} for t in vocab) else None
    if scoped:  # "政府采购支出总额中，服务类采购是多少": the figure is the part after the scope
        q.scope, core = scoped.group(1), scoped.group(2)
    for a, b in lex["rewrites"]:
        core = core.replace(a, b)
    if not q.literal:
        replaced, q.terms = apply_synonyms(core, lex, vocab)
        q.rewritten, core = replaced != core, replaced
    core = blank_noise(core, lex).replace(" ", "")  # 几个部门中: a count of reports, before 几个 goes
    for w, _ in sorted(lex["units"], key=lambda u: -len(u[0])):  # before the noise, which holds 有几 of 有几个
        if w.startswith(tuple(_FORMS["count_ask_prefixes"])):
            core = core.replace(w, "")
    core = _OPENER.sub("", strip_noise(core, lex)).lstrip("的")  # 那支出呢; 去年的收支总计: no possessive
    if q.ops & {"compare", "compare_max", "compare_min"} and len(q.reports) > 1:  # "哪个三公经费多": 多 names
        # no figure (of one report, "A和B哪个多" asks their difference, below)
        tail = re.search(lex["comparative_tail"], core)
        if tail and not q.ops & {"compare_max", "compare_min"} \
                and any(w in tail.group() for w in lex["derivations"]["less_than_words"]):
            q.ops.add("compare_min")  # "谁的基本支出少"
        core = re.sub(lex["comparative_tail"], "", core)
    q.core = core = _without_class_suffix(core.strip("，,。；;：:、 "))  # "…决算数，谢谢": no stray mark
    named = _VALUE_ASKED.fullmatch(core)
    if named and named.group(1) in vocab and core in q.norm:  # "项目支出决算数": asked again as the term
        q.value_word_free = q.norm.replace(core, named.group(1), 1)  # alone when no 决算数 column holds it
    q.concepts = terms_in(core, vocab)
    q.vocab = vocab if isinstance(vocab, Vocabulary) else Vocabulary(vocab)
    q.words, q.framing = split_words(plain(core), q.vocab.text, q.vocab.tag)
    q.columns_named = _columns_named(plain(core), q.vocab.columns)
    # "比去年多给了多少", "比预算多多少": a change (against last year, against the budget)
    earlier = [y for y, back in lex["relative_years"].items() if back < 0]
    q.asks_change = any(w in norm for w in lex["change_words"]) or q.vs_last_year or q.vs_budget \
        or any(p + y in norm for p in lex["comparison_prefixes"] for y in earlier)
    if not q.asks_change and "ratio" not in q.ops and _TWO_FIGURES_COMPARED.search(core):
        q.ops.add("difference")  # "项目支出比基本支出多": their difference, never the first figure alone
    return q


_QUOTED_NAME = re.compile(r"[“\"「『][^”\"」』]{2,30}[”\"」』]")
_TWO_FIGURES_COMPARED = re.compile(  # A比B多 / 少 / 高 / 低 closing the question, A and B two words at least
    rf"[\u4e00-\u9fff]{{2}}比[\u4e00-\u9fff]{{2,}}?{_LEX['comparative_tail']}")


def _without_class_suffix(core: str) -> str:
    """"服务类" asks the 服务 item: a closing 类 names a category, as 类支出 and 类的 do (the lexicon's
    rewrites), not a word of its label."""
    return core[:-1] if core.endswith("类") and len(core) >= 3 and not core.endswith("（类") else core


def _against_last_year(text: str, vocab, year: Optional[int] = None) -> str:
    """与上年相比 / 较去年 / 同比 / 比2021年 (of a 2022 report) written 比上年, as sentences are read
    (prose.against_last_year); a table column the question names (较上年增减额) keeps its own spelling."""
    said = against_last_year(text, year)
    if said == text:
        return text
    columns = [c for c in getattr(vocab, "columns", ()) if c in text and against_last_year(c) != c]
    if not columns:
        return said
    parts = re.split(f"({alternation(columns, longest_first=True)})", text)
    return "".join(p if i % 2 else against_last_year(p, year) for i, p in enumerate(parts))


def _columns_named(core: str, columns: list[str]) -> tuple[str, ...]:
    """The index's column names the core holds, longest first, none inside a longer one found."""
    found: list[str] = []
    for c in columns:
        if c in core and not any(c in f for f in found):
            found.append(c)
    return tuple(found)


def subquestion(q: Question, text: str, index: LoadedIndex, unit: Optional[str] = None,
                asks_change: Optional[bool] = None) -> Question:
    """A question about `text` in the same reports (one input of a derived figure)."""
    sub = Question(text=text, norm=squash(fix_typos(text)), years=q.years, reports=q.reports,
                   mentions=q.mentions)
    _finish(sub, load("questions.json"), index.vocab)
    sub.unit = unit or sub.unit
    if asks_change is not None:
        sub.asks_change = asks_change
    return sub
