"""Reading monthly CSV files as Excel writes them, and reporting every problem in them at once."""

from __future__ import annotations

import codecs
import csv
import datetime
import hashlib
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from engine.schemes.scheme import Kpi, Scheme, normalize_header
from engine.scoring.parallel import side_by_side

ROSTER_ALIASES: dict[str, tuple[str, ...]] = {
    "period": ("period", "month", "月份", "考核月份", "期间", "考核期间"),
    "employee_id": (
        "employee_id",
        "employee id",
        "emp_id",
        "staff id",
        "id",
        "工号",
        "员工编号",
        "员工工号",
        "编号",
    ),
    "name": ("name", "employee name", "姓名", "员工姓名"),
    "department": ("department", "dept", "部门", "所属部门"),
    "team": ("team", "group", "班组", "小组", "组别"),
    "role": ("role", "position", "岗位", "职位"),
    "region": ("region", "area", "地区", "区域"),
    "hire_date": ("hire_date", "hire date", "入职日期", "入职时间"),
}
REQUIRED = ("employee_id", "name", "department")
TEXT_FIELDS = ("employee_id", "name", "department", "team", "role", "region")
PROBLEM_COLUMNS = ["file", "row", "column", "value", "problem"]
PERIOD_PATTERN = re.compile(r"(20\d{2})\s*(?:[-/._年]\s*)?(0?[1-9]|1[0-2])(?!\d)")
HEADER_ROW = 1  # the spreadsheet row number of the header; data starts on row 2
XLSX_MAGIC = b"PK\x03\x04"
SAMPLE_BYTES = 65536  # read to find the delimiter and the width of the header row


@dataclass
class ParsedFile:
    """A file read and checked: clean facts if it has no problems, else the problem list."""

    file_name: str
    sha256: str
    encoding: str
    period: str | None
    period_source: str
    column_map: dict[str, str]
    facts: pd.DataFrame
    extras: pd.DataFrame
    problems: pd.DataFrame
    warnings: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PROBLEM_COLUMNS))
    scheme_id: str = ""  # the scheme the file was checked against (the store records it)
    scheme_digest: str = ""

    @property
    def ok(self) -> bool:
        return self.problems.empty

    @property
    def rows(self) -> int:
        return len(self.facts)


class ProblemList:
    """Collects problems as small frames so whole columns are checked at once."""

    def __init__(self, file_name: str):
        self.file_name = file_name
        self.parts: list[pd.DataFrame] = []

    def add(self, problem: str, column: str = "", row: int | None = None, value: str = "") -> None:
        self.parts.append(
            pd.DataFrame([{"row": row, "column": column, "value": value, "problem": problem}])
        )

    def add_rows(
        self, mask: pd.Series, rows: pd.Series, column: str, values: pd.Series, problem
    ) -> None:
        """One problem per row where mask is true; `problem` is a text or a Series of texts."""
        if not mask.any():
            return
        reason = problem[mask] if isinstance(problem, pd.Series) else problem
        self.parts.append(
            pd.DataFrame(
                {"row": rows[mask], "column": column, "value": values[mask], "problem": reason}
            )
        )

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame(columns=PROBLEM_COLUMNS)
        out = pd.concat(self.parts, ignore_index=True).assign(file=self.file_name)
        out["row"] = out["row"].astype("Int64")
        out["value"] = out["value"].fillna("").astype(str)
        return out[PROBLEM_COLUMNS].sort_values(
            "row", na_position="first", kind="stable", ignore_index=True
        )


Check = Callable[[ProblemList, ProblemList], object]  # a check of a file: (problems, warnings)


def _checked(check: Check, file_name: str) -> tuple[object, ProblemList, ProblemList]:
    """Run one check with problem and warning lists of its own."""
    found, notes = ProblemList(file_name), ProblemList(file_name)
    return check(found, notes), found, notes


# ------------------------------------------------------------------ decoding and reading


def decode(data: bytes) -> tuple[str, str]:
    """Text and encoding name: BOM first, then strict UTF-8, then strict GB18030 (covers GBK)."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("gb18030"), "gb18030"


def read_csv_cells(data: bytes) -> tuple[pd.DataFrame, str]:
    """Every cell of a CSV file as text (see read_cells) and the file's encoding. UTF-8, with or
    without BOM, goes straight to the fast reader, which checks the encoding as it reads; any
    other file, or one the fast reader refuses, is decoded in Python first."""
    utf8 = data.removeprefix(codecs.BOM_UTF8)
    head = utf8[:SAMPLE_BYTES].decode("utf-8", errors="ignore")
    tried = bool(head.strip()) and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if tried:
        try:
            cells = _read_cells_arrow(utf8, head)
            return cells, "utf-8-sig" if len(utf8) < len(data) else "utf-8"
        except (pa.ArrowInvalid, csv.Error, StopIteration):
            pass  # not UTF-8 (GBK, say), or rows the fast reader refuses
    text, encoding = decode(data)
    # UTF-8 text the fast reader has already refused goes straight to the careful reader.
    return read_cells(text, fast=not (tried and encoding.startswith("utf-8"))), encoding


def read_cells(text: str, fast: bool = True) -> pd.DataFrame:
    """Every cell as text (blank = ""), header included as row 0, blank lines kept in place."""
    if not text.strip():
        return pd.DataFrame()
    if fast:
        try:
            return _read_cells_arrow(text.encode("utf-8"), text[:SAMPLE_BYTES])
        except (pa.ArrowInvalid, csv.Error, StopIteration):
            pass
    return _read_cells_pandas(text, _delimiter(text[:SAMPLE_BYTES]))


def _delimiter(sample: str) -> str:
    sample = sample[:4096]
    return "\t" if sample.count("\t") > sample.count(",") else ","


def _read_cells_arrow(utf8: bytes, head: str) -> pd.DataFrame:
    """The fast reader (pyarrow, on every core); refuses text that is not UTF-8, ragged rows and
    blank lines, which the careful path then reads."""
    delimiter = _delimiter(head)
    first_line = io.StringIO(head[: head.find("\n") + 1 or None])
    width = len(next(csv.reader(first_line, delimiter=delimiter)))
    names = [str(i) for i in range(width)]
    table = pa_csv.read_csv(
        io.BytesIO(utf8),
        read_options=pa_csv.ReadOptions(column_names=names),
        parse_options=pa_csv.ParseOptions(
            delimiter=delimiter,
            # Only a quoted cell can hold a line break; parsing is faster when none can.
            newlines_in_values=b'"' in utf8,
            ignore_empty_lines=False,
        ),
        convert_options=pa_csv.ConvertOptions(
            column_types={n: pa.string() for n in names}, strings_can_be_null=False
        ),
    )
    cells = table.to_pandas()
    return cells.set_axis(range(width), axis=1)


def _read_cells_pandas(text: str, delimiter: str) -> pd.DataFrame:
    options = dict(
        header=None,
        dtype=str,
        keep_default_na=False,
        skip_blank_lines=False,
        sep=delimiter,
        quoting=csv.QUOTE_MINIMAL,
        engine="c",
    )
    try:
        cells = pd.read_csv(io.StringIO(text), **options)
    except pd.errors.ParserError:
        # A row longer than the header (stray cells right of the table, often empty) makes
        # pandas give up; read again as wide as the widest row and let the checks judge it.
        try:
            width = max(len(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter))
        except csv.Error as exc:
            raise ValueError(str(exc)) from exc
        cells = pd.read_csv(io.StringIO(text), names=range(width), **options)
    return cells.fillna("")


# ------------------------------------------------------------------ header matching


def field_lookup(scheme: Scheme) -> dict[str, str]:
    """Normalised header → field (a roster field or a KPI id)."""
    lookup = {normalize_header(a): f for f, aliases in ROSTER_ALIASES.items() for a in aliases}
    for kpi in scheme.kpis:
        for alias in (kpi.id, kpi.name_zh, kpi.name_en, *kpi.aliases):
            lookup[normalize_header(alias)] = kpi.id
    return lookup


def match_columns(
    headers: list[str], scheme: Scheme, overrides: dict[str, str] | None = None
) -> dict[str, str]:
    """Header → field ("" for a column kept as an extra); a user's override wins."""
    lookup = field_lookup(scheme)
    overrides = overrides or {}
    return {
        h: overrides[h] if h in overrides else lookup.get(normalize_header(h), "") for h in headers
    }


# ------------------------------------------------------------------ period


def header_signature(headers: list[str]) -> str:
    """A key for 'files with this header', so column choices can be remembered."""
    joined = "\x1f".join(normalize_header(h) for h in headers)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:24]


def period_from_text(text: str) -> str | None:
    """'2026-10', '2026/10', '2026年10月', '考核_2026年10月.csv', '2026-10-01' → '2026-10'."""
    found = PERIOD_PATTERN.search(str(text))
    return f"{found.group(1)}-{int(found.group(2)):02d}" if found else None


# ------------------------------------------------------------------ parsing


def is_xlsx(data: bytes, file_name: str = "") -> bool:
    """An Excel 2007+ workbook (a zip file), by its first bytes or its name."""
    return data.startswith(XLSX_MAGIC) or file_name.lower().endswith((".xlsx", ".xlsm"))


def xlsx_sheets(data: bytes) -> list[str]:
    """The sheet names of a workbook, in order."""
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def _cell_text(value: object, number_format: str) -> str:
    """A cell as the text Excel shows: 0.925 formatted as a percent is '92.5%'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, int | float):
        if "%" in (number_format or ""):
            return f"{value * 100:.10g}%"
        return f"{value:.15g}"
    return str(value)


def read_xlsx_cells(data: bytes, sheet: str | None = None) -> tuple[pd.DataFrame, str]:
    """Every cell of a sheet (the first unless named) as text, header row included."""
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        chosen = workbook[sheet] if sheet else workbook.worksheets[0]
        rows = [
            [_cell_text(c.value, getattr(c, "number_format", "")) for c in row]
            for row in chosen.iter_rows()
        ]
        name = chosen.title
    finally:
        workbook.close()
    width = max((len(r) for r in rows), default=0)
    cells = pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=str)
    return cells, name


def parse_file(
    source: str | Path | bytes,
    scheme: Scheme,
    file_name: str | None = None,
    period: str | None = None,
    overrides: dict[str, str] | None = None,
    sheet: str | None = None,
) -> ParsedFile:
    """Read one monthly file (CSV or XLSX, a path or bytes) and check it against the scheme."""
    data = Path(source).read_bytes() if not isinstance(source, bytes) else source
    name = file_name or (Path(source).name if not isinstance(source, bytes) else "upload.csv")
    problems = ProblemList(name)
    if is_xlsx(data, name):
        try:
            cells, sheet_name = read_xlsx_cells(data, sheet)
        except (KeyError, ValueError, OSError, zipfile.BadZipFile) as exc:
            problems.add(f"the workbook cannot be read: {exc}")
            return _failed(name, data, "xlsx", problems)
        encoding = f"xlsx, sheet {sheet_name}"
        return parse_cells(cells, scheme, name, data, encoding, period, overrides)
    try:
        cells, encoding = read_csv_cells(data)
    except UnicodeDecodeError:
        problems.add("the file is neither UTF-8 nor GBK/GB18030 text (is it an Excel .xls file?)")
        return _failed(name, data, "unknown", problems)
    except (pd.errors.ParserError, ValueError) as exc:
        problems.add(f"the file cannot be read as CSV: {exc}")
        return _failed(name, data, decode(data)[1], problems)
    return parse_cells(cells, scheme, name, data, encoding, period, overrides)


def _failed(name: str, data: bytes, encoding: str, problems: ProblemList) -> ParsedFile:
    empty = pd.DataFrame()
    return ParsedFile(name, sha256(data), encoding, None, "", {}, empty, empty, problems.frame())


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_cells(
    cells: pd.DataFrame,
    scheme: Scheme,
    file_name: str,
    data: bytes,
    encoding: str,
    period: str | None = None,
    overrides: dict[str, str] | None = None,
) -> ParsedFile:
    """Check a grid of text cells (row 0 = header) and turn it into clean facts."""
    problems = ProblemList(file_name)
    warnings = ProblemList(file_name)
    if cells.empty or cells.shape[0] == 0:
        problems.add("the file is empty")
        return _failed(file_name, data, encoding, problems)
    # KPI columns are cleaned by _numbers (spaces included); strip only the other columns.
    headers = [str(h).strip() for h in cells.iloc[0]]
    kpi_columns = {
        i
        for i, f in enumerate(match_columns(headers, scheme, overrides).values())
        if f in scheme.kpi_ids
    }
    body = cells.iloc[1:]
    body = pd.concat(
        side_by_side(
            lambda c: body[c] if c in kpi_columns else body[c].str.strip(), body.columns, len(body)
        ),
        axis=1,
    )
    body = body.set_axis(np.arange(len(body)) + HEADER_ROW + 1, axis=0)
    body = body[_filled_rows(body)]
    keep = [i for i, h in enumerate(headers) if h != "" or body.iloc[:, i].ne("").any()]
    for i in keep:
        if headers[i] == "":
            problems.add(
                f"column {_column_letter(i)} has values but no header", column=_column_letter(i)
            )
    headers = [headers[i] for i in keep]
    body = body.iloc[:, keep].set_axis(headers, axis=1) if keep else body.iloc[:, :0]
    if body.empty:
        problems.add("the file has no data rows, only a header" if headers else "the file is empty")
    column_map = match_columns(headers, scheme, overrides)
    _check_header(headers, column_map, problems, period)
    unreadable = bool(problems.parts)
    # A missing required column does not stop the rows from being checked: all problems at once.
    _check_required(column_map, problems)
    if unreadable:
        result = _failed(file_name, data, encoding, problems)
        result.column_map = column_map
        return result
    rows = pd.Series(body.index, index=body.index)
    by_field = {f: h for h, f in column_map.items() if f}
    facts = pd.DataFrame(index=body.index)
    for fld in TEXT_FIELDS:
        facts[fld] = body[by_field[fld]] if fld in by_field else ""
    kpis = [kpi for kpi in scheme.kpis if kpi.id in by_field]

    def kpi_check(kpi: Kpi) -> Check:
        header = by_field[kpi.id]
        return lambda found, notes: _numbers(body[header], rows, header, kpi, found, notes)

    # Independent steps run side by side, each with problem lists of its own, joined afterwards
    # in this order.
    steps: dict[str, Check] = {
        "roster": lambda found, _: _check_roster(facts, rows, by_field, found),
        "hire_date": lambda found, _: _dates(body, rows, by_field.get("hire_date"), found),
        "period": lambda found, _: _resolve_period(
            body, rows, by_field.get("period"), file_name, period, found
        ),
        "blank_text": lambda *_: {
            f: facts[f].mask(facts[f].eq("")) for f in ("team", "role", "region")
        },
        "sha256": lambda *_: sha256(data),
        **{f"kpi {kpi.id}": kpi_check(kpi) for kpi in kpis},
    }
    outcomes = side_by_side(partial(_checked, file_name=file_name), steps.values(), len(body))
    done = {}
    for name, (result, found, notes) in zip(steps, outcomes, strict=True):
        done[name] = result
        problems.parts += found.parts
        warnings.parts += notes.parts
    resolved, source = done["period"]
    facts = facts.assign(
        **done["blank_text"],
        hire_date=done["hire_date"],
        **{kpi.id: done[f"kpi {kpi.id}"] for kpi in kpis},
    )
    facts.insert(0, "period", resolved)
    extras = _extras(body, facts["employee_id"], [h for h, f in column_map.items() if not f])
    facts.insert(1, "source_row", rows.astype("int64"))
    return ParsedFile(
        file_name=file_name,
        sha256=done["sha256"],
        encoding=encoding,
        period=resolved,
        period_source=source,
        column_map=column_map,
        facts=facts.reset_index(drop=True),
        extras=extras,
        problems=problems.frame(),
        warnings=warnings.frame(),
        scheme_id=scheme.id,
        scheme_digest=scheme.digest,
    )


def _filled_rows(body: pd.DataFrame) -> pd.Series:
    """Rows with at least one cell filled in. Most rows have their first cell, so only the
    others are looked at across every column."""
    filled = body.iloc[:, 0].ne("") if body.shape[1] else pd.Series(False, index=body.index)
    if not filled.all():
        filled[~filled] = body[~filled].ne("").any(axis=1)
    return filled


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _check_header(
    headers: list[str], column_map: dict[str, str], problems: ProblemList, period: str | None
) -> None:
    seen: dict[str, str] = {}
    for position, header in enumerate(headers):
        fld = column_map.get(header, "")
        if headers.count(header) > 1 and header not in headers[:position]:
            problems.add(
                f"the column '{header}' appears {headers.count(header)} times",
                column=header,
                row=HEADER_ROW,
            )
        if fld and fld in seen and seen[fld] != header:
            problems.add(
                f"columns '{seen[fld]}' and '{header}' both mean {fld}",
                column=header,
                row=HEADER_ROW,
            )
        seen.setdefault(fld, header) if fld else None


def _check_required(column_map: dict[str, str], problems: ProblemList) -> None:
    present = set(column_map.values())
    for fld in REQUIRED:
        if fld not in present:
            chinese = next(a for a in ROSTER_ALIASES[fld] if not a.isascii())
            problems.add(
                f"the required column {chinese} ({fld}) is missing", column=fld, row=HEADER_ROW
            )


def _check_roster(
    facts: pd.DataFrame, rows: pd.Series, by_field: dict[str, str], problems: ProblemList
) -> None:
    for fld in (f for f in REQUIRED if f in by_field):
        header = by_field[fld]
        problems.add_rows(facts[fld].eq(""), rows, header, facts[fld], f"{header} is empty")
    ids = facts["employee_id"]
    if ids.is_unique:  # the usual case, found several times faster than duplicated()
        return
    duplicated = ids.ne("") & ids.duplicated(keep=False)
    if duplicated.any() and "employee_id" in by_field:
        first_row = rows.groupby(ids).transform("min")
        reason = (
            "employee id appears more than once in this month (first in row "
            + first_row.astype(str)
            + ")"
        )
        problems.add_rows(duplicated, rows, by_field["employee_id"], ids, reason)


def _dates(
    body: pd.DataFrame, rows: pd.Series, header: str | None, problems: ProblemList
) -> pd.Series:
    if header is None:
        return pd.Series(pd.NaT, index=body.index, dtype="datetime64[s]")
    codes, distinct = pd.factorize(body[header])
    text = pd.Series(distinct, dtype=str).str.replace(r"[年月/.]", "-", regex=True)
    text = text.str.replace("日", "")
    parsed = pd.to_datetime(text, errors="coerce", format="%Y-%m-%d")
    retry = parsed.isna() & text.ne("")
    if retry.any():
        parsed[retry] = pd.to_datetime(text[retry], errors="coerce", format="mixed")
    dates = pd.Series(
        parsed.to_numpy()[codes] if len(distinct) else [], index=body.index, dtype="datetime64[ns]"
    )
    text = body[header]
    problems.add_rows(
        dates.isna() & text.ne(""), rows, header, body[header], "not a date (use 2024-03-15)"
    )
    return dates.astype("datetime64[s]")


def _resolve_period(
    body: pd.DataFrame,
    rows: pd.Series,
    header: str | None,
    file_name: str,
    explicit: str | None,
    problems: ProblemList,
) -> tuple[str | None, str]:
    if explicit is not None:
        chosen = period_from_text(explicit)
        if chosen is None:
            problems.add(f"the month '{explicit}' given for this file is not a month like 2026-10")
            return None, "option"
        source = "option"
    elif header is not None:
        chosen, source = None, "column"
    else:
        chosen, source = period_from_text(Path(file_name).stem), "file name"
    if header is not None:
        values = body[header]
        codes, distinct = pd.factorize(values)
        months = np.array([period_from_text(v) for v in distinct] + [None], dtype=object)
        parsed = pd.Series(months[codes], index=values.index)
        problems.add_rows(parsed.isna(), rows, header, values, "not a month (use 2026-10)")
        months = sorted(parsed.dropna().unique())
        if chosen is None and len(months) == 1:
            chosen = months[0]
        elif chosen is None and len(months) > 1:
            problems.add(
                f"the file holds more than one month ({', '.join(months)}): one file per month",
                column=header,
            )
        if chosen is not None:
            problems.add_rows(
                parsed.notna() & parsed.ne(chosen),
                rows,
                header,
                values,
                f"month differs from {chosen}",
            )
    if chosen is None and header is None:
        problems.add(
            "the month is unknown: add a 月份/period column, name the file like "
            "2026-10.csv, or choose the month when importing"
        )
    return chosen, source


def _numbers(
    raw: pd.Series,
    rows: pd.Series,
    header: str,
    kpi: Kpi,
    problems: ProblemList,
    warnings: ProblemList,
) -> pd.Series:
    """Parse a KPI column: '1,234' and '92%' are numbers; text and out-of-range values fail."""
    numbers = _plain_numbers(raw)
    if numbers is None:
        text = raw.str.replace(r"[ \t\u00a0\u3000,，]", "", regex=True)
        blank = text.eq("")
        percent = text.str.endswith(("%", "％"))
        numbers = pd.to_numeric(text.str.rstrip("%％"), errors="coerce").astype(float)
        numbers = numbers.where(np.isfinite(numbers))
        problems.add_rows(~blank & numbers.isna(), rows, header, raw, "not a number")
    else:
        percent = pd.Series(False, index=raw.index)
    if kpi.unit != "%":
        problems.add_rows(
            percent & numbers.notna(),
            rows,
            header,
            raw,
            f"a percent sign in a column measured in {kpi.unit}",
        )
    low, high = kpi.valid_range
    below, above = numbers < low, numbers > high
    if kpi.unit == "%" and high == 100:
        above_text = "a percent above 100"
    elif kpi.method == "rating":
        above_text = f"above the rating scale {low:g}–{high:g}"
    else:
        above_text = f"above the highest allowed {high:g}"
    below_text = f"negative {kpi.unit}" if low == 0 else f"below the lowest allowed {low:g}"
    problems.add_rows(below, rows, header, raw, below_text)
    problems.add_rows(above, rows, header, raw, above_text)
    given = numbers.dropna()
    if (
        kpi.unit == "%"
        and len(given)
        and not percent.any()
        and given.between(0, 1).all()
        and given.max() > 0
    ):
        warnings.add(
            "every value lies between 0 and 1: are these fractions, not percents? "
            "(0.92 should be written 92)",
            column=header,
        )
    return numbers.where(~(below | above))


def _plain_numbers(raw: pd.Series) -> pd.Series | None:
    """The fast path for a column of plain numbers and blanks (most files): None when any cell
    needs cleaning ('1,234', '92%', text), which the careful path then handles."""
    cells = pc.fill_null(pa.array(raw, type=pa.string(), from_pandas=True), "")
    try:
        values = pc.cast(pc.if_else(pc.equal(cells, ""), None, cells), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    numbers = values.to_numpy(zero_copy_only=False)
    blank = pc.equal(cells, "").to_numpy(zero_copy_only=False)
    if not np.isfinite(numbers[~blank]).all():  # 'nan' or 'inf' written as text
        return None
    return pd.Series(numbers, index=raw.index, dtype=float)


def _extras(body: pd.DataFrame, ids: pd.Series, headers: list[str]) -> pd.DataFrame:
    """Columns the scheme does not know, kept as text so a later scheme can use them."""
    if not headers:
        return pd.DataFrame(columns=["employee_id", "column", "value"])
    wide = body[headers].assign(employee_id=ids)
    long = wide.melt(id_vars="employee_id", var_name="column", value_name="value")
    return long[long["value"].ne("")].reset_index(drop=True)
