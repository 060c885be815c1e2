"""Appeals and interviews (申诉与面谈): the queue of appeals of the chosen period's months with
filters, taking one into review and deciding it with a reason, a dashboard per department, and
the interview records (绩效面谈) of the month with their improvement plans' progress."""

import json

import pandas as pd
import streamlit as st

from engine.cycle import appeals, interviews
from engine.cycle.appeals import AppealRefused
from engine.cycle.interviews import InterviewRefused
from engine.scoring.periods import parse_period
from engine.store import StoreError
from ui import data
from ui.i18n import labelled, language, tr
from ui.page import downloads, require_view

MESSAGE_KEY = "appeals_message"
LABELS = {
    "appeal_id": ("编号", "No."),
    "state_name": ("状态", "State"),
    "kpi_names": ("有异议的指标", "KPIs disputed"),
    "believed_text": ("员工认为的值", "Values believed right"),
    "reason": ("申诉理由", "Reason"),
    "filed_at": ("提交时间", "Filed"),
    "taken_by": ("受理人", "Taken by"),
    "decided_by": ("处理人", "Decided by"),
    "decided_at": ("处理时间", "Decided"),
    "decision": ("处理意见", "Decision"),
    "change": ("调整", "Adjustment"),
    "adjustment_name": ("调整状态", "Adjustment state"),
    "days_to_decide": ("处理天数", "Days to decide"),
    "appeals": ("申诉数", "Appeals"),
    "open": ("未处理", "Open"),
    "upheld": ("已调整", "Upheld"),
    "rejected": ("已驳回", "Rejected"),
    "closed": ("未答复关闭", "Closed unanswered"),
    "upheld_share": ("调整占比 %", "Upheld %"),
    "median_days_to_decide": ("处理天数中位数", "Median days to decide"),
    "strengths": ("优点", "Strengths"),
    "improve": ("有待改善", "To improve"),
    "plan": ("改进计划", "Improvement plan"),
    "plan_names": ("针对指标", "KPIs targeted"),
    "employee_comment": ("员工意见", "Employee's comment"),
    "manager_confirmed_by": ("面谈人确认", "Interviewer confirmed"),
    "employee_confirmed_by": ("员工确认", "Employee confirmed"),
    "interview_period": ("面谈月份", "Interview month"),
    "kpi_name": ("指标", "KPI"),
    "points_before": ("面谈时得分", "Points then"),
    "points_after": ("本月得分", "Points now"),
    "moved_name": ("变化方向", "Moved"),
}

view, scheme, table = require_view()
period, access, store, config = (
    view.period,
    data.access(),
    data.current_store(),
    data.cycle_config(),
)
st.title(tr("申诉与面谈", "Appeals and interviews") + f" · {period}")
for kind, text in st.session_state.pop(MESSAGE_KEY, []):
    (st.success if kind == "ok" else st.error)(
        tr("已完成", "Done") if kind == "ok" else tr("未执行", "Refused")
    )
    st.text(text)


def done(text: str) -> None:
    """Show the outcome after the rerun that shows every figure as it now is."""
    st.session_state[MESSAGE_KEY] = [("ok", text)]
    data.clear_after_import()
    st.rerun()


def refused(exc: Exception) -> None:
    st.error(tr("未执行", "Refused"))
    st.text(str(exc))


def shown(frame: pd.DataFrame) -> pd.DataFrame:
    """As text with headers in the user's language: numbers without trailing zeros, times to
    the minute, blanks for missing cells (a column mixing numbers and blanks is no column)."""
    text = {}
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            values = values.dt.strftime("%Y-%m-%d %H:%M")
        elif pd.api.types.is_float_dtype(values):
            values = values.map("{:g}".format, na_action="ignore")
        text[column] = values.astype(object).where(values.notna(), "").astype(str)
    named = {c: tr(*LABELS[c]) for c in frame.columns if c in LABELS}
    return labelled(pd.DataFrame(text).rename(columns=named), scheme)


def kpi_name(kpi: str) -> str:
    return scheme.kpi(kpi).label(language()) if kpi in scheme.kpi_ids else kpi


# ---------------------------------------------------------------- the queue
st.subheader(tr("申诉队列", "Appeals queue"))
st.caption(
    tr(
        f"员工在月份发布后 {appeals.appeal_days(scheme):g} 天内可接受或申诉;维持申诉即按调整"
        "流程记入结果(经理的调整需人资审批),驳回则结果不变。有未处理申诉的月份不能锁定。",
        f"People accept or appeal within {appeals.appeal_days(scheme):g} days of publication; "
        "an upheld appeal becomes an adjustment (a manager's waits for HR's approval), a rejected "
        "one changes nothing. A month with open appeals cannot be locked.",
    )
)
months = list(parse_period(period).months)
people = table[["employee_id", "name"]].drop_duplicates("employee_id")
queue = appeals.queue(store, access, months).merge(people, on="employee_id", how="inner")
left, right = st.columns(2)
chosen_states = left.multiselect(
    tr("状态", "State"),
    list(appeals.APPEAL_STATES),
    default=list(appeals.OPEN_STATES),
    format_func=lambda s: tr(*appeals.APPEAL_STATES[s]),
    key="appeals_states",
)
departments = sorted(queue["department"].dropna().unique())
chosen_departments = right.multiselect(
    tr("部门", "Department"), departments, key="appeals_departments"
)
listed = queue[queue["state"].isin(chosen_states)]
if chosen_departments:
    listed = listed[listed["department"].isin(chosen_departments)]
if listed.empty:
    st.caption(tr("没有符合条件的申诉。", "No appeals match."))
else:
    change = listed["points"].map("{:+g}".format, na_action="ignore").astype(object)
    change = change.fillna(listed["grade"])
    rows = listed.assign(
        state_name=listed["state"].map(lambda s: tr(*appeals.APPEAL_STATES[s])),
        kpi_names=listed["kpi_list"].map(lambda ks: ", ".join(map(kpi_name, ks))),
        believed_text=listed["believed_values"].map(
            lambda b: ", ".join(f"{kpi_name(k)} {v:g}" for k, v in b.items())
        ),
        change=change,
        adjustment_name=listed["adjustment_state"].map(
            lambda a: tr(*appeals.ADJUSTMENT_STATES[a]) if a else ""
        ),
        days_to_decide=listed["days_to_decide"].round(1),
    )[
        [
            "appeal_id",
            "period",
            "employee_id",
            "name",
            "department",
            "state_name",
            "kpi_names",
            "believed_text",
            "reason",
            "filed_at",
            "taken_by",
            "decided_by",
            "decided_at",
            "decision",
            "change",
            "adjustment_name",
            "days_to_decide",
        ]
    ]
    st.dataframe(shown(rows), hide_index=True, width="stretch")
    downloads(rows, f"appeals_{period}", key="appeals")

# ---------------------------------------------------------------- working on one appeal
waiting = queue[queue["state"].isin(appeals.OPEN_STATES)]
if len(waiting):
    st.subheader(tr("处理申诉", "Handle an appeal"))
    choices = dict(
        zip(
            waiting["appeal_id"],
            "#"
            + waiting["appeal_id"].astype(str)
            + " "
            + waiting["employee_id"]
            + " "
            + waiting["name"].astype(str)
            + " · "
            + waiting["state"].map(lambda s: tr(*appeals.APPEAL_STATES[s])),
            strict=True,
        )
    )
    number = st.selectbox(
        tr("申诉", "Appeal"), list(choices), format_func=choices.get, key="appeal_chosen"
    )
    appeal = waiting[waiting["appeal_id"].eq(number)].iloc[0]
    st.text(appeal["reason"])
    now = table[table["employee_id"].eq(appeal["employee_id"])]
    if len(now):
        st.caption(
            tr("当前", "Now")
            + f": {now['total'].iloc[0]:.2f} · {now['grade'].iloc[0]} · "
            + tr("奖金", "money")
            + f" {now['bonus'].iloc[0]:,.0f}"
        )
    suggestion = appeals.suggested_points(store, scheme, appeal)
    if suggestion is not None:
        st.caption(
            tr(
                f"按员工认为的值重新计分,总分变化 {suggestion:+g}",
                f"Scored with the values the employee believes right, the total moves "
                f"{suggestion:+g}",
            )
        )
    if appeal["state"] == "pending" and st.button(
        tr("受理(处理中)", "Take into review"), key="appeal_take"
    ):
        try:
            done(appeals.take(store, config, access, number))
        except (AppealRefused, StoreError) as exc:
            refused(exc)
    with st.form("appeal_decide_form"):
        uphold = st.radio(
            tr("处理", "Decision"),
            [False, True],
            format_func=lambda u: (
                tr("维持申诉并调整", "Uphold and adjust") if u else tr("驳回", "Reject")
            ),
            horizontal=True,
            key="appeal_uphold",
        )
        how = st.radio(
            tr("调整方式", "How"),
            ["points", "grade"],
            format_func=lambda k: tr("加减分", "Points") if k == "points" else tr("等级", "Grade"),
            horizontal=True,
            key="appeal_how",
        )
        bound = config.bound(scheme)
        points = st.number_input(
            tr(f"加减分(±{bound:g})", f"Points (±{bound:g})"),
            -bound,
            bound,
            float(min(max(suggestion or 0.0, -bound), bound)),
            0.5,
            key=f"appeal_points_{number}",
        )
        grade = st.selectbox(tr("等级", "Grade"), scheme.grade_names, key="appeal_grade")
        why = st.text_input(tr("处理意见(必填)", "Reason (required)"), key="appeal_reason")
        if st.form_submit_button(tr("提交处理", "Decide"), key="appeal_decide"):
            try:
                done(
                    appeals.decide(
                        store,
                        config,
                        access,
                        scheme,
                        number,
                        uphold,
                        why,
                        float(points) if uphold and how == "points" else None,
                        grade if uphold and how == "grade" else "",
                    )
                )
            except (AppealRefused, StoreError) as exc:
                refused(exc)

# ---------------------------------------------------------------- per department
st.subheader(tr("各部门申诉情况", "Appeals by department"))
st.caption(
    tr(
        "调整占比 = 已调整 ÷(已调整 + 已驳回);处理天数 = 从提交到处理的天数。",
        "Upheld % = upheld ÷ (upheld + rejected); days to decide = from filing to the decision.",
    )
)
board = appeals.dashboard(queue)
if board.empty:
    st.caption(tr("本期没有申诉。", "No appeals in this period."))
else:
    st.dataframe(shown(board), hide_index=True, width="stretch")

# ---------------------------------------------------------------- interviews
st.subheader(tr("绩效面谈记录", "Interview records"))
if view.kind != "month":
    st.info(tr("面谈记录按月填写:请选择一个月份。", "Interviews are monthly: choose a month."))
    st.stop()
kept = store.interviews([period]).merge(people, on="employee_id", how="inner")
if kept.empty:
    st.caption(tr("本月还没有面谈记录。", "No interview records this month yet."))
else:
    records = kept.assign(
        plan_names=kept["plan_kpis"].map(lambda t: ", ".join(map(kpi_name, json.loads(t))))
    )[
        [
            "employee_id",
            "name",
            "strengths",
            "improve",
            "plan",
            "plan_names",
            "manager_confirmed_by",
            "employee_confirmed_by",
            "employee_comment",
        ]
    ]
    st.dataframe(shown(records), hide_index=True, width="stretch")

ordered = table.sort_values("employee_id")
names = dict(
    zip(
        ordered["employee_id"],
        ordered["employee_id"] + " " + ordered["name"].astype(str),
        strict=True,
    )
)
employee = st.selectbox(
    tr("人员", "Person"), list(names), format_func=names.get, key="interview_employee"
)
held = interviews.record(store, period, employee) or {}
with st.form(f"interview_form_{employee}"):
    strengths = st.text_area(
        tr("受考核人所具备的优点", "Strengths"),
        held.get("strengths", ""),
        key=f"iv_strengths_{employee}",
    )
    improve = st.text_area(
        tr("工作上有待改善的地方", "What to improve"),
        held.get("improve", ""),
        key=f"iv_improve_{employee}",
    )
    plan = st.text_area(
        tr("改进计划", "Improvement plan"), held.get("plan", ""), key=f"iv_plan_{employee}"
    )
    plan_kpis = st.multiselect(
        tr("计划针对的指标", "KPIs the plan targets"),
        scheme.kpi_ids,
        default=[k for k in held.get("plan_kpis", []) if k in scheme.kpi_ids],
        format_func=kpi_name,
        key=f"iv_kpis_{employee}",
    )
    sign = st.checkbox(
        tr("面谈人确认", "I confirm as the interviewer"), True, key=f"iv_confirm_{employee}"
    )
    if held.get("employee_comment"):
        st.caption(tr("员工意见", "Employee's comment"))
        st.text(held["employee_comment"])
    if st.form_submit_button(tr("保存面谈记录", "Save the record"), key="iv_save"):
        try:
            done(
                interviews.save(
                    store,
                    config,
                    access,
                    scheme,
                    period,
                    employee,
                    strengths,
                    improve,
                    plan,
                    plan_kpis,
                    sign,
                )
            )
        except (InterviewRefused, StoreError) as exc:
            refused(exc)

st.subheader(tr("改进计划跟踪", "Improvement plans followed up"))
earlier = store.interviews()
earlier = earlier[earlier["period"].lt(period) & earlier["employee_id"].isin(people["employee_id"])]
# The months of the interviews scored as this user may see them, beside this month.
monthly = pd.concat(
    [*(data.scored(m, scheme) for m in sorted(set(earlier["period"]))), table], ignore_index=True
)
progress = interviews.plan_progress(monthly, earlier, scheme)
progress = progress[progress["period"].eq(period)].merge(people, on="employee_id")
if progress.empty:
    st.caption(
        tr("没有以前月份的改进计划可跟踪。", "No improvement plans of earlier months to follow.")
    )
else:
    followed = progress.assign(
        kpi_name=progress["kpi"].map(kpi_name),
        moved_name=progress["moved"].map(lambda m: tr(*interviews.MOVES[m])),
    )[
        [
            "employee_id",
            "name",
            "interview_period",
            "kpi_name",
            "points_before",
            "points_after",
            "change",
            "moved_name",
        ]
    ]
    st.dataframe(shown(followed), hide_index=True, width="stretch")
