"""The record catalogue parser (记录事项清单, Art. 3): the packaged file covers every record of
Art. 8–31, and every kind of bad YAML is refused with its path, in Chinese and English."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from lawtrail.adapters.catalogue_file import check_packaged, load_yaml, packaged_catalogue_text
from lawtrail.domain.cases import ActionType, Origin, Procedure, Stage
from lawtrail.domain.catalogue import AvRule, Capacity, FieldType, parse_catalogue
from lawtrail.errors import ValidationFailed

#: Every record Art. 8–31 names (issue 5 item 2), by the article that names it.
NAMED_RECORDS = {
    "第八条": {"application_receipt", "supplement_notice"},
    "第九条": {"initiation_form"},
    "第十条": {"complainant_notification"},
    "第十三条": {"inquiry_record", "evidence_collection_notice", "evidence_register_list", "site_inspection_record",
               "sampling_notice", "rights_notice", "hearing_record", "test_report", "refusal_statement"},
    "第十五条": {"evidence_register_list"},
    "第十六条": {"legal_review"},
    "第十七条": {"expert_argument"},
    "第十八条": {"collective_discussion"},
    "第十九条": {"approval_record"},
    "第二十条": {"decision_document"},
    "第二十二条": {"service_receipt_direct"},
    "第二十三条": {"service_refusal"},
    "第二十四条": {"service_electronic"},
    "第二十五条": {"service_postal"},
    "第二十六条": {"service_entrusted"},
    "第二十七条": {"service_public_notice"},
    "第二十八条": {"fulfilment_record", "correction_check"},
    "第二十九条": {"reminder", "statement_review"},
    "第三十条": {"court_application", "court_result"},
    "第三十一条": {"simplified_record"},
}


_PACKAGED = load_yaml(packaged_catalogue_text())


def packaged() -> dict[str, Any]:
    """A fresh copy of the packaged catalogue's data, to break."""
    assert isinstance(_PACKAGED, dict)
    return copy.deepcopy(_PACKAGED)


def problems_of(data: Any) -> list[str]:
    with pytest.raises(ValidationFailed) as info:
        parse_catalogue(data, version=2, sha256="0" * 64)
    assert info.value.code == "catalogue.invalid" and info.value.article == "第三条"
    return [p.field for p in info.value.problems]


def test_the_packaged_catalogue_covers_every_record_of_articles_8_to_31() -> None:
    catalogue = check_packaged()
    assert catalogue.version == 1
    for article, ids in NAMED_RECORDS.items():
        for kind_id in ids:
            kind = catalogue.kind(kind_id)
            assert kind is not None, kind_id
            assert article in kind.articles, (kind_id, article)
    every_stage = {s for k in catalogue.kinds for s in k.stages}
    assert every_stage == set(Stage) - {Stage.ARCHIVE}


def test_the_packaged_kinds_carry_the_articles_demands() -> None:
    c = check_packaged()
    form = c.kind("initiation_form")
    assert form is not None
    assert [f.label for f in form.fields[:5]] == ["启动原因", "当事人基本情况", "承办人意见", "执法机构意见",
                                                  "分管领导意见"]
    assert form.procedures == frozenset({Procedure.GENERAL}) and Origin.APPLICATION not in form.origins
    inquiry = c.kind("inquiry_record")
    assert inquiry is not None and inquiry.officers and inquiry.rights_notice
    assert {s.capacity for s in inquiry.signers} == {Capacity.OFFICER, Capacity.PARTY}
    for av_kind in ("site_inspection_record", "sampling_notice", "hearing_record", "evidence_register_list",
                    "service_public_notice"):
        k = c.kind(av_kind)
        assert k is not None and k.av is AvRule.REQUIRED, av_kind
    report = c.kind("test_report")
    assert report is not None and report.signers == ()  # Art. 13: test reports are not signed
    discussion = c.kind("collective_discussion")
    assert discussion is not None and discussion.signers[0].count_from == "participants"  # Art. 18: all sign
    simplified = c.kind("simplified_record")
    assert simplified is not None and simplified.procedures == frozenset({Procedure.SIMPLIFIED})
    assert sum(1 for f in simplified.fields if f.label.startswith("（")) == 7  # Art. 31 (1)–(7)
    rights = c.kind("rights_notice")
    assert rights is not None and ActionType.INSPECTION not in rights.action_types
    assert {k.id for k in c.kinds if k.group == "service"} >= {"service_receipt_direct", "service_postal"}


@pytest.mark.parametrize(("mutate", "path"), [
    (lambda d: d.update(version=2), "version"),
    (lambda d: d.update(extra=1), "extra"),
    (lambda d: d.update(kinds=[]), "kinds"),
    (lambda d: d.update(kinds="inquiry"), "kinds"),
    (lambda d: d["kinds"].append(copy.deepcopy(d["kinds"][0])), "kinds[31].id"),
    (lambda d: d["kinds"][0].update(id="Bad-Id"), "kinds[0].id"),
    (lambda d: d["kinds"][0].update(name=""), "kinds[0].name"),
    (lambda d: d["kinds"][0].update(name=["x"]), "kinds[0].name"),
    (lambda d: d["kinds"][0].update(stages=["nowhere"]), "kinds[0].stages[0]"),
    (lambda d: d["kinds"][0].update(stages=["archive"]), "kinds[0].stages"),
    (lambda d: d["kinds"][0].update(stages=[]), "kinds[0].stages"),
    (lambda d: d["kinds"][0].update(articles=[]), "kinds[0].articles"),
    (lambda d: d["kinds"][0].update(articles=["Art. 8"]), "kinds[0].articles[0]"),
    (lambda d: d["kinds"][0].update(fields=[]), "kinds[0].fields"),
    (lambda d: d["kinds"][0].update(colour="red"), "kinds[0].colour"),
    (lambda d: d["kinds"][0].update(av="sometimes"), "kinds[0].av"),
    (lambda d: d["kinds"][0].update(officers="yes"), "kinds[0].officers"),
    (lambda d: d["kinds"][0].update(action_types=["fishing"]), "kinds[0].action_types[0]"),
    (lambda d: d["kinds"][0].update(procedures="some"), "kinds[0].procedures"),
    (lambda d: d["kinds"][0].update(origins=["rumour"]), "kinds[0].origins[0]"),
    (lambda d: d["kinds"][0]["fields"].append({"id": "applicant", "label": "重复", "type": "text"}),
     "kinds[0].fields[7].id"),
    (lambda d: d["kinds"][0]["fields"][0].update(type="colour"), "kinds[0].fields[0].type"),
    (lambda d: d["kinds"][0]["fields"][0].update(label=None), "kinds[0].fields[0].label"),
    (lambda d: d["kinds"][0]["fields"][0].update(max=0), "kinds[0].fields[0].max"),
    (lambda d: d["kinds"][0]["fields"][0].update(max=10**9), "kinds[0].fields[0].max"),
    (lambda d: d["kinds"][0]["fields"][0].update(options=["a", "b"]), "kinds[0].fields[0].options"),
    (lambda d: d["kinds"][0]["fields"][0].update(future=True), "kinds[0].fields[0].future"),
    (lambda d: d["kinds"][0]["fields"][0].update(min=1), "kinds[0].fields[0].min"),
    (lambda d: d["kinds"][0]["fields"][0].update(unknown=1), "kinds[0].fields[0].unknown"),
    (lambda d: d["kinds"][0]["fields"][3].update(options=["只有一个"]), "kinds[0].fields[3].options"),
    (lambda d: d["kinds"][0]["fields"][3].update(options=["同", "同"]), "kinds[0].fields[3].options"),
    (lambda d: d["kinds"][0]["fields"].__setitem__(0, "text"), "kinds[0].fields[0]"),
    (lambda d: d["kinds"][0]["signers"].append({"capacity": "officer"}), "kinds[0].signers"),
    (lambda d: d["kinds"][0]["signers"][0].update(capacity="king"), "kinds[0].signers[0].capacity"),
    (lambda d: d["kinds"][0]["signers"][0].update(count=0), "kinds[0].signers[0].count"),
    (lambda d: d["kinds"][0]["signers"][0].update(count_from="applicant"), "kinds[0].signers[0].count_from"),
    (lambda d: d["kinds"][0]["signers"][0].update(when="always"), "kinds[0].signers[0].when"),
    (lambda d: d["kinds"].__setitem__(0, ["not", "a", "mapping"]), "kinds[0]"),
    (lambda d: d["kinds"][9]["fields"][2].update(min=10, max_value=1), "kinds[9].fields[2].min"),
])
def test_a_bad_catalogue_is_refused_with_the_path_of_the_problem(mutate: Any, path: str) -> None:
    data = packaged()
    mutate(data)
    assert path in problems_of(data)


def test_the_top_level_must_be_a_mapping_and_every_problem_is_listed_in_both_languages() -> None:
    assert problems_of(["kinds"]) == ["(root)"]
    data = packaged()
    data["kinds"][0].update(id="X", av="loud")
    data["kinds"][1]["fields"][0].update(type="colour")
    with pytest.raises(ValidationFailed) as info:
        parse_catalogue(data, version=2, sha256="0" * 64)
    fields = [p.field for p in info.value.problems]
    assert fields == ["kinds[0].id", "kinds[0].av", "kinds[1].fields[0].type"]
    assert "共3处问题" in info.value.message_zh and "3 problems" in info.value.message_en
    assert all(p.message_zh.startswith(p.field) and p.message_en.startswith(p.field) for p in info.value.problems)


def test_field_types_options_and_limits_are_read() -> None:
    c = check_packaged()
    sampling = c.kind("sampling_notice")
    assert sampling is not None
    count = sampling.field("sample_count")
    assert count is not None and count.type is FieldType.NUMBER and (count.minimum, count.maximum) == (1, 10000)
    deadline = c.kind("reminder")
    assert deadline is not None and deadline.field("deadline") is not None
    assert deadline.field("deadline").future  # type: ignore[union-attr]
    inquiry = c.kind("inquiry_record")
    assert inquiry is not None and inquiry.field("content").max_len == 20000  # type: ignore[union-attr]
    assert inquiry.field("place").max_len == 200  # type: ignore[union-attr]


def test_yaml_syntax_errors_name_the_line() -> None:
    with pytest.raises(ValidationFailed) as info:
        load_yaml("version: 1\nkinds:\n  - id: [unclosed\n")
    assert info.value.code == "catalogue.yaml" and "行" in info.value.message_zh and "line" in info.value.message_en
    with pytest.raises(ValidationFailed) as big:
        load_yaml("#" * (600 * 1024))
    assert big.value.code == "catalogue.yaml"


def test_kind_lookup_and_required_kinds_per_case_kind_match_a_scan_of_the_kinds() -> None:
    catalogue = parse_catalogue(packaged(), version=1, sha256="0" * 64)
    for kind in catalogue.kinds:
        assert catalogue.kind(kind.id) is next(k for k in catalogue.kinds if k.id == kind.id)
    assert catalogue.kind("no_such_kind") is None
    for action_type in ActionType:
        for procedure in Procedure:
            for origin in Origin:
                scan = tuple(k for k in catalogue.kinds
                             if k.required and k.stages and k.applies_to(action_type, procedure, origin))
                assert catalogue.required_for(action_type, procedure, origin) == scan
                assert catalogue.required_for(action_type, procedure, origin) is catalogue.required_for(
                    action_type, procedure, origin)  # worked out once
    assert any(catalogue.required_for(a, Procedure.GENERAL, Origin.INSPECTION) for a in ActionType)
