"""Excel and CSV files a person can forward: each property checked in the file itself."""

from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl
import pandas as pd
import pytest

from engine.output.export import ExportStamp, csv_bytes, sheet_name, xlsx_bytes

TABLE = pd.DataFrame(
    {
        "工号": ["E001", "E002", "E003"],
        "部门": ["售后服务部", "客服部", "质检部"],
        "name": ["Bob", "=1+1", "Al"],
        "总分": [56.49999999999999, 0.125, 90.0],
        "排名": [3, 2, 1],
        "入职日期": pd.to_datetime(["2024-03-15", "2019-12-01", None]),
        "签到": pd.to_datetime(
            ["2026-10-01 08:30:05", "2026-10-02 09:00:00", "2026-10-03 00:00:00"]
        ),
        "生效日": ["2026-10-01", "2026-10-15", None],
        "月份": ["2026-10", "2026-10", "2026-10"],
    }
)
STAMP = ExportStamp(
    user="hr.li",
    made_at=datetime(2026, 11, 30, 9, 15),
    period="2026-10",
    scope="售后服务部",
    filters=(("部门", "售后服务部"), ("岗位", "服务工程师")),
    scheme="售后服务考核方案 v3",
)


def workbook(table: pd.DataFrame = TABLE, stamp: ExportStamp | None = STAMP):
    return openpyxl.load_workbook(io.BytesIO(xlsx_bytes(table, stamp=stamp)))


def column(sheet, header: str) -> list:
    """The cells under a header, header excluded."""
    headers = [c.value for c in sheet[1]]
    return list(sheet.iter_rows(min_row=2, min_col=headers.index(header) + 1))


def cells(sheet, header: str) -> list:
    headers = [c.value for c in sheet[1]]
    position = headers.index(header) + 1
    return [row[0] for row in sheet.iter_rows(min_row=2, min_col=position, max_col=position)]


def test_the_header_row_is_bold_frozen_and_filtered():
    sheet = workbook().worksheets[0]
    assert [c.value for c in sheet[1]] == list(TABLE.columns)
    assert all(c.font.bold for c in sheet[1])
    assert not any(c.font.bold for c in sheet[2])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:I4"


def test_columns_are_as_wide_as_their_text_a_chinese_character_counting_two():
    sheet = workbook().worksheets[0]
    widths = {c.value: sheet.column_dimensions[c.column_letter].width for c in sheet[1]}
    assert widths["部门"] == 5 * 2 + 2  # 售后服务部
    assert widths["name"] == 5 + 2  # "'=1+1", neutralised, is wider than the header
    assert widths["总分"] == len("56.50") + 2  # as shown, wider than the header (4)
    assert widths["入职日期"] == len("2024-03-15") + 2  # wider than the header (8)
    assert widths["签到"] == len("2026-10-01 08:30:05") + 2
    assert widths["月份"] == len("2026-10") + 2


def test_a_long_text_does_not_make_a_column_wider_than_a_screen():
    table = pd.DataFrame({"detail": ["很长的说明" * 40]})
    sheet = workbook(table).worksheets[0]
    assert sheet.column_dimensions["A"].width == 60


def test_numbers_are_rounded_to_the_schemes_decimals_half_away_from_zero():
    sheet = workbook().worksheets[0]
    totals = cells(sheet, "总分")
    assert [c.value for c in totals] == [56.5, 0.13, 90.0]  # not 56.49999999999999, not 0.12
    assert {c.number_format for c in totals} == {"0.00"}
    assert [c.value for c in cells(sheet, "排名")] == [3, 2, 1]


def test_a_column_shows_as_many_decimals_as_its_values_need():
    table = pd.DataFrame({"满意度": [72.6, 80.0, 91.25000000000001], "天数": [3.0, 4.0, None]})
    sheet = workbook(table.iloc[:2]).worksheets[0]
    assert {c.number_format for c in cells(sheet, "满意度")} == {"0.0"}  # 72.6 and 80.0
    assert {c.number_format for c in cells(sheet, "天数")} == {"General"}  # whole days
    sheet = workbook(table).worksheets[0]
    assert [c.value for c in cells(sheet, "满意度")] == [72.6, 80.0, 91.25]
    assert {c.number_format for c in cells(sheet, "满意度")} == {"0.00"}


def test_dates_are_dates_with_the_time_only_where_one_is_kept():
    sheet = workbook().worksheets[0]
    hired = cells(sheet, "入职日期")
    assert hired[0].is_date and hired[0].value == datetime(2024, 3, 15)
    assert hired[0].number_format == "yyyy-mm-dd" and hired[2].value is None
    signed = cells(sheet, "签到")
    assert signed[0].value == datetime(2026, 10, 1, 8, 30, 5)
    assert signed[0].number_format == "yyyy-mm-dd hh:mm:ss"
    effective = cells(sheet, "生效日")  # ISO dates written as text become dates
    assert effective[1].is_date and effective[1].value.date() == date(2026, 10, 15)
    assert [c.value for c in cells(sheet, "月份")] == ["2026-10"] * 3  # a month stays text


def test_the_sheet_is_named_after_the_period_and_scope():
    assert workbook().sheetnames[0] == "2026-10 售后服务部"


@pytest.mark.parametrize(
    "wanted, named",
    [
        ("2026-10 售后/客服:一组*[二组]?", "2026-10 售后-客服-一组--二组--"),
        ("'2026-Q4'", "2026-Q4"),
        ("", "数据"),
        ("导出信息", "数据"),
        ("2026-10 " + "很长的部门名称" * 6, ("2026-10 " + "很长的部门名称" * 6)[:31]),
    ],
)
def test_sheet_names_keep_to_excels_rules(wanted, named):
    assert sheet_name(wanted) == named
    assert len(named) <= 31
    book = openpyxl.Workbook()
    book.active.title = named  # openpyxl refuses what Excel refuses
    book.save(io.BytesIO())


def test_the_stamp_is_on_a_second_sheet_and_never_a_row_of_the_table():
    book = workbook()
    data, stamp = book.worksheets
    assert book.sheetnames[1] == "导出信息"
    assert data.max_row == len(TABLE) + 1
    assert not [c for row in data.iter_rows() for c in row if "hr.li" in str(c.value)]
    lines = {row[0].value: row[1].value for row in stamp.iter_rows()}
    assert lines == {
        "导出人": "hr.li",
        "导出时间": "2026-11-30 09:15",
        "考核期间": "2026-10",
        "范围": "售后服务部",
        "筛选条件": "部门: 售后服务部; 岗位: 服务工程师",
        "考核方案": "售后服务考核方案 v3",
        "行数": "3",
    }
    assert all(row[0].font.bold for row in stamp.iter_rows())
    assert book.properties.creator == "hr.li"


def test_the_stamp_follows_the_readers_language():
    english = ExportStamp(
        "hr.li", datetime(2026, 11, 30, 9, 15), "2026-10", "Company", (), "", "en"
    )
    book = workbook(stamp=english)
    assert book.sheetnames == ["2026-10 Company", "Export"]
    lines = {row[0].value: row[1].value for row in book.worksheets[1].iter_rows()}
    assert lines["Exported by"] == "hr.li" and lines["Filters"] == "none"


def test_formula_looking_text_stays_text():
    sheet = workbook().worksheets[0]
    cell = cells(sheet, "name")[1]
    assert cell.value == "'=1+1" and cell.data_type == "s"


def test_a_csv_holds_one_header_row_and_the_data_rounded():
    lines = csv_bytes(TABLE, decimals=2).decode("utf-8-sig").splitlines()
    assert lines[0] == ",".join(TABLE.columns)
    assert len(lines) == len(TABLE) + 1
    assert lines[1].split(",")[3] == "56.5" and lines[2].split(",")[3] == "0.13"
    assert "hr.li" not in "".join(lines)
    read = pd.read_csv(io.BytesIO(csv_bytes(TABLE, decimals=2)), encoding="utf-8-sig")
    assert read["工号"].tolist() == ["E001", "E002", "E003"]


def test_an_empty_table_is_a_header_row_with_filters():
    sheet = workbook(TABLE.iloc[0:0]).worksheets[0]
    assert [c.value for c in sheet[1]] == list(TABLE.columns)
    assert sheet.auto_filter.ref == "A1:I1" and sheet.max_row == 1
