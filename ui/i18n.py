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
    "hire_date": ("入职日期", "Hire date"),
    "source_row": ("文件行号", "Row in the file"),
}
# What the audit log's actions are called (the store keeps the English id).
ACTION_NAMES = {
    "imported": ("导入", "imported"),
    "replaced": ("替换", "replaced"),
    "restored": ("恢复", "restored"),
    "deleted": ("删除", "deleted"),
    "scheme_version": ("采用方案新版本", "new scheme version"),
    "scenario_saved": ("保存模拟方案", "scenario saved"),
    "scenario_replaced": ("覆盖模拟方案", "scenario replaced"),
    "scenario_deleted": ("删除模拟方案", "scenario deleted"),
    "sign_in": ("登录", "signed in"),
    "sign_in_failed": ("登录失败", "sign-in failed"),
    "sign_in_throttled": ("登录过于频繁", "sign-in throttled"),
    "sign_out": ("退出", "signed out"),
    "signed_out": ("会话结束", "session ended"),
    "export": ("导出", "export"),
    "export_refused": ("拒绝导出", "export refused"),
    "adjustment": ("加减分调整", "adjustment"),
    "adjustment_withdrawn": ("撤回调整", "adjustment withdrawn"),
    "adjustment_approved": ("批准调整", "adjustment approved"),
    "adjustment_rejected": ("驳回调整", "adjustment rejected"),
    "submit": ("提交", "submitted"),
    "calibrate": ("校准", "calibrated"),
    "approve": ("审批", "approved"),
    "publish": ("发布", "published"),
    "unpublish": ("撤回发布", "unpublished"),
    "lock": ("锁定", "locked"),
    "unlock": ("解锁", "unlocked"),
    "reopen": ("退回", "reopened"),
    "notify_sent": ("通知已发送", "notification sent"),
    "notify_failed": ("通知发送失败", "notification failed"),
    "result_accepted": ("确认结果", "result accepted"),
    "appeal_filed": ("提出申诉", "appeal filed"),
    "appeal_in_review": ("申诉处理中", "appeal in review"),
    "appeal_upheld": ("申诉已调整", "appeal upheld"),
    "appeal_rejected": ("申诉已驳回", "appeal rejected"),
    "appeal_closed": ("申诉关闭(未答复)", "appeal closed unanswered"),
    "interview_saved": ("保存面谈记录", "interview saved"),
    "interview_confirmed": ("确认面谈记录", "interview confirmed"),
    "accounts_created": ("批量创建账户", "accounts created"),
    "password_changed": ("修改密码", "password changed"),
    "password_change_refused": ("修改密码被拒", "password change refused"),
    "targets_saved": ("保存目标", "targets saved"),
    "accounts_changed": ("更改账户", "accounts changed"),
    "sessions_ended": ("结束会话", "sessions ended"),
}
# Who did what when no one signed in (the store's default user).
USER_NAMES = {"system": ("系统", "system"), "local": ("本机用户", "local")}
# An engine message written "中文 / English": the Chinese side holds a Chinese character, the
# English side starts with a Latin letter, a digit or a quote.
BILINGUAL = re.compile(r"(?<=\S) / (?=['\"(A-Za-z0-9])")
CHINESE_CHARACTER = re.compile(r"[\u4e00-\u9fff]")

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


def one_language(text: object, lang: str | None = None) -> str:
    """The chosen language's side of an engine message written "中文 / English" (cycle moves,
    adjustments, locked months); any other text as it is."""
    text = str(text)
    for found in BILINGUAL.finditer(text):
        zh, en = text[: found.start()], text[found.end() :]
        if CHINESE_CHARACTER.search(zh) and re.search("[A-Za-z]{2,}", en):
            return zh if (lang or language()) == "zh" else en
    return text


def page_title(title: str) -> str:
    """A page's title from app.PAGES ("总览 · Overview") in the chosen language."""
    zh, _, en = title.partition(" · ")
    return tr(zh, en or zh)


def action_name(action: str) -> str:
    return tr(*ACTION_NAMES.get(action, (action, action)))


def user_name(user: object) -> object:
    return tr(*USER_NAMES[user]) if user in USER_NAMES else user


GRADE_COLUMNS = ("grade", "grade_above", "computed_grade", "calibrated_grade", "next_grade")
TARGET_ROW = "目标 target"  # the target mix's row in engine.cycle.calibration.grade_counts


def grade_name(name: object, scheme) -> object:
    """A grade of the scheme (优秀) by its name in the chosen language (Excellent)."""
    if language() == "zh":
        return name
    return {g.name: g.name_en or g.name for g in scheme.grades}.get(name, name)


def grade_words(table: pd.DataFrame, scheme) -> pd.DataFrame:
    """A table with grade names in the chosen language: grade cells, columns named after a
    grade ("优秀", "优秀 %") and the target mix's row."""
    lang = language()
    names = {g.name: (g.name if lang == "zh" else g.name_en or g.name) for g in scheme.grades}
    out = table.copy()
    for column in GRADE_COLUMNS:
        if column in out:
            out[column] = out[column].map(lambda v: names.get(v, v))
    out = out.rename(columns={**names, **{f"{g} %": f"{n} %" for g, n in names.items()}})
    if "department" in out:
        out["department"] = out["department"].replace(TARGET_ROW, tr("目标", "Target"))
    return out


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
    """The table with headers in the user's language (for display and export), and with the
    scheme's grade names in it when the scheme is given."""
    if scheme is not None:
        table = grade_words(table, scheme)
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


def month_ticks(figure, axis: str = "x"):
    """A chart whose axis holds months ("2026-10") labelled in the chosen language: plotly
    would read them as dates and write "Oct 2026" whatever the reader's language."""
    shape = tr("%Y年%-m月", "%b %Y")
    figure.update_layout({f"{axis}axis": {"tickformat": shape, "hoverformat": shape}})
    return figure
