"""Results reach the person: acknowledgement (接受) or appeal (申诉) of a published month within
the scheme's window, the queue the manager and HR work through (待处理 → 处理中 → 已驳回 /
已调整), and the decision: an upheld appeal becomes an adjustment through the same audited path
as any other, a rejected one changes nothing."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from engine import notify
from engine.accounts import Access
from engine.cycle.adjust import check, to_store
from engine.cycle.config import CycleConfig
from engine.cycle.states import standing, state_name
from engine.schemes.scheme import Scheme
from engine.scoring.score import round_half_away, score_table
from engine.store import Store

APPEAL_STATES = {
    "pending": ("待处理", "pending"),
    "review": ("处理中", "in review"),
    "rejected": ("已驳回", "rejected"),
    "upheld": ("已调整", "upheld"),
    "closed": ("已关闭(未答复)", "closed unanswered"),
}
OPEN_STATES = ("pending", "review")
# Where the adjustment of an upheld appeal stands: a manager's waits for approval, and an
# approver may still reject it or anyone withdraw it (the appeal then stays 已调整 in name only).
ADJUSTMENT_STATES = {
    "in_force": ("已生效", "in force"),
    "waiting": ("待审批", "waiting for approval"),
    "gone": ("未生效(已驳回或撤回)", "not in force (rejected or withdrawn)"),
}
DEFAULT_APPEAL_DAYS = 7
CLOSED_AT_LOCK = "锁定时仍未答复,关闭 / closed unanswered when the month was locked"


class AppealRefused(ValueError):
    """An acknowledgement, appeal or decision that may not be made; the message says why."""


def appeal_days(scheme: Scheme) -> float:
    """Days from publication in which a person may accept or appeal (`[cycle] appeal_days`)."""
    return float(scheme.raw.get("cycle", {}).get("appeal_days", DEFAULT_APPEAL_DAYS))


def lock_with_open_appeals(scheme: Scheme) -> bool:
    """Whether a month may be locked while appeals are open (`[cycle] lock_with_open_appeals`)."""
    return bool(scheme.raw.get("cycle", {}).get("lock_with_open_appeals", False))


def state_label(state: str) -> str:
    """'待处理 pending'."""
    zh, en = APPEAL_STATES[state]
    return f"{zh} {en}"


def published_at(store: Store, period: str) -> pd.Timestamp | None:
    """When the month was published (its last publish move), None while it is not published."""
    states = store.month_states([period])
    row = states[states["department"].eq("") & states["state"].eq("published")]
    return pd.Timestamp(row["changed_at"].iloc[0]) if len(row) else None


def window_end(store: Store, scheme: Scheme, period: str) -> pd.Timestamp | None:
    """The last moment a person may accept or appeal the month (None: not published)."""
    return window_ends(store, scheme, [period])[period]


def window_ends(store: Store, scheme: Scheme, periods: list[str]) -> dict[str, pd.Timestamp | None]:
    """window_end of each of some months, read at once."""
    states = store.month_states(list(periods))
    out = states[states["department"].eq("") & states["state"].eq("published")]
    ends = pd.to_datetime(out["changed_at"]) + pd.Timedelta(days=appeal_days(scheme))
    found = dict(zip(out["period"], ends, strict=True))
    return {period: found.get(period) for period in periods}


def acting_employee(access: Access) -> str | None:
    """The employee id an account speaks for (the `employee` role's link), None for staff."""
    return getattr(access, "employee_id", None) or None


def open_appeals(store: Store, period: str) -> pd.DataFrame:
    """A month's appeals still waiting for a decision (待处理 or 处理中)."""
    kept = store.appeals([period])
    return kept[kept["state"].isin(OPEN_STATES)].reset_index(drop=True)


def lock_closing(store: Store, scheme: Scheme, period: str) -> str:
    """What locking the month does to its open appeals: '' when there are none, the text they
    are closed with when the scheme allows locking over them; raises AppealRefused otherwise."""
    waiting = open_appeals(store, period)
    if waiting.empty:
        return ""
    if not lock_with_open_appeals(scheme):
        numbers = ", ".join(f"#{n}" for n in waiting["appeal_id"])
        raise AppealRefused(
            f"{period} 还有 {len(waiting)} 条申诉未处理({numbers}),请先驳回或调整 / {period} has "
            f"{len(waiting)} open appeal(s) ({numbers}): decide them first (or set "
            "[cycle] lock_with_open_appeals = true in the scheme)"
        )
    return CLOSED_AT_LOCK


def _person(
    store: Store,
    scheme: Scheme,
    access: Access,
    period: str,
    employee_id: str,
    now: pd.Timestamp | None,
) -> pd.Series:
    """The person's roster row of a month they may respond to now; raises AppealRefused: not
    their own result, the month not published, the window over, no data."""
    if acting_employee(access) != employee_id:
        raise AppealRefused(
            f"只能对本人的结果接受或申诉 / only the person themself may accept or appeal "
            f"the result of {employee_id}"
        )
    now_state = standing(store.month_states([period]), period, []).state
    if now_state != "published":
        raise AppealRefused(
            f"{period} 当前为 {state_name(now_state)},尚未发布,不能接受或申诉 / {period} is "
            f"{now_state}, not published: there is nothing to accept or appeal yet"
        )
    end = window_end(store, scheme, period)
    now = store.now() if now is None else pd.Timestamp(now)
    if end is not None and now > end:
        raise AppealRefused(
            f"申诉期已过(发布后 {appeal_days(scheme):g} 天,截至 {end:%Y-%m-%d %H:%M}),结果视为"
            f"接受 / the window to accept or appeal closed on {end:%Y-%m-%d %H:%M} "
            f"({appeal_days(scheme):g} days after publication): the result stands as accepted"
        )
    facts = store.facts([period])
    found = facts[facts["employee_id"].eq(employee_id)]
    if found.empty:
        raise AppealRefused(f"{period} 没有 {employee_id} 的数据 / no result of {employee_id}")
    return found.iloc[0]


def _refuse_answered(store: Store, period: str, employee_id: str) -> None:
    """One answer per person and month: accepted, or one appeal."""
    accepted = store.acknowledgements([period])
    if accepted["employee_id"].eq(employee_id).any():
        raise AppealRefused(f"{period}: 已接受本月结果 / the result was already accepted")
    filed = store.appeals([period])
    filed = filed[filed["employee_id"].eq(employee_id)]
    if len(filed):
        first = filed.iloc[0]
        raise AppealRefused(
            f"{period}: 已提交申诉 #{first['appeal_id']}({state_label(first['state'])}),"
            f"每月只能申诉一次 / appeal #{first['appeal_id']} is already filed "
            f"({first['state']}): one appeal per month"
        )


def acknowledge(
    store: Store,
    scheme: Scheme,
    access: Access,
    period: str,
    employee_id: str,
    now: pd.Timestamp | None = None,
) -> str:
    """The person accepts (接受) their result of a published month; returns what happened."""
    _person(store, scheme, access, period, employee_id, now)
    _refuse_answered(store, period, employee_id)
    detail = f"{period}: {employee_id} 接受 accepted"
    store.acknowledge(period, employee_id, detail)
    return detail


def file_appeal(
    store: Store,
    scheme: Scheme,
    access: Access,
    period: str,
    employee_id: str,
    reason: str,
    kpis: list[str],
    believed: dict[str, float] | None = None,
    now: pd.Timestamp | None = None,
) -> int:
    """The person appeals (申诉) their result of a published month: a reason, the KPIs disputed,
    optionally the value they believe right per KPI; returns the appeal's number."""
    row = _person(store, scheme, access, period, employee_id, now)
    reason, kpis, believed = reason.strip(), list(dict.fromkeys(kpis)), dict(believed or {})
    problems = []
    if not reason:
        problems.append("需要填写申诉理由 / a reason is required")
    if not kpis:
        problems.append("请选择有异议的指标 / name the KPIs disputed")
    unknown = [k for k in [*kpis, *believed] if k not in scheme.kpi_ids]
    if unknown:
        problems.append(f"方案中没有这些指标 / no such KPI: {', '.join(unknown)}")
    stray = [k for k in believed if k not in kpis]
    if stray:
        problems.append(f"认为正确的值只能给有异议的指标 / a value for a KPI not disputed: {stray}")
    bad = [k for k, v in believed.items() if not isinstance(v, int | float) or not math.isfinite(v)]
    if bad:
        problems.append(f"认为正确的值不是数字 / not a number: {', '.join(bad)}")
    if problems:
        raise AppealRefused("; ".join(problems))
    _refuse_answered(store, period, employee_id)
    names = ", ".join(scheme.kpi(k).label() for k in kpis)
    department = str(row.get("department") or "")
    appeal_id = store.file_appeal(
        period,
        employee_id,
        department,
        reason,
        json.dumps(kpis, ensure_ascii=False),
        json.dumps({k: float(v) for k, v in believed.items()}, ensure_ascii=False),
        f"{period}: {employee_id} 申诉 appeals ({names}): {reason}",
    )
    notify.appeal_changed(store, period, department, appeal_id, "", "pending", access.user)
    return appeal_id


def queue(store: Store, access: Access, periods: list[str] | None = None) -> pd.DataFrame:
    """The appeals this user may see (admin / HR all, a manager their departments, an employee
    their own), with their state's name, the KPIs as a list and the days taken to decide."""
    kept = store.appeals(periods)
    own = acting_employee(access)
    if own is not None:
        kept = kept[kept["employee_id"].eq(own)]
    elif not access.all_departments:
        kept = kept[kept["department"].isin(access.departments)]
    decided = pd.to_datetime(kept["decided_at"]) - pd.to_datetime(kept["filed_at"])
    return kept.assign(
        adjustment_state=adjustment_states(kept, store.adjustments(periods)),
        state_name=kept["state"].map(state_label),
        kpi_list=kept["kpis"].map(json.loads),
        believed_values=kept["believed"].fillna("{}").map(json.loads),
        days_to_decide=decided.dt.total_seconds() / 86400,
    ).reset_index(drop=True)


def adjustment_states(kept: pd.DataFrame, adjustments: pd.DataFrame) -> np.ndarray:
    """For each appeal, where its adjustment stands (see ADJUSTMENT_STATES); '' unless upheld.
    The adjustment is the appeal's while its reason still cites the appeal's number."""
    found = kept[["period", "employee_id"]].merge(
        adjustments.reindex(columns=["period", "employee_id", "reason", "approved_by"]),
        on=["period", "employee_id"],
        how="left",
    )
    cited = found["reason"].astype(str).str.extract(r"^申诉 #(\d+) ", expand=False)
    own = cited.eq(kept["appeal_id"].astype(str).to_numpy()).to_numpy()
    waiting = found["approved_by"].isna().to_numpy()
    upheld = kept["state"].eq("upheld").to_numpy()
    return np.select(
        [~upheld, own & waiting, own], ["", "waiting", "in_force"], default="gone"
    ).astype(object)


def _appeal(store: Store, access: Access, config: CycleConfig, appeal_id: int) -> pd.Series:
    """An appeal the user may work on; raises AppealRefused: a role that may not, another
    department, no such appeal."""
    if acting_employee(access) is not None or access.role not in config.adjust_roles:
        raise AppealRefused(
            f"角色 {access.role} 不能处理申诉 / the role {access.role} may not handle appeals "
            f"(allowed: {', '.join(config.adjust_roles)})"
        )
    kept = store.appeals()
    found = kept[kept["appeal_id"].eq(int(appeal_id))]
    if found.empty:
        raise AppealRefused(f"没有申诉 #{appeal_id} / no appeal #{appeal_id}")
    appeal = found.iloc[0]
    if not access.all_departments and appeal["department"] not in access.departments:
        raise AppealRefused(
            f"申诉 #{appeal_id} 属于部门 {appeal['department']},不在你的范围 / appeal "
            f"#{appeal_id} is of another department ({appeal['department']})"
        )
    if appeal["state"] not in OPEN_STATES:
        raise AppealRefused(
            f"申诉 #{appeal_id} 已处理({state_label(appeal['state'])})/ appeal #{appeal_id} "
            f"is already {appeal['state']}"
        )
    return appeal


def take(store: Store, config: CycleConfig, access: Access, appeal_id: int) -> str:
    """Take a pending appeal into review (处理中); returns what happened."""
    appeal = _appeal(store, access, config, appeal_id)
    if appeal["state"] != "pending":
        raise AppealRefused(f"申诉 #{appeal_id} 已在处理中 / appeal #{appeal_id} is in review")
    detail = f"{appeal['period']}: {appeal['employee_id']} 处理中 in review"
    if not store.take_appeal(int(appeal_id), appeal["period"], detail):
        raise AppealRefused(f"申诉 #{appeal_id} 已不是待处理 / appeal #{appeal_id} moved meanwhile")
    _announce(store, appeal, "review", access)
    return f"#{appeal_id} {detail}"


def decide(
    store: Store,
    config: CycleConfig,
    access: Access,
    scheme: Scheme,
    appeal_id: int,
    uphold: bool,
    reason: str,
    points: float | None = None,
    grade: str = "",
) -> str:
    """Decide an open appeal with a reason: rejected (已驳回) changes nothing; upheld (已调整)
    keeps an adjustment of `points` or a `grade` set directly, citing the appeal, through the
    same check and approval as any adjustment (points add to an earlier adjustment of points,
    anything else replaces it). Returns what happened; raises AppealRefused."""
    appeal = _appeal(store, access, config, appeal_id)
    period, employee_id = appeal["period"], appeal["employee_id"]
    reason = reason.strip()
    if not reason:
        raise AppealRefused("处理申诉需要填写理由 / a reason is required for the decision")
    if not uphold:
        detail = f"{period}: {employee_id} 已驳回 rejected ({reason})"
        if not store.decide_appeal(int(appeal_id), period, "rejected", reason, detail):
            raise AppealRefused(f"申诉 #{appeal_id} 已被处理 / appeal #{appeal_id} moved meanwhile")
        _announce(store, appeal, "rejected", access)
        return f"#{appeal_id} {detail}"
    rows = _upheld_adjustment(store, config, access, scheme, appeal, reason, points, grade)
    kept = to_store(rows, scheme).assign(
        approved_by=None if access.role in config.approval_roles else access.user
    )
    change = f"{kept['points'].iloc[0]:+g}" if points is not None else str(kept["grade"].iloc[0])
    detail = f"{period}: {employee_id} 已调整 upheld {change} ({reason})"
    adjusted = f"{period}: {employee_id} {change} ({kept['reason'].iloc[0]})"
    if not store.decide_appeal(int(appeal_id), period, "upheld", reason, detail, kept, adjusted):
        raise AppealRefused(f"申诉 #{appeal_id} 已被处理 / appeal #{appeal_id} moved meanwhile")
    _announce(store, appeal, "upheld", access)
    return f"#{appeal_id} {detail}"


def _announce(store: Store, appeal: pd.Series, state: str, access: Access) -> None:
    """Tell the recipients of the appeal's department that it changed state (engine.notify)."""
    notify.appeal_changed(
        store,
        appeal["period"],
        str(appeal["department"] or ""),
        int(appeal["appeal_id"]),
        appeal["state"],
        state,
        access.user,
    )


def _upheld_adjustment(
    store: Store,
    config: CycleConfig,
    access: Access,
    scheme: Scheme,
    appeal: pd.Series,
    reason: str,
    points: float | None,
    grade: str,
) -> pd.DataFrame:
    """The adjustment an upheld appeal keeps (one row as adjustments are checked), its reason
    citing the appeal; checked like any other. A published month takes it although its
    adjustments are otherwise closed: the appeal is the published month's own correction."""
    period, employee_id = appeal["period"], appeal["employee_id"]
    now_state = standing(store.month_states([period]), period, []).state
    if now_state != "published" and now_state not in config.adjust_states:
        raise AppealRefused(
            f"{period} 当前为 {state_name(now_state)},不能调整;请先发布或退回 / {period} is "
            f"{now_state}: an upheld appeal lands in a published month or one still open to "
            "adjustments"
        )
    if (points is None) == (not grade.strip()):
        raise AppealRefused("维持申诉需要加减分或等级(二选一)/ give points or a grade, not both")
    cited = f"申诉 #{appeal['appeal_id']} 已调整 / appeal #{appeal['appeal_id']} upheld: {reason}"
    earlier = store.adjustments([period])
    earlier = earlier[earlier["employee_id"].eq(employee_id)]
    total = points
    if len(earlier):
        before = earlier.iloc[0]
        had = f"{before['points']:+g}" if pd.notna(before["points"]) else str(before["grade"])
        if points is not None and pd.notna(before["points"]):
            total = float(round_half_away(np.array([before["points"] + points]))[0])
            cited += f"; 加上原调整 / on top of {had} ({before['reason']})"
        else:
            cited += f"; 取代原调整 / replaces {had} ({before['reason']})"
    row = {
        "employee_id": employee_id,
        "points": "" if total is None else f"{total:g}",
        "grade": grade.strip(),
        "reason": cited,
        "row": 1,
    }
    rows = pd.DataFrame([row])
    facts = store.facts([period])
    if not access.all_departments:
        facts = facts[facts["department"].isin(access.departments)]
    problems = check(rows, scheme, config.bound(scheme), set(facts["employee_id"]))
    if len(problems):
        raise AppealRefused("; ".join(problems["problem"]))
    return rows


def suggested_points(store: Store, scheme: Scheme, appeal: pd.Series) -> float | None:
    """The points the employee's believed values would move their total by (the month's facts
    scored again with those values), None when they gave none."""
    believed = json.loads(appeal.get("believed") or "{}")
    if not believed:
        return None
    facts = store.facts([appeal["period"]])
    person = facts[facts["employee_id"].eq(appeal["employee_id"])].reset_index(drop=True)
    if person.empty:
        return None
    corrected = person.assign(**{k: float(v) for k, v in believed.items()})
    totals = score_table(pd.concat([person, corrected], ignore_index=True), scheme)["total"]
    return float(round_half_away(np.array([totals.iloc[1] - totals.iloc[0]]))[0])


def dashboard(appeals: pd.DataFrame) -> pd.DataFrame:
    """Appeals per department: how many, open, upheld, rejected, closed unanswered, the share
    upheld of those decided (%), and the median days from filing to decision."""
    if appeals.empty:
        columns = ["department", "appeals", "open", "upheld", "rejected", "closed"]
        return pd.DataFrame(columns=[*columns, "upheld_share", "median_days_to_decide"])
    states = appeals.assign(
        department=appeals["department"].fillna(""),
        open=appeals["state"].isin(OPEN_STATES),
        upheld=appeals["state"].eq("upheld"),
        rejected=appeals["state"].eq("rejected"),
        closed=appeals["state"].eq("closed"),
        decided_days=appeals["days_to_decide"].where(appeals["state"].isin(["upheld", "rejected"])),
    )
    out = states.groupby("department").agg(
        appeals=("appeal_id", "size"),
        open=("open", "sum"),
        upheld=("upheld", "sum"),
        rejected=("rejected", "sum"),
        closed=("closed", "sum"),
        median_days_to_decide=("decided_days", "median"),
    )
    decided = out["upheld"] + out["rejected"]
    out["upheld_share"] = (100 * out["upheld"] / decided.where(decided > 0)).round(1)
    out["median_days_to_decide"] = out["median_days_to_decide"].round(1)
    order = ["appeals", "open", "upheld", "rejected", "closed", "upheld_share"]
    return out[[*order, "median_days_to_decide"]].reset_index()


def answer(store: Store, period: str, employee_id: str) -> dict:
    """A person's answer to a month: accepted (when), their appeal (a row of `queue`), or
    neither."""
    return answers(store, [period], employee_id)[period]


def answers(store: Store, periods: list[str], employee_id: str) -> dict[str, dict]:
    """answer for each of some months, read at once."""
    accepted = store.acknowledgements(list(periods))
    accepted = accepted[accepted["employee_id"].eq(employee_id)]
    when = dict(zip(accepted["period"], accepted["accepted_at"], strict=True))
    filed = store.appeals(list(periods))
    filed = filed[filed["employee_id"].eq(employee_id)]
    first = {period: rows.iloc[0] for period, rows in filed.groupby("period", sort=False)}
    return {p: {"accepted_at": when.get(p), "appeal": first.get(p)} for p in periods}
