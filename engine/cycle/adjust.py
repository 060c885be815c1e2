"""Adjustments (直属领导加减分, calibration): checked against the scheme's bound, then applied to a
scored month so total, grade, the three ranks and money follow the adjusted values."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.intake.parse import PROBLEM_COLUMNS, is_xlsx, read_csv_cells, read_xlsx_cells
from engine.schemes.scheme import Scheme, normalize_header
from engine.scoring.score import (
    finish,
    grade_codes,
    grade_labels,
    money,
    round_half_away,
    scheme_cutoffs,
)

ADJUSTED = ["grade", "grade_en", "rank", "dept_rank", "team_rank", "bonus"]
FILE_FIELDS = {
    "employee_id": ["employee_id", "工号", "员工编号", "员工工号", "编号", "id"],
    "points": ["points", "加减分", "加分", "调整分", "adjustment"],
    "grade": ["grade", "等级", "校准等级", "calibrated grade"],
    "reason": ["reason", "原因", "理由", "说明"],
}


def grade_position(grades: pd.Series, scheme: Scheme) -> np.ndarray:
    """Each grade name's position (0 = best) in Chinese or English; −1 where blank, −2 where the
    scheme has no such grade."""
    known = {normalize_header(g.name): i for i, g in enumerate(scheme.grades)}
    known |= {normalize_header(g.name_en): i for i, g in enumerate(scheme.grades)}
    if isinstance(grades.dtype, pd.CategoricalDtype):  # the scored grade column: its codes
        codes, distinct = grades.cat.codes.to_numpy(), grades.cat.categories
    else:
        codes, distinct = pd.factorize(grades.astype(object).fillna(""))  # each name once
    text = [str(g).strip() for g in distinct]
    found = np.array([known.get(normalize_header(g), -2) if g else -1 for g in text] + [-1])
    return found[codes].astype(np.int64)


def check(
    rows: pd.DataFrame, scheme: Scheme, bound: float, employees: set[str], file: str = ""
) -> pd.DataFrame:
    """Every problem of proposed adjustments (employee_id, points, grade, reason as text; `row`
    the spreadsheet row), one line each with file, row, column, value and reason: a points
    value that is no number or beyond ±bound, an unknown grade, neither or both of points and
    grade, no reason, an employee without data in the month, the same employee twice."""
    ids = rows["employee_id"].fillna("").astype(str).str.strip()
    points_text = rows["points"].fillna("").astype(str).str.strip()
    points = pd.to_numeric(points_text.str.replace(",", ""), errors="coerce")
    grades = rows["grade"].fillna("").astype(str).str.strip()
    reason = rows["reason"].fillna("").astype(str).str.strip()
    position = grade_position(grades, scheme)
    findings = [
        (ids.eq(""), "employee_id", ids, "工号为空 / no employee id"),
        (
            ids.ne("") & ~ids.isin(employees),
            "employee_id",
            ids,
            "本月没有此员工的数据 / no such employee in this month",
        ),
        (
            ids.ne("") & ids.duplicated(keep=False),
            "employee_id",
            ids,
            "同一员工出现多次 / the same employee more than once",
        ),
        (
            points_text.ne("") & (points.isna() | ~np.isfinite(points.fillna(0))),
            "points",
            points_text,
            "加减分不是数字 / points are not a number",
        ),
        (
            points.abs() > bound,
            "points",
            points_text,
            f"加减分超出 ±{bound:g} / points beyond ±{bound:g}",
        ),
        (position == -2, "grade", grades, "方案中没有此等级 / the scheme has no such grade"),
        (
            points_text.eq("") & grades.eq(""),
            "points",
            points_text,
            "需要加减分或等级 / give points or a grade",
        ),
        (
            points_text.ne("") & grades.ne(""),
            "grade",
            grades,
            "加减分和等级只能填一个 / give points or a grade, not both",
        ),
        (reason.eq(""), "reason", reason, "需要填写原因 / a reason is required"),
    ]
    parts = [
        pd.DataFrame(
            {"file": file, "row": rows.loc[hit, "row"], "column": column, "value": value[hit]}
        ).assign(problem=text)
        for hit, column, value, text in findings
        if hit.any()
    ]
    if not parts:
        return pd.DataFrame(columns=PROBLEM_COLUMNS)
    problems = pd.concat(parts, ignore_index=True).sort_values("row", kind="stable")
    return problems[PROBLEM_COLUMNS].reset_index(drop=True)


def read_file(data: bytes, file: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """An adjustment file (工号, 加减分 or 等级, 原因; CSV as Excel writes it, UTF-8 or GBK, or
    an Excel workbook's first sheet) as rows (employee_id, points, grade, reason, row) and the
    problems of its header."""
    if is_xlsx(data, file):
        try:
            cells, _ = read_xlsx_cells(data)
        except Exception as exc:  # a damaged workbook fails in many ways (zip, XML, values)
            text = f"无法读取工作簿 / the workbook cannot be read ({type(exc).__name__})"
            return pd.DataFrame(), _problem(file, "", "", text)
    else:
        try:
            cells, _ = read_csv_cells(data)
        except UnicodeDecodeError:
            text = "无法识别文件编码 / not UTF-8 or GBK text: save it as CSV UTF-8 or .xlsx"
            return pd.DataFrame(), _problem(file, "", "", text)
    if cells.empty or len(cells) < 2:
        return pd.DataFrame(), _problem(file, "", "", "文件为空 / the file is empty")
    headers = [normalize_header(str(h)) for h in cells.iloc[0]]
    found = {
        field: next((i for i, h in enumerate(headers) if h in map(normalize_header, names)), None)
        for field, names in FILE_FIELDS.items()
    }
    problems = [
        _problem(file, 1, names[1], "缺少此列 / the column is missing")
        for field, names in FILE_FIELDS.items()
        if found[field] is None and field in ("employee_id", "reason")
    ]
    if found["points"] is None and found["grade"] is None:
        problems.append(_problem(file, 1, "加减分/等级", "需要加减分或等级列 / points or grade"))
    body = cells.iloc[1:].reset_index(drop=True)
    # A row counts when any of its cells holds more than spaces (column by column, no row loop).
    filled = np.zeros(len(body), dtype=bool)
    for i in range(body.shape[1]):
        filled |= body.iloc[:, i].astype(str).str.strip().ne("").to_numpy()
    rows = pd.DataFrame(
        {
            field: body.iloc[:, at] if at is not None else pd.Series("", index=body.index)
            for field, at in found.items()
        }
    ).assign(row=np.arange(2, len(body) + 2))[filled]
    if problems:
        return rows, pd.concat(problems, ignore_index=True)
    return rows.reset_index(drop=True), pd.DataFrame(columns=PROBLEM_COLUMNS)


def _problem(file: str, row, column: str, text: str) -> pd.DataFrame:
    found = {"file": file, "row": row, "column": column, "value": "", "problem": text}
    return pd.DataFrame([found])


def to_store(rows: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Checked rows as the store keeps them: points a number or missing, the grade by its
    Chinese name or missing."""
    points_text = rows["points"].fillna("").astype(str).str.strip().str.replace(",", "")
    position = grade_position(rows["grade"], scheme)
    names = np.array([*scheme.grade_names, None], dtype=object)
    return pd.DataFrame(
        {
            "employee_id": rows["employee_id"].astype(str).str.strip().to_numpy(),
            "points": pd.to_numeric(points_text, errors="coerce").to_numpy(dtype=float),
            "grade": names[np.where(position >= 0, position, len(names) - 1)],
            "reason": rows["reason"].astype(str).str.strip().to_numpy(),
        }
    )


def apply_adjustments(
    table: pd.DataFrame, adjustments: pd.DataFrame, scheme: Scheme
) -> pd.DataFrame:
    """A scored month with its adjustments: the computed total and grade kept beside the adjusted
    ones (computed_total, computed_grade, adjustment, adjustment_reason); total, grade, ranks
    and money follow the adjusted values. Points move the total (2 decimals, then graded); a
    grade set directly replaces the grade and its money, the total and ranks stay. Proposals
    still waiting for approval (approved_by missing, where the column is given) count not."""
    if "approved_by" in adjustments.columns:
        adjustments = adjustments[adjustments["approved_by"].notna()]
    out = table.assign(
        computed_total=table["total"],
        computed_grade=table["grade"],
        adjustment=np.nan,
        adjustment_reason="",
    )
    if adjustments.empty:
        return out
    # Only the few people adjusted are joined on their keys, not every row.
    touched = np.flatnonzero(table["employee_id"].isin(adjustments["employee_id"]).to_numpy())
    keyed = (
        table[["period", "employee_id"]]
        .iloc[touched]
        .merge(
            adjustments.reindex(columns=["period", "employee_id", "points", "grade", "reason"]),
            on=["period", "employee_id"],
            how="left",
        )
    )
    points = np.full(len(table), np.nan)
    points[touched] = keyed["points"].to_numpy(dtype=float)
    reasons = np.full(len(table), "", dtype=object)
    reasons[touched] = keyed["reason"].fillna("").astype(str).to_numpy()
    grades = pd.Series(None, index=table.index, dtype=object)
    grades.iloc[touched] = keyed["grade"].to_numpy(dtype=object)
    out["adjustment"], out["adjustment_reason"] = points, reasons
    chosen = grade_position(grades, scheme)
    if not (np.isfinite(points).any() or (chosen >= 0).any()):
        return out
    total = out["total"].to_numpy(dtype=float)
    moved = np.isfinite(points) & np.isfinite(total)
    total = np.where(moved, round_half_away(total + np.where(moved, points, 0.0)), total)
    out = finish(out.drop(columns=ADJUSTED).assign(total=total), scheme)
    calibrated = (chosen >= 0) & np.isfinite(total)
    if calibrated.any():
        codes = np.where(calibrated, chosen, grade_codes(total, scheme_cutoffs(scheme)))
        out["grade"] = grade_labels(codes, scheme)
        out["grade_en"] = grade_labels(codes, scheme, "en")
        out["bonus"] = np.where(calibrated, money(total, codes, scheme), out["bonus"])
    return out[[*table.columns, *[c for c in out.columns if c not in table.columns]]]


def aligned(table: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """`frame`'s rows (keyed by period and employee_id) in the order of the table's rows. A
    month's facts come in the order the scored table has them, which is checked and then used
    as it is (joining a million rows on text keys takes about a second)."""
    keys = ["period", "employee_id"]
    if len(frame) == len(table) and all(
        table[k].reset_index(drop=True).eq(frame[k].reset_index(drop=True)).all() for k in keys
    ):
        return frame.reset_index(drop=True)
    return table[keys].merge(frame, on=keys, how="left")
