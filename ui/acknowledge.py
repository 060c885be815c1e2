"""The employee's side of one published month (我的绩效): accept the result (接受) or appeal it
(申诉: reason, KPIs disputed, the value believed right), the appeal's state and decision, and
the interview record (绩效面谈) with the employee's comment and confirmation.

Call `draw(period, scheme)` from the employee's own page; it reads the signed-in account
(`data.access()`, whose `employee_id` names the person) and the store, or takes them given.
Nothing of anyone else is read or shown."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from engine.accounts import Access
from engine.cycle import appeals, interviews
from engine.cycle.appeals import AppealRefused
from engine.cycle.interviews import InterviewRefused
from engine.schemes.scheme import Scheme
from engine.store import Store, StoreError
from ui import data
from ui.i18n import language, tr

MESSAGE_KEY = "acknowledge_message"


@dataclass(frozen=True)
class Known:
    """A person's answers, answer windows and interview records of the months a page draws,
    read once for all of them (a year of months drawn read each month's four times over)."""

    employee_id: str
    answers: dict[str, dict]
    ends: dict[str, pd.Timestamp | None]
    records: dict[str, dict | None]


def known(store: Store, scheme: Scheme, periods: list[str], employee_id: str) -> Known:
    """What `draw` shows of the months, read from the store at once."""
    return Known(
        employee_id,
        appeals.answers(store, periods, employee_id),
        appeals.window_ends(store, scheme, periods),
        interviews.records(store, periods, employee_id),
    )


def draw(
    period: str,
    scheme: Scheme,
    access: Access | None = None,
    store: Store | None = None,
    given: Known | None = None,
) -> None:
    """Draw the acknowledgement, appeal and interview section of `period` for the signed-in
    employee (or `access`, an account with an `employee_id`), on `store` (default: the app's);
    `given`: what `known` read for the months drawn (default: read now for this one)."""
    access = access or data.access()
    store = store or data.current_store()
    employee_id = appeals.acting_employee(access)
    st.subheader(tr("结果确认与申诉", "Accept or appeal"))
    if employee_id is None:
        st.info(tr("此账号未关联员工。", "This account is not linked to an employee."))
        return
    if given is None or given.employee_id != employee_id or period not in given.answers:
        given = known(store, scheme, [period], employee_id)
    for kind, text in st.session_state.pop(MESSAGE_KEY, []):
        (st.success if kind == "ok" else st.error)(
            tr("已完成", "Done") if kind == "ok" else tr("未执行", "Refused")
        )
        st.text(text)
    _answer(store, scheme, access, period, employee_id, given.answers[period], given.ends[period])
    st.subheader(tr("绩效面谈记录", "Interview record"))
    _interview(store, scheme, access, period, employee_id, given.records[period])


def _done(kind: str, text: str) -> None:
    st.session_state[MESSAGE_KEY] = [(kind, text)]
    data.clear_after_import()
    st.rerun()


def _kpi_name(scheme: Scheme, kpi: str) -> str:
    return scheme.kpi(kpi).label(language()) if kpi in scheme.kpi_ids else kpi


def _answer(
    store: Store,
    scheme: Scheme,
    access: Access,
    period: str,
    employee_id: str,
    given: dict,
    end: pd.Timestamp | None,
) -> None:
    """What the person said about the month (`given`, see appeals.answer), or the forms to say
    it while the window (ending at `end`) is open."""
    if given["accepted_at"] is not None:
        st.success(tr("已接受本月结果", "You accepted this month's result"))
        st.caption(f"{pd.Timestamp(given['accepted_at']):%Y-%m-%d %H:%M}")
        return
    if given["appeal"] is not None:
        _appeal_shown(scheme, appeals.queue(store, access, [period]).iloc[0])
        return
    if end is None:
        st.info(tr("本月结果尚未发布。", "This month's result is not published."))
        return
    if store.now() > end:
        st.info(
            tr(
                f"申诉期已于 {end:%Y-%m-%d %H:%M} 结束,结果视为接受。",
                f"The window to accept or appeal closed on {end:%Y-%m-%d %H:%M}: the result "
                "stands as accepted.",
            )
        )
        return
    st.caption(
        tr(
            f"请在 {end:%Y-%m-%d %H:%M} 前确认或申诉(发布后 {appeals.appeal_days(scheme):g} 天)。",
            f"Accept or appeal by {end:%Y-%m-%d %H:%M} "
            f"({appeals.appeal_days(scheme):g} days after publication).",
        )
    )
    if st.button(tr("接受本月结果", "Accept this month's result"), key=f"ack_accept_{period}"):
        try:
            _done("ok", appeals.acknowledge(store, scheme, access, period, employee_id))
        except (AppealRefused, StoreError) as exc:
            _done("error", str(exc))
    _appeal_form(store, scheme, access, period, employee_id)


def _appeal_form(
    store: Store, scheme: Scheme, access: Access, period: str, employee_id: str
) -> None:
    """申诉: the KPIs disputed, for each the value believed right (optional), and a reason."""
    with st.expander(tr("对结果有异议?提出申诉", "Disagree? Appeal the result")):
        kpis = st.multiselect(
            tr("有异议的指标", "KPIs disputed"),
            scheme.kpi_ids,
            format_func=lambda k: _kpi_name(scheme, k),
            key=f"ack_kpis_{period}",
        )
        believed_text = {
            k: st.text_input(
                tr(
                    f"{_kpi_name(scheme, k)}:你认为正确的值(可不填)",
                    f"{_kpi_name(scheme, k)}: the value you believe right (optional)",
                ),
                key=f"ack_value_{period}_{k}",
            )
            for k in kpis
        }
        reason = st.text_area(tr("申诉理由", "Reason"), key=f"ack_reason_{period}")
        if st.button(tr("提交申诉", "File the appeal"), key=f"ack_appeal_{period}"):
            believed, wrong = {}, []
            for kpi, text in believed_text.items():
                if not text.strip():
                    continue
                try:
                    believed[kpi] = float(text.replace(",", ""))
                except ValueError:
                    wrong.append(_kpi_name(scheme, kpi))
            if wrong or any(not math.isfinite(v) for v in believed.values()):
                st.error(tr("认为正确的值需为数字", "The values believed right must be numbers"))
                st.text(", ".join(wrong))
                return
            try:
                number = appeals.file_appeal(
                    store, scheme, access, period, employee_id, reason, kpis, believed
                )
                _done("ok", tr(f"申诉 #{number} 已提交", f"Appeal #{number} filed"))
            except (AppealRefused, StoreError) as exc:
                st.error(tr("未提交", "Not filed"))
                st.text(str(exc))


def _appeal_shown(scheme: Scheme, appeal: pd.Series) -> None:
    """The person's appeal: what they said, where it stands, the decision and its reason."""
    zh, en = appeals.APPEAL_STATES[appeal["state"]]
    st.metric(tr(f"申诉 #{appeal['appeal_id']}", f"Appeal #{appeal['appeal_id']}"), tr(zh, en))
    believed = pd.Series(json.loads(appeal["believed"] or "{}"), dtype=float)
    kpis = json.loads(appeal["kpis"])
    rows = pd.DataFrame(
        {
            tr("指标", "KPI"): [_kpi_name(scheme, k) for k in kpis],
            tr("你认为正确的值", "Value you believe right"): [
                f"{believed[k]:g}" if k in believed else "—" for k in kpis
            ],
        }
    )
    st.dataframe(rows, hide_index=True, width="stretch")
    st.caption(tr("申诉理由", "Reason"))
    st.text(appeal["reason"])
    if appeal["state"] in appeals.OPEN_STATES:
        return
    st.caption(tr("处理结果", "Decision"))
    change = ""
    if appeal["state"] == "upheld":
        change = (
            f"{appeal['points']:+g}" if pd.notna(appeal["points"]) else str(appeal["grade"] or "")
        )
    when = pd.Timestamp(appeal["decided_at"])
    st.text(
        f"{appeal['decision']}"
        + (f" ({change})" if change else "")
        + f" · {appeal['decided_by']} · {when:%Y-%m-%d %H:%M}"
    )
    if appeal["adjustment_state"]:
        state = tr(*appeals.ADJUSTMENT_STATES[appeal["adjustment_state"]])
        st.caption(tr("调整状态", "The adjustment") + f": {state}")


def _interview(
    store: Store,
    scheme: Scheme,
    access: Access,
    period: str,
    employee_id: str,
    held: dict | None,
) -> None:
    """The interview record (`held`) as kept by the interviewer, the person's comment and
    confirmation."""
    if held is None:
        st.caption(tr("本月还没有面谈记录。", "No interview record for this month yet."))
        return
    for label, field in (
        (tr("优点", "Strengths"), "strengths"),
        (tr("有待改善", "To improve"), "improve"),
        (tr("改进计划", "Improvement plan"), "plan"),
    ):
        st.caption(label)
        st.text(held[field] or "—")
    st.caption(tr("计划针对的指标", "KPIs the plan targets"))
    st.text(", ".join(_kpi_name(scheme, k) for k in held["plan_kpis"]) or "—")
    signed = held["manager_confirmed_by"]
    st.caption(tr("面谈人确认", "Confirmed by the interviewer"))
    st.text(str(signed) if pd.notna(signed) else tr("未确认", "not yet"))
    confirmed = pd.notna(held["employee_confirmed_at"])
    if confirmed:
        st.success(
            tr("你已确认此面谈记录", "You confirmed this record")
            + f" · {pd.Timestamp(held['employee_confirmed_at']):%Y-%m-%d %H:%M}"
        )
    comment = st.text_area(
        tr("受考核人意见陈述", "Your comment"),
        value=held["employee_comment"] or "",
        key=f"ack_comment_{period}",
    )
    label = tr("更新意见并确认", "Update and confirm") if confirmed else tr("确认", "Confirm")
    if st.button(label, key=f"ack_confirm_{period}"):
        try:
            _done("ok", interviews.confirm(store, access, period, employee_id, comment))
        except (InterviewRefused, StoreError) as exc:
            st.error(tr("未确认", "Not confirmed"))
            st.text(str(exc))
