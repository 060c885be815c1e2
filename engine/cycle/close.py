"""Closing a month in the store: make a move, propose adjustments; each checked first, refused
with the reason, and recorded with who and when."""

from __future__ import annotations

import pandas as pd

from engine.accounts import Access
from engine.cycle.adjust import check, to_store
from engine.cycle.config import CycleConfig
from engine.cycle.results import lock_snapshot
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
    the month's results as they are now under `scheme`. Raises MoveRefused."""
    states, detail = plan_move(
        config, access, action, month_standing(store, period), department, reason
    )
    target = config.moves[action].target
    snapshot = lock_snapshot(store, scheme, period) if target == "locked" else None
    store.move_month(period, states, f"month_{action}", detail, snapshot)
    return detail


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
    kept = to_store(rows, scheme).assign(
        approved_by=access.user if access.role in ("admin", "hr") else None
    )
    what = "; ".join(
        kept["employee_id"]
        + " "
        + kept["points"].map(lambda p: f"{p:+g}", na_action="ignore").fillna(kept["grade"])
        + " ("
        + kept["reason"]
        + ")"
    )
    return store.save_adjustments(period, kept, "adjustment", f"{period}: {what}")


__all__ = [
    "AdjustmentRefused",
    "MoveRefused",
    "make_move",
    "month_standing",
    "problems_of",
    "propose",
]
