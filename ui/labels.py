"""Bilingual labels for the columns the pages show."""

COLUMN_LABELS = {
    "rank": "排名 · Rank",
    "dept_rank": "部门排名 · Dept rank",
    "team_rank": "班组排名 · Team rank",
    "employee_id": "工号 · ID",
    "name": "姓名 · Name",
    "department": "部门 · Department",
    "team": "班组 · Team",
    "role": "岗位 · Role",
    "period": "期间 · Period",
    "total": "总分 · Total",
    "grade": "等级 · Grade",
    "bonus": "奖金 · Bonus",
    "months": "月数 · Months",
}


def labelled(table):
    """The table with bilingual column headers, for display only."""
    return table.rename(columns=COLUMN_LABELS)
