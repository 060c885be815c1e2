"""`python -m engine statement …` and `python -m engine report …`: the printed statements and the
monthly report pack of a period, from the month's results as closing has them, scoped to what a
user may see (`--as`). Bad input exits 2 with a message and writes nothing."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from engine.accounts import LOCAL_ACCESS, Access, accounts_path, load_accounts, scoped
from engine.cycle.appeals import OPEN_STATES, state_label
from engine.cycle.results import monthly_rows, period_table, rules_table, trend_rows
from engine.output.pdf import FontMissing
from engine.output.report import APPEAL_COLUMNS, ReportData, period_flags, report_pdf, scope_label
from engine.output.statement import build_statements
from engine.output.statement_pdf import statements_pdf, statements_zip
from engine.rules.evaluate import RulesError, evaluate, load_rules
from engine.schemes.scheme import Scheme
from engine.scoring.fit import SchemeRefused, scheme_fit
from engine.scoring.periods import parse_period, previous
from engine.store import Store

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


class PrintRefused(ValueError):
    """The request cannot be printed: a bad period, someone out of scope, nobody to print."""


def paper_records(store: Store, period: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The month's interview records (绩效面谈) and answers (接受 / 申诉) as the printed form
    has them (statement.INTERVIEW_COLUMNS, ACKNOWLEDGEMENT_COLUMNS); empty for a quarter or a
    year, whose statements carry no interview of their own."""
    months = parse_period(period).months
    if len(months) != 1:
        return pd.DataFrame(), pd.DataFrame()
    talks = store.interviews(list(months))
    interviews = pd.DataFrame(
        {
            "employee_id": talks["employee_id"],
            "strengths": talks["strengths"],
            "improvements": talks["improve"],
            "plan": talks["plan"],
            "plan_kpis": talks["plan_kpis"].fillna("[]").map(json.loads),
            "employee_comment": talks["employee_comment"],
            "interviewer": talks["manager_confirmed_by"].fillna(talks["updated_by"]),
            "held_on": talks["manager_confirmed_at"].fillna(talks["updated_at"]).astype(str),
            "employee_confirmed_on": talks["employee_confirmed_at"].astype("string"),
            "manager_confirmed_on": talks["manager_confirmed_at"].astype("string"),
        }
    )
    accepted = store.acknowledgements(list(months))
    filed = store.appeals(list(months))
    answers = pd.concat(
        [
            pd.DataFrame(
                {
                    "employee_id": accepted["employee_id"],
                    "choice": "接受",
                    "at": accepted["accepted_at"].astype(str),
                    "comment": "",
                }
            ),
            pd.DataFrame(
                {
                    "employee_id": filed["employee_id"],
                    "choice": "申诉",  # an appeal is 不接受 on the paper form
                    "at": filed["filed_at"].astype(str),
                    "comment": "申诉 #" + filed["appeal_id"].astype(str) + ": " + filed["reason"],
                }
            ),
        ],
        ignore_index=True,
    )
    return interviews, answers


def report_appeals(store: Store, period: str, table: pd.DataFrame) -> pd.DataFrame:
    """The open appeals (待处理 / 处理中) of the period's months for the people of `table` (the
    report's scope), as report.APPEAL_COLUMNS."""
    filed = store.appeals(list(parse_period(period).months))
    filed = filed[filed["state"].isin(OPEN_STATES)]
    names = table[["employee_id", "name"]].drop_duplicates("employee_id")
    shown = filed.merge(names, on="employee_id", how="inner")
    return shown.assign(
        kpis=shown["kpis"].map(lambda text: ", ".join(json.loads(text or "[]"))),
        state=shown["state"].map(state_label),
    ).reindex(columns=list(APPEAL_COLUMNS))


def add_print_commands(command) -> None:
    """Register `statement` and `report` beside the other commands (`command` makes a
    subcommand with the shared --db, --scheme and --wait options)."""
    statement = command(
        "statement", run_statement, "print statements (绩效考核表) of a person or a department"
    )
    statement.add_argument("--period", required=True, help="2026-10 (or 2026-Q3, 2026-H1, 2026)")
    who = statement.add_mutually_exclusive_group(required=True)
    who.add_argument("--employee", metavar="ID", help="one person's statement")
    who.add_argument("--department", metavar="D", help="everyone of a department, a page each")
    statement.add_argument("--zip", action="store_true", help="a ZIP of one PDF per person")
    statement.add_argument("--out", required=True, type=Path, help="the PDF (or ZIP) to write")
    _common(statement)
    report = command("report", run_report, "print the report pack of a period (PDF)")
    report.add_argument("--period", required=True, help="2026-10 (or 2026-Q3, 2026-H1, 2026)")
    report.add_argument("--department", metavar="D", help="one department (default: the company)")
    report.add_argument("--out", required=True, type=Path, help="the PDF to write")
    _common(report)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--language", choices=["zh", "en"], default="zh", help="default zh")
    parser.add_argument(
        "--as",
        dest="as_user",
        metavar="USER",
        help="print only what this sign-in account may see (default: everything)",
    )
    parser.add_argument(
        "--accounts", help="accounts file for --as (default $ASSESS_ACCOUNTS or data/accounts.toml)"
    )


def _access(args: argparse.Namespace) -> Access:
    """Whose view the print is: the --as account, else the operator's (everything)."""
    if not args.as_user:
        return LOCAL_ACCESS
    record = load_accounts(accounts_path(args.accounts)).users.get(args.as_user)
    if record is None:
        raise PrintRefused(f"没有账户 / no account '{args.as_user}'")
    return Access(args.as_user, record["role"], tuple(record.get("departments", ())))


def _context(args: argparse.Namespace) -> tuple[Store, Scheme, pd.DataFrame, Access]:
    """The store, the scheme in use, the period's results as the user may see them."""
    from engine.cli import open_store
    from engine.schemes import versions
    from engine.schemes.scheme import load_scheme

    try:
        chosen = parse_period(args.period)
    except ValueError as exc:
        raise PrintRefused(str(exc)) from exc
    access = _access(args)
    store = open_store(args)
    scheme = versions.active_scheme(store, load_scheme(args.scheme))
    facts = store.facts(list(chosen.months))
    if facts.empty:
        raise PrintRefused(f"{args.period} 没有数据 / no data for {args.period}")
    imported_for = store.imported_schemes(list(chosen.months))["scheme_id"].tolist()
    fit = scheme_fit(facts, scheme, chosen.label, imported_for)
    if fit.refused:  # as `score` does: a scheme that finds too few of its KPIs is not used
        raise SchemeRefused(fit.message("en"))
    return store, scheme, scoped(period_table(store, scheme, chosen), access), access


def _write(out: Path, content: bytes) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(content)


def run_statement(args: argparse.Namespace) -> int:
    try:
        store, scheme, table, access = _context(args)
        if not access.sees_names:
            raise PrintRefused(
                f"{access.role} 看不到姓名,不能打印个人考核表 / a {access.role} sees no names: "
                "statements are personal"
            )
        if args.employee:
            people = table[table["employee_id"].astype(str) == args.employee]
            missing = f"{args.employee} 在 {args.period} 没有成绩(或不在可见范围内)"
            missing += f" / {args.employee} has no results in {args.period} (or is out of scope)"
        else:
            people = table[table["department"].astype(str) == args.department]
            missing = f"{args.department} 在 {args.period} 没有人员(或不在可见范围内)"
            missing += f" / nobody in {args.department} in {args.period} (or out of scope)"
        if people.empty:
            raise PrintRefused(missing)
        months = list(parse_period(args.period).months)
        interviews, answers = paper_records(store, args.period)
        built = build_statements(
            people,
            monthly_rows(store, scheme, months),
            scheme,
            args.period,
            interviews,
            answers,
            language=args.language,
        )
        content = statements_zip(built) if args.zip else statements_pdf(built)
        _write(args.out, content)
    except (PrintRefused, SchemeRefused) as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except (FontMissing, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    who = args.employee or args.department
    store.audit("export", f"statement {args.period} {who}: {args.out.name}, {len(built)} people")
    print(f"{args.out}: {len(built)} statement(s) for {args.period}")
    return EXIT_OK


def run_report(args: argparse.Namespace) -> int:
    try:
        store, scheme, table, access = _context(args)
        chosen = parse_period(args.period)
        before_label = previous(chosen).label
        before = scoped(period_table(store, scheme, before_label), access)
        departments = [args.department] if args.department else []
        history = report_history(store, scheme, chosen.months[-1], access, departments)
        if departments:
            table, before = (
                t[t["department"].astype(str).isin(departments)] for t in (table, before)
            )
        if table.empty:
            raise PrintRefused(
                f"{args.department or args.period} 没有可见的人员 / nobody to report on "
                f"(or out of scope)"
            )
        flags, note = rules_flags(store, scheme, chosen.months, access)
        flags = period_flags(flags, chosen.months, departments) if flags is not None else None
        data = ReportData(
            period=args.period,
            previous=before_label,
            scope=scope_label(departments or _scope_departments(access), args.language),
            scheme=scheme,
            table=table,
            before=before,
            history=history,
            flags=flags,
            flags_note=note,
            appeals=report_appeals(store, args.period, table),
            language=args.language,
        )
        _write(args.out, report_pdf(data))
    except (PrintRefused, SchemeRefused) as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except (FontMissing, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    store.audit("export", f"report {args.period} {data.scope}: {args.out.name}")
    print(f"{args.out}: report for {args.period}, {data.scope}, {len(table)} people")
    return EXIT_OK


def report_history(
    store: Store, scheme: Scheme, last: str, access: Access, departments: list[str]
) -> pd.DataFrame:
    """The rows the report's trend is drawn from (period, total), of the departments named (all
    when none) that the user may see, read from the database's kept rows: not every month's
    whole table."""
    if access.is_employee:  # their own rows only (never more than a few dozen)
        rows = scoped(monthly_rows(store, scheme), access)
        return rows[rows["department"].astype(str).isin(departments)] if departments else rows
    seen = None if access.all_departments else tuple(access.departments)
    if departments:
        seen = tuple(d for d in departments if seen is None or d in seen)
    return trend_rows(store, scheme, last, seen)


def _scope_departments(access: Access) -> list[str]:
    return [] if access.all_departments else list(access.departments)


def rules_flags(
    store: Store, scheme: Scheme, months, access: Access
) -> tuple[pd.DataFrame | None, str]:
    """The rules' flags of the period's months as the user may see them (the rules run over
    everyone and every month: ranks and streaks need them); None and why when the rules file
    cannot be read."""
    try:
        rules = load_rules(scheme)
    except RulesError as exc:
        return None, str(exc)
    table, _ = rules_table(store, scheme, rules)  # the columns the rules read, no more
    events = scoped(evaluate(table, rules, months[-1]).events, access)
    return period_flags(events, months), ""
