"""Files that used to crash the import or slip through it: each is a problem (file, row, column,
reason) or a note now, and the checks refuse absurd files at once."""

from __future__ import annotations

import dataclasses
import io
import re
import time
import zipfile

import openpyxl
import pandas as pd
import pytest

from engine import paths
from engine.intake import parse as intake
from engine.intake.parse import parse_file, xlsx_sheets
from tests.test_importer import ENGLISH, SCHEME, parse, problem_rows

HEADER = "工号,姓名,部门,班组,入职日期,客户满意度,故障处理天数\r\n"


def one_row(hire_date: str = "2020-03-15", days: str = "2", name: str = "张三") -> str:
    return HEADER + f"E1,{name},售后服务部,一组,{hire_date},90,{days}\r\n"


def xlsx_bytes(rows: list[list], formats: dict | None = None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rewrite_sheet(data: bytes, change) -> bytes:
    """The workbook with its first sheet's XML passed through `change`."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = change(content)
            target.writestr(item, content)
    return out.getvalue()


TABLE = [["工号", "姓名", "部门", "客户满意度"]] + [
    [f"E{i}", "张三", "售后", 90] for i in range(20)
]


# ------------------------------------------------------------------ crashes (item 5)


@pytest.mark.parametrize("written", ["1.5", "12.5", "-1.5", "2020.5", "1500-01-01", "2300-01-01"])
def test_a_hire_date_that_is_a_decimal_or_out_of_range_is_a_problem(written: str) -> None:
    parsed = parse(one_row(hire_date=written))
    assert not parsed.ok
    ((row, column, value, problem),) = problem_rows(parsed)
    assert (row, column, value) == (2, "入职日期", written)
    assert "date" in problem


def test_a_bare_carriage_return_written_by_pandas_is_a_problem_with_row_and_column() -> None:
    frame = pd.DataFrame(
        {
            "工号": ["E1", "E2"],
            "姓名": ["张\r三", "李四"],
            "部门": ["售后", "售后"],
            "满意度": [90, 80],
        }
    )
    written = frame.to_csv(index=False)
    assert "张\r三" in written, "pandas leaves a bare CR unquoted"
    parsed = parse(written)
    assert problem_rows(parsed) == [
        (2, "姓名", "张␍三", "a line break (CR) inside the cell: remove it")
    ]


def test_a_bare_carriage_return_in_a_number_does_not_split_the_row() -> None:
    parsed = parse(HEADER + "E1,张三,售后,一组,2020-03-15,9\r2,1\r\nE2,李四,售后,一组,,80,1\r\n")
    assert problem_rows(parsed) == [
        (2, "客户满意度", "9␍2", "a line break (CR) inside the cell: remove it")
    ]


def test_a_bare_carriage_return_in_the_header_is_a_problem() -> None:
    parsed = parse("工号,姓名,部\r门,满意度\nE1,张三,售后,90\n")
    assert problem_rows(parsed)[0] == (
        1,
        "部门",
        "部␍门",
        "a line break (CR) inside the cell: remove it",
    )


def test_a_file_of_old_mac_line_ends_still_reads() -> None:
    parsed = parse("工号,姓名,部门,满意度\rE1,张三,售后,90\rE2,李四,售后,80\r")
    assert parsed.ok, parsed.problems
    assert parsed.facts["satisfaction"].tolist() == [90.0, 80.0]


@pytest.mark.parametrize("cut", [0.3, 0.6, 0.9])
def test_a_truncated_workbook_is_a_problem(cut: float) -> None:
    data = xlsx_bytes(TABLE)
    parsed = parse_file(data[: int(len(data) * cut)], SCHEME, file_name="2026-10.xlsx")
    assert not parsed.ok
    assert "workbook cannot be read" in parsed.problems["problem"].iloc[0]
    assert xlsx_sheets(data[: int(len(data) * cut)]) == []


def test_a_workbook_with_broken_xml_is_a_problem() -> None:
    data = rewrite_sheet(xlsx_bytes(TABLE), lambda xml: xml[: len(xml) // 2])
    parsed = parse_file(data, SCHEME, file_name="2026-10.xlsx")
    assert not parsed.ok
    assert "workbook cannot be read" in parsed.problems["problem"].iloc[0]


def test_a_csv_named_xlsx_is_a_problem() -> None:
    parsed = parse_file(ENGLISH.encode(), SCHEME, file_name="2026-10.xlsx")
    assert not parsed.ok
    assert "not an Excel workbook" in parsed.problems["problem"].iloc[0]
    assert xlsx_sheets(ENGLISH.encode()) == []


# ------------------------------------------------------------------ limits (item 6)


def wide_csv(columns: int) -> bytes:
    header = "工号,姓名,部门," + ",".join(f"c{i}" for i in range(columns))
    return (header + "\r\nE1,张三,售后," + ",".join("1" for _ in range(columns)) + "\r\n").encode()


@pytest.mark.parametrize("columns", [20_000, 100_000])
def test_a_file_with_too_many_columns_is_refused_at_once(columns: int) -> None:
    start = time.perf_counter()
    parsed = parse_file(wide_csv(columns), SCHEME, file_name="2026-10.csv")
    assert time.perf_counter() - start < 5.0
    ((row, _, _, problem),) = problem_rows(parsed)
    assert row == 1
    assert f"{columns + 3:,} columns" in problem and f"{intake.MAX_COLUMNS:,}" in problem


def test_a_ragged_row_with_too_many_cells_is_refused_at_once() -> None:
    start = time.perf_counter()
    text = "工号,姓名,部门\r\nE1,张三,售后\r\nE2,李四,售后," + "1," * 50_000 + "\r\n"
    parsed = parse(text)
    assert time.perf_counter() - start < 5.0
    assert not parsed.ok
    assert "columns" in parsed.problems["problem"].iloc[0]


def test_a_wide_workbook_is_refused() -> None:
    row = ["工号", "姓名", "部门", *(f"c{i}" for i in range(intake.MAX_COLUMNS))]
    parsed = parse_file(xlsx_bytes([row]), SCHEME, file_name="2026-10.xlsx")
    assert not parsed.ok
    assert f"{intake.MAX_COLUMNS:,}" in parsed.problems["problem"].iloc[0]


def test_a_file_with_too_many_rows_is_refused(monkeypatch) -> None:
    monkeypatch.setattr(intake, "MAX_ROWS", 2)
    parsed = parse(ENGLISH)
    ((_, _, _, problem),) = problem_rows(parsed)
    assert "3 rows" in problem and "2" in problem


def test_too_many_cells_in_columns_the_scheme_does_not_use_are_refused(monkeypatch) -> None:
    monkeypatch.setattr(intake, "MAX_EXTRA_CELLS", 5)
    text = "工号,姓名,部门,备注,备注2\r\n" + "".join(f"E{i},张三,售后,x,y\r\n" for i in range(3))
    assert problem_rows(parse(text)) == [
        (
            None,
            "",
            "",
            "the file has 2 columns the scheme does not use, 6 cells; at most 5 such cells are "
            "kept: remove the columns not needed",
        )
    ]
    monkeypatch.setattr(intake, "MAX_EXTRA_CELLS", 6)
    assert parse(text).ok


def test_a_cell_that_is_too_long_is_a_problem() -> None:
    long = "长" * (intake.MAX_CELL_CHARS + 1)
    parsed = parse(one_row(name=long))
    ((row, column, value, problem),) = problem_rows(parsed)
    assert (row, column) == (2, "姓名")
    assert f"{intake.MAX_CELL_CHARS + 1:,} characters" in problem
    assert len(value) < 100, "the problem list does not repeat the whole cell"


def test_the_widest_accepted_file_is_checked_in_seconds() -> None:
    columns = intake.MAX_COLUMNS - 3
    start = time.perf_counter()
    parsed = parse_file(wide_csv(columns), SCHEME, file_name="2026-10.csv")
    assert parsed.ok, parsed.problems
    assert time.perf_counter() - start < 5.0


# ------------------------------------------------------------------ wrong files (item 7)


def test_a_last_row_cut_short_is_a_problem() -> None:
    text = ENGLISH.rstrip("\r\n")
    cut = text[: text.rindex(",70,")] + ",3."  # the file ends inside the row
    parsed = parse(cut)
    assert problem_rows(parsed) == [
        (
            4,
            "fault_days",
            "",
            "the last row ends after 7 of 9 cells and the file has no final line break: "
            "the file looks cut short",
        )
    ]


def test_a_complete_last_row_without_a_final_line_break_is_fine() -> None:
    parsed = parse(ENGLISH.rstrip("\r\n"))
    assert parsed.ok, parsed.problems


def test_a_workbook_whose_dimension_understates_its_size_loses_no_rows() -> None:
    data = rewrite_sheet(
        xlsx_bytes(TABLE),
        lambda xml: re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:D11"', xml),
    )
    assert b'ref="A1:D11"' in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    parsed = parse_file(data, SCHEME, file_name="2026-10.xlsx")
    assert parsed.ok, parsed.problems
    assert parsed.rows == 20


def test_formulas_without_computed_values_are_a_problem() -> None:
    rows = [
        ["工号", "姓名", "部门", "客户满意度"],
        ["E1", "张三", "售后", 90],
        ["E2", "李四", "售后", "=80+5"],
    ]
    parsed = parse_file(xlsx_bytes(rows), SCHEME, file_name="2026-10.xlsx")
    assert problem_rows(parsed) == [
        (
            3,
            "客户满意度",
            "=80+5",
            "a formula without a computed value: the workbook was never calculated "
            "(open it in Excel and save it again)",
        )
    ]


def test_formulas_with_computed_values_are_read() -> None:
    rows = [["工号", "姓名", "部门", "客户满意度"], ["E1", "张三", "售后", "=80+5"]]
    data = rewrite_sheet(xlsx_bytes(rows), lambda xml: xml.replace(b"<v />", b"<v>85</v>"))
    parsed = parse_file(data, SCHEME, file_name="2026-10.xlsx")
    assert parsed.ok, parsed.problems
    assert parsed.facts["satisfaction"].tolist() == [85.0]


@pytest.mark.parametrize("written", ["1-04-01", "04-01", "15/03/2020", "March 2020"])
def test_a_date_without_a_four_digit_year_is_not_a_date(written: str) -> None:
    assert problem_rows(parse(one_row(hire_date=written))) == [
        (2, "入职日期", written, "not a date (use 2024-03-15)")
    ]


@pytest.mark.parametrize(
    "written", ["2020-3-5", "2020/03/05", "2020年3月5日", "2020.03.05", "2020-03-05 00:00:00"]
)
def test_dates_as_excel_and_people_write_them(written: str) -> None:
    parsed = parse(one_row(hire_date=written))
    assert parsed.ok, parsed.problems
    assert parsed.facts["hire_date"].tolist() == [pd.Timestamp("2020-03-05")]


def test_a_hire_date_after_the_assessed_month_is_a_problem() -> None:
    ok = parse(one_row(hire_date="2026-10-31"), name="2026-10.csv")
    assert ok.ok, ok.problems
    late = parse(one_row(hire_date="2026-11-01"), name="2026-10.csv")
    assert problem_rows(late) == [
        (2, "入职日期", "2026-11-01", "hire date after the assessed month 2026-10")
    ]


@pytest.mark.parametrize(
    ("header", "written", "reason"),
    [
        ("故障处理天数", "1e308", "above the highest allowed 366"),
        ("故障处理天数", "367", "above the highest allowed 366"),
        ("响应时间", "44641", "above the highest allowed 44,640"),
        ("有效投诉次数", "1000001", "above the highest allowed 1,000,000"),
    ],
)
def test_every_unit_has_a_plausible_range(header: str, written: str, reason: str) -> None:
    parsed = parse(f"工号,姓名,部门,{header}\r\nE1,张三,售后,{written}\r\n")
    assert problem_rows(parsed) == [(2, header, written, reason)]


def test_the_unit_ranges_hold_at_their_edges() -> None:
    parsed = parse(
        "工号,姓名,部门,故障处理天数,响应时间,有效投诉次数\r\nE1,张三,售后,366,44640,1000000\r\n"
    )
    assert parsed.ok, parsed.problems


def test_a_scheme_may_widen_a_unit_range() -> None:
    days = SCHEME.kpi("fault_days")
    assert days.valid_range == (0.0, 366.0)
    assert dataclasses.replace(days, valid_max=1000.0).valid_range == (0.0, 1000.0)
    assert dataclasses.replace(days, valid_min=-5.0).valid_range == (-5.0, 366.0)


@pytest.mark.parametrize("invisible", ["\x00", "\x07", "\x1b", "\x85"])
def test_control_characters_in_text_are_a_problem(invisible: str) -> None:
    parsed = parse(
        f"工号,姓名,部门,班组\r\nE{invisible}1,张三,售后,一组\r\nE2,李四,售后,二{invisible}组\r\n"
    )
    code = f"U+{ord(invisible):04X}"
    assert problem_rows(parsed) == [
        (2, "工号", f"E<{code}>1", f"holds an invisible control character ({code}): remove it"),
        (3, "班组", f"二<{code}>组", f"holds an invisible control character ({code}): remove it"),
    ]


def test_zero_width_characters_are_removed_with_a_note() -> None:
    parsed = parse(
        "工号,姓名,部门,班组\r\nE1\u200b,张三,客服部\u200b,一组\r\nE2,李四,客服部,\ufeff一组\u200d\r\n"
    )
    assert parsed.ok, parsed.problems
    assert parsed.facts["department"].tolist() == ["客服部", "客服部"], "no phantom department"
    assert parsed.facts["employee_id"].tolist() == ["E1", "E2"]
    assert parsed.facts["team"].tolist() == ["一组", "一组"]
    notes = parsed.warnings
    assert sorted(notes["column"]) == ["工号", "班组", "部门"]
    assert notes["problem"].str.contains("zero-width").all()


def test_latin1_text_is_not_taken_for_chinese_without_a_word() -> None:
    text = (
        "employee_id,name,department\r\n"
        "E1,Müller,Kundendienst Böblingen\r\nE2,Jörg Größe,Cafés Süd\r\n"
    )
    parsed = parse_file(text.encode("latin-1"), SCHEME, file_name="2026-10.csv")
    assert parsed.encoding == "gb18030"
    assert parsed.warnings["problem"].str.contains("Latin-1").any()


def test_gbk_chinese_text_gets_no_encoding_note() -> None:
    parsed = parse_file(ENGLISH.encode("gbk"), SCHEME, file_name="2026-10.csv")
    assert parsed.ok and parsed.encoding == "gb18030"
    assert parsed.warnings.empty


def test_utf8_text_that_was_decoded_twice_gets_a_note() -> None:
    garbled = ENGLISH.encode("utf-8").decode("cp1252", errors="replace")
    parsed = parse_file(garbled.encode("utf-8"), SCHEME, file_name="2026-10.csv")
    assert parsed.warnings["problem"].str.contains("encoding").any()


# ------------------------------------------------------------------ ragged rows (item 8)


def test_a_ragged_row_names_only_its_stray_cells() -> None:
    parsed = parse("工号,姓名,部门\r\nE1,张三,售后,x,y\r\nE2,李四,售后\r\n")
    assert problem_rows(parsed) == [
        (None, "D", "", "column D has values but no header"),
        (None, "E", "", "column E has values but no header"),
    ]


# ------------------------------------------------------------------ rule inputs (numbers item 5)


def demo_month_with(row: int, column: str, value: str) -> bytes:
    """The demo's October with one cell (spreadsheet row, header) changed."""
    frame = pd.read_csv(paths.SAMPLE_DIR / "2026-10.csv", dtype=str, keep_default_na=False)
    frame.loc[row - 2, column] = value
    return frame.to_csv(index=False, lineterminator="\r\n").encode("utf-8")


def test_text_in_a_number_input_of_the_rules_is_a_problem() -> None:
    parsed = parse_file(demo_month_with(8, "减分", "abc"), SCHEME, file_name="2026-10.csv")
    assert problem_rows(parsed) == [(8, "减分", "abc", "not a number")]


def test_a_yes_no_input_that_is_neither_is_a_problem() -> None:
    parsed = parse_file(demo_month_with(5, "知识考核", "也许"), SCHEME, file_name="2026-10.csv")
    assert problem_rows(parsed) == [(5, "知识考核", "也许", "not yes or no (是/否)")]


def test_inputs_read_as_the_rules_read_them() -> None:
    parsed = parse_file(demo_month_with(5, "减分", "1,200分"), SCHEME, file_name="2026-10.csv")
    assert parsed.ok, parsed.problems
