"""The permission table (DESIGN.md rule 2): default deny, unit scope vs bureau-wide, mixed roles.

The expected table is written out here independently of ``ROLE_PERMISSIONS``: changing who
may do what must be a deliberate edit of both.
"""

from __future__ import annotations

import uuid
from uuid import UUID

import pytest

from lawtrail.domain.access import (
    BUREAU_WIDE_ROLES,
    ROLE_PERMISSIONS,
    Actor,
    Permission,
    Role,
    allows,
    has_permission,
    system_actor,
    unit_scope,
)
from lawtrail.errors import PermissionDenied
from lawtrail.services.guard import require, visible_units

P = Permission

_FIELD = {P.DEVICE_VIEW, P.DEVICE_LOG, P.MEDIA_INGEST, P.MEDIA_VIEW, P.MEDIA_REGISTER, P.MEDIA_HANDIN,
          P.MEDIA_EVIDENCE, P.ACTIVITY_VIEW, P.ACTIVITY_MANAGE, P.FINDING_VIEW}
EXPECTED: dict[Role, set[Permission]] = {
    Role.OFFICER: {P.UNIT_VIEW, P.USER_VIEW, P.SELF_MANAGE} | _FIELD,
    Role.UNIT_HEAD: {P.UNIT_VIEW, P.USER_VIEW, P.SELF_MANAGE, P.EVENT_VIEW} | _FIELD,
    Role.LEGAL_REVIEWER: {P.UNIT_VIEW, P.USER_VIEW, P.SELF_MANAGE, P.FINDING_VIEW},
    Role.LEADER: {P.UNIT_VIEW, P.USER_VIEW, P.SELF_MANAGE, P.DEVICE_VIEW, P.EVENT_VIEW, P.LEDGER_VIEW, P.MEDIA_VIEW,
                  P.ACTIVITY_VIEW, P.FINDING_VIEW},
    Role.ARCHIVIST: {P.UNIT_VIEW, P.USER_VIEW, P.SELF_MANAGE, P.DEVICE_MANAGE, P.TOKEN_MANAGE, P.LEDGER_VIEW} | _FIELD,
    Role.SUPERVISOR: {P.UNIT_VIEW, P.USER_VIEW, P.SELF_MANAGE, P.DEVICE_VIEW, P.EVENT_VIEW, P.LEDGER_VIEW,
                      P.LEDGER_VERIFY, P.VAULT_VERIFY, P.MEDIA_VIEW, P.ACTIVITY_VIEW, P.FINDING_VIEW},
    # The system administrator runs the system but does not read or register evidence, record
    # enforcement work or follow its findings (Art. 45).
    Role.ADMIN: set(Permission) - {P.MEDIA_VIEW, P.MEDIA_REGISTER, P.MEDIA_HANDIN, P.MEDIA_EVIDENCE,
                                   P.ACTIVITY_VIEW, P.ACTIVITY_MANAGE, P.FINDING_VIEW},
}
# Cases (issue 5): officers and unit heads see and manage their unit's cases; reviewers, leaders,
# archivists and supervisors see every case; the administrator runs the system, not cases.
for _role in (Role.OFFICER, Role.UNIT_HEAD):
    EXPECTED[_role] |= {P.CASE_VIEW, P.CASE_MANAGE}
for _role in (Role.LEGAL_REVIEWER, Role.LEADER, Role.ARCHIVIST, Role.SUPERVISOR):
    EXPECTED[_role] |= {P.CASE_VIEW}
EXPECTED[Role.ADMIN] -= {P.CASE_VIEW, P.CASE_MANAGE}
# Art. 45–47 (decision 0017): everyone reading evidence asks; the leader approves; register and outside
# requests for leaders and archivists (and the register for supervisors); classifying for those who
# handle cases and records; the administrator only sets clearances.
for _role in (Role.OFFICER, Role.UNIT_HEAD, Role.LEGAL_REVIEWER, Role.LEADER, Role.ARCHIVIST, Role.SUPERVISOR):
    EXPECTED[_role] |= {P.ACCESS_REQUEST}
for _role in (Role.OFFICER, Role.UNIT_HEAD, Role.LEADER, Role.ARCHIVIST):
    EXPECTED[_role] |= {P.SECRECY_SET}
for _role in (Role.LEADER, Role.ARCHIVIST, Role.SUPERVISOR):
    EXPECTED[_role] |= {P.ACCESS_REGISTER}
for _role in (Role.LEADER, Role.ARCHIVIST):
    EXPECTED[_role] |= {P.ACCESS_OUTSIDE}
EXPECTED[Role.LEADER] |= {P.ACCESS_APPROVE}
EXPECTED[Role.ADMIN] -= {P.ACCESS_REQUEST, P.ACCESS_APPROVE, P.ACCESS_REGISTER, P.ACCESS_OUTSIDE, P.SECRECY_SET}
# Supervision (issue 6 items 7, 8): supervisors and leaders see the whole bureau's accountability
# report and dashboard, unit heads their own unit's; nobody else.
for _role in (Role.SUPERVISOR, Role.LEADER, Role.UNIT_HEAD):
    EXPECTED[_role] |= {P.OVERSIGHT_VIEW}
EXPECTED[Role.ADMIN] -= {P.OVERSIGHT_VIEW}
# Records on cases (issue 5 items 2, 3): seen by whoever sees the case, made by officers and unit
# heads of the unit; the administrator edits the record catalogue (configuration), nothing else.
for _role in (Role.OFFICER, Role.UNIT_HEAD):
    EXPECTED[_role] |= {P.RECORD_VIEW, P.RECORD_MANAGE}
for _role in (Role.LEGAL_REVIEWER, Role.LEADER, Role.ARCHIVIST, Role.SUPERVISOR):
    EXPECTED[_role] |= {P.RECORD_VIEW}
EXPECTED[Role.ADMIN] -= {P.RECORD_VIEW, P.RECORD_MANAGE}
# Retention, holds, disposal and case files (issue 6): the archivist proposes and compiles, a
# leader approves a disposal (two different people); nobody else, not the administrator either.
EXPECTED[Role.ARCHIVIST] |= {P.ARCHIVE_MANAGE}
EXPECTED[Role.LEADER] |= {P.ARCHIVE_APPROVE}
EXPECTED[Role.ADMIN] -= {P.ARCHIVE_MANAGE, P.ARCHIVE_APPROVE}
# Approvals (issue 5 item 4): unit heads (their unit's cases), leaders and legal reviewers give
# opinions; officers submit through case:manage; the administrator approves nothing.
for _role in (Role.UNIT_HEAD, Role.LEADER, Role.LEGAL_REVIEWER):
    EXPECTED[_role] |= {P.APPROVAL_ACT}
EXPECTED[Role.ADMIN] -= {P.APPROVAL_ACT}
# Disclosure (issue 6 item 4, Art. 37): officers, unit heads and archivists ask to give AV records
# outside; a leader approves; supervisors, legal reviewers and the administrator do neither.
for _role in (Role.OFFICER, Role.UNIT_HEAD, Role.ARCHIVIST):
    EXPECTED[_role] |= {P.DISCLOSURE_REQUEST}
EXPECTED[Role.LEADER] |= {P.DISCLOSURE_APPROVE}
EXPECTED[Role.ADMIN] -= {P.DISCLOSURE_REQUEST, P.DISCLOSURE_APPROVE}
EXPECTED_BUREAU_WIDE = {Role.LEGAL_REVIEWER, Role.LEADER, Role.ARCHIVIST, Role.SUPERVISOR, Role.ADMIN}

BUREAU = uuid.uuid4()
OTHER_BUREAU = uuid.uuid4()
OWN_UNIT = uuid.uuid4()
OTHER_UNIT = uuid.uuid4()


def actor(*roles: Role, unit_id: UUID | None = OWN_UNIT, bureau_id: UUID | None = BUREAU) -> Actor:
    return Actor(user_id=uuid.uuid4(), name="测试人员", bureau_id=bureau_id, unit_id=unit_id,
                 roles=frozenset(roles))


ALL_PAIRS = [(r, p) for r in Role for p in Permission]


def test_every_role_has_a_row_in_the_table() -> None:
    assert set(ROLE_PERMISSIONS) == set(Role)


def test_bureau_wide_roles_are_exactly_the_expected_ones() -> None:
    assert set(BUREAU_WIDE_ROLES) == EXPECTED_BUREAU_WIDE


@pytest.mark.parametrize(("role", "perm"), ALL_PAIRS, ids=[f"{r}-{p}" for r, p in ALL_PAIRS])
def test_table_grants_exactly_the_expected_permissions(role: Role, perm: Permission) -> None:
    assert has_permission(actor(role), perm) is (perm in EXPECTED[role])


@pytest.mark.parametrize("perm", list(Permission))
def test_default_deny_for_an_actor_without_roles(perm: Permission) -> None:
    nobody = actor()
    assert not has_permission(nobody, perm)
    assert not allows(nobody, perm, bureau_id=BUREAU, unit_id=OWN_UNIT)
    assert not allows(nobody, perm, bureau_id=BUREAU, unit_id=None)
    assert unit_scope(nobody, perm) == frozenset()


@pytest.mark.parametrize("perm", [P.USER_MANAGE, P.UNIT_MANAGE, P.TOKEN_MANAGE, P.DEVICE_MANAGE, P.EVENT_VIEW])
def test_an_officer_is_denied_what_the_table_does_not_list(perm: Permission) -> None:
    assert not allows(actor(Role.OFFICER), perm, bureau_id=BUREAU, unit_id=OWN_UNIT)


def test_unit_role_reaches_its_own_unit_only() -> None:
    officer = actor(Role.OFFICER)
    assert allows(officer, P.DEVICE_VIEW, bureau_id=BUREAU, unit_id=OWN_UNIT)
    assert not allows(officer, P.DEVICE_VIEW, bureau_id=BUREAU, unit_id=OTHER_UNIT)
    assert unit_scope(officer, P.DEVICE_VIEW) == frozenset({OWN_UNIT})


def test_unit_role_reaches_bureau_level_objects_of_its_own_bureau() -> None:
    assert allows(actor(Role.OFFICER), P.UNIT_VIEW, bureau_id=BUREAU, unit_id=None)
    assert not allows(actor(Role.OFFICER), P.UNIT_VIEW, bureau_id=OTHER_BUREAU, unit_id=None)


@pytest.mark.parametrize("role", sorted(EXPECTED_BUREAU_WIDE))
def test_bureau_wide_role_reaches_every_unit_of_its_bureau(role: Role) -> None:
    person = actor(role)
    assert allows(person, P.USER_VIEW, bureau_id=BUREAU, unit_id=OTHER_UNIT)
    assert unit_scope(person, P.USER_VIEW) is None


@pytest.mark.parametrize("role", list(Role))
def test_no_role_reaches_another_bureau(role: Role) -> None:
    assert not allows(actor(role), P.USER_VIEW, bureau_id=OTHER_BUREAU, unit_id=OTHER_UNIT)


def test_mixed_roles_get_the_wide_scope_only_for_the_wide_roles_permissions() -> None:
    # a unit head who is also a legal reviewer: USER_VIEW comes bureau-wide from the reviewer,
    # EVENT_VIEW only from the unit head, so it stays limited to the unit.
    person = actor(Role.UNIT_HEAD, Role.LEGAL_REVIEWER)
    assert unit_scope(person, P.USER_VIEW) is None
    assert allows(person, P.USER_VIEW, bureau_id=BUREAU, unit_id=OTHER_UNIT)
    assert unit_scope(person, P.EVENT_VIEW) == frozenset({OWN_UNIT})
    assert allows(person, P.EVENT_VIEW, bureau_id=BUREAU, unit_id=OWN_UNIT)
    assert not allows(person, P.EVENT_VIEW, bureau_id=BUREAU, unit_id=OTHER_UNIT)


def test_officer_and_archivist_manage_devices_everywhere_but_officer_alone_does_not() -> None:
    both = actor(Role.OFFICER, Role.ARCHIVIST)
    assert allows(both, P.DEVICE_MANAGE, bureau_id=BUREAU, unit_id=OTHER_UNIT)
    assert unit_scope(both, P.DEVICE_VIEW) is None
    assert not allows(actor(Role.OFFICER), P.DEVICE_MANAGE, bureau_id=BUREAU, unit_id=OWN_UNIT)


def test_unit_role_without_a_unit_sees_nothing() -> None:
    assert unit_scope(actor(Role.OFFICER, unit_id=None), P.DEVICE_VIEW) == frozenset()


@pytest.mark.parametrize("perm", list(Permission))
def test_system_actor_is_allowed_everything_everywhere(perm: Permission) -> None:
    system = system_actor("init")
    assert has_permission(system, perm)
    assert allows(system, perm, bureau_id=OTHER_BUREAU, unit_id=OTHER_UNIT)
    assert unit_scope(system, perm) is None


def test_require_raises_permission_denied_naming_the_permission() -> None:
    with pytest.raises(PermissionDenied) as info:
        require(actor(Role.OFFICER), P.USER_MANAGE, bureau_id=BUREAU, unit_id=OWN_UNIT)
    assert info.value.code == "permission_denied"
    assert info.value.details == {"permission": "user:manage"}
    assert "user:manage" in info.value.message_zh


def test_require_defaults_to_the_actors_own_bureau() -> None:
    require(actor(Role.ADMIN), P.USER_MANAGE)  # no exception
    with pytest.raises(PermissionDenied):
        require(actor(Role.ADMIN), P.USER_MANAGE, bureau_id=OTHER_BUREAU)


def test_visible_units_refuses_an_actor_who_may_see_nothing() -> None:
    with pytest.raises(PermissionDenied):
        visible_units(actor(Role.LEGAL_REVIEWER), P.DEVICE_VIEW)
    assert visible_units(actor(Role.OFFICER), P.DEVICE_VIEW) == frozenset({OWN_UNIT})
    assert visible_units(actor(Role.LEADER), P.DEVICE_VIEW) is None
