"""Tables written for Excel: CSV with a BOM or XLSX, with formula-looking text neutralised."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralized(table: pd.DataFrame) -> pd.DataFrame:
    """Text cells that Excel would run as a formula get a leading apostrophe; numbers stay."""
    out = table.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            text = out[column]
            risky = text.astype(str).str.startswith(FORMULA_STARTS) & text.notna()
            out[column] = text.where(~risky, "'" + text.astype(str))
    return out


def with_footer(table: pd.DataFrame, stamp: str | None) -> pd.DataFrame:
    """The table with a last row naming who exported it and when (in its first column)."""
    if not stamp or table.columns.empty:
        return table
    footer = pd.DataFrame([{table.columns[0]: stamp}], columns=table.columns)
    return pd.concat([table.astype(object), footer], ignore_index=True)


def csv_bytes(table: pd.DataFrame, stamp: str | None = None) -> bytes:
    """UTF-8 with BOM, so Excel shows Chinese correctly; `stamp` adds a footer row."""
    return with_footer(neutralized(table), stamp).to_csv(index=False).encode("utf-8-sig")


def xlsx_bytes(table: pd.DataFrame, sheet: str = "scores", stamp: str | None = None) -> bytes:
    """An Excel workbook; `stamp` becomes a footer row and the file's author and description."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        with_footer(neutralized(table), stamp).to_excel(writer, index=False, sheet_name=sheet[:31])
        if stamp:
            writer.book.properties.creator = stamp
            writer.book.properties.description = stamp
    return buffer.getvalue()


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
