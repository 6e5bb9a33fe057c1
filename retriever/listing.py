"""List answers ("哪些", "哪几个"): the rows of a table at one code level, or the items a passage
enumerates ("包括A、B、C", "一是A…二是B…", paragraphs that each open with "<item><noun>")."""
from __future__ import annotations

import re
from collections import Counter
from typing import Optional

from indexer.lexicon import alternation as _any, load
from indexer.models import AnswerValue, AskResponse
from indexer.sections import BULLET_RE, ITEM_RE

from .compose import citation, who
from .query import FLOWS, Question

_W = load("questions.json")["list_questions"]
_MEASURE_NOUNS = tuple(load("questions.json")["list_measure_nouns"])
_LEVELS = load("questions.json")["code_levels"]
_KIN = _W["noun_kin"]


def _kin(noun: str) -> list[str]:
    """The listed noun and the words a report may call the same things by (科室 → 内设机构, 处室)."""
    return [noun, *_KIN.get(noun, [])] if noun else []


_NOUN_AFTER = re.compile(rf"(?:{_any(_W['ask_before_noun'])})([\u4e00-\u9fff]{{1,4}})")
_ASK_AFTER = re.compile(_any(_W["ask_after_noun"], longest_first=True))
_CLASSIFIER = re.compile(rf"^({_any(_W['noun_classifiers'])})(?=.)")
_ENUM = re.compile(rf"(?:{_any(_W['intro_words'])}|" + "|".join(f"{re.escape(w)}(?=[：:])" for w in _W["intro_before_colon"])
                   + r")[：:]?([^。；;]+)")
_LEADING_VERB = re.compile(rf"^(?:{_any(_W['noun_leading_verbs'], longest_first=True)})(?=..)")  # 下设科室 → 科室
_COUNT_NOUN = re.compile(rf"几(?:{_any(_W['noun_classifiers'])})([\u4e00-\u9fff]{{2,4}}?)(?=[？?。，,]|$)")  # 有几个科室
_OPENING = re.compile(rf"(?:{ITEM_RE.pattern.lstrip('^')})?\s*")  # "1." / "（1）" before a paragraph's item
_INTRO_PREFIX = re.compile(rf"^.*(?:{_any(w for w in _W['intro_words'] if len(w) > 1)})[：:]?")
_ORDINAL_START = f"[{_W['ordinal_numerals']}]{_W['ordinal_marker']}"
_ORDINAL_ITEMS = re.compile(rf"{_ORDINAL_START}([\u4e00-\u9fff（）()“”]{{2,16}}?)"
                            rf"(?=[\s\d，,。；;：:]|{_any(_W['ordinal_item_stops'])})")
_STRIP = re.compile(rf"^[{_W['item_leading']}]|{re.escape(_W['item_trailing'])}$|[“”\"]")


def target_noun(q: Question) -> str:
    """The noun listed: after the question word when one follows it ("有哪些科室", "哪几个科室" → 科室),
    else before it ("自评的项目有哪些" → 项目)."""
    m = _NOUN_AFTER.search(q.norm)
    if m:
        return _LEADING_VERB.sub("", _CLASSIFIER.sub("", m.group(1)))  # 哪几个内设机构 → 机构
    m = _ASK_AFTER.search(q.norm)  # leftmost, longest: 科室都有哪些 → 都有哪些
    if not m:
        return ""
    before = re.search(r"(\d年)?([\u4e00-\u9fff]{1,4})$", q.norm[:m.start()].split(_W["possessive"])[-1])
    return _LEADING_VERB.sub("", before.group(2)) if before else ""


def answer_list(q: Question, engine) -> Optional[AskResponse]:
    r = q.single
    if r is None:
        return None
    by_level = _table_level(q, engine)
    if by_level is not None:
        return by_level
    return _from_passages(q, engine, target_noun(q))


def answer_count(q: Question, engine) -> Optional[AskResponse]:
    """"有几个科室" where the report states no count: the items one of its passages enumerates, counted
    (内设 3 个机构 answers 几个科室 only through the enumeration after it)."""
    m = _COUNT_NOUN.search(q.norm)
    if q.single is None or m is None:
        return None
    noun = _LEADING_VERB.sub("", m.group(1))
    if noun in _MEASURE_NOUNS:
        return None
    found = _passage_items(q, engine, noun, named_only=True)  # a count only of items the passage names so
    if found is None:
        return None
    items, chunk_ids = found
    counted = _respond(q, engine, items, chunk_ids, noun)
    counted.answer = f"{who(engine.index, q.single.report_id)}{noun}共{len(items)}个（{'、'.join(items)}）。"
    counted.values = [AnswerValue(value=len(items), unit="个", label=noun, report_id=q.single.report_id,
                                  citation_id=counted.citations[0].id, derived=True,
                                  formula=f"{'、'.join(items)}，共{len(items)}个",
                                  inputs=[c.id for c in counted.citations])]
    return counted


def _table_level(q: Question, engine) -> Optional[AskResponse]:
    """"哪几个类级科目": the rows of one code level of the all-funds table."""
    suffix = _W["level_suffix"]
    asked = [w[-1] for w in _W["level_list_asks"] if w in q.norm]  # 用在哪几类上
    classed = (*FLOWS, *load("questions.json")["appropriation_words"])  # what the classes divide
    if any(not c.endswith(classed) for c in q.concepts):
        asked = []  # "政府采购包括哪几类": the kinds of that, not the classes of spending
    level = next((n for k, n in _LEVELS.items()
                  if f"“{k}”" in q.norm or f"{k}{suffix}" in q.norm or f"（{k}）" in q.norm or k in asked), None)
    if level is None:
        return None
    lex = load("questions.json")
    table = q.table or lex["default_list_table"]
    rid = q.single.report_id
    rows: dict[str, object] = {}
    for f in engine.index.facts:
        if f.kind == "table" and f.report_id == rid and f.table == table and f.row_code and len(f.row_code) == level:
            rows.setdefault(f.row_code, f)
    if len(rows) < 1:
        return None
    facts = [rows[k] for k in sorted(rows)]
    names = [f.row_name for f in facts]
    cites = [citation(engine.index, f.chunk_id, f"c{i}", 1.0) for i, f in enumerate(facts, start=1) if f.chunk_id]
    name = next(k for k, n in _LEVELS.items() if n == level)
    answer = f"{who(engine.index, rid)}{table}中的{len(names)}个{name}{suffix}科目：" + "、".join(names) + "。"
    return AskResponse(question=q.text, found=True, answer=answer, values=[], citations=cites, confidence=0.9)


def _from_passages(q: Question, engine, noun: str) -> Optional[AskResponse]:
    found = _passage_items(q, engine, noun)
    return _respond(q, engine, *found, noun) if found else None


def _passage_items(q: Question, engine, noun: str, named_only: bool = False) -> Optional[tuple[list[str], list[str]]]:
    """The items a passage of the report enumerates for the noun, and the chunks stating them."""
    rid = q.single.report_id
    search = " ".join([q.core or q.text, *_kin(noun)[1:]])
    hits = engine.index.hybrid(search, engine._qvec(q.text), {rid}, k=12)
    paragraphs = [c for c, _ in hits if c.kind == "paragraph"]
    for chunk in paragraphs:  # "投向以下事项：" and a list item per paragraph after it
        items, used = _bulleted_after(engine.index, chunk, noun)
        if len(items) >= 2:
            return items, used
    for chunk in paragraphs:  # "包括A、B、C"
        items = listed_items(chunk.text, noun, named_only)
        if len(items) >= 2:
            return items, [chunk.chunk_id]
    if named_only:  # a count only of an enumeration that names its noun
        return None
    if noun and paragraphs and noun not in _MEASURE_NOUNS:
        # items that each open a paragraph of a well-matching section ("安全管理项目绩效自评综述：…")
        for section in list(dict.fromkeys(c.section for c in paragraphs[:6])):
            items, used = _paragraph_openings(engine.index.by_report[rid], section, noun)
            if len(items) >= 2:
                return items, used
    for chunk in paragraphs:  # "一是A…二是B…", continued in the following paragraph when split
        items = ordinal_items(chunk.text)
        first = re.search(_ORDINAL_START, chunk.text)
        if noun and noun not in _MEASURE_NOUNS and first and noun not in chunk.text[:first.start()][-12:]:
            continue  # points of a passage ("主要产出和效益：一是…") are items of a noun only when it introduces them
        if len(items) >= 2:
            used = [chunk.chunk_id]
            nxt = engine.index.neighbours(chunk.chunk_id)[1]
            while nxt and re.match(_ORDINAL_START, engine.index.by_id[nxt].text):
                items += [i for i in ordinal_items(engine.index.by_id[nxt].text) if i not in items]
                used.append(nxt)
                nxt = engine.index.neighbours(nxt)[1]
            return items, used
    return None


def _paragraph_openings(chunks, section: str, noun: str) -> tuple[list[str], list[str]]:
    """Items that each open a paragraph of `section` as "<item><noun>" ("1. 安全管理项目绩效自评综述：…").
    The items of one list open alike: when some are numbered only those count, and the words after the
    noun (绩效自评综述) are those most items share (本部门…反映所有项目绩效自评结果 is no item)."""
    found: list[tuple[str, str, bool, str]] = []  # (item, chunk id, numbered, words after the noun)
    item_re = re.compile(rf"[“\"]?([\u4e00-\u9fff（）()“”\-—]{{2,24}})[”\"]?{re.escape(noun)}")
    for c in chunks:
        if c.kind != "paragraph" or c.section != section:
            continue
        opening = _OPENING.match(c.text)
        m = item_re.match(c.text, opening.end())
        item = _STRIP.sub("", m.group(1)) if m else ""
        if item and item not in (f[0] for f in found):
            after = re.match(r"[^：:，,。；;\s]*", c.text[m.end():]).group(0)
            found.append((item, c.chunk_id, opening.end() > 0, after))
    if any(f[2] for f in found):
        found = [f for f in found if f[2]]
    shared, n = Counter(f[3] for f in found).most_common(1)[0] if found else ("", 0)
    if n >= 2:
        found = [f for f in found if f[3] == shared]
    return [f[0] for f in found], [f[1] for f in found]


def _bulleted_after(index, chunk, noun: str) -> tuple[list[str], list[str]]:
    """The list items ("- A", "• B") of the paragraphs right after `chunk` when it introduces them
    (ends with a colon, and names the noun asked for when there is one)."""
    text = chunk.text.strip()
    if not text.endswith(("：", ":")) or noun and not any(n in text for n in _kin(noun)):
        return [], []
    items, used = [], [chunk.chunk_id]
    nxt = index.neighbours(chunk.chunk_id)[1]
    while nxt and (m := BULLET_RE.match(index.by_id[nxt].text)):
        items.append(_STRIP.sub("", index.by_id[nxt].text[m.end():].strip().rstrip("。；;")))
        used.append(nxt)
        nxt = index.neighbours(nxt)[1]
    return [i for i in items if i], used


def listed_items(text: str, noun: str, named_only: bool = False) -> list[str]:
    """Items after 包括/有/：, separated by 、 (a comma ends the enumeration). Unless `named_only`, items
    that end in a character of the noun (…科 of 科室) are its items even where the passage does not name it."""
    for m in _ENUM.finditer(text):
        listed = m.group(1)
        first = listed.find("、")
        if first >= 0:  # a comma after the items began ends the enumeration (…监督科，下设执法一大队、…)
            comma = re.search(r"[，,]", listed[first:])
            listed = listed[:first + comma.start()] if comma else listed
        parts = listed.split("、")  # an enumeration's items are joined by 、; commas end it
        parts[-1] = re.split(r"[，,]", parts[-1])[0]
        closing = re.search(rf"共?[{_W['ordinal_numerals']}两\d]+个(?:{_any(_W['noun_leading_verbs'])})?"
                            rf"(?:{_any(_kin(noun))})$", parts[-1]) if noun else None  # 共7个内设机构
        if closing:  # "…经济责任审计股三个股室": the count and noun closing the enumeration name it, no item
            parts[-1] = parts[-1][:closing.start()]
        # "设有4个科室，分别是综合科、…": the count names the noun, the items follow the inner intro word
        items = [_STRIP.sub("", _INTRO_PREFIX.sub("", re.split(r"[，,]", p)[-1].strip())) for p in parts]
        items = [i for i in items if 2 <= len(i) <= 20 and not re.search(r"\d", i)]
        # another name for the noun, and a count's, right before (内设3个机构，包括…: before the inner intro)
        near = text[max(0, m.start() - 8):m.start()] + "".join(re.split(r"[，,]", parts[0])[:-1])
        named = noun and (any(n in near for n in _kin(noun)) or closing is not None
                          or not named_only and noun in text[:m.start()] + parts[0])
        alike = not named_only and sum(i[-1] in noun for i in items) >= len(items) - 1  # 综合科 of 科室
        if len(items) >= 2 and (not noun or named or alike):
            return items
    return []


def ordinal_items(text: str) -> list[str]:
    items = [_STRIP.sub("", x) for x in _ORDINAL_ITEMS.findall(text)]
    return list(dict.fromkeys(i for i in items if len(i) >= 2))


def _respond(q: Question, engine, items: list[str], chunk_ids: list[str], noun: str) -> AskResponse:
    cites = [citation(engine.index, cid, f"c{i}", 1.0) for i, cid in enumerate(chunk_ids, start=1)]
    answer = f"{who(engine.index, q.single.report_id)}{noun or '列举'}共{len(items)}个：" + "、".join(items) + "。"
    return AskResponse(question=q.text, found=True, answer=answer, values=[], citations=cites, confidence=0.7)
