"""Cached access to the store and the engine, keyed on small values (paths, version, period)."""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import streamlit as st

from engine import paths
from engine.accounts import (
    LOCAL_ACCESS,
    Access,
    Accounts,
    AccountSource,
    account_source,
    accounts_path,
    kept_in_store,
    load_accounts,
    pseudonyms,
    scoped,
)
from engine.analysis.figures import department_trend, select
from engine.cli import import_demo
from engine.cycle.config import CycleConfig, cycle_path, load_cycle
from engine.cycle.publication import published_months
from engine.cycle.results import kept_keys, monthly_rows, period_table, rules_table, trend_rows
from engine.insights.control import (
    control_chart,
    department_series,
    month_sums,
    series_from_sums,
)
from engine.insights.gaming import (
    PERSON_COLUMNS,
    gaming_suspects,
    pair_series,
    suspect_moves,
    with_people,
)
from engine.output.report import period_flags
from engine.rules.evaluate import (
    RulesError,
    RulesReport,
    evaluate,
    load_rules,
    rules_key,
)
from engine.schemes import versions as scheme_versions
from engine.schemes.scheme import (
    GamingPair,
    Scheme,
    SchemeError,
    list_schemes,
    load_scheme,
    scheme_file_of,
)
from engine.scoring import fit as fitting
from engine.scoring.fit import SchemeFit
from engine.scoring.periods import available, parse_period, previous
from engine.store import ROW_COLUMNS, Store, StoreError
from ui import keeping


@st.cache_resource(show_spinner=False)
def store(db_file: str) -> Store:
    """One Store per file per process; it opens the file only while working."""
    return Store(db_file)


def held_store():
    """The store kept open for this script run (see Store.held)."""
    return store(str(paths.db_path())).held()


def current_store() -> Store:
    """The store, recording the signed-in user in the audit log of what it changes."""
    return store(str(paths.db_path())).as_user(access().user)


@st.cache_data(show_spinner=False)
def _accounts(file: str, stamp: tuple[int, int, int]) -> Accounts:
    return load_accounts(accounts_path(file))


@st.cache_data(show_spinner=False, max_entries=4)
def _store_accounts(db: str, slot: tuple) -> Accounts:
    return account_source(store(db)).load()


def accounts_read_again() -> None:
    """Forget the store's accounts read last (an account found in the store just now)."""
    _store_accounts.clear()


def sessions_in_store() -> bool:
    """Whether accounts and sign-in sessions live in the store (PostgreSQL: several dashboard
    processes share them), not in the accounts file and this process's session state."""
    return kept_in_store()


def account_source_now() -> AccountSource:
    """Where accounts are read and changed: the PostgreSQL store, else the accounts file."""
    return account_source(store(str(paths.db_path())) if sessions_in_store() else None)


def accounts() -> Accounts:
    """The accounts: in a PostgreSQL store read again every 2 s (so an account added, changed
    or removed through any process shows in every process within that time); else the
    accounts file's content, reread when the file changes (every save writes a new file, so its
    inode changes even when two saves share a timestamp)."""
    if sessions_in_store():
        db = paths.db_path()
        return _store_accounts(str(db), _file_stamp(db))
    file = accounts_path()
    if not file.exists():
        return _accounts(str(file), (0, 0, 0))
    found = file.stat()
    return _accounts(str(file), (found.st_mtime_ns, found.st_ino, found.st_size))


def access() -> Access:
    """Who this session is; with sign-in on and nobody signed in, someone who may see nothing."""
    signed_in = st.session_state.get("access")
    if signed_in is not None:
        return signed_in
    return Access("?", "manager", ()) if accounts().sign_in_required else LOCAL_ACCESS


@st.cache_data(show_spinner=False, max_entries=16)
def _file_scheme(scheme_file: str, modified: float) -> Scheme:
    return load_scheme(scheme_file)


def file_scheme(scheme_file: str) -> Scheme:
    """The scheme as its file has it (the version the store's versions start from), reloaded
    when the file changes on disk."""
    return _file_scheme(scheme_file, paths.scheme_path(scheme_file).stat().st_mtime)


@st.cache_data(show_spinner=False, max_entries=16)
def _active_scheme(db_file: str, version: int, scheme_file: str, modified: float) -> Scheme:
    return scheme_versions.active_scheme(store(db_file), file_scheme(scheme_file))


def active_scheme(scheme_file: str) -> Scheme:
    """The scheme in use for a scheme file: the newest version adopted in the store (what-if
    page), else the file itself. The sidebar resolves it once per script run; pages take it
    from the view (`sidebar.scheme()`), never from the file path."""
    modified = paths.scheme_path(scheme_file).stat().st_mtime
    return _active_scheme(str(paths.db_path()), store_version(), scheme_file, modified)


def version_list(scheme_file: str) -> pd.DataFrame:
    """Every kept version of the scheme, newest first, the one in use marked."""
    return scheme_versions.versions(current_store(), file_scheme(scheme_file))


def version_scheme(scheme_file: str, number: int) -> Scheme:
    """One kept version of the scheme (raises SchemeError when it is not kept)."""
    return scheme_versions.scheme_version(current_store(), file_scheme(scheme_file), number)


def default_scheme_file() -> str:
    """The scheme file the dashboard opens on: $ASSESS_SCHEME when set (the administrator's
    choice, as --scheme on the command line); else the scheme the store's data was (last)
    imported under, when the store recorded it and a valid scheme file has that id; else the
    default scheme."""
    if os.environ.get(paths.SCHEME_ENV):
        return str(paths.scheme_path())
    return _data_scheme_file(str(paths.db_path()), store_version()) or str(paths.scheme_path())


@st.cache_data(show_spinner=False)
def _data_scheme_file(db_file: str, version: int) -> str | None:
    recorded = store(db_file).imported_schemes()["scheme_id"].dropna()
    found = scheme_file_of(recorded.iloc[0]) if len(recorded) else None
    return str(found) if found is not None else None


@st.cache_data(show_spinner=False, ttl=60)
def _valid_schemes(db_file: str, version: int) -> dict[str, str]:
    return {
        str(file): f"{found.name_zh} · {found.name_en} (v{active_scheme(str(file)).version})"
        for file, found in list_schemes()
        if not isinstance(found, SchemeError)
    }


def valid_schemes() -> dict[str, str]:
    """Scheme file path → display name with the version in use, for every valid scheme."""
    return _valid_schemes(str(paths.db_path()), store_version())


@st.cache_resource(show_spinner=False)
def _stores_with_data() -> set[str]:
    """Store files this process has seen hold imports (that never goes back: deleted imports
    stay logged), so each script run need not open the file to ask again."""
    return set()


def ensure_demo_data() -> list[str]:
    """On the first start with an empty store, import the bundled demo months."""
    target = current_store()
    known = _stores_with_data()
    if str(target.path) in known:
        return []
    if not target.is_empty():
        known.add(str(target.path))
        return []
    if paths.demo_dataset() == "4s":
        from engine.demo.dealer_4s import import_demo_4s

        messages = import_demo_4s(target)
    else:
        messages = import_demo(target, file_scheme(default_scheme_file()))
    known.add(str(target.path))
    st.cache_data.clear()
    return messages


@st.cache_data(show_spinner=False, max_entries=64)
def _version(db_file: str, stamp: tuple) -> int:
    return store(db_file).version()


def store_version_read_again() -> None:
    """Forget the store version read last, so the next run reads it from the store (after a
    change made elsewhere: the command line, another process)."""
    _version.clear()


# A PostgreSQL store has no file to look at: its version is read again at most this often, so
# a change through another process shows within that time (one query of a kept connection).
SERVER_VERSION_SECONDS = 2.0


def _file_stamp(db_file: Path | str) -> tuple:
    """The store file's and its write-ahead log's size and time: every committed change moves
    one of them (a commit appends to the log, a checkpoint rewrites the file). For a database
    server, the current 2-second slot instead."""
    if not isinstance(db_file, Path):
        return (int(time.monotonic() // SERVER_VERSION_SECONDS),)
    found = []
    for file in (db_file, db_file.with_name(db_file.name + ".wal")):
        try:
            info = file.stat()
            found.append((info.st_mtime_ns, info.st_size, info.st_ino))
        except OSError:
            found.append(None)
    return tuple(found)


def store_version() -> int:
    """The store's version, read again only when the file or its log changed on disk (a stat
    of two files, not an open of the store on every run); a change from the command line
    shows at the next run."""
    db_file = paths.db_path()
    return _version(str(db_file), _file_stamp(db_file))


@st.cache_data(show_spinner=False)
def _periods(db_file: str, version: int) -> dict[str, list[str]]:
    return available(store(db_file).periods())


def periods() -> dict[str, list[str]]:
    """Periods with data of each kind (month, quarter, half, year), newest first."""
    target = current_store()
    return _periods(str(target.path), store_version())


def scheme_key(scheme: Scheme) -> tuple[str, int, str]:
    """The small values a cached result under a scheme is keyed on."""
    return scheme.id, scheme.version, scheme.digest


# Scored tables are resources, not data: handed out as they are instead of unpickled on every
# run (about 60 ms per million rows and column set). Pages never change them in place (they
# filter first, and pandas copies on write), and the store's version in the key retires them.
@st.cache_resource(show_spinner=False, max_entries=32)
def _scored(
    db_file: str, version: int, under: tuple, period: str, frozen: bool, _scheme: Scheme
) -> tuple[pd.DataFrame, SchemeFit]:
    chosen = parse_period(period)
    target = store(db_file)
    # Only the KPI columns (a year of ten thousands of staff: 1M rows of names and teams less).
    wanted = fitting.kpi_columns(target.fact_columns(), _scheme)
    facts = target.facts(list(chosen.months), columns=wanted)
    imported_for = target.imported_schemes(list(chosen.months))["scheme_id"]
    fit = fitting.scheme_fit(facts, _scheme, chosen.label, imported_for.tolist())
    return period_table(target, _scheme, chosen, frozen), fit


def scored(period: str, scheme: Scheme, frozen: bool = True) -> pd.DataFrame:
    """The scored table of a period under a scheme (any version) as this user may see it
    (ranks are over everyone), recomputed when the store or the scheme changes. Locked months
    come as they were locked (`frozen=False` re-scores them: the scheme page's comparison).
    Pages show it only when `scheme_fit` does not refuse the scheme."""
    target = current_store()
    key = scheme_key(scheme)
    table = _scored(str(target.path), store_version(), key, period, frozen, scheme)[0]
    return scoped(table, access())


def scheme_fit(period: str, scheme: Scheme) -> SchemeFit:
    """How much of the scheme the period's data holds, and whether scoring it is refused."""
    target = current_store()
    return _scored(str(target.path), store_version(), scheme_key(scheme), period, True, scheme)[1]


def scored_previous(period: str, scheme: Scheme) -> pd.DataFrame:
    """The scored table of the period before (empty when it has no data)."""
    return scored(previous(parse_period(period)).label, scheme)


def clear_after_import() -> None:
    """Drop every derived result so every page shows the new data at once."""
    st.cache_data.clear()
    for cached in (_scored, _monthly, _rules_report, _month_rows, _history, _pair_rows):
        cached.clear()


@st.cache_resource(show_spinner=False, max_entries=4)
def _monthly(db_file: str, version: int, under: tuple, _scheme: Scheme) -> pd.DataFrame:
    return monthly_rows(store(db_file), _scheme)


def monthly(scheme: Scheme) -> pd.DataFrame:
    """Every stored month scored, one row per employee and month (for trends), as this user
    may see it."""
    target = current_store()
    table = _monthly(str(target.path), store_version(), scheme_key(scheme), scheme)
    return scoped(table, access())


@st.cache_data(show_spinner=False)
def _month_states(db_file: str, version: int) -> dict[str, str]:
    states = store(db_file).month_states()
    return states[states["department"].eq("")].set_index("period")["state"].to_dict()


def month_states(period: str) -> list[tuple[str, str]]:
    """Each month of a period that has data, with its state (open where none is recorded)."""
    target = current_store()
    whole = _month_states(str(target.path), store_version())  # a small dict: cheap to copy
    held = set(periods()["month"])
    return [(m, whole.get(m, "open")) for m in parse_period(period).months if m in held]


@st.cache_data(show_spinner=False)
def _cycle_config(file: str, modified: float) -> CycleConfig:
    return load_cycle(file)


def cycle_config() -> CycleConfig:
    """The month-closing configuration, reread when its file changes."""
    file = cycle_path()
    return _cycle_config(str(file), file.stat().st_mtime)


# A resource, not data: the report is handed out as it is, not unpickled on every run (1.2–1.8 s
# at 1M rows); it is never changed in place (scoped_report builds new frames).
@st.cache_resource(show_spinner=False, max_entries=4)
def _rules_report(
    db_file: str, version: int, under: tuple, rules_version: str, as_of: str, _scheme: Scheme
) -> tuple[RulesReport, pd.DataFrame]:
    """The rules over every stored month for everyone, judged at as_of. Cached for every
    session, so it holds everyone and is scoped after the cache: never scope inside."""
    rules = load_rules(_scheme)
    # Only the columns the rules read, of the kept rows and the facts: not every month's whole
    # table (5 s of a cold page at 1M rows).
    table, unreadable = rules_table(store(db_file), _scheme, rules)
    return evaluate(table, rules, as_of), unreadable


def scoped_report(report: RulesReport, access: Access) -> RulesReport:
    """The rules report as this user may see it: every table scoped; the per-condition checks,
    which carry no department, follow the people the user may see."""
    frames = {
        f.name: scoped(getattr(report, f.name), access)
        for f in fields(report)
        if isinstance(getattr(report, f.name), pd.DataFrame)
    }
    visible = report.ladder.loc[frames["ladder"].index, "employee_id"]
    checks = report.ladder_checks
    frames["ladder_checks"] = scoped(checks[among(checks["employee_id"], visible)], access)
    return replace(report, **frames)


def among(values: pd.Series, wanted) -> np.ndarray:
    """Where each value is one of `wanted`, in one Arrow lookup: pandas' isin on a text column
    first makes a Python object of every wanted value (0.9 s for 83,000 ids against 1.2 million
    rows, 0.12 s this way). A blank is never among them."""
    try:
        found = pc.is_in(pa.array(values), value_set=pa.array(pd.unique(pd.Series(wanted))))
        return np.asarray(pc.fill_null(found, False), dtype=bool)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError):
        return values.isin(list(wanted)).to_numpy(dtype=bool) & values.notna().to_numpy()


def category_text(values: pd.Series) -> pd.Series:
    """A category column as text with blanks as '' (what astype("string").fillna("") gives),
    each category written once: casting every cell took 0.1 s per column of 83,000 rows."""
    if not pd.api.types.is_string_dtype(values.cat.categories):  # numbers: as pandas writes them
        return values.astype("string").fillna("")
    categories = pd.array(values.cat.categories.astype("string"), dtype="string")
    text = categories.take(values.cat.codes.to_numpy(), allow_fill=True)
    return pd.Series(text, index=values.index, name=values.name).fillna("")


def rules_report(scheme: Scheme, as_of: str) -> tuple[RulesReport, pd.DataFrame]:
    """The rules across months judged at as_of, as this user may see them (ranks and team
    figures over everyone), and the rule inputs that could not be read."""
    target = current_store()
    report, unreadable = _rules_report(
        str(target.path), store_version(), scheme_key(scheme), rules_key(scheme), as_of, scheme
    )
    return scoped_report(report, access()), unreadable


@st.cache_data(show_spinner=False)
def _published(db_file: str, version: int) -> pd.DataFrame:
    target = store(db_file)
    return published_months(target.month_states(), target.events())


def published() -> pd.DataFrame:
    """The months whose results are out to their people (published, or locked after being
    published): period, published_at, published_by."""
    target = current_store()
    return _published(str(target.path), store_version())


def own_months(scheme: Scheme) -> pd.DataFrame:
    """The signed-in employee's months that are published to them, oldest first: period,
    employee_id, name, department, team, role, total, grade, grade_en, rank, dept_rank, bonus,
    missing_count, team_rank (empty for any other account: the page is theirs). Read from the
    kept rows in columns for that person alone: ten years of months cost one indexed query."""
    who = access()
    if not who.is_employee:
        return pd.DataFrame(columns=["period", *ROW_COLUMNS])
    months = tuple(sorted(published()["period"]))
    target = current_store()
    rows = _own_months(
        str(target.path), store_version(), scheme_key(scheme), str(who.employee_id), months, scheme
    )
    return scoped(rows, who)  # their own rows only


def own_results(scheme: Scheme, months: list[str] | tuple[str, ...]) -> pd.DataFrame:
    """The signed-in employee's full scored rows (every column: their statements) of some of
    their published months, oldest first (empty for any other account)."""
    who = access()
    if not who.is_employee:
        return pd.DataFrame()
    shown = tuple(sorted(set(months) & set(published()["period"])))
    target = current_store()
    rows = _own_rows(
        str(target.path), store_version(), scheme_key(scheme), str(who.employee_id), shown, scheme
    )
    mine = scoped(rows, who)  # their own rows only
    return mine.sort_values("period", ignore_index=True) if len(mine) else mine


@st.cache_data(show_spinner=False, max_entries=32)
def _targets(db_file: str, version: int, months: tuple[str, ...]) -> pd.DataFrame:
    return store(db_file).targets(list(months))


def targets(months: list[str] | tuple[str, ...]) -> pd.DataFrame:
    """The targets kept for the months (person and team rows), recomputed when the store
    changes. For editors and for one visible person's statement: not scoped."""
    target = current_store()
    return _targets(str(target.path), store_version(), tuple(months))


# ---------------------------------------------------------------- aggregates from the database
# Trends and a person's months come from the kept rows aggregated in the database (issue 19):
# a page no longer loads every month's rows into pandas for a line of department means.


@st.cache_data(show_spinner=False, max_entries=16)
def _kept_keys(db_file: str, version: int, under: tuple, _scheme: Scheme) -> list | None:
    keeping.wait(db_file, _scheme)  # a version just adopted: its months are being kept
    return kept_keys(store(db_file), _scheme)


def departments_seen(chosen: tuple[str, ...] | list[str], who: Access) -> tuple[str, ...] | None:
    """The departments an aggregate covers: those chosen (none chosen: all) within those the
    user may see; None means every department."""
    chosen = tuple(chosen)
    if who.all_departments:
        return chosen or None
    allowed = tuple(who.departments)
    return tuple(d for d in chosen if d in allowed) if chosen else allowed


@st.cache_data(show_spinner=False, max_entries=64)
def _department_means(
    db_file: str,
    version: int,
    under: tuple,
    departments: tuple[str, ...] | None,
    teams: tuple[str, ...],
    roles: tuple[str, ...],
    _scheme: Scheme,
) -> pd.DataFrame:
    keys = _kept_keys(db_file, version, under, _scheme)
    if keys is not None:
        return store(db_file).department_means(_scheme.id, keys, departments, teams, roles)
    rows = _monthly(db_file, version, under, _scheme)  # nothing kept (an unsaved scheme)
    if departments is not None:
        rows = rows[rows["department"].isin(list(departments))]
    return department_trend(select(rows, (), teams, roles))


def department_means(
    scheme: Scheme,
    departments: tuple[str, ...] = (),
    teams: tuple[str, ...] = (),
    roles: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Mean total and headcount per month and department (period, department, mean_total,
    headcount) of every stored month, over the chosen departments, teams and roles that this
    user may see."""
    who = access()
    if who.is_employee:
        return pd.DataFrame(columns=["period", "department", "mean_total", "headcount"])
    return _department_means(
        str(current_store().path),
        store_version(),
        scheme_key(scheme),
        departments_seen(departments, who),
        tuple(teams),
        tuple(roles),
        scheme,
    )


@st.cache_resource(show_spinner=False, max_entries=16)
def _month_rows(
    db_file: str, version: int, under: tuple, months: tuple[str, ...], _scheme: Scheme
) -> pd.DataFrame:
    return monthly_rows(store(db_file), _scheme, list(months))


def month_rows(scheme: Scheme, months: list[str] | tuple[str, ...]) -> pd.DataFrame:
    """The monthly scored rows of some months only (a period's), as this user may see them."""
    target = current_store()
    table = _month_rows(
        str(target.path), store_version(), scheme_key(scheme), tuple(months), scheme
    )
    return scoped(table, access())


@st.cache_data(show_spinner=False, max_entries=64)
def _people_months(
    db_file: str,
    version: int,
    under: tuple,
    employee_ids: tuple[str, ...],
    departments: tuple[str, ...] | None,
    teams: tuple[str, ...],
    roles: tuple[str, ...],
    _scheme: Scheme,
) -> pd.DataFrame:
    keys = _kept_keys(db_file, version, under, _scheme)
    if keys is not None:
        return store(db_file).kept_rows(_scheme.id, keys, employee_ids, departments, teams, roles)
    rows = _monthly(db_file, version, under, _scheme)  # nothing kept (an unsaved scheme)
    rows = rows[rows["employee_id"].astype(str).isin(list(employee_ids))]
    if departments is not None:
        rows = rows[rows["department"].isin(list(departments))]
    rows = select(rows, (), teams, roles).sort_values(["period", "employee_id"])
    return rows.reindex(columns=["period", *ROW_COLUMNS]).reset_index(drop=True)


def people_months(
    scheme: Scheme,
    shown_ids: list[str] | tuple[str, ...],
    period: str,
    departments: tuple[str, ...] = (),
    teams: tuple[str, ...] = (),
    roles: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Every stored month of some people (the ids as this user sees them in `period`'s table:
    pseudonyms for a viewer), within the chosen filters and what the user may see, oldest
    month first: period, employee_id, name, department, team, role, total, grade, grade_en,
    rank, dept_rank, bonus, missing_count."""
    who = access()
    ids = tuple(str(i) for i in shown_ids)
    if not who.sees_names and not who.is_employee:
        # A viewer sees keyed pseudonyms: find whose they are among the period's people.
        everyone = _scored(
            str(current_store().path), store_version(), scheme_key(scheme), period, True, scheme
        )[0]["employee_id"].astype(str)
        ids = tuple(everyone[pseudonyms(everyone).isin(ids)].tolist())
    elif who.is_employee:
        ids = tuple(i for i in ids if i == who.employee_id)
    found = _people_months(
        str(current_store().path),
        store_version(),
        scheme_key(scheme),
        tuple(sorted(ids)),
        departments_seen(departments, who),
        tuple(teams),
        tuple(roles),
        scheme,
    )
    return scoped(found, who)


def open_sessions() -> pd.DataFrame:
    """The sign-in sessions open in every dashboard process over a PostgreSQL store (signed
    in, not signed out, idle for less than the timeout)."""
    return current_store().sign_in_sessions(accounts().session_minutes * 60)


def report_flags(
    scheme: Scheme, months: tuple[str, ...], who: Access
) -> tuple[pd.DataFrame | None, str]:
    """The rules' flags raised in the months, as `who` may see them, from the rules report the
    rules page keeps (judged at the last month with data, as that page does); None and why
    when the rules file cannot be read. Reads no session state: a download's content is made
    outside the page's run."""
    db_file = str(paths.db_path())
    held = [m for m in months if m in set(_periods(db_file, store_version())["month"])]
    as_of = (held or list(months))[-1]
    try:
        report, _ = _rules_report(
            db_file, store_version(), scheme_key(scheme), rules_key(scheme), as_of, scheme
        )
    except RulesError as exc:
        return None, str(exc)
    return period_flags(scoped_report(report, who).events, months), ""


@st.cache_data(show_spinner=False, max_entries=8)
def _trend_rows(
    db_file: str,
    version: int,
    under: tuple,
    last: str,
    departments: tuple[str, ...] | None,
    teams: tuple[str, ...],
    roles: tuple[str, ...],
    _scheme: Scheme,
) -> pd.DataFrame:
    return trend_rows(store(db_file), _scheme, last, departments, teams, roles)


def report_trend_rows(
    scheme: Scheme,
    last: str,
    who: Access,
    departments: tuple[str, ...] = (),
    teams: tuple[str, ...] = (),
    roles: tuple[str, ...] = (),
) -> pd.DataFrame:
    """The rows the report pack's trend is drawn from (period, total): the months up to `last`
    of the chosen departments, teams and roles that `who` may see, from the database. Reads no
    session state (see report_flags)."""
    if who.is_employee:  # their own rows only
        rows = scoped(
            _monthly(str(paths.db_path()), store_version(), scheme_key(scheme), scheme), who
        )
        return select(rows, departments, teams, roles)[["period", "total"]]
    return _trend_rows(
        str(paths.db_path()),
        store_version(),
        scheme_key(scheme),
        last,
        departments_seen(departments, who),
        tuple(teams),
        tuple(roles),
        scheme,
    )


# ------------------------------------------------------------- insights across months, own months
# The insights page's statistics across every month (control charts, gaming pairs) read only the
# columns they use of the kept rows and are kept per filter; 我的绩效 reads one person's rows.
# Neither loads every month's full rows into pandas (issue 19).

HISTORY_PEOPLE = ("period", "employee_id", "name", "department", "team", "role", "total")


def history_columns(scheme: Scheme) -> tuple[str, ...]:
    """The columns the statistics across months read: who, the total, each KPI and its cases."""
    return (*HISTORY_PEOPLE, *scheme.kpi_ids, *(f"cases_{k}" for k in scheme.kpi_ids))


@st.cache_resource(show_spinner=False, max_entries=2)
def _history(db_file: str, version: int, under: tuple, _scheme: Scheme) -> pd.DataFrame:
    """Every stored month's rows, history_columns only, for everyone: never scope inside."""
    columns = history_columns(_scheme)
    keys = _kept_keys(db_file, version, under, _scheme)
    if keys is None:  # nothing kept (an unsaved scheme)
        rows = _monthly(db_file, version, under, _scheme)
        return rows[[c for c in columns if c in rows]]
    return store(db_file).kept_tables(_scheme.id, keys, list(columns))


def _history_within(
    db_file: str,
    version: int,
    under: tuple,
    filters: tuple[tuple[str, ...] | None, tuple[str, ...], tuple[str, ...]],
    scheme: Scheme,
) -> pd.DataFrame:
    """The rows of _history in the departments (None: all), teams and roles (empty: all)."""
    return _within(_history(db_file, version, under, scheme), filters)


def _within(
    rows: pd.DataFrame, filters: tuple[tuple[str, ...] | None, tuple[str, ...], tuple[str, ...]]
) -> pd.DataFrame:
    """The rows in the departments (None: all), teams and roles (empty: all)."""
    departments, teams, roles = filters
    if departments is not None:
        rows = rows[rows["department"].isin(list(departments))]
    return select(rows, (), teams, roles)


def _filters(departments, teams, roles, who: Access) -> tuple:
    return departments_seen(departments, who), tuple(teams), tuple(roles)


@st.cache_data(show_spinner=False, max_entries=32)
def _control_charts(
    db_file: str, version: int, under: tuple, filters: tuple, _scheme: Scheme
) -> pd.DataFrame:
    departments, teams, roles = filters
    keys = _kept_keys(db_file, version, under, _scheme)
    if keys is None or teams or roles:  # sums are per department: teams and roles need rows
        rows = _history_within(db_file, version, under, filters, _scheme)
        return control_chart(department_series(rows, _scheme))
    return control_chart(series_from_sums(_series_sums(db_file, keys, departments, _scheme)))


def _series_sums(
    db_file: str, keys: list, departments: tuple[str, ...] | None, scheme: Scheme
) -> pd.DataFrame:
    """The control-chart sums of every kept month in the departments (None: all) kept in the
    store; those of months without any yet are made from their rows' few columns and kept."""
    target = store(db_file)
    sources = target.kept_sources(scheme.id, keys)
    sums, missing = target.series_sums(scheme.id, keys, sources, departments)
    if not missing:
        return sums
    series = ["total", *scheme.kpi_ids]
    columns = ["period", "department", *series, *(f"cases_{k}" for k in series)]
    rows = target.kept_tables(scheme.id, missing, columns)
    made = month_sums(rows, scheme)
    with contextlib.suppress(StoreError):  # a read-only store: made again next time
        target.keep_series_sums(
            scheme.id,
            {
                (period, key): (sources[period], made[made["period"].eq(period)])
                for period, key in missing
                if period in sources
            },
        )
    if departments is not None:
        made = made[made["department"].isin(list(departments))]
    return pd.concat([sums, made], ignore_index=True)


def control_charts(
    scheme: Scheme,
    departments: tuple[str, ...] = (),
    teams: tuple[str, ...] = (),
    roles: tuple[str, ...] = (),
) -> pd.DataFrame:
    """The control charts of every department and KPI (and the total) over every stored month,
    within the filters and the departments this user may see: each point with its limits and
    Western Electric rules (engine.insights.control.control_chart of department_series)."""
    who = access()
    found = _control_charts(
        str(current_store().path),
        store_version(),
        scheme_key(scheme),
        _filters(departments, teams, roles, who),
        scheme,
    )
    return scoped(found, who)


@st.cache_data(show_spinner=False, max_entries=32)
def _suspects(
    db_file: str,
    version: int,
    under: tuple,
    filters: tuple,
    pair: tuple[str, str, str, str],
    months: tuple[str, ...],
    _scheme: Scheme,
) -> pd.DataFrame:
    keys = _kept_keys(db_file, version, under, _scheme)
    if keys is None:  # nothing kept (an unsaved scheme)
        rows = _history_within(db_file, version, under, filters, _scheme)
        return gaming_suspects(rows, GamingPair(*pair), list(months))
    rows = _pair_rows(db_file, version, under, filters, (pair[0], pair[2]), _scheme)
    if pair[0] not in rows or pair[2] not in rows:
        return gaming_suspects(rows, GamingPair(*pair), list(months))
    found = suspect_moves(rows, GamingPair(*pair), list(months))
    # who they are from their own kept rows in columns, within the same filters
    people = store(db_file).kept_rows(_scheme.id, keys, tuple(found.index), *filters)
    texts = [c for c in PERSON_COLUMNS if c in people]
    return with_people(found, people.astype({c: "str" for c in ["period", *texts]}))


@st.cache_resource(show_spinner=False, max_entries=4)
def _pair_rows(
    db_file: str,
    version: int,
    under: tuple,
    filters: tuple,
    kpis: tuple[str, str],
    _scheme: Scheme,
) -> pd.DataFrame:
    """Every kept month's period, employee id and a gaming pair's two KPIs, of the rows within
    the filters (departments None: all; teams, roles empty: all), for everyone: the columns
    the pair's statistics read, not every column the others do. Never scope inside."""
    departments, teams, roles = filters
    keys = _kept_keys(db_file, version, under, _scheme)
    if keys is None:  # nothing kept (an unsaved scheme)
        return _history_within(db_file, version, under, filters, _scheme)
    chosen = {"department": departments is not None, "team": bool(teams), "role": bool(roles)}
    columns = ["period", "employee_id", *kpis, *(c for c, used in chosen.items() if used)]
    return _within(store(db_file).kept_tables(_scheme.id, keys, columns), filters)


def suspects(
    scheme: Scheme,
    pair: GamingPair,
    months: list[str],
    departments: tuple[str, ...] = (),
    teams: tuple[str, ...] = (),
    roles: tuple[str, ...] = (),
) -> pd.DataFrame:
    """The people whose gaming pair moved the suspicious way in the months against their own
    earlier months (engine.insights.gaming.gaming_suspects), as this user may see them."""
    who = access()
    found = _suspects(
        str(current_store().path),
        store_version(),
        scheme_key(scheme),
        _filters(departments, teams, roles, who),
        (pair.first, pair.first_moves, pair.second, pair.second_moves),
        tuple(months),
        scheme,
    )
    return scoped(found, who)


@st.cache_data(show_spinner=False, max_entries=64)
def _pair_months(
    db_file: str,
    version: int,
    under: tuple,
    filters: tuple,
    pair: tuple[str, str, str, str],
    employee_id: str,
    _scheme: Scheme,
) -> pd.DataFrame:
    rows = _pair_rows(db_file, version, under, filters, (pair[0], pair[2]), _scheme)
    return pair_series(rows, GamingPair(*pair), employee_id)


def pair_months(
    scheme: Scheme,
    pair: GamingPair,
    employee_id: str,
    departments: tuple[str, ...] = (),
    teams: tuple[str, ...] = (),
    roles: tuple[str, ...] = (),
) -> pd.DataFrame:
    """One person's two KPIs of a gaming pair month by month, within the filters and what this
    user may see (engine.insights.gaming.pair_series)."""
    who = access()
    if who.is_employee and str(employee_id) != who.employee_id:
        return pd.DataFrame(columns=["period", pair.first, pair.second])
    return _pair_months(
        str(current_store().path),
        store_version(),
        scheme_key(scheme),
        _filters(departments, teams, roles, who),
        (pair.first, pair.first_moves, pair.second, pair.second_moves),
        str(employee_id),
        scheme,
    )


@st.cache_data(show_spinner=False, max_entries=64)
def _own_months(
    db_file: str,
    version: int,
    under: tuple,
    employee_id: str,
    months: tuple[str, ...],
    _scheme: Scheme,
) -> pd.DataFrame:
    """One person's rows in columns of some months (totals, grades, ranks, money)."""
    keys = _kept_keys(db_file, version, under, _scheme)
    if keys is None:  # nothing kept (an unsaved scheme)
        rows = _own_rows(db_file, version, under, employee_id, months, _scheme)
        rows = rows.sort_values("period").reindex(columns=["period", *ROW_COLUMNS])
    else:
        wanted = [key for key in keys if key[0] in months]
        rows = store(db_file).kept_rows(_scheme.id, wanted, (employee_id,))
    ranks = {c: "Int64" for c in ("rank", "dept_rank", "team_rank")}
    return rows.astype(ranks).reset_index(drop=True)


@st.cache_data(show_spinner=False, max_entries=64)
def _own_rows(
    db_file: str,
    version: int,
    under: tuple,
    employee_id: str,
    months: tuple[str, ...],
    _scheme: Scheme,
) -> pd.DataFrame:
    """One person's full scored rows of some months (every column: their statements)."""
    keys = _kept_keys(db_file, version, under, _scheme)
    if keys is None:  # nothing kept (an unsaved scheme)
        rows = _monthly(db_file, version, under, _scheme)
        mine = rows["employee_id"].astype(str).eq(employee_id) & rows["period"].isin(months)
        return rows[mine]
    wanted = [key for key in keys if key[0] in months]
    return store(db_file).kept_tables(_scheme.id, wanted, employee_id=employee_id)
