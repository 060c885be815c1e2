"""What each recipient is told: one message per recipient and event, holding only the figures
of the departments in its scope (head counts, grade mix, mean total), never a person's name or
result: a group chat is no place for anyone's grade, and each person sees their own in the
dashboard."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from engine.notify.config import Recipient

NO_DEPARTMENT = "—"
HEADLINES = {
    "published": ("{period} 考核结果已发布", "{period} results published"),
    "unpublished": ("{period} 考核结果已撤回发布", "{period} results withdrawn"),
    "locked": ("{period} 考核结果已锁定(定稿)", "{period} results locked (final)"),
    "appeal": ("{period} 申诉状态变更", "{period} appeal changed"),
}
CLOSINGS = {
    "published": (
        "请登录绩效系统查看本人结果,并在规定期限内确认或申诉。",
        "Sign in to the dashboard to see your own result and accept or appeal it in time.",
    ),
    "unpublished": (
        "结果修正后将重新发布,此前看到的结果暂不作数。",
        "The results will be published again once corrected; until then they do not count.",
    ),
    "locked": (
        "结果已定稿,作为绩效工资与奖金的依据,不再变更。",
        "The results are final and are the basis of pay; they no longer change.",
    ),
    "appeal": ("详情请登录绩效系统查看。", "See the dashboard for the details."),
}
APPEAL_STATES = {
    "pending": ("待处理", "pending"),
    "review": ("处理中", "in review"),
    "rejected": ("已驳回", "rejected"),
    "upheld": ("已调整", "upheld"),
    "closed": ("已关闭(未答复)", "closed unanswered"),
}


@dataclass(frozen=True)
class Message:
    """One message to one recipient about one event."""

    recipient: Recipient
    event: str
    period: str
    subject: str
    text: str


def department_figures(rows: pd.DataFrame, grade_names: Sequence[str]) -> pd.DataFrame:
    """Per department: people, mean total and the count of each grade (in the scheme's order)."""
    department = rows["department"].astype(object).fillna(NO_DEPARTMENT).replace("", NO_DEPARTMENT)
    counts = pd.crosstab(department, pd.Categorical(rows["grade"], categories=list(grade_names)))
    counts = counts.reindex(columns=list(grade_names), fill_value=0)
    counts.columns = list(grade_names)
    people = department.value_counts().rename("people")
    mean = pd.to_numeric(rows["total"], errors="coerce").groupby(department).mean().rename("mean")
    return pd.concat([people, mean, counts], axis=1).fillna({"people": 0}).sort_index()


def month_messages(
    recipients: Sequence[Recipient],
    event: str,
    period: str,
    figures: pd.DataFrame,
    by: str,
    reason: str = "",
    link: str = "",
    english: Mapping[str, str] | None = None,
) -> list[Message]:
    """One message per recipient with the figures of its own departments; none for a recipient
    none of whose departments has data in the month. `english` names the grades in English."""
    out = []
    for recipient in recipients:
        shown = figures if recipient.company else figures[figures.index.isin(recipient.departments)]
        if shown.empty:
            continue
        scope = (
            ("全公司", "Company")
            if recipient.company
            else ("、".join(shown.index), ", ".join(shown.index))
        )
        lines = [
            _figure_lines(shown, recipient.company, "zh", {}),
            _figure_lines(shown, recipient.company, "en", english or {}),
        ]
        notes = [
            ("原因:" + reason, "Reason: " + reason) if reason else None,
            ("操作人:" + by, "By: " + by),
        ]
        out.append(_message(recipient, event, period, scope, lines, notes, link))
    return out


def appeal_messages(
    recipients: Sequence[Recipient],
    period: str,
    department: str,
    appeal_id: str,
    old_state: str,
    new_state: str,
    by: str,
    link: str = "",
) -> list[Message]:
    """One message per recipient whose scope holds the appeal's department: the appeal's number
    and its states, not whose appeal it is nor why."""
    department = department or NO_DEPARTMENT
    old = APPEAL_STATES.get(old_state, (old_state, old_state))
    new = APPEAL_STATES.get(new_state, (new_state, new_state))
    lines = (
        [f"{department} · 申诉编号 {appeal_id}:{old[0]} → {new[0]}"],
        [f"{department} · appeal {appeal_id}: {old[1]} → {new[1]}"],
    )
    return [
        _message(
            r,
            "appeal",
            period,
            (department, department),
            lines,
            [("处理人:" + by, "By: " + by)],
            link,
        )
        for r in recipients
        if r.covers(department)
    ]


def _figure_lines(
    shown: pd.DataFrame, company: bool, lang: str, names: Mapping[str, str]
) -> list[str]:
    """A line per department (and the company's total first, for a company recipient)."""
    grades = [c for c in shown.columns if c not in ("people", "mean")]
    lines = [_figure_line(name, shown.loc[name], grades, lang, names) for name in shown.index]
    if company and len(shown) > 1:
        whole = shown[grades].sum().astype(float)  # the mean below is a fraction
        whole["people"] = shown["people"].sum()
        whole["mean"] = (shown["mean"] * shown["people"]).sum() / max(whole["people"], 1)
        title = "全公司" if lang == "zh" else "Company"
        lines.insert(0, _figure_line(title, whole, grades, lang, names))
    return lines


def _figure_line(
    name: str, row: pd.Series, grades: list[str], lang: str, names: Mapping[str, str]
) -> str:
    mix = ("、" if lang == "zh" else ", ").join(f"{names.get(g, g)} {int(row[g])}" for g in grades)
    if lang == "zh":
        return f"{name}:{int(row['people'])} 人,平均分 {row['mean']:.2f};{mix}"
    return f"{name}: {int(row['people'])} people, mean {row['mean']:.2f}; {mix}"


def _message(
    recipient: Recipient,
    event: str,
    period: str,
    scope: tuple[str, str],
    lines: Sequence[list[str]],
    notes: Sequence[tuple[str, str] | None],
    link: str,
) -> Message:
    """The message in the recipient's language (Chinese, English, or both, Chinese first)."""
    parts = []
    for index, lang in enumerate(("zh", "en")):
        if recipient.language not in (lang, "both"):
            continue
        headline = HEADLINES[event][index].format(period=period)
        body = [
            f"【绩效考核】{headline}" if lang == "zh" else f"[Assessment] {headline}",
            ("范围:" if lang == "zh" else "Scope: ") + scope[index],
            *lines[index],
            *[note[index] for note in notes if note],
            CLOSINGS[event][index] + (f" {link}" if link else ""),
        ]
        parts.append("\n".join(body))
    subject_zh = f"【绩效考核】{HEADLINES[event][0].format(period=period)} · {scope[0]}"
    subject_en = f"[Assessment] {HEADLINES[event][1].format(period=period)} · {scope[1]}"
    subject = subject_en if recipient.language == "en" else subject_zh
    return Message(recipient, event, period, subject, "\n\n".join(parts))
