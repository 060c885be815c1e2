"""What-if: other cutoffs, weights, scoring rules or money (or a forced distribution, or a bonus
pool) side by side with the scheme in use: who moves, what it costs; scenarios kept and adopted."""

import numpy as np
import pandas as pd
import streamlit as st

from engine.analysis import whatif
from engine.analysis.ranking import grade_labels
from engine.schemes import edit as scheme_edit
from engine.schemes import versions as scheme_versions
from engine.schemes.scheme import SchemeError
from engine.store import StoreError
from ui import data, keeping
from ui.i18n import language, tr
from ui.page import require_view
from ui.whatif import basis, controls, results, session, solvers

if not data.access().may_change_data:
    st.error(tr("只有管理员和人力资源可以做模拟测算。", "Only admin and HR may run what-ifs."))
    st.stop()
view, _, _ = require_view()
source = data.file_scheme(view.scheme_file)
base_scheme = view.scheme
prepared = basis.basis_for(view, base_scheme)
base = basis.baseline(prepared)
store = data.current_store()
name = base_scheme.name_zh if language() == "zh" else base_scheme.name_en
BASE_SIDE, SCENARIO_SIDE = tr("基线", "Baseline"), tr("模拟", "Scenario")

st.title(tr("模拟测算", "What-if") + f" · {view.period}")
st.caption(
    tr(
        f"基线:{name} v{base_scheme.version} · {len(prepared.basis.people)} 人"
        "(按侧栏筛选)。改动任一设置,右侧结果即时更新;改动只在保存或采用后才会保留。",
        f"Baseline: {name} v{base_scheme.version} · {len(prepared.basis.people)} people "
        "(sidebar filters apply). Change any setting and the results follow at once; nothing "
        "is kept until you save or adopt it.",
    )
)
session.show_flash()
start = session.start_for(base_scheme)
if start.name:
    opened, reset = st.columns([4, 1])
    opened.info(tr(f"已打开保存的方案「{start.name}」。", f"Opened saved scenario “{start.name}”."))
    if reset.button(tr("回到基线", "Back to the baseline"), key="wi_reset", width="stretch"):
        session.open_start(base_scheme)
        st.rerun()


@st.fragment
def simulation() -> None:
    """The controls and the results: a change reruns only this part of the page."""
    control_column, result_column = st.columns([2, 3], gap="large")
    with control_column:
        st.subheader(tr("调整方案", "Change the scheme"))
        grades_tab, weights_tab, rules_tab, solve_tab = st.tabs(
            [
                tr("等级与奖金", "Grades and money"),
                tr("权重", "Weights"),
                tr("计分规则", "Scoring rules"),
                tr("求解", "Solve"),
            ]
        )
        with grades_tab:
            scenario_data, problems = controls.grade_money_controls(start.scheme)
        with weights_tab:
            scenario_data, weight_problems = controls.weight_controls(start.scheme, scenario_data)
        with rules_tab:
            scenario_data = controls.rule_controls(start.scheme, scenario_data)
        with solve_tab:
            defaults = {
                "pool": round(whatif.money_totals(base, base)["baseline"]),
                **start.settings,
            }
            settings, solver_problems = solvers.solver_controls(start.scheme, defaults)
        scheme, problems = session.checked(
            scenario_data, problems + weight_problems + solver_problems
        )
        scenario = (
            solvers.run(prepared, scheme, settings)
            if scheme
            else session.Scenario(None, settings, problems)
        )
        if scenario.scheme is not None:
            changes = scheme_edit.differences(base_scheme, scenario.scheme)
            with st.expander(
                tr(
                    f"与基线相比的改动({len(changes)})",
                    f"Changes from the baseline ({len(changes)})",
                )
            ):
                for change in changes:
                    st.markdown(f"- {change.text(language())}")
                if not changes:
                    st.caption(tr("没有改动。", "No changes."))
            keep(scenario)
    with result_column:
        st.subheader(tr("结果:基线与模拟", "Results: baseline and scenario"))
        if scenario.problems:
            st.error(
                tr(
                    "这些设置无法使用,结果未更新:",
                    "These settings cannot be used; nothing applied:",
                )
                + "\n"
                + "\n".join(f"- {p}" for p in scenario.problems)
            )
            return
        solved(scenario)
        after = scenario.outcome
        results.headline(base, after, base_scheme, (BASE_SIDE, SCENARIO_SIDE))
        (sensitivity_tab,) = results.comparison(
            prepared,
            base,
            after,
            base_scheme,
            (BASE_SIDE, SCENARIO_SIDE),
            "wi_result",
            extra=(tr("敏感性", "Sensitivity"),),
        )
        with sensitivity_tab:
            sensitivity(scenario)


def solved(scenario: session.Scenario) -> None:
    """What a solver found: cutoffs against the targets, or what fits the pool."""
    names = grade_labels(base_scheme, language())
    settings = scenario.settings
    if settings["mode"] == "forced":
        forced_result(scenario, names)
    elif settings["mode"] == "budget" and scenario.fit is not None:
        fit = scenario.fit
        if fit.top_cutoff is not None:
            found = tr(
                f"{names[base_scheme.grade_names[0]]}最低分 {fit.top_cutoff:g}",
                f"{names[base_scheme.grade_names[0]]} minimum {fit.top_cutoff:g}",
            )
        elif fit.base is not None:
            found = tr(f"基数 {fit.base:,.0f} 元", f"base {fit.base:,.0f} yuan")
        else:
            found = ", ".join(
                f"{names[g]} {a:,.0f}"
                for g, a in zip(base_scheme.grade_names, fit.amounts, strict=True)
            )
        st.success(
            tr(
                f"奖金池 {settings['pool']:,.0f} 元:{found};合计 {fit.total:,.0f} 元,"
                f"余 {fit.remainder:,.0f} 元。金额向下取整到元,合计不超过奖金池。",
                f"Pool {settings['pool']:,.0f} yuan: {found}; total {fit.total:,.0f}, "
                f"{fit.remainder:,.0f} left. Amounts are rounded down to the yuan, so the total "
                "never exceeds the pool.",
            )
        )
    elif settings["mode"] == "budget":
        st.info(tr("请输入奖金池金额。", "Enter the bonus pool."))


def forced_result(scenario: session.Scenario, names: dict[str, str]) -> None:
    """The minimums a forced distribution found (none for a grade nobody reaches), the shares
    achieved against the targets, per bucket when the guide's buckets were entered, and why a
    target could not be met (equal totals stay in one grade)."""
    settings, outcome = scenario.settings, scenario.outcome
    in_mix = whatif.mix_people(prepared.basis)  # the shares the solver aimed at
    grades = base_scheme.grades
    if scenario.department_cutoffs is not None:
        st.markdown(
            tr("**各部门分别求得的分数线与达成占比**", "**Minimums and shares per department**")
        )
        shares = whatif.grade_shares(
            outcome, prepared.basis.department, prepared.basis.departments, in_mix
        )
        minimums = scenario.department_cutoffs
        for i, level in enumerate(grades[:-1]):
            reached = shares[level.name].to_numpy() > 0
            shares[tr(f"{names[level.name]}线", f"{names[level.name]} min")] = np.where(
                reached, minimums[:, i], np.nan
            )
        scope_label = tr("部门", "Department")
        nobody = bool((shares[base_scheme.grade_names[:-1]].to_numpy() == 0).any())
    else:
        cutoffs = whatif.scheme_cutoffs(scenario.scheme)
        shown = whatif.meaningful_cutoffs(cutoffs, outcome.grade_counts)
        nobody = None in shown
        st.markdown(
            tr("**求得的分数线** ", "**Solved minimums** ")
            + " · ".join(
                f"{names[g.name]} ≥ {c:g}" if c is not None else f"{names[g.name]} —"
                for g, c in zip(grades, shown, strict=False)
            )
        )
        shares = whatif.grade_shares(outcome, counted=in_mix)
        scope_label = tr("全公司", "Whole company")
        totals = np.where(in_mix, outcome.total, np.nan) if in_mix is not None else outcome.total
        for note in whatif.tie_notes(totals, cutoffs, settings["shares"]):
            st.info(tie_text(note, names), icon="ℹ️")
    if nobody:
        st.caption(
            tr(
                "“—”:此等级无人(目标为 0%,或被同分挤掉),不设有意义的分数线。",
                "“—”: nobody is in this grade (a target of 0 %, or squeezed out by equal "
                "totals), so it has no meaningful minimum.",
            )
        )
    target = {"group": tr("目标", "Target"), "headcount": np.nan}
    target |= dict(zip(base_scheme.grade_names, settings["shares"], strict=True))
    shares = shares.rename(columns=names)
    target = {names.get(k, k): v for k, v in target.items()}
    table = pd.concat([pd.DataFrame([target]), shares], ignore_index=True)
    if scenario.department_cutoffs is None:
        table.loc[1, "group"] = tr("达成", "Achieved")
    table = results.result_labels(table, base_scheme).rename(
        columns={tr("部门", "Department"): scope_label}
    )
    st.dataframe(
        table.round(1),
        hide_index=True,
        width="stretch",
        placeholder="",
        column_config={scope_label: st.column_config.TextColumn(width="medium")},
    )
    if settings.get("target_kind") == "buckets" and scenario.department_cutoffs is None:
        of = settings["buckets"]["of"]
        people, achieved = whatif.bucket_achieved(outcome.grade_counts[:-1], of, max(of) + 1)
        st.dataframe(
            pd.DataFrame(
                {
                    tr("分组", "Bucket"): solvers.bucket_names(base_scheme, of),
                    tr("目标占比 %", "Target %"): settings["buckets"]["shares"],
                    tr("达成人数", "People"): people,
                    tr("达成占比 %", "Achieved %"): np.round(achieved, 1),
                }
            ),
            hide_index=True,
            width="stretch",
        )


def tie_text(note: whatif.TieNote, names: dict[str, str]) -> str:
    """Why one boundary misses its target, in the reader's language."""
    upper = names[base_scheme.grade_names[note.boundary]]
    ties = []
    sides = ((note.above_total, note.above_count), (note.below_total, note.below_count))
    for total, count in sides:
        if total == total and count > 1:
            ties.append(
                tr(f"总分 {total:.2f} 有 {count} 人同分", f"{count} people share {total:.2f}")
            )
    reason = (
        tr(
            ",".join(ties) + ",同分的人在同一等级",
            "; ".join(ties) + ", and equal totals stay in one grade",
        )
        if ties
        else tr("人数太少,无法恰好达到", "too few people to meet it exactly")
    )
    return tr(
        f"{upper}及以上:目标 {note.wanted:.1f} 人,实际 {note.reached} 人,无法恰好达到:{reason}。",
        f"{upper} and above: {note.wanted:.1f} people wanted, {note.reached} reached; the target "
        f"cannot be met exactly: {reason}.",
    )


def sensitivity(scenario: session.Scenario) -> None:
    """Grade shares as one minimum sweeps its range; the people close below a minimum."""
    names = grade_labels(base_scheme, language())
    levels = base_scheme.grades[:-1]
    chosen = st.selectbox(
        tr("移动哪条分数线", "Which minimum moves"),
        range(len(levels)),
        format_func=lambda i: names[levels[i].name],
        key="wi_sweep_cutoff",
    )
    cutoffs = whatif.scheme_cutoffs(scenario.scheme)
    before = whatif.scheme_cutoffs(base_scheme)[chosen]
    sweep = whatif.cutoff_sweep(
        scenario.outcome.total, cutoffs, chosen, base_scheme.grade_names, marks=[before]
    )
    marks = [
        (BASE_SIDE, before, results.BASELINE_COLOR),
        (SCENARIO_SIDE, cutoffs[chosen], results.SCENARIO_COLOR),
    ]
    if before == cutoffs[chosen]:
        marks = [(f"{BASE_SIDE} = {SCENARIO_SIDE}", before, results.SCENARIO_COLOR)]
    st.plotly_chart(results.sweep_chart(sweep, base_scheme, marks), width="stretch")
    if scenario.department_cutoffs is not None:
        st.caption(
            tr(
                "各部门分别求解时,曲线按全公司统一分数线计算。",
                "With minimums per department, the curves use the company-wide minimums.",
            )
        )
    within = st.slider(
        tr("距上一等级不超过(分)", "Within (points) of the next grade"),
        0.5,
        10.0,
        2.0,
        0.5,
        key="wi_within",
    )
    near = whatif.near_boundary(prepared.basis, scenario.outcome, within)
    near = results.grade_names_shown(near, base_scheme, ("grade", "next_grade"))
    st.markdown(
        tr(
            f"**{len(near)} 人离上一等级不超过 {within:g} 分(模拟方案)**",
            f"**{len(near)} people within {within:g} points of the next grade (scenario)**",
        )
    )
    st.dataframe(
        results.result_labels(near, base_scheme).head(results.SHOWN_ROWS),
        hide_index=True,
        width="stretch",
    )


def keep(scenario: session.Scenario) -> None:
    """Save under a name, download as a scheme file, or adopt as the next version."""
    with st.expander(tr("保存 · 下载 · 采用", "Save · download · adopt")):
        text = scheme_edit.to_toml(
            scenario.scheme.raw,
            tr(
                f"模拟方案,基于 {base_scheme.id} v{base_scheme.version}",
                f"Scenario based on {base_scheme.id} v{base_scheme.version}",
            ),
        )
        label = st.text_input(
            tr("方案名称", "Scenario name"), value=start.name, key=session.key("name")
        )
        if st.button(tr("保存方案", "Save scenario"), key="wi_save", disabled=not label.strip()):
            try:
                new = store.save_scenario(
                    base_scheme.id, label.strip(), base_scheme.version, text, scenario.settings
                )
            except StoreError as exc:
                st.error(str(exc))
            else:
                session.open_start(base_scheme, label.strip(), text, scenario.settings)
                session.flash(
                    "success",
                    tr(
                        f"已保存方案「{label.strip()}」" + ("" if new else "(覆盖同名方案)"),
                        f"Saved “{label.strip()}”"
                        + ("" if new else " (replacing the one of that name)"),
                    ),
                )
                st.rerun()
        st.download_button(
            tr("下载为方案文件 (TOML)", "Download as a scheme file (TOML)"),
            text.encode("utf-8"),
            f"{base_scheme.id}_{label.strip() or 'scenario'}.toml",
            "application/toml",
            key="wi_download",
        )
        number = int(scheme_versions.versions(store, source)["version"].iloc[0]) + 1
        if not scenario.adoptable:
            st.caption(
                tr(
                    "各部门分别的分数线不能写入方案,无法采用。",
                    "Minimums per department cannot be written into a scheme, so this "
                    "cannot be adopted.",
                )
            )
            return
        sure = st.checkbox(
            tr(
                f"确认采用为新版本 v{number}(之前的版本保留,可随时重算)",
                f"Yes, adopt as version v{number} (earlier versions are kept and can "
                "re-score any period)",
            ),
            key=session.key("adopt_sure"),
        )
        if st.button(
            tr("采用为新版本", "Adopt as the new version"),
            key="wi_adopt",
            disabled=not sure,
            type="primary",
        ):
            try:
                adopted = scheme_versions.adopt(
                    store, source, scenario.scheme, label.strip() or tr("模拟方案", "scenario")
                )
            except (StoreError, SchemeError) as exc:
                st.error(str(exc))
            else:
                # Every month scored under the new version once, in the background (started
                # before the caches empty: no page scores them beside it); pages show the
                # progress and read the months when they are kept.
                keeping.start(store, scheme_versions.active_scheme(store, source))
                session.open_start(base_scheme)
                st.cache_data.clear()
                session.flash(
                    "success",
                    tr(
                        f"已采用为 v{adopted.version},即现行版本;之前的版本保留在版本记录中。"
                        "各月结果正在后台按新版本计算,各页面显示进度。",
                        f"Adopted as v{adopted.version}, now the version in use; earlier "
                        "versions stay in the version history. Every month is being scored "
                        "under it in the background; the pages show the progress.",
                    ),
                )
                st.rerun()


simulation()

st.divider()
st.subheader(tr("已保存的方案", "Saved scenarios"))
saved = store.scenarios(base_scheme.id)
if saved.empty:
    st.caption(tr("还没有保存的方案。", "No saved scenarios yet."))
else:
    st.dataframe(
        saved,
        hide_index=True,
        width="stretch",
        column_config={
            "name": tr("名称", "Name"),
            "base_version": tr("基于版本", "Based on version"),
            "saved_at": st.column_config.DatetimeColumn(
                tr("保存时间", "Saved"), format="YYYY-MM-DD HH:mm"
            ),
        },
    )
    names = saved["name"].tolist()
    pick, open_button, get_button, delete_button = st.columns(
        [3, 1, 1, 1], vertical_alignment="bottom"
    )
    chosen = pick.selectbox(tr("方案", "Scenario"), names, key="wi_saved_choice")
    found = store.scenario(base_scheme.id, chosen)
    if open_button.button(tr("打开", "Open"), key="wi_open", width="stretch"):
        session.open_start(base_scheme, chosen, found["toml"], found["settings"])
        st.rerun()
    get_button.download_button(
        tr("下载 TOML", "Download TOML"),
        found["toml"].encode("utf-8"),
        f"{base_scheme.id}_{chosen}.toml",
        "application/toml",
        key="wi_saved_download",
        width="stretch",
    )
    if delete_button.button(tr("删除", "Delete"), key="wi_delete", width="stretch"):
        store.delete_scenario(base_scheme.id, chosen)
        session.flash("success", tr(f"已删除方案「{chosen}」", f"Deleted “{chosen}”"))
        st.rerun()

    if len(names) >= 2:
        st.markdown(tr("**比较两个已保存的方案**", "**Compare two saved scenarios**"))
        left, right = st.columns(2)
        first = left.selectbox(tr("方案 A", "Scenario A"), names, index=0, key="wi_compare_a")
        second = right.selectbox(tr("方案 B", "Scenario B"), names, index=1, key="wi_compare_b")
        outcomes = []
        for chosen_name in (first, second):
            found = store.scenario(base_scheme.id, chosen_name)
            try:
                loaded = scheme_edit.from_toml(found["toml"], chosen_name)
                outcomes.append(solvers.run(prepared, loaded, solvers.replayed(found["settings"])))
            except (SchemeError, ValueError) as exc:
                st.error(f"{chosen_name}: {exc}")
                outcomes = []
                break
        if len(outcomes) == 2 and all(o.outcome is not None for o in outcomes):
            results.headline(outcomes[0].outcome, outcomes[1].outcome, base_scheme, (first, second))
            results.comparison(
                prepared,
                outcomes[0].outcome,
                outcomes[1].outcome,
                base_scheme,
                (first, second),
                "wi_saved",
            )
