"""Accounts, roles and what each role may see: accounts with argon2 password hashes, kept in a
local accounts file or, for several dashboard processes, in a PostgreSQL store."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import secrets
import threading
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import pandas as pd
import tomli_w
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from engine import paths
from engine.output.export import neutralized
from engine.scoring.periods import parse_period
from engine.store import Store

ROLES = ("admin", "hr", "manager", "viewer", "employee")
ROLE_NAMES = {
    "admin": ("管理员", "Administrator"),
    "hr": ("人力资源", "HR"),
    "manager": ("部门经理", "Department manager"),
    "viewer": ("只读(无姓名)", "Viewer (no names)"),
    "employee": ("员工", "Employee"),
}
ACCOUNTS_ENV = "ASSESS_ACCOUNTS"
DEFAULT_SESSION_MINUTES = 30
HIDDEN_NAME = "—"
PSEUDONYM_KEY_FILE = "pseudonym.key"  # beside the accounts file
# What a viewer sees instead of a hire date: years of service, in bands (whole months below).
TENURE_BANDS = {"0–1": 12, "1–3": 36, "3–5": 60, "5–10": 120, "10+": None}
# Initial passwords: no look-alike characters (0/O, 1/l/I), read out or typed from a printed
# list; 3 groups of 5 from 56 characters ≈ 87 bits.
PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PASSWORD_FILE_HEADER = (
    "用户名 username,工号 employee_id,姓名 name,部门 department,初始密码 password"
)
_HASHER = PasswordHasher()


class AccountError(ValueError):
    """An account request that cannot be done; the message says why."""


@dataclass(frozen=True)
class Access:
    """Who is looking and what they may see and do."""

    user: str
    role: str
    departments: tuple[str, ...] = ()
    employee_id: str = ""  # the one person an `employee` account is (their own results only)

    @property
    def all_departments(self) -> bool:
        return self.role in ("admin", "hr", "viewer")

    @property
    def is_employee(self) -> bool:
        """An employee's own account: their published results, nobody else's."""
        return self.role == "employee"

    @property
    def sees_names(self) -> bool:
        return self.role != "viewer"

    @property
    def may_change_data(self) -> bool:
        """Import, replace, restore and delete data; edit schemes and scenarios."""
        return self.role in ("admin", "hr")

    @property
    def may_read_audit(self) -> bool:
        return self.role in ("admin", "hr")


LOCAL_ACCESS = Access(user="local", role="admin")


def accounts_path(explicit: str | os.PathLike | None = None) -> Path:
    """The accounts file: explicit, else $ASSESS_ACCOUNTS, else data/accounts.toml."""
    chosen = explicit or os.environ.get(ACCOUNTS_ENV) or paths.DATA_DIR / "accounts.toml"
    return Path(chosen).expanduser().resolve()


@dataclass(frozen=True)
class Accounts:
    """The accounts file's content: users and the session timeout."""

    users: dict[str, dict] = field(default_factory=dict)
    session_minutes: float = DEFAULT_SESSION_MINUTES

    @property
    def sign_in_required(self) -> bool:
        return bool(self.users)


def load_accounts(file: Path | None = None) -> Accounts:
    """The accounts in the file; no file means single-user local mode (no sign-in)."""
    target = file or accounts_path()
    if not target.exists():
        return Accounts()
    data = tomllib.loads(target.read_text(encoding="utf-8"))
    settings = data.get("settings", {})
    return Accounts(
        users=dict(data.get("users", {})),
        session_minutes=float(settings.get("session_minutes", DEFAULT_SESSION_MINUTES)),
    )


def save_accounts(accounts: Accounts, file: Path | None = None) -> Path:
    """Write the accounts file (only hashes, never a password), readable by its owner only."""
    target = file or accounts_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    body = {"settings": {"session_minutes": accounts.session_minutes}, "users": accounts.users}
    temporary = target.with_suffix(".tmp")
    temporary.write_text(tomli_w.dumps(body), encoding="utf-8")
    temporary.chmod(0o600)
    temporary.replace(target)
    return target


class AccountsFile:
    """Accounts kept in the accounts file (a DuckDB store, and local mode)."""

    def __init__(self, file: Path | None = None):
        self.file = file or accounts_path()
        self.where: Path | str = self.file

    def load(self) -> Accounts:
        return load_accounts(self.file)

    def write(self, changes: dict[str, dict | None], detail: str = "") -> Path | str:
        """Add or change (a record) and remove (None) accounts; the file is written whole."""
        accounts = self.load()
        users = {**accounts.users, **{k: v for k, v in changes.items() if v is not None}}
        kept = {k: v for k, v in users.items() if changes.get(k, v) is not None}
        return save_accounts(Accounts(kept, accounts.session_minutes), self.file)


class AccountsInStore:
    """Accounts kept in a PostgreSQL store: the same in every dashboard process over it, each
    change audited there."""

    def __init__(self, store: Store):
        self.store = store
        self.where = f"store {shown_url(str(store.path))}"

    def load(self) -> Accounts:
        users, minutes = self.store.account_records()
        return Accounts(users, DEFAULT_SESSION_MINUTES if minutes is None else minutes)

    def write(self, changes: dict[str, dict | None], detail: str = "") -> Path | str:
        self.store.change_accounts(changes, detail or ", ".join(changes))
        return self.where


AccountSource = AccountsFile | AccountsInStore


def kept_in_store(db: str | os.PathLike | None = None) -> bool:
    """Whether accounts live in the store: it is a PostgreSQL database (a URL), which several
    dashboard processes share; a DuckDB store keeps the accounts file."""
    return str(paths.db_path(db)).startswith(paths.DATABASE_URL_PREFIXES)


def account_source(
    store: Store | None = None, file: str | os.PathLike | None = None
) -> AccountSource:
    """Where the accounts are kept: the store's accounts table when the store is PostgreSQL,
    else the accounts file (explicit, else $ASSESS_ACCOUNTS, else data/accounts.toml)."""
    if store is not None and store.postgres:
        return AccountsInStore(store)
    return AccountsFile(accounts_path(file))


def _source(target: Path | AccountSource | None) -> AccountSource:
    """A source as given, or the accounts file (a path, or the default one)."""
    if isinstance(target, (AccountsFile, AccountsInStore)):
        return target
    return AccountsFile(target)


def shown_url(url: str) -> str:
    """A database address without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def account_stamp(record: dict) -> str:
    """What a sign-in session was opened under (role, departments, employee id): a session
    whose account's stamp changed has ended."""
    scope = [record["role"], list(record.get("departments", [])), record.get("employee_id", "")]
    return hashlib.sha256(json.dumps(scope, ensure_ascii=False).encode()).hexdigest()[:16]


def add_user(
    username: str,
    password: str,
    role: str,
    departments: Sequence[str] = (),
    file: Path | AccountSource | None = None,
    employee_id: str = "",
    must_change: bool = False,
) -> Path | str:
    """Add an account or change an existing one's role, departments and password; an employee
    account is linked to one employee id; `must_change` makes the password a one-time one.
    Returns where it is kept."""
    record = _record(username, password, role, departments, employee_id, must_change)
    scope = f" of {', '.join(departments)}" if departments else ""
    scope += f" {employee_id}" if employee_id else ""
    return _source(file).write({username: record}, f"{username}: {role}{scope}")


def _record(
    username: str,
    password: str,
    role: str,
    departments: Sequence[str],
    employee_id: str,
    must_change: bool,
) -> dict:
    """An account as the file keeps it (the password hashed), checked first."""
    if not valid_username(username):
        raise AccountError(f"user name '{username}' must be letters, digits, '.' or '_'")
    if role not in ROLES:
        raise AccountError(f"role '{role}' is unknown; use one of {', '.join(ROLES)}")
    if role == "manager" and not departments:
        raise AccountError("a manager needs at least one department (--department 客服部)")
    if role == "employee" and not employee_id.strip():
        raise AccountError("an employee account needs its employee id (--employee E0001)")
    if role != "employee" and employee_id:
        raise AccountError("only an employee account is linked to an employee id")
    if len(password) < 8:
        raise AccountError("the password must have at least 8 characters")
    record = {
        "role": role,
        "departments": list(departments),
        "password_hash": _HASHER.hash(password),
    }
    if employee_id:
        record["employee_id"] = employee_id.strip()
    if must_change:
        record["must_change_password"] = True
    return record


def valid_username(username: str) -> bool:
    return bool(username) and username.replace("_", "").replace(".", "").isalnum()


def must_change_password(accounts: Accounts, username: str) -> bool:
    """Whether the account still has its one-time initial password."""
    return bool(accounts.users.get(username, {}).get("must_change_password", False))


def change_password(
    username: str, old: str, new: str, file: Path | AccountSource | None = None
) -> Path | str:
    """Replace the user's password after checking the old one; the one-time flag goes."""
    source = _source(file)
    accounts = source.load()
    if verify(accounts, username, old) is None:
        raise AccountError("the current password is wrong")
    if new == old:
        raise AccountError("the new password must differ from the current one")
    if len(new) < 8:
        raise AccountError("the password must have at least 8 characters")
    record = dict(accounts.users[username])
    record["password_hash"] = _HASHER.hash(new)
    record.pop("must_change_password", None)
    return source.write({username: record}, f"{username}: password changed")


def initial_password() -> str:
    """A random one-time password such as 'k7PqX-m4TzR-9wHcE'."""
    groups = ("".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(5)) for _ in range(3))
    return "-".join(groups)


def import_roster(
    people: pd.DataFrame, passwords: Path, file: Path | AccountSource | None = None
) -> pd.DataFrame:
    """Employee accounts for the people (employee_id, name, department) who have none yet: the
    user name is the employee id, the password a one-time random one, written to `passwords`
    for HR before the accounts are saved (no account is made whose password nobody holds).
    Returns those created (username, employee_id, name, department, password) and, in
    attrs["skipped"], ids that cannot be user names; other accounts are left as they are."""
    source = _source(file)
    accounts = source.load()
    linked = {r.get("employee_id") for r in accounts.users.values() if r.get("employee_id")}
    ids = people["employee_id"].astype(str).str.strip()
    wanted = people.assign(employee_id=ids).drop_duplicates("employee_id")
    missing = wanted[~wanted["employee_id"].isin(set(accounts.users) | linked)]
    usable = missing["employee_id"].map(valid_username).astype(bool)
    fresh = missing[usable]
    secret = pd.Series([initial_password() for _ in range(len(fresh))], fresh.index, dtype=object)
    created = fresh.assign(username=fresh["employee_id"], password=secret)
    columns = ["username", "employee_id", "name", "department", "password"]
    out = created.reindex(columns=columns).reset_index(drop=True)
    out.attrs["skipped"] = missing.loc[~usable, "employee_id"].tolist()
    if out.empty:
        return out
    # One argon2 hash per new account (about 0.2 s each, by design): there is no columnar hash.
    users = {
        username: _record(username, password, "employee", (), username, True)
        for username, password in zip(out["username"], out["password"], strict=True)
    }
    write_initial_passwords(out, passwords)
    source.write(users, f"{len(users)} employee account(s) with one-time passwords")
    return out


def write_initial_passwords(created: pd.DataFrame, target: Path) -> Path:
    """The one-time passwords for HR to hand out, as a CSV Excel opens (UTF-8 with BOM),
    readable by its owner only and never written over (an earlier list may not be handed out
    yet)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        handle = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise AccountError(f"{target} exists already: choose another file (--out)") from exc
    columns = ["username", "employee_id", "name", "department", "password"]
    # Names come from imported files: a name such as =HYPERLINK(…) must stay text in Excel.
    shown = neutralized(created[columns].fillna(""))
    body = shown.to_csv(index=False, header=False, lineterminator="\r\n")
    with os.fdopen(handle, "w", encoding="utf-8-sig", newline="") as out:
        out.write(PASSWORD_FILE_HEADER + "\r\n" + body)
    return target


def remove_user(username: str, file: Path | AccountSource | None = None) -> Path | str:
    """Remove an account (its open sessions end); returns where it was kept."""
    source = _source(file)
    if username not in source.load().users:
        raise AccountError(f"there is no user '{username}'")
    return source.write({username: None}, f"{username}: removed")


def verify(accounts: Accounts, username: str, password: str) -> Access | None:
    """The user's access if the password is right, else None."""
    record = accounts.users.get(username)
    if record is None:
        _HASHER.hash(password)  # spend the same time as a real check: no user enumeration
        return None
    try:
        _HASHER.verify(record["password_hash"], password)
    except (VerificationError, InvalidHashError):
        return None
    return _access(username, record)


def _access(username: str, record: dict) -> Access:
    departments = tuple(record.get("departments", ()))
    return Access(username, record["role"], departments, str(record.get("employee_id", "")))


def still_valid(accounts: Accounts, access: Access) -> bool:
    """Whether a signed-in user is still in the accounts file with the same role and departments
    (a removed or changed account ends its open sessions)."""
    record = accounts.users.get(access.user)
    return record is not None and _access(access.user, record) == access


class Throttle:
    """Slows down guessing: after each wrong password the wait before the next try doubles."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, cap_seconds: float = 60.0):
        self.clock = clock
        self.cap = cap_seconds
        self.failures: dict[str, tuple[int, float]] = {}
        # Browser sessions run in threads of one process: the check of the wait and the count of
        # the try must be one step, or tries sent at once all pass the check before any counts.
        self._lock = threading.Lock()

    def wait_seconds(self, username: str) -> float:
        """How long this user name must wait before the next try (0 = may try now)."""
        with self._lock:
            return self._wait(username)

    def _wait(self, username: str) -> float:
        count, last = self.failures.get(username, (0, 0.0))
        if count == 0:
            return 0.0
        delay = min(2.0 ** (count - 1), self.cap)
        return max(0.0, last + delay - self.clock())

    def attempt(self, username: str) -> float:
        """Claim a try for this user name: 0 = check the password now (the try counts as a
        failure until `succeeded`), else the seconds to wait, and nothing is checked."""
        with self._lock:
            wait = self._wait(username)
            if wait == 0:
                self._count_failure(username)
            return wait

    def failed(self, username: str) -> None:
        with self._lock:
            self._count_failure(username)

    def _count_failure(self, username: str) -> None:
        count, _ = self.failures.get(username, (0, 0.0))
        self.failures[username] = (count + 1, self.clock())

    def succeeded(self, username: str) -> None:
        with self._lock:
            self.failures.pop(username, None)


def scoped(table: pd.DataFrame, access: Access) -> pd.DataFrame:
    """Only the rows and columns this user may see: a manager's departments; an employee's own
    rows (a table without employee ids shows an employee nothing); for a viewer no names (nor
    raters' names), keyed pseudonyms for ids and tenure bands instead of hire dates.

    Ranks are left as computed over everyone, so a manager sees company ranks.
    """
    out = table
    if access.is_employee:
        if "employee_id" not in out:
            return out.iloc[0:0]
        return out[out["employee_id"].astype(str).eq(access.employee_id)]
    if not access.all_departments and "department" in out:
        out = out[out["department"].isin(list(access.departments))]
    if not access.sees_names:
        if "name" in out:
            out = out.assign(name=HIDDEN_NAME)
        if "employee_id" in out:
            out = out.assign(employee_id=pseudonyms(out["employee_id"]))
        if "hire_date" in out:
            bands = tenure_bands(out["hire_date"], out.get("period"))
            out = out.assign(hire_date=bands).rename(columns={"hire_date": "tenure"})
        raters = [c for c in out.columns if str(c).startswith("rater_")]  # who rated: names
        if raters:
            out = out.drop(columns=raters)
    return out


def _new_pseudonym_key() -> str:
    return secrets.token_urlsafe(12)  # 16 characters, 96 random bits


@functools.cache
def _store_pseudonym_key(url: str) -> str:
    return Store(url).shared_secret("pseudonym_key", _new_pseudonym_key)


def pseudonym_key(file: Path | None = None) -> str:
    """The secret that keys viewers' pseudonyms, made on first use: in a PostgreSQL store, so
    every dashboard process on every machine gives a person the same pseudonym; else beside the
    accounts file, readable by its owner only. Without it nobody can hash every id and match."""
    if file is None and kept_in_store():
        return _store_pseudonym_key(str(paths.db_path()))
    target = file or accounts_path().with_name(PSEUDONYM_KEY_FILE)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            handle = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            pass
        else:
            with os.fdopen(handle, "w", encoding="ascii") as out:
                out.write(_new_pseudonym_key())
    key = target.read_text(encoding="ascii").strip()
    if len(key) != 16:
        raise AccountError(f"{target} is not a pseudonym secret: delete it to make a new one")
    return key


def pseudonyms(ids: pd.Series) -> pd.Series:
    """A stable stand-in for each employee id, so a person's rows still line up, unnamed: a
    keyed hash (SipHash under the secret), which cannot be turned back into the id."""
    hashed = pd.util.hash_pandas_object(ids.astype(str), index=False, hash_key=pseudonym_key())
    return "#" + (hashed % 10**10).astype(str).str.zfill(10).set_axis(ids.index)


def tenure_bands(hired: pd.Series, periods: pd.Series | None = None) -> pd.Series:
    """Years of service as a band ('1–3'), counted in whole months from the hire month to each
    row's period's last month (today's month without a period); a date alone could single a
    person out."""
    dates = pd.to_datetime(hired, errors="coerce")
    if periods is None:
        last = pd.Series(pd.Timestamp.today().strftime("%Y-%m"), index=hired.index)
    else:
        labels = periods.astype(str)
        ends = {label: parse_period(label).months[-1] for label in labels.unique()}
        last = labels.map(ends)
    months = (
        last.str.slice(0, 4).astype(int) * 12
        + last.str.slice(5, 7).astype(int)
        - (dates.dt.year * 12 + dates.dt.month)
    )
    edges = [-np.inf, *[upper for upper in TENURE_BANDS.values() if upper], np.inf]
    return pd.cut(months, edges, right=False, labels=list(TENURE_BANDS))
