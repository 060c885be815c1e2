"""The command line: import monthly files, score a period, check schemes, manage imports."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

import pandas as pd

from engine import paths
from engine.accounts import (
    ROLES,
    AccountError,
    AccountSource,
    account_source,
    accounts_path,
    add_user,
    import_roster,
    kept_in_store,
    load_accounts,
    remove_user,
)
from engine.cycle.appeal_commands import add_appeal_commands
from engine.cycle.commands import add_cycle_commands
from engine.cycle.printing import add_print_commands
from engine.cycle.results import CYCLE_COLUMNS, keep_month, period_table
from engine.intake.parse import ParsedFile, parse_file, unreadable
from engine.output.export import csv_bytes, write_table
from engine.rules.evaluate import RulesError, check_rules, load_rules, reserve_ledger, with_inputs
from engine.schemes import versions as scheme_versions
from engine.schemes.scheme import Scheme, SchemeError, list_schemes, load_scheme, scheme_file_of
from engine.scoring.fit import SchemeFit, SchemeRefused, scheme_fit
from engine.scoring.periods import Period, parse_period
from engine.scoring.score import score_table
from engine.store import LOCK_WAIT_SECONDS, ImportRefused, Store, StoreBusy, StoreError

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_BUSY = 0, 1, 2, 3
LEADING_COLUMNS = [
    "employee_id",
    "name",
    "department",
    "team",
    "role",
    "period",
    "total",
    "grade",
    "rank",
    "dept_rank",
    "team_rank",
    "bonus",
    "months",
    "missing_count",
]
# Written after `bonus` when the scheme's rules hold a reserve: the period's sums of the monthly
# amounts; paid = commission after the team factor − withheld + released.
RESERVE_COLUMNS = ["withheld", "released", "forfeited", "paid"]


def cli_user() -> str:
    """Who the audit log names for command-line changes."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def open_store(args: argparse.Namespace) -> Store:
    return Store(args.db, lock_wait=args.wait, user=cli_user())


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except SchemeError as exc:
        print(exc, file=sys.stderr)
        return EXIT_INVALID
    except StoreBusy as exc:
        print(f"busy: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except ImportRefused as exc:  # a locked month (restore, delete)
        print(f"refused: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m engine", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    def command(name: str, run, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(run=run)
        sub.add_argument(
            "--db",
            help=f"store file or postgresql:// URL (default ${paths.DB_ENV} or {paths.DEFAULT_DB})",
        )
        sub.add_argument(
            "--scheme", help=f"scheme file (default ${paths.SCHEME_ENV} or aftersales)"
        )
        sub.add_argument(
            "--wait",
            type=float,
            default=LOCK_WAIT_SECONDS,
            metavar="SECONDS",
            help="how long to wait while another program holds the store "
            f"(default {LOCK_WAIT_SECONDS:g})",
        )
        return sub

    imp = command("import", run_import, "import monthly CSV files, all-or-nothing per file")
    imp.add_argument("files", nargs="+", type=Path, metavar="FILE")
    imp.add_argument("--period", help="the month of the files (YYYY-MM) if not in a column or name")
    imp.add_argument("--replace", action="store_true", help="replace a month that holds other data")

    score = command("score", run_score, "write the scored table of a period")
    score.add_argument("--period", required=True, help="2026-10, 2026-Q3, 2026-H1 or 2026")
    score.add_argument("--out", type=Path, help="CSV or .xlsx file (default: CSV to the screen)")
    score.add_argument(
        "--scheme-version",
        type=int,
        metavar="N",
        help="score under version N of the scheme (default: the version in use)",
    )

    command("schemes", run_schemes, "list the schemes in data/schemes and check each")
    command("history", run_history, "list every import with its status")
    restore = command("restore", run_restore, "make a replaced or deleted import current again")
    restore.add_argument("import_id", type=int)
    delete = command("delete", run_delete, "take an import out of use (it stays restorable)")
    delete.add_argument("import_id", type=int)
    demo = command("demo", run_demo, "import the bundled demo months into the store if empty")
    demo.add_argument(
        "--dataset",
        choices=["aftersales", "4s"],
        default=None,
        help="which demo (default: $ASSESS_DEMO, else aftersales)",
    )
    add_cycle_commands(command)
    add_appeal_commands(command)
    add_print_commands(command)

    users = commands.add_parser("users", help="manage sign-in accounts (see README)")
    users.add_argument(
        "--accounts", help="accounts file (default $ASSESS_ACCOUNTS or data/accounts.toml)"
    )
    actions = users.add_subparsers(required=True, metavar="ACTION")
    add = actions.add_parser("add", help="add a user or change one's role and password")
    add.set_defaults(run=run_users_add)
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument(
        "--department",
        action="append",
        default=[],
        help="a department a manager may see (repeat for several)",
    )
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead of asking",
    )
    add.add_argument("--employee", default="", help="the employee id an employee account sees")
    add.add_argument(
        "--must-change",
        action="store_true",
        help="a one-time password: the user must change it at the first sign-in",
    )
    roster = actions.add_parser(
        "import-roster",
        help="create the missing employee accounts for the people of a month, with one-time "
        "passwords written to a file for HR",
    )
    roster.set_defaults(run=run_users_import_roster)
    roster.add_argument("period", help="the month whose people get accounts (YYYY-MM)")
    roster.add_argument("--department", help="only the people of this department")
    roster.add_argument(
        "--out",
        type=Path,
        help="CSV of the initial passwords (default: initial_passwords_<PERIOD>_<time>.csv "
        "beside the accounts file); never written over",
    )
    roster.add_argument("--db", help=f"store file (default ${paths.DB_ENV} or {paths.DEFAULT_DB})")
    roster.add_argument("--wait", type=float, default=LOCK_WAIT_SECONDS, metavar="SECONDS")
    remove = actions.add_parser("remove", help="remove a user (their open sessions end)")
    remove.set_defaults(run=run_users_remove)
    remove.add_argument("username")
    listing = actions.add_parser("list", help="list users and roles (never passwords)")
    listing.set_defaults(run=run_users_list)
    copying = actions.add_parser(
        "copy-to-store",
        help="copy the accounts file into a PostgreSQL store, where every dashboard process "
        "reads them (accounts the store holds already are kept as they are)",
    )
    copying.set_defaults(run=run_users_copy_to_store)
    ending = actions.add_parser(
        "sign-out",
        help="end every sign-in session of a user in every dashboard process (PostgreSQL store)",
    )
    ending.set_defaults(run=run_users_sign_out)
    ending.add_argument("username")
    sessions = actions.add_parser(
        "sessions", help="list the open sign-in sessions (PostgreSQL store)"
    )
    sessions.set_defaults(run=run_users_sessions)
    for action in (add, remove, listing, copying, ending, sessions):
        action.add_argument(
            "--db",
            help="a postgresql:// store keeps the accounts and sessions of every dashboard "
            f"process (default ${paths.DB_ENV}); a store file leaves them in the accounts file",
        )
        action.add_argument("--wait", type=float, default=LOCK_WAIT_SECONDS, metavar="SECONDS")
    return parser


def users_source(args: argparse.Namespace) -> AccountSource:
    """The accounts the users commands change: the PostgreSQL store's (--db or $ASSESS_DB),
    else the accounts file (a DuckDB store is not even opened)."""
    store = Store(args.db, lock_wait=args.wait, user=cli_user()) if kept_in_store(args.db) else None
    return account_source(store, args.accounts)


def run_users_add(args: argparse.Namespace) -> int:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"password for {args.username}: ")
        if password != getpass.getpass("again: "):
            print("error: the two passwords differ", file=sys.stderr)
            return EXIT_INVALID
    try:
        file = add_user(
            args.username,
            password,
            args.role,
            args.department,
            users_source(args),
            employee_id=args.employee,
            must_change=args.must_change,
        )
    except AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    print(
        f"{file}: {args.username} is {args.role}"
        + (f" of {', '.join(args.department)}" if args.department else "")
        + (f" {args.employee}" if args.employee else "")
    )
    return EXIT_OK


def run_users_remove(args: argparse.Namespace) -> int:
    try:
        file = remove_user(args.username, users_source(args))
    except AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    print(f"{file}: {args.username} removed")
    return EXIT_OK


def run_users_list(args: argparse.Namespace) -> int:
    accounts = users_source(args).load()
    if not accounts.sign_in_required:
        print("no accounts: the dashboard runs in single-user local mode")
    for name, record in sorted(accounts.users.items()):
        scope = ", ".join(record.get("departments", [])) or record.get("employee_id", "")
        waiting = "  (one-time password)" if record.get("must_change_password") else ""
        print(f"{name:<16} {record['role']:<8} {scope}{waiting}")
    return EXIT_OK


def run_users_import_roster(args: argparse.Namespace) -> int:
    """Employee accounts for a month's people who have none; the passwords go to a file only."""
    store = Store(args.db, lock_wait=args.wait, user=cli_user())
    people = store.facts([args.period])[["employee_id", "name", "department"]]
    if args.department:
        people = people[people["department"].eq(args.department)]
    if people.empty:
        where = f" in {args.department}" if args.department else ""
        print(f"error: {args.period} has no people{where}", file=sys.stderr)
        return EXIT_INVALID
    file = accounts_path(args.accounts)
    stamp = pd.Timestamp.now().strftime("%Y%m%d-%H%M%S")
    out = args.out or file.with_name(f"initial_passwords_{args.period}_{stamp}.csv")
    source = account_source(store, file) if kept_in_store(args.db) else file
    try:
        created = import_roster(people, out, source)
    except AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    for skipped in created.attrs["skipped"]:
        print(f"skipped: employee id '{skipped}' cannot be a user name", file=sys.stderr)
    scope = args.period + (f" {args.department}" if args.department else "")
    if created.empty:
        print(f"{scope}: every person already has an account; nothing created")
        return EXIT_OK
    store.audit(
        "accounts_created",
        f"{scope}: {len(created)} employee account(s) with one-time passwords "
        f"({', '.join(created['username'])}); passwords in {out}",
    )
    print(
        f"{scope}: {len(created)} employee account(s) created, {len(people) - len(created)} "
        f"had one; one-time passwords in {out} (readable by you only; hand them out, then "
        "delete the file)"
    )
    return EXIT_OK


def _store_only(args: argparse.Namespace, what: str) -> Store | None:
    """The PostgreSQL store the command needs; None (said why) for a store file."""
    if kept_in_store(args.db):
        return Store(args.db, lock_wait=args.wait, user=cli_user())
    print(
        f"error: {what} are kept only in a PostgreSQL store (--db postgresql://… or "
        f"${paths.DB_ENV}); with a store file the dashboard is one process and keeps them itself",
        file=sys.stderr,
    )
    return None


def run_users_copy_to_store(args: argparse.Namespace) -> int:
    """The accounts file's accounts (and session timeout) into the store, once."""
    store = _store_only(args, "accounts shared by several dashboard processes")
    if store is None:
        return EXIT_INVALID
    file = accounts_path(args.accounts)
    if not file.exists():
        print(f"error: {file}: no such accounts file", file=sys.stderr)
        return EXIT_INVALID
    found = load_accounts(file)
    target = account_source(store)
    held = target.load().users
    fresh = {name: record for name, record in found.users.items() if name not in held}
    kept = sorted(set(found.users) & set(held))
    if fresh:
        minutes = found.session_minutes if store.account_records()[1] is None else None
        store.change_accounts(
            fresh, f"copied from {file}: {', '.join(sorted(fresh))}", session_minutes=minutes
        )
    print(
        f"{target.where}: {len(fresh)} account(s) copied from {file}"
        + (
            f"; {len(kept)} already there, kept as the store has them ({', '.join(kept)})"
            if kept
            else ""
        )
        + ". The dashboard now reads accounts from the store; keep the file only as a backup."
    )
    return EXIT_OK


def run_users_sign_out(args: argparse.Namespace) -> int:
    """End every open session of a user; each dashboard process sees it at the next page run."""
    store = _store_only(args, "sign-in sessions")
    if store is None:
        return EXIT_INVALID
    ended = store.end_sessions(
        "sessions_ended", "signed out by an administrator", username=args.username
    )
    print(f"{args.username}: {ended} open session(s) ended")
    return EXIT_OK


def run_users_sessions(args: argparse.Namespace) -> int:
    """The open sign-in sessions: who, since when, idle for how long."""
    store = _store_only(args, "sign-in sessions")
    if store is None:
        return EXIT_INVALID
    minutes = account_source(store).load().session_minutes
    table = store.sign_in_sessions(minutes * 60)
    if table.empty:
        print("no open sessions")
        return EXIT_OK
    lines = (
        table["session"]
        + "  "
        + table["username"].str.ljust(16)
        + "  since "
        + table["started_at"].dt.strftime("%Y-%m-%d %H:%M")
        + "  idle "
        + (table["idle_seconds"] // 60).astype(int).astype(str)
        + " min"
    )
    print("\n".join(lines))
    return EXIT_OK


def problem_lines(problems: pd.DataFrame) -> pd.Series:
    """One line per problem: '  file: row 3, column 部门, value 'x': reason'."""
    row = ("row " + problems["row"].astype("string") + ", ").fillna("")
    column = ("column " + problems["column"] + ", ").where(problems["column"].ne(""), "")
    value = ("value '" + problems["value"] + "': ").where(problems["value"].ne(""), "")
    return "  " + problems["file"] + ": " + row + column + value + problems["problem"]


def print_notes(parsed: ParsedFile) -> None:
    """The file's notes (not errors, such as a doubtful encoding), one line each."""
    if not parsed.warnings.empty:
        lines = problem_lines(parsed.warnings).str.replace(": ", ": note: ", n=1, regex=False)
        print("\n".join(lines), file=sys.stderr)


def run_import(args: argparse.Namespace) -> int:
    scheme = load_scheme(args.scheme)
    store = open_store(args)
    code = EXIT_OK
    for file in args.files:
        if not file.is_file():
            print(f"{file}: no such file", file=sys.stderr)
            code = EXIT_INVALID
            continue
        try:
            parsed = parse_file(file, scheme, period=args.period)
        except Exception as exc:  # the last guard: a file never ends the command in a traceback
            parsed = unreadable(b"", file.name, f"the file cannot be read ({exc})")
        if not parsed.ok:
            print(
                f"{file.name}: {len(parsed.problems)} problem(s), nothing stored", file=sys.stderr
            )
            print("\n".join(problem_lines(parsed.problems)), file=sys.stderr)
            print_notes(parsed)
            code = EXIT_INVALID
            continue
        try:
            result = store.import_file(parsed, replace=args.replace)
            print(result.message)
            if result.status != "unchanged":
                keep_month(store, scheme_versions.active_scheme(store, scheme), result.period)
        except ImportRefused as exc:
            print(f"refused: {exc}", file=sys.stderr)
            code = EXIT_INVALID
        print_notes(parsed)
    return code


def scored(store: Store, scheme: Scheme, period: str, frozen: bool = True) -> pd.DataFrame:
    """The scored table of a period with the agreed columns first; a locked month as it was
    locked (unless `frozen` is off), then the adjustment columns and the scheme version. Raises
    SchemeRefused when the scheme finds fewer than half of its weighted KPIs in data not
    imported under it."""
    chosen = parse_period(period)
    facts = store.facts(list(chosen.months))
    imported_for = store.imported_schemes(list(chosen.months))["scheme_id"]
    fit = scheme_fit(facts, scheme, chosen.label, imported_for.tolist())
    if fit.refused:
        raise SchemeRefused(fit.message("en") + _scheme_hint(fit, facts))
    table = period_table(store, scheme, chosen, frozen)
    table = table.sort_values(["period", "rank", "employee_id"], ignore_index=True)
    rest = [c for c in table.columns if c.startswith(("score_", "cat_"))]
    values = [c for c in scheme.kpi_ids if c in table]
    inputs = [i.id for i in scheme.money.inputs if i.id in table]
    cycle = [c for c in CYCLE_COLUMNS if c in table]
    leading = LEADING_COLUMNS
    reserves = period_reserves(store, scheme, chosen)
    if reserves is not None:
        problems = table.attrs.get("money_problems")
        table = table.join(reserves, on="employee_id")
        if problems is not None:
            table.attrs["money_problems"] = problems
        after = LEADING_COLUMNS.index("bonus") + 1
        leading = [*LEADING_COLUMNS[:after], *RESERVE_COLUMNS, *LEADING_COLUMNS[after:]]
    return table[[*leading, *rest, *values, *inputs, *cycle, "scheme_version"]]


def period_reserves(store: Store, scheme: Scheme, period: Period) -> pd.DataFrame | None:
    """Per employee: the reserve withheld, released and forfeited in the period's months and
    what was paid; None when the scheme's rules hold no reserve (or cannot be read: `schemes`
    says why)."""
    try:
        rules = load_rules(scheme)
    except RulesError:
        return None
    if rules.nps_return is None:
        return None
    facts = store.facts()  # every month: a release or a leaver is seen from the months around
    if facts.empty:
        return pd.DataFrame(columns=RESERVE_COLUMNS, index=pd.Index([], name="employee_id"))
    table, _ = with_inputs(score_table(facts, scheme), facts, rules)
    ledger = reserve_ledger(table, rules)
    ledger = ledger[ledger["period"].isin(period.months)]
    amounts = ["nps_reserve", "released", "forfeited", "paid"]
    sums = ledger.groupby("employee_id")[amounts].sum(min_count=1).round(2)
    return sums.rename(columns={"nps_reserve": "withheld"})


def _scheme_hint(fit: SchemeFit, facts: pd.DataFrame) -> str:
    """The --scheme to use instead: the data's own scheme file, else the schemes that fit."""
    if fit.data_scheme is not None:
        found = scheme_file_of(fit.data_scheme)
        return f" (--scheme {_shown(found)})" if found else ""
    fitting = [
        _shown(file)
        for file, loaded in list_schemes()
        if isinstance(loaded, Scheme) and not scheme_fit(facts, loaded, fit.period).refused
    ]
    return f" Schemes that fit it: --scheme {', '.join(fitting)}" if fitting else ""


def _shown(file: Path) -> str:
    """A scheme file as the user would type it from the repository root."""
    return str(file.relative_to(paths.ROOT)) if file.is_relative_to(paths.ROOT) else str(file)


def run_score(args: argparse.Namespace) -> int:
    try:
        parse_period(args.period)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    store = open_store(args)
    file_scheme = load_scheme(args.scheme)
    if args.scheme_version is None:
        used = scheme_versions.active_scheme(store, file_scheme)
    else:
        used = scheme_versions.scheme_version(store, file_scheme, args.scheme_version)
    try:
        table = scored(store, used, args.period, frozen=args.scheme_version is None)
    except SchemeRefused as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return EXIT_INVALID
    if table.empty:
        print(f"no data for {args.period}", file=sys.stderr)
        return EXIT_FAILED
    for problem in table.attrs.get("money_problems", []):
        print(f"money: {problem}", file=sys.stderr)
    if args.out:
        write_table(table, args.out)
        print(f"{args.out}: {len(table)} rows for {args.period}")
    else:
        sys.stdout.write(csv_bytes(table).decode("utf-8-sig"))
    return EXIT_OK


def run_schemes(args: argparse.Namespace) -> int:
    code = EXIT_OK
    for file, loaded in list_schemes():
        rules_problems = [] if isinstance(loaded, SchemeError) else check_rules(loaded)
        if isinstance(loaded, SchemeError) or rules_problems:
            print(f"INVALID {file.name}")
            problems = loaded.problems if isinstance(loaded, SchemeError) else []
            for problem in [*problems, *(f"rules: {p}" for p in rules_problems)]:
                print(f"    - {problem}")
            code = EXIT_INVALID
        else:
            roles = ", ".join(r.name for r in loaded.roles) or "one plan for every role"
            print(
                f"ok      {file.name}: {loaded.name_zh} / {loaded.name_en} v{loaded.version}; "
                f"{len(loaded.categories)} categories, {len(loaded.kpis)} KPIs, "
                f"grades {'/'.join(loaded.grade_names)}, money {loaded.money.mode}; roles: {roles}"
            )
            summary = rules_summary(loaded)
            if summary:
                print(f"        {summary}")
    return code


def rules_summary(scheme: Scheme) -> str:
    """One line naming a scheme's rules across months (checked already), '' when it has none."""
    rules = load_rules(scheme)
    if rules.empty:
        return ""
    streaks = [
        s.id if (s.period, s.scope) == ("month", "person") else f"{s.id} ({s.scope}, {s.period})"
        for s in rules.streaks
    ]
    parts = [f"streaks {', '.join(streaks)}"] if streaks else []
    sections = {
        "levels": "levels",
        "pay_cut": "pay cut",
        "ladder": "ladder",
        "stars": "stars",
        "team_multiplier": "team multiplier",
    }
    parts += [name for key, name in sections.items() if getattr(rules, key) is not None]
    if rules.nps_return is not None:
        n = rules.nps_return
        parts.append(f"reserve {n.reserve_share:g}% paid with the NPS after each {n.release}")
    return f"rules {rules.source}: {'; '.join(parts)}"


def run_history(args: argparse.Namespace) -> int:
    log = open_store(args).imports()
    if log.empty:
        print("no imports yet")
        return EXIT_OK
    lines = (
        log["import_id"].astype(str).str.rjust(5)
        + "  "
        + log["period"]
        + "  "
        + log["status"].str.ljust(8)
        + "  "
        + log["row_count"].astype(str).str.rjust(7)
        + " rows  "
        + log["imported_at"].dt.strftime("%Y-%m-%d %H:%M")
        + "  "
        + log["file_name"]
    )
    print("\n".join(lines))
    return EXIT_OK


def run_restore(args: argparse.Namespace) -> int:
    print(open_store(args).restore(args.import_id))
    return EXIT_OK


def run_delete(args: argparse.Namespace) -> int:
    print(open_store(args).delete(args.import_id))
    return EXIT_OK


def import_demo(store: Store, scheme: Scheme) -> list[str]:
    """Import the bundled demo months into an empty store; returns one message per file."""
    from engine.demo.aftersales import generate_demo, import_files

    return import_files(store, scheme, sorted(paths.SAMPLE_DIR.glob("*.csv")) or generate_demo())


def run_demo(args: argparse.Namespace) -> int:
    dataset = args.dataset or paths.demo_dataset()
    if dataset == "4s" and not args.db:
        args.db = str(paths.DEALER_DB if not os.environ.get(paths.DB_ENV) else paths.db_path())
    store = open_store(args)
    if not store.is_empty():
        print(f"{store.path} already holds data; nothing imported")
        return EXIT_OK
    if dataset == "4s":
        from engine.demo.dealer_4s import import_demo_4s

        messages = import_demo_4s(store)
    else:
        messages = import_demo(store, load_scheme(args.scheme))
    for message in messages:
        print(message)
    return EXIT_OK
