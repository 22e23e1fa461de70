"""Evidence marks against the fakes: the retention class asked for (Art. 43, 44), and finding an
original by id or SHA-256 (for ``lawtrail evidence mark``)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from lawtrail.domain.evidence import RetentionClass, RetentionPolicy
from lawtrail.errors import NotFound, RuleViolation, ValidationFailed
from lawtrail.services import evidence
from tests.unit.factories import T0, World, refused
from tests.unit.test_services_compliance import put_media

POLICY = RetentionPolicy(6)


def test_long_term_can_be_asked_for_without_a_situation(world: World) -> None:
    m = put_media(world, complete=True)
    mark = evidence.mark_media(world.uow(), world.ctx(world.archivist), m.id, policy=POLICY, evidence=False,
                               retention="long_term")
    assert (mark.retention, mark.retain_until) == (RetentionClass.LONG_TERM, None)
    refused(world, RuleViolation, lambda: evidence.mark_media(
        world.uow(), world.ctx(world.archivist), m.id, policy=POLICY, evidence=False, retention="standard"))


def test_standard_with_a_later_end_keeps_the_later_date(world: World) -> None:
    m = put_media(world, complete=True)
    until = (m.captured_at or T0) + timedelta(days=400)
    mark = evidence.mark_media(world.uow(), world.ctx(world.archivist), m.id, policy=POLICY, evidence=False,
                               retention="standard", retain_until=until)
    assert (mark.retention, mark.retain_until) == (RetentionClass.STANDARD, until)


@pytest.mark.parametrize(("kw", "exc", "code"), [
    ({"evidence": True, "collector": "张三", "retention": "standard"}, RuleViolation, "media.long_term_required"),
    ({"evidence": False, "situations": ["objection"], "retain_until": T0 + timedelta(days=400)},
     RuleViolation, "media.long_term_required"),
    ({"evidence": False, "retention": "forever"}, ValidationFailed, "validation_failed"),
    ({"evidence": False, "retention": "long_term", "retain_until": T0 + timedelta(days=400)},
     ValidationFailed, "validation_failed"),
])
def test_retention_choices_that_break_art43_are_refused(world: World, kw: dict[str, object],
                                                        exc: type[Exception], code: str) -> None:
    m = put_media(world, complete=True)
    err = refused(world, exc, lambda: evidence.mark_media(  # type: ignore[arg-type]
        world.uow(), world.ctx(world.archivist), m.id, policy=POLICY, **kw))  # type: ignore[arg-type]
    assert err.code == code
    if isinstance(err, RuleViolation):
        assert err.article and "第四十三条" in err.article


def test_resolve_media_by_id_or_digest(world: World) -> None:
    m = put_media(world)
    ctx = world.ctx(world.archivist)
    assert evidence.resolve_media(world.uow(), ctx, m.sha256.upper()) == m.id
    assert evidence.resolve_media(world.uow(), ctx, f" {m.id} ") == m.id
    with pytest.raises(NotFound):
        evidence.resolve_media(world.uow(), ctx, "0" * 64)
    with pytest.raises(NotFound):
        evidence.resolve_media(world.uow(), ctx, str(uuid.uuid4()))
    with pytest.raises(ValidationFailed):
        evidence.resolve_media(world.uow(), ctx, "abc")
