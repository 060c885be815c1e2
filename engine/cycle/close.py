"""Closing a month in the store: make a move, propose adjustments; each checked first, refused
with the reason, and recorded with who and when."""

from __future__ import annotations

import pandas as pd

from engine import notify
from engine.accounts import Access
from engine.cycle.adjust import check, to_store
from engine.cycle.appeals import AppealRefused, lock_closing, open_appeals
from engine.cycle.config import CycleConfig
from engine.cycle.results import lock_snapshot, month_rows
from engine.cycle.states import MoveRefused, Standing, plan_move, standing, state_name
from engine.schemes.scheme import Scheme
from engine.store import Store


class AdjustmentRefused(ValueError):
    """Adjustments that cannot be kept: `problems` lists each (file, row, column, value,
    problem); nothing was stored."""

    def __init__(self, message: str, problems: pd.DataFrame | None = None):
        super().__init__(message)
        self.problems = problems if problems is not None else pd.DataFrame()


def month_standing(store: Store, period: str) -> Standing:
    """Where a month stands now."""
    return standing(store.month_states([period]), period, store.departments(period))


def make_move(
    store: Store,
    config: CycleConfig,
    access: Access,
    scheme: Scheme,
    action: str,
    period: str,
    department: str | None = None,
    reason: str = "",
) -> str:
    """Move a month (or one department of it) on or back; returns what happened. Locking keeps
    the month's results as they are now under `scheme`, and is refused while appeals are open
    unless the scheme closes them unanswered with the lock. Raises MoveRefused."""
    before = month_standing(store, period)
    states, detail = plan_move(config, access, action, before, department, reason)
    target = config.moves[action].target
    waiting = pending(store, period) if target in ("approved", "locked") else pd.DataFrame()
    if len(waiting):
        raise MoveRefused(
            f"{period} 还有 {len(waiting)} 条调整待审批,请先审批或驳回 / {period} has "
            f"{len(waiting)} adjustment(s) waiting for approval "
            f"({', '.join(waiting['employee_id'])}): approve or reject them first"
        )
    closing, closed = "", pd.DataFrame()
    if target == "locked":  # open appeals block the lock unless the scheme closes them with it
        try:
            closing = lock_closing(store, scheme, period)
        except AppealRefused as exc:
            raise MoveRefused(str(exc)) from exc
        closed = open_appeals(store, period) if closing else closed
    # The store version the snapshot is computed at: an import landing before the lock commits
    # makes the lock refuse (try again) rather than freeze results that are no longer the data.
    seen = store.version() if target == "locked" else None
    snapshot = lock_snapshot(store, scheme, period) if target == "locked" else None
    store.move_month(period, states, f"month_{action}", detail, snapshot, closing, seen)
    announce(store, scheme, access, before.state, target, period, department, reason, snapshot)
    for appeal in closed.to_dict("records"):  # a handful at most: those left open at the lock
        notify.appeal_changed(
            store,
            period,
            appeal["department"],
            appeal["appeal_id"],
            appeal["state"],
            "closed",
            access.user,
        )
    return detail + (f"; {closing}" if closing else "")


def announce(
    store: Store,
    scheme: Scheme,
    access: Access,
    was: str,
    target: str,
    period: str,
    department: str | None,
    reason: str,
    snapshot: tuple[str, str, pd.DataFrame] | None,
) -> None:
    """Tell the configured recipients that results were published, withdrawn (moved back from
    published) or locked: in the background, after the move is recorded, so a slow or broken
    robot never delays or undoes it (engine.notify)."""
    if target in ("published", "locked"):
        event = target
    elif was == "published":
        event = "unpublished"
    else:
        return
    kept = snapshot[2] if snapshot is not None else None  # the rows locking has just kept

    def rows() -> pd.DataFrame:
        return kept if kept is not None else month_rows(store, scheme, [period])

    where = (department,) if department else ()
    grades = [(g.name, g.name_en) for g in scheme.grades]
    notify.month_moved(store, event, period, rows, grades, access.user, reason, where)


def problems_of(
    store: Store,
    config: CycleConfig,
    access: Access,
    scheme: Scheme,
    period: str,
    rows: pd.DataFrame,
    file: str = "",
) -> pd.DataFrame:
    """Every problem of proposed adjustments of a month, checked against the people of the
    month the user may adjust (one line each: file, row, column, value, problem)."""
    facts = store.facts([period])
    if not access.all_departments:
        facts = facts[facts["department"].isin(access.departments)]
    return check(rows, scheme, config.bound(scheme), set(facts["employee_id"]), file)


def propose(
    store: Store,
    config: CycleConfig,
    access: Access,
    scheme: Scheme,
    period: str,
    rows: pd.DataFrame,
    file: str = "",
) -> int:
    """Keep adjustments of a month (rows of employee_id, points, grade, reason, row as text)
    after checking every one; raises AdjustmentRefused (nothing stored) on any problem."""
    if access.role not in config.adjust_roles:
        raise AdjustmentRefused(
            f"角色 {access.role} 不能调整 / the role {access.role} may not adjust "
            f"(allowed: {', '.join(config.adjust_roles)})"
        )
    now = month_standing(store, period)
    if not now.departments:
        raise AdjustmentRefused(f"{period} 没有数据 / {period} has no data")
    if now.state not in config.adjust_states:
        raise AdjustmentRefused(
            f"{period} 当前为 {state_name(now.state)},不再接受调整 / {period} is {now.state}: "
            "adjustments are closed" + (" (unlock it first)" if now.state == "locked" else "")
        )
    problems = problems_of(store, config, access, scheme, period, rows, file)
    if len(problems):
        raise AdjustmentRefused(
            f"{len(problems)} 个问题,未保存 / problem(s), nothing stored", problems
        )
    # Roles named under `approval` propose; the others' adjustments count at once.
    kept = to_store(rows, scheme).assign(
        approved_by=None if access.role in config.approval_roles else access.user
    )
    change = kept["points"].map(lambda p: f"{p:+g}", na_action="ignore").astype(object)
    what = "; ".join(
        kept["employee_id"]
        + " "
        + change.fillna(kept["grade"])  # points, or the grade set directly
        + " ("
        + kept["reason"]
        + ")"
    )
    return store.save_adjustments(period, kept, "adjustment", f"{period}: {what}")


def pending(store: Store, period: str) -> pd.DataFrame:
    """A month's adjustments still waiting for approval."""
    kept = store.adjustments([period])
    return kept[kept["approved_by"].isna()].reset_index(drop=True)


def decide(
    store: Store,
    config: CycleConfig,
    access: Access,
    period: str,
    employee_id: str,
    approve: bool,
    reason: str = "",
) -> str:
    """Approve or reject (a reason required) a person's waiting adjustment; returns what
    happened. Raises AdjustmentRefused: a role that may not approve, the proposer themself,
    nothing waiting."""
    verb = "approve" if approve else "reject"
    if access.role not in config.approver_roles:
        raise AdjustmentRefused(
            f"角色 {access.role} 不能审批调整 / the role {access.role} may not approve or reject "
            f"adjustments (allowed: {', '.join(config.approver_roles)})"
        )
    reason = reason.strip()
    if not approve and not reason:
        raise AdjustmentRefused("驳回需要填写原因 / a reason is required to reject")
    waiting = pending(store, period)
    found = waiting[waiting["employee_id"].eq(employee_id)]
    if found.empty:
        raise AdjustmentRefused(
            f"{employee_id} 在 {period} 没有待审批的调整 / {employee_id} has no adjustment "
            f"waiting for approval in {period}"
        )
    if found["proposed_by"].iloc[0] == access.user:
        raise AdjustmentRefused(
            f"不能审批自己提出的调整 / the proposer ({access.user}) may not {verb} their own "
            "adjustment"
        )
    done = "approved" if approve else "rejected"
    detail = f"{period}: {employee_id} {done}" + (f" ({reason})" if reason else "")
    if not store.decide_adjustment(period, employee_id, approve, detail):
        raise AdjustmentRefused(f"{employee_id}: no adjustment waiting in {period}")
    return detail


__all__ = [
    "AdjustmentRefused",
    "MoveRefused",
    "decide",
    "make_move",
    "month_standing",
    "pending",
    "problems_of",
    "propose",
]
