"""Targets (目标) per team and per person per month: against actuals by team for everyone; a
target file or the table on the page for admin and HR."""

import streamlit as st

from engine.scoring.periods import parse_period
from ui import data, targets
from ui.i18n import tr
from ui.page import require_view

view, scheme, table = require_view()
st.title(tr("目标", "Targets") + f" · {view.period}")
targets.flash()
targets.against_actuals(table, scheme)
if data.access().may_change_data:
    if parse_period(view.period).kind != "month":
        st.info(
            tr(
                "目标按月设定:在侧栏选一个月份即可导入或填写。",
                "Targets are set month by month: choose a month in the sidebar to import or "
                "enter them.",
            )
        )
    else:
        targets.import_file(view.period, scheme)
        targets.editor(view.period, scheme)
