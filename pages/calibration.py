"""Calibration (校准): HR closes a month: where it stands and the moves to make, departments side
by side against the target mix, the people near a cutoff, the adjustments so far and a new one."""

import hashlib

import pandas as pd
import streamlit as st

from engine.cycle.adjust import read_file
from engine.cycle.calibration import grade_counts, near_cutoffs
from engine.cycle.close import (
    AdjustmentRefused,
    MoveRefused,
    decide,
    make_move,
    month_standing,
    pending,
    problems_of,
    propose,
)
from engine.cycle.config import STATE_NAMES
from engine.store import StoreError
from ui import data
from ui.i18n import grade_name, grade_words, labelled, one_language, tr
from ui.page import downloads, require_view
from ui.wording import event_detail, problem_table

MESSAGE_KEY = "calibration_message"
STORED_KEY = "adjust_file_stored"

view, scheme, table = require_view()
st.title(tr("校准与月度关账", "Calibration and closing the month") + f" · {view.period}")
if view.kind != "month":
    st.info(tr("校准按月进行:请在侧边栏选择一个月份。", "Calibration is monthly: choose a month."))
    st.stop()
period, access, store, config = (
    view.period,
    data.access(),
    data.current_store(),
    data.cycle_config(),
)
for kind, text in st.session_state.pop(MESSAGE_KEY, []):
    (st.success if kind == "ok" else st.error)(
        tr("已完成", "Done") if kind == "ok" else tr("未执行", "Refused")
    )
    st.text(event_detail(text))


def done(kind: str, text: str) -> None:
    """Show the outcome after the rerun that shows every figure as it now is."""
    st.session_state[MESSAGE_KEY] = [(kind, text)]
    data.clear_after_import()
    st.rerun()


# ---------------------------------------------------------------- the month's state
st.subheader(tr("月度状态", "State of the month"))
now = month_standing(store, period)
states = pd.DataFrame(
    {
        tr("部门", "Department"): list(now.departments),
        tr("状态", "State"): [tr(*STATE_NAMES[s]) for s in now.departments.values()],
    }
)
left, right = st.columns([1, 2])
left.metric(tr("本月状态", "This month"), tr(*STATE_NAMES[now.state]))
left.dataframe(states, hide_index=True, width="stretch")
with right.form("cycle_move_form"):
    moves = {name: tr(move.name_zh, name.capitalize()) for name, move in config.moves.items()}
    action = st.selectbox(
        tr("操作", "Move"), list(moves), format_func=moves.get, key="cycle_action"
    )
    department = st.selectbox(
        tr("部门(仅提交/退回可选)", "Department (submit / reopen only)"),
        [None, *now.departments],
        format_func=lambda d: tr("整月", "Whole month") if d is None else d,
        key="cycle_department",
    )
    reason = st.text_input(tr("说明/理由", "Comment / reason"), key="cycle_reason")
    if st.form_submit_button(tr("执行", "Make the move"), key="cycle_move"):
        try:
            done("ok", make_move(store, config, access, scheme, action, period, department, reason))
        except (MoveRefused, StoreError) as exc:
            st.error(tr("未执行", "Refused"))
            st.text(one_language(exc))

# ---------------------------------------------------------------- departments side by side
st.subheader(tr("各部门等级分布与目标", "Grades by department against the target mix"))


def counts_shown(counts: pd.DataFrame) -> pd.DataFrame:
    """Counts as whole numbers and shares with one decimal; blank where there is none (the
    target row has shares only)."""
    numbers = counts.drop(columns="department")
    text = numbers.apply(
        lambda c: c.map("{:.1f}".format if c.name.endswith(" %") else "{:.0f}".format)
    )
    return pd.concat([counts[["department"]], text.where(numbers.notna(), "")], axis=1)


counts = grade_counts(table, scheme)
st.dataframe(
    labelled(grade_words(counts_shown(counts), scheme), scheme), hide_index=True, width="stretch"
)
with st.expander(tr("计算等级(调整前)", "Computed grades (before adjustments)")):
    computed = grade_counts(table, scheme, "computed_grade")
    st.dataframe(
        labelled(grade_words(counts_shown(computed), scheme), scheme),
        hide_index=True,
        width="stretch",
    )

# ---------------------------------------------------------------- near a cutoff
st.subheader(tr("临界人员", "People near a cutoff"))
within = st.number_input(
    tr("距等级线(分)以内", "Within (points) of a cutoff"), 0.0, 10.0, 2.0, 0.5, key="near_within"
)
near = near_cutoffs(table, scheme, within)
st.dataframe(labelled(grade_words(near, scheme), scheme), hide_index=True, width="stretch")

# ---------------------------------------------------------------- adjustments
st.subheader(tr("调整记录", "Adjustments so far"))
kept = store.adjustments([period])
columns = ["employee_id", "name", "department", "computed_total", "total", "computed_grade"]
so_far = kept.merge(table[[*columns, "grade"]], on="employee_id", how="inner")
if so_far.empty:
    st.caption(tr("本月还没有调整。", "No adjustments this month yet."))
else:
    shown = so_far[
        [*columns, "points", "grade_x", "grade_y", "reason", "proposed_by", "approved_by"]
    ]
    shown = shown.rename(columns={"grade_x": "calibrated_grade", "grade_y": "grade"})
    st.dataframe(
        labelled(grade_words(shown.astype(object).fillna(""), scheme), scheme),
        hide_index=True,
        width="stretch",
    )
    downloads(shown, f"adjustments_{period}", key="adjustments")

st.subheader(tr("待审批的调整", "Adjustments waiting for approval"))
waiting = pending(store, period).merge(
    table[["employee_id", "name", "department", "total"]], on="employee_id", how="left"
)
if waiting.empty:
    st.caption(tr("本月没有待审批的调整。", "No adjustments wait for approval this month."))
else:
    shown = waiting[
        ["employee_id", "name", "department", "total", "points", "grade", "reason", "proposed_by"]
    ].rename(columns={"grade": "calibrated_grade"})
    st.dataframe(
        labelled(grade_words(shown.astype(object).fillna(""), scheme), scheme),
        hide_index=True,
        width="stretch",
    )
    if access.role not in config.approver_roles:
        st.caption(tr("只有审批角色可以审批或驳回。", "Only approver roles may approve or reject."))
    else:
        change = waiting["points"].map("{:+g}".format, na_action="ignore").fillna(waiting["grade"])
        choices = dict(
            zip(
                waiting["employee_id"],
                waiting["employee_id"] + " " + waiting["name"].astype(str) + " " + change,
                strict=True,
            )
        )
        with st.form("pending_form"):
            chosen_id = st.selectbox(
                tr("调整", "Proposal"),
                list(choices),
                format_func=choices.get,
                key="pending_employee",
            )
            note = st.text_input(
                tr("说明(驳回必填)", "Comment (required to reject)"), key="pending_reason"
            )
            approve = st.form_submit_button(tr("批准", "Approve"), key="pending_approve")
            reject = st.form_submit_button(tr("驳回", "Reject"), key="pending_reject")
        if approve or reject:
            try:
                done("ok", decide(store, config, access, period, chosen_id, approve, note))
            except (AdjustmentRefused, StoreError) as exc:
                st.error(tr("未执行", "Refused"))
                st.text(one_language(exc))

st.subheader(tr("新增调整", "New adjustment"))
people = table.sort_values("total", ascending=False)
labels = dict(
    zip(
        people["employee_id"],
        people["employee_id"]
        + " "
        + people["name"].astype(str)
        + " ("
        + people["total"].map("{:.2f}".format)
        + ")",
        strict=True,
    )
)
with st.form("adjust_form"):
    employee = st.selectbox(
        tr("人员", "Person"), list(labels), format_func=labels.get, key="adjust_employee"
    )
    kind = st.radio(
        tr("方式", "How"),
        ["points", "grade"],
        format_func=lambda k: (
            tr("加减分", "Points") if k == "points" else tr("直接定等级", "Set grade")
        ),
        horizontal=True,
        key="adjust_kind",
    )
    bound = config.bound(scheme)
    points = st.number_input(
        tr(f"加减分(±{bound:g})", f"Points (±{bound:g})"),
        -bound,
        bound,
        0.0,
        0.5,
        key="adjust_points",
    )
    grade_said = {g: grade_name(g, scheme) for g in scheme.grade_names}
    chosen = st.selectbox(
        tr("等级", "Grade"), scheme.grade_names, format_func=grade_said.get, key="adjust_grade"
    )
    why = st.text_input(tr("原因(必填)", "Reason (required)"), key="adjust_reason")
    if st.form_submit_button(tr("保存调整", "Save the adjustment"), key="adjust_save"):
        row = {
            "employee_id": employee,
            "points": f"{points:g}" if kind == "points" else "",
            "grade": chosen if kind == "grade" else "",
            "reason": why,
            "row": pd.NA,
        }
        try:
            propose(store, config, access, scheme, period, pd.DataFrame([row]))
            done("ok", f"{employee}: {tr('已保存', 'saved')}")
        except (AdjustmentRefused, StoreError) as exc:
            st.error(tr("未保存", "Not saved"))
            st.text(one_language(exc))
            problems = getattr(exc, "problems", pd.DataFrame())
            if len(problems):
                st.dataframe(problem_table(problems, scheme), hide_index=True, width="stretch")

st.subheader(tr("从文件导入调整", "Adjustments from a file"))
st.caption(
    tr(
        "CSV 或 Excel 文件,列为 工号、加减分 或 等级、原因(每人一行);先逐行检查,"
        "有任何问题则一条也不保存。",
        "A CSV or Excel file with the columns id, points or grade, reason (one row a person; "
        "Chinese headers work too); "
        "every row is checked first and nothing is stored if there is any problem.",
    )
)
upload = st.file_uploader(
    tr("调整文件", "Adjustment file"), type=["csv", "xlsx"], key="adjust_file"
)
if upload is not None:
    # The file stays uploaded after it is stored: the same file is not offered again.
    fingerprint = (period, upload.name, hashlib.sha256(upload.getvalue()).hexdigest())
    again = st.session_state.get(STORED_KEY) == fingerprint
    rows, problems = read_file(upload.getvalue(), upload.name)
    if not len(problems):
        problems = problems_of(store, config, access, scheme, period, rows, upload.name)
    if len(problems):
        st.error(
            tr(
                f"{len(problems)} 个问题,不会保存",
                f"{len(problems)} problem(s): nothing will be stored",
            )
        )
        st.dataframe(problem_table(problems, scheme), hide_index=True, width="stretch")
    else:
        preview = rows[["row", "employee_id", "points", "grade", "reason"]]
        st.dataframe(
            labelled(preview.rename(columns={"row": tr("行", "Row")}), scheme),
            hide_index=True,
            width="stretch",
        )
    if again:
        st.caption(tr("此文件已保存。", "This file has been stored."))
    if st.button(
        tr(f"保存这 {len(rows)} 条调整", f"Store these {len(rows)} adjustments"),
        key="adjust_file_save",
        disabled=bool(len(problems)) or rows.empty or again,
    ):
        try:
            stored = propose(store, config, access, scheme, period, rows, upload.name)
            st.session_state[STORED_KEY] = fingerprint
            done("ok", f"{stored} 条调整已保存 / {stored} adjustment(s) stored ({upload.name})")
        except (AdjustmentRefused, StoreError) as exc:
            st.error(tr("未保存", "Not saved"))
            st.text(one_language(exc))
            refused = getattr(exc, "problems", pd.DataFrame())
            if len(refused):
                st.dataframe(problem_table(refused, scheme), hide_index=True, width="stretch")
