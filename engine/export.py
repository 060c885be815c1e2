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


def csv_bytes(table: pd.DataFrame) -> bytes:
    """UTF-8 with BOM, so Excel shows Chinese correctly."""
    return neutralized(table).to_csv(index=False).encode("utf-8-sig")


def xlsx_bytes(table: pd.DataFrame, sheet: str = "scores") -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        neutralized(table).to_excel(writer, index=False, sheet_name=sheet[:31])
    return buffer.getvalue()


def write_table(table: pd.DataFrame, path: str | Path) -> Path:
    """Write CSV, or XLSX when the name ends in .xlsx."""
    target = Path(path)
    data = xlsx_bytes(table) if target.suffix.lower() == ".xlsx" else csv_bytes(table)
    target.write_bytes(data)
    return target
