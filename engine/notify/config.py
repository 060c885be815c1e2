"""The notification configuration (data/notify.toml, or the file $ASSESS_NOTIFY names): who
hears of which events, over which channel, about which departments. No file: no messages."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from engine import paths

NOTIFY_ENV = "ASSESS_NOTIFY"
NOTIFY_FILE = paths.DATA_DIR / "notify.toml"
# What can be told: a month published, its publication withdrawn, a month locked, an appeal
# that changed state.
EVENTS = ("published", "unpublished", "locked", "appeal")
WEBHOOKS = ("wecom", "dingtalk", "feishu")
CHANNELS = (*WEBHOOKS, "email")
LANGUAGES = ("zh", "en", "both")
SECURITY = ("ssl", "starttls", "none")
# Bounds that keep a wrong setting from holding a thread (and a command's exit) for long.
MOST_RETRIES = 10
LONGEST_WAIT = 60.0


class NotifyError(ValueError):
    """The notification file cannot be used; the message lists every problem."""


@dataclass(frozen=True)
class Recipient:
    """A group robot or a mail list, and the departments it hears of (none: the company)."""

    name: str
    channel: str
    departments: tuple[str, ...] = ()
    events: tuple[str, ...] = EVENTS
    url: str = field(default="", repr=False)  # webhook addresses hold the robot's key
    secret: str = field(default="", repr=False)
    to: tuple[str, ...] = ()
    language: str = "zh"

    @property
    def company(self) -> bool:
        return not self.departments

    def covers(self, department: str) -> bool:
        """Whether this recipient may hear of a department."""
        return self.company or department in self.departments


@dataclass(frozen=True)
class Smtp:
    """The mail server e-mail recipients are sent through."""

    host: str
    port: int
    sender: str
    security: str = "starttls"
    username: str = ""
    password: str = field(default="", repr=False)


@dataclass(frozen=True)
class NotifyConfig:
    recipients: tuple[Recipient, ...]
    smtp: Smtp | None = None
    retries: int = 3
    backoff_seconds: float = 2.0
    timeout_seconds: float = 10.0
    link: str = ""  # the dashboard's address, named at the end of each message

    def hearing(self, event: str) -> tuple[Recipient, ...]:
        """The recipients that want to hear of an event."""
        return tuple(r for r in self.recipients if event in r.events)


def notify_path(explicit: str | os.PathLike | None = None) -> Path:
    """The file: explicit, else $ASSESS_NOTIFY, else data/notify.toml."""
    return Path(explicit or os.environ.get(NOTIFY_ENV) or NOTIFY_FILE).expanduser().resolve()


def load_notify(path: str | os.PathLike | None = None) -> NotifyConfig | None:
    """The configuration, or None when there is no file (notifications off); raises NotifyError
    listing every problem."""
    file = notify_path(path)
    if not file.is_file():
        return None
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8-sig"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise NotifyError(f"{file.name}: cannot be read ({exc})") from exc
    problems: list[str] = []
    delivery = data.get("delivery", {})
    config = NotifyConfig(
        recipients=tuple(
            _recipient(i, body, problems)
            for i, body in enumerate(data.get("recipients", []), start=1)
        ),
        smtp=_smtp(data["smtp"], problems) if "smtp" in data else None,
        retries=int(_bounded(delivery, "retries", 3, MOST_RETRIES, problems)),
        backoff_seconds=_bounded(delivery, "backoff_seconds", 2.0, LONGEST_WAIT, problems),
        timeout_seconds=_bounded(delivery, "timeout_seconds", 10.0, LONGEST_WAIT, problems),
        link=str(delivery.get("link", "")),
    )
    if any(r.channel == "email" for r in config.recipients) and config.smtp is None:
        problems.append("e-mail recipients need an [smtp] section")
    if problems:
        raise NotifyError(f"{file.name}: " + "; ".join(problems))
    return config


def _secret(body: dict, key: str, where: str, problems: list[str]) -> str:
    """A value written in the file, or read from the environment variable `key_env` names (so
    webhook keys and passwords need not be written in the file)."""
    variable = body.get(f"{key}_env")
    if variable is None:
        return str(body.get(key, ""))
    found = os.environ.get(str(variable), "")
    if not found:
        problems.append(f"{where}: the environment variable {variable} ({key}_env) is not set")
    return found


def _recipient(number: int, body: dict, problems: list[str]) -> Recipient:
    where = f"recipient {number} ({body.get('name', '?')})"
    channel = str(body.get("channel", ""))
    if channel not in CHANNELS:
        problems.append(f"{where}: channel must be one of {', '.join(CHANNELS)}, not '{channel}'")
    scope, departments = body.get("scope"), body.get("departments")
    if (scope == "company") == (departments is not None) or scope not in (None, "company"):
        problems.append(f'{where}: give either scope = "company" or departments = [...]')
    elif departments is not None and not (
        isinstance(departments, list)
        and departments
        and all(isinstance(d, str) for d in departments)
    ):
        problems.append(f"{where}: departments must be a list of department names")
    events = body.get("events", list(EVENTS))
    unknown = [e for e in events if e not in EVENTS]
    if unknown:
        problems.append(f"{where}: unknown events {unknown} (known: {', '.join(EVENTS)})")
    url = _secret(body, "url", where, problems)
    if channel in WEBHOOKS and not url.startswith(("https://", "http://")):
        problems.append(f"{where}: a {channel} robot needs its webhook address (url)")
    to = body.get("to", [])
    to = [to] if isinstance(to, str) else to
    if channel == "email" and not to:
        problems.append(f"{where}: e-mail needs addresses (to)")
    language = str(body.get("language", "zh"))
    if language not in LANGUAGES:
        problems.append(f"{where}: language must be one of {', '.join(LANGUAGES)}")
    return Recipient(
        name=str(body.get("name", f"{channel} {number}")),
        channel=channel,
        departments=tuple(departments) if isinstance(departments, list) else (),
        events=tuple(events),
        url=url,
        secret=_secret(body, "secret", where, problems),
        to=tuple(str(t) for t in to),
        language=language,
    )


def _smtp(body: dict, problems: list[str]) -> Smtp:
    security = str(body.get("security", "starttls"))
    if security not in SECURITY:
        problems.append(f"smtp: security must be one of {', '.join(SECURITY)}")
    if not body.get("host") or not body.get("sender"):
        problems.append("smtp: host and sender are required")
    default_port = {"ssl": 465, "starttls": 587}.get(security, 25)
    return Smtp(
        host=str(body.get("host", "")),
        port=int(body.get("port", default_port)),
        sender=str(body.get("sender", "")),
        security=security,
        username=str(body.get("username", "")),
        password=_secret(body, "password", "smtp", problems),
    )


def _bounded(body: dict, key: str, default: float, most: float, problems: list[str]) -> float:
    value = body.get(key, default)
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= most:
        problems.append(f"delivery: {key} must be a number from 0 to {most:g}")
        return default
    return float(value)
