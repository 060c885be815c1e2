"""What every page starts with: the view from the sidebar, or a clear message when there is none."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import numpy as np
import pandas as pd
import streamlit as st
from plotly.colors import sample_colorscale

from engine.cycle.config import STATE_NAMES
from engine.output.export import csv_bytes, xlsx_bytes
from engine.schemes.scheme import Scheme
from engine.store import StoreBusy, StoreError
from ui import auth, data, sidebar
from ui.i18n import labelled, language, plain, tr
from ui.sidebar import View

# Downloads that failed while being made, by button key, shown at the button on the next run.
FAILED_DOWNLOADS_KEY = "failed_downloads"
STATE_COLORS = {
    "open": "gray",
    "submitted": "blue",
    "calibrated": "violet",
    "approved": "orange",
    "published": "red",
    "locked": "green",
}
# Best grade green, through amber (not pale yellow, which vanishes on white), to the worst in red.
GRADE_SCALE = [
    [0, "#d73027"],
    [0.25, "#fb8c00"],
    [0.5, "#f2c618"],
    [0.75, "#91cf60"],
    [1, "#1a9850"],
]


def grade_colors(count: int) -> list[str]:
    """One colour per grade, best first, on the same scale in every chart."""
    return sample_colorscale(GRADE_SCALE, np.linspace(1, 0, count))


def require_view() -> tuple[View, Scheme, pd.DataFrame]:
    """The sidebar's view, its scheme and the filtered table; stops with a message if empty."""
    view = sidebar.current()
    if view is None:
        st.info(tr("还没有数据:请先导入月度考核表。", "No data yet: import a monthly file first."))
        st.stop()
    month_badges(view.period)
    partial = sidebar.partial_note(view.period, data.periods()["month"])
    if partial:
        st.warning(partial, icon="⚠️")
    scheme = view.scheme
    stop_if_unfit(view.period, scheme)
    table = view.rows(data.scored(view.period, scheme))
    if table.empty:
        st.warning(tr("所选筛选条件下没有人员。", "No one matches the chosen filters."))
        st.stop()
    return view, scheme, table


def stop_if_unfit(period: str, scheme: Scheme) -> None:
    """Stop with a message when the scheme finds fewer than half of its KPIs in the period's
    data (not imported under it): its scores would be graded on the few KPIs it shares."""
    fit = data.scheme_fit(period, scheme)
    if fit.refused:
        st.error(fit.message(language()))
        st.stop()


def month_badges(period: str) -> None:
    """Where the months of the period shown stand (进行中 … 已锁定), one badge per month."""
    badges = [
        f":{STATE_COLORS[state]}-badge[{month} · {tr(*STATE_NAMES[state])}]"
        for month, state in data.month_states(period)
    ]
    if badges:
        st.markdown(" ".join(badges))


def export_stamp(user: str, language: str) -> str:
    """Who exports and when, for the footer of every download."""
    now = datetime.now().strftime("%Y-%m-%d %H:%M")
    return f"导出人 {user} · {now}" if language == "zh" else f"Exported by {user} · {now}"


def deferred(build, table: pd.DataFrame, name: str, key: str = "") -> Callable[[], bytes]:
    """The file's content, made only when the user clicks download (large tables take seconds
    to write), stamped with who and when, and written to the audit log. It is made outside the
    page's run, where nothing can be drawn: a failure (the store busy with an import, say) is
    kept for the button to explain on the next run, and raised so the browser shows at once
    that the download failed."""
    store, user, lang = data.current_store(), data.access().user, language()
    kind = "csv" if build is csv_bytes else "xlsx"
    signed_in = auth.still_signed_in()
    failures: dict[str, str] = st.session_state.setdefault(FAILED_DOWNLOADS_KEY, {})

    def content() -> bytes:
        # Made when clicked, possibly long after the page was drawn: the session may have
        # timed out or the account been removed since.
        if not signed_in():
            store.audit("export_refused", f"{name}.{kind}: session expired or account changed")
            raise PermissionError(
                "登录已过期或账户已更改,请重新登录后再下载。"
                " · The session has expired or the account changed: sign in again to download."
            )
        try:
            store.audit("export", f"{name}.{kind}, {len(table)} rows")
            return build(table, stamp=export_stamp(user, lang))
        except Exception as exc:
            failures[key or name] = _failure_text(exc, f"{name}.{kind}", lang)
            raise

    return content


def _failure_text(exc: Exception, file: str, lang: str) -> str:
    """Why a download did not happen and what to do, in the reader's language."""
    file, reason = plain(file), plain(exc)
    if isinstance(exc, StoreBusy):
        zh = f"{file} 未能下载:数据库正忙(可能正在导入数据)。请稍后再点一次下载。"
        en = f"{file} was not downloaded: the store is busy (an import may be running). "
        en += "Click the download again in a moment."
    elif isinstance(exc, StoreError):
        zh = f"{file} 未能下载:{reason} 请再试一次。"
        en = f"{file} was not downloaded: {reason} Try again."
    else:
        zh = f"{file} 未能生成:{type(exc).__name__}: {reason}。请再试一次。"
        en = f"{file} could not be made: {type(exc).__name__}: {reason}. Try again."
    return zh if lang == "zh" else en


def downloads(table: pd.DataFrame, name: str, scheme: Scheme | None = None, key: str = "") -> None:
    """CSV (UTF-8 with BOM) and XLSX downloads of a table, headers in the user's language, with
    a footer naming who exported it and when; each download is written to the audit log."""
    shown = labelled(table, scheme)
    failed = st.session_state.get(FAILED_DOWNLOADS_KEY, {}).pop(key or name, None)
    if failed:
        st.error(failed, icon="⚠️")
    left, right = st.columns(2)
    left.download_button(
        tr("下载 CSV", "Download CSV"),
        deferred(csv_bytes, shown, name, key),
        f"{name}.csv",
        "text/csv",
        key=f"csv_{key or name}",
        width="stretch",
        on_click="ignore",
    )
    right.download_button(
        tr("下载 Excel", "Download Excel"),
        deferred(xlsx_bytes, shown, name, key),
        f"{name}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"xlsx_{key or name}",
        width="stretch",
        on_click="ignore",
    )
