"""The what-if and scheme pages' parts: the scheme version in use, the prepared period (cached),
scenario controls built from the scheme's own fields, their checks, and the result views."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from engine import paths
from engine.analysis import whatif
from engine.analysis.figures import select
from engine.analysis.ranking import grade_labels
from engine.schemes import describe
from engine.schemes import edit as scheme_edit
from engine.schemes import versions as scheme_versions
from engine.schemes.scheme import Scheme, SchemeError, load_scheme, parse_scheme
from engine.scoring.periods import parse_period, score_period
from ui import data
from ui.i18n import labelled, language, tr
from ui.page import downloads, grade_colors
from ui.sidebar import View

PREFIX = "wi"
START_KEY = "wi_start"
GENERATION_KEY = "wi_generation"
FLASH_KEY = "wi_flash"
SHOWN_ROWS = 500
BASELINE_COLOR = "#9aa5b1"
SCENARIO_COLOR = "#1f77b4"
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
RESULT_LABELS = {
    "baseline": ("基线人数", "Baseline"),
    "baseline_share": ("基线占比 %", "Baseline %"),
    "scenario": ("模拟人数", "Scenario"),
    "scenario_share": ("模拟占比 %", "Scenario %"),
    "change": ("变化", "Change"),
    "target_share": ("目标占比 %", "Target %"),
    "baseline_mean": ("基线平均分", "Baseline mean"),
    "scenario_mean": ("模拟平均分", "Scenario mean"),
    "up": ("升级人数", "Up"),
    "down": ("降级人数", "Down"),
    "baseline_money": ("基线奖金", "Baseline money"),
    "scenario_money": ("模拟奖金", "Scenario money"),
    "money_change": ("奖金变化", "Money change"),
    "baseline_total": ("基线总分", "Baseline total"),
    "scenario_total": ("模拟总分", "Scenario total"),
    "baseline_grade": ("基线等级", "Baseline grade"),
    "scenario_grade": ("模拟等级", "Scenario grade"),
    "next_grade": ("上一等级", "Next grade"),
    "points_needed": ("还差分数", "Points needed"),
    "group": ("部门", "Department"),
}


# ------------------------------------------------------------------ data, cached on small keys


@st.cache_data(show_spinner=False, max_entries=16)
def _file_scheme(scheme_file: str, modified: float) -> Scheme:
    return load_scheme(scheme_file)


def file_scheme(scheme_file: str) -> Scheme:
    """The scheme as its file has it (the version the store's versions start from)."""
    return _file_scheme(scheme_file, paths.scheme_path(scheme_file).stat().st_mtime)


def active_scheme(scheme_file: str) -> Scheme:
    """The scheme version in use: the store's newest adopted version, else the file."""
    return data.scheme_at(scheme_file)


@st.cache_data(show_spinner=False, max_entries=16)
def _scored_under(
    db_file: str, version: int, scheme_file: str, digest: str, number: int, period: str
) -> pd.DataFrame:
    scheme = scheme_versions.scheme_version(data.store(db_file), file_scheme(scheme_file), number)
    chosen = parse_period(period)
    table = score_period(data.store(db_file).facts(list(chosen.months)), scheme, chosen)
    return table.assign(scheme_version=f"{scheme.id} v{scheme.version}")


def scored_under(scheme_file: str, number: int, period: str) -> pd.DataFrame:
    """A period scored under any kept version of the scheme, marked with that version."""
    target = data.current_store()
    digest = file_scheme(scheme_file).digest
    return _scored_under(
        str(target.path), data.store_version(), scheme_file, digest, number, period
    )


def version_list(scheme_file: str) -> pd.DataFrame:
    """Every kept version of the scheme, newest first, the one in use marked."""
    return scheme_versions.versions(data.current_store(), file_scheme(scheme_file))


def version_scheme(scheme_file: str, number: int) -> Scheme:
    return scheme_versions.scheme_version(data.current_store(), file_scheme(scheme_file), number)


@st.cache_resource(show_spinner=False, max_entries=8)
def _basis(db_file: str, version: int, digest: str, period: str, _scheme: Scheme) -> whatif.Basis:
    facts = data.store(db_file).facts(list(parse_period(period).months))
    return whatif.prepare(facts, _scheme, period)


@st.cache_resource(show_spinner=False, max_entries=16)
def _filtered(
    db_file: str, version: int, digest: str, period: str, filters: tuple, _basis: whatif.Basis
) -> whatif.Basis:
    kept = select(_basis.people, *filters)
    return whatif.subset(_basis, _basis.people.index.isin(kept.index))


@dataclass(frozen=True)
class Prepared:
    """A prepared period and the small key it is cached under."""

    key: tuple
    basis: whatif.Basis


def basis_for(view: View, scheme: Scheme) -> Prepared:
    """The period prepared once under the scheme (shared by every session), then filtered."""
    target = data.current_store()
    key = (str(target.path), data.store_version(), scheme.digest, view.period)
    full = _basis(*key, scheme)
    if not view.filtered:
        return Prepared(key, full)
    filters = (view.departments, view.teams, view.roles)
    return Prepared((*key, filters), _filtered(*key, filters, full))


@st.cache_resource(show_spinner=False, max_entries=32)
def _row_totals(basis_key: tuple, totals_key: tuple, _basis: whatif.Basis, _scheme: Scheme):
    return whatif.row_totals(_basis, _scheme)


def row_totals(prepared: Prepared, scheme: Scheme) -> np.ndarray:
    """Monthly totals under a scheme, recomputed only when weights or scoring rules change."""
    return _row_totals(prepared.key, whatif.totals_key(scheme), prepared.basis, scheme)


def baseline(prepared: Prepared) -> whatif.Outcome:
    scheme = prepared.basis.scheme
    return whatif.regrade(prepared.basis, scheme, row_totals(prepared, scheme))


# ------------------------------------------------------------------ the scenario being edited


@dataclass
class Start:
    """What the controls start from: the baseline, or a reopened saved scenario."""

    scheme: Scheme
    name: str = ""
    settings: dict = field(default_factory=dict)


def start_for(base: Scheme) -> Start:
    """The current starting point; back to the baseline when the baseline has changed."""
    found = st.session_state.get(START_KEY)
    if found is None or found["baseline"] != base.digest:
        return Start(base)
    return Start(
        scheme_edit.from_toml(found["toml"], found["name"]), found["name"], found["settings"]
    )


def open_start(base: Scheme, name: str = "", toml: str | None = None, settings=None) -> None:
    """Make the controls start over from the baseline or from a saved scenario."""
    if toml is None:
        st.session_state.pop(START_KEY, None)
    else:
        st.session_state[START_KEY] = {
            "baseline": base.digest,
            "name": name,
            "toml": toml,
            "settings": settings or {},
        }
    st.session_state[GENERATION_KEY] = st.session_state.get(GENERATION_KEY, 0) + 1


def key(*parts) -> str:
    """A widget key that changes when the controls start over."""
    generation = st.session_state.get(GENERATION_KEY, 0)
    return "_".join(str(p) for p in (PREFIX, generation, *parts))


def flash(kind: str, message: str) -> None:
    st.session_state[FLASH_KEY] = (kind, message)


def show_flash() -> None:
    found = st.session_state.pop(FLASH_KEY, None)
    if found:
        (st.success if found[0] == "success" else st.error)(found[1])


# ------------------------------------------------------------------ controls


def grade_money_controls(start: Scheme) -> tuple[dict, list[str]]:
    """Grade minimums and the money per grade (or the base): the scenario data and problems."""
    names = grade_labels(start, language())
    money = start.money
    problems: list[str] = []
    mode_text = tr(*describe.MONEY_NAMES[money.mode])
    st.caption(tr(f"奖金规则:{mode_text}", f"Money rule: {mode_text}"))
    head = st.columns(3)
    head[0].markdown(tr("**等级**", "**Grade**"))
    head[1].markdown(tr("**最低分(含)**", "**Minimum (incl.)**"))
    per_grade = money.mode != "performance_pay"
    if per_grade:
        head[2].markdown(
            tr("**奖金(元)**", "**Amount (yuan)**")
            if money.mode == "grade_amount"
            else tr("**系数**", "**Coefficient**")
        )
    cutoffs, table = [], {}
    for i, level in enumerate(start.grades):
        row = st.columns(3, vertical_alignment="center")
        row[0].markdown(names[level.name])
        if level.min is not None:
            cutoffs.append(
                row[1].number_input(
                    tr(f"{names[level.name]} 最低分", f"{names[level.name]} minimum"),
                    value=float(level.min),
                    step=0.5,
                    format="%g",
                    key=key("cut", i),
                    label_visibility="collapsed",
                )
            )
        else:
            row[1].markdown(tr("其余", "the rest"))
        if per_grade:
            values = money.amounts if money.mode == "grade_amount" else money.coefficients
            table[level.name] = row[2].number_input(
                tr(f"{names[level.name]} 金额", f"{names[level.name]} amount"),
                value=float(values.get(level.name, 0.0)),
                step=100.0 if money.mode == "grade_amount" else 0.1,
                format="%g",
                key=key("money", i),
                label_visibility="collapsed",
            )
    problems += cutoff_problems(start, cutoffs)
    base = None
    if money.mode != "grade_amount":
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
            label = f" {tier.label}" if tier.label else ""
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
        shares = [
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
        if abs(sum(shares) - 100) > 1e-6:
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
        chosen |= {"shares": shares, "scope": scope}
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


# ------------------------------------------------------------------ building the scenario


@dataclass
class Scenario:
    """The scheme the controls describe, with the solver applied, or the reasons it cannot be."""

    scheme: Scheme | None
    settings: dict
    problems: list[str]
    outcome: whatif.Outcome | None = None
    department_cutoffs: np.ndarray | None = None
    fit: whatif.BudgetFit | None = None

    @property
    def adoptable(self) -> bool:
        return self.scheme is not None and self.department_cutoffs is None


def checked(scenario_data: dict, problems: list[str]) -> tuple[Scheme | None, list[str]]:
    """The scenario parsed and validated; nothing is applied while any problem remains."""
    if problems:
        return None, problems
    try:
        return parse_scheme(scenario_data, source=tr("模拟方案", "scenario")), []
    except SchemeError as exc:
        return None, exc.problems


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
        people = whatif.person_totals(basis, totals)
        table = whatif.forced_cutoffs(
            people, settings["shares"], basis.department, len(basis.departments)
        )
        per_person = whatif.department_cutoffs(basis, table)
        outcome = whatif.regrade(basis, scheme, totals, per_person)
        return Scenario(scheme, settings, [], outcome, department_cutoffs=table)
    if mode == "forced":
        people = whatif.person_totals(basis, totals)
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
    if method == "top_cutoff":
        table = money.amounts if money.mode == "grade_amount" else money.coefficients
        factor = 1.0 if money.mode == "grade_amount" else money.base
        amounts = [table[g] * factor for g in scheme.grade_names]
        fit = whatif.fit_top_cutoff(totals, whatif.scheme_cutoffs(scheme), amounts, pool)
        cutoffs = [fit.top_cutoff, *whatif.scheme_cutoffs(scheme)[1:]]
        return parse_scheme(scheme_edit.with_cutoffs(scheme.raw, scheme, cutoffs)), fit
    if method == "scale" and money.mode == "grade_amount":
        amounts = [money.amounts[g] for g in scheme.grade_names]
        fit = whatif.fit_amounts(graded.row_grade, amounts, pool)
        paid = dict(zip(scheme.grade_names, fit.amounts, strict=True))
        return parse_scheme(scheme_edit.with_money(scheme.raw, amounts=paid)), fit
    fit = whatif.fit_base(totals, graded.row_grade, scheme, pool)
    return parse_scheme(scheme_edit.with_money(scheme.raw, base=fit.base)), fit


# ------------------------------------------------------------------ results


def result_labels(frame: pd.DataFrame, scheme: Scheme, sides: tuple[str, str] | None = None):
    """Headers in the user's language; `sides` renames 基线/模拟 (e.g. to two scenario names)."""
    names = {k: tr(*v) for k, v in RESULT_LABELS.items() if k in frame}
    if sides:
        for column, text in names.items():
            names[column] = text.replace(tr("基线", "Baseline"), sides[0]).replace(
                tr("模拟", "Scenario"), sides[1]
            )
    return labelled(frame.rename(columns=names), scheme)


def grade_names_shown(frame: pd.DataFrame, scheme: Scheme, columns=("grade",)) -> pd.DataFrame:
    names = grade_labels(scheme, language())
    return frame.assign(
        **{c: frame[c].map(lambda g: names.get(g, g)) for c in columns if c in frame}
    )


def grade_chart(summary: pd.DataFrame, scheme: Scheme, sides: tuple[str, str]) -> go.Figure:
    """Headcount per grade, the two sides as grouped bars."""
    names = [grade_labels(scheme, language())[g] for g in summary["grade"]]
    chart = go.Figure(
        [
            go.Bar(
                x=names,
                y=summary["baseline"],
                name=sides[0],
                marker_color=BASELINE_COLOR,
                text=summary["baseline"],
            ),
            go.Bar(
                x=names,
                y=summary["scenario"],
                name=sides[1],
                marker_color=SCENARIO_COLOR,
                text=summary["scenario"],
            ),
        ]
    )
    chart.update_layout(
        barmode="group",
        height=320,
        margin={"t": 30, "b": 10},
        yaxis_title=tr("人数", "Headcount"),
        legend={"orientation": "h", "y": 1.12},
    )
    return chart


def matrix_view(matrix: pd.DataFrame, scheme: Scheme, widget_key: str) -> tuple[str, str]:
    """The transition matrix as a table in which one cell can be chosen; the chosen cell
    (baseline grade, scenario grade), by default the largest cell off the diagonal."""
    names = grade_labels(scheme, language())
    shown = matrix.rename(index=names, columns=names)
    shown.index.name = tr("基线 ↓ / 模拟 →", "Baseline ↓ / scenario →")
    event = st.dataframe(
        shown,
        on_select="rerun",
        selection_mode="single-cell",
        key=widget_key,
        width="stretch",
    )
    cells = list(getattr(getattr(event, "selection", None), "cells", []) or [])
    labels = list(matrix.columns)
    shown_to_grade = dict(zip(shown.columns, labels, strict=True))
    if cells:
        row, column = cells[0]
        if 0 <= int(row) < len(matrix) and column in shown_to_grade:
            return matrix.index[int(row)], shown_to_grade[column]
    off = matrix.to_numpy().copy()
    np.fill_diagonal(off, 0)
    if off.max() == 0:
        off = matrix.to_numpy()
    row, column = np.unravel_index(np.argmax(off), off.shape)
    return matrix.index[row], matrix.columns[column]


def sweep_chart(
    sweep: pd.DataFrame, scheme: Scheme, marks: list[tuple[str, float, str]]
) -> go.Figure:
    """One line per grade: its share as the chosen minimum moves; marks as vertical lines."""
    names = grade_labels(scheme, language())
    colors = grade_colors(len(scheme.grade_names))
    chart = go.Figure()
    for grade, color in zip(scheme.grade_names, colors, strict=True):
        rows = sweep[sweep["grade"] == grade]
        chart.add_trace(
            go.Scatter(
                x=rows["cutoff"],
                y=rows["share"],
                mode="lines",
                name=names[grade],
                line={"color": color, "width": 2.5},
            )
        )
    for text, value, color in marks:
        chart.add_vline(
            x=value,
            line_dash="dash",
            line_color=color,
            annotation_text=f"{text} {value:g}",
            annotation_position="top",
        )
    chart.update_layout(
        height=360,
        margin={"t": 40, "b": 10},
        xaxis_title=tr("分数线", "Minimum"),
        yaxis_title=tr("占比 %", "Share %"),
        yaxis_ticksuffix="%",
        legend={"orientation": "h", "y": -0.2},
    )
    return chart


def department_chart(shift: pd.DataFrame) -> go.Figure:
    """Money change per department, as bars (one per department, not per person)."""
    ordered = shift.sort_values("money_change")
    chart = go.Figure(
        go.Bar(
            x=ordered["money_change"],
            y=ordered["department"],
            orientation="h",
            marker_color=np.where(ordered["money_change"] >= 0, "#2a9d8f", "#e76f51"),
            text=[f"{v:+,.0f}" for v in ordered["money_change"]],
        )
    )
    chart.update_layout(
        height=140 + 30 * len(ordered),
        margin={"t": 20, "b": 10},
        xaxis_title=tr("奖金变化(元)", "Money change (yuan)"),
    )
    return chart


def money_text(value: float) -> str:
    return f"{value:,.0f}"


def headline(before: whatif.Outcome, after: whatif.Outcome, scheme: Scheme, sides) -> None:
    """Four figures: people changing grade, mean total, money, share of the best grade."""
    moved = int((before.grade != after.grade).sum())
    money = whatif.money_totals(before, after)
    best = grade_labels(scheme, language())[scheme.grade_names[0]]

    def mean(outcome: whatif.Outcome) -> float:
        return float(np.nanmean(outcome.total)) if np.isfinite(outcome.total).any() else np.nan

    def best_share(outcome: whatif.Outcome) -> float:
        graded = outcome.grade_counts[:-1].sum()
        return 100.0 * outcome.grade_counts[0] / graded if graded else np.nan

    def delta(change: float, shape: str) -> str | None:
        return None if not np.isfinite(change) or abs(change) < 0.005 else shape.format(change)

    figures = st.columns(4)
    figures[0].metric(tr("等级变化人数", "People changing grade"), f"{moved}")
    figures[1].metric(
        tr(f"平均分({sides[1]})", f"Mean total ({sides[1]})"),
        f"{mean(after):.2f}",
        delta(mean(after) - mean(before), "{:+.2f}"),
    )
    figures[2].metric(
        tr(f"奖金总额({sides[1]})", f"Money ({sides[1]})"),
        money_text(money["scenario"]),
        delta(money["change"], "{:+,.0f}"),
        delta_color="inverse",
    )
    figures[3].metric(
        tr(f"{best}占比", f"Share {best}"),
        f"{best_share(after):.1f}%",
        delta(best_share(after) - best_share(before), "{:+.1f}"),
    )


def comparison(
    prepared: Prepared,
    before: whatif.Outcome,
    after: whatif.Outcome,
    scheme: Scheme,
    sides: tuple[str, str],
    prefix: str,
    extra: tuple[str, ...] = (),
) -> list:
    """Grades side by side, the transition matrix with the people of a chosen cell, the shift
    per department with money, and everyone whose grade changes; returns the extra tabs."""
    basis = prepared.basis
    tabs = st.tabs(
        [
            tr("等级对比", "Grades"),
            tr("转移矩阵", "Transitions"),
            tr("部门与奖金", "Departments and money"),
            tr("等级变化名单", "Who changes grade"),
            *extra,
        ]
    )
    with tabs[0]:
        summary = whatif.grade_summary(before, after)
        st.plotly_chart(grade_chart(summary, scheme, sides), width="stretch")
        shown = grade_names_shown(summary, scheme)
        st.dataframe(result_labels(shown, scheme, sides), hide_index=True, width="stretch")
    with tabs[1]:
        matrix = whatif.transitions(before, after)
        st.caption(
            tr(
                f"行为{sides[0]}等级,列为{sides[1]}等级;各格合计 {int(matrix.to_numpy().sum())} "
                "人。点选一格,列出其中的人员。",
                f"Rows: {sides[0]} grade; columns: {sides[1]} grade; the cells add up to "
                f"{int(matrix.to_numpy().sum())} people. Choose a cell to list its people.",
            )
        )
        row, column = matrix_view(matrix, scheme, f"{prefix}_matrix")
        names = grade_labels(scheme, language())
        people = whatif.people_in_cell(basis, before, after, row, column)
        st.markdown(
            tr(
                f"**{sides[0]} {names.get(row, row)} → {sides[1]} {names.get(column, column)}:"
                f"{len(people)} 人**",
                f"**{sides[0]} {names.get(row, row)} → {sides[1]} {names.get(column, column)}: "
                f"{len(people)} people**",
            )
        )
        people_table(people, scheme, sides, f"{prefix}_cell")
    with tabs[2]:
        shift = whatif.department_shift(basis, before, after)
        money = whatif.money_totals(before, after)
        st.markdown(
            tr(
                f"奖金总额:{sides[0]} {money_text(money['baseline'])} 元 → {sides[1]} "
                f"{money_text(money['scenario'])} 元(变化 {money['change']:+,.0f} 元)",
                f"Money in total: {sides[0]} {money_text(money['baseline'])} → {sides[1]} "
                f"{money_text(money['scenario'])} yuan (change {money['change']:+,.0f})",
            )
        )
        st.plotly_chart(department_chart(shift), width="stretch")
        st.dataframe(result_labels(shift, scheme, sides), hide_index=True, width="stretch")
    with tabs[3]:
        changed = whatif.changed_people(basis, before, after)
        st.markdown(tr(f"**{len(changed)} 人等级变化**", f"**{len(changed)} people change grade**"))
        people_table(changed, scheme, sides, f"{prefix}_changed")
    return tabs[4:]


def people_table(frame: pd.DataFrame, scheme: Scheme, sides, name: str) -> None:
    """People with both totals, grades and money; the first rows shown, all downloadable."""
    shown = grade_names_shown(frame, scheme, ("baseline_grade", "scenario_grade"))
    shown = result_labels(shown, scheme, sides)
    st.dataframe(shown.head(SHOWN_ROWS), hide_index=True, width="stretch")
    if len(frame) > SHOWN_ROWS:
        st.caption(
            tr(
                f"仅显示前 {SHOWN_ROWS} 人,完整名单请下载。",
                f"The first {SHOWN_ROWS} are shown; download the full list.",
            )
        )
    if len(frame):
        downloads(shown, name, scheme, key=name)
