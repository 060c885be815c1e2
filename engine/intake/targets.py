"""Target files (目标): per person (工号) or per team (部门 + 班组) and month, one column per KPI,
read as monthly files are (CSV as Excel writes it, UTF-8 or GBK, or .xlsx; Chinese or English
headers), every problem listed with file, row, column, value and reason."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from engine.intake.parse import (
    PROBLEM_COLUMNS,
    field_lookup,
    is_xlsx,
    period_from_text,
    read_csv_cells,
    read_xlsx_cells,
)
from engine.schemes.scheme import Scheme, normalize_header
from engine.scoring.targets import target_problem

# A KPI header may say it holds a target: 工单达成率目标, 目标工单达成率, order_achievement target.
TARGET_WORDS = re.compile(r"^(目标|target[ _]?)|([ _]?target|目标值|目标)$", re.IGNORECASE)
ROSTER_FIELDS = ("period", "employee_id", "name", "department", "team")
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def columns_of(headers: list[str], scheme: Scheme) -> dict[int, str]:
    """Column position → field (a roster field or a KPI id) for the headers it recognises."""
    lookup = field_lookup(scheme)
    found = {}
    for i, header in enumerate(headers):
        key = normalize_header(header)
        field = lookup.get(key) or lookup.get(normalize_header(TARGET_WORDS.sub("", key)))
        if field in ROSTER_FIELDS or field in scheme.kpi_ids:
            found.setdefault(i, field)
    return found


def parse_targets(
    data: bytes, file: str, scheme: Scheme, period: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, str | None]:
    """A target file as rows (scope, employee_id, department, team, kpi, target), its problems
    (empty when it can be stored) and its month: the 月份 column, else the file name, else
    `period`. Blank cells set no target."""
    cells, problem = _cells(data, file)
    if problem is not None:
        return _no_rows(), problem, None
    headers = [str(h) for h in cells.iloc[0]]
    found = columns_of(headers, scheme)
    fields = {f: i for i, f in found.items()}
    kpis = [(i, f) for i, f in found.items() if f in scheme.kpi_ids]
    problems = []
    if not kpis:
        problems.append(_at(file, 1, "", "", "没有可识别的指标列 / no KPI column recognised"))
    if "employee_id" not in fields and "team" not in fields:
        problems.append(_at(file, 1, "", "", "需要工号列或班组列 / an 工号 or a 班组 column"))
    body = cells.iloc[1:].reset_index(drop=True).astype(str).apply(lambda c: c.str.strip())
    filled = (body != "").any(axis=1).to_numpy()
    body, rows = body[filled].reset_index(drop=True), np.arange(2, len(filled) + 2)[filled]
    month, month_problems = _month(body, fields, headers, rows, file, period)
    problems += month_problems
    if problems:
        return _no_rows(), _joined(problems), month

    def text(field: str) -> pd.Series:
        at = fields.get(field)
        return body.iloc[:, at] if at is not None else pd.Series("", index=body.index)

    ids, teams, departments = text("employee_id"), text("team"), text("department")
    scope = np.where(ids != "", "person", "team")
    problems += _roster_problems(ids, teams, departments, rows, headers, fields, file)
    long = []
    for at, kpi_id in kpis:
        raw = body.iloc[:, at]
        number = pd.to_numeric(
            raw.str.replace(r"[,，%％\s]", "", regex=True), errors="coerce"
        ).where(lambda v: np.isfinite(v))
        bad = (raw != "") & number.isna()
        problems.append(
            _rows(file, rows[bad.to_numpy()], headers[at], raw[bad], "不是数字 / not a number")
        )
        negative = number < 0
        problems.append(
            _rows(
                file,
                rows[negative.to_numpy()],
                headers[at],
                raw[negative],
                "目标不能为负 / a negative target",
            )
        )
        kpi = scheme.kpi(kpi_id)
        unusable = _unusable(number, kpi)
        if unusable.any():
            zh, en = target_problem(kpi, float(number[unusable].iloc[0]))
            problems.append(
                _rows(file, rows[unusable.to_numpy()], headers[at], raw[unusable], f"{zh} / {en}")
            )
        kept = number.notna() & ~negative & ~unusable
        long.append(
            pd.DataFrame(
                {
                    "scope": scope[kept.to_numpy()],
                    "employee_id": ids[kept].to_numpy(),
                    "department": departments[kept].to_numpy(),
                    "team": np.where(scope == "person", "", teams)[kept.to_numpy()],
                    "kpi": kpi_id,
                    "target": number[kept].to_numpy(dtype=float),
                }
            )
        )
    problems = [p for p in problems if not p.empty]
    if problems:
        return _no_rows(), _joined(problems), month
    out = pd.concat(long, ignore_index=True) if long else _no_rows()
    out["department"] = np.where(out["scope"] == "person", "", out["department"])
    return out.reset_index(drop=True), pd.DataFrame(columns=PROBLEM_COLUMNS), month


def _unusable(number: pd.Series, kpi) -> pd.Series:
    """Targets a linear KPI cannot score against: on the wrong side of its floor."""
    if kpi.method != "linear":
        return pd.Series(False, index=number.index)
    wrong = number <= kpi.floor if kpi.direction == "higher" else number >= kpi.floor
    return wrong.fillna(False).astype(bool)


def _cells(data: bytes, file: str) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The file's cells as text, or the problem that stops reading it."""
    try:
        cells, _ = read_xlsx_cells(data) if is_xlsx(data, file) else read_csv_cells(data)
    except UnicodeDecodeError:
        text = "无法识别文件编码 / not UTF-8 or GBK text: save it as CSV UTF-8 or .xlsx"
        return pd.DataFrame(), _joined([_at(file, "", "", "", text)])
    except Exception as exc:  # a damaged workbook fails in many ways (zip, XML, values)
        text = f"无法读取文件 / the file cannot be read ({type(exc).__name__})"
        return pd.DataFrame(), _joined([_at(file, "", "", "", text)])
    if cells.empty or len(cells) < 2:
        return cells, _joined([_at(file, "", "", "", "文件为空 / the file is empty")])
    return cells, None


def _month(body, fields, headers, rows, file, period):
    """The file's month and the problems with it (a cell that is no month or another month)."""
    if "period" in fields:
        at = fields["period"]
        raw = body.iloc[:, at]
        months = raw.map(lambda v: period_from_text(v) or "")
        wanted = period or (months[months != ""].iloc[0] if (months != "").any() else None)
        bad = (months == "") | (months != wanted)
        if bad.any():
            reason = "不是月份或与文件的月份不同 / not a month, or not the file's month"
            return wanted, [_rows(file, rows[bad.to_numpy()], headers[at], raw[bad], reason)]
        return wanted, []
    found = period or period_from_text(file)
    if found is None or not MONTH.match(found):
        text = "缺少月份:加一列 月份,或在文件名中写明(如 目标_2026-10.csv)/ no month"
        return None, [_at(file, 1, "月份", "", text)]
    return found, []


def _roster_problems(ids, teams, departments, rows, headers, fields, file) -> list[pd.DataFrame]:
    """Rows naming nobody, a person or a team twice."""
    person, team = ids != "", (ids == "") & (teams != "")
    nobody = (ids == "") & (teams == "")
    header = headers[fields["employee_id"]] if "employee_id" in fields else headers[fields["team"]]
    out = [
        _rows(
            file, rows[nobody.to_numpy()], header, ids[nobody], "需要工号或班组 / an 工号 or a 班组"
        )
    ]
    twice = person & ids.duplicated(keep=False)
    out.append(
        _rows(
            file,
            rows[twice.to_numpy()],
            header,
            ids[twice],
            "同一员工出现多次 / the same employee more than once",
        )
    )
    key = departments + "\x1f" + teams
    twice = team & key.where(team).duplicated(keep=False) & team
    if "team" in fields:
        out.append(
            _rows(
                file,
                rows[twice.to_numpy()],
                headers[fields["team"]],
                teams[twice],
                "同一班组出现多次 / the same team more than once",
            )
        )
    return out


def _rows(file: str, rows: np.ndarray, column: str, values: pd.Series, text: str) -> pd.DataFrame:
    return pd.DataFrame(
        {"file": file, "row": rows, "column": column, "value": values.to_numpy(), "problem": text}
    )


def _at(file: str, row, column: str, value: str, text: str) -> pd.DataFrame:
    return pd.DataFrame(
        [{"file": file, "row": row, "column": column, "value": value, "problem": text}]
    )


def _joined(problems: list[pd.DataFrame]) -> pd.DataFrame:
    found = [p for p in problems if not p.empty]
    if not found:
        return pd.DataFrame(columns=PROBLEM_COLUMNS)
    return pd.concat(found, ignore_index=True)[PROBLEM_COLUMNS]


def _no_rows() -> pd.DataFrame:
    return pd.DataFrame(columns=["scope", "employee_id", "department", "team", "kpi", "target"])
