"""The what-if controls, built from the scheme's own fields: grade minimums and money,
category and KPI weights per role, each KPI's scoring rule; each with its problems in words."""

from __future__ import annotations

import math
from itertools import pairwise

import streamlit as st

from engine.analysis.ranking import grade_labels
from engine.schemes import describe
from engine.schemes import edit as scheme_edit
from engine.schemes.scheme import Scheme
from ui.i18n import language, tr
from ui.whatif.session import key

RULE_LABELS = {
    "floor": ("0 分线", "Scores 0 at"),
    "target": ("满分线", "Scores 100 at"),
    "cap": ("封顶倍数", "Cap"),
    "per_incident": ("每次扣分", "Per incident"),
    "start": ("起始分", "Start"),
    "scale_min": ("量表最低", "Scale from"),
    "scale_max": ("量表最高", "Scale to"),
    "max_points": ("满分点数", "Points = 100"),
}


def grade_money_controls(start: Scheme) -> tuple[dict, list[str]]:
    """Grade minimums and the money per grade (or the base): the scenario data and problems."""
    names = grade_labels(start, language())
    money = start.money
    problems: list[str] = []
    mode_text = tr(*describe.MONEY_NAMES[money.mode])
    st.caption(tr(f"奖金规则:{mode_text}", f"Money rule: {mode_text}"))
    # A formula's money changes with the grade only through the coefficients (考核系数).
    per_grade = money.mode in ("grade_amount", "grade_coefficient") or bool(
        money.mode == "formula" and money.coefficients
    )
    paid = (
        tr("奖金(元)", "amount (yuan)")
        if money.mode == "grade_amount"
        else tr("系数", "coefficient")
    )
    cutoffs, table = [], {}
    # Every input carries its own label (grade and what it sets): on a phone the columns stack
    # and a header row above them would no longer say which input is which.
    for i, level in enumerate(start.grades):
        row = st.columns(2, vertical_alignment="bottom")
        name = names[level.name]
        if level.min is not None:
            cutoffs.append(
                row[0].number_input(
                    tr(f"{name} 最低分(含)", f"{name} minimum (incl.)"),
                    value=float(level.min),
                    step=0.5,
                    format="%g",
                    key=key("cut", i),
                )
            )
        else:
            row[0].markdown(tr(f"{name}:其余", f"{name}: the rest"))
        if per_grade:
            values = money.amounts if money.mode == "grade_amount" else money.coefficients
            table[level.name] = row[1].number_input(
                tr(f"{name} {paid}", f"{name} {paid}"),
                value=float(values.get(level.name, 0.0)),
                step=100.0 if money.mode == "grade_amount" else 0.1,
                format="%g",
                key=key("money", i),
            )
    problems += cutoff_problems(start, cutoffs)
    base = None
    if money.mode in ("performance_pay", "grade_coefficient"):
        base = st.number_input(
            tr("基数(元)", "Base (yuan)"), value=float(money.base), step=100.0, key=key("base")
        )
        if base <= 0:
            problems.append(tr("基数须大于 0。", "The base must be above 0."))
    result = scheme_edit.with_cutoffs(start.raw, start, cutoffs)
    if money.mode == "grade_amount":
        result = scheme_edit.with_money(result, amounts=table)
    elif money.mode == "grade_coefficient":
        result = scheme_edit.with_money(result, coefficients=table, base=base)
    elif money.mode == "formula":
        result = scheme_edit.with_money(result, coefficients=table or None)
    else:
        result = scheme_edit.with_money(result, base=base)
    return result, problems


def cutoff_problems(scheme: Scheme, cutoffs: list[float]) -> list[str]:
    names = grade_labels(scheme, language())
    grades = [names[g.name] for g in scheme.grades]
    return [
        tr(
            f"等级分数线须从高到低:{grades[i + 1]}({low:g})须低于{grades[i]}({high:g})。",
            f"Grade minimums must go down: {grades[i + 1]} ({low:g}) must be below "
            f"{grades[i]} ({high:g}).",
        )
        for i, (high, low) in enumerate(pairwise(cutoffs))
        if low >= high
    ]


def weight_controls(start: Scheme, scenario_data: dict) -> tuple[dict, list[str]]:
    """Category and KPI weights, one tab per plan (the default weights and each role)."""
    problems: list[str] = []
    plans = start.plans
    labels = [tr("默认权重", "Default weights")] + [
        tr(f"岗位:{p.name}", f"Role: {p.name}") for p in plans[1:]
    ]
    result = scenario_data
    defaults: dict[str, float] = {}
    for p, (plan, tab) in enumerate(zip(plans, st.tabs(labels), strict=True)):
        with tab:
            cats, kpis = _plan_weights(start, plan, p)
        who = plan.name or tr("默认", "default")
        problems += weight_problems(start, cats, kpis, who)
        if p == 0:
            defaults = kpis
        result = scheme_edit.with_category_weights(result, cats, plan.name)
        result = scheme_edit.with_kpi_weights(result, kpis, plan.name, defaults)
    return result, problems


def _plan_weights(start: Scheme, plan, p: int) -> tuple[dict, dict]:
    cats: dict[str, float] = {}
    kpis: dict[str, float] = {}
    columns = st.columns(len(start.categories), vertical_alignment="bottom")
    for column, category in zip(columns, start.categories, strict=True):
        cats[category.id] = column.number_input(
            tr(f"{category.name_zh} %", f"{category.name_en} %"),
            min_value=0.0,
            max_value=100.0,
            value=float(plan.category_weights.get(category.id, 0.0)),
            step=5.0,
            format="%g",
            key=key("cat", p, category.id),
        )
    for category in start.categories:
        members = [k for k in start.kpis if k.category == category.id]
        title = st.empty()
        columns = st.columns(min(len(members), 3), vertical_alignment="bottom")
        for i, kpi in enumerate(members):
            kpis[kpi.id] = columns[i % len(columns)].number_input(
                f"{kpi.label(language())} %",
                min_value=0.0,
                max_value=100.0,
                value=float(plan.kpi_weights.get(kpi.id, 0.0)),
                step=5.0,
                format="%g",
                key=key("kpi", p, kpi.id),
            )
        inside = sum(kpis[k.id] for k in members)
        mark = "✅" if abs(inside - 100) < 1e-6 else "❌"
        title.markdown(f"**{category.label(language())}** · {tr('合计', 'sum')} {inside:g}% {mark}")
    return cats, kpis


def weight_problems(scheme: Scheme, cats: dict, kpis: dict, who: str) -> list[str]:
    """Weights that do not add up to 100, in words."""
    problems = []
    total = sum(cats.values())
    if abs(total - 100) > 1e-6:
        problems.append(
            tr(
                f"{who}:类别权重合计 {total:g}%,应为 100%。",
                f"{who}: category weights add up to {total:g}%, not 100%.",
            )
        )
    for category in scheme.categories:
        if cats.get(category.id, 0) == 0:
            continue
        inside = sum(kpis[k.id] for k in scheme.kpis if k.category == category.id)
        if abs(inside - 100) > 1e-6:
            problems.append(
                tr(
                    f"{who}:{category.name_zh}的指标权重合计 {inside:g}%,应为 100%。",
                    f"{who}: {category.name_en} KPI weights add up to {inside:g}%, not 100%.",
                )
            )
    return problems


def rule_controls(start: Scheme, scenario_data: dict) -> dict:
    """Each KPI's scoring parameters, one expander per KPI."""
    result = scenario_data
    for kpi in start.kpis:
        method = tr(*describe.METHOD_NAMES[kpi.method])
        with st.expander(f"{kpi.label(language())} · {method}"):
            st.caption(describe.rule_text(kpi, language()))
            params = _rule_inputs(kpi)
        result = scheme_edit.with_rule(result, kpi.id, **params)
    return result


def _number(label_pair: tuple[str, str], value: float, name: str, step: float = 1.0, col=None):
    return (col or st).number_input(
        tr(*label_pair), value=float(value), step=step, format="%g", key=key("rule", *name)
    )


def _rule_inputs(kpi) -> dict:
    unit = describe.unit_text(kpi, language()).strip()
    unit = f"({unit})" if unit else ""
    params: dict = {}
    if kpi.method == "bands":
        bands = []
        for i, band in enumerate(kpi.bands):
            left, right = st.columns(2)
            if math.isinf(band.upto):
                left.markdown(tr(f"第 {i + 1} 档:以上", f"Band {i + 1}: above"))
                upto = band.upto
            else:
                upto = _number(
                    (f"第 {i + 1} 档上限{unit}", f"Band {i + 1} up to {unit}"),
                    band.upto,
                    (kpi.id, "upto", i),
                    0.5,
                    left,
                )
            points = _number(
                (f"第 {i + 1} 档点数", f"Band {i + 1} points"),
                band.points,
                (kpi.id, "points", i),
                1.0,
                right,
            )
            bands.append((upto, points))
        params["bands"] = bands
        params["max_points"] = _number(RULE_LABELS["max_points"], kpi.max_points, (kpi.id, "max"))
    elif kpi.method == "tiers":
        tiers = []
        for i, tier in enumerate(kpi.tiers):
            left, right = st.columns(2)
            label = f" {tier.said(language())}" if tier.label else ""
            if tier.threshold is None:
                left.markdown(tr(f"第 {i + 1} 级{label}:其余", f"Tier {i + 1}{label}: the rest"))
                threshold = None
            else:
                threshold = _number(
                    (f"第 {i + 1} 级{label}门槛{unit}", f"Tier {i + 1}{label} threshold {unit}"),
                    tier.threshold,
                    (kpi.id, "threshold", i),
                    1.0,
                    left,
                )
            score = _number(
                (f"第 {i + 1} 级得分", f"Tier {i + 1} score"),
                tier.score,
                (kpi.id, "score", i),
                5.0,
                right,
            )
            tiers.append((threshold, score))
        params["tiers"] = tiers
    else:
        fields = scheme_edit.RULE_FIELDS[kpi.method]
        for name, column in zip(fields, st.columns(len(fields)), strict=True):
            step = 0.1 if name == "cap" else 1.0
            params[name] = _number(
                RULE_LABELS[name], getattr(kpi, name), (kpi.id, name), step, column
            )
    return params
