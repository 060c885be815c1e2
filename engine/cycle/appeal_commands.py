"""`python -m engine appeals PERIOD` lists a month's appeals; `python -m engine appeal take|decide
ID …` works on one. A refused step exits 2 with the reason and changes nothing."""

from __future__ import annotations

import argparse
import sys

from engine.cycle import appeals
from engine.cycle.appeals import AppealRefused
from engine.cycle.commands import EXIT_INVALID, EXIT_OK, _context, _month, _role_options
from engine.cycle.config import CycleError, load_cycle
from engine.cycle.states import MoveRefused
from engine.store import MonthLocked


def add_appeal_commands(command) -> None:
    """Register `appeals` and `appeal` beside the other commands."""
    listing = command("appeals", run_appeals, "list a month's appeals (申诉) and their states")
    listing.add_argument("period", help="the month (YYYY-MM)")
    listing.add_argument("--state", choices=list(appeals.APPEAL_STATES), help="only this state")
    listing.add_argument("--department", help="only this department (a manager's own)")
    _role_options(listing)
    one = command("appeal", run_appeal, "take an appeal into review, or decide it with a reason")
    one.add_argument("action", choices=["take", "decide"])
    one.add_argument("appeal_id", type=int)
    how = one.add_mutually_exclusive_group()
    how.add_argument("--points", type=float, help="uphold: points added to the total")
    how.add_argument("--grade", help="uphold: set the grade directly")
    how.add_argument("--reject", action="store_true", help="reject: nothing changes")
    one.add_argument("--reason", default="", help="the decision's reason (required)")
    one.add_argument("--department", help="the manager's department")
    _role_options(one)


def run_appeals(args: argparse.Namespace) -> int:
    try:
        period = _month(args.period)
        store, _, access = _context(args)
    except (MoveRefused, CycleError) as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return EXIT_INVALID
    listed = appeals.queue(store, access, [period])
    if args.state:
        listed = listed[listed["state"].eq(args.state)]
    if listed.empty:
        print(f"{period}: no appeals")
        return EXIT_OK
    for appeal in listed.to_dict("records"):
        print(_line(appeal))
    return EXIT_OK


def _line(appeal: dict) -> str:
    """One appeal as a line: number, person, department, state, KPIs, reason, decision."""
    believed = ", ".join(f"{k}={v:g}" for k, v in appeal["believed_values"].items())
    line = (
        f"#{appeal['appeal_id']}  {appeal['period']}  {appeal['employee_id']}  "
        f"{appeal['department'] or '—'}  {appeal['state_name']}  "
        f"{', '.join(appeal['kpi_list'])}"
        + (f" ({believed})" if believed else "")
        + f"  {appeal['reason']}"
    )
    if appeal["decided_by"]:
        line += f"  → {appeal['decided_by']}: {appeal['decision']}"
    return line


def run_appeal(args: argparse.Namespace) -> int:
    try:
        config = load_cycle(args.cycle)
        store, scheme, access = _context(args)
        if args.action == "take":
            print(appeals.take(store, config, access, args.appeal_id))
            return EXIT_OK
        if args.points is None and not args.grade and not args.reject:
            raise AppealRefused(
                "--points 或 --grade 维持,--reject 驳回 / give --points, --grade or --reject"
            )
        print(
            appeals.decide(
                store,
                config,
                access,
                scheme,
                args.appeal_id,
                not args.reject,
                args.reason,
                args.points,
                args.grade or "",
            )
        )
    except (AppealRefused, CycleError, MonthLocked) as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return EXIT_INVALID
    return EXIT_OK
