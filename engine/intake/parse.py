"""Reading monthly CSV files as Excel writes them, and reporting every problem in them at once."""

from __future__ import annotations

import codecs
import csv
import datetime
import hashlib
import io
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from engine.schemes.rules_spec import Input, RulesError, load_rules, parse_input, rules_key
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
# Sane limits, checked before the expensive work so an absurd file is refused at once (a file of
# 100,000 columns once kept the server busy for minutes): the widest scheme has about 40 columns,
# the bench imports 1,000,000 rows in one file.
MAX_COLUMNS = 500
MAX_ROWS = 2_000_000
MAX_CELL_CHARS = 5_000
MAX_EXTRA_CELLS = 5_000_000  # cells of columns the scheme does not use (kept as extras)
MAX_BYTES = 512 * 2**20  # a CSV file, or a worksheet's XML unpacked from a workbook
CR_MARK = b"\x1a"  # stands for a bare carriage return inside a row while the file is read
CR_SHOWN = "\u240d"  # ␍, how such a carriage return is shown in the problem list
CONTROL = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
ZERO_WIDTH = "[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
FORMULA = re.compile(rb"<f[ >/]")
# Bytes that may start a control or zero-width character in UTF-8; the lead bytes E1, E2 and EF
# also start common characters, so the byte after them decides.
SUSPECT_BYTES = np.zeros(256, dtype=bool)
SUSPECT_BYTES[[*range(0x20), 0x7F, 0xC2, 0xE1, 0xE2, 0xEF]] = True
LEAD_BYTES = np.zeros(256, dtype=bool)
LEAD_BYTES[[0xE1, 0xE2, 0xEF]] = True
RULE_INPUTS: dict[str, tuple[Input, ...]] = {}  # the inputs of each scheme's rules, read once
PLAIN_DATE = r"^(19|20|21)\d\d-\d\d-\d\d$"  # what most files hold, read at full speed
DATE_PATTERN = (
    r"^(?:(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
    r"|(\d{4})(\d{2})(\d{2}))$"
)


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


class Refused(ValueError):
    """A file beyond the sane limits, refused before it is read any further."""

    def __init__(self, message: str, row: int | None = None):
        super().__init__(message)
        self.row = row


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
        _check_width(width)
        cells = pd.read_csv(io.StringIO(text), names=range(width), **options)
    return cells.fillna("")


def _check_width(width: int, row: int | None = None) -> None:
    if width > MAX_COLUMNS:
        raise Refused(
            f"the file has {width:,} columns; at most {MAX_COLUMNS:,} are accepted", row=row
        )


def _check_csv_size(data: bytes) -> tuple[int, int]:
    """Refuse a CSV file beyond the limits from cheap counts of its bytes, before reading it;
    otherwise the number of lines and the length of the longest (in bytes)."""
    if len(data) > MAX_BYTES:
        raise Refused(f"the file has {len(data):,} bytes; at most {MAX_BYTES:,} are accepted")
    ends = b"\n" if b"\n" in data else b"\r"
    line_ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == ord(ends))
    lines = len(line_ends) + (not data.endswith(ends))
    longest = int(np.diff(line_ends, prepend=-1, append=len(data)).max())
    if lines - 1 > MAX_ROWS:
        raise Refused(f"the file has {lines - 1:,} rows; at most {MAX_ROWS:,} are accepted")
    first = data[: data.find(ends)] if ends in data else data
    delimiter = b"\t" if first.count(b"\t") > first.count(b",") else b","
    if first.count(delimiter) + 1 > MAX_COLUMNS:  # quoted delimiters only make it look wider
        text = first.decode("utf-8", errors="ignore")
        _check_width(len(_one_row(text, delimiter.decode())), row=HEADER_ROW)
    return lines, longest


def _first_line(data: bytes) -> list[str]:
    """The header cells, read from the first line alone (to refuse a file before reading it)."""
    ends = b"\n" if b"\n" in data[:SAMPLE_BYTES] else b"\r"
    first = data[: data.find(ends)] if ends in data[:SAMPLE_BYTES] else data[:SAMPLE_BYTES]
    text = _decode_prefix(first.removeprefix(codecs.BOM_UTF8))
    return [c.strip() for c in _one_row(text, _delimiter(text))]


def _one_row(text: str, delimiter: str) -> list[str]:
    """The cells of one line of text (a stray line break or quote in it is read as text)."""
    try:
        return next(
            csv.reader([text.replace("\r", " ").replace("\n", " ")], delimiter=delimiter), []
        )
    except csv.Error:
        return text.split(delimiter)


def _decode_prefix(data: bytes) -> str:
    """Text of the start of a file, UTF-8 else GB18030, never failing (for a first look only)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def _read_csv(data: bytes, lines: int) -> tuple[pd.DataFrame, str, bool]:
    """The cells and encoding of a CSV file (see read_csv_cells), read again with its bare
    carriage returns marked when it has any; and whether it had."""
    try:
        cells, encoding = read_csv_cells(data)
    except UnicodeDecodeError:
        raise
    except (pd.errors.ParserError, ValueError):
        readable, marked = _mark_bare_carriage_returns(data)
        if not marked:
            raise
        return (*read_csv_cells(readable), True)
    if not _may_hold_bare_carriage_returns(data, cells, lines):
        return cells, encoding, False
    readable, marked = _mark_bare_carriage_returns(data)
    return (*read_csv_cells(readable), True) if marked else (cells, encoding, False)


def _may_hold_bare_carriage_returns(data: bytes, cells: pd.DataFrame, lines: int) -> bool:
    """pandas' to_csv leaves a carriage return inside a cell unquoted, and every reader takes it
    for a line end, splitting the row. Without one, a file whose lines end in LF or CRLF reads
    as one row per line (quoted line breaks aside), which is cheap to see."""
    return b"\r" in data and len(cells) != lines


def _mark_bare_carriage_returns(data: bytes) -> tuple[bytes, bool]:
    """The file with each carriage return that does not end a line replaced by a mark, so the
    row stays whole and the cell can be named; and whether there was one."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\n" not in data:
        return data, False
    if re.search(rb"\r(?!\n)", data) is None:
        return data, False
    return re.sub(rb"\r(?!\n)", CR_MARK, data), True


def _marked_cells(cells: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The cells that held a bare carriage return (as findings), and the grid without the
    marks (so the cell is not also reported as, say, not a number)."""
    mark = CR_MARK.decode()
    found, cells = [], cells.copy()
    for column in cells.columns:
        held = cells[column].str.contains(mark, regex=False)
        if held.any():
            shown = cells.loc[held, column].str.replace(mark, CR_SHOWN, regex=False)
            found.append(_findings(shown, column, "a line break (CR) inside the cell: remove it"))
            cells[column] = cells[column].str.replace(mark, "", regex=False)
    return cells, pd.concat(found) if found else _findings()


def _findings(values: pd.Series | None = None, column: int = 0, problem: str = "") -> pd.DataFrame:
    """Problems found while reading, by grid position (row 0 = the header row)."""
    if values is None:
        return pd.DataFrame(columns=["grid_row", "grid_column", "value", "problem"])
    return pd.DataFrame(
        {"grid_row": values.index, "grid_column": column, "value": values, "problem": problem}
    )


def _cut_short(data: bytes, cells: pd.DataFrame, encoding: str) -> pd.DataFrame:
    """A last row with fewer cells than the header in a file without a final line break: the
    file was cut off while it was written or sent."""
    if data.endswith((b"\n", b"\r")) or cells.empty:
        return _findings()
    last = data[max(data.rfind(b"\n"), data.rfind(b"\r")) + 1 :]
    text = last.decode(encoding if encoding.startswith("utf-8") else "gb18030", errors="replace")
    header = [str(h).strip() for h in cells.iloc[0]]
    width = max((i + 1 for i, h in enumerate(header) if h), default=0)
    if not text.strip() or '"' in text or len(cells) < 2:
        return _findings()
    delimiter = _delimiter(data[:SAMPLE_BYTES].decode("utf-8", errors="ignore"))
    given = len(_one_row(text, delimiter))
    if given >= width:
        return _findings()
    reason = (
        f"the last row ends after {given} of {width} cells and the file has no final line "
        "break: the file looks cut short"
    )
    return _findings(pd.Series([""], index=[len(cells) - 1]), given, reason)


def _encoding_note(data: bytes, encoding: str) -> str | None:
    """A note when the decoded text is implausible for its encoding: Latin-1 bytes read as
    GB18030 give rare characters, and UTF-8 that was once decoded wrongly carries 'Ã©'."""
    sample = data[:SAMPLE_BYTES]
    if encoding == "gb18030":
        text = sample.decode("gb18030", errors="ignore")
        wide = [c for c in text if not c.isascii()]
        common = {c for c in set(wide) if _in_gb2312(c)}
        rare = sum(c not in common for c in wide)
        if wide and rare / len(wide) > 0.2:
            return (
                "the text does not read as Chinese GBK: many characters are rare ones, as when a "
                "Latin-1 / Windows-1252 file is read as GBK; save it as CSV UTF-8 and import again"
            )
    elif encoding.startswith("utf-8"):
        text = sample.decode("utf-8", errors="ignore")
        odd = len(re.findall("[\x80-\x9f\ufffd]|[\u00c2-\u00ef][\u0080-\u00bf]", text))
        if odd >= 2:
            return (
                "the text looks garbled (characters such as 'Ã©' or '\ufffd' that come from "
                "reading a file in the wrong encoding): check the file's encoding"
            )
    return None


def _in_gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


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
    """The sheet names of a workbook, in order; none when it cannot be read (parse_file then
    says why)."""
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    except Exception:  # a damaged workbook fails in many ways; parse_file says how
        return []
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
    cells, name, _ = _read_xlsx(data, sheet)
    return cells, name


def _read_xlsx(data: bytes, sheet: str | None) -> tuple[pd.DataFrame, str, pd.DataFrame]:
    """The sheet's cells, its name, and the formulas that have no computed value (findings)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [i for i in archive.infolist() if i.filename.startswith("xl/worksheets/")]
        if sum(i.file_size for i in sheets) > MAX_BYTES:
            raise Refused(f"the workbook unpacks to more than {MAX_BYTES:,} bytes")
        has_formulas = any(FORMULA.search(archive.read(i)) for i in sheets)
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        chosen = workbook[sheet] if sheet else workbook.worksheets[0]
        rows = [
            [_cell_text(c.value, getattr(c, "number_format", "")) for c in row]
            for row in _sheet_rows(chosen)
        ]
        name = chosen.title
    finally:
        workbook.close()
    width = max((len(r) for r in rows), default=0)
    cells = pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=str)
    found = _uncalculated(data, name, cells) if has_formulas else _findings()
    return cells, name, found


def _sheet_rows(sheet) -> Iterator[tuple]:
    """The rows of a read-only sheet, all of them (its <dimension> may understate its size),
    each cut after its last value, refused beyond the limits."""
    sheet.reset_dimensions()
    for number, row in enumerate(sheet.iter_rows(), start=1):
        width = len(row)
        while width and row[width - 1].value is None:
            width -= 1
        _check_width(width, row=number)
        if number - 1 > MAX_ROWS:
            raise Refused(f"the sheet has more than {MAX_ROWS:,} rows")
        yield row[:width]


def _uncalculated(data: bytes, name: str, cells: pd.DataFrame) -> pd.DataFrame:
    """Formula cells without a computed value: the workbook was written by a program and
    never opened in Excel, so its formulas read as blank cells."""
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    found = []
    try:
        for i, row in enumerate(_sheet_rows(workbook[name])):
            for j, cell in enumerate(row):
                text = getattr(cell.value, "text", cell.value)
                blank = i >= len(cells) or j >= cells.shape[1] or cells.iat[i, j] == ""
                if cell.data_type == "f" and blank:
                    found.append((i, j, str(text)))
    finally:
        workbook.close()
    reason = (
        "a formula without a computed value: the workbook was never calculated "
        "(open it in Excel and save it again)"
    )
    return pd.DataFrame(
        [(i, j, text, reason) for i, j, text in found],
        columns=["grid_row", "grid_column", "value", "problem"],
    )


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
        if not data.startswith(XLSX_MAGIC):
            problems.add(
                "the file is named .xlsx but is not an Excel workbook (a CSV file renamed?): "
                "save it from Excel as .xlsx, or name it .csv"
            )
            return _failed(name, data, "unknown", problems)
        try:
            cells, sheet_name, found = _read_xlsx(data, sheet)
        except Refused as exc:
            problems.add(str(exc), row=exc.row)
            return _failed(name, data, "xlsx", problems)
        except Exception as exc:  # a damaged workbook fails in many ways (zip, XML, values)
            problems.add(f"the workbook cannot be read ({type(exc).__name__}: {exc})")
            return _failed(name, data, "xlsx", problems)
        encoding = f"xlsx, sheet {sheet_name}"
        found = pd.concat([f for f in (found, _long_cells(cells)) if not f.empty] or [found])
        return parse_cells(cells, scheme, name, data, encoding, period, overrides, found)
    try:
        lines, longest = _check_csv_size(data)
        _check_extra_cells(_first_line(data), lines - 1, scheme, overrides)
        cells, encoding, marked = _read_csv(data, lines)
    except Refused as exc:
        problems.add(str(exc), row=exc.row)
        return _failed(name, data, "unknown", problems)
    except UnicodeDecodeError:
        problems.add("the file is neither UTF-8 nor GBK/GB18030 text (is it an Excel .xls file?)")
        return _failed(name, data, "unknown", problems)
    except (pd.errors.ParserError, ValueError) as exc:
        problems.add(f"the file cannot be read as CSV: {exc}")
        return _failed(name, data, "unknown", problems)
    found = [_cut_short(data, cells, encoding)]
    if marked:
        cells, crs = _marked_cells(cells)
        found.append(crs)
    if longest > MAX_CELL_CHARS:  # no cell is longer than its line
        found.append(_long_cells(cells))
    found = pd.concat([f for f in found if not f.empty] or [_findings()])
    note = _encoding_note(data, encoding)
    return parse_cells(cells, scheme, name, data, encoding, period, overrides, found, note)


def unreadable(data: bytes, file_name: str, reason: str) -> ParsedFile:
    """A file that could not be read at all, as a parsed file with that one problem."""
    problems = ProblemList(file_name)
    problems.add(reason)
    return _failed(file_name, data, "unknown", problems)


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
    found: pd.DataFrame | None = None,
    note: str | None = None,
) -> ParsedFile:
    """Check a grid of text cells (row 0 = header) and turn it into clean facts; `found` holds
    problems the reader saw by grid position, `note` a remark on the whole file."""
    problems = ProblemList(file_name)
    warnings = ProblemList(file_name)
    if note:
        warnings.add(note)
    if cells.empty or cells.shape[0] == 0:
        problems.add("the file is empty")
        return _failed(file_name, data, encoding, problems)
    try:
        _check_width(cells.shape[1], row=HEADER_ROW)
        if len(cells) - 1 > MAX_ROWS:
            raise Refused(
                f"the file has {len(cells) - 1:,} rows; at most {MAX_ROWS:,} are accepted"
            )
    except Refused as exc:
        problems.add(str(exc), row=exc.row)
        return _failed(file_name, data, encoding, problems)
    # KPI columns are cleaned by _numbers (spaces included); strip only the other columns.
    headers = [str(h).strip() for h in cells.iloc[0].str.replace(ZERO_WIDTH, "", regex=True)]
    if found is not None and not found.empty:
        _add_found(found, headers, problems)
    try:
        _check_extra_cells(headers, len(cells) - 1, scheme, overrides)
    except Refused as exc:
        problems.add(str(exc))
        return _failed(file_name, data, encoding, problems)
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
    inputs = _rule_inputs(scheme, [h for h, f in column_map.items() if not f])
    cases = _case_columns(scheme, [h for h, f in column_map.items() if not f and h not in inputs])

    def kpi_check(kpi: Kpi) -> Check:
        header = by_field[kpi.id]
        return lambda found, notes: _numbers(body[header], rows, header, kpi, found, notes)

    def text_check(fld: str) -> Check:
        header = by_field[fld]
        return lambda found, notes: _visible_text(facts[fld], rows, header, found, notes)

    def input_check(header: str, item: Input) -> Check:
        return lambda found, _: _input_values(body[header], rows, header, item, found)

    def cases_check(header: str, kpi: Kpi) -> Check:
        return lambda found, _: _case_counts(body[header], rows, header, kpi, found)

    def roster_check(found: ProblemList, _) -> None:
        _check_roster(facts, rows, by_field, found)

    # Independent steps run side by side, each with problem lists of its own, joined afterwards
    # in this order.
    steps: dict[str, Check] = {
        "roster": roster_check,
        "hire_date": lambda found, _: _dates(body, rows, by_field.get("hire_date"), found),
        "period": lambda found, _: _resolve_period(
            body, rows, by_field.get("period"), file_name, period, found
        ),
        "blank_text": lambda *_: {
            f: facts[f].mask(facts[f].eq("")) for f in ("team", "role", "region")
        },
        "sha256": lambda *_: sha256(data),
        **{f"text {f}": text_check(f) for f in TEXT_FIELDS if f in by_field},
        **{f"kpi {kpi.id}": kpi_check(kpi) for kpi in kpis},
        **{f"input {h}": input_check(h, item) for h, item in inputs.items()},
        **{f"cases {h}": cases_check(h, kpi) for h, kpi in cases.items()},
    }
    outcomes = side_by_side(partial(_checked, file_name=file_name), steps.values(), len(body))
    done = dict(zip(steps, outcomes, strict=True))
    texts = {f: done[f"text {f}"][0] for f in TEXT_FIELDS if f"text {f}" in done}
    cleaned = {f: text for f, text in texts.items() if text is not None}
    if cleaned:  # invisible characters removed: check the roster again on the clean text
        facts = facts.assign(**cleaned)
        done["roster"] = _checked(roster_check, file_name)
    for _, found_here, notes in done.values():
        problems.parts += found_here.parts
        warnings.parts += notes.parts
    resolved, source = done["period"][0]
    hired = _hired_in_time(
        done["hire_date"][0], body, rows, by_field.get("hire_date"), resolved, problems
    )
    blank = done["blank_text"][0] | {
        f: facts[f].mask(facts[f].eq("")) for f in ("team", "role", "region") if f in cleaned
    }
    facts = facts.assign(
        **blank,
        hire_date=hired,
        **{kpi.id: done[f"kpi {kpi.id}"][0] for kpi in kpis},
    )
    facts.insert(0, "period", resolved)
    extras = _extras(body, facts["employee_id"], [h for h, f in column_map.items() if not f])
    facts.insert(1, "source_row", rows.astype("int64"))
    return ParsedFile(
        file_name=file_name,
        sha256=done["sha256"][0],
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


def _check_extra_cells(
    headers: list[str], rows: int, scheme: Scheme, overrides: dict[str, str] | None
) -> None:
    """Refuse a file whose columns unknown to the scheme hold more cells than are kept: each is
    stored as a row of its own, and checking them costs time on the server per cell."""
    overrides, lookup = overrides or {}, field_lookup(scheme)
    extra = sum(1 for h in headers if h and not overrides.get(h, lookup.get(normalize_header(h))))
    if extra * rows > MAX_EXTRA_CELLS:
        raise Refused(
            f"the file has {extra:,} columns the scheme does not use, {extra * rows:,} "
            f"cells; at most {MAX_EXTRA_CELLS:,} such cells are kept: remove the columns not needed"
        )


def _add_found(found: pd.DataFrame, headers: list[str], problems: ProblemList) -> None:
    """Problems the reader found by grid position, named by spreadsheet row and header."""
    columns = found["grid_column"].astype(int)
    names = [headers[c] if c < len(headers) and headers[c] else _column_letter(c) for c in columns]
    problems.parts.append(
        pd.DataFrame(
            {
                "row": found["grid_row"].astype(int).to_numpy() + HEADER_ROW,
                "column": names,
                "value": found["value"].to_numpy(),
                "problem": found["problem"].to_numpy(),
            }
        )
    )


def _long_cells(cells: pd.DataFrame) -> pd.DataFrame:
    """Cells longer than MAX_CELL_CHARS, as findings by grid position."""
    found = []
    for column in cells.columns:
        length = cells[column].str.len()
        long = length.gt(MAX_CELL_CHARS)
        if long.any():
            reason = (
                "the cell holds "
                + length[long].map("{:,}".format)
                + f" characters; at most {MAX_CELL_CHARS:,} are accepted"
            )
            values = cells.loc[long, column].str.slice(0, 20) + "…"
            found.append(_findings(values, column, "").assign(problem=reason))
    return pd.concat(found) if found else _findings()


def _visible_text(
    text: pd.Series, rows: pd.Series, header: str, problems: ProblemList, notes: ProblemList
) -> pd.Series | None:
    """Control characters in a text field are a problem; zero-width ones are removed (one in a
    department's name made a second, phantom department) with a note. None: nothing to do."""
    if _plain_bytes(text):
        return None
    control = text.str.contains(CONTROL, regex=True)
    if control.any():
        code = (
            text[control].str.extract(f"({CONTROL})", expand=False).map(lambda c: f"U+{ord(c):04X}")
        )
        shown = text.str.replace(
            f"({CONTROL}|{ZERO_WIDTH})", lambda m: f"<U+{ord(m.group(0)):04X}>", regex=True
        )
        reason = "holds an invisible control character (" + code + "): remove it"
        problems.add_rows(control, rows, header, shown, reason)
    zero_width = text.str.contains(ZERO_WIDTH, regex=True)
    if not zero_width.any():
        return None
    first = int(rows[zero_width].iloc[0])
    notes.add(
        f"zero-width (invisible) characters removed from {int(zero_width.sum())} cell(s), "
        f"the first in row {first}",
        column=header,
    )
    return text.str.replace(ZERO_WIDTH, "", regex=True)


def _plain_bytes(text: pd.Series) -> bool:
    """True when no cell can hold a control or zero-width character, from a look at the UTF-8
    bytes alone (fast; a column that may hold one is searched properly)."""
    chunks = pa.array(text, from_pandas=True)
    for chunk in getattr(chunks, "chunks", [chunks]):
        if not (pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)):
            return False  # not the usual Arrow text: search it properly
        if not len(chunk) or chunk.buffers()[2] is None:
            continue
        # A chunk may be a slice of a larger buffer: look at its part only.
        wide = pa.types.is_large_string(chunk.type)
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int64 if wide else np.int32)
        start, end = offsets[chunk.offset], offsets[chunk.offset + len(chunk)]
        v = np.frombuffer(chunk.buffers()[2], dtype=np.uint8)[start:end]
        if not len(v) or (v.min() >= 0x20 and v.max() < 0x7F):
            continue  # printable ASCII only (ids, codes): seen at full speed
        at = np.flatnonzero(SUSPECT_BYTES[v])
        if not len(at):
            continue
        if not LEAD_BYTES[v[at]].all():  # a control byte, or C2 (C1 controls, soft hyphen)
            return False
        lead, follow = v[at[at + 1 < len(v)]], v[at[at + 1 < len(v)] + 1]
        if (
            ((lead == 0xE2) & (follow <= 0x81))
            | ((lead == 0xEF) & (follow == 0xBB))
            | ((lead == 0xE1) & (follow == 0xA0))
        ).any():
            return False
    return True


def _rule_inputs(scheme: Scheme, headers: list[str]) -> dict[str, Input]:
    """Columns that the scheme's rules read as inputs (by id, name or alias), with the input."""
    key = f"{scheme.digest}:{rules_key(scheme)}"
    if key not in RULE_INPUTS:
        try:
            RULE_INPUTS[key] = load_rules(scheme).inputs
        except RulesError:
            RULE_INPUTS[key] = ()  # a broken rules file is reported where rules are checked
    inputs = RULE_INPUTS[key]
    names = {
        normalize_header(n): item
        for item in inputs
        if item.kind != "text"
        for n in (item.id, item.name_zh, item.name_en, *item.aliases)
    }
    return {h: names[normalize_header(h)] for h in headers if normalize_header(h) in names}


def _case_columns(scheme: Scheme, headers: list[str]) -> dict[str, Kpi]:
    """Columns holding the cases a rate KPI is out of (its denominator), with the KPI."""
    names = {normalize_header(n): kpi for kpi in scheme.kpis for n in kpi.denominator}
    return {h: names[normalize_header(h)] for h in headers if normalize_header(h) in names}


def _case_counts(
    raw: pd.Series, rows: pd.Series, header: str, kpi: Kpi, problems: ProblemList
) -> None:
    """A rate's cases are a whole number of 0 or more (a blank cell is no count)."""
    value, bad = parse_input(raw, "number")
    problems.add_rows(bad, rows, header, raw, "not a number")
    whole = np.isfinite(value) & (value >= 0) & (value == np.floor(value))
    problems.add_rows(
        value.notna() & ~whole,
        rows,
        header,
        raw,
        f"the cases of {kpi.name_zh} must be a whole number of 0 or more",
    )


def _input_values(
    raw: pd.Series, rows: pd.Series, header: str, item: Input, problems: ProblemList
) -> None:
    """A rules input read as the rules read it; a cell they could not read is a problem."""
    value, bad = parse_input(raw, item.kind)
    if item.kind == "number":
        bad = bad | (value.notna() & ~np.isfinite(value))
        reason = "not a number"
    else:
        reason = "not yes or no (是/否)"
    problems.add_rows(bad, rows, header, raw, reason)


def _hired_in_time(
    dates: pd.Series,
    body: pd.DataFrame,
    rows: pd.Series,
    header: str | None,
    period: str | None,
    problems: ProblemList,
) -> pd.Series:
    """Hire dates, with one after the assessed month a problem."""
    if header is None or period is None:
        return dates
    end = pd.Period(period, freq="M").end_time.floor("D")
    late = dates.notna() & (dates > end)
    problems.add_rows(
        late, rows, header, body[header], f"hire date after the assessed month {period}"
    )
    return dates.mask(late)


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
    counts = Counter(headers)
    reported = set()
    for header in headers:
        fld = column_map.get(header, "")
        # Columns without a header are reported one by one as columns with values but no header.
        if counts[header] > 1 and header not in reported and header != "":
            reported.add(header)
            problems.add(
                f"the column '{header}' appears {counts[header]} times",
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
    """Hire dates written year first with four digits (2024-03-15, 2024/3/15, 2024年3月15日,
    20240315, with or without a time): anything else is a problem, never a guess (1-04-01 is
    not 2001-01-04)."""
    if header is None:
        return pd.Series(pd.NaT, index=body.index, dtype="datetime64[s]")
    codes, distinct = pd.factorize(body[header])
    text = pd.Series(distinct, dtype=str)
    plain = text.str.match(PLAIN_DATE)
    parsed = pd.to_datetime(text.where(plain), format="%Y-%m-%d", errors="coerce")
    if not plain.all():
        parsed[~plain] = _written_dates(text[~plain])
    dates = pd.Series(
        parsed.to_numpy()[codes] if len(distinct) else [], index=body.index, dtype="datetime64[ns]"
    )
    text = body[header]
    problems.add_rows(
        dates.isna() & text.ne(""), rows, header, body[header], "not a date (use 2024-03-15)"
    )
    return dates.astype("datetime64[s]")


def _written_dates(text: pd.Series) -> pd.Series:
    """Dates written otherwise than 2024-03-15 (2024/3/15, 2024年3月15日, 20240315, with a time):
    a four-digit year first, years 1900–2200 (which also keeps pandas in its 1677–2262 bounds)."""
    text = text.str.replace(r"[年月/.]", "-", regex=True).str.replace("日", "").str.strip()
    parts = text.str.extract(DATE_PATTERN)
    parts = parts[0].fillna(parts[3]), parts[1].fillna(parts[4]), parts[2].fillna(parts[5])
    year, month, day = (pd.to_numeric(p, errors="coerce") for p in parts)
    ymd = pd.DataFrame({"year": year, "month": month, "day": day})
    return pd.to_datetime(ymd.where(year.between(1900, 2200)), errors="coerce")


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
        above_text = f"above the highest allowed {_number_text(high)}"
    below_text = (
        f"negative {kpi.unit}" if low == 0 else f"below the lowest allowed {_number_text(low)}"
    )
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


def _number_text(value: float) -> str:
    """200 → '200', 44640 → '44,640', 2.5 → '2.5'."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,g}"


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
