"""Where a month stands (open → submitted → calibrated → approved → locked) and whether a move
may be made: by whom, from which state, for which department, with what reason."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from engine.accounts import Access
from engine.cycle.config import STATE_NAMES, STATES, CycleConfig

MONTH = ""  # the department key of the month as a whole


class MoveRefused(ValueError):
    """A move that may not be made; the message says why (Chinese / English)."""


@dataclass(frozen=True)
class Standing:
    """A month's state and each of its departments' states."""

    period: str
    state: str
    departments: dict[str, str]


def state_name(state: str) -> str:
    """'已锁定 locked'."""
    zh, en = STATE_NAMES[state]
    return f"{zh} {en}"


def standing(states: pd.DataFrame, period: str, departments: list[str]) -> Standing:
    """The month's recorded states (open where nothing is recorded)."""
    rows = states[states["period"] == period]
    recorded = dict(zip(rows["department"], rows["state"], strict=True))
    return Standing(
        period=period,
        state=recorded.get(MONTH, "open"),
        departments={d: recorded.get(d, "open") for d in departments},
    )


def plan_move(
    config: CycleConfig,
    access: Access,
    action: str,
    now: Standing,
    department: str | None = None,
    reason: str = "",
) -> tuple[dict[str, str], str]:
    """The states a move records (department → state, MONTH for the month) and its audit text;
    raises MoveRefused with the reason when it may not be made. Nothing is changed here."""
    move = config.moves.get(action)
    if move is None:
        raise MoveRefused(f"没有这个操作 / no such move: {action} ({', '.join(config.moves)})")
    what = f"{move.name_zh} {action}"
    if access.role not in move.roles:
        raise MoveRefused(
            f"角色 {access.role} 不能{move.name_zh} / the role {access.role} may not {action} "
            f"a month (allowed: {', '.join(move.roles)})"
        )
    if move.reason_required and not reason.strip():
        raise MoveRefused(f"{what}: 需要填写理由 / a reason is required (--reason)")
    if not now.departments:
        raise MoveRefused(f"{now.period} 没有数据 / {now.period} has no data")
    if department is not None and not move.per_department:
        raise MoveRefused(f"{what}: 针对整月,不能按部门 / applies to the whole month only")
    if department is not None and department not in now.departments:
        raise MoveRefused(
            f"{now.period} 没有部门 {department} 的数据 / no data for department {department}"
        )
    if not access.all_departments and (department is None or department not in access.departments):
        raise MoveRefused(
            f"{what}: 部门经理只能操作自己的部门 / a manager may {action} only a department of "
            "their own (--department)"
        )
    current = now.departments[department] if department is not None else now.state
    if current not in move.sources:
        raise MoveRefused(
            f"{what}: {now.period}{' ' + department if department else ''} 当前为 "
            f"{state_name(current)},只能从 {'/'.join(map(state_name, move.sources))} {action}"
            f" / it is {current}; {action} moves only from {', '.join(move.sources)}"
        )
    states = _after(move.target, now, department)
    detail = (
        f"{what}: {now.period}"
        + (f" {department}" if department else "")
        + f" {current} → {move.target}"
        + (f"; {reason.strip()}" if reason.strip() else "")
    )
    return states, detail


def _after(target: str, now: Standing, department: str | None) -> dict[str, str]:
    """The recorded states after a move to `target`. A whole-month move sets every department;
    the last department submitted submits the month; a department sent back reopens the month
    and takes the others back to submitted (the month must be calibrated again)."""
    if department is None:
        return {MONTH: target, **dict.fromkeys(now.departments, target)}
    states = {department: target}
    others = {d: s for d, s in now.departments.items() if d != department}
    if target == "open":
        submitted = STATES.index("submitted")
        states |= {d: "submitted" for d, s in others.items() if STATES.index(s) > submitted}
        states[MONTH] = "open"
    elif all(s == target for s in others.values()):
        states[MONTH] = target
    return states
