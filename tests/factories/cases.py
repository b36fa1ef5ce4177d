"""Factories for the case core."""

from __future__ import annotations

from smartduty.cases import services
from smartduty.cases.models import Case, CaseApproval, Category
from smartduty.cases.states import Action
from smartduty.org.models import Officer
from smartduty.org.services import principal_for_user


def case_in_a(officer: Officer, *, code: str = "E0401") -> Case:
    """A reported case in the officer's district, with a pending 作废 request."""
    case = services.report_case(
        principal=principal_for_user(officer.user),
        actor=officer.user,
        category=Category.objects.get(code=code),
        district=officer.unit.district,
        place="人民路88号",
    )
    CaseApproval.objects.create(
        case=case, action=Action.VOID, reason="测试用作废申请", requested_by=officer.user
    )
    return case


def cases_in_every_state(
    officer: Officer, commander: Officer, *, code: str = "E0401"
) -> list[Case]:
    """One case per step of the loop (reported … evaluated, and deferred with its approval
    decided), all in the officer's district and dispatched to the officer's unit."""
    from smartduty.evidence.models import Photo  # noqa: PLC0415

    photo = Photo.objects.filter(district=officer.unit.district).first()
    photo_id = photo.pk if photo is not None else None
    command = principal_for_user(commander.user)
    steps: list[tuple[Action, dict[str, object]]] = [
        (Action.REGISTER, {}),
        (Action.DISPATCH, {"unit": officer.unit}),
        (Action.HANDLE, {"after_photo_id": photo_id}),
        (Action.VERIFY_PASS, {"verify_photo_id": photo_id}),
        (Action.EVALUATE, {"rating": 4}),
    ]
    made = []
    for length in range(len(steps) + 1):
        case = case_in_a(officer, code=code)
        CaseApproval.objects.filter(case=case).delete()
        for action, extra in steps[:length]:
            who = officer if action in (Action.HANDLE,) else commander
            case = services.act(
                case,
                action,
                principal=principal_for_user(who.user),
                actor=who.user,
                **extra,  # type: ignore[arg-type]
            )
        made.append(case)
    # the dispatched one has a pending 缓办 request, for the approvers
    services.request_approval(
        made[2], Action.DEFER, principal=command, actor=commander.user, reason="等待产权确认"
    )
    return made
