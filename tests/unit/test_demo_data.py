"""The demo cases as data: together they cover every action type, stage, origin and both
procedures, and between them they break every case rule of Art. 5–31 (read from the rules
registry, so a new rule is demanded here as soon as it is registered), except the ones
``UNBREAKABLE`` explains. Whether the engine agrees is ``tests/integration/test_demo_db.py``."""

from __future__ import annotations

import re
from collections import defaultdict

from lawtrail.domain.cases import ActionType, Origin, Procedure, Stage
from lawtrail.domain.rules import RULES
from lawtrail.services.demo_scenarios import BREACHES, DEMO_CASES, UNBREAKABLE

_DIGITS = "零一二三四五六七八九"


def article_of(rule_id: str) -> str:
    """The article a rule id names, as the regulation writes it: ``ART09-…`` → 第九条."""
    match = re.match(r"ART(\d+)-", rule_id)
    assert match, rule_id
    n = int(match.group(1))
    tens, ones = divmod(n, 10)
    words = ("" if tens < 2 else _DIGITS[tens]) + ("十" if tens else "") + (_DIGITS[ones] if ones else "")
    return f"第{words}条"


def case_rules() -> set[str]:
    """Every registered rule of Art. 5–31 (the case rules; Art. 32 on are the vault's)."""
    return {r for r in RULES if 5 <= int(r[3:5]) <= 31}


def test_article_of_reads_the_rule_id() -> None:
    assert [article_of(r) for r in ("ART05-X", "ART10-X", "ART13-X", "ART20-X", "ART31-X")] == [
        "第五条", "第十条", "第十三条", "第二十条", "第三十一条"]


def test_every_case_rule_is_broken_by_some_demo_case_or_explained() -> None:
    broken = set().union(*(b.rules for b in BREACHES.values()))
    assert broken <= set(RULES)
    assert set(UNBREAKABLE) <= case_rules() and not set(UNBREAKABLE) & broken
    missing = case_rules() - broken - set(UNBREAKABLE)
    assert not missing, f"no demo case breaks {sorted(missing)}: add one to demo_scenarios.BREACHES"


def test_each_breach_names_a_few_rules_and_why() -> None:
    names = {d.name for d in DEMO_CASES}
    assert len(names) == len(DEMO_CASES) and set(BREACHES) <= names
    for name, breach in BREACHES.items():  # one to three; the emergency case shows four gaps at once
        assert 1 <= len(breach.rules) <= 4 and breach.why.strip(), name
    assert sum(len(b.rules) <= 2 for b in BREACHES.values()) >= len(BREACHES) - 3
    assert len(names - set(BREACHES)) >= 10  # as many showing what good looks like


def test_the_demo_covers_every_action_type_stage_origin_and_procedure() -> None:
    types_at: dict[str, set[str]] = defaultdict(set)
    for d in DEMO_CASES:
        types_at[d.last_stage].add(d.details.action_type)
    assert {d.details.action_type for d in DEMO_CASES} == {t.value for t in ActionType}
    assert set(types_at) == {s.value for s in Stage}
    assert all(len(types) >= 3 for types in types_at.values()), types_at
    assert {d.details.origin for d in DEMO_CASES} == {o.value for o in Origin}
    complaints = {d.details.complainant_real_name for d in DEMO_CASES if d.details.origin == "complaint"}
    assert complaints == {True, False}  # real-name and anonymous
    assert {d.details.procedure for d in DEMO_CASES} == {p.value for p in Procedure}
    concluded = [d for d in DEMO_CASES if d.last_stage == "archive" and not d.close and d.name not in BREACHES]
    assert {d.details.action_type for d in concluded} >= {"penalty", "licensing", "adjudication",
                                                          "confirmation", "registration"}
