"""`python -m engine month …` and `python -m engine adjust …`: close a month from the command
line. A refused move or adjustment exits 2 with the reason and changes nothing."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from engine.accounts import ROLES, Access
from engine.cycle.adjust import read_file
from engine.cycle.close import (
    AdjustmentRefused,
    decide,
    make_move,
    month_standing,
    pending,
    propose,
)
from engine.cycle.config import CycleError, load_cycle
from engine.cycle.states import MoveRefused, state_name
from engine.scoring.periods import PERIOD_PATTERNS
from engine.store import MonthLocked

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2
MOVES = ("submit", "calibrate", "approve", "publish", "unpublish", "lock", "unlock", "reopen")


def add_cycle_commands(command) -> None:
    """Register `month` and `adjust` beside the other commands (`command` makes a subcommand
    with the shared --db, --scheme and --wait options)."""
    month = command("month", run_month, "show or move a month's state (see data/cycle.toml)")
    month.add_argument("action", choices=["status", *MOVES])
    month.add_argument("period", nargs="?", help="the month (YYYY-MM)")
    month.add_argument("--department", help="submit or reopen one department only")
    month.add_argument("--reason", default="", help="why (needed to unpublish, unlock or reopen)")
    _role_options(month)
    adjust = command(
        "adjust", run_adjust, "add, calibrate, withdraw, approve or reject an adjustment of a month"
    )
    adjust.add_argument("period", help="the month (YYYY-MM)")
    adjust.add_argument("employee_id", nargs="?")
    how = adjust.add_mutually_exclusive_group(required=True)
    how.add_argument("--points", help="points added to the total (negative to take away)")
    how.add_argument("--grade", help="set the grade directly (calibration)")
    how.add_argument("--file", type=Path, help="CSV of 工号, 加减分 or 等级, 原因")
    how.add_argument("--withdraw", action="store_true", help="take the adjustment back")
    how.add_argument("--approve", metavar="EMPLOYEE_ID", help="approve a waiting proposal")
    how.add_argument(
        "--reject", metavar="EMPLOYEE_ID", help="reject a waiting proposal (--reason required)"
    )
    adjust.add_argument("--reason", default="", help="why (required)")
    _role_options(adjust)


def _role_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--role",
        choices=ROLES,
        default="admin",
        help="the role the change is made in (default admin: the command line is the operator's)",
    )
    parser.add_argument("--cycle", help="month-closing configuration (default data/cycle.toml)")


def _context(args: argparse.Namespace):
    from engine.cli import cli_user, open_store
    from engine.schemes import versions
    from engine.schemes.scheme import load_scheme

    store = open_store(args)
    scheme = versions.active_scheme(store, load_scheme(args.scheme))
    departments = (args.department,) if getattr(args, "department", None) else ()
    access = Access(cli_user(), args.role, departments)
    return store, scheme, access


def _month(period: str | None) -> str | None:
    if period is None or PERIOD_PATTERNS["month"].match(period.strip()):
        return period and period.strip()
    raise MoveRefused(f"'{period}' 不是月份 / is not a month: use YYYY-MM")


def run_month(args: argparse.Namespace) -> int:
    try:
        config = load_cycle(args.cycle)
        period = _month(args.period)
        store, scheme, access = _context(args)
        if args.action == "status":
            print(status_text(store, period))
            return EXIT_OK
        if period is None:
            raise MoveRefused(f"{args.action}: 需要月份 / give the month (YYYY-MM)")
        done = make_move(
            store, config, access, scheme, args.action, period, args.department, args.reason
        )
    except (MoveRefused, CycleError) as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return EXIT_INVALID
    print(done)
    return EXIT_OK


def status_text(store, period: str | None) -> str:
    """Where each month stands, or one month with its departments, adjustments and moves."""
    if period is None:
        months = sorted(set(store.periods()) | set(store.month_states()["period"]))
        if not months:
            return "no data yet"
        states = store.month_states()
        whole = states[states["department"].eq("")].set_index("period")["state"].to_dict()
        return "\n".join(f"{m}  {state_name(whole.get(m, 'open'))}" for m in months)
    now = month_standing(store, period)
    lines = [f"{period}  {state_name(now.state)}"]
    kept = store.snapshots([period])
    if period in kept:
        _, label, table = kept[period]
        lines.append(f"  results kept at locking: {label}, {len(table)} rows")
    lines += [f"  {d or '—'}  {state_name(s)}" for d, s in now.departments.items()]
    adjustments = store.adjustments([period])
    waiting = len(pending(store, period))
    lines.append(
        f"  adjustments: {len(adjustments)}" + (f" ({waiting} pending approval)" if waiting else "")
    )
    moves = store.events()
    moves = moves[moves["period"].eq(period) & moves["action"].str.startswith("month_")]
    trail = (
        "  "
        + moves["happened_at"].dt.strftime("%Y-%m-%d %H:%M:%S")
        + "  "
        + moves["username"].fillna("")
        + "  "
        + moves["detail"]
    )
    lines += trail[::-1].tolist()
    return "\n".join(lines)


def run_adjust(args: argparse.Namespace) -> int:
    try:
        config = load_cycle(args.cycle)
        period = _month(args.period)
        store, scheme, access = _context(args)
        if args.withdraw:
            return _withdraw(store, args, period)
        if args.approve or args.reject:
            approve = bool(args.approve)
            employee = args.approve or args.reject
            print(decide(store, config, access, period, employee, approve, args.reason))
            return EXIT_OK
        if args.file is not None:
            if not args.file.is_file():
                raise AdjustmentRefused(f"{args.file}: no such file")
            rows, problems = read_file(args.file.read_bytes(), args.file.name)
            if len(problems):
                raise AdjustmentRefused(f"{args.file.name}: nothing stored", problems)
            file = args.file.name
        else:
            if not args.employee_id:
                raise AdjustmentRefused("需要工号 / give the employee id")
            rows = pd.DataFrame(
                [
                    {
                        "employee_id": args.employee_id,
                        "points": args.points or "",
                        "grade": args.grade or "",
                        "reason": args.reason,
                        "row": pd.NA,
                    }
                ]
            )
            file = "command line"
        kept = propose(store, config, access, scheme, period, rows, file)
    except (AdjustmentRefused, MoveRefused, CycleError, MonthLocked) as exc:
        print(f"refused: {exc}", file=sys.stderr)
        problems = getattr(exc, "problems", pd.DataFrame())
        if len(problems):
            from engine.cli import problem_lines

            print("\n".join(problem_lines(problems)), file=sys.stderr)
        return EXIT_INVALID
    print(f"{period}: {kept} adjustment(s) kept")
    return EXIT_OK


def _withdraw(store, args: argparse.Namespace, period: str) -> int:
    if not args.employee_id or not args.reason.strip():
        raise AdjustmentRefused("撤回需要工号和原因 / give an employee id and a reason")
    if args.role not in ("admin", "hr", "manager"):
        raise AdjustmentRefused(f"the role {args.role} may not withdraw adjustments")
    detail = f"{period}: {args.employee_id} withdrawn ({args.reason.strip()})"
    if not store.withdraw_adjustment(period, args.employee_id, detail):
        raise AdjustmentRefused(f"{args.employee_id} has no adjustment in {period}")
    print(detail)
    return EXIT_OK
