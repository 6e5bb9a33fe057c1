"""Synthetic 部门决算 reports for the scale benchmark (and for parser smoke tests).

`make_report(rng, unit, year)` draws one report's figures in integer fen (0.01 万元) so that every
accounting identity of the template holds exactly:

* 收入决算表 / 支出决算表 / 一般公共预算财政拨款支出决算表: row total = Σ columns; 款 = Σ 项; 类 = Σ 款;
  合计 = Σ 类;
* 收入支出决算总表: 本年收入合计 = Σ income lines, 总计 = 本年收入合计 + 年初结转和结余 on the income
  side and 本年支出合计 = Σ 类 lines, 总计 = 本年支出合计 (+ 0 carried forward) on the spending side,
  both 总计 equal; 财政拨款收入支出决算总表 likewise for appropriations;
* 基本支出决算明细表: 301 = Σ 301xx, 302 = Σ 302xx, …; 人员经费合计 = 301 + 303; 公用经费合计 = 302 + 310;
  人员经费合计 + 公用经费合计 = the 基本支出 of the 一般公共预算财政拨款支出决算表;
* 三公经费: 合计 = 因公出国 + 公务用车小计 + 公务接待, 小计 = 购置 + 运行 (budget and actual);
* the narrative (第三部分) states the same totals, shares and class figures as the tables.

`render(report, layout)` writes it in one of three layouts the parser reads:

* ``tab`` — tab-separated table rows (as 汉阳 2021 / 硚口 2024);
* ``pdftext`` — PDF-extracted text: cells separated by single spaces, every empty cell collapsed
  into two more spaces, every line ending in a space, narrative hard-wrapped (as 武昌 2019);
* ``markdown`` — Markdown headings and pipe tables.

Names are fictional (no Wuhan district, so no gold question is answered by a synthetic report).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

from .synth_data import (  # noqa: F401  (re-exported: bench.synth.CITIES, …)
    CITIES, DISTRICTS, UNIT_KINDS, YEARS, FUNCTIONS, TOTAL_LINES, INCOME_LINES, CN_NUM,
    PERSONNEL, FAMILY, PUBLIC, CAPITAL, DUTIES, PROJECTS, REASONS,
)
from .synth_format import Table, _pdf_row, _wrap, cell, money, pct

LAYOUTS = ("tab", "pdftext", "markdown")


# ------------------------------------------------------------------ the figures
@dataclass
class Item:
    cls_code: str
    cls_name: str
    kuan_code: str
    kuan_name: str
    code: str
    name: str
    basic: int  # fen, appropriation spent on 基本支出
    project: int  # fen, appropriation spent on 项目支出
    other: int = 0  # fen, 其他收入 received on this line and spent as 项目支出
    carry: int = 0  # fen, 年初结转和结余 spent as 项目支出


@dataclass
class Report:
    unit: str
    region: str
    year: int
    items: list[Item]
    personnel: list[tuple[str, str, int]]  # (code, name, fen) — 301xx
    family: list[tuple[str, str, int]]  # 303xx
    public: list[tuple[str, str, int]]  # 302xx
    capital: list[tuple[str, str, int]]  # 310xx
    sangong_budget: tuple[int, int, int, int]  # abroad, car purchase, car running, reception
    sangong_actual: tuple[int, int, int, int]
    prev_total: int  # 上年收支总计
    class_budget: dict[str, int]  # 年初预算 per 类 (appropriation)
    procurement: tuple[int, int, int]  # goods, services, SME share
    assets: tuple[int, int, int]  # vehicles, general equipment ≥50万, special equipment ≥100万
    staff: tuple[int, int]  # authorised, actual
    duties: list[str]
    projects: list[tuple[str, int, int]]  # name, budget, executed (fen)
    score: float
    reason: str
    extra: dict = field(default_factory=dict)

    # ---- derived figures
    @property
    def appropriation(self) -> int:
        return sum(i.basic + i.project for i in self.items)

    @property
    def other_income(self) -> int:
        return sum(i.other for i in self.items)

    @property
    def carry(self) -> int:
        return sum(i.carry for i in self.items)

    @property
    def income_total(self) -> int:
        return self.appropriation + self.other_income

    @property
    def spending_total(self) -> int:
        return self.income_total + self.carry

    @property
    def basic_total(self) -> int:
        return sum(i.basic for i in self.items)

    @property
    def project_total(self) -> int:  # all funds
        return sum(i.project + i.other + i.carry for i in self.items)

    @property
    def fiscal_project_total(self) -> int:
        return sum(i.project for i in self.items)


def _split(rng: random.Random, total: int, weights: list[int], zero_p: float = 0.25) -> list[int]:
    """`total` fen split over len(weights) parts (some zero), exactly."""
    w = [x * rng.uniform(0.5, 1.5) if (i == 0 or rng.random() > zero_p) else 0.0 for i, x in enumerate(weights)]
    s = sum(w) or 1.0
    parts = [int(total * x / s) for x in w]
    parts[max(range(len(w)), key=lambda i: w[i])] += total - sum(parts)
    return parts


def make_report(rng: random.Random, unit: str, region: str, year: int) -> Report:
    items: list[Item] = []
    scale = rng.choice([0.3, 0.6, 1.0, 1.5, 2.5])
    for cls_code, cls_name, kuans in FUNCTIONS:
        if cls_code not in ("201", "208", "210") and rng.random() < 0.5:
            continue
        for kuan_code, kuan_name, xiangs in kuans:
            chosen = [x for k, x in enumerate(xiangs) if k == 0 or rng.random() < 0.6]
            for code, name, kind in chosen:
                if kind == "basic":
                    base = {"201": 30000, "208": 2500, "210": 2000, "221": 2500}.get(cls_code, 1000)
                    basic = int(rng.uniform(0.5, 1.5) * base * scale)
                    project = int(rng.uniform(0, 0.3) * basic) if rng.random() < 0.2 else 0
                else:
                    base = {"201": 180000}.get(cls_code, 1500)
                    project = int(rng.uniform(0.3, 1.7) * base * scale)
                    basic = 0
                items.append(Item(cls_code, cls_name, kuan_code, kuan_name, code, name, basic, project))
    main = max(items, key=lambda i: i.project)
    if rng.random() < 0.6:
        main.other = rng.randint(1, 3000)
    if rng.random() < 0.4:
        main.carry = rng.randint(50, 80000)

    basic_total = sum(i.basic for i in items)
    personnel_share = rng.uniform(0.82, 0.96)
    personnel_total = int(basic_total * personnel_share)
    family_total = int(personnel_total * rng.uniform(0.0, 0.02))
    wage_total = personnel_total - family_total
    public_total = basic_total - personnel_total
    capital_total = int(public_total * rng.uniform(0, 0.15)) if rng.random() < 0.4 else 0
    goods_total = public_total - capital_total

    def lines(spec, total):
        parts = _split(rng, total, [w for _, _, w in spec])
        return [(c, n, v) for (c, n, _), v in zip(spec, parts)]

    sg_budget = [0, 0, 0, 0]
    sg_actual = [0, 0, 0, 0]
    if rng.random() < 0.6:
        sg_budget = [0, 0, rng.randint(0, 300) * 10, rng.randint(0, 200) * 10]
        sg_actual = [0, 0, int(sg_budget[2] * rng.uniform(0.5, 1.0)), int(sg_budget[3] * rng.uniform(0.2, 1.0))]
    total = sum(i.basic + i.project + i.other + i.carry for i in items)
    prev_total = int(total * rng.uniform(0.6, 1.4))
    class_budget: dict[str, int] = {}
    for i in items:
        class_budget[i.cls_code] = class_budget.get(i.cls_code, 0) + i.basic + i.project
    class_budget = {k: int(v * rng.uniform(0.8, 1.05)) for k, v in class_budget.items()}
    fiscal_project = sum(i.project for i in items)
    goods = int(fiscal_project * rng.uniform(0.0, 0.1))
    services = int(fiscal_project * rng.uniform(0.1, 0.5))
    sme = int((goods + services) * rng.uniform(0.3, 0.9))
    names = rng.sample(PROJECTS, k=rng.randint(3, 6))
    shares = _split(rng, fiscal_project, [1] * len(names), zero_p=0.0)
    projects = [(n, int(v * rng.uniform(1.0, 1.08)), v) for n, v in zip(names, shares)]
    authorised = rng.randint(8, 60)
    return Report(
        unit=unit, region=region, year=year, items=items,
        personnel=lines(PERSONNEL, wage_total), family=lines(FAMILY, family_total),
        public=lines(PUBLIC, goods_total), capital=lines(CAPITAL, capital_total),
        sangong_budget=tuple(sg_budget), sangong_actual=tuple(sg_actual), prev_total=prev_total,
        class_budget=class_budget, procurement=(goods, services, sme),
        assets=(rng.randint(0, 3), rng.randint(0, 12), rng.randint(0, 3)),
        staff=(authorised, rng.randint(max(1, authorised // 2), authorised)),
        duties=rng.sample(DUTIES[:-1], k=rng.randint(4, 7)) + [DUTIES[-1]],
        projects=projects, score=round(rng.uniform(85, 99.9), 2), reason=rng.choice(REASONS))


def _orders(items: list[Item]) -> tuple[list[tuple[str, str]], dict[str, list[tuple[str, str]]]]:
    """类 in order of appearance, and the 款 of each 类."""
    cls_order: list[tuple[str, str]] = []
    kuan_order: dict[str, list[tuple[str, str]]] = {}
    for i in items:
        if (i.cls_code, i.cls_name) not in cls_order:
            cls_order.append((i.cls_code, i.cls_name))
        kl = kuan_order.setdefault(i.cls_code, [])
        if (i.kuan_code, i.kuan_name) not in kl:
            kl.append((i.kuan_code, i.kuan_name))
    return cls_order, kuan_order


def _by_code(items: list[Item], values) -> list[list[str]]:
    """合计 row, then 类 / 款 / 项 rows; `values(items)` gives the row's column figures (fen)."""
    cls_order, kuan_order = _orders(items)
    out = [["合计", ""] + [cell(v) for v in values(items)]]
    for cc, cn in cls_order:
        ci = [i for i in items if i.cls_code == cc]
        out.append([cc, cn] + [cell(v) for v in values(ci)])
        for kc, kn in kuan_order[cc]:
            ki = [i for i in ci if i.kuan_code == kc]
            out.append([kc, kn] + [cell(v) for v in values(ki)])
            for i in ki:
                out.append([i.code, i.name] + [cell(v) for v in values([i])])
    return out


def _income(sel: list[Item]) -> list[int]:
    fiscal = sum(i.basic + i.project for i in sel)
    other = sum(i.other for i in sel)
    return [fiscal + other, fiscal, 0, 0, 0, 0, other]


def _spending(sel: list[Item]) -> list[int]:
    basic = sum(i.basic for i in sel)
    project = sum(i.project + i.other + i.carry for i in sel)
    return [basic + project, basic, project, 0, 0, 0]


def _general(sel: list[Item]) -> list[int]:
    basic = sum(i.basic for i in sel)
    project = sum(i.project for i in sel)
    return [basic + project, basic, project]


def _class_sum(items: list[Item], code: str, fiscal: bool) -> int:
    return sum(i.basic + i.project + (0 if fiscal else i.other + i.carry) for i in items if i.cls_code == code)


def _total_table(r: Report) -> Table:
    y, items = r.year, r.items
    # 表1 收入支出决算总表
    inc_vals = [r.appropriation, 0, 0, 0, 0, 0, 0, r.other_income]
    rows = []
    for k in range(26):
        left = [f"{CN_NUM[k]}、{INCOME_LINES[k]}", str(k + 1), cell(inc_vals[k])] if k < 8 else ["", str(k + 1), ""]
        name, code = TOTAL_LINES[k]
        rows.append(left + [f"{CN_NUM[k]}、{name}", str(k + 31), cell(_class_sum(items, code, False))])
    rows += [["本年收入合计", "27", cell(r.income_total), "本年支出合计", "57", cell(r.spending_total)],
             ["使用非财政拨款结余", "28", "", "结余分配", "58", ""],
             ["年初结转和结余", "29", cell(r.carry), "年末结转和结余", "59", ""],
             ["总计", "30", cell(r.spending_total), "总计", "60", cell(r.spending_total)]]
    return Table("一、收入支出决算总表", f"{y} 年度收入支出决算总表",
                        [["收入", "", "", "支出", "", ""], ["项目", "行次", "金额", "项目", "行次", "金额"],
                         ["栏次", "", "1", "栏次", "", "2"]], rows,
                        ["注：本表反映部门本年度的总收支和年末结转结余情况。"])



def _appropriation_total_table(r: Report) -> Table:
    y, items = r.year, r.items
    # 表4 财政拨款收入支出决算总表
    f = r.appropriation
    rows = []
    left_names = ["一般公共预算财政拨款", "政府性基金预算财政拨款", "国有资本经营预算财政拨款"]
    for k in range(26):
        left = [f"{CN_NUM[k]}、{left_names[k]}", str(k + 1), cell(f if k == 0 else 0)] if k < 3 else ["", str(k + 1), ""]
        name, code = TOTAL_LINES[k]
        v = _class_sum(items, code, True)
        rows.append(left + [f"{CN_NUM[k]}、{name}", str(k + 33), cell(v), cell(v), "", ""])
    rows += [["本年收入合计", "27", cell(f), "本年支出合计", "59", cell(f), cell(f), "", ""],
             ["年初财政拨款结转和结余", "28", "", "年末财政拨款结转和结余", "60", "", "", "", ""],
             ["总计", "32", cell(f), "总计", "64", cell(f), cell(f), "", ""]]
    return Table("四、财政拨款收入支出决算总表", f"{y} 年度财政拨款收入支出决算总表",
                        [["收入", "", "", "支出", "", "", "", ""],
                         ["项目", "行次", "金额", "项目", "行次", "合计", "一般公共预算财政拨款", "政府性基金预算财政拨款",
                          "国有资本经营预算财政拨款"],
                         ["栏次", "", "1", "栏次", "", "2", "3", "4", "5"]], rows,
                        ["注：本表反映部门本年度财政拨款的总收支和年末结转结余情况。"])


def _code_tables(r: Report) -> list[Table]:
    y, items = r.year, r.items
    tables: list[Table] = []
    # 表2 收入决算表
    tables.append(Table("二、收入决算表", f"{y} 年度收入决算表",
                        [["科目编码", "科目名称", "本年收入合计", "财政拨款收入", "上级补助收入", "事业收入", "经营收入",
                          "附属单位上缴收入", "其他收入"],
                         ["栏次", "", "1", "2", "3", "4", "5", "6", "7"]], _by_code(items, _income),
                        ["注：本表反映部门本年度取得的各项收入情况。"]))
    # 表3 支出决算表
    tables.append(Table("三、支出决算表", f"{y} 年度支出决算表",
                        [["科目编码", "科目名称", "本年支出合计", "基本支出", "项目支出", "上缴上级支出", "经营支出",
                          "对附属单位补助支出"],
                         ["栏次", "", "1", "2", "3", "4", "5", "6"]], _by_code(items, _spending),
                        ["注：本表反映部门本年度各项支出情况。"]))
    # 表5 一般公共预算财政拨款支出决算表
    tables.append(Table("五、一般公共预算财政拨款支出决算表", f"{y} 年度一般公共预算财政拨款支出决算表",
                        [["科目编码", "科目名称", "小计", "基本支出", "项目支出"], ["栏次", "", "1", "2", "3"]],
                        _by_code(items, _general), ["注：本表反映部门本年度一般公共预算财政拨款支出情况。"]))
    return tables


def _detail_tables(r: Report) -> list[Table]:
    y = r.year
    tables: list[Table] = []
    # 表6 基本支出决算明细表 (three code/name/value triples side by side)
    left = [("301", "工资福利支出", sum(v for *_, v in r.personnel))] + r.personnel
    fam = sum(v for *_, v in r.family)
    left += [("303", "对个人和家庭的补助", fam)] + r.family
    mid = [("302", "商品和服务支出", sum(v for *_, v in r.public))] + r.public
    right = [("310", "资本性支出", sum(v for *_, v in r.capital))] + r.capital
    n = max(len(left), len(mid), len(right))
    rows = []
    for k in range(n):
        row: list[str] = []
        for col in (left, mid, right):
            row += [col[k][0], col[k][1], cell(col[k][2])] if k < len(col) else ["", "", ""]
        rows.append(row)
    personnel_total = left[0][2] + fam
    public_total = mid[0][2] + right[0][2]
    rows.append(["人员经费合计", "", cell(personnel_total), "公用经费合计", "", "", "", "", cell(public_total)])
    tables.append(Table("六、一般公共预算财政拨款基本支出决算明细表", f"{y}年度一般公共预算财政拨款基本支出决算明细表",
                        [["人员经费", "", "", "公用经费", "", "", "", "", ""],
                         ["科目编码", "科目名称", "决算数"] * 3], rows,
                        ["注：本表反映部门本年度一般公共预算财政拨款基本支出明细情况。"]))
    # 表7 三公
    b, a = r.sangong_budget, r.sangong_actual
    if sum(b) + sum(a):
        row = [cell(b[0] + b[1] + b[2] + b[3]), cell(b[0]), cell(b[1] + b[2]), cell(b[1]), cell(b[2]), cell(b[3]),
               cell(a[0] + a[1] + a[2] + a[3]), cell(a[0]), cell(a[1] + a[2]), cell(a[1]), cell(a[2]), cell(a[3])]
        rows, notes = [row], ["注：本表反映部门本年度一般公共预算财政拨款“三公”经费支出预决算情况。"]
    else:
        rows, notes = [], ["本部门没有“三公”经费预算，也没有“三公”经费支出，故本表无数据。"]
    tables.append(Table("七、一般公共预算财政拨款“三公”经费支出决算表",
                        f"{y}年度一般公共预算财政拨款“三公”经费支出决算表",
                        [["预算数", "", "", "", "", "", "决算数", "", "", "", "", ""],
                         ["合计", "因公出国(境)费", "公务用车购置及运行费", "", "", "公务接待费"] * 2,
                         ["", "", "小计", "公务用车购置费", "公务用车运行费", ""] * 2,
                         [str(k) for k in range(1, 13)]], rows, notes))
    # 表8, 表9: empty with the usual note
    tables.append(Table("八、政府性基金预算财政拨款收入支出决算表", f"{y}年度政府性基金预算财政拨款收入支出决算表",
                        [["科目编码", "科目名称", "年初结转和结余", "本年收入", "本年支出小计", "基本支出", "项目支出",
                          "年末结转和结余"], ["栏次", "", "1", "2", "3", "4", "5", "6"]], [],
                        ["本部门没有政府性基金收入，也没有使用政府性基金安排的支出，故本表无数据。"]))
    tables.append(Table("九、国有资本经营预算财政拨款支出决算表", f"{y}年度国有资本经营预算财政拨款支出决算表",
                        [["科目编码", "科目名称", "合计", "基本支出", "项目支出"], ["栏次", "", "1", "2", "3"]], [],
                        ["本部门没有国有资本经营收入，也没有使用国有资本经营安排的支出，故本表无数据。"]))
    return tables


def _tables(r: Report) -> list[Table]:
    """The nine tables in the template's order."""
    income, spending, general = _code_tables(r)
    return [_total_table(r), income, spending, _appropriation_total_table(r), general] + _detail_tables(r)


def _narrative(r: Report) -> list[tuple[str, list[str]]]:
    """(heading, paragraphs) of 第三部分 情况说明, figures without thousands separators."""
    y, m = r.year, (lambda v: money(v, sep=False))
    total, prev = r.spending_total, r.prev_total
    diff = total - prev
    change = (f"增加{m(diff)}万元，增长{pct(diff, prev)}%" if diff >= 0
              else f"减少{m(-diff)}万元，下降{pct(-diff, prev)}%")
    out: list[tuple[str, list[str]]] = []
    out.append(("一、收入支出决算总体情况说明", [
        f"{y}年度收、支总计均为{m(total)}万元。与{y - 1}年度相比，收、支总计各{change}，主要原因是{r.reason}。"]))
    inc = f"{y}年度收入合计{m(r.income_total)}万元。其中：财政拨款收入{m(r.appropriation)}万元，占本年收入{pct(r.appropriation, r.income_total)}%"
    if r.other_income:
        inc += f"；其他收入{m(r.other_income)}万元，占本年收入{pct(r.other_income, r.income_total)}%"
    out.append(("二、收入决算情况说明", [inc + "。"]))
    out.append(("三、支出决算情况说明", [
        f"{y}年度支出合计{m(total)}万元。其中：基本支出{m(r.basic_total)}万元，占本年支出{pct(r.basic_total, total)}%；"
        f"项目支出{m(r.project_total)}万元，占本年支出{pct(r.project_total, total)}%。"]))
    f = r.appropriation
    out.append(("四、财政拨款收入支出决算总体情况说明", [f"{y}年度财政拨款收、支总计均为{m(f)}万元。"]))
    classes: dict[str, list] = {}
    for i in r.items:
        classes.setdefault(i.cls_code, [i.cls_name, 0])[1] += i.basic + i.project
    parts = "；".join(f"{n[:-2]}（类）支出{m(v)}万元，占{pct(v, f)}%" for n, v in classes.values())
    budget = sum(r.class_budget.values())
    detail = [f"{y}年度一般公共预算财政拨款支出年初预算为{m(budget)}万元，支出决算为{m(f)}万元，完成年初预算的{pct(f, budget)}%。其中："]
    for k, (code, (name, v)) in enumerate(classes.items(), start=1):
        b = r.class_budget[code]
        detail.append(f"{k}. {name}(类)。年初预算为{m(b)}万元，支出决算为{m(v)}万元，完成年初预算的{pct(v, b)}%。")
    out.append(("五、一般公共预算财政拨款支出决算情况说明", [
        f"{y}年度财政拨款支出{m(f)}万元，占本年支出合计的{pct(f, total)}%。",
        f"{y}年度财政拨款支出{m(f)}万元，主要用于以下方面：{parts}。"] + detail))
    personnel = sum(v for *_, v in r.personnel) + sum(v for *_, v in r.family)
    public = r.basic_total - personnel
    out.append(("六、一般公共预算财政拨款基本支出决算情况说明", [
        f"{y}年度一般公共预算财政拨款基本支出{m(r.basic_total)}万元，其中：",
        f"人员经费{m(personnel)}万元，主要包括：" + "、".join(n for _, n, v in r.personnel if v) + "。",
        f"公用经费{m(public)}万元，主要包括：" + "、".join(n for _, n, v in r.public + r.capital if v) + "。"]))
    b, a = sum(r.sangong_budget), sum(r.sangong_actual)
    sg = [f"{y}年度“三公”经费财政拨款支出预算为{m(b)}万元，支出决算为{m(a)}万元。"]
    if a:
        sg.append(f"其中：公务用车购置及运行费支出决算{m(r.sangong_actual[1] + r.sangong_actual[2])}万元，"
                  f"公务接待费支出决算{m(r.sangong_actual[3])}万元。")
    out.append(("七、一般公共预算财政拨款“三公”经费支出决算情况说明", sg))
    out.append(("八、政府性基金预算财政拨款收入支出决算情况说明", ["本单位当年无政府性基金预算财政拨款收入支出。"]))
    out.append(("九、国有资本经营预算财政拨款支出决算情况说明", ["本单位当年无国有资本经营预算财政拨款支出。"]))
    out.append(("十、机关运行经费支出说明", [f"{y}年度{r.unit}机关运行经费支出{m(public)}万元。"]))
    goods, services, sme = r.procurement
    out.append(("十一、政府采购支出说明", [
        f"本单位{y}年度政府采购支出总额{m(goods + services)}万元，其中：政府采购货物支出{m(goods)}万元、"
        f"政府采购服务支出{m(services)}万元。授予中小企业合同金额{m(sme)}万元，"
        f"占政府采购支出总额的{pct(sme, goods + services)}%。"]))
    v, g, s = r.assets
    out.append(("十二、国有资产占用情况说明", [
        f"截至{y}年12月31日，本单位共有车辆{v}辆；单位价值50万元以上通用设备{g}台（套）；"
        f"单位价值100万元以上专用设备{s}台（套）。"]))
    perf = [f"根据预算绩效管理要求，本部门组织对{y}年度一般公共预算项目支出全面开展绩效自评，共涉及项目"
            f"{len(r.projects)}个，资金{m(r.fiscal_project_total)}万元，占一般公共预算项目支出总额的100%。"]
    for k, (name, budget_, done) in enumerate(r.projects, start=1):
        perf.append(f"{k}. {name}项目绩效自评综述：项目全年预算数为{m(budget_)}万元，执行数为{m(done)}万元，"
                    f"完成预算的{pct(done, budget_)}%。")
    perf.append(f"本年度我单位整体支出绩效自评评价得分为{r.score}分。")
    out.append(("十三、预算绩效情况说明", perf))
    return out


# ------------------------------------------------------------------ layouts
def render(r: Report, layout: str) -> str:
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; one of {LAYOUTS}")
    y, unit = r.year, r.unit
    md = layout == "markdown"
    pdf = layout == "pdftext"
    out: list[str] = []

    def head(level: int, text: str) -> None:
        out.append(("#" * level + " " + text) if md else (text + " " if pdf else text))
        out.append("")

    def para(text: str) -> None:
        if pdf:
            out.extend(line + " " for line in _wrap(text, 26))
        else:
            out.append(text)
        out.append("")

    if md:
        out += [f"# {unit}{y}年度部门决算", ""]
    else:
        out += [f"{unit} {y} 年度部门决算" + (" " if pdf else ""), ""]
    head(2 if md else 1, f"第一部分 {unit}概况")
    head(3 if md else 1, "一、部门主要职能")
    for k, d in enumerate(r.duties, start=1):
        para(f"{k}. {d}" if not pdf else f"（{CN_NUM[k - 1]}）{d}")
    head(3 if md else 1, "二、机构设置情况")
    para(f"从单位构成看，{unit}部门决算由实行独立核算的{unit}本级决算组成。")
    head(3 if md else 1, "三、人员构成情况")
    para(f"{unit}总编制人数{r.staff[0]}人，在职实有人数{r.staff[1]}人。")

    head(2 if md else 1, f"第二部分 {unit}{y}年度部门决算表")
    for k, t in enumerate(_tables(r), start=1):
        if md:
            out += [f"### {t.heading}", "", t.title, "", f"部门：{unit}", "", "金额单位：万元", ""]
            width = max(len(h) for h in t.header + t.rows) if (t.header or t.rows) else 1
            hdr = [h + [""] * (width - len(h)) for h in t.header]
            out.append("| " + " | ".join(hdr[0]) + " |")
            out.append("|" + "---|" * width)
            for h in hdr[1:]:
                out.append("| " + " | ".join(h) + " |")
            for row in t.rows:
                row = row + [""] * (width - len(row))
                if row[0] == "合计" and len(row) > 1 and row[1] == "":
                    row = ["**合计**"] + row[1:]
                out.append("| " + " | ".join(row) + " |")
            out.append("")
        elif pdf:
            out += [f"{t.title}（表 {k}） ", f"部门：{unit}        单位：万元 "]
            for h in t.header:
                out.append(_pdf_row(h))
            for row in t.rows:
                if any(row):
                    out.append(_pdf_row(row))
        else:
            out += [t.heading, "", t.title, "", f"部门：{unit}", "", "金额单位：万元", ""]
            out += ["\t".join(h) for h in t.header]
            out += ["\t".join(row) for row in t.rows]
            out.append("")
        for note in t.notes:
            out.append(note + (" " if pdf else ""))
            out.append("")

    head(2 if md else 1, f"第三部分 {unit}{y}年度部门决算情况说明")
    for heading, paras in _narrative(r):
        head(3 if md else 1, heading)
        for p in paras:
            para(p)
    head(2 if md else 1, "第四部分 其他需要说明的情况")
    para("无。")
    head(2 if md else 1, "第五部分 名词解释")
    para("（一）财政拨款收入：指本级财政当年拨付的资金。")
    para("（二）基本支出：指为保障机构正常运转、完成日常工作任务而发生的人员经费和公用经费。")
    para("（三）项目支出：指在基本支出之外为完成特定行政任务和事业发展目标所发生的支出。")
    para("（四）“三公”经费：指用一般公共预算财政拨款安排的因公出国（境）费、公务用车购置及运行费和公务接待费。")
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ corpora
def identities(n: int, seed: int = 0) -> list[tuple[str, str, int]]:
    """n distinct (unit name, region, year), deterministic for a seed."""
    combos = [(c, d, u, y) for c in CITIES for d in DISTRICTS for u in UNIT_KINDS for y in YEARS]
    if n > len(combos):
        raise ValueError(f"at most {len(combos)} distinct synthetic reports")
    rng = random.Random(seed)
    picked = rng.sample(combos, n)
    return [(f"{c}{d}{u}", d, y) for c, d, u, y in picked]


def generate(out_dir: Path, n: int, seed: int = 0, layouts: Iterable[str] = LAYOUTS,
             start: int = 0) -> list[Path]:
    """Write reports start..n-1 of the seed's sequence into out_dir (layouts cycle); returns paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    layouts = list(layouts)
    paths = []
    for k, (unit, region, year) in enumerate(identities(n, seed)):
        if k < start:
            continue
        rng = random.Random(f"{seed}-{k}")
        layout = layouts[k % len(layouts)]
        text = render(make_report(rng, unit, region, year), layout)
        p = out_dir / f"synth_{k:05d}_{layout}.{'md' if layout == 'markdown' else 'txt'}"
        p.write_text(text, encoding="utf-8")
        paths.append(p)
    return paths


def sample(layout: str, seed: int = 0, index: int = 0) -> tuple[Report, str]:
    """One report and its text in `layout` (for tests)."""
    unit, region, year = identities(index + 1, seed)[index]
    r = make_report(random.Random(f"{seed}-{index}"), unit, region, year)
    return r, render(r, layout)


def _main(argv: Optional[list[str]] = None) -> None:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m bench.synth", description="write synthetic 部门决算 reports")
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("-n", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--layout", choices=LAYOUTS, action="append")
    ap.add_argument("--templates", action="store_true",
                    help="n reports in the other provinces' templates and formats of synth_templates.py "
                         "(PDF, Markdown, text), cycling through them")
    ap.add_argument("--pdf-styles", action="store_true",
                    help="with --templates: every report a PDF, in the styles of synth_pdf.py in turn "
                         "(tables over page breaks, merged headers, 类/款/项 columns, without rules, …)")
    a = ap.parse_args(argv)
    if a.templates:
        from .synth_pdf import STYLES, styled_pdf
        from .synth_templates import FORMATS, TEMPLATES, variant

        a.out_dir.mkdir(parents=True, exist_ok=True)
        for k in range(a.n):
            template = TEMPLATES[(k * 3 + 2) % len(TEMPLATES)]
            expected, data, report = variant(a.seed, k, template, "pdf" if a.pdf_styles else FORMATS[k % len(FORMATS)])
            if a.pdf_styles:
                data = styled_pdf(report, template, STYLES[k % len(STYLES)])
            (a.out_dir / expected.file_name).write_bytes(data)
            print(a.out_dir / expected.file_name)
        return
    for p in generate(a.out_dir, a.n, a.seed, a.layout or LAYOUTS):
        print(p)


if __name__ == "__main__":
    _main()
