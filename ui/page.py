"""What every page starts with: the view from the sidebar, or a clear message when there is none."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

import numpy as np
import pandas as pd
import streamlit as st
from plotly.colors import sample_colorscale

from engine.cycle.config import STATE_NAMES
from engine.output.export import ExportStamp, csv_bytes, xlsx_bytes
from engine.schemes.precision import DECIMALS
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


def grade_lines(scheme: Scheme, lang: str) -> tuple[list[dict], list[dict]]:
    """The dashed line at each grade's minimum (all but the lowest) and its name, as plotly
    shapes and annotations for a chart of totals."""
    cutoffs = scheme.grades[:-1]
    shapes = [
        dict(
            type="line",
            xref="paper",
            x0=0,
            x1=1,
            y0=g.min,
            y1=g.min,
            line_dash="dash",
            line_width=1,
            line_color="lightgrey",
        )
        for g in cutoffs
    ]
    names = [
        dict(
            xref="paper",
            x=0,
            y=g.min,
            text=g.name if lang == "zh" else g.name_en,
            showarrow=False,
            xanchor="left",
            yanchor="bottom",
            font_color="grey",
        )
        for g in cutoffs
    ]
    return shapes, names


def grade_colors(count: int) -> list[str]:
    """One colour per grade, best first, on the same scale in every chart."""
    return sample_colorscale(GRADE_SCALE, np.linspace(1, 0, count))


def require_view() -> tuple[View, Scheme, pd.DataFrame]:
    """The sidebar's view, its scheme and the filtered table; stops with a message if empty.
    Refuses an employee account: these pages show other people (a deep link must not open
    them either)."""
    refuse_employee()
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


def refuse_employee() -> None:
    """Stop a page that shows other people when an employee account opens it."""
    if data.access().is_employee:
        st.error(
            tr(
                "员工账户只能查看「我的绩效」和「考核标准」。",
                "An employee account may open only My results and the Scheme page.",
            )
        )
        st.stop()


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


def export_stamp(
    scheme: Scheme | None = None,
    period: str | None = None,
    scope: str | None = None,
    filters: tuple[tuple[str, str], ...] = (),
) -> ExportStamp:
    """Who exports what: the sidebar's period, scope, filters and scheme version unless the
    page names its own (a person's statement, the audit log's dates); the time is set when
    the file is made."""
    view = sidebar.current()
    scheme = scheme or (view.scheme if view else None)
    chosen = view_filters(view) if view else ()
    return ExportStamp(
        user=data.access().user,
        made_at=datetime.now(),
        period=(view.period if view else "") if period is None else period,
        scope=view_scope(view) if scope is None else scope,
        filters=(*chosen, *filters),
        scheme=f"{tr(scheme.name_zh, scheme.name_en)} v{scheme.version}" if scheme else "",
        language=language(),
    )


def view_scope(view: View | None) -> str:
    """Whose rows the sidebar lets through: the teams, else the departments chosen or the
    only ones the user may see, else the whole company."""
    if view is None:
        return ""
    access = data.access()
    allowed = () if access.all_departments else access.departments
    for chosen, unit in (
        (view.teams, ("个班组", " teams")),
        (view.departments or allowed, ("个部门", " departments")),
    ):
        if len(chosen) == 1:
            return chosen[0]
        if chosen:
            return tr(f"{chosen[0]}等{len(chosen)}{unit[0]}", f"{len(chosen)}{unit[1]}")
    return tr("全公司", "Company")


def view_filters(view: View) -> tuple[tuple[str, str], ...]:
    """The sidebar's filters as (what, chosen) lines for the stamp."""
    picked = (
        (tr("部门", "Department"), view.departments),
        (tr("班组", "Team"), view.teams),
        (tr("岗位", "Role"), view.roles),
    )
    return tuple((what, "、".join(values)) for what, values in picked if values)


def deferred(
    build, table: pd.DataFrame, name: str, key: str = "", stamp: ExportStamp | None = None
) -> Callable[[], bytes]:
    """The file's content, made only when the user clicks download (large tables take seconds
    to write), stamped with who, when and what (on the workbook's second sheet; a CSV holds
    only the table) and written to the audit log with that stamp (see deferred_file)."""
    lang = language()
    stamp = stamp or ExportStamp(user=data.access().user, made_at=datetime.now(), language=lang)
    kind = "csv" if build is csv_bytes else "xlsx"
    at_click: dict[str, ExportStamp] = {}

    def detail() -> str:
        at_click["stamp"] = replace(stamp, made_at=datetime.now())
        return f"{len(table)} rows · {at_click['stamp'].text()}"

    def make() -> bytes:
        if build is csv_bytes:
            return build(table, decimals=DECIMALS)
        return build(table, stamp=at_click["stamp"])

    return deferred_file(make, f"{name}.{kind}", detail, key or name)


def deferred_file(
    make: Callable[[], bytes], file_name: str, detail: str | Callable[[], str], key: str
) -> Callable[[], bytes]:
    """A download's content, made only when the user clicks it, and written to the audit log
    (`detail` may be worked out at the click). It is made outside the page's run, where nothing
    can be drawn (and session state cannot be read: `make` must hold what it needs): a failure
    (the store busy with an import, say) is kept for the button to explain on the next run, and
    raised so the browser shows at once that the download failed."""
    store, lang = data.current_store(), language()
    signed_in = auth.still_signed_in()
    failures: dict[str, str] = st.session_state.setdefault(FAILED_DOWNLOADS_KEY, {})

    def content() -> bytes:
        # Made when clicked, possibly long after the page was drawn: the session may have
        # timed out or the account been removed since.
        if not signed_in():
            store.audit("export_refused", f"{file_name}: session expired or account changed")
            raise PermissionError(
                "登录已过期或账户已更改,请重新登录后再下载。"
                " · The session has expired or the account changed: sign in again to download."
            )
        try:
            store.audit("export", f"{file_name}, {detail() if callable(detail) else detail}")
            return make()
        except Exception as exc:
            failures[key] = _failure_text(exc, file_name, lang)
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


def downloads(
    table: pd.DataFrame,
    name: str,
    scheme: Scheme | None = None,
    key: str = "",
    *,
    period: str | None = None,
    scope: str | None = None,
    filters: tuple[tuple[str, str], ...] = (),
) -> None:
    """CSV (UTF-8 with BOM) and XLSX downloads of a table, headers in the user's language; the
    workbook carries who exported it, when, the period, scope, filters and scheme version on a
    second sheet; each download is written to the audit log with that stamp. `period`, `scope`
    and `filters` replace or add to the sidebar's where the page shows something else."""
    shown = labelled(table, scheme)
    stamp = export_stamp(scheme, period, scope, filters)
    failed = st.session_state.get(FAILED_DOWNLOADS_KEY, {}).pop(key or name, None)
    if failed:
        st.error(failed, icon="⚠️")
    left, right = st.columns(2)
    left.download_button(
        tr("下载 CSV", "Download CSV"),
        deferred(csv_bytes, shown, name, key, stamp),
        f"{name}.csv",
        "text/csv",
        key=f"csv_{key or name}",
        width="stretch",
        on_click="ignore",
    )
    right.download_button(
        tr("下载 Excel", "Download Excel"),
        deferred(xlsx_bytes, shown, name, key, stamp),
        f"{name}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"xlsx_{key or name}",
        width="stretch",
        on_click="ignore",
    )


def document_download(
    label: str,
    make: Callable[[], bytes],
    file_name: str,
    detail: str,
    key: str,
    help_text: str | None = None,
) -> None:
    """One download button for a document (a PDF or a ZIP of them) made only when clicked;
    a failure of the last click is explained above it."""
    failed = st.session_state.get(FAILED_DOWNLOADS_KEY, {}).pop(key, None)
    if failed:
        st.error(failed, icon="⚠️")
    kind = "application/zip" if file_name.endswith(".zip") else "application/pdf"
    st.download_button(
        label,
        deferred_file(make, file_name, detail, key),
        file_name,
        kind,
        key=f"file_{key}",
        help=help_text,
        width="stretch",
        on_click="ignore",
    )
