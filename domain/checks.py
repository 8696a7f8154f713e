"""Checks shared by every staff action, in the recognition procedure and in the term."""

from __future__ import annotations

from datetime import date

from domain.procedure import ROLE_ZH, ActionRefused, Actor, Role


def require_new_request(handled_requests: list[str], request_id: str) -> None:
    if not request_id.strip():
        raise ActionRefused("缺少请求编号", "request_id is required")
    if request_id in handled_requests:
        raise ActionRefused(
            f"该请求（{request_id}）已处理，未重复执行",
            f"request {request_id} was already handled; nothing was done again",
        )


def require_role(actor: Actor, *roles: Role) -> None:
    if actor.role not in roles:
        allowed = "、".join(ROLE_ZH[r] for r in roles)
        raise ActionRefused(
            f"{ROLE_ZH[actor.role]}无权进行此操作，应由{allowed}办理",
            f"role {actor.role.value} may not do this; allowed: "
            + ", ".join(r.value for r in roles),
        )


def require_text(value: str, zh_name: str, en_name: str) -> None:
    if not value.strip():
        raise ActionRefused(f"请填写{zh_name}", f"{en_name} is required")


def require_not_after_today(day: date, today: date, zh_name: str, en_name: str, hint: str) -> None:
    """A recorded act (a meeting held, a document issued, a plaque handed over) has
    happened: its date is not after today. `hint` tells the clerk what to record."""
    if day > today:
        raise ActionRefused(
            f"{zh_name}{day}晚于今天（{today}），{hint}",
            f"{en_name} {day} is after today ({today})",
        )
