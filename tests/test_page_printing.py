"""The PDF download buttons: a person's statement and a department's batch on the employee page,
the report pack on the overview page; each made when clicked and scoped to what the user may see."""

from __future__ import annotations

import io
import re
import time
import zipfile

import pytest
from pypdf import PdfReader

import ui.auth
import ui.page
from engine.accounts import Access
from engine.store import Store
from tests.apptest import open_page
from tests.test_statement import pages_text

MANAGER = Access("wang", "manager", ("客服部",))
VIEWER = Access("zhao", "viewer")
ADMIN = Access("admin.zhou", "admin")
OTHER_DEPARTMENTS = ("呼叫中心", "售后服务部", "备件部", "技术支持部", "质检部")


@pytest.fixture
def documents(monkeypatch) -> dict:
    """Every document download the pages draw, unclicked: file name → content callable."""
    found = {}
    original = ui.page.deferred_file

    def keep(make, file_name, detail, key):
        content = original(make, file_name, detail, key)
        found[key] = (file_name, content)
        return content

    monkeypatch.setattr(ui.page, "deferred_file", keep)
    return found


def signed_in(access: Access) -> dict:
    return {"access": access, "last_seen": time.time()}


def test_the_employee_page_prints_the_person_and_the_department(signed_store_file, documents):
    at = open_page("employee", {"employee": "E0175"}, **signed_in(MANAGER))
    assert not at.exception
    name, make = documents["employee_statement_pdf"]
    assert name.endswith("_E0175.pdf")
    assert (
        not Store(signed_store_file).events()["action"].eq("export").any()
    )  # made only when clicked
    [text] = pages_text(make())
    person = Store(signed_store_file).facts(["2026-10"]).set_index("employee_id").loc["E0175"]
    assert person["name"] in text and "绩效考核表" in text and "客户满意度" in text
    log = Store(signed_store_file).events()
    assert log.loc[log["action"] == "export", "detail"].str.contains("E0175.pdf").any()
    assert at.selectbox(key="statement_department").options == ["客服部"]
    _, batch = documents["department_statements"]
    content = batch()
    facts = Store(signed_store_file).facts(["2026-10"])
    members = facts[facts["department"] == "客服部"]
    assert len(PdfReader(io.BytesIO(content)).pages) == len(members)
    shown = "\n".join(pages_text(content))
    assert not [d for d in OTHER_DEPARTMENTS if d in shown]
    assert set(re.findall(r"E\d{4}", shown)) == set(members["employee_id"])


def test_a_department_batch_as_a_zip_holds_a_pdf_per_person(signed_store_file, documents):
    at = open_page("employee", **signed_in(ADMIN))
    at.selectbox(key="statement_department").set_value("质检部")
    at.radio(key="statement_packed").set_value(True).run()
    assert not at.exception
    name, make = documents["department_statements"]
    assert name.endswith("_质检部.zip")
    archive = zipfile.ZipFile(io.BytesIO(make()))
    facts = Store(signed_store_file).facts(["2026-10"])
    assert len(archive.namelist()) == (facts["department"] == "质检部").sum()


def test_the_overview_report_pack_is_scoped_to_the_manager(signed_store_file, documents):
    at = open_page(**signed_in(MANAGER))
    assert not at.exception
    name, make = documents["report_pack"]
    assert name == "绩效报告_2026-10_客服部.pdf"
    text = "\n".join(pages_text(make()))
    assert "月度绩效报告" in text and "范围:客服部" in text and "八、规则提醒" in text
    assert not [d for d in OTHER_DEPARTMENTS if d in text]
    facts = Store(signed_store_file).facts()
    managed = set(facts.loc[facts["department"] == "客服部", "employee_id"])
    assert set(re.findall(r"E\d{4}", text)) <= managed


def test_the_company_report_pack_for_an_admin(signed_store_file, documents):
    at = open_page(**signed_in(ADMIN))
    assert not at.exception
    name, make = documents["report_pack"]
    assert name == "绩效报告_2026-10_全公司.pdf"
    text = "\n".join(pages_text(make()))
    assert "范围:全公司" in text and all(d in text for d in OTHER_DEPARTMENTS)


def test_a_viewers_report_pack_names_nobody(signed_store_file, documents):
    at = open_page(**signed_in(VIEWER))
    assert not at.exception
    text = "\n".join(pages_text(documents["report_pack"][1]()))
    assert "五、进步与退步最多" in text and "人员排名" in text
    names = set(Store(signed_store_file).facts()["name"])
    assert not [n for n in names if n in text]
    assert not re.search(r"E\d{4}", text)
