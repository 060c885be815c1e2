"""The assessment standard (考核标准) in use, published as a manager reads it: categories and
weights, every KPI's scoring rule, grades and money; and the scheme's versions, any of which can
re-score any period."""

import pandas as pd
import streamlit as st

from engine.analysis.ranking import grade_labels
from engine.schemes import describe
from engine.schemes import edit as scheme_edit
from engine.schemes.scheme import SchemeError
from ui import data, sidebar
from ui.i18n import language, tr
from ui.page import downloads, stop_if_unfit
from ui.sidebar import KIND_LABELS


def _by_role(kpi_id: str, category_id: str, plans: dict) -> str:
    """A KPI's share of the total in each role that assesses it, roles with the same share
    together: "服务顾问、质检员 15.0% · 维修技师 10.0%"."""
    shares: dict[float, list[str]] = {}
    for head, plan in plans.items():
        share = plan.kpi_weights.get(kpi_id, 0.0) * plan.category_weights[category_id] / 100
        if share > 0:
            shares.setdefault(round(share, 1), []).append(head)
    joiner = tr("、", ", ")
    return " · ".join(f"{joiner.join(heads)} {share:.1f}%" for share, heads in shares.items())


scheme_file = st.session_state.get("scheme_file") or data.default_scheme_file()
scheme = sidebar.scheme()
zh = language() == "zh"
kept = data.version_list(scheme_file)
active = kept[kept["active"]].iloc[0]

st.title(tr("考核标准", "Assessment standard") + f" · {scheme.name_zh if zh else scheme.name_en}")
when = "" if pd.isna(active["created_at"]) else f" · {active['created_at']:%Y-%m-%d}"
origin = (
    tr("方案文件", "the scheme file") if active["origin"] == "file" else tr("已采用", "adopted")
)
st.caption(
    tr(
        f"现行版本 v{scheme.version}({origin}{when})。考核结果均按此版本计算;历史版本见页末。",
        f"Version v{scheme.version} in use ({origin}{when}). Results are scored with it; earlier "
        "versions are at the end of the page.",
    )
)

st.subheader(tr("一、考核类别与权重", "1. Categories and weights"))
weights = describe.weights_table(scheme, language())
plans = [c for c in weights.columns if c not in ("item", "level")]
categories = weights[weights["level"] == "category"].drop(columns="level")
st.dataframe(
    categories.rename(columns={"item": tr("考核类别", "Category")}),
    hide_index=True,
    width="stretch",
    column_config={p: st.column_config.NumberColumn(p, format="%g%%") for p in plans},
)
if len(plans) > 1:
    st.caption(
        tr(
            "各岗位按自己的权重计分;未列出的岗位按“默认”权重。指标权重为 0 表示该岗位不考核此项。",
            "Each role is scored with its own weights; roles not listed use the default. A KPI "
            "weight of 0 means the role is not assessed on it.",
        )
    )

st.subheader(tr("二、考核指标与计分标准", "2. KPIs and how they are scored"))
kpis = describe.kpi_table(scheme, language())
# A scheme with role plans (the 4S scheme) weighs KPIs per role: the default plan alone would
# show most KPIs at 0 %, so each role that assesses the category gets a column of its own.
role_plans = dict(zip(plans, scheme.plans, strict=True)) if len(plans) > 1 else {}
for category in scheme.categories:
    label = category.label(language())
    rows = kpis[kpis["category"] == label]
    table = {tr("考核指标", "KPI"): rows["kpi"]}
    if role_plans:
        weighing = {
            head: plan
            for head, plan in role_plans.items()
            if plan.category_weights.get(category.id, 0) > 0
        }
        weights_said = sorted({plan.category_weights[category.id] for plan in weighing.values()})
        said = " / ".join(f"{w:g}%" for w in weights_said)
        st.markdown(f"**{label}**({said})" if zh else f"**{label}** ({said})")
        ids = [k.id for k in scheme.kpis if k.category == category.id]
        table[tr("占总分(按岗位)", "Share of total by role")] = [
            _by_role(kpi_id, category.id, weighing) for kpi_id in ids
        ]
    else:
        weight = scheme.default_plan.category_weights.get(category.id, 0)
        st.markdown(f"**{label}**({weight:g}%)" if zh else f"**{label}** ({weight:g}%)")
        table[tr("类别内权重", "Weight in category")] = rows["weight"].map("{:g}%".format)
        table[tr("占总分", "Share of total")] = rows["share"].map("{:.1f}%".format)
    table |= {
        tr("方向", "Direction"): rows["direction"],
        tr("计分方法", "Method"): rows["method"],
        tr("计分标准", "Scoring rule"): rows["rule"],
    }
    st.table(pd.DataFrame(table), hide_index=True, border="horizontal")
if role_plans:
    st.caption(
        tr(
            "按岗位计分:“占总分(按岗位)”列出考核该指标的岗位及其占总分的比例,未列出的岗位不考核此项;"
            "方案中没有的岗位按“默认”权重。",
            "Scored per role: “Share of total by role” names the roles assessed on the KPI and its "
            "share of their total; roles not named are not assessed on it. Roles the scheme does "
            "not list use the default.",
        )
    )
if len(plans) > 1:
    with st.expander(tr("各岗位的指标权重", "KPI weights per role")):
        st.dataframe(
            weights.drop(columns="level").rename(
                columns={"item": tr("类别 / 指标", "Category / KPI")}
            ),
            hide_index=True,
            width="stretch",
            column_config={p: st.column_config.NumberColumn(p, format="%g%%") for p in plans},
        )
missing = (
    tr(
        "缺失的指标不计入,由同类别其他指标分担权重。",
        "A missing KPI drops out; the other KPIs of its category share its weight.",
    )
    if scheme.missing == "renormalize"
    else tr("缺失的指标按 0 分计。", "A missing KPI scores 0.")
)
st.caption(
    tr(
        "每个指标折算为 0–100 分;总分 = Σ 类别权重 × Σ 指标权重 × 指标得分,四舍五入到 0.01 分。",
        "Every KPI scores 0–100; total = Σ category weight × Σ KPI weight × KPI score, rounded "
        "half away from zero to 0.01.",
    )
    + missing
)

st.subheader(tr("三、考核等级与奖金", "3. Grades and money"))
grades = describe.grade_table(scheme, language())
st.markdown(tr(*describe.MONEY_NAMES[scheme.money.mode]))
shown_grades = pd.DataFrame(
    {
        tr("等级", "Grade"): grades["grade"],
        tr("总分范围", "Totals"): grades["totals"],
        tr("奖金", "Money"): grades["money"],
    }
)
if scheme.target_mix:
    shown_grades[tr("目标占比", "Target share")] = grades["target_share"].map("{:g}%".format)
st.table(shown_grades, hide_index=True, border="horizontal")
formulas = describe.formula_table(scheme, language())
if not formulas.empty:
    st.markdown(tr("按公式计奖的岗位:", "Posts paid by a formula:"))
    st.table(
        formulas.rename(columns={"role": tr("岗位", "Post"), "formula": tr("公式", "Formula")}),
        hide_index=True,
        border="horizontal",
    )
if scheme.targets:
    targets = " · ".join(f"{scheme.kpi(t.kpi).label(language())} {t.text}" for t in scheme.targets)
    st.caption(tr(f"服务目标:{targets}", f"Service targets: {targets}"))

if data.access().is_employee:
    st.stop()  # versions and re-scoring are for those who run the assessment

st.subheader(tr("四、版本记录", "4. Versions"))
shown = kept.assign(
    active=kept["active"].map({True: "✅", False: ""}),
    # The file's own version has no adoption time: a blank, not "None".
    created_at=kept["created_at"].dt.strftime("%Y-%m-%d %H:%M").fillna(""),
    note=kept["note"].fillna(""),
    origin=kept["origin"].map(
        {"file": tr("方案文件", "scheme file"), "store": tr("已采用(数据库)", "adopted (store)")}
    ),
)
st.dataframe(
    shown,
    hide_index=True,
    width="stretch",
    column_config={
        "version": st.column_config.NumberColumn(tr("版本", "Version"), format="v%d"),
        "created_at": tr("采用时间", "Adopted"),
        "note": tr("说明", "Note"),
        "origin": tr("来源", "Source"),
        "active": tr("现行", "In use"),
    },
)
numbers = kept["version"].astype(int).tolist()
chosen = st.selectbox(
    tr("查看或重算的版本", "Version to look at or re-score with"),
    numbers,
    format_func=lambda n: f"v{n}",
    key="scheme_version_choice",
)
try:
    picked = data.version_scheme(scheme_file, chosen)
except SchemeError as exc:
    st.error(str(exc))
    st.stop()
changes = scheme_edit.differences(picked, scheme)
if chosen != scheme.version:
    with st.expander(
        tr(
            f"v{chosen} 与现行 v{scheme.version} 的差别({len(changes)})",
            f"v{chosen} against v{scheme.version} in use ({len(changes)})",
        )
    ):
        for change in changes:
            st.markdown(f"- {change.text(language())}")
st.download_button(
    tr(f"下载 v{chosen} 方案文件 (TOML)", f"Download v{chosen} as a scheme file (TOML)"),
    scheme_edit.to_toml(picked.raw, f"{picked.name_zh} · {picked.name_en} v{chosen}").encode(
        "utf-8"
    ),
    f"{scheme.id}_v{chosen}.toml",
    "application/toml",
    key="scheme_download",
    on_click="ignore",  # a rerun would give the table downloads below new ids mid-click
)

found = data.periods()
if not found["month"]:
    st.caption(tr("还没有数据,导入后可按任一版本重算。", "No data yet; import to re-score."))
    st.stop()
st.markdown(tr(f"**按 v{chosen} 重新计算一个期间**", f"**Re-score a period under v{chosen}**"))
kind_column, period_column = st.columns(2)
kind = kind_column.selectbox(
    tr("期间类型", "Kind of period"),
    [k for k in KIND_LABELS if found[k]],
    format_func={k: tr(*v) for k, v in KIND_LABELS.items()}.get,
    key="scheme_rescore_kind",
)
period = period_column.selectbox(tr("期间", "Period"), found[kind], key="scheme_rescore_period")
stop_if_unfit(period, picked)
table = data.scored(period, picked, frozen=False)
names = grade_labels(picked, language())
counts = table["grade"].astype(str).value_counts().reindex(picked.grade_names, fill_value=0)
figures = st.columns(3)
figures[0].metric(tr("人数", "Headcount"), f"{len(table)}")
figures[1].metric(tr("平均分", "Mean total"), f"{table['total'].mean():.2f}")
figures[2].metric(tr("奖金总额", "Money in total"), f"{table['bonus'].sum():,.0f}")
st.caption(
    " · ".join(f"{names[g]} {n}" for g, n in counts.items())
    + tr(f"(按 v{chosen} 计算)", f" (scored under v{chosen})")
)
downloads(table, f"scores_{period}_v{chosen}", picked, key="scheme_rescore")
