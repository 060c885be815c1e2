"""The user's language (中文 / English), shared by all pages, and bilingual text helpers."""

from __future__ import annotations

import html
import re
import string

import pandas as pd
import streamlit as st

# Every ASCII punctuation sign may be backslash-escaped in markdown; escaping them all stops
# links, images, emphasis, LaTeX ($), colours (:red[...]), headings and lists alike.
MARKDOWN_SIGNS = re.compile("([" + re.escape(string.punctuation) + "])")
# Escapes do not stop GitHub-style bare links (http://…, www.…, a@b.c) nor :emoji: codes, which
# are found in the text after escapes are read: an invisible word joiner after their first
# sign breaks them (measured in Chromium: an escaped http://host/p.png still became a link).
LINK_STARTS = re.compile(r"[:@]|(?i:www)(?=\.)")
INVISIBLE_BREAK = "\u2060"
LANGUAGES = {"zh": "中文", "en": "English"}
LANGUAGE_KEY = "language"

COLUMN_LABELS = {
    "rank": ("排名", "Rank"),
    "dept_rank": ("部门排名", "Dept rank"),
    "team_rank": ("班组排名", "Team rank"),
    "employee_id": ("工号", "ID"),
    "name": ("姓名", "Name"),
    "department": ("部门", "Department"),
    "team": ("班组", "Team"),
    "role": ("岗位", "Role"),
    "region": ("地区", "Region"),
    "tenure": ("司龄(年)", "Tenure (years)"),
    "period": ("期间", "Period"),
    "total": ("总分", "Total"),
    "grade": ("等级", "Grade"),
    "grade_en": ("等级(英文)", "Grade (English)"),
    "bonus": ("奖金", "Money"),
    "months": ("月数", "Months"),
    "missing_count": ("缺失指标数", "Missing KPIs"),
    "headcount": ("人数", "Headcount"),
    "mean_total": ("平均分", "Mean total"),
    "change": ("变化", "Change"),
    "rank_change": ("名次变化", "Rank change"),
    "previous_total": ("上期总分", "Previous total"),
    "scheme_version": ("方案版本", "Scheme version"),
    "people": ("人数", "People"),
    "computed_total": ("计算总分", "Computed total"),
    "computed_grade": ("计算等级", "Computed grade"),
    "calibrated_grade": ("校准等级", "Calibrated grade"),
    "adjustment": ("调整分", "Adjustment"),
    "adjustment_reason": ("调整原因", "Adjustment reason"),
    "points": ("加减分", "Points"),
    "reason": ("原因", "Reason"),
    "proposed_by": ("提出人", "Proposed by"),
    "approved_by": ("批准人", "Approved by"),
    "cutoff": ("等级线", "Cutoff"),
    "grade_above": ("上一等级", "Grade above"),
    "points_to_cutoff": ("距等级线", "Points to the cutoff"),
    "veto": ("否决项", "Veto"),
    "status": ("人员状态", "Status"),
    "status_note": ("状态说明", "Status note"),
}

KPI_SIDE_COLUMNS = {
    "cases_": ("样本数", "cases"),
    "rater_": ("评分人", "rater"),
    "adjusted_": ("计分值", "value scored"),
}


def language() -> str:
    return st.session_state.get(LANGUAGE_KEY, "zh")


def tr(zh: str, en: str) -> str:
    """The text in the user's language."""
    return zh if language() == "zh" else en


def column_label(column: str, scheme=None) -> str:
    """A column's header in the user's language, KPI and category columns included."""
    if column in COLUMN_LABELS:
        return tr(*COLUMN_LABELS[column])
    if scheme is not None:
        for prefix, items in (
            ("score_", scheme.kpis),
            ("cat_", scheme.categories),
            ("", scheme.kpis),
        ):
            for item in items:
                if column == f"{prefix}{item.id}":
                    name = item.label(language())
                    return f"{name} {tr('得分', 'score')}" if prefix == "score_" else name
        # what the insights options keep beside a KPI's raw value
        for prefix, word in KPI_SIDE_COLUMNS.items():
            for kpi in scheme.kpis:
                if column == f"{prefix}{kpi.id}":
                    return f"{kpi.label(language())} {tr(*word)}"
    return column


def labelled(table, scheme=None):
    """The table with headers in the user's language (for display and export)."""
    return table.rename(columns={c: column_label(c, scheme) for c in table.columns})


def plain(text: object) -> str:
    """Text from a file (a name, a department) made safe for a call that renders markdown
    (title, header, caption, markdown, info, warning, error): shown as typed, never
    interpreted; line breaks become spaces so it cannot start a block of its own."""
    flat = re.sub(r"\s*[\r\n]+\s*", " ", str(text))
    return MARKDOWN_SIGNS.sub(r"\\\1", LINK_STARTS.sub("\\g<0>" + INVISIBLE_BREAK, flat))


def chart_text(values):
    """Text from a file for a plotly chart (labels, legend, hover), which renders some HTML
    (<a>, <b>, <span style>): its signs escaped, so it is drawn as typed."""
    if isinstance(values, pd.Index | pd.Series):
        return values.map(lambda v: v if pd.isna(v) else html.escape(str(v), quote=False))
    return html.escape(str(values), quote=False)
