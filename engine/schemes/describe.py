"""The scheme in plain words (考核标准): units, methods, rules, grades and weights as tables."""

from __future__ import annotations

import math

import pandas as pd

from engine.schemes.scheme import Kpi, Scheme, normalize_header

UNIT_WORDS = {
    "days": ("天", " days"),
    "%": ("%", "%"),
    "min": ("分钟", " min"),
    "hours": ("小时", " hours"),
    "count": ("次", ""),
    "points": ("分", " points"),
    "rating": ("", ""),
    "yuan": ("元", " yuan"),
}
METHOD_NAMES = {
    "bands": ("分档计分", "Bands"),
    "tiers": ("达标分级", "Tiers"),
    "linear": ("线性达成", "Linear"),
    "deduction": ("扣分制", "Deduction"),
    "rating": ("评分折算", "Rating"),
}
MONEY_NAMES = {
    "grade_amount": ("按等级定额奖金", "Fixed amount per grade"),
    "performance_pay": ("绩效工资 = 基数 × 总分 / 100", "Performance pay = base × total / 100"),
    "grade_coefficient": ("等级系数 × 奖金基数", "Grade coefficient × bonus base"),
    "formula": ("按公式计算", "By formula"),
}


# ------------------------------------------------------------------ the scheme in plain words


def unit_text(kpi: Kpi, language: str = "zh") -> str:
    zh, en = UNIT_WORDS.get(kpi.unit, ("", ""))
    return zh if language == "zh" else en


def rule_text(kpi: Kpi, language: str = "zh") -> str:
    """How a KPI is scored, as the published standard says it ("0–2 天 → 5 分; …")."""
    zh = language == "zh"
    unit = unit_text(kpi, language)
    pts = (lambda p: f"{p:g} 分") if zh else (lambda p: f"{p:g} point" + ("" if p == 1 else "s"))
    if kpi.method == "bands":
        low = kpi.valid_range[0]
        parts = []
        for band in kpi.bands:
            if band.upto == math.inf:
                span = f"{low:g}{unit}以上" if zh else f"over {low:g}{unit}"
            elif math.isfinite(low):
                span = f"{low:g}–{band.upto:g}{unit}"
            else:
                span = f"≤ {band.upto:g}{unit}"
            parts.append(f"{span} → {pts(band.points)}")
            low = band.upto
        top = f"({pts(kpi.max_points)} = 100)"
        return ("; " if not zh else ";").join(parts) + (" " if not zh else "") + top
    if kpi.method == "tiers":
        better = "≤" if kpi.direction == "lower" else "≥"
        if zh:
            worse = "超过" if kpi.direction == "lower" else "低于"
        else:
            worse = "over" if kpi.direction == "lower" else "under"
        parts = []
        for i, tier in enumerate(kpi.tiers):
            if tier.threshold is not None:
                span = f"{better} {tier.threshold:g}{unit}"
            elif i > 0:
                span = f"{worse} {kpi.tiers[i - 1].threshold:g}{unit}"
            else:
                span = "全部" if zh else "any value"
            score = f"{tier.score:g} 分" if zh else f"{tier.score:g}"
            said = tier.said(language)
            label = "" if not said else f"({said})" if zh else f" ({said})"
            parts.append(f"{span} → {score}{label}")
        return (";" if zh else "; ").join(parts)
    if kpi.method == "linear":
        best, worst = ("≥", "≤") if kpi.target > kpi.floor else ("≤", "≥")
        if zh:
            cap = f",超额最高 {100 * kpi.cap:g} 分" if kpi.cap > 1 else ""
            return (
                f"{best} {kpi.target:g}{unit} 得 100 分,{worst} {kpi.floor:g}{unit} 得 0 分,"
                f"之间按比例{cap}"
            )
        cap = f", over-achievement up to {100 * kpi.cap:g}" if kpi.cap > 1 else ""
        return (
            f"{best} {kpi.target:g}{unit} scores 100, {worst} {kpi.floor:g}{unit} scores 0, "
            f"in proportion between{cap}"
        )
    if kpi.method == "deduction":
        if zh:
            floor = "可为负分" if kpi.allow_negative else "最低 0 分"
            return f"从 {kpi.start:g} 分起,每次扣 {kpi.per_incident:g} 分,{floor}"
        floor = "may go negative" if kpi.allow_negative else "down to 0"
        return f"{kpi.start:g} less {kpi.per_incident:g} per incident, {floor}"
    if (kpi.scale_min, kpi.scale_max) == (0, 100):
        return "0–100 分,直接计入" if zh else "a 0–100 score, taken as it is"
    if zh:
        return f"{kpi.scale_min:g}–{kpi.scale_max:g} 分制,折算为百分制({kpi.scale_max:g} 分 = 100)"
    return (
        f"a {kpi.scale_min:g}–{kpi.scale_max:g} rating rescaled to 0–100 ({kpi.scale_max:g} = 100)"
    )


def adjustment_text(kpi: Kpi, language: str = "zh") -> str:
    """What is scored instead of the raw value, where the scheme says so ('' otherwise)."""
    zh = language == "zh"
    if kpi.score_shrunk:
        cases = kpi.denominator[0]
        return (
            f";按{cases}收缩至部门比率后计分(经验贝叶斯)"
            if zh
            else f"; scored on the rate shrunk towards the department's by {cases} (empirical "
            "Bayes)"
        )
    if kpi.rescale_by_rater:
        return (
            ";按评分人宽严换算到同岗位全公司分布后计分"
            if zh
            else "; scored on each rater's ratings moved onto the role's company-wide spread"
        )
    return ""


def kpi_table(scheme: Scheme, language: str = "zh") -> pd.DataFrame:
    """One row per KPI: category, weight inside it, share of the total, direction and rule."""
    zh = language == "zh"
    cats = {c.id: c for c in scheme.categories}
    rows = []
    for kpi in scheme.kpis:
        category = cats[kpi.category]
        weight = scheme.default_plan.kpi_weights.get(kpi.id, 0.0)
        share = weight * scheme.default_plan.category_weights.get(kpi.category, 0.0) / 100
        rows.append(
            {
                "category": category.label(language),
                "kpi": kpi.label(language),
                "weight": weight,
                "share": share,
                "direction": ("越低越好" if zh else "lower is better")
                if kpi.direction == "lower"
                else ("越高越好" if zh else "higher is better"),
                "method": METHOD_NAMES[kpi.method][0 if zh else 1],
                "rule": rule_text(kpi, language) + adjustment_text(kpi, language),
            }
        )
    return pd.DataFrame(rows)


def grade_table(scheme: Scheme, language: str = "zh") -> pd.DataFrame:
    """One row per grade: its name, the totals it takes and the money it earns, in words."""
    zh = language == "zh"
    money = scheme.money
    rows = []
    upper = None
    for level in scheme.grades:
        name = level.name if zh else level.name_en
        if level.min is None:
            span = (f"低于 {upper:g}" if zh else f"below {upper:g}") if upper is not None else ""
        elif upper is None:
            span = f"≥ {level.min:g}"
        else:
            span = (
                f"{level.min:g} ≤ 总分 < {upper:g}" if zh else f"{level.min:g} ≤ total < {upper:g}"
            )
        if money.mode == "grade_amount":
            amount = money.amounts.get(level.name, 0)
            paid = (f"{amount:+,.0f}" if amount else "0") + (" 元" if zh else " yuan")
        elif money.mode == "grade_coefficient":
            factor = money.coefficients.get(level.name, 0)
            paid = (
                f"× {factor:g}(= {factor * money.base:,.0f} 元)"
                if zh
                else (f"× {factor:g} (= {factor * money.base:,.0f} yuan)")
            )
        elif money.mode == "formula":
            factor = money.coefficients.get(level.name)
            words = ("考核系数", "coefficient") if factor is not None else ("按公式", "by formula")
            paid = (words[0] if zh else words[1]) + (f" {factor:g}" if factor is not None else "")
        else:
            paid = f"{money.base:,.0f} × 总分 / 100" if zh else f"{money.base:,.0f} × total / 100"
        rows.append(
            {
                "grade": name,
                "minimum": level.min,
                "totals": span,
                "money": paid,
                "target_share": scheme.target_mix.get(level.name),
            }
        )
        upper = level.min if level.min is not None else upper
    return pd.DataFrame(rows)


def formula_table(scheme: Scheme, language: str = "zh") -> pd.DataFrame:
    """The money formulas: who each applies to and the formula as the scheme writes it."""
    rows = []
    if scheme.money.mode == "formula" and scheme.money.formula is not None:
        everyone = "其他岗位" if language == "zh" else "Other posts"
        rows.append({"role": everyone, "formula": scheme.money.formula.text})
    rows += [
        {"role": r.name, "formula": r.money_formula.text}
        for r in scheme.roles
        if r.money_formula is not None
    ]
    return pd.DataFrame(rows, columns=["role", "formula"])


def money_formula_of(scheme: Scheme, role: object) -> str | None:
    """The money formula a row of this role is paid by, as written, or None."""
    wanted = normalize_header(role) if isinstance(role, str) else None
    for plan in scheme.roles:
        if wanted in {normalize_header(n) for n in (plan.name, *plan.aliases)}:
            if plan.money_formula is not None:
                return plan.money_formula.text
            break
    formula = scheme.money.formula
    return formula.text if scheme.money.mode == "formula" and formula is not None else None


def weights_table(scheme: Scheme, language: str = "zh") -> pd.DataFrame:
    """Category weights (and, below each, its KPI weights) for the default plan and each role."""
    rows = []
    plans = scheme.plans
    heads = ["默认" if language == "zh" else "Default", *[p.name for p in plans[1:]]]
    for category in scheme.categories:
        row = {"item": category.label(language), "level": "category"}
        row |= {
            h: p.category_weights.get(category.id, 0.0) for h, p in zip(heads, plans, strict=True)
        }
        rows.append(row)
        for kpi in scheme.kpis:
            if kpi.category != category.id:
                continue
            row = {"item": "  · " + kpi.label(language), "level": "kpi"}
            row |= {h: p.kpi_weights.get(kpi.id, 0.0) for h, p in zip(heads, plans, strict=True)}
            rows.append(row)
    return pd.DataFrame(rows)
