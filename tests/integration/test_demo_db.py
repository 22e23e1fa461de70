"""The demo data on both engines, judged by the compliance engine: each demo case breaks exactly
the rules ``demo_scenarios.BREACHES`` says it does (each finding citing its rule's article),
every other demo case has no finding at all, nothing outside the demo cases is flagged, and the
concluded cases that reached a decision have originals linked. One load per engine: the demo
takes a while."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

import pytest

from lawtrail.adapters.clock import FixedClock
from lawtrail.bootstrap import Container
from lawtrail.domain.access import system_actor
from lawtrail.domain.cases import CaseFilter, current_media
from lawtrail.domain.rules import RULES
from lawtrail.services import findings
from lawtrail.services.demo import load_demo
from lawtrail.services.demo_scenarios import BREACHES, DEMO_CASES
from tests.unit.factories import T0
from tests.unit.test_demo_data import article_of


class TickingClock(FixedClock):
    """A second passes at each reading, as when the demo is loaded step by step (a fixed clock
    would give every record, approval and correction the same time)."""

    def now(self) -> datetime:
        self.at += timedelta(seconds=1)
        return self.at


@pytest.fixture
def clock() -> FixedClock:
    return TickingClock(T0)


def test_the_demo_breaks_exactly_the_rules_it_means_to(container: Container) -> None:
    assert load_demo(container).loaded
    with container.uow() as uow:
        bureau = uow.bureaus.list()[0]
        loaded, _ = uow.cases.search(bureau.id, None, CaseFilter(), offset=0, limit=1000)
    ctx = container.ctx(system_actor("test", bureau.id))
    by_name = {c.name: c for c in loaded}
    assert set(by_name) == {d.name for d in DEMO_CASES}
    now = container.clock.now()
    seen = 0
    broken: dict[str, set[str]] = defaultdict(set)
    for demo in DEMO_CASES:
        found = findings.evaluate(container.uow(), ctx, now, catalogue=container.catalogue,
                                  case=by_name[demo.name].id)
        for f in found:
            assert f.rule.article == RULES[f.rule.id].article == article_of(f.rule.id), f
            broken[demo.name].add(f.rule.id)
        seen += len(found)
    expected = {name: set(b.rules) for name, b in BREACHES.items()}
    assert dict(broken) == expected  # the listed rules, on exactly those cases; the others clean
    everything = findings.evaluate(container.uow(), ctx, now, catalogue=container.catalogue)
    assert len(everything) == seen  # nothing flagged outside the demo cases (e.g. a stray original)

    concluded = [c for c in loaded if c.stage.value == "archive" and not c.closed]
    with container.uow() as uow:
        linked = {c.name: current_media(uow.cases.media_links(c.id)) for c in concluded}
    assert len(concluded) >= 5 and all(linked.values()), linked  # concluded cases show their originals
