"""Notifications: when a month is published, withdrawn or locked, or an appeal changes state,
each configured group robot (WeCom, DingTalk, Feishu) or mail list hears of its own departments,
in the background, after the action is recorded. Off when data/notify.toml is absent."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd

from engine.notify.config import (
    EVENTS,
    NOTIFY_ENV,
    NotifyConfig,
    NotifyError,
    Recipient,
    Smtp,
    load_notify,
    notify_path,
)
from engine.notify.deliver import (
    LOG,
    deliver,
    in_background,
    record_problem,
    send,
    wait_for_deliveries,
    webhook_request,
)
from engine.notify.messages import Message, appeal_messages, department_figures, month_messages
from engine.store import Store


def configured(path: str | None = None) -> bool:
    """Whether there is a notification file at all (a stat: cheap enough for every action)."""
    return notify_path(path).is_file()


def month_moved(
    store: Store | None,
    event: str,
    period: str,
    rows: Callable[[], pd.DataFrame],
    grades: Sequence[tuple[str, str]],
    by: str,
    reason: str = "",
    departments: Sequence[str] = (),
    path: str | None = None,
) -> None:
    """Tell each recipient that hears of `event` ("published", "unpublished", "locked") about
    the month, with the figures of its own departments. `rows` gives the month's scored rows
    (department, total, grade) and is called in the background, like everything here; `grades`
    names the scheme's grades best first, (Chinese, English);
    `departments` limits the news to the departments that moved (none: the whole month)."""
    if event not in EVENTS or not configured(path):
        return

    def work() -> None:
        config = _config(store, path)
        if config is None or not config.hearing(event):
            return
        table = rows()
        if departments:
            table = table[table["department"].isin(list(departments))]
        figures = department_figures(table, [zh for zh, _ in grades])
        messages = month_messages(
            config.hearing(event), event, period, figures, by, reason, config.link, dict(grades)
        )
        deliver(store, messages, config)

    _start(work, f"{event} {period}")


def appeal_changed(
    store: Store | None,
    period: str,
    department: str,
    appeal_id: str | int,
    old_state: str,
    new_state: str,
    by: str,
    path: str | None = None,
) -> None:
    """Tell the recipients whose scope holds the appeal's department that appeal `appeal_id` of
    `period` went from `old_state` to `new_state` (pending, review, rejected, upheld,
    closed, or the state's own name), by whom. Call it after the change is stored;
    it returns at once and never raises."""
    if not configured(path):
        return

    def work() -> None:
        config = _config(store, path)
        if config is None:
            return
        messages = appeal_messages(
            config.hearing("appeal"),
            period,
            department,
            str(appeal_id),
            old_state,
            new_state,
            by,
            config.link,
        )
        deliver(store, messages, config)

    _start(work, f"appeal {appeal_id}")


def _start(work: Callable[[], None], name: str) -> None:
    """Start the work in the background; not even a thread that cannot start fails the action."""
    try:
        in_background(work, name)
    except Exception:
        LOG.exception("notify: %s could not start", name)


def _config(store: Store | None, path: str | None) -> NotifyConfig | None:
    """The configuration; a file that cannot be used is written to the audit log, and nothing
    is sent."""
    try:
        return load_notify(path)
    except NotifyError as exc:
        record_problem(store, str(exc))
        return None


__all__ = [
    "EVENTS",
    "LOG",
    "NOTIFY_ENV",
    "Message",
    "NotifyConfig",
    "NotifyError",
    "Recipient",
    "Smtp",
    "appeal_changed",
    "configured",
    "load_notify",
    "month_moved",
    "notify_path",
    "send",
    "wait_for_deliveries",
    "webhook_request",
]
