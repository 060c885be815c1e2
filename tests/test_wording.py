"""The import checks' problems and notes, worded by the engine in English, read in Chinese on a
Chinese page (and without field ids in English), so a problem list is in one language."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from engine.intake.compare import warnings_against_previous
from engine.intake.parse import parse_file
from engine.schemes.scheme import load_scheme
from ui.wording import event_detail, in_language, move_text

HEADER = "工号,姓名,部门,客户满意度,故障处理天数,响应时间,入职日期"
LATIN = re.compile(r"[A-Za-z]{2,}")
# Latin words a Chinese problem keeps: file kinds and encodings, a CSV parser's own message.
KEPT = {"CSV", "UTF", "GBK", "GB", "Excel", "xlsx", "xls", "csv", "min"}


def bad_files() -> dict[str, bytes]:
    """Files with one kind of problem each, as people send them."""
    row = "E1,张三,售后服务部,90,2,5,2020-01-01"
    return {
        "2026-10.csv": (
            f"{HEADER}\r\n{row}\r\nE1,李四,,abc,-1,5%,2027-05-01\r\nE3,王五,客服部,101,2,5,x\r\n"
        ).encode(),
        "empty.csv": b"",
        "header.csv": f"{HEADER}\r\n".encode(),
        "no_month.csv": f"{HEADER}\r\n{row}\r\n".encode(),
        "2026-11.csv": f"{HEADER},,工号\r\n{row},7,E9\r\n".encode(),
        "months.csv": (
            f"月份,{HEADER}\r\n2026-10,{row}\r\n2026-11,{row[:1]}2{row[2:]}\r\nx,{row}\r\n"
        ).encode(),
        "2026-12.xlsx": b"not a workbook at all",
        "2026-09.csv": "工号,姓名\r\nE1,张三\r\n".encode(),
        "2026-08.csv": b"\xff\xfe\x00\xd8" * 10,
    }


def problems_of_every_kind() -> list[str]:
    scheme = load_scheme()
    texts = []
    for name, content in bad_files().items():
        parsed = parse_file(content, scheme, file_name=name)
        texts += parsed.problems["problem"].tolist() + parsed.warnings["problem"].tolist()
    return sorted(set(texts))


def test_the_bad_files_give_many_kinds_of_problem():
    assert len(problems_of_every_kind()) >= 12


@pytest.mark.parametrize("problem", problems_of_every_kind())
def test_every_problem_reads_in_chinese(problem):
    said = in_language(problem, load_scheme(), "zh")
    assert said != problem or not LATIN.search(problem)
    assert set(LATIN.findall(said)) <= KEPT, said


def test_field_ids_become_names_in_english():
    scheme = load_scheme()
    said = in_language("columns 'a' and 'b' both mean fault_days", scheme, "en")
    assert said == "columns 'a' and 'b' both mean Fault-handling days"
    missing = in_language("the required column 部门 (department) is missing", scheme, "en")
    assert missing == "the required column Department is missing"
    assert in_language("a percent sign in a column measured in days", scheme, "zh") == (
        "以天计量的列中出现百分号"
    )


def test_notes_against_last_month_read_in_chinese():
    scheme = load_scheme()
    new = pd.DataFrame(
        {"employee_id": ["E1", "E3"], "name": ["张三", "王五"], "fault_days": [9.0, 9]}
    )
    old = pd.DataFrame(
        {"employee_id": ["E1", "E2"], "name": ["张三", "李四"], "fault_days": [1.0, 1]}
    )
    notes = warnings_against_previous(new, old, scheme, "a.csv")["problem"]
    said = [in_language(n, scheme, "zh") for n in notes]
    assert said == [
        "故障处理天数:均值是上月的 9.0 倍",
        "上月的 1 名员工不在此文件中",
        "1 名员工是上月之后新增的",
    ]
    english = in_language(notes.iloc[0], scheme, "en")
    assert english == "Fault-handling days: mean is 9.0× last month's"


def test_audit_details_and_moves_read_in_one_language():
    assert event_detail("2026-10.csv, 300 rows, replaces import 3", "zh") == (
        "2026-10.csv,300 行,替换导入 #3"
    )
    assert event_detail("2026-10.csv, 300 rows", "en") == "2026-10.csv, 300 rows"
    assert event_detail("加减分超出 ±5 / points beyond ±5", "en") == "points beyond ±5"
    assert move_text("审批 approve: 2026-10 calibrated → approved", "zh") == (
        "审批:2026-10 已校准 → 已审批"
    )
    assert move_text("审批 approve: 2026-10 calibrated → approved", "en") == (
        "Approve: 2026-10 calibrated → approved"
    )
