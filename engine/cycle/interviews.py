"""Interview records (绩效面谈, seed 004's 绩效考核面谈记录; seed 003's 面谈 with an improvement
plan) per person and month: strengths, what to improve, a plan naming the KPIs it targets, the
employee's comment, both confirmations; and whether those KPIs moved in the months after."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from engine.accounts import Access
from engine.cycle.appeals import acting_employee
from engine.cycle.config import CycleConfig
from engine.cycle.results import monthly_rows
from engine.cycle.states import standing, state_name
from engine.schemes.scheme import Scheme
from engine.store import Store

FIELDS = ("strengths", "improve", "plan", "plan_kpis")
MOVES = {
    "up": ("上升", "up"),
    "down": ("下降", "down"),
    "same": ("不变", "unchanged"),
    "none": ("无数据", "no data"),
}
# Months an employee may see and confirm (the employee's own page shows these).
VISIBLE_STATES = ("published", "locked")


class InterviewRefused(ValueError):
    """An interview record that may not be kept or confirmed; the message says why."""


def save(
    store: Store,
    config: CycleConfig,
    access: Access,
    scheme: Scheme,
    period: str,
    employee_id: str,
    strengths: str,
    improve: str,
    plan: str,
    plan_kpis: list[str],
    confirm: bool = True,
) -> str:
    """Keep (or edit) the interviewer's side of a person's interview record of a month, and
    their confirmation; an edited record asks the employee to confirm again. Returns what
    happened; raises InterviewRefused."""
    if acting_employee(access) is not None or access.role not in config.adjust_roles:
        raise InterviewRefused(
            f"角色 {access.role} 不能填写面谈记录 / the role {access.role} may not keep interview "
            f"records (allowed: {', '.join(config.adjust_roles)})"
        )
    facts = store.facts([period])
    found = facts[facts["employee_id"].eq(employee_id)]
    if found.empty:
        raise InterviewRefused(f"{period} 没有 {employee_id} 的数据 / no data of {employee_id}")
    department = found["department"].iloc[0]
    if not access.all_departments and department not in access.departments:
        raise InterviewRefused(
            f"{employee_id} 属于部门 {department},不在你的范围 / {employee_id} is of another "
            f"department ({department})"
        )
    texts = [t.strip() for t in (strengths, improve, plan)]
    kpis = list(dict.fromkeys(plan_kpis))
    problems = []
    if not any(texts):
        problems.append("面谈记录为空 / the record is empty")
    unknown = [k for k in kpis if k not in scheme.kpi_ids]
    if unknown:
        problems.append(f"方案中没有这些指标 / no such KPI: {', '.join(unknown)}")
    if texts[2] and not kpis:
        problems.append("改进计划需要指明针对的指标 / name the KPIs the plan targets")
    if problems:
        raise InterviewRefused("; ".join(problems))
    content = dict(zip(FIELDS, [*texts, json.dumps(kpis, ensure_ascii=False)], strict=True))
    names = ", ".join(scheme.kpi(k).label() for k in kpis) or "—"
    detail = f"{period}: {employee_id} 面谈记录 interview ({names})" + (
        "; 面谈人确认 confirmed by the interviewer" if confirm else ""
    )
    store.save_interview(period, employee_id, content, confirm, detail)
    return detail


def confirm(store: Store, access: Access, period: str, employee_id: str, comment: str = "") -> str:
    """The employee's comment (受考核人意见陈述) and confirmation of their own interview record
    of a published month; returns what happened."""
    if acting_employee(access) != employee_id:
        raise InterviewRefused(
            f"只能确认本人的面谈记录 / only the person themself may confirm the interview record "
            f"of {employee_id}"
        )
    now_state = standing(store.month_states([period]), period, []).state
    if now_state not in VISIBLE_STATES:
        raise InterviewRefused(
            f"{period} 当前为 {state_name(now_state)},尚未发布 / {period} is {now_state}: not "
            "published"
        )
    detail = f"{period}: {employee_id} 确认面谈记录 confirms the interview record" + (
        f" ({comment.strip()})" if comment.strip() else ""
    )
    if not store.confirm_interview(period, employee_id, comment.strip(), detail):
        raise InterviewRefused(f"{period} 还没有面谈记录 / no interview record for {period} yet")
    return detail


def record(store: Store, period: str, employee_id: str) -> dict | None:
    """A person's interview record of a month (plan_kpis as a list), None if there is none."""
    return records(store, [period], employee_id)[period]


def records(store: Store, periods: list[str], employee_id: str) -> dict[str, dict | None]:
    """record of each of some months, read at once."""
    kept = store.interviews(list(periods))
    found = kept[kept["employee_id"].eq(employee_id)].drop_duplicates("period")
    out = {period: None for period in periods}
    for held in found.to_dict("records"):  # a record per month of one person: a few
        out[held["period"]] = held | {"plan_kpis": json.loads(held["plan_kpis"] or "[]")}
    return out


def plan_progress(monthly: pd.DataFrame, interviews: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """For each interview's targeted KPIs and each later month of the person: the KPI's points
    in the interview month (before) and in the later month (after), the change, and whether it
    moved up, down, stayed, or has no data."""
    columns = ["employee_id", "interview_period", "kpi", "period"]
    columns += ["points_before", "points_after", "change", "moved"]
    if interviews.empty or monthly.empty:
        return pd.DataFrame(columns=columns)
    plans = interviews.assign(kpi=interviews["plan_kpis"].map(_kpi_list))[
        ["employee_id", "period", "kpi"]
    ].explode("kpi")
    plans = plans[plans["kpi"].isin(scheme.kpi_ids)].rename(columns={"period": "interview_period"})
    score_columns = [f"score_{k}" for k in scheme.kpi_ids if f"score_{k}" in monthly]
    points = monthly[["employee_id", "period", *score_columns]].melt(
        id_vars=["employee_id", "period"], var_name="kpi", value_name="points"
    )
    points["kpi"] = points["kpi"].str.removeprefix("score_")
    before = plans.merge(
        points.rename(columns={"period": "interview_period", "points": "points_before"}),
        on=["employee_id", "interview_period", "kpi"],
        how="left",
    )
    after = before.merge(
        points.rename(columns={"points": "points_after"}), on=["employee_id", "kpi"]
    )
    after = after[after["period"] > after["interview_period"]]
    change = (after["points_after"] - after["points_before"]).round(2)
    moved = np.select(
        [change.isna(), change > 0, change < 0], ["none", "up", "down"], default="same"
    )
    out = after.assign(change=change, moved=moved)[columns]
    return out.sort_values(["employee_id", "period", "interview_period", "kpi"], ignore_index=True)


def progress_for(store: Store, scheme: Scheme, employee_id: str, period: str) -> pd.DataFrame:
    """What a person's statement of `period` shows of earlier interviews: each KPI an earlier
    plan targeted, its points then and now, and whether it moved (see plan_progress)."""
    kept = store.interviews()
    kept = kept[kept["employee_id"].eq(employee_id) & (kept["period"] < period)]
    if kept.empty:
        return plan_progress(pd.DataFrame(), kept, scheme)
    months = sorted({*kept["period"], period} & set(store.periods()))
    monthly = monthly_rows(store, scheme, months)
    monthly = monthly[monthly["employee_id"].eq(employee_id)]
    found = plan_progress(monthly, kept, scheme)
    return found[found["period"].eq(period)].reset_index(drop=True)


def _kpi_list(text: str | None) -> list[str]:
    return json.loads(text or "[]")
