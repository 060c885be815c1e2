"""The monthly report pack and `python -m engine statement | report`: what the PDFs hold, that
charts are vector drawings, A4 pages, exit codes, and scope (--as)."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from engine import paths
from engine.accounts import add_user
from engine.cycle.results import monthly_rows, period_table
from engine.output import report
from engine.output.report import ReportData, report_pdf
from engine.schemes.scheme import load_scheme
from engine.store import Store
from tests.test_cli import cli, write
from tests.test_statement import A4_POINTS, pages_text

HEADER = "工号,姓名,部门,班组,岗位,客户满意度,工单达成率,故障处理天数,有效投诉次数\r\n"
# Hand-computed under aftersales.toml (see tests/test_statement.py for the two score lines):
# September: E001 72.00 合格, E002 96.25 优秀; October: E001 96.25 优秀, E002 72.00 合格.
# 售后服务部: mean (96.25 + 72.00) / 2 = 84.125 → 84.13 both months, change +0.00; movers E001
# +24.25, E002 −24.25; October's mix 优秀 1 (50.0 %, target 15 → +35.0), 合格 1 (50.0 %, target 30
# → +20.0); money 1,000.00 + 0.00 each month. 客服部: 王五 alone.
SEPTEMBER = HEADER + (
    "E001,张三,售后服务部,售后一组,服务工程师,85,80,3,1\r\n"
    "E002,李四,售后服务部,售后二组,服务工程师,92%,95,1.5,0\r\n"
    "E003,王五,客服部,客服一组,客服专员,70,60,,2\r\n"
)
OCTOBER = HEADER + (
    "E001,张三,售后服务部,售后一组,服务工程师,92%,95,1.5,0\r\n"
    "E002,李四,售后服务部,售后二组,服务工程师,85,80,3,1\r\n"
    "E003,王五,客服部,客服一组,客服专员,72,60,,2\r\n"
)


@pytest.fixture(scope="module")
def two_months(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("pack")
    db = folder / "pack.duckdb"
    files = [write(folder, "2026-09.csv", SEPTEMBER), write(folder, "2026-10.csv", OCTOBER)]
    assert cli(db, "import", *files).returncode == 0
    accounts = folder / "accounts.toml"
    add_user("wang", "wang-password", "manager", ["客服部"], file=accounts)
    add_user("zhao", "zhao-password", "viewer", file=accounts)
    return db


def accounts_of(db: Path) -> str:
    return str(db.parent / "accounts.toml")


def test_the_report_pack_of_a_department_holds_every_section_with_its_figures(two_months, tmp_path):
    out = tmp_path / "pack.pdf"
    done = cli(
        two_months, "report", "--period", "2026-10", "--department", "售后服务部", "--out", out
    )
    assert done.returncode == 0, done.stderr
    assert "2 people" in done.stdout
    text = "\n".join(pages_text(out.read_bytes()))
    for section in (
        "月度绩效报告",
        "一、核心指标(与上期对比)",
        "二、等级分布与目标",
        "三、排名",
        "四、各班组指标得分",
        "五、进步与退步最多",
        "六、服务目标达成",
        "七、未结申诉",
        "八、规则提醒",
    ):
        assert section in text, section
    assert "售后服务部" in text and "2026-09" in text
    assert "84.13" in text and "+0.00" in text  # the mean against the previous month
    assert "+24.25" in text and "-24.25" in text  # the movers
    assert "+35.0" in text and "+20.0" in text  # 优秀 and 合格 against the target mix
    assert "1,000.00" in text
    assert "张三" in text and "李四" in text and "王五" not in text
    # the KPI breakdown by team (a long KPI name wraps in its narrow column header)
    assert "售后一组" in text and "故障处理天数" in text.replace("\n", "")


def test_the_report_pack_is_a4_and_its_charts_are_vector_drawings(two_months, tmp_path):
    out = tmp_path / "pack.pdf"
    assert cli(two_months, "report", "--period", "2026-10", "--out", out).returncode == 0
    reader = PdfReader(out)
    for page in reader.pages:
        size = (round(float(page.mediabox.width), 2), round(float(page.mediabox.height), 2))
        assert size == A4_POINTS
        assert len(page.images) == 0
    content = reader.pages[0].get_contents().get_data()
    assert content.count(b" re f") + content.count(b" re\nf") > 5  # filled bars drawn as paths
    assert "全公司" in pages_text(out.read_bytes())[0]


def test_statement_commands_write_a_pdf_a_department_batch_and_a_zip(two_months, tmp_path):
    one = tmp_path / "one.pdf"
    done = cli(two_months, "statement", "--period", "2026-10", "--employee", "E001", "--out", one)
    assert done.returncode == 0, done.stderr
    [text] = pages_text(one.read_bytes())
    assert "张三" in text and "96.25" in text and "优秀" in text and "客户满意度" in text
    batch = tmp_path / "dept.pdf"
    args = ["statement", "--period", "2026-10", "--department", "售后服务部", "--out", batch]
    assert cli(two_months, *args).returncode == 0
    assert len(PdfReader(batch).pages) == 2
    packed = tmp_path / "dept.zip"
    assert cli(two_months, *args[:-1], packed, "--zip").returncode == 0
    assert len(zipfile.ZipFile(io.BytesIO(packed.read_bytes())).namelist()) == 2
    exports = Store(two_months).events()
    assert exports["detail"].str.startswith("statement 2026-10").sum() == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["statement", "--period", "2026-13", "--employee", "E001"], "is not a period"),
        (["statement", "--period", "2026-08", "--employee", "E001"], "no data for 2026-08"),
        (["statement", "--period", "2026-10", "--employee", "E999"], "E999 has no results"),
        (["statement", "--period", "2026-10", "--department", "质检部"], "nobody in 质检部"),
        (["statement", "--period", "2026-10"], "one of the arguments"),
        (["report", "--period", "2026-10", "--department", "质检部"], "nobody to report on"),
        (["report", "--period", "nope"], "is not a period"),
    ],
)
def test_bad_input_exits_2_with_a_message_and_writes_nothing(two_months, tmp_path, args, message):
    out = tmp_path / "x.pdf"
    done = cli(two_months, *args, "--out", out)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
    assert not out.exists()


def test_as_a_manager_only_their_department_is_printed(two_months, tmp_path):
    scope = ["--as", "wang", "--accounts", accounts_of(two_months)]
    out = tmp_path / "x.pdf"
    other = cli(
        two_months, "statement", "--period", "2026-10", "--employee", "E001", "--out", out, *scope
    )
    assert other.returncode == 2 and "out of scope" in other.stderr and not out.exists()
    own = cli(
        two_months, "statement", "--period", "2026-10", "--employee", "E003", "--out", out, *scope
    )
    assert own.returncode == 0 and "王五" in pages_text(out.read_bytes())[0]
    pack = tmp_path / "pack.pdf"
    assert cli(two_months, "report", "--period", "2026-10", "--out", pack, *scope).returncode == 0
    text = "\n".join(pages_text(pack.read_bytes()))
    assert "王五" in text and "客服部" in text
    assert "张三" not in text and "李四" not in text and "售后服务部" not in text
    refused = cli(
        two_months,
        "report",
        "--period",
        "2026-10",
        "--department",
        "售后服务部",
        "--out",
        pack,
        *scope,
    )
    assert refused.returncode == 2


def test_a_viewer_gets_no_statement_and_an_unknown_account_is_refused(two_months, tmp_path):
    out = tmp_path / "x.pdf"
    base = ["statement", "--period", "2026-10", "--department", "客服部", "--out", out]
    viewer = cli(two_months, *base, "--as", "zhao", "--accounts", accounts_of(two_months))
    assert viewer.returncode == 2 and "statements are personal" in viewer.stderr
    nobody = cli(two_months, *base, "--as", "li", "--accounts", accounts_of(two_months))
    assert nobody.returncode == 2 and "no account 'li'" in nobody.stderr
    assert not out.exists()


def pack_data(db: Path, **optional) -> ReportData:
    store = Store(db)
    scheme = load_scheme(paths.DEFAULT_SCHEME)
    return ReportData(
        period="2026-10",
        previous="2026-09",
        scope="售后服务部",
        scheme=scheme,
        table=period_table(store, scheme, "2026-10"),
        before=period_table(store, scheme, "2026-09"),
        history=monthly_rows(store, scheme),
        **optional,
    )


def test_open_appeals_are_listed_when_the_product_keeps_them(two_months):
    appeals = pd.DataFrame(
        {
            "employee_id": ["E002"],
            "name": ["李四"],
            "department": ["售后服务部"],
            "kpis": ["故障处理天数"],
            "reason": ["系统记录的处理天数含周末"],
            "state": ["待处理"],
            "filed_at": ["2026-11-06 09:30"],
        }
    )
    text = "\n".join(pages_text(report_pdf(pack_data(two_months, appeals=appeals))))
    assert "系统记录的处理天数含周末" in text and "待处理" in text and "2026-11-06" in text
    none_open = pages_text(report_pdf(pack_data(two_months, appeals=appeals.iloc[0:0])))
    assert "无未结申诉。" in "\n".join(none_open)
    without = pages_text(report_pdf(pack_data(two_months)))
    assert "本报告未接入申诉记录。" in "\n".join(without)


def test_flags_from_the_rules_are_listed_and_an_unreadable_rules_file_says_why(two_months):
    flags = pd.DataFrame(
        {
            "period": ["2026-10"],
            "employee_id": ["E002"],
            "name": ["李四"],
            "department": ["售后服务部"],
            "action": ["flag"],
            "rule_zh": ["连续两次考核不合格"],
            "reason_zh": ["2026-09、2026-10 → 解除劳动合同审查"],
        }
    )
    text = "\n".join(pages_text(report_pdf(pack_data(two_months, flags=flags))))
    assert "连续两次考核不合格" in text and "解除劳动合同审查" in text
    broken = pack_data(two_months, flags=None, flags_note="rules file: bad streak")
    assert "规则未评估:rules file: bad streak" in "\n".join(pages_text(report_pdf(broken)))


def test_more_than_ten_kpis_go_into_team_tables_of_ten(two_months):
    drawn = []
    original = report.table

    def counting(pdf, columns, rows, **kwargs):
        drawn.append([c.title for c in columns])
        return original(pdf, columns, rows, **kwargs)

    data = pack_data(two_months)
    wide = data.table.assign(**{f"score_{k.id}": 80.0 for k in data.scheme.kpis})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(report, "table", counting)
        report_pdf(replace(data, table=wide))
    kpi_tables = [t for t in drawn if t[:2] == ["部门", "班组"] and "平均分" in t]
    assert [len(t) - 4 for t in kpi_tables] == [10, 2]  # aftersales has 12 KPIs
