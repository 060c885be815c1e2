"""Accounts, roles and what each role may see: a local accounts file with argon2 password hashes."""

from __future__ import annotations

import os
import secrets
import threading
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import tomli_w
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from engine import paths
from engine.scoring.periods import parse_period

ROLES = ("admin", "hr", "manager", "viewer")
ROLE_NAMES = {
    "admin": ("管理员", "Administrator"),
    "hr": ("人力资源", "HR"),
    "manager": ("部门经理", "Department manager"),
    "viewer": ("只读(无姓名)", "Viewer (no names)"),
}
ACCOUNTS_ENV = "ASSESS_ACCOUNTS"
DEFAULT_SESSION_MINUTES = 30
HIDDEN_NAME = "—"
PSEUDONYM_KEY_FILE = "pseudonym.key"  # beside the accounts file
# What a viewer sees instead of a hire date: years of service, in bands (whole months below).
TENURE_BANDS = {"0–1": 12, "1–3": 36, "3–5": 60, "5–10": 120, "10+": None}
_HASHER = PasswordHasher()


class AccountError(ValueError):
    """An account request that cannot be done; the message says why."""


@dataclass(frozen=True)
class Access:
    """Who is looking and what they may see and do."""

    user: str
    role: str
    departments: tuple[str, ...] = ()

    @property
    def all_departments(self) -> bool:
        return self.role in ("admin", "hr", "viewer")

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


def add_user(
    username: str,
    password: str,
    role: str,
    departments: Sequence[str] = (),
    file: Path | None = None,
) -> Path:
    """Add an account or change an existing one's role, departments and password."""
    if not username or not username.replace("_", "").replace(".", "").isalnum():
        raise AccountError(f"user name '{username}' must be letters, digits, '.' or '_'")
    if role not in ROLES:
        raise AccountError(f"role '{role}' is unknown; use one of {', '.join(ROLES)}")
    if role == "manager" and not departments:
        raise AccountError("a manager needs at least one department (--department 客服部)")
    if len(password) < 8:
        raise AccountError("the password must have at least 8 characters")
    accounts = load_accounts(file)
    users = dict(accounts.users)
    users[username] = {
        "role": role,
        "departments": list(departments),
        "password_hash": _HASHER.hash(password),
    }
    return save_accounts(Accounts(users, accounts.session_minutes), file)


def remove_user(username: str, file: Path | None = None) -> Path:
    accounts = load_accounts(file)
    if username not in accounts.users:
        raise AccountError(f"there is no user '{username}'")
    users = {k: v for k, v in accounts.users.items() if k != username}
    return save_accounts(Accounts(users, accounts.session_minutes), file)


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
    return Access(username, record["role"], tuple(record.get("departments", ())))


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
    """Only the rows and columns this user may see: a manager's departments; for a viewer no
    names (nor raters' names), keyed pseudonyms for ids and tenure bands instead of hire dates.

    Ranks are left as computed over everyone, so a manager sees company ranks.
    """
    out = table
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


def pseudonym_key(file: Path | None = None) -> str:
    """The secret that keys viewers' pseudonyms, kept beside the accounts file and readable by
    its owner only; made on first use. Without it nobody can hash every possible id and match."""
    target = file or accounts_path().with_name(PSEUDONYM_KEY_FILE)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            handle = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            pass
        else:
            with os.fdopen(handle, "w", encoding="ascii") as out:
                out.write(secrets.token_urlsafe(12))  # 16 characters, 96 random bits
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
