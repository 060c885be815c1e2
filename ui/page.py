"""What every page starts with: the view from the sidebar, or a clear message when there is none."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from engine.export import csv_bytes, xlsx_bytes
from engine.scheme import Scheme
from ui import data, sidebar
from ui.i18n import labelled, tr
from ui.sidebar import View


def require_view() -> tuple[View, Scheme, pd.DataFrame]:
    """The sidebar's view, its scheme and the filtered table; stops with a message if empty."""
    view = sidebar.current()
    if view is None:
        st.info(tr("还没有数据:请先导入月度考核表。", "No data yet: import a monthly file first."))
        st.stop()
    scheme = data.scheme_at(view.scheme_file)
    table = view.rows(data.scored(view.period, view.scheme_file))
    if table.empty:
        st.warning(tr("所选筛选条件下没有人员。", "No one matches the chosen filters."))
        st.stop()
    return view, scheme, table


def export_stamp() -> str:
    """Who exports and when, for the footer of every download."""
    now = datetime.now().strftime("%Y-%m-%d %H:%M")
    return tr(f"导出人 {data.access().user} · {now}", f"Exported by {data.access().user} · {now}")


def _log_export(name: str, kind: str, rows: int) -> None:
    data.current_store().audit("export", f"{name}.{kind}, {rows} rows")


def downloads(table: pd.DataFrame, name: str, scheme: Scheme | None = None, key: str = "") -> None:
    """CSV (UTF-8 with BOM) and XLSX downloads of a table, headers in the user's language, with
    a footer naming who exported it and when; each download is written to the audit log."""
    shown = labelled(table, scheme)
    stamp = export_stamp()
    left, right = st.columns(2)
    left.download_button(
        tr("下载 CSV", "Download CSV"),
        csv_bytes(shown, stamp),
        f"{name}.csv",
        "text/csv",
        key=f"csv_{key or name}",
        width="stretch",
        on_click=_log_export,
        args=(name, "csv", len(table)),
    )
    right.download_button(
        tr("下载 Excel", "Download Excel"),
        xlsx_bytes(shown, stamp=stamp),
        f"{name}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"xlsx_{key or name}",
        width="stretch",
        on_click=_log_export,
        args=(name, "xlsx", len(table)),
    )
