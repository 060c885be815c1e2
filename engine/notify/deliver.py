"""Sending: the JSON body each group robot expects (WeCom, DingTalk, Feishu) or an e-mail over
SMTP, each message in a background thread with bounded retries and a growing wait between them,
the outcome written to the audit log. A failure never reaches the action that caused it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import smtplib
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from engine.notify.config import NotifyConfig, Recipient, Smtp
from engine.notify.messages import Message
from engine.store import Store

LOG = logging.getLogger("engine.notify")
# Feishu renders <at user_id="all"> in a text message: a department name from a file must not
# call everyone in the group, so angle brackets are sent as their full-width look-alikes.
FEISHU_SAFE = str.maketrans({"<": "\uff1c", ">": "\uff1e"})
_RUNNING: set[threading.Thread] = set()
_RUNNING_LOCK = threading.Lock()


class DeliveryFailed(RuntimeError):
    """One attempt at sending failed (the server's answer or the network's error)."""


def webhook_request(recipient: Recipient, text: str, now: float) -> tuple[str, dict]:
    """The address and JSON body of a text message to a group robot, signed where the robot has
    a signing secret (DingTalk: timestamp and sign in the address; Feishu: in the body)."""
    url = recipient.url
    if recipient.channel == "wecom":
        return url, {"msgtype": "text", "text": {"content": text}}
    if recipient.channel == "dingtalk":
        if recipient.secret:
            stamp = str(int(now * 1000))
            digest = hmac.new(
                recipient.secret.encode(), f"{stamp}\n{recipient.secret}".encode(), hashlib.sha256
            ).digest()
            sign = urllib.parse.quote_plus(base64.b64encode(digest))
            url += ("&" if "?" in url else "?") + f"timestamp={stamp}&sign={sign}"
        return url, {"msgtype": "text", "text": {"content": text}}
    body: dict = {"msg_type": "text", "content": {"text": text.translate(FEISHU_SAFE)}}
    if recipient.secret:
        stamp = str(int(now))
        key = f"{stamp}\n{recipient.secret}".encode()
        digest = hmac.new(key, b"", hashlib.sha256).digest()
        body = {"timestamp": stamp, "sign": base64.b64encode(digest).decode(), **body}
    return url, body


def post_json(url: str, body: dict, timeout: float) -> None:
    """POST the body; a robot answers HTTP 200 with errcode (WeCom, DingTalk) or code (Feishu)
    0 when it took the message: anything else is a failure."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = response.read(65536)
    except urllib.error.HTTPError as exc:
        raise DeliveryFailed(f"HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}") from exc
    try:
        said = json.loads(answer or b"{}")
    except ValueError:
        said = {}
    code = (
        said.get("errcode", said.get("code", said.get("StatusCode", 0)))
        if isinstance(said, dict)
        else 0
    )
    if code not in (0, "0", None):
        message = said.get("errmsg", said.get("msg", ""))
        raise DeliveryFailed(f"the robot refused it: {code} {message}".strip())


def send_mail(smtp: Smtp, message: Message, timeout: float) -> None:
    """One plain-text UTF-8 e-mail to the recipient's addresses."""
    mail = EmailMessage()
    mail["Subject"] = " ".join(message.subject.split())  # no line break can forge a header
    mail["From"] = smtp.sender
    mail["To"] = ", ".join(message.recipient.to)
    mail["Date"] = formatdate(localtime=True)
    mail["Message-ID"] = make_msgid(domain=smtp.host or None)
    mail.set_content(message.text, charset="utf-8", cte="base64")  # any server takes base64
    opener = smtplib.SMTP_SSL if smtp.security == "ssl" else smtplib.SMTP
    extra = {"context": ssl.create_default_context()} if smtp.security == "ssl" else {}
    try:
        with opener(smtp.host, smtp.port, timeout=timeout, **extra) as server:
            if smtp.security == "starttls":
                server.starttls(context=ssl.create_default_context())
            if smtp.username:
                server.login(smtp.username, smtp.password)
            server.send_message(mail)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc


def send(message: Message, config: NotifyConfig, now: Callable[[], float] = time.time) -> None:
    """One attempt to send a message over its recipient's channel."""
    if message.recipient.channel == "email":
        if config.smtp is None:
            raise DeliveryFailed("no [smtp] section")
        send_mail(config.smtp, message, config.timeout_seconds)
        return
    url, body = webhook_request(message.recipient, message.text, now())
    post_json(url, body, config.timeout_seconds)


def deliver_now(store: Store | None, message: Message, config: NotifyConfig) -> bool:
    """Send with up to `retries` more attempts, waiting backoff, 2×backoff, 4×backoff … between
    them; the outcome goes to the audit log (the recipient's name, never its address or key)."""
    attempts, error = 0, ""
    for attempts in range(1, config.retries + 2):
        try:
            send(message, config)
        except DeliveryFailed as exc:
            error = str(exc)
            LOG.warning(
                "notify %s → %s: attempt %d failed: %s",
                message.event,
                message.recipient.name,
                attempts,
                error,
            )
            if attempts <= config.retries:
                time.sleep(config.backoff_seconds * 2 ** (attempts - 1))
            continue
        record(store, "notify_sent", message, f"attempt {attempts}")
        return True
    record(store, "notify_failed", message, f"gave up after {attempts} attempts: {error}")
    return False


def record(store: Store | None, action: str, message: Message, outcome: str) -> None:
    """Write a delivery's outcome to the audit log; a store that cannot take it (busy with an
    import in another program) leaves it in the process log only."""
    recipient = message.recipient
    detail = f"{message.event} {message.period} → {recipient.name} ({recipient.channel}): {outcome}"
    LOG.info("%s %s", action, detail)
    if store is None:
        return
    try:
        store.audit(action, detail)
    except Exception:  # the log must not fail a delivery that happened
        LOG.exception("notify: could not write to the audit log: %s", detail)


def record_problem(store: Store | None, problem: str) -> None:
    """A notification that could not even be composed (an unusable file), in the audit log."""
    LOG.warning("notify: %s", problem)
    if store is not None:
        try:
            store.audit("notify_failed", problem)
        except Exception:
            LOG.exception("notify: could not write to the audit log: %s", problem)


def in_background(work: Callable[[], object], name: str) -> threading.Thread:
    """Run work in a thread of its own, tracked so a command can wait for it before it exits
    (the threads are not daemons: a process ends only once they are done, which the retry
    and timeout bounds keep short)."""

    def run() -> None:
        try:
            work()
        except Exception:  # nothing may escape into the action's process
            LOG.exception("notify: %s failed", name)
        finally:
            with _RUNNING_LOCK:
                _RUNNING.discard(threading.current_thread())

    thread = threading.Thread(target=run, name=f"notify {name}")
    with _RUNNING_LOCK:  # started under the lock: a waiter never joins a thread not yet started
        _RUNNING.add(thread)
        thread.start()
    return thread


def deliver(store: Store | None, messages: Sequence[Message], config: NotifyConfig) -> None:
    """Send each message in a thread of its own: a slow robot does not hold the others."""
    for message in messages:
        in_background(
            lambda m=message: deliver_now(store, m, config),
            f"{message.event} → {message.recipient.name}",
        )


def wait_for_deliveries(timeout: float | None = None) -> bool:
    """Wait for the messages under way (tests, a command about to exit); True when all are done."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        with _RUNNING_LOCK:
            running = list(_RUNNING)
        if not running:
            return True
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            return False
        running[0].join(left)
