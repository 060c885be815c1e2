"""Rules & pay: the rules across months for the chosen period — streak rewards and flags, the
不进则退 pay table, skill levels by points, the promotion list, stars, team multipliers and the
NPS return — each as a table to download."""

import pandas as pd
import plotly.express as px
import streamlit as st

from engine.rules.evaluate import (
    RulesError,
    load_rules,
    pay_reasons,
)
from engine.schemes.rules_spec import RUN_WORDS, Rules, describe_rules
from engine.scoring.periods import parse_period
from ui import data
from ui.i18n import language, plain, tr
from ui.page import downloads, require_view

SHOWN_ROWS = 2000  # more rows than this are left to the downloads
WHOLE = {"level", "projected_level", "region_rank", "national_rank", "level_year", "months"}
LABELS = {
    "period": ("月份", "Month"),
    "employee_id": ("工号", "ID"),
    "name": ("姓名", "Name"),
    "department": ("部门", "Department"),
    "team": ("班组", "Team"),
    "role": ("岗位", "Role"),
    "rule": ("规则", "Rule"),
    "action": ("类型", "Kind"),
    "amount": ("奖励金额", "Reward"),
    "months": ("连续月数", "Months in a row"),
    "months_in_year": ("月数", "Months"),
    "reason": ("原因", "Reason"),
    "level": ("技能等级", "Level"),
    "level_name": ("等级名称", "Level name"),
    "normal_pay": ("正常月薪", "Normal pay"),
    "cut": ("减薪", "Cut"),
    "pay": ("实发月薪", "Pay"),
    "level_year": ("定级年度", "Level year"),
    "opening_points": ("年初积分", "Opening points"),
    "level_pay": ("月薪", "Monthly pay"),
    "year_plus": ("本年加分", "Plus this year"),
    "year_minus": ("本年减分", "Minus this year"),
    "points_now": ("当前积分", "Points now"),
    "next_level_points": ("下一级所需积分", "Next level at"),
    "projected_level": ("预计明年等级", "Next year's level"),
    "current_step": ("现级别", "Step now"),
    "next_step": ("晋升目标", "Next step"),
    "status": ("晋升判断", "Promotion"),
    "met": ("已满足", "Met"),
    "missing": ("未满足", "Missing"),
    "no_data": ("无数据", "No data"),
    "missing_text": ("未满足的条件", "Conditions missing"),
    "no_data_text": ("缺少数据的条件", "Conditions without data"),
    "at_risk": ("降级风险", "At risk"),
    "risk_text": ("降级原因", "Why at risk"),
    "next_pay": ("目标级别薪资", "Pay at next step"),
    "condition": ("条件", "Condition"),
    "kind": ("类别", "Kind"),
    "step": ("晋升至", "To step"),
    "actual": ("实际值", "Actual"),
    "result": ("结果", "Result"),
    "achievement": ("达成率 %", "Achievement %"),
    "stars": ("星级", "Stars"),
    "reward": ("星级奖励", "Star reward"),
    "pay_share": ("绩效工资比例", "Share of performance pay"),
    "performance_pay": ("绩效工资", "Performance pay"),
    "paid_performance_pay": ("实发绩效工资", "Performance pay paid"),
    "members": ("人数", "People"),
    "rate": ("返修率 %", "Rework rate %"),
    "factor": ("系数", "Factor"),
    "review": ("需审查", "Review"),
    "bonus": ("提成", "Commission"),
    "team_factor": ("班组系数", "Team factor"),
    "team_bonus": ("系数后提成", "After team factor"),
    "nps_reserve": ("NPS留存", "Held for NPS"),
    "paid_now": ("本月发放", "Paid now"),
    "year": ("年度", "Year"),
    "reserved": ("全年留存", "Held back"),
    "nps": ("NPS成绩", "NPS"),
    "region_rank": ("区域排名", "Rank in region"),
    "national_rank": ("全国排名", "Rank nationally"),
    "ratio": ("返还比例 %", "Return %"),
    "returned": ("返还金额", "Returned"),
    "reserve_period": ("考核期", "Period"),
    "release_month": ("返还月份", "Paid in"),
    "reserve_status": ("返还状态", "Status"),
    "released": ("已返还", "Released"),
    "forfeited": ("离职不返还", "Forfeited"),
    "paid": ("实发", "Paid"),
    "run": ("连续", "In a row"),
}
WORDS = {
    "reward": ("奖励", "Reward"),
    "flag": ("提醒", "Flag"),
    "eligible": ("可晋升", "Eligible"),
    "check": ("待核实(缺数据)", "Check: data missing"),
    "one_short": ("差一项", "One short"),
    "not_yet": ("未满足", "Not yet"),
    "top": ("已是最高级", "Top step"),
    "promote": ("晋升", "Promotion"),
    "demote": ("降级", "Demotion"),
    "no_data": ("无数据", "No data"),
    "met": ("满足", "Met"),
    "missing": ("未满足", "Missing"),
    "triggered": ("触发", "Triggered"),
    "clear": ("未触发", "Clear"),
    "released": ("已返还", "Released"),
    "forfeited": ("离职不返还", "Forfeited"),
    "pending": ("待返还", "Pending"),
}
TABS = {
    "streaks": ("提醒与奖励", "Flags & rewards"),
    "pay": ("不进则退薪酬", "Pay cuts"),
    "levels": ("技能等级", "Skill levels"),
    "ladder": ("晋升", "Promotion"),
    "stars": ("星级", "Stars"),
    "money": ("班组系数与NPS", "Team & NPS"),
}


def word(value: object) -> str:
    pair = WORDS.get(str(value))
    return tr(*pair) if pair else str(value)


def shown(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The columns in order with headers in the reader's language; whole numbers as such."""
    out = frame[columns].copy()
    for column in WHOLE & set(columns):
        out[column] = pd.to_numeric(out[column]).round().astype("Int64")
    for column in out.select_dtypes("category").columns:
        out[column] = data.category_text(out[column])
    return out.rename(columns={c: tr(*LABELS[c]) for c in columns if c in LABELS})


def number_formats(frame: pd.DataFrame) -> dict:
    """How each number column is drawn: blanks for missing values, whole numbers without
    decimals, shares as percents and factors with two decimals; the numbers underneath stay
    sortable. Column settings, not a pandas Styler: styling 2,000 rows took 2–3 s a run."""
    formats = {}
    for column in frame.select_dtypes("number").columns:
        values = frame[column].dropna().to_numpy(dtype=float)
        if column == tr(*LABELS["pay_share"]):
            shape = "percent"
        elif column in (tr(*LABELS["factor"]), tr(*LABELS["team_factor"])):
            shape = "%.2f"
        elif column == tr(*LABELS["level_year"]):
            shape = "%d"  # a year: 2026, never 2,026
        elif (values % 1 == 0).all():
            shape = "localized"
        else:
            shape = "%.2f"
        formats[column] = st.column_config.NumberColumn(format=shape)
    return formats


def heading(text: str) -> None:
    st.markdown(f"##### {text}")


def table_with_downloads(frame: pd.DataFrame, name: str, key: str) -> None:
    """A table (capped on screen) and its full CSV and Excel downloads."""
    if frame.empty:
        st.caption(tr("没有记录。", "Nothing to show."))
        return
    head = frame.head(SHOWN_ROWS)
    st.dataframe(
        head,
        hide_index=True,
        width="stretch",
        column_config=number_formats(head),
        placeholder="—",
    )
    if len(frame) > SHOWN_ROWS:
        st.caption(
            tr(
                f"共 {len(frame)} 行,此处显示前 {SHOWN_ROWS} 行,完整数据请下载。",
                f"{len(frame)} rows; the first {SHOWN_ROWS} are shown, download for all.",
            )
        )
    downloads(frame, f"{name}_{view.period}", key=key)


def notes(section: str, rules_text: dict[str, list[str]]) -> None:
    """The rule in words, and why it could not be applied if so."""
    for line in rules_text.get(section, []):
        st.caption(line)
    for zh, en in report.notices_for(section):
        st.info(tr(zh, en))


def in_period(frame: pd.DataFrame) -> pd.DataFrame:
    return view.rows(frame[data.among(frame["period"], months)])


def localized(frame: pd.DataFrame, pairs: dict[str, tuple[str, str]]) -> pd.DataFrame:
    """Pick the Chinese or English one of paired columns (reason_zh / reason_en → reason)."""
    chosen = {new: frame[zh if language() == "zh" else en] for new, (zh, en) in pairs.items()}
    return frame.assign(**chosen)


# ------------------------------------------------------------------ the page

view, scheme, _ = require_view()
st.title(tr("规则与薪酬", "Rules & pay") + f" · {view.period}")
try:
    rules: Rules = load_rules(scheme)
except RulesError as exc:
    st.error(tr("跨月规则文件有问题,无法使用:", "The rules file cannot be used:"))
    st.code("\n".join(exc.problems), language=None)
    st.stop()
if rules.empty:
    st.info(
        tr(
            "此考核方案没有跨月规则(连续奖励、不进则退、晋升、星级等)。",
            "This scheme has no rules across months (streaks, pay cuts, promotion, stars).",
        )
    )
    st.stop()

stored = set(data.periods()["month"])
months = [m for m in parse_period(view.period).months if m in stored]
report, unreadable = data.rules_report(scheme, months[-1])
text = describe_rules(rules, language())
judged = tr(f" · 晋升判断截至 {report.as_of}", f" · promotion judged at {report.as_of}")
st.caption(
    tr(
        f"{rules.name_zh or rules.source} · 规则文件 {rules.source}",
        f"{rules.name_en or rules.source} · rules file {rules.source}",
    )
    + (judged if rules.ladder is not None else "")
)
for row in unreadable.itertuples():
    st.warning(
        tr(
            f"“{plain(row.column)}”列有 {row.cells} 个值无法读取(如 {plain(row.examples)}),"
            "按空白处理。",
            f"Column '{plain(row.column)}': {row.cells} values could not be read "
            f"(e.g. {plain(row.examples)}) and count as blank.",
        )
    )

events = in_period(report.events)
pay = in_period(report.pay)
people = view.rows(report.ladder)
metrics = []
if rules.streaks:
    metrics.append((tr("本期提醒", "Flags this period"), int((events["action"] == "flag").sum())))
    rewarded = events.loc[events["action"] == "reward", "amount"].sum()
    metrics.append((tr("本期连续奖励(元)", "Streak rewards"), f"{rewarded:,.0f}"))
if rules.pay_cut is not None:
    cut_people = pay.loc[pay["cut"] > 0, "employee_id"].nunique()
    applied = not report.notices_for("pay")
    metrics.append((tr("减薪人数", "People with a pay cut"), cut_people if applied else "—"))
if rules.ladder is not None:
    metrics.append(
        (tr("可晋升", "Eligible for promotion"), int((people["status"] == "eligible").sum()))
    )
for column, (label, value) in zip(st.columns(max(len(metrics), 1)), metrics, strict=False):
    column.metric(label, value)

present = {
    "streaks": bool(rules.streaks),
    "pay": rules.pay_cut is not None,
    "levels": rules.levels is not None,
    "ladder": rules.ladder is not None,
    "stars": rules.stars is not None,
    "money": rules.team_multiplier is not None or rules.nps_return is not None,
}
sections = [key for key, there in present.items() if there]
tabs = dict(zip(sections, st.tabs([tr(*TABS[k]) for k in sections]), strict=True))

if "streaks" in tabs:
    with tabs["streaks"]:
        notes("streaks", text)
        history = view.rows(report.events)
        if not history.empty:
            counts = history.groupby(["period", "action"]).size().reset_index(name="count")
            counts["action"] = counts["action"].map(word)
            chart = px.bar(
                counts,
                x="period",
                y="count",
                color="action",
                barmode="group",
                labels={
                    "period": tr("月份", "Month"),
                    "count": tr("人次", "People"),
                    "action": tr("类型", "Kind"),
                },
                height=260,
            )
            every_month = sorted(stored)
            here = [every_month.index(m) for m in months]
            chart.add_vrect(x0=min(here) - 0.5, x1=max(here) + 0.5, fillcolor="grey", opacity=0.12)
            chart.update_xaxes(type="category", categoryorder="array", categoryarray=every_month)
            chart.update_xaxes(range=[-0.5, len(every_month) - 0.5])
            chart.update_layout(margin={"t": 10, "b": 10})
            st.plotly_chart(chart, width="stretch")
        rows = localized(
            events, {"rule": ("rule_zh", "rule_en"), "reason": ("reason_zh", "reason_en")}
        )
        rows = rows.sort_values(["period", "rule", "employee_id"], ascending=[False, True, True])
        columns = ["period", "employee_id", "name", "department", "team", "rule"]
        heading(tr("奖励", "Rewards"))
        rewards = rows[rows["action"] == "reward"]
        table_with_downloads(
            shown(rewards, [*columns, "amount", "reason"]), "streak_rewards", "rules_rewards"
        )
        heading(tr("提醒", "Flags"))
        units = rows["unit"].map(lambda unit: tr(*RUN_WORDS[unit]))
        rows = rows.assign(run=rows["months"].astype(int).astype(str) + " " + units)
        flags = rows[(rows["action"] == "flag") & (rows["scope"] == "person")]
        table_with_downloads(
            shown(flags, [*columns, "run", "reason"]), "streak_flags", "rules_flags"
        )
        if any(rule.scope == "team" for rule in rules.streaks):
            heading(tr("团队提醒", "Team flags"))
            teams = rows[rows["scope"] == "team"]
            columns = ["period", "department", "team", "rule", "run", "reason"]
            table_with_downloads(shown(teams, columns), "team_flags", "rules_team_flags")

if "pay" in tabs:
    with tabs["pay"]:
        notes("pay", text)
        if not report.pay.empty:
            only_cuts = st.toggle(
                tr("只看减薪的人", "Only people with a cut"), value=True, key="rules_only_cuts"
            )
            chosen = pay[pay["cut"] > 0] if only_cuts else pay[pay["level"].notna()]
            chosen = chosen.sort_values(
                ["period", "cut", "employee_id"], ascending=[True, False, True]
            )
            chosen = chosen.assign(reason=pay_reasons(chosen, rules.pay_cut, language()))
            columns = ["period", "employee_id", "name", "department", "team", "level"]
            table_with_downloads(
                shown(chosen, [*columns, "normal_pay", "cut", "pay", "reason"]),
                "pay_cuts",
                "rules_pay",
            )
            heading(tr("个人逐月薪酬", "One person, month by month"))
            cut_people = report.pay.loc[report.pay["cut"] > 0, "employee_id"].unique()
            everyone = view.rows(report.pay)[["employee_id", "name"]].drop_duplicates()
            everyone = everyone.sort_values("employee_id")
            # Those with a cut first: one vectorised membership test (a list test was quadratic,
            # 50 s at 83,000 people).
            with_cut = data.among(everyone["employee_id"], cut_people)
            ids = everyone["employee_id"].to_numpy()
            order = [*ids[with_cut].tolist(), *ids[~with_cut].tolist()]
            names = dict(zip(everyone["employee_id"], everyone["name"], strict=True))
            person = st.selectbox(
                tr("员工(有减薪的排在前面)", "Employee (those with a cut first)"),
                order,
                format_func=lambda e: f"{e} {names.get(e, '')}",
                key="rules_pay_person",
            )
            mine = report.pay[report.pay["employee_id"] == person].sort_values("period")
            mine = mine.assign(reason=pay_reasons(mine, rules.pay_cut, language()))
            table_with_downloads(
                shown(mine, ["period", "level", "normal_pay", "cut", "pay", "reason"]),
                f"pay_{person}",
                "rules_pay_person",
            )

if "levels" in tabs:
    with tabs["levels"]:
        notes("levels", text)
        at = view.rows(report.levels[report.levels["period"] == report.as_of])
        if not report.levels.empty:
            at = localized(at, {"level_name": ("level_zh", "level_en")})
            at = at.sort_values(["level", "points_now"], ascending=False)
            columns = ["employee_id", "name", "department", "team", "level_year"]
            columns += ["opening_points", "level", "level_name", "level_pay", "year_plus"]
            columns += ["year_minus", "points_now", "next_level_points", "projected_level"]
            st.caption(tr(f"截至 {report.as_of}", f"As of {report.as_of}"))
            per_level = at["level_name"].value_counts(sort=False)
            per_level = per_level[per_level > 0]
            for column, (level_name, count) in zip(
                st.columns(max(len(per_level), 1)), per_level.items(), strict=False
            ):
                column.metric(str(level_name), f"{count}")
            table_with_downloads(shown(at, columns), "levels", "rules_levels")

if "ladder" in tabs:
    with tabs["ladder"]:
        notes("ladder", text)
        statuses = ["eligible", "one_short", "check", "not_yet", "top"]
        wanted = st.multiselect(
            tr("显示", "Show"),
            statuses,
            default=["eligible", "one_short", "check"],
            format_func=word,
            key="rules_ladder_status",
        )
        risky_only = st.toggle(tr("只看有降级风险的人", "Only people at risk"), key="rules_risk")
        listed = people[people["status"].isin(wanted)] if wanted else people
        listed = listed[listed["at_risk"]] if risky_only else listed
        listed = localized(
            listed,
            {
                "current_step": ("current_step", "current_step_en"),
                "next_step": ("next_step", "next_step_en"),
                "missing_text": ("missing_zh", "missing_en"),
                "no_data_text": ("no_data_zh", "no_data_en"),
                "risk_text": ("risk_zh", "risk_en"),
            },
        )
        listed = listed.sort_values(["status", "missing", "employee_id"])
        listed = listed.assign(
            status=listed["status"].map(word),
            at_risk=listed["at_risk"].map({True: "⚠️", False: ""}),
        )
        columns = ["employee_id", "name", "department", "team", "current_step", "next_step"]
        columns += ["status", "met", "missing", "missing_text", "no_data_text"]
        columns += ["at_risk", "risk_text", "next_pay"]
        table_with_downloads(shown(listed, columns), "promotion", "rules_ladder")
        if not people.empty:
            heading(tr("逐项条件", "Each condition"))
            checks = report.ladder_checks[
                data.among(report.ladder_checks["employee_id"], people["employee_id"])
            ]
            ids = people.sort_values(["status", "missing"])["employee_id"].tolist()
            names = dict(zip(people["employee_id"], people["name"], strict=True))
            person = st.selectbox(
                tr("员工", "Employee"),
                ids,
                format_func=lambda e: f"{e} {names.get(e, '')}",
                key="rules_ladder_person",
            )
            mine = localized(checks, {"condition": ("condition_zh", "condition_en")})
            steps = {s.name: tr(s.name, s.name_en or s.name) for s in rules.ladder.steps}
            mine = mine.assign(
                kind=mine["kind"].map(word),
                result=mine["result"].map(word),
                step=mine["step"].map(lambda s: steps.get(s, s)),
            )
            columns = ["employee_id", "name", "kind", "step", "condition", "actual", "result"]
            st.dataframe(
                shown(mine[mine["employee_id"] == person], columns[2:]),
                hide_index=True,
                width="stretch",
            )
            with st.expander(tr("下载所有人的逐项条件", "Download every person's conditions")):
                downloads(
                    shown(mine, columns), f"promotion_checks_{view.period}", key="rules_checks"
                )

if "stars" in tabs:
    with tabs["stars"]:
        notes("stars", text)
        stars = in_period(report.stars)
        if not report.stars.empty:
            rated = stars.dropna(subset=["stars"])
            counts = rated["stars"].astype(int).value_counts().sort_index(ascending=False)
            for column, (count_stars, count) in zip(
                st.columns(max(len(counts), 1)), counts.items(), strict=False
            ):
                column.metric("★" * count_stars, f"{count}")
            rated = rated.assign(stars=rated["stars"].astype(int).map(lambda n: "★" * n))
            rated = rated.sort_values(["period", "achievement"], ascending=[True, False])
            columns = ["period", "employee_id", "name", "department", "team", "achievement"]
            columns += ["stars", "reward", "pay_share", "performance_pay", "paid_performance_pay"]
            table_with_downloads(shown(rated, columns), "stars", "rules_stars")

if "money" in tabs:
    with tabs["money"]:
        if rules.team_multiplier is not None:
            heading(tr("班组返修率系数", "Team rework multiplier"))
            notes("teams", text)
            teams = report.teams[report.teams["period"].isin(months)]
            if view.departments:
                teams = teams[teams["department"].isin(view.departments)]
            if view.teams:
                teams = teams[teams["team"].isin(view.teams)]
            teams = teams.assign(review=teams["review"].map({True: "⚠️", False: ""}))
            columns = ["period", "department", "team", "members", "rate", "factor", "review"]
            table_with_downloads(shown(teams, columns), "team_factors", "rules_teams")
        if rules.nps_return is not None:
            heading(tr("NPS 留存与返还", "NPS hold-back and return"))
            notes("nps", text)
            years = {int(m[:4]) for m in months}
            nps = view.rows(report.nps[report.nps["year"].isin(years)])
            nps = nps.rename(columns={"months": "months_in_year", "period": "reserve_period"})
            nps = nps.assign(reserve_status=nps["status"].map(word))
            columns = ["reserve_period", "employee_id", "name", "department", "team"]
            columns += ["months_in_year", "reserved", "nps", "region_rank", "national_rank"]
            columns += ["ratio", "returned", "release_month", "reserve_status", "released"]
            columns += ["forfeited"]
            table_with_downloads(shown(nps, columns), "nps_return", "rules_nps")
        if not report.commission.empty:
            heading(tr("本期提成发放", "Commission this period"))
            commission = in_period(report.commission)
            columns = ["period", "employee_id", "name", "department", "team", "bonus"]
            columns += ["team_factor", "team_bonus", "nps_reserve", "paid_now", "released"]
            columns += ["forfeited", "paid"]
            table_with_downloads(shown(commission, columns), "commission", "rules_commission")
