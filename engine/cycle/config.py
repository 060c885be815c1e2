"""The month-closing configuration (data/cycle.toml): states, the moves between them, who may
make each, and the bounds of adjustments."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from engine import paths
from engine.accounts import ROLES
from engine.schemes.scheme import Scheme

CYCLE_FILE = paths.DATA_DIR / "cycle.toml"
CYCLE_ENV = "ASSESS_CYCLE"
STATES = ("open", "submitted", "calibrated", "approved", "published", "locked")
STATE_NAMES = {
    "open": ("进行中", "open"),
    "submitted": ("已提交", "submitted"),
    "calibrated": ("已校准", "calibrated"),
    "approved": ("已审批", "approved"),
    "published": ("已发布", "published"),
    "locked": ("已锁定", "locked"),
}


class CycleError(ValueError):
    """The month-closing configuration cannot be used; the message lists why."""


@dataclass(frozen=True)
class Move:
    """One move of a month's state: from which states, to which, by whom."""

    action: str
    name_zh: str
    sources: tuple[str, ...]
    target: str
    roles: tuple[str, ...]
    reason_required: bool = False
    per_department: bool = False


@dataclass(frozen=True)
class CycleConfig:
    moves: dict[str, Move]
    max_points: float
    adjust_roles: tuple[str, ...]
    adjust_states: tuple[str, ...]
    approval_roles: tuple[str, ...] = ("manager",)
    approver_roles: tuple[str, ...] = ("admin", "hr")

    def bound(self, scheme: Scheme) -> float:
        """The most points an adjustment may move a total: the scheme's own bound, else ours."""
        own = scheme.raw.get("cycle", {}).get("max_adjustment")
        return float(own) if own is not None else self.max_points


def cycle_path(explicit: str | os.PathLike | None = None) -> Path:
    """The configuration file: explicit, else $ASSESS_CYCLE, else data/cycle.toml."""
    return Path(explicit or os.environ.get(CYCLE_ENV) or CYCLE_FILE).expanduser().resolve()


def load_cycle(path: str | os.PathLike | None = None) -> CycleConfig:
    """Read and check the configuration; raises CycleError listing every problem."""
    file = cycle_path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8-sig"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CycleError(f"{file.name}: cannot be read ({exc})") from exc
    problems: list[str] = []
    moves = {name: _move(name, body, problems) for name, body in data.get("moves", {}).items()}
    adjust = data.get("adjustments", {})
    config = CycleConfig(
        moves=moves,
        max_points=float(adjust.get("max_points", 5)),
        adjust_roles=tuple(adjust.get("roles", ["admin", "hr", "manager"])),
        adjust_states=tuple(adjust.get("open_states", ["open", "submitted", "calibrated"])),
        approval_roles=tuple(adjust.get("approval", ["manager"])),
        approver_roles=tuple(adjust.get("approvers", ["admin", "hr"])),
    )
    roles = (*config.adjust_roles, *config.approval_roles, *config.approver_roles)
    problems += [f"adjustments: unknown role '{r}'" for r in dict.fromkeys(roles) if r not in ROLES]
    problems += [
        f"adjustments: unknown state '{s}'" for s in config.adjust_states if s not in STATES
    ]
    if problems:
        raise CycleError(f"{file.name}: " + "; ".join(problems))
    return config


def _move(name: str, body: dict, problems: list[str]) -> Move:
    move = Move(
        action=name,
        name_zh=str(body.get("name_zh", name)),
        sources=tuple(body.get("from", [])),
        target=str(body.get("to", "")),
        roles=tuple(body.get("roles", [])),
        reason_required=bool(body.get("reason_required", False)),
        per_department=bool(body.get("per_department", False)),
    )
    for state in (*move.sources, move.target):
        if state not in STATES:
            problems.append(f"move {name}: unknown state '{state}' (use {', '.join(STATES)})")
    problems += [f"move {name}: unknown role '{r}'" for r in move.roles if r not in ROLES]
    return move
