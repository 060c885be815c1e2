"""The import page's parts: review one uploaded file, and commit reviewed files to the store."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from engine.cycle.results import keep_month
from engine.intake.compare import MonthDiff, month_diff, warnings_against_previous
from engine.intake.parse import (
    ROSTER_ALIASES,
    ParsedFile,
    header_signature,
    is_xlsx,
    parse_file,
    sha256,
    unreadable,
    xlsx_sheets,
)
from engine.output.export import csv_bytes
from engine.schemes.scheme import Scheme
from engine.scoring.periods import parse_period, previous
from engine.store import ImportRefused, StoreBusy, StoreError
from ui import data, sidebar
from ui.i18n import column_label, labelled, language, one_language, plain, tr
from ui.wording import problem_table

EXTRA = ""  # the field value of a column kept as an extra (not used by the scheme)
ROSTER_NAMES = {
    "period": ("月份", "Month"),
    "employee_id": ("工号", "Employee ID"),
    "name": ("姓名", "Name"),
    "department": ("部门", "Department"),
    "team": ("班组", "Team"),
    "role": ("岗位", "Role"),
    "region": ("地区", "Region"),
    "hire_date": ("入职日期", "Hire date"),
}


@dataclass
class Review:
    """One uploaded file after checking: what committing it would do, and whether it may."""

    parsed: ParsedFile
    action: str  # "new", "identical", "replace", "invalid"
    active: dict | None
    diff: MonthDiff | None
    confirmed: bool
    signature: str
    overrides: dict[str, str]

    @property
    def ready(self) -> bool:
        return self.action == "new" or (self.action == "replace" and self.confirmed)


def field_names(scheme: Scheme) -> dict[str, str]:
    """Field id → the label shown in the column-matching selector."""
    names = {EXTRA: tr("(保留为附加列)", "(keep as extra column)")}
    names |= {f: tr(*ROSTER_NAMES[f]) for f in ROSTER_ALIASES}
    names |= {k.id: k.label(language()) for k in scheme.kpis}
    return names


def encoding_name(encoding: str) -> str:
    """How a file was read: the encoding's standard name (utf-8, gb18030), or the sheet."""
    if encoding.startswith("xlsx"):
        sheet = encoding.partition("sheet ")[2]
        return tr(f"Excel 工作表 {sheet}", f"Excel, sheet {sheet}")
    return tr("未知", "unknown") if encoding == "unknown" else encoding


def shown_facts(facts: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Rows of a file as the reader sees them: headers in the language, dates without a time,
    numbers as written (92, 3.5) and a blank cell blank (st.dataframe draws "None")."""
    shown = facts.drop(columns=["source_row"], errors="ignore").copy()
    for column in shown.columns:
        values = shown[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            shown[column] = values.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            shown[column] = values.map(lambda v: "" if pd.isna(v) else f"{v:g}")
    return labelled(shown.astype(object).where(shown.notna(), ""), scheme)


@st.cache_data(show_spinner=False, max_entries=16)
def _parse(
    digest: str,
    name: str,
    period: str | None,
    overrides: tuple,
    sheet: str | None,
    under: tuple,
    _content: bytes,
    _scheme: Scheme,
) -> ParsedFile:
    try:
        return parse_file(
            _content,
            _scheme,
            file_name=name,
            period=period,
            overrides=dict(overrides) or None,
            sheet=sheet,
        )
    except Exception as exc:  # the last guard: a file is a message on the page, never a trace
        return unreadable(_content, name, f"the file cannot be read ({exc})")


def review(upload, scheme: Scheme) -> Review:
    """Draw one file's check: encoding, month, column matching, preview, problems, the effect."""
    content = upload.getvalue()
    digest = sha256(content)
    key = digest[:16]
    under = data.scheme_key(scheme)
    store = data.current_store()
    sheet = None
    if is_xlsx(content, upload.name):
        sheets = xlsx_sheets(content)
        if len(sheets) > 1:
            sheet = st.selectbox(tr("工作表", "Sheet"), sheets, key=f"sheet_{key}")
    chosen_month = st.session_state.get(f"month_{key}")
    overrides = st.session_state.get(f"overrides_{key}")
    first = _parse(digest, upload.name, chosen_month, (), sheet, under, content, scheme)
    signature = header_signature(list(first.column_map))
    if overrides is None:
        overrides = store.header_mapping(signature)
    parsed = first
    if overrides:
        parsed = _parse(
            digest,
            upload.name,
            chosen_month,
            tuple(sorted(overrides.items())),
            sheet,
            under,
            content,
            scheme,
        )
    _describe(parsed, scheme)
    if parsed.period is None or chosen_month:
        _month_picker(parsed, key)
    _column_matching(parsed, scheme, key, overrides)
    if not parsed.problems.empty:
        return Review(parsed, "invalid", None, None, False, signature, overrides)
    st.markdown(tr("**预览(前 10 行)**", "**Preview (first 10 rows)**"))
    st.dataframe(shown_facts(parsed.facts.head(10), scheme), hide_index=True)
    previous_month = previous(parse_period(parsed.period)).label
    notes = pd.concat(
        [
            parsed.warnings,
            warnings_against_previous(
                parsed.facts, store.facts([previous_month]), scheme, parsed.file_name
            ),
        ],
        ignore_index=True,
    )
    if not notes.empty:
        st.warning(tr(f"{len(notes)} 条提示(不阻止导入)", f"{len(notes)} note(s), not errors"))
        shown = problem_table(notes.drop(columns=["file"]), scheme)
        st.dataframe(shown, hide_index=True, width="stretch")
    return _effect(parsed, scheme, store, key, signature, overrides)


def _describe(parsed: ParsedFile, scheme: Scheme) -> None:
    source = {
        "column": tr("月份列", "the month column"),
        "file name": tr("文件名", "the file name"),
        "option": tr("手动选择", "your choice"),
    }.get(parsed.period_source, "")
    month = parsed.period or tr("未知", "unknown")
    encoding = encoding_name(parsed.encoding)
    st.caption(
        tr(
            f"编码 {encoding} · 月份 {month}(来自{source})· {parsed.rows} 行",
            f"Encoding {encoding} · month {month} (from {source}) · {parsed.rows} rows",
        )
    )
    if not parsed.problems.empty:
        st.error(
            tr(
                f"发现 {len(parsed.problems)} 个问题,修正后才能导入。",
                f"{len(parsed.problems)} problem(s): fix them before this file can be imported.",
            )
        )
        problems = problem_table(parsed.problems.drop(columns=["file"]), scheme)
        st.dataframe(problems, hide_index=True, width="stretch")
        st.download_button(
            tr("下载问题清单", "Download the problem list"),
            csv_bytes(problems),
            f"problems_{parsed.file_name}.csv",
            "text/csv",
            key=f"problems_{parsed.sha256[:16]}",
        )


def _month_picker(parsed: ParsedFile, key: str) -> None:
    recent = pd.period_range(end=pd.Timestamp.today(), periods=24, freq="M").strftime("%Y-%m")
    options = sorted({*recent, *data.periods()["month"]}, reverse=True)
    st.selectbox(
        tr("这个文件是哪个月的?", "Which month is this file?"),
        options,
        index=None,
        key=f"month_{key}",
        placeholder=tr("选择月份", "Choose the month"),
    )


def _column_matching(
    parsed: ParsedFile, scheme: Scheme, key: str, overrides: dict[str, str]
) -> None:
    names = field_names(scheme)
    table = pd.DataFrame(
        {
            "column": list(parsed.column_map),
            "field": [names.get(f, names[EXTRA]) for f in parsed.column_map.values()],
        }
    )
    unmatched = sum(1 for f in parsed.column_map.values() if f == EXTRA)
    label = tr(f"列对应关系({unmatched} 列未对应)", f"Column matching ({unmatched} unmatched)")
    with st.expander(label, expanded=bool(unmatched) and not parsed.problems.empty):
        edited = st.data_editor(
            table,
            key=f"editor_{key}",
            hide_index=True,
            width="stretch",
            disabled=["column"],
            column_config={
                "column": st.column_config.TextColumn(tr("文件中的列", "Column in the file")),
                "field": st.column_config.SelectboxColumn(
                    tr("对应字段", "Means"), options=list(names.values()), required=True
                ),
            },
        )
        by_label = {v: k for k, v in names.items()}
        chosen = dict(zip(edited["column"], edited["field"].map(by_label), strict=True))
        wanted = {c: f for c, f in chosen.items() if f != parsed.column_map.get(c)}
        if wanted:
            st.session_state[f"overrides_{key}"] = {**overrides, **wanted}
            st.rerun()


def _effect(
    parsed: ParsedFile, scheme: Scheme, store, key: str, signature: str, overrides: dict[str, str]
) -> Review:
    active = store.active_import(parsed.period)
    if active is None:
        st.info(tr(f"将新增 {parsed.period} 月的数据。", f"Adds {parsed.period}, a new month."))
        return Review(parsed, "new", None, None, True, signature, overrides)
    if active["sha256"] == parsed.sha256:
        st.success(
            tr(
                f"{parsed.period} 已导入过完全相同的文件,无需操作。",
                f"{parsed.period} already holds this exact file: nothing to do.",
            )
        )
        return Review(parsed, "identical", active, None, False, signature, overrides)
    diff = month_diff(store.facts([parsed.period]), parsed.facts, scheme)
    counts = diff.summary
    month, old_file, old_id = parsed.period, active["file_name"], active["import_id"]
    added, removed = counts["added"], counts["removed"]
    values, people = counts["changed_values"], counts["changed_people"]
    st.warning(
        tr(
            f"将替换 {month} 现有数据({plain(old_file)},导入编号 {old_id}):新增 {added} 人,"
            f"移除 {removed} 人,{people} 人的 {values} 个值有变化。原数据可恢复。",
            f"Replaces {month} ({plain(old_file)}, import {old_id}): {added} added, "
            f"{removed} removed, "
            f"{values} values of {people} people changed. The current data stays restorable.",
        )
    )
    with st.expander(tr("查看差异", "See the differences")):
        for title, frame in (
            (tr("新增", "Added"), diff.added),
            (tr("移除", "Removed"), diff.removed),
            (tr("变化的值", "Changed values"), diff.changed),
        ):
            st.markdown(f"**{title}** ({len(frame)})")
            st.dataframe(_diff_table(frame.head(500), scheme), hide_index=True, width="stretch")
    confirmed = st.checkbox(
        tr(f"确认替换 {parsed.period}", f"Yes, replace {parsed.period}"), key=f"confirm_{key}"
    )
    return Review(parsed, "replace", active, diff, confirmed, signature, overrides)


def _diff_table(frame: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """A part of a month's difference with field names, not ids, in the language."""
    shown = frame.copy()
    if "column" in shown:
        shown["column"] = shown["column"].astype(str).map(lambda c: column_label(c, scheme))
    for side in ("old", "new"):
        if side in shown:
            shown[side] = shown[side].astype(str).fillna("")
    return problem_table(labelled(shown, scheme), scheme)


MESSAGES_KEY = "import_messages"


def commit(reviews: list[Review]) -> None:
    """Store the reviewed files, one transaction each, with a progress bar, then redraw the page
    so every figure shows the new data; each file's result is shown at the top."""
    store = data.current_store()
    messages = []
    newest_before = max(data.periods()["month"], default="")
    added: list[str] = []
    bar = st.progress(0.0, text=tr("正在导入…", "Importing…"))
    for done, item in enumerate(reviews, start=1):
        try:
            result = store.import_file(item.parsed, replace=item.action == "replace")
            if result.status != "unchanged":
                keep_month(store, sidebar.scheme(), result.period)
            if item.overrides:
                store.save_header_mapping(item.signature, item.overrides)
            messages.append(("success", _result_text(result)))
            if result.status == "imported":
                added.append(result.period)
        except StoreBusy as exc:
            messages.append(
                (
                    "error",
                    tr(
                        f"数据库正忙,请稍后重试:{plain(exc)}",
                        f"The store is busy, try again: {plain(exc)}",
                    ),
                )
            )
        except (ImportRefused, StoreError) as exc:
            messages.append(("error", plain(refusal_text(exc, item.parsed))))
        bar.progress(done / len(reviews), text=f"{done}/{len(reviews)}")
    data.clear_after_import()
    st.session_state[MESSAGES_KEY] = messages
    if added and max(added) > newest_before:  # a month newer than any: show it, as a new
        sidebar.follow_month(max(added))  # session would (a back-filled month does not move)
    st.rerun()


def refusal_text(exc: Exception, parsed: ParsedFile) -> str:
    """Why the store refused a file, in the reader's language."""
    if isinstance(exc, ImportRefused) and "already holds" in str(exc) and language() == "zh":
        return (
            f"{parsed.file_name}:{parsed.period} 已有另一个文件的数据。请勾选确认替换后再导入;"
            "原数据会保留,可以恢复。"
        )
    return one_language(exc)


def pop_messages() -> list[tuple[str, str]]:
    """The results of the last commit, once."""
    return st.session_state.pop(MESSAGES_KEY, [])


def _result_text(result) -> str:
    words = {
        "imported": ("已导入", "imported"),
        "replaced": ("已替换", "replaced"),
        "unchanged": ("无变化", "unchanged"),
    }[result.status]
    return tr(
        f"{plain(result.file_name)}:{words[0]} {result.period},{result.rows} 行",
        f"{plain(result.file_name)}: {words[1]} {result.period}, {result.rows} rows",
    )
