"""The what-if solvers: a forced distribution (company-wide or per department) or a bonus pool
(scaled amounts, the base, the best grade's minimum), their controls and the scenario scored."""

from __future__ import annotations

import numpy as np
import streamlit as st

from engine.analysis import whatif
from engine.analysis.ranking import grade_labels
from engine.schemes import edit as scheme_edit
from engine.schemes.scheme import Scheme, SchemeError, parse_scheme
from ui.i18n import language, tr
from ui.whatif.basis import Prepared, row_totals
from ui.whatif.session import Scenario, key

SOLVERS = {
    "none": ("不求解", "No solver"),
    "forced": ("强制分布", "Forced distribution"),
    "budget": ("奖金池", "Bonus pool"),
}


BUDGET_METHODS = {
    "scale": ("按比例调整各等级金额", "Scale the amounts per grade"),
    "base": ("求解基数", "Solve the base"),
    "top_cutoff": ("求解最高等级分数线", "Solve the best grade's minimum"),
}


def solver_controls(start: Scheme, settings: dict) -> tuple[dict, list[str]]:
    """Forced distribution (target shares, company or per department) or a bonus pool."""
    names = grade_labels(start, language())
    modes = list(SOLVERS)
    mode = st.radio(
        tr("求解方式", "Solver"),
        modes,
        index=modes.index(settings.get("mode", "none")),
        format_func={m: tr(*v) for m, v in SOLVERS.items()}.get,
        horizontal=True,
        key=key("solver"),
    )
    problems: list[str] = []
    chosen: dict = {"mode": mode}
    if mode == "forced":
        kinds = {
            "grades": tr("按等级", "Per grade"),
            "buckets": tr("按分组(如 20/70/10)", "By buckets (e.g. 20 / 70 / 10)"),
        }
        kind = st.radio(
            tr("目标形式", "Targets"),
            list(kinds),
            index=list(kinds).index(settings.get("target_kind", "grades")),
            format_func=kinds.get,
            horizontal=True,
            key=key("target_kind"),
        )
        if kind == "buckets":
            shares, buckets, bucket_issues = bucket_controls(start, settings.get("buckets", {}))
            problems += bucket_issues
            chosen |= {"target_kind": kind, "buckets": buckets}
        else:
            shares = grade_share_controls(start, settings, names)
            chosen |= {"target_kind": kind}
        if abs(sum(shares) - 100) > 1e-6 and kind == "grades":
            problems.append(
                tr(
                    f"目标占比合计 {sum(shares):g}%,应为 100%。",
                    f"Target shares add up to {sum(shares):g}%, not 100%.",
                )
            )
        scopes = {
            "company": tr("全公司统一", "Whole company"),
            "department": tr("各部门分别", "Per department"),
        }
        scope = st.radio(
            tr("范围", "Scope"),
            list(scopes),
            index=list(scopes).index(settings.get("scope", "company")),
            format_func=scopes.get,
            horizontal=True,
            key=key("scope"),
        )
        chosen |= {"shares": [float(v) for v in shares], "scope": scope}
    elif mode == "budget" and start.money_formulas:
        # The solvers scale money per grade or a base; money from a formula has neither.
        problems.append(
            tr(
                "部分岗位的奖金按公式计算,奖金池求解不适用于此方案。",
                "Some posts are paid by a formula: the bonus-pool solver does not apply to "
                "this scheme.",
            )
        )
    elif mode == "budget":
        methods = (
            ["scale", "base"] if start.money.mode != "grade_amount" else ["scale", "top_cutoff"]
        )
        if start.money.mode == "performance_pay":
            methods = ["base"]
        method = st.radio(
            tr("调整什么", "What to solve"),
            methods,
            index=methods.index(settings["method"]) if settings.get("method") in methods else 0,
            format_func={m: tr(*v) for m, v in BUDGET_METHODS.items()}.get,
            horizontal=True,
            key=key("method"),
        )
        pool = st.number_input(
            tr("奖金池(元)", "Bonus pool (yuan)"),
            min_value=0.0,
            value=float(settings.get("pool", 0.0)),
            step=1000.0,
            format="%.0f",
            key=key("pool"),
        )
        chosen |= {"method": method, "pool": pool}
    return chosen, problems


def grade_share_controls(start: Scheme, settings: dict, names: dict[str, str]) -> list[float]:
    """A target share per grade (the scheme's target mix to start with)."""
    defaults = settings.get("shares") or [
        start.target_mix.get(g, 100 / len(start.grades)) for g in start.grade_names
    ]
    st.caption(
        tr(
            "各等级目标占比(%,合计 100)。分数线取最接近目标累计占比处,同分的人总在同一等级。",
            "Target share per grade (%, adding up to 100). Each minimum goes where the "
            "cumulative share comes closest to the target; equal totals stay in one grade.",
        )
    )
    return [
        column.number_input(
            names[g],
            min_value=0.0,
            max_value=100.0,
            value=float(defaults[i]),
            step=5.0,
            format="%g",
            key=key("share", i),
        )
        for i, (g, column) in enumerate(
            zip(start.grade_names, st.columns(len(start.grades)), strict=True)
        )
    ]


def bucket_controls(start: Scheme, saved: dict) -> tuple[list[float], dict, list[str]]:
    """The guide's buckets: how many, each one's share, and which grades each one holds; the
    per-grade targets they give (a bucket split in the proportions of the scheme's target mix)."""
    names = grade_labels(start, language())
    grades = len(start.grades)
    count = int(
        st.number_input(
            tr("分组数", "Buckets"),
            min_value=2,
            max_value=grades,
            value=len(saved.get("shares", [])) or min(3, grades),
            step=1,
            key=key("bucket_count"),
        )
    )
    guide = [20.0, 70.0, 10.0] if count == 3 else [round(100 / count, 2)] * count
    saved_shares = saved.get("shares") if len(saved.get("shares", [])) == count else guide
    st.caption(
        tr(
            "各组目标占比(%,合计 100),从好到差:",
            "Share of each bucket (%, adding up to 100), best first:",
        )
    )
    bucket_shares = [
        column.number_input(
            tr(f"第 {b + 1} 组", f"Bucket {b + 1}"),
            min_value=0.0,
            max_value=100.0,
            value=float(saved_shares[b]),
            step=5.0,
            format="%g",
            key=key("bucket_share", count, b),
        )
        for b, column in enumerate(st.columns(count))
    ]
    default_of = (
        whatif.default_buckets(grades)
        if count == 3
        else [min(i * count // grades, count - 1) for i in range(grades)]
    )
    saved_of = saved.get("of") if len(saved.get("of", [])) == grades else default_of
    saved_of = [b if b < count else count - 1 for b in saved_of]
    st.caption(tr("每个等级归入哪一组:", "Which bucket each grade belongs to:"))
    of = [
        column.selectbox(
            names[g],
            range(count),
            index=saved_of[i],
            format_func=lambda b: tr(f"第 {b + 1} 组", f"Bucket {b + 1}"),
            key=key("bucket_of", count, i),
        )
        for i, (g, column) in enumerate(zip(start.grade_names, st.columns(grades), strict=True))
    ]
    problems = [tr(*p) for p in whatif.bucket_problems(of, count)]
    if abs(sum(bucket_shares) - 100) > 1e-6:
        problems.append(
            tr(
                f"各组目标占比合计 {sum(bucket_shares):g}%,应为 100%。",
                f"Bucket shares add up to {sum(bucket_shares):g}%, not 100%.",
            )
        )
    mix = [start.target_mix.get(g, 0.0) for g in start.grade_names]
    shares = whatif.bucket_shares(of, bucket_shares, mix).tolist() if not problems else [0.0]
    if not problems:
        st.caption(
            tr(
                "组内各等级按方案的目标分布比例分摊:",
                "Inside a bucket the grades share it in the proportions of the scheme's target "
                "mix:",
            )
            + " "
            + " · ".join(
                f"{names[g]} {v:.1f}%" for g, v in zip(start.grade_names, shares, strict=True)
            )
        )
    return shares, {"shares": bucket_shares, "of": [int(b) for b in of]}, problems


def bucket_names(scheme: Scheme, of: list[int]) -> list[str]:
    """Each bucket named by its grades: 优秀+良好."""
    names = grade_labels(scheme, language())
    return [
        "+".join(names[g] for g, b in zip(scheme.grade_names, of, strict=True) if b == bucket)
        for bucket in range(max(of) + 1)
    ]


def run(prepared: Prepared, scheme: Scheme, settings: dict) -> Scenario:
    """Score the scenario; a solver writes its cutoffs or money into the scheme first."""
    try:
        return _run(prepared, scheme, settings)
    except (ValueError, SchemeError) as exc:
        reason = "; ".join(exc.problems) if isinstance(exc, SchemeError) else str(exc)
        return Scenario(None, settings, [tr(f"无法计算:{reason}", f"Cannot score: {reason}")])


def _run(prepared: Prepared, scheme: Scheme, settings: dict) -> Scenario:
    basis = prepared.basis
    totals = row_totals(prepared, scheme)
    mode = settings.get("mode", "none")
    if mode == "forced" and settings.get("scope") == "department":
        people = whatif.mix_totals(basis, totals)  # only people in the grade mix share out
        table = whatif.forced_cutoffs(
            people, settings["shares"], basis.department, len(basis.departments)
        )
        per_person = whatif.department_cutoffs(basis, table)
        outcome = whatif.regrade(basis, scheme, totals, per_person)
        return Scenario(scheme, settings, [], outcome, department_cutoffs=table)
    if mode == "forced":
        people = whatif.mix_totals(basis, totals)
        cutoffs = whatif.forced_cutoffs(people, settings["shares"])
        scheme = parse_scheme(scheme_edit.with_cutoffs(scheme.raw, scheme, list(cutoffs)))
    fit = None
    if mode == "budget" and settings.get("pool", 0) > 0:
        scheme, fit = _fit_pool(basis, scheme, totals, settings)
    return Scenario(scheme, settings, [], whatif.regrade(basis, scheme, totals), fit=fit)


def replayed(settings: dict) -> dict:
    """The settings to score a saved scenario with: its file already holds what a solver found,
    except minimums per department, which are solved again."""
    if settings.get("mode") == "forced" and settings.get("scope") == "department":
        return settings
    return {**settings, "mode": "none"}


def _fit_pool(basis, scheme: Scheme, totals: np.ndarray, settings: dict):
    pool, method, money = settings["pool"], settings["method"], scheme.money
    graded = whatif.regrade(basis, scheme, totals)
    # The pool pays the people in the grade mix: the others' months are left out of the fit.
    in_mix = whatif.mix_rows(basis, totals)
    grades = whatif.mix_rows(basis, graded.row_grade, whatif.NO_GRADE)
    if method == "top_cutoff":
        table = money.amounts if money.mode == "grade_amount" else money.coefficients
        factor = 1.0 if money.mode == "grade_amount" else money.base
        amounts = [table[g] * factor for g in scheme.grade_names]
        fit = whatif.fit_top_cutoff(in_mix, whatif.scheme_cutoffs(scheme), amounts, pool)
        cutoffs = [fit.top_cutoff, *whatif.scheme_cutoffs(scheme)[1:]]
        return parse_scheme(scheme_edit.with_cutoffs(scheme.raw, scheme, cutoffs)), fit
    if method == "scale" and money.mode == "grade_amount":
        amounts = [money.amounts[g] for g in scheme.grade_names]
        fit = whatif.fit_amounts(grades, amounts, pool)
        paid = dict(zip(scheme.grade_names, fit.amounts, strict=True))
        return parse_scheme(scheme_edit.with_money(scheme.raw, amounts=paid)), fit
    fit = whatif.fit_base(in_mix, grades, scheme, pool)
    return parse_scheme(scheme_edit.with_money(scheme.raw, base=fit.base)), fit
