"""Notifications, against a local HTTP server (the group robots) and a local SMTP server that
each test starts on 127.0.0.1 and stops: one message per recipient, only its own scope."""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import hmac
import json
import socket
import socketserver
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from engine import notify
from engine.accounts import Access
from engine.cycle.close import make_move, month_standing
from engine.cycle.config import load_cycle
from engine.notify import NotifyError, load_notify
from engine.notify.config import Recipient
from engine.notify.messages import department_figures, month_messages
from engine.store import Store
from tests.apptest import demo_store

CONFIG = load_cycle()
ADMIN = Access("boss", "admin")
TO_APPROVED = ("submit", "calibrate", "approve")
DINGTALK_SECRET = "SEC-dingtalk-secret"
FEISHU_SECRET = "feishu-secret"


class Robots(ThreadingHTTPServer):
    """Every group robot at once, one path each; it keeps what it was sent."""

    daemon_threads = True

    def __init__(self, answer: str = "ok"):
        super().__init__(("127.0.0.1", 0), RobotHandler)
        self.answer = answer
        self.received: list[dict] = []
        self.gate = threading.Event()
        self.gate.set()

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class RobotHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers["Content-Length"])
        body = json.loads(self.rfile.read(length).decode("utf-8"))
        robots: Robots = self.server
        address = urllib.parse.urlsplit(self.path)
        robots.received.append(
            {
                "path": address.path,
                "query": dict(urllib.parse.parse_qsl(address.query)),
                "body": body,
                "at": time.monotonic(),
            }
        )
        robots.gate.wait(10)
        if robots.answer == "fail":
            self.send_response(500)
            self.end_headers()
            return
        said = {"errcode": 93000, "errmsg": "invalid webhook url"}
        said = said if robots.answer == "refuse" else {"errcode": 0, "errmsg": "ok"}
        data = json.dumps(said).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class MailServer(socketserver.ThreadingTCPServer):
    """A minimal SMTP server (EHLO, MAIL, RCPT, DATA, QUIT) keeping each mail it takes."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), MailHandler)
        self.mails: list[tuple[list[str], bytes]] = []

    @property
    def port(self) -> int:
        return self.server_address[1]


class MailHandler(socketserver.StreamRequestHandler):
    def say(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        self.say("220 127.0.0.1 test ESMTP")
        rcpts: list[str] = []
        while line := self.rfile.readline():
            command = line[:4].upper()
            if command == b"EHLO":
                self.say("250-127.0.0.1")
                self.say("250 8BITMIME")
            elif command == b"RCPT":
                rcpts.append(line.decode().split(":", 1)[1].strip().strip("<>"))
                self.say("250 OK")
            elif command in (b"HELO", b"MAIL", b"RSET", b"NOOP"):
                self.say("250 OK")
            elif command == b"DATA":
                self.say("354 go ahead")
                lines = []
                while (part := self.rfile.readline()) != b".\r\n":
                    lines.append(part[1:] if part.startswith(b"..") else part)
                self.server.mails.append((rcpts, b"".join(lines)))
                rcpts = []
                self.say("250 OK")
            elif command == b"QUIT":
                self.say("221 bye")
                return
            else:
                self.say("502 not here")


def serving(server):
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


@pytest.fixture
def robots():
    server = serving(Robots())
    yield server
    server.gate.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def mail():
    server = serving(MailServer())
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def demo(tmp_path) -> Store:
    return Store(demo_store(tmp_path))


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def write_config(tmp_path: Path, monkeypatch, text: str) -> Path:
    file = tmp_path / "notify.toml"
    file.write_text(text, encoding="utf-8")
    monkeypatch.setenv("ASSESS_NOTIFY", str(file))
    return file


def everyone(robots: Robots, mail_port: int, delivery: str = "") -> str:
    """A robot for 售后服务部 (WeCom), one for 客服部 (DingTalk, signed), one for the company
    (Feishu, signed) and a mail list for 技术支持部 and 质检部."""
    return f"""
[delivery]
retries = 1
backoff_seconds = 0.05
timeout_seconds = 5
{delivery}

[smtp]
host = "127.0.0.1"
port = {mail_port}
security = "none"
sender = "绩效考核 <assess@example.com>"

[[recipients]]
name = "售后服务部群"
channel = "wecom"
url = "{robots.address}/wecom?key=k1"
departments = ["售后服务部"]

[[recipients]]
name = "客服部群"
channel = "dingtalk"
url = "{robots.address}/dingtalk?access_token=t2"
secret = "{DINGTALK_SECRET}"
departments = ["客服部"]

[[recipients]]
name = "管理层群"
channel = "feishu"
url = "{robots.address}/feishu"
secret = "{FEISHU_SECRET}"
scope = "company"

[[recipients]]
name = "技术与质检"
channel = "email"
to = ["tech@example.com", "qa@example.com"]
departments = ["技术支持部", "质检部"]
"""


def publish(store: Store, scheme) -> float:
    """Move October to published; the seconds the publish move itself took."""
    for action in TO_APPROVED:
        make_move(store, CONFIG, ADMIN, scheme, action, "2026-10")
    started = time.monotonic()
    make_move(store, CONFIG, ADMIN, scheme, "publish", "2026-10")
    return time.monotonic() - started


def text_of(request: dict) -> str:
    body = request["body"]
    return body["text"]["content"] if "text" in body else body["content"]["text"]


def test_each_recipient_hears_once_and_only_of_its_own_departments(
    demo, scheme, robots, mail, tmp_path, monkeypatch
):
    write_config(tmp_path, monkeypatch, everyone(robots, mail.port))
    facts = demo.facts(["2026-10"])
    departments = set(facts["department"])
    publish(demo, scheme)
    assert notify.wait_for_deliveries(30)

    by_path = {r["path"]: r for r in robots.received}
    assert sorted(r["path"] for r in robots.received) == ["/dingtalk", "/feishu", "/wecom"]
    assert len(mail.mails) == 1
    rcpts, raw = mail.mails[0]
    letter = email.message_from_bytes(raw, policy=email.policy.default)
    texts = {
        "wecom": text_of(by_path["/wecom"]),
        "dingtalk": text_of(by_path["/dingtalk"]),
        "feishu": text_of(by_path["/feishu"]),
        "email": letter.get_content(),
    }
    own = {
        "wecom": {"售后服务部"},
        "dingtalk": {"客服部"},
        "feishu": departments,
        "email": {"技术支持部", "质检部"},
    }
    for channel, text in texts.items():
        assert "2026-10 考核结果已发布" in text
        named = {d for d in departments if d in text}
        assert named == own[channel], channel  # no other department's name
        for department in own[channel]:
            people = int(facts["department"].eq(department).sum())
            assert f"{department}:{people} 人" in text, channel
    assert f"全公司:{len(facts)} 人" in texts["feishu"]
    names = set(facts["name"])
    assert not [n for n in names if any(n in t for t in texts.values())]  # no one's name

    assert by_path["/wecom"]["body"]["msgtype"] == "text"
    assert by_path["/wecom"]["query"] == {"key": "k1"}
    ding = by_path["/dingtalk"]
    stamp = ding["query"]["timestamp"]
    signed = hmac.new(
        DINGTALK_SECRET.encode(), f"{stamp}\n{DINGTALK_SECRET}".encode(), hashlib.sha256
    ).digest()
    assert ding["query"]["sign"] == base64.b64encode(signed).decode()
    assert ding["query"]["access_token"] == "t2" and ding["body"]["msgtype"] == "text"
    feishu = by_path["/feishu"]["body"]
    key = f"{feishu['timestamp']}\n{FEISHU_SECRET}".encode()
    assert feishu["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert feishu["msg_type"] == "text"
    assert sorted(rcpts) == ["qa@example.com", "tech@example.com"]
    assert letter["To"] == "tech@example.com, qa@example.com"
    assert letter["Subject"] == "【绩效考核】2026-10 考核结果已发布 · 技术支持部、质检部"

    log = demo.events()
    sent = log[log["action"] == "notify_sent"]
    assert len(sent) == 4 and not sent["detail"].str.contains("k1|t2|127.0.0.1").any()
    assert set(sent["detail"].str.extract(r"→ (.+) \(")[0]) == {
        "售后服务部群",
        "客服部群",
        "管理层群",
        "技术与质检",
    }


def test_a_failing_robot_is_retried_then_given_up_without_holding_the_move(
    demo, scheme, robots, tmp_path, monkeypatch
):
    robots.answer = "fail"
    robots.gate.clear()  # the robot holds every request until the move has returned
    write_config(
        tmp_path,
        monkeypatch,
        f"""
[delivery]
retries = 2
backoff_seconds = 0.2
timeout_seconds = 5

[[recipients]]
name = "售后服务部群"
channel = "wecom"
url = "{robots.address}/wecom?key=k1"
departments = ["售后服务部"]
""",
    )
    took = publish(demo, scheme)
    assert took < 3  # a move waiting for the robot would have waited ≥ 5 s (its timeout)
    assert month_standing(demo, "2026-10").state == "published"
    robots.gate.set()
    assert notify.wait_for_deliveries(30)
    assert len(robots.received) == 3  # the first attempt and two retries
    gaps = [b["at"] - a["at"] for a, b in zip(robots.received, robots.received[1:], strict=False)]
    assert gaps[0] >= 0.2 and gaps[1] >= 0.4  # the wait doubles
    log = demo.events()
    failed = log[log["action"] == "notify_failed"]
    assert failed["detail"].tolist() == [
        "published 2026-10 → 售后服务部群 (wecom): gave up after 3 attempts: HTTP 500"
    ]
    assert "notify_sent" not in set(log["action"])


def test_a_robot_that_refuses_the_message_counts_as_a_failure(
    demo, scheme, robots, tmp_path, monkeypatch
):
    robots.answer = "refuse"  # HTTP 200, errcode 93000: WeCom's answer to a wrong key
    write_config(
        tmp_path,
        monkeypatch,
        f"""
[delivery]
retries = 1
backoff_seconds = 0

[[recipients]]
name = "管理层群"
channel = "wecom"
url = "{robots.address}/wecom?key=wrong"
scope = "company"
""",
    )
    publish(demo, scheme)
    assert notify.wait_for_deliveries(30)
    assert len(robots.received) == 2
    failed = demo.events().query("action == 'notify_failed'")["detail"]
    assert failed.str.endswith("93000 invalid webhook url").tolist() == [True]


def test_an_unreachable_mail_server_is_retried_then_given_up(demo, scheme, tmp_path, monkeypatch):
    write_config(
        tmp_path,
        monkeypatch,
        f"""
[delivery]
retries = 2
backoff_seconds = 0.01
timeout_seconds = 2

[smtp]
host = "127.0.0.1"
port = {closed_port()}
security = "none"
sender = "assess@example.com"

[[recipients]]
name = "人力资源部"
channel = "email"
to = ["hr@example.com"]
scope = "company"
""",
    )
    publish(demo, scheme)
    assert month_standing(demo, "2026-10").state == "published"
    assert notify.wait_for_deliveries(30)
    failed = demo.events().query("action == 'notify_failed'")["detail"].tolist()
    assert len(failed) == 1 and "gave up after 3 attempts: ConnectionRefusedError" in failed[0]


def test_locking_and_withdrawing_are_told_with_the_reason(
    demo, scheme, robots, tmp_path, monkeypatch
):
    write_config(
        tmp_path,
        monkeypatch,
        f"""
[[recipients]]
name = "客服部群"
channel = "wecom"
url = "{robots.address}/wecom"
departments = ["客服部"]
events = ["unpublished", "locked"]
""",
    )
    publish(demo, scheme)  # not among this robot's events
    make_move(demo, CONFIG, ADMIN, scheme, "unpublish", "2026-10", reason="客服部数据有误")
    make_move(demo, CONFIG, ADMIN, scheme, "lock", "2026-10")
    assert notify.wait_for_deliveries(30)
    texts = sorted(text_of(r) for r in robots.received)
    assert len(texts) == 2
    withdrawn = next(t for t in texts if "撤回发布" in t)
    locked = next(t for t in texts if "已锁定" in t)
    assert "原因:客服部数据有误" in withdrawn and "操作人:boss" in withdrawn
    people = int(demo.facts(["2026-10"])["department"].eq("客服部").sum())
    assert f"客服部:{people} 人" in locked


def test_an_appeal_is_told_only_to_its_departments_recipients(
    demo, robots, mail, tmp_path, monkeypatch
):
    write_config(tmp_path, monkeypatch, everyone(robots, mail.port))
    notify.appeal_changed(demo, "2026-10", "客服部", 12, "pending", "rejected", "li")
    assert notify.wait_for_deliveries(30)
    assert sorted(r["path"] for r in robots.received) == ["/dingtalk", "/feishu"]
    assert not mail.mails  # the mail list is for 技术支持部 and 质检部
    for request in robots.received:
        text = text_of(request)
        assert "客服部 · 申诉编号 12:待处理 → 已驳回" in text and "处理人:li" in text
        assert "售后服务部" not in text


def test_without_the_file_nothing_is_sent_and_nothing_logged(demo, scheme, robots):
    publish(demo, scheme)
    notify.appeal_changed(demo, "2026-10", "客服部", 1, "pending", "upheld", "li")
    assert notify.wait_for_deliveries(5)
    assert robots.received == []
    assert not demo.events()["action"].str.startswith("notify").any()


def test_a_file_that_cannot_be_used_is_logged_and_the_move_still_happens(
    demo, scheme, tmp_path, monkeypatch
):
    write_config(
        tmp_path,
        monkeypatch,
        """
[delivery]
retries = 99

[[recipients]]
name = "群"
channel = "wechat"
departments = []
""",
    )
    publish(demo, scheme)
    assert month_standing(demo, "2026-10").state == "published"
    assert notify.wait_for_deliveries(10)
    failed = demo.events().query("action == 'notify_failed'")["detail"].tolist()
    assert len(failed) == 1
    for problem in ("retries must be a number from 0 to 10", "channel must be one of", "群"):
        assert problem in failed[0]


def test_every_problem_of_a_file_is_listed(tmp_path, monkeypatch):
    file = write_config(
        tmp_path,
        monkeypatch,
        """
[delivery]
timeout_seconds = -1

[[recipients]]
name = "a"
channel = "dingtalk"
scope = "company"
departments = ["客服部"]
events = ["published", "hired"]

[[recipients]]
name = "b"
channel = "email"
scope = "company"
language = "fr"
url_env = "ASSESS_TEST_NOT_SET"
""",
    )
    monkeypatch.delenv("ASSESS_TEST_NOT_SET", raising=False)
    with pytest.raises(NotifyError) as caught:
        load_notify(file)
    said = str(caught.value)
    for problem in (
        "timeout_seconds must be a number from 0 to 60",
        'recipient 1 (a): give either scope = "company" or departments',
        "unknown events ['hired']",
        "a dingtalk robot needs its webhook address",
        "recipient 2 (b): e-mail needs addresses (to)",
        "language must be one of zh, en, both",
        "ASSESS_TEST_NOT_SET (url_env) is not set",
        "e-mail recipients need an [smtp] section",
    ):
        assert problem in said


def test_no_file_means_notifications_are_off(tmp_path):
    assert load_notify(tmp_path / "absent.toml") is None


def test_the_example_file_is_a_valid_configuration(monkeypatch):
    for variable in ("ASSESS_DINGTALK_URL", "ASSESS_DINGTALK_SECRET", "ASSESS_SMTP_PASSWORD"):
        monkeypatch.setenv(variable, "https://example.com/robot/send?access_token=x")
    config = load_notify(Path(__file__).parent.parent / "data" / "notify.toml.example")
    assert [r.channel for r in config.recipients] == ["wecom", "dingtalk", "feishu", "email"]
    assert "YOUR-KEY" not in repr(config)  # addresses and keys stay out of logs


def test_a_feishu_message_cannot_call_everyone_in_the_group():
    hostile = Recipient("群", "feishu", url="http://127.0.0.1/feishu")
    _, body = notify.webhook_request(hostile, '部门<at user_id="all">所有人</at>', 0)
    assert "<at" not in body["content"]["text"] and "＜at" in body["content"]["text"]


def test_a_company_message_sums_the_departments_and_both_languages_are_offered():
    import pandas as pd

    rows = pd.DataFrame(
        {
            "department": ["甲部", "甲部", "乙部"],
            "total": [90.0, 80.0, 61.0],
            "grade": ["优秀", "良好", "及格"],
        }
    )
    figures = department_figures(rows, ["优秀", "良好", "合格", "及格", "不合格"])
    company = Recipient("群", "wecom", language="both")
    only = Recipient("乙", "wecom", departments=("乙部",))
    english = {"优秀": "Excellent", "良好": "Good", "合格": "Satisfactory", "及格": "Pass"}
    whole, own = month_messages(
        [company, only], "published", "2026-10", figures, "li", english=english
    )
    assert "全公司:3 人,平均分 77.00;优秀 1、良好 1、合格 0、及格 1、不合格 0" in whole.text
    assert "甲部:2 人,平均分 85.00;优秀 1、良好 1、合格 0、及格 0、不合格 0" in whole.text
    assert (
        "Company: 3 people, mean 77.00; Excellent 1, Good 1, Satisfactory 0, Pass 1, 不合格 0"
        in (whole.text)
    )
    assert whole.text.index("【绩效考核】") < whole.text.index("[Assessment]")
    assert "甲部" not in own.text and "乙部:1 人,平均分 61.00" in own.text
    assert "[Assessment]" not in own.text
