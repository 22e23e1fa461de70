"""The stored waiting state (decision 0035): ``waiting_on`` + ``Waiting.includes`` must say exactly
what ``waits_for`` says, for every person, after every sequence of moves a request can take."""

from __future__ import annotations

import random

from lawtrail.domain.access import Actor, Role
from lawtrail.domain.approvals import (
    ApprovalState,
    Decision,
    Status,
    Step,
    Waiting,
    apply,
    move,
    waiting_on,
    waits_for,
)
from lawtrail.errors import InvalidTransition
from tests.unit.test_approvals_domain import (
    BUREAU,
    HANDLER,
    HEAD,
    HEAD2,
    LEADER,
    OFFICER,
    OTHER_UNIT,
    REVIEWER,
    UNIT,
    action,
    actor,
    request,
)

PEOPLE = (HANDLER, HEAD, HEAD2, LEADER, REVIEWER, OFFICER)
#: Everyone, in the case's unit and in another unit (a unit head elsewhere may not act).
ACTORS = [actor(p, u) for p in PEOPLE for u in (UNIT, OTHER_UNIT)] + [
    Actor(None, "system", BUREAU, None, frozenset(Role), is_system=True)]


def _agree(req_step: Step, state: ApprovalState, req: object) -> None:
    waiting = waiting_on(req, state)  # type: ignore[arg-type]
    for who in ACTORS:
        stored = waiting is not None and waiting.includes(who, UNIT)
        assert stored == waits_for(who, req, state, UNIT), (req_step, state.status, who.user_id, waiting)  # type: ignore[arg-type]


def test_stored_waiting_agrees_with_the_fold_on_random_walks() -> None:
    rng = random.Random(35)  # noqa: S311 (reproducible walks)
    walks = 0
    for step in Step:
        for _ in range(150):
            participants = tuple(rng.sample([HEAD, HEAD2, LEADER, REVIEWER], 2)) if step is Step.DISCUSSION else ()
            req = request(step, participants=participants)
            state = ApprovalState()
            _agree(step, state, req)
            for i in range(rng.randint(1, 9)):
                decision = rng.choice(list(Decision))
                who = rng.choice(PEOPLE)
                try:
                    move(step, state, decision, participants)
                except InvalidTransition:
                    continue
                state = apply(req, state, action(req, decision, who, i))
                _agree(step, state, req)
            walks += 1
    assert walks == 600


def test_an_ended_request_waits_for_nobody() -> None:
    req = request(Step.LEGAL_REVIEW)
    state = apply(req, ApprovalState(), action(req, Decision.SUBMIT, HANDLER, 0))
    state = apply(req, state, action(req, Decision.APPROVE, REVIEWER, 1, level=1))
    assert state.status is Status.APPROVED
    assert waiting_on(req, state) is None


def test_a_pending_level_waits_by_role_less_the_submitter_and_approvers() -> None:
    req = request(Step.DECISION)
    state = apply(req, ApprovalState(), action(req, Decision.SUBMIT, HEAD, 0))
    waiting = waiting_on(req, state)
    assert waiting == Waiting(Status.PENDING, role=Role.UNIT_HEAD, excluded=frozenset({HEAD}),
                              submitters=frozenset({HEAD}))
    assert not waiting.includes(actor(HEAD), UNIT)       # nobody approves their own submission
    assert waiting.includes(actor(HEAD2), UNIT)
    assert not waiting.includes(actor(HEAD2, OTHER_UNIT), UNIT)  # a unit head of another unit
