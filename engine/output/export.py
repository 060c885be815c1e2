"""Tables written for Excel: CSV with a BOM or XLSX, with formula-looking text neutralised."""

from __future__ import annotations

import io
import re
from copy import copy
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from engine.schemes.precision import DECIMALS, round_half_away

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Excel refuses these in a sheet's name, and a name longer than 31 characters.
SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
SHEET_LONGEST = 31
# Characters Excel draws two columns wide: CJK ideographs, kana, hangul, full-width forms.
WIDE = (
    r"[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf"
    r"\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]"
)
WIDEST_COLUMN = 60  # a long detail text wraps the sheet no wider than a screen
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
STAMP_LABELS = {
    "user": ("导出人", "Exported by"),
    "made_at": ("导出时间", "Exported at"),
    "period": ("考核期间", "Period"),
    "scope": ("范围", "Scope"),
    "filters": ("筛选条件", "Filters"),
    "scheme": ("考核方案", "Scheme"),
    "rows": ("行数", "Rows"),
}
STAMP_SHEET = {"zh": "导出信息", "en": "Export"}
NO_FILTER = ("无", "none")


@dataclass(frozen=True)
class ExportStamp:
    """Who exported which rows when: period, scope, filters and the scheme version, kept
    beside the table (a sheet of its own, the audit log), never inside it."""

    user: str
    made_at: datetime
    period: str = ""
    scope: str = ""  # whose rows: the company, a department, one person
    filters: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (what, chosen)
    scheme: str = ""  # the scheme's name and version
    language: str = "zh"

    def _say(self, pair: tuple[str, str]) -> str:
        return pair[0] if self.language == "zh" else pair[1]

    def items(self, rows: int | None = None) -> list[tuple[str, str]]:
        """The stamp as (label, value) lines in the reader's language."""
        chosen = "; ".join(f"{what}: {values}" for what, values in self.filters)
        values = {
            "user": self.user,
            "made_at": self.made_at.strftime("%Y-%m-%d %H:%M"),
            "period": self.period,
            "scope": self.scope,
            "filters": chosen or self._say(NO_FILTER),
            "scheme": self.scheme,
            "rows": "" if rows is None else str(rows),
        }
        return [(self._say(STAMP_LABELS[k]), v) for k, v in values.items() if v]

    def text(self, rows: int | None = None) -> str:
        """The stamp on one line, for the audit log."""
        return " · ".join(f"{label} {value}" for label, value in self.items(rows))

    def sheet_name(self) -> str:
        """The data sheet's name: the period and the scope, as Excel allows a name."""
        return sheet_name(" ".join(p for p in (self.period, self.scope) if p), self.language)


def sheet_name(wanted: str, language: str = "zh") -> str:
    """A name Excel accepts: no []:*?/\\, not starting or ending with an apostrophe, at most
    31 characters, never empty and never the stamp sheet's own name."""
    name = SHEET_FORBIDDEN.sub("-", wanted).strip().strip("'").strip()[:SHEET_LONGEST].strip()
    if not name or name in STAMP_SHEET.values():
        return "数据" if language == "zh" else "Data"
    return name


def neutralized(table: pd.DataFrame) -> pd.DataFrame:
    """Text cells that Excel would run as a formula get a leading apostrophe; numbers stay."""
    out = table.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            text = out[column]
            risky = text.astype(str).str.startswith(FORMULA_STARTS) & text.notna()
            out[column] = text.where(~risky, "'" + text.astype(str))
    return out


def rounded(table: pd.DataFrame, decimals: int = DECIMALS) -> pd.DataFrame:
    """Fractional numbers rounded half away from zero as totals are (56.49999999999999 →
    56.5); whole numbers and text untouched."""
    out = table.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            out[column] = round_half_away(out[column], decimals)
    return out


def dated(table: pd.DataFrame) -> pd.DataFrame:
    """Text columns holding only ISO dates (2024-03-15) become dates, so Excel sorts and
    filters them as dates; a month (2026-10) stays text."""
    out = table.copy()
    for column in out.columns:
        values = out[column]
        if not (values.dtype == object or pd.api.types.is_string_dtype(values)):
            continue
        present = values.dropna().astype(str)
        if not present.empty and present.str.fullmatch(ISO_DATE).all():
            out[column] = pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")
    return out


def for_excel(table: pd.DataFrame) -> pd.DataFrame:
    """Dates without a time zone (Excel has none), dates kept at day or second precision."""
    out = table.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.DatetimeTZDtype):
            out[column] = out[column].dt.tz_localize(None)
    return out


def csv_bytes(table: pd.DataFrame, decimals: int | None = None) -> bytes:
    """UTF-8 with BOM, so Excel shows Chinese correctly: one header row, then the data, nothing
    else (a program reading the file must not meet a stamp as a data row; who exported it and
    when is kept in the audit log). `decimals` rounds fractional numbers."""
    shown = neutralized(table) if decimals is None else rounded(neutralized(table), decimals)
    return shown.to_csv(index=False).encode("utf-8-sig")


def xlsx_bytes(
    table: pd.DataFrame,
    sheet: str = "scores",
    stamp: ExportStamp | None = None,
    decimals: int = DECIMALS,
) -> bytes:
    """A workbook a person can forward: a bold, frozen header row with filters, columns as
    wide as their text, numbers at the scheme's decimals, dates as dates; the data sheet is
    named after the period and scope, and `stamp` fills a second sheet (and the file's
    author and description), never a row of the table."""
    shown = for_excel(dated(rounded(neutralized(table), decimals)))
    name = stamp.sheet_name() if stamp else sheet_name(sheet)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        shown.to_excel(writer, index=False, sheet_name=name)
        dress(writer.sheets[name], shown, decimals)
        if stamp:
            lines = pd.DataFrame(stamp.items(len(table)))
            title = STAMP_SHEET.get(stamp.language, STAMP_SHEET["en"])
            lines.to_excel(writer, index=False, header=False, sheet_name=title)
            dress_stamp(writer.sheets[title], lines)
            writer.book.properties.creator = stamp.user
            writer.book.properties.description = stamp.text(len(table))
    return buffer.getvalue()


def dress(sheet: Worksheet, table: pd.DataFrame, decimals: int) -> None:
    """Header bold and frozen with filters; each column's number format and width."""
    last = get_column_letter(max(len(table.columns), 1))
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{last}{len(table) + 1}"
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
    for position, column in enumerate(table.columns, start=1):
        values = table[column]
        letter = get_column_letter(position)
        style = number_format(values, decimals)
        if style and len(table):
            cells = [c for (c,) in sheet.iter_rows(min_row=2, min_col=position, max_col=position)]
            cells[0].number_format = style
            for cell in cells[1:]:  # the first cell's style, shared: setting a format cell by
                cell._style = copy(cells[0]._style)  # cell parses it again each time (slow)
        texts = pd.concat([pd.Series([str(column)]), cell_texts(values, decimals)])
        sheet.column_dimensions[letter].width = min(text_width(texts) + 2, WIDEST_COLUMN)


def dress_stamp(sheet: Worksheet, lines: pd.DataFrame) -> None:
    """The stamp sheet: labels bold, both columns as wide as their text."""
    for (cell,) in sheet.iter_rows(min_col=1, max_col=1):
        cell.font = Font(bold=True)
    for position, column in enumerate(lines.columns, start=1):
        width = min(text_width(lines[column].astype(str)) + 2, WIDEST_COLUMN * 2)
        sheet.column_dimensions[get_column_letter(position)].width = width


def number_format(values: pd.Series, decimals: int) -> str | None:
    """Dates as dates (with the time only where one is kept); fractions with as many fixed
    decimals as the column needs, up to the scheme's (72.6 → 72.6, 60.75 → 60.75 in one
    column: 72.60 and 60.75), whole numbers as they are."""
    if pd.api.types.is_datetime64_any_dtype(values):
        present = values.dropna()
        with_time = bool((present != present.dt.normalize()).any())
        return "yyyy-mm-dd hh:mm:ss" if with_time else "yyyy-mm-dd"
    if pd.api.types.is_float_dtype(values):
        places = decimals_used(values.dropna().to_numpy(dtype=float), decimals)
        return "0." + "0" * places if places else None
    return None


def decimals_used(values: np.ndarray, decimals: int) -> int:
    """The fewest decimals (up to `decimals`) that show every value exactly."""
    for places in range(decimals):
        scaled = values * 10.0**places
        if np.allclose(scaled, np.round(scaled), rtol=0, atol=1e-6):
            return places
    return decimals


def cell_texts(values: pd.Series, decimals: int) -> pd.Series:
    """The cells as Excel shows them, to measure the column."""
    if pd.api.types.is_datetime64_any_dtype(values):
        with_time = number_format(values, decimals) != "yyyy-mm-dd"
        return values.dt.strftime("%Y-%m-%d %H:%M:%S" if with_time else "%Y-%m-%d")
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        ends = [e for e in (values.min(), values.max()) if pd.notna(e)]  # the longest is an end
        style = number_format(values, decimals)
        places = len(style) - 2 if style else 0
        return pd.Series([f"{e:.{places}f}" for e in ends], dtype=object)
    return values.astype(str)


def text_width(texts: pd.Series) -> int:
    """The widest text in Excel's columns, a CJK character counting two."""
    present = pd.Series(texts.dropna().astype(str).unique(), dtype=object)
    if present.empty:
        return 0
    return int((present.str.len() + present.str.count(WIDE)).max())


def write_table(table: pd.DataFrame, path: str | Path) -> Path:
    """Write CSV, or XLSX when the name ends in .xlsx."""
    target = Path(path)
    data = xlsx_bytes(table) if target.suffix.lower() == ".xlsx" else csv_bytes(table)
    target.write_bytes(data)
    return target


EXAMPLE_ROSTER = {
    "employee_id": "E0001",
    "name": "张三",
    "department": "售后服务部",
    "team": "售后一组",
    "role": "服务工程师",
    "region": "华东",
    "hire_date": "2024-03-15",
}
ROSTER_HEADERS_ZH = {
    "employee_id": "工号",
    "name": "姓名",
    "department": "部门",
    "team": "班组",
    "role": "岗位",
    "region": "地区",
    "hire_date": "入职日期",
}


def example_value(kpi) -> float:
    """A plausible good value of a KPI, for the template's example row."""
    if kpi.method == "bands":
        return kpi.bands[0].upto
    if kpi.method == "tiers":
        return kpi.tiers[0].threshold
    if kpi.method == "linear":
        return kpi.target
    if kpi.method == "rating":
        return kpi.scale_min + 0.8 * (kpi.scale_max - kpi.scale_min)
    return 0.0


def template_table(scheme, language: str = "zh") -> pd.DataFrame:
    """A one-row example of the monthly file for a scheme, Chinese or English headers."""
    row = dict(EXAMPLE_ROSTER) | {kpi.id: example_value(kpi) for kpi in scheme.kpis}
    table = pd.DataFrame([row])
    if language == "zh":
        names = {**ROSTER_HEADERS_ZH, **{k.id: k.name_zh for k in scheme.kpis}}
        table = table.rename(columns=names)
    return table
