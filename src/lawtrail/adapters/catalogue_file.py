"""The record catalogue's YAML (DESIGN.md rule 6): the packaged default (``lawtrail/data/catalogue.yaml``,
version 1 of the catalogue) and the reader of an administrator's edited text. Validation is the
domain's ``parse_catalogue``; this module only turns text into data."""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources
from typing import Any

import yaml

from lawtrail.domain.catalogue import Catalogue, parse_catalogue
from lawtrail.errors import ConfigurationError, FieldProblem, LawtrailError, ValidationFailed

MAX_TEXT = 512 * 1024


@cache
def packaged_catalogue_text() -> str:
    return resources.files("lawtrail").joinpath("data/catalogue.yaml").read_text(encoding="utf-8")


def load_yaml(text: str) -> Any:
    """The data of ``text``; raise ValidationFailed ``catalogue.yaml`` naming the line of a syntax error."""
    if len(text) > MAX_TEXT:
        raise ValidationFailed(f"记录事项清单过长（上限 {MAX_TEXT // 1024} KiB）",
                               f"the catalogue is too long (limit {MAX_TEXT // 1024} KiB)", code="catalogue.yaml",
                               problems=[FieldProblem("text", "内容过长", "too long")])
    try:
        # libyaml's loader when the wheel has it: the catalogue is read on every edit and start-up.
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 (safe loaders)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第{mark.line + 1}行第{mark.column + 1}列" if mark is not None else "未知位置"
        where_en = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "unknown position"
        problem = getattr(exc, "problem", None) or "syntax error"
        raise ValidationFailed(f"不是有效的 YAML（{where}：{problem}）", f"not valid YAML ({where_en}: {problem})",
                               code="catalogue.yaml",
                               problems=[FieldProblem("text", f"YAML 语法错误（{where}）",
                                                      f"YAML syntax error ({where_en})")]) from None


class CatalogueFiles:
    """``services.ports.CatalogueSource`` over the packaged file and PyYAML."""

    def packaged_text(self) -> str:
        return packaged_catalogue_text()

    def load(self, text: str) -> Any:
        return load_yaml(text)


@cache
def check_packaged() -> Catalogue:
    """Parse the packaged catalogue (at start-up); raise ConfigurationError ``config.catalogue``
    when the shipped file is broken, so a bad release never serves."""
    text = packaged_catalogue_text()
    try:
        return parse_catalogue(load_yaml(text), version=1, sha256=hashlib.sha256(text.encode()).hexdigest())
    except LawtrailError as exc:
        raise ConfigurationError(f"内置记录事项清单无效：{exc.message_zh}",
                                 f"the packaged record catalogue is invalid: {exc.message_en}",
                                 code="config.catalogue") from None
