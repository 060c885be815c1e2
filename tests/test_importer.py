"""Tests for reading monthly CSV files: encodings, headers, number formats, periods, problems."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import paths
from engine.intake.parse import ParsedFile, parse_file
from engine.schemes.scheme import Scheme, load_scheme

SCHEME = load_scheme(paths.DEFAULT_SCHEME)

# The same three employees written with English ids, then with the scheme's Chinese names.
ENGLISH = (
    "employee_id,name,department,team,role,hire_date,satisfaction,fault_days,upheld_complaints\r\n"
    "E001,张三,售后服务部,售后一组,服务工程师,2020-03-15,92,1.5,0\r\n"
    "E002,李四,售后服务部,售后二组,服务工程师,2021-07-01,85.5,3,2\r\n"
    "E003,王五,客服部,客服一组,客服专员,2019-12-31,70,,1\r\n"
)
CHINESE = (
    "工号,姓名,部门,班组,岗位,入职日期,客户满意度,故障处理天数,有效投诉次数\r\n"
    "E001,张三,售后服务部,售后一组,服务工程师,2020-03-15,92,1.5,0\r\n"
    "E002,李四,售后服务部,售后二组,服务工程师,2021-07-01,85.5,3,2\r\n"
    "E003,王五,客服部,客服一组,客服专员,2019-12-31,70,,1\r\n"
)
ALIASES = (
    "Employee ID,员工姓名,所属部门,小组,职位,入职时间,CSAT,故障处理速度,complaints\r\n"
    "E001,张三,售后服务部,售后一组,服务工程师,2020-03-15,92,1.5,0\r\n"
    "E002,李四,售后服务部,售后二组,服务工程师,2021-07-01,85.5,3,2\r\n"
    "E003,王五,客服部,客服一组,客服专员,2019-12-31,70,,1\r\n"
)
DEMO_MONTHS = {
    "2025-11.csv": "2025-11",
    "2025-12.csv": "2025-12",
    "2026-01.csv": "2026-01",
    "2026-02.csv": "2026-02",
    "考核_2026年03月.csv": "2026-03",
    "2026-04.csv": "2026-04",
    "2026-05.csv": "2026-05",
    "2026-06.csv": "2026-06",
    "考核_2026年07月.csv": "2026-07",
    "2026-08.csv": "2026-08",
    "2026-09.csv": "2026-09",
    "2026-10.csv": "2026-10",
}


@pytest.fixture(scope="module")
def scheme() -> Scheme:
    return SCHEME


def parse(text: str, name: str = "2026-10.csv", encoding: str = "utf-8", **options) -> ParsedFile:
    return parse_file(text.encode(encoding), SCHEME, file_name=name, **options)


def problem_rows(parsed: ParsedFile) -> list[tuple]:
    """Problems as (row, column, value, problem) tuples, rows without a number as None."""
    frame = parsed.problems
    rows = [None if pd.isna(r) else int(r) for r in frame["row"]]
    return sorted(
        zip(rows, frame["column"], frame["value"], frame["problem"], strict=True),
        key=lambda t: (t[0] or 0, t[1], t[3]),
    )


# ------------------------------------------------------------------ encodings and headers


def test_utf8_bom_and_gbk_files_parse_to_identical_facts() -> None:
    plain = parse(CHINESE, encoding="utf-8")
    bom = parse(CHINESE, encoding="utf-8-sig")
    gbk = parse(CHINESE, encoding="gbk")
    assert gbk.facts.loc[0, "name"] == "张三", "GBK bytes are decoded, not mojibake"
    assert [plain.encoding, bom.encoding, gbk.encoding] == ["utf-8", "utf-8-sig", "gb18030"]
    for other in (bom, gbk):
        assert other.ok, other.problems
        pd.testing.assert_frame_equal(other.facts, plain.facts)
        assert other.column_map == plain.column_map
    assert plain.sha256 != bom.sha256 != gbk.sha256


def test_the_bom_does_not_stick_to_the_first_header() -> None:
    parsed = parse(CHINESE, encoding="utf-8-sig")
    assert next(iter(parsed.column_map)) == "工号"
    assert parsed.column_map["工号"] == "employee_id"


def test_chinese_english_and_alias_headers_give_the_same_facts() -> None:
    english, chinese, aliases = parse(ENGLISH), parse(CHINESE), parse(ALIASES)
    assert english.ok and chinese.ok and aliases.ok
    pd.testing.assert_frame_equal(chinese.facts, english.facts)
    pd.testing.assert_frame_equal(aliases.facts, english.facts)
    assert chinese.column_map == {
        "工号": "employee_id",
        "姓名": "name",
        "部门": "department",
        "班组": "team",
        "岗位": "role",
        "入职日期": "hire_date",
        "客户满意度": "satisfaction",
        "故障处理天数": "fault_days",
        "有效投诉次数": "upheld_complaints",
    }


def test_facts_hold_hand_checked_values() -> None:
    facts = parse(CHINESE).facts
    assert facts["employee_id"].tolist() == ["E001", "E002", "E003"]
    assert facts["period"].tolist() == ["2026-10"] * 3
    assert facts["source_row"].tolist() == [2, 3, 4]
    assert facts["satisfaction"].tolist() == [92.0, 85.5, 70.0]
    assert facts["upheld_complaints"].tolist() == [0.0, 2.0, 1.0]
    assert facts["fault_days"].iloc[:2].tolist() == [1.5, 3.0]
    assert math.isnan(facts["fault_days"].iloc[2])
    assert (
        facts["hire_date"].tolist()
        == pd.to_datetime(["2020-03-15", "2021-07-01", "2019-12-31"]).tolist()
    )
    assert facts["region"].isna().all(), "a column absent from the file is empty, not ''"


# ------------------------------------------------------------------ cells as Excel writes them


def test_percent_strings_thousands_separators_and_blank_cells() -> None:
    parsed = parse(
        "工号,姓名,部门,满意度,有效投诉次数,工单达成率\r\n"
        'E1,张三,售后,92%,"1,234",\r\n'
        "E2,李四,售后, 88.5 % ,,101.5\r\n"
        "E3,王五,售后,,7,\r\n"
    )
    assert parsed.ok, parsed.problems
    facts = parsed.facts
    assert facts["satisfaction"].iloc[:2].tolist() == [92.0, 88.5]
    assert facts["upheld_complaints"].iloc[[0, 2]].tolist() == [1234.0, 7.0]
    assert facts["order_achievement"].iloc[1] == 101.5
    assert facts["satisfaction"].isna().tolist() == [False, False, True]
    assert facts["upheld_complaints"].isna().tolist() == [False, True, False]
    assert facts["order_achievement"].isna().tolist() == [True, False, True]
    assert facts["satisfaction"].dtype == "float64"


@settings(deadline=None)
@given(st.integers(min_value=0, max_value=1_000_000))  # a count above a million is refused
def test_any_count_with_thousands_separators_reads_back(count: int) -> None:
    parsed = parse(f'工号,姓名,部门,有效投诉次数\nE1,a,b,"{count:,}"\n')
    assert parsed.ok
    assert parsed.facts["upheld_complaints"].iloc[0] == count


def test_trailing_empty_rows_and_columns_are_ignored() -> None:
    parsed = parse(
        "工号,姓名,部门,满意度,,\r\n"
        "E1,张三,售后,90,,\r\n"
        "E2,李四,售后,80,,\r\n"
        ",,,,,\r\n"
        ",,,,,\r\n"
        "\r\n"
    )
    assert parsed.ok, parsed.problems
    assert parsed.rows == 2
    assert list(parsed.column_map) == ["工号", "姓名", "部门", "满意度"]
    assert parsed.extras.empty


def test_rows_longer_than_the_header_with_empty_cells_are_read() -> None:
    # Stray empty cells right of the table on some rows only (no commas on the header).
    parsed = parse("工号,姓名,部门,满意度\r\nE1,张三,售后,90,,\r\nE2,李四,售后,80\r\n")
    assert parsed.ok, parsed.problems
    assert parsed.facts["satisfaction"].tolist() == [90.0, 80.0]


def test_values_right_of_the_header_are_a_problem_not_a_crash() -> None:
    parsed = parse("工号,姓名,部门\r\nE1,张三,售后,,oops\r\nE2,李四,售后\r\n")
    assert not parsed.ok
    assert problem_rows(parsed) == [(None, "E", "", "column E has values but no header")]


def test_a_blank_row_in_the_middle_keeps_spreadsheet_row_numbers() -> None:
    parsed = parse("工号,姓名,部门,满意度\r\nE1,张三,售后,90\r\n,,,\r\nE2,李四,售后,abc\r\n")
    assert parsed.facts["source_row"].tolist() == [2, 4]
    assert problem_rows(parsed) == [(4, "满意度", "abc", "not a number")]


def test_formula_looking_text_is_stored_as_plain_text() -> None:
    parsed = parse("工号,姓名,部门,班组\r\nE1,=1+1,@SUM(A1),+86 10\r\nE2,-李四,售后,\r\n")
    assert parsed.ok, parsed.problems
    assert parsed.facts["name"].tolist() == ["=1+1", "-李四"]
    assert parsed.facts["department"].tolist() == ["@SUM(A1)", "售后"]
    assert parsed.facts.loc[0, "team"] == "+86 10"


# ------------------------------------------------------------------ problems, all at once


def test_every_problem_is_reported_at_once_with_row_column_value_and_reason() -> None:
    parsed = parse(
        "工号,姓名,部门,客户满意度,故障处理天数,有效投诉次数\r\n"
        "E1,张三,售后,92%,1,0\r\n"
        "E2,李四,售后,很好,2,1\r\n"
        "E3,王五,售后,101,-1,0\r\n"
        "E1,赵六,售后,90,3%,x\r\n"
        "E5,,售后,80,2,0\r\n",
        name="考核_2026年10月.csv",
    )
    assert not parsed.ok
    assert set(parsed.problems["file"]) == {"考核_2026年10月.csv"}
    assert problem_rows(parsed) == [
        (2, "工号", "E1", "employee id appears more than once in this month (first in row 2)"),
        (3, "客户满意度", "很好", "not a number"),
        (4, "客户满意度", "101", "a percent above 100"),
        (4, "故障处理天数", "-1", "negative days"),
        (5, "工号", "E1", "employee id appears more than once in this month (first in row 2)"),
        (5, "故障处理天数", "3%", "a percent sign in a column measured in days"),
        (5, "有效投诉次数", "x", "not a number"),
        (6, "姓名", "", "姓名 is empty"),
    ]


def test_problems_come_in_spreadsheet_row_order() -> None:
    parsed = parse("工号,姓名,部门,满意度\r\nE1,a,b,x\r\nE2,c,d,120\r\nE3,e,f,y\r\n")
    assert parsed.problems["row"].tolist() == [2, 3, 4]


def test_a_missing_required_column_is_reported_with_the_row_problems() -> None:
    parsed = parse("工号,姓名,满意度\r\nE1,张三,abc\r\nE2,李四,90\r\n")
    assert problem_rows(parsed) == [
        (1, "department", "", "the required column 部门 (department) is missing"),
        (2, "满意度", "abc", "not a number"),
    ]


def test_every_missing_required_column_is_named() -> None:
    parsed = parse("姓名,满意度\r\n张三,90\r\n")
    assert problem_rows(parsed) == [
        (1, "department", "", "the required column 部门 (department) is missing"),
        (1, "employee_id", "", "the required column 工号 (employee_id) is missing"),
    ]


@pytest.mark.parametrize(
    "data", [b"", b"\r\n\r\n", b"   \n"], ids=["zero bytes", "blank", "spaces"]
)
def test_an_empty_file_is_one_problem(data: bytes) -> None:
    parsed = parse_file(data, SCHEME, file_name="2026-10.csv")
    assert problem_rows(parsed) == [(None, "", "", "the file is empty")]
    assert parsed.problems["file"].tolist() == ["2026-10.csv"]
    assert parsed.facts.empty


@pytest.mark.parametrize(
    "text", ["工号,姓名,部门\r\n", "工号,姓名,部门\r\n,,\r\n,,\r\n"], ids=["header", "blank rows"]
)
def test_a_header_only_file_is_a_problem(text: str) -> None:
    parsed = parse(text)
    assert problem_rows(parsed) == [(None, "", "", "the file has no data rows, only a header")]


def test_a_repeated_header_is_reported_once() -> None:
    parsed = parse("工号,姓名,部门,备注,备注\r\nE1,a,b,x,y\r\n")
    assert problem_rows(parsed) == [(1, "备注", "", "the column '备注' appears 2 times")]


def test_two_headers_meaning_the_same_kpi() -> None:
    parsed = parse("工号,姓名,部门,满意度,客户满意度\r\nE1,a,b,90,91\r\n")
    assert problem_rows(parsed) == [
        (1, "客户满意度", "", "columns '满意度' and '客户满意度' both mean satisfaction")
    ]


def test_a_file_that_is_not_text_is_a_problem() -> None:
    parsed = parse_file(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\xff\xfe", SCHEME, file_name="x.csv")
    assert not parsed.ok
    assert "neither UTF-8 nor GBK" in parsed.problems["problem"].iloc[0]


# ------------------------------------------------------------------ ranges


def test_rating_outside_its_scale() -> None:
    parsed = parse("工号,姓名,部门,技能考评,主管评分\r\nE1,a,b,5,100\r\nE2,c,d,5.5,101\r\n")
    assert problem_rows(parsed) == [
        (3, "主管评分", "101", "above the rating scale 0–100"),
        (3, "技能考评", "5.5", "above the rating scale 0–5"),
    ]


def test_order_achievement_may_exceed_100_up_to_its_valid_max() -> None:
    ok = parse("工号,姓名,部门,工单达成率\r\nE1,a,b,150\r\nE2,c,d,200\r\n")
    assert ok.ok, ok.problems
    assert ok.facts["order_achievement"].tolist() == [150.0, 200.0]
    bad = parse("工号,姓名,部门,工单达成率\r\nE1,a,b,150\r\nE2,c,d,250\r\n")
    assert problem_rows(bad) == [(3, "工单达成率", "250", "above the highest allowed 200")]


def test_percent_column_limits_are_inclusive() -> None:
    parsed = parse("工号,姓名,部门,满意度,返修率\r\nE1,a,b,100,0\r\nE2,c,d,0%,100%\r\n")
    assert parsed.ok, parsed.problems
    assert parsed.facts["satisfaction"].tolist() == [100.0, 0.0]


# ------------------------------------------------------------------ the month


@pytest.mark.parametrize(
    ("text", "name", "option", "period", "source"),
    [
        (
            "月份,工号,姓名,部门\r\n2026-10,E1,a,b\r\n2026-10,E2,c,d\r\n",
            "x.csv",
            None,
            "2026-10",
            "column",
        ),
        (
            "考核月份,工号,姓名,部门\r\n2026年10月,E1,a,b\r\n",
            "2025-01.csv",
            None,
            "2026-10",
            "column",
        ),
        ("工号,姓名,部门\r\nE1,a,b\r\n", "2026-10.csv", None, "2026-10", "file name"),
        ("工号,姓名,部门\r\nE1,a,b\r\n", "考核_2026年10月.csv", None, "2026-10", "file name"),
        ("工号,姓名,部门\r\nE1,a,b\r\n", "2026-09.csv", "2026-10", "2026-10", "option"),
        ("工号,姓名,部门\r\nE1,a,b\r\n", "upload.csv", "2026/3", "2026-03", "option"),
    ],
    ids=[
        "period column",
        "月份 in Chinese",
        "file name",
        "Chinese file name",
        "option wins",
        "option 2026/3",
    ],
)
def test_where_the_month_comes_from(
    text: str, name: str, option: str | None, period: str, source: str
) -> None:
    parsed = parse(text, name=name, period=option)
    assert parsed.ok, parsed.problems
    assert (parsed.period, parsed.period_source) == (period, source)
    assert parsed.facts["period"].unique().tolist() == [period]


def test_an_unknown_month_is_a_problem() -> None:
    parsed = parse("工号,姓名,部门\r\nE1,a,b\r\n", name="assessment.csv")
    assert parsed.period is None
    assert problem_rows(parsed) == [
        (
            None,
            "",
            "",
            "the month is unknown: add a 月份/period column, name the file like "
            "2026-10.csv, or choose the month when importing",
        )
    ]


def test_an_option_that_is_not_a_month_is_a_problem() -> None:
    parsed = parse("工号,姓名,部门\r\nE1,a,b\r\n", name="2026-10.csv", period="October")
    assert problem_rows(parsed) == [
        (None, "", "", "the month 'October' given for this file is not a month like 2026-10")
    ]


def test_two_months_in_the_period_column_is_a_problem() -> None:
    parsed = parse("月份,工号,姓名,部门\r\n2026-10,E1,a,b\r\n2026-11,E2,c,d\r\n", name="x.csv")
    assert not parsed.ok
    assert parsed.period is None
    assert problem_rows(parsed) == [
        (
            None,
            "月份",
            "",
            "the file holds more than one month (2026-10, 2026-11): one file per month",
        )
    ]


def test_period_column_rows_that_disagree_with_the_chosen_month() -> None:
    parsed = parse(
        "period,工号,姓名,部门\r\n2026-10,E1,a,b\r\n2026-09,E2,c,d\r\nsoon,E3,e,f\r\n",
        name="x.csv",
        period="2026-10",
    )
    assert problem_rows(parsed) == [
        (3, "period", "2026-09", "month differs from 2026-10"),
        (4, "period", "soon", "not a month (use 2026-10)"),
    ]


# ------------------------------------------------------------------ columns the scheme lacks


def test_unknown_columns_are_kept_as_extras() -> None:
    parsed = parse(
        "工号,姓名,部门,满意度,备注,Shift\r\nE1,a,b,90,迟到一次,night\r\nE2,c,d,80,,day\r\n"
    )
    assert parsed.ok, parsed.problems
    assert parsed.column_map["备注"] == "" and parsed.column_map["Shift"] == ""
    assert "备注" not in parsed.facts and "Shift" not in parsed.facts
    expected = pd.DataFrame(
        {
            "employee_id": ["E1", "E1", "E2"],
            "column": ["备注", "Shift", "Shift"],
            "value": ["迟到一次", "night", "day"],
        }
    )
    got = parsed.extras.sort_values(["employee_id", "column"], ascending=[True, False])
    assert got.reset_index(drop=True).astype(object).equals(expected.astype(object))


# ------------------------------------------------------------------ the bundled demo months


@pytest.mark.parametrize("file_name", sorted(DEMO_MONTHS))
def test_every_demo_file_parses_cleanly_with_its_month(file_name: str) -> None:
    parsed = parse_file(paths.SAMPLE_DIR / file_name, SCHEME)
    assert parsed.ok, parsed.problems.head(10)
    assert parsed.period == DEMO_MONTHS[file_name]
    assert parsed.file_name == file_name
    assert 250 <= parsed.rows <= 350
    assert parsed.facts["employee_id"].is_unique
    assert set(parsed.facts.columns) >= {"employee_id", "name", "department", *SCHEME.kpi_ids}


def test_the_demo_folder_holds_exactly_the_expected_months() -> None:
    assert sorted(p.name for p in paths.SAMPLE_DIR.glob("*.csv")) == sorted(DEMO_MONTHS)


@pytest.mark.parametrize("blank", ["\u3000\u3000\r\n", "\u00a0 \n"], ids=["ideographic", "nbsp"])
def test_a_file_of_unicode_spaces_is_empty(blank: str) -> None:
    parsed = parse_file(blank.encode("utf-8"), SCHEME, file_name="2026-10.csv")
    assert problem_rows(parsed) == [(None, "", "", "the file is empty")]


def test_a_rates_cases_column_must_hold_whole_numbers_of_0_or_more() -> None:
    parsed = parse(
        "工号,姓名,部门,满意度,回访数,来电数\r\n"
        'E1,a,b,90,20,"1,200"\r\nE2,c,d,80,abc,3\r\nE3,e,f,85,-2,2.5\r\n'
    )
    assert problem_rows(parsed) == [
        (3, "回访数", "abc", "not a number"),
        (4, "回访数", "-2", "the cases of 客户满意度 must be a whole number of 0 or more"),
        (4, "来电数", "2.5", "the cases of 一次性解决率 must be a whole number of 0 or more"),
    ]
    good = parse("工号,姓名,部门,满意度,回访数\r\nE1,a,b,90,20\r\nE2,c,d,80,\r\n")
    assert good.ok and good.extras["value"].tolist() == ["20"]
