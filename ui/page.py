"""What every page starts with: the view from the sidebar, or a clear message when there is none."""

from __future__ import annotations

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


def downloads(table: pd.DataFrame, name: str, scheme: Scheme | None = None, key: str = "") -> None:
    """CSV (UTF-8 with BOM) and XLSX downloads of a table, headers in the user's language."""
    shown = labelled(table, scheme)
    left, right = st.columns(2)
    left.download_button(
        tr("下载 CSV", "Download CSV"),
        csv_bytes(shown),
        f"{name}.csv",
        "text/csv",
        key=f"csv_{key or name}",
        width="stretch",
    )
    right.download_button(
        tr("下载 Excel", "Download Excel"),
        xlsx_bytes(shown),
        f"{name}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"xlsx_{key or name}",
        width="stretch",
    )
