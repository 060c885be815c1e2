"""The printed statement (绩效考核表): the text a PDF holds, one A4 page per person, the blank
interview form or the filled one, a department as one PDF or a ZIP."""

from __future__ import annotations

import io
import subprocess
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from engine import paths
from engine.cycle.results import monthly_rows, period_table
from engine.output.statement import build_statements
from engine.output.statement_pdf import statements_pdf, statements_zip
from engine.schemes.scheme import load_scheme
from engine.store import Store
from tests.apptest import demo_store
from tests.test_cli import cli, write

SCHEME = load_scheme(paths.DEFAULT_SCHEME)
# Hand-computed under aftersales.toml (role 服务工程师 = the default plan; blank KPIs drop out and
# their category's other KPIs share the weight):
# E001 张三: 故障处理天数 1.5 天 → 5 分 = 100; 有效投诉 0 → 100; 工作质量 = 100.
#   工单达成率 95 → (95 − 60) / (100 − 60) = 87.5; 业务水平 = 87.5. 客户满意度 92% → 100.
#   total = 50% × 100 + 30% × 87.5 + 20% × 100 = 96.25 → 优秀, 1,000.00 元.
#   points: 故障处理天数 50 × 25/45 = 27.78, 有效投诉次数 50 × 20/45 = 22.22, 26.25, 20.00.
# E002 李四: 3 天 → 4 分 = 80; 1 次投诉 → 80; 工作质量 80. 工单达成率 80 → 50. 满意度 85% → 85.
#   total = 40 + 15 + 17 = 72.00 → 合格, 0.00; with 加减分 +3 (主动加班): 75.00 → 合格.
OCTOBER = (
    "工号,姓名,部门,班组,岗位,客户满意度,工单达成率,故障处理天数,有效投诉次数\r\n"
    "E001,张三,售后服务部,售后一组,服务工程师,92%,95,1.5,0\r\n"
    "E002,李四,售后服务部,售后二组,服务工程师,85,80,3,1\r\n"
    "E003,王五,客服部,客服一组,客服专员,70,60,,2\r\n"
)
A4_POINTS = (595.28, 841.89)


@pytest.fixture(scope="module")
def small_store(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("statement")
    db = folder / "small.duckdb"
    assert cli(db, "import", write(folder, "2026-10.csv", OCTOBER)).returncode == 0
    adjusted = cli(db, "adjust", "2026-10", "E002", "--points", "3", "--reason", "主动加班")
    assert adjusted.returncode == 0, adjusted.stderr
    return db


def statements(db: Path, department: str | None = None, **optional) -> list:
    store = Store(db)
    table = period_table(store, SCHEME, "2026-10")
    if department:
        table = table[table["department"] == department]
    return build_statements(
        table, monthly_rows(store, SCHEME, ["2026-10"]), SCHEME, "2026-10", **optional
    )


def pages_text(content: bytes) -> list[str]:
    """Each page's text as poppler's pdftotext reads it (pypdf misreads fpdf2's embedded CMap
    of a CID font as one-byte codes)."""
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=content, capture_output=True, check=True
    )
    return done.stdout.decode("utf-8").split("\f")[:-1]


def one(db: Path, employee: str, **optional):
    return next(s for s in statements(db, **optional) if s.employee_id == employee)


def test_the_statement_holds_the_name_the_chinese_kpis_the_total_and_the_grade(small_store):
    content = statements_pdf([one(small_store, "E001")])
    [text] = pages_text(content)
    for expected in (
        "绩效考核表",
        "张三",
        "E001",
        "售后服务部",
        "售后一组",
        "服务工程师",
        "2026-10",
    ):
        assert expected in text
    for kpi in ("故障处理天数", "有效投诉次数", "工单达成率", "客户满意度"):
        assert kpi in text
    assert "0–2天 → 5 分" in text  # the standard the raw value was scored by
    for figure in ("96.25", "优秀", "1,000.00", "27.78", "22.22", "26.25", "20.00", "87.50"):
        assert figure in text
    assert "1.5 天" in text and "92%" in text and "95%" in text


def test_the_page_is_a4_and_one_page_per_person(small_store):
    content = statements_pdf(statements(small_store, "售后服务部"))
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 2
    for page in reader.pages:
        assert (round(float(page.mediabox.width), 2), round(float(page.mediabox.height), 2)) == (
            A4_POINTS
        )
    first, second = pages_text(content)
    assert "张三" in first and "李四" not in first
    assert "李四" in second and "张三" not in second


def test_an_adjustment_is_printed_with_its_reason_beside_the_computed_total(small_store):
    [text] = pages_text(statements_pdf([one(small_store, "E002")]))
    assert "72.00" in text and "75.00" in text and "+3.00" in text
    assert "主动加班" in text and "合格" in text


def test_without_an_interview_record_the_form_is_printed_blank_to_fill_in_by_hand(small_store):
    [text] = pages_text(statements_pdf([one(small_store, "E001")]))
    for field in (
        "绩效考核面谈记录",
        "受考核人所具备的优点简述",
        "受考核人在工作上有待改善的地方",
        "受考核人对考核结果意见",
        "接受",
        "不接受",
        "反对",
        "受考核人签名/日期",
        "面谈人签名/日期",
        "直接上级",
        "部门负责人",
        "总经理审批",
        "日期",
    ):
        assert field in text, field


def test_an_interview_record_and_an_acknowledgement_are_printed_when_given(small_store):
    interviews = pd.DataFrame(
        {
            "employee_id": ["E001"],
            "strengths": ["响应迅速,客户评价高"],
            "improvements": ["工单达成率仍有差距"],
            "plan": ["每周复盘未完成工单"],
            "plan_kpis": ["order_achievement"],
            "interviewer": ["王经理"],
            "employee_confirmed_on": ["2026-11-05"],
            "manager_confirmed_on": ["2026-11-04"],
        }
    )
    said = pd.DataFrame({"employee_id": ["E001"], "choice": ["accept"], "at": ["2026-11-06"]})
    s = one(small_store, "E001", interviews=interviews, acknowledgements=said)
    assert s.acknowledgement.choice == "接受"
    [text] = pages_text(statements_pdf([s]))
    assert "响应迅速,客户评价高" in text and "工单达成率仍有差距" in text
    assert "每周复盘未完成工单(工单达成率)" in text
    assert "2026-11-06" in text and "王经理" in text and "2026-11-05" in text


def test_a_department_as_a_zip_holds_one_pdf_per_person(small_store):
    archive = zipfile.ZipFile(io.BytesIO(statements_zip(statements(small_store, "售后服务部"))))
    names = sorted(archive.namelist())
    assert names == ["2026-10_售后服务部_E001_张三.pdf", "2026-10_售后服务部_E002_李四.pdf"]
    for name in names:
        assert len(PdfReader(io.BytesIO(archive.read(name))).pages) == 1


def test_every_demo_person_of_a_department_fits_one_page(tmp_path):
    store = Store(demo_store(tmp_path))
    month = store.periods()[-1]
    table = period_table(store, SCHEME, month)
    people = table[table["department"] == "售后服务部"]
    built = build_statements(people, monthly_rows(store, SCHEME, [month]), SCHEME, month)
    reader = PdfReader(io.BytesIO(statements_pdf(built)))
    assert len(reader.pages) == len(people) > 30


@pytest.mark.parametrize(("repeat", "pages"), [(40, 1), (150, 2)])
def test_a_long_interview_record_shrinks_the_page_then_continues_on_a_second(
    small_store, repeat, pages
):
    """A page that would overflow is set smaller; past the smallest size it goes on to a second
    page (under the same footer) instead of being cut."""
    interviews = pd.DataFrame(
        {"employee_id": ["E001"], "strengths": ["响应迅速,技术扎实,客户评价高;" * repeat]}
    )
    content = statements_pdf([one(small_store, "E001", interviews=interviews)])
    text = pages_text(content)
    assert len(text) == pages
    assert "".join(text).replace("\n", "").count("客户评价高") == repeat
    assert "总经理审批" in text[-1] and "96.25" in text[0]


def test_a_kpi_without_a_value_reads_missing(small_store):
    [text] = pages_text(statements_pdf([one(small_store, "E001")]))
    assert "缺失" in text  # 一次性解决率 is not in the file
