"""The targets page's parts: targets against actuals by team, a target file checked and stored,
and the month's targets edited in a table; every save replaces the month's targets at once."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from engine.analysis.breakdown import team_targets_against_actuals, unit_name
from engine.intake.targets import parse_targets
from engine.schemes.scheme import Scheme
from engine.store import StoreError
from ui import data
from ui.i18n import labelled, language, plain, tr
from ui.page import downloads

STORED_KEY = "targets_file_stored"
FLASH_KEY = "targets_flash"
TARGET_ROWS = ["scope", "employee_id", "department", "team", "kpi", "target"]
# The editor's columns are the target file's headers (its rows are checked as a file is);
# their labels follow the reader's language.
EDITOR_ROSTER = {"employee_id": "工号", "department": "部门", "team": "班组"}
ROSTER_LABELS = {
    "employee_id": ("工号", "ID"),
    "department": ("部门", "Department"),
    "team": ("班组", "Team"),
}


def against_actuals(table: pd.DataFrame, scheme: Scheme) -> None:
    """Per team and KPI with targets: the mean target, the mean actual, the gap and who met it."""
    st.subheader(tr("目标与实际(按班组)", "Targets against actuals, by team"))
    found = team_targets_against_actuals(table, scheme)
    if found.empty:
        st.info(tr("本期所选人员没有目标。", "The people chosen have no targets this period."))
        return
    lang = language()
    names = {k.id: k.label(lang) for k in scheme.kpis}
    units = {k.id: unit_name(k.unit, lang) for k in scheme.kpis}
    shown = found.assign(kpi=found["kpi"].map(names), unit=found["kpi"].map(units)).round(2)
    headers = {
        "kpi": tr("指标", "KPI"),
        "unit": tr("单位", "Unit"),
        "headcount": tr("有目标人数", "People with a target"),
        "target": tr("平均目标", "Mean target"),
        "actual": tr("平均实际", "Mean actual"),
        "gap": tr("差距(正为好)", "Gap (+ is better)"),
        "met": tr("达标人数", "Met"),
    }
    order = ["department", "team", "kpi", "unit", "headcount", "target", "actual", "gap", "met"]
    shown = labelled(shown[order].rename(columns=headers), scheme)
    st.dataframe(shown, hide_index=True, width="stretch")
    st.caption(
        tr(
            "个人目标优先,没有个人目标时用班组目标;线性指标按目标计分(满分点由标准换成目标),"
            "星级按对目标的达成率评定,其他指标的目标仅供对照。",
            "A person's own target comes first, else the team's; a linear KPI scores against "
            "the target (full marks at the target instead of the standard) and stars count "
            "achievement against it; for other KPIs a target is for reference.",
        )
    )
    with st.expander(tr("下载目标与实际", "Download targets against actuals")):
        downloads(shown, "targets_against_actuals", key="targets_actuals")


def import_file(period: str, scheme: Scheme) -> None:
    """A target file checked as a monthly file is; stored only with the button, all or none."""
    st.subheader(tr("导入目标文件", "Import a target file"))
    st.caption(
        tr(
            "CSV(UTF-8 或 GBK)或 Excel:一行一人(工号)或一个班组(部门、班组),每个指标一列"
            "(表头用指标名称,可加“目标”二字),月份取自 月份 列、文件名或当前月份。"
            "有任何问题则一条也不保存;保存会替换该月的全部目标。",
            "CSV (UTF-8 or GBK) or Excel: one row a person (an employee id column) or a team "
            "(department and team columns), one column per KPI (its name, optionally with "
            "target); the month from a month column, the file name or the month shown. "
            "Nothing is stored if there is any problem; storing replaces the month's targets.",
        )
    )
    upload = st.file_uploader(
        tr("目标文件", "Target file"), type=["csv", "xlsx"], key="targets_file"
    )
    if upload is None:
        return
    content = upload.getvalue()
    fingerprint = (upload.name, hashlib.sha256(content).hexdigest())
    rows, problems, month = parse_targets(content, upload.name, scheme, period)
    if len(problems):
        st.error(
            tr(
                f"{len(problems)} 个问题,不会保存",
                f"{len(problems)} problem(s): nothing will be stored",
            )
        )
        st.dataframe(problem_table(problems), hide_index=True, width="stretch")
        return
    st.dataframe(target_table(rows, scheme), hide_index=True, width="stretch")
    again = st.session_state.get(STORED_KEY) == fingerprint
    if again:
        st.caption(tr("此文件已保存。", "This file has been stored."))
    label = tr(
        f"保存这 {len(rows)} 条目标(替换 {month} 的全部目标)",
        f"Store these {len(rows)} targets (replacing every target of {month})",
    )
    stored = st.button(label, key="targets_file_save", disabled=again or rows.empty)
    if stored and save(month, rows, upload.name):
        st.session_state[STORED_KEY] = fingerprint
        st.rerun()


def editor(period: str, scheme: Scheme) -> None:
    """The month's targets as a table to edit: one row a person or a team, a column per KPI."""
    st.subheader(tr(f"在页面上填写 {period} 的目标", f"Enter the targets of {period}"))
    lang = language()
    names = {k.id: k.label(lang) for k in scheme.kpis}
    kept = data.targets([period])
    wide = (
        kept.pivot_table(
            index=["employee_id", "department", "team"], columns="kpi", values="target"
        ).reset_index()
        if len(kept)
        else pd.DataFrame(columns=["employee_id", "department", "team"])
    )
    wide = wide.reindex(columns=["employee_id", "department", "team", *scheme.kpi_ids])
    shown = wide.rename(columns={**EDITOR_ROSTER, **names})
    for column in EDITOR_ROSTER.values():
        shown[column] = shown[column].astype(object).fillna("").astype(str)
    edited = st.data_editor(
        shown,
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        key=f"targets_editor_{period}",
        placeholder="",  # a blank cell: no target (not the word None)
        column_config={
            **{
                header: st.column_config.TextColumn(tr(*ROSTER_LABELS[field]))
                for field, header in EDITOR_ROSTER.items()
            },
            **{
                names[k]: st.column_config.NumberColumn(names[k], format="%g")
                for k in scheme.kpi_ids
            },
        },
    )
    st.caption(
        tr(
            "填工号为个人目标;不填工号、填班组(和部门)为班组目标。空格表示无目标。",
            "With an ID the row is a person's target; without one, a team's (team, and "
            "department). "
            "A blank cell sets no target.",
        )
    )
    if not st.button(tr("保存页面上的目标", "Save these targets"), key="targets_editor_save"):
        return
    filled = edited.astype(str).apply(lambda c: c.str.strip().isin(["", "nan", "None", "<NA>"]))
    if filled.all(axis=None):  # an empty table clears the month's targets
        if save(period, pd.DataFrame(columns=TARGET_ROWS), "page"):
            st.rerun()
        return
    text = edited.assign(月份=period).to_csv(index=False)
    rows, problems, _ = parse_targets(text.encode("utf-8"), tr("页面", "page"), scheme, period)
    if len(problems):
        problems = problems.assign(row=pd.to_numeric(problems["row"], errors="coerce") - 1)
        st.error(tr("有问题,未保存(行号为表格中的行):", "Not saved; rows as in the table:"))
        st.dataframe(problem_table(problems), hide_index=True, width="stretch")
    elif save(period, rows, "page"):
        st.rerun()


def save(period: str, rows: pd.DataFrame, source: str) -> bool:
    """Replace the month's targets; say what happened (kept across the rerun)."""
    try:
        stored = data.current_store().replace_targets(period, rows, source)
    except StoreError as exc:
        st.error(tr("未保存:", "Not saved: ") + plain(exc))
        return False
    data.clear_after_import()
    st.session_state[FLASH_KEY] = tr(
        f"已保存 {period} 的 {stored} 条目标({plain(source)})。",
        f"{stored} targets of {period} stored ({plain(source)}).",
    )
    return True


def flash() -> None:
    """The message of the last save, once."""
    message = st.session_state.pop(FLASH_KEY, None)
    if message:
        st.success(message)


def target_table(rows: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Checked target rows for a preview, in the reader's language."""
    lang = language()
    names = {k.id: k.label(lang) for k in scheme.kpis}
    scopes = {"person": tr("个人", "Person"), "team": tr("班组", "Team")}
    shown = rows.assign(scope=rows["scope"].map(scopes), kpi=rows["kpi"].map(names))
    return labelled(
        shown.rename(
            columns={
                "scope": tr("范围", "Scope"),
                "kpi": tr("指标", "KPI"),
                "target": tr("目标", "Target"),
            }
        ),
        scheme,
    )


def problem_table(problems: pd.DataFrame) -> pd.DataFrame:
    """Problems with headers in the reader's language."""
    return problems.rename(
        columns={
            "file": tr("文件", "File"),
            "row": tr("行", "Row"),
            "column": tr("列", "Column"),
            "value": tr("值", "Value"),
            "problem": tr("问题", "Problem"),
        }
    )
