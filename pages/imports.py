"""Import: upload monthly files, check them, see what committing does, commit; history."""

import io
import zipfile

import streamlit as st

from engine import paths
from engine.output.export import csv_bytes, template_table
from engine.store import StoreError
from ui import data, importing, sidebar
from ui.i18n import plain, tr

STATUS_NAMES = {
    "active": ("使用中", "in use"),
    "replaced": ("已被替换", "replaced"),
    "deleted": ("已删除", "deleted"),
}
ACTION_NAMES = {
    "imported": ("导入", "imported"),
    "replaced": ("替换", "replaced"),
    "restored": ("恢复", "restored"),
    "deleted": ("删除", "deleted"),
    "scheme_version": ("采用方案新版本", "new scheme version"),
    "scenario_saved": ("保存模拟方案", "scenario saved"),
    "scenario_replaced": ("覆盖模拟方案", "scenario replaced"),
    "scenario_deleted": ("删除模拟方案", "scenario deleted"),
    "scores_kept": ("保存计算结果", "scored results kept"),
    "sign_in": ("登录", "signed in"),
    "sign_in_failed": ("登录失败", "sign-in failed"),
    "sign_out": ("退出", "signed out"),
    "export": ("导出", "export"),
}

if not data.access().may_change_data:
    st.error(tr("只有管理员和人力资源可以导入数据。", "Only admin and HR may import data."))
    st.stop()

scheme = sidebar.scheme()
store = data.current_store()

st.title(tr("导入数据", "Import data"))
upload_tab, history_tab, template_tab = st.tabs(
    [
        tr("上传与检查", "Upload and check"),
        tr("导入记录", "Import history"),
        tr("模板与示例", "Template and demo files"),
    ]
)

with upload_tab:
    for kind, message in importing.pop_messages():
        (st.success if kind == "success" else st.error)(message)
    st.caption(
        tr(
            "选择一个或多个月度文件(CSV 或 Excel .xlsx,最大 50 MB)。选择文件不会导入任何数据:"
            "检查结果无误后,点击“导入”才会写入。",
            "Choose one or more monthly files (CSV or Excel .xlsx, up to 50 MB). Choosing a file "
            "imports nothing: data is written only when you press Import after the check.",
        )
    )
    uploads = st.file_uploader(
        tr("月度考核文件", "Monthly files"),
        type=["csv", "xlsx"],
        accept_multiple_files=True,
        key="uploads",
    )
    reviews = []
    for upload in uploads or []:
        with st.container(border=True):
            st.subheader(plain(upload.name))
            with st.spinner(tr("正在检查…", "Checking…")):
                item = importing.review(upload, scheme)
            reviews.append(item)
            if st.button(
                tr("导入此文件", "Import this file"),
                key=f"commit_{item.parsed.sha256}",
                disabled=not item.ready,
                type="primary",
            ):
                importing.commit([item])
    ready = [r for r in reviews if r.ready]
    if len(reviews) > 1:
        label = tr(
            f"导入全部可导入的文件({len(ready)}/{len(reviews)})",
            f"Import all ready files ({len(ready)} of {len(reviews)})",
        )
        if st.button(label, disabled=not ready, type="primary", key="commit_all"):
            importing.commit(ready)

with history_tab:
    log = store.imports()
    if log.empty:
        st.info(tr("还没有导入记录。", "Nothing imported yet."))
    else:
        shown = log.assign(status=log["status"].map(lambda s: tr(*STATUS_NAMES.get(s, (s, s)))))
        st.dataframe(
            shown.drop(columns=["sha256"]),
            hide_index=True,
            width="stretch",
            column_config={
                "import_id": tr("编号", "Import"),
                "file_name": tr("文件", "File"),
                "period": tr("月份", "Month"),
                "row_count": tr("行数", "Rows"),
                "imported_at": st.column_config.DatetimeColumn(
                    tr("时间", "Time"), format="YYYY-MM-DD HH:mm"
                ),
                "status": tr("状态", "Status"),
                "replaces": tr("替换了", "Replaces"),
                "encoding": tr("编码", "Encoding"),
            },
        )
        events = store.events()
        with st.expander(tr("操作记录", "What happened, newest first")):
            events["action"] = events["action"].map(lambda a: tr(*ACTION_NAMES.get(a, (a, a))))
            st.dataframe(events, hide_index=True, width="stretch")

        def describe(row) -> str:
            return f"#{row.import_id} · {row.period} · {row.file_name}"

        restorable = {r.import_id: describe(r) for r in log.itertuples() if r.status != "active"}
        active = {r.import_id: describe(r) for r in log.itertuples() if r.status == "active"}
        left, right = st.columns(2)
        with left:
            st.markdown(
                tr("**恢复被替换或删除的导入**", "**Restore a replaced or deleted import**")
            )
            chosen = st.selectbox(
                tr("导入", "Import"),
                list(restorable),
                key="restore_choice",
                format_func=restorable.get,
                index=None,
                placeholder=tr("选择", "Choose"),
            )
            if st.button(tr("恢复", "Restore"), disabled=chosen is None, key="restore"):
                try:
                    st.success(plain(store.restore(int(chosen))))
                    data.clear_after_import()
                except StoreError as exc:
                    st.error(plain(exc))
        with right:
            st.markdown(tr("**删除一个导入(可恢复)**", "**Delete an import (restorable)**"))
            doomed = st.selectbox(
                tr("导入", "Import"),
                list(active),
                key="delete_choice",
                format_func=active.get,
                index=None,
                placeholder=tr("选择", "Choose"),
            )
            sure = st.checkbox(tr("确认删除", "Yes, delete it"), key="delete_confirm")
            if st.button(tr("删除", "Delete"), disabled=doomed is None or not sure, key="delete"):
                try:
                    st.success(plain(store.delete(int(doomed))))
                    data.clear_after_import()
                except StoreError as exc:
                    st.error(plain(exc))

with template_tab:
    st.markdown(tr(f"当前考核方案:**{scheme.name_zh}**", f"Active scheme: **{scheme.name_en}**"))
    for lang, label in (
        ("zh", tr("中文表头模板", "Template, Chinese headers")),
        ("en", tr("英文表头模板", "Template, English headers")),
    ):
        st.download_button(
            label,
            csv_bytes(template_table(scheme, lang)),
            f"template_{scheme.id}_{lang}.csv",
            "text/csv",
            key=f"template_{lang}",
        )
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        for file in sorted(paths.SAMPLE_DIR.glob("*.csv")):
            bundle.write(file, file.name)
    st.download_button(
        tr("示例数据(12 个月)", "Demo files (12 months)"),
        archive.getvalue(),
        "demo_months.zip",
        "application/zip",
        key="demo_zip",
    )
    st.caption(
        tr(
            "列名可以是中文或英文;百分比可写 92 或 92%;空白单元格表示缺失。",
            "Headers may be Chinese or English; percents as 92 or 92%; a blank cell is "
            "a missing value.",
        )
    )
