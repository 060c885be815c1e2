"""Whether a scheme fits the data it is asked to score: a scheme that finds fewer than half of its
weighted KPIs in a period's data is refused (scoring the 4S store under the after-sales scheme
would grade every row on the one KPI the two share), unless the data was imported under it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from engine.schemes.scheme import Scheme, normalize_header
from engine.scoring.score import kpi_values

SHARE_NEEDED = 0.5  # of the scheme's weighted KPIs that must have a value in the period


class SchemeRefused(ValueError):
    """Scoring a period under a scheme that does not fit its data; the message says why."""


@dataclass(frozen=True)
class SchemeFit:
    """How much of a scheme a period's data holds, and the schemes its imports were checked
    against (newest first; empty where the store did not record them)."""

    scheme_id: str
    period: str
    weighted: tuple[str, ...]  # KPIs that weigh something for some role
    found: tuple[str, ...]  # of those, the KPIs with a value in the period
    imported_for: tuple[str, ...]

    @property
    def refused(self) -> bool:
        """Fewer than half the weighted KPIs found, and the data not imported under this
        scheme (data checked against the scheme itself is scored with it, however sparse)."""
        if self.imported_for and set(self.imported_for) == {self.scheme_id}:
            return False
        return len(self.found) < SHARE_NEEDED * len(self.weighted)

    @property
    def data_scheme(self) -> str | None:
        """The scheme the period's data was (last) imported for, when recorded."""
        return self.imported_for[0] if self.imported_for else None

    def message(self, language: str = "en") -> str:
        """Why the scheme is refused, naming the scheme the data was imported for."""
        found, weighted = len(self.found), len(self.weighted)
        if language == "zh":
            head = (
                f"方案 {self.scheme_id} 在 {self.period} 的数据中只找到其 {weighted} 个有权重指标中"
                f"的 {found} 个(不到一半),不能用它评分:"
            )
            if self.data_scheme is None:
                return head + "这些数据导入时未记录所用方案,请选择与数据相符的方案。"
            return head + f"这些数据是按方案 {self.data_scheme} 导入的,请改用该方案。"
        head = (
            f"Scheme {self.scheme_id} finds only {found} of its {weighted} weighted KPIs in the "
            f"data of {self.period} (fewer than half), so it does not score it: "
        )
        if self.data_scheme is None:
            return head + (
                "the scheme the data was imported for is not recorded (imported before the "
                "store kept it); choose the scheme that fits the data."
            )
        return head + f"the data was imported for scheme {self.data_scheme}; use that scheme."


def weighted_kpis(scheme: Scheme) -> tuple[str, ...]:
    """The KPIs that weigh something in some plan (their own weight and their category's)."""
    return tuple(
        k.id
        for k in scheme.kpis
        if any(
            p.kpi_weights.get(k.id, 0) > 0 and p.category_weights.get(k.category, 0) > 0
            for p in scheme.plans
        )
    )


def scheme_fit(
    facts: pd.DataFrame, scheme: Scheme, period: str, imported_for: Sequence[str] = ()
) -> SchemeFit:
    """How much of the scheme the period's facts hold (KPIs found by id or alias)."""
    weighted = weighted_kpis(scheme)
    filled = kpi_values(facts, scheme).notna().any()
    return SchemeFit(
        scheme_id=scheme.id,
        period=period,
        weighted=weighted,
        found=tuple(k for k in weighted if filled[k]),
        imported_for=tuple(dict.fromkeys(s for s in imported_for if isinstance(s, str) and s)),
    )


def kpi_columns(stored: Sequence[str], scheme: Scheme) -> list[str]:
    """The stored columns the scheme's KPIs are read from (by id, name or alias): all that
    scheme_fit looks at, so a period's check need not read every roster column too."""
    headers = {
        normalize_header(name)
        for kpi in scheme.kpis
        for name in (kpi.id, kpi.name_zh, kpi.name_en, *kpi.aliases)
    }
    return [c for c in stored if normalize_header(c) in headers]
