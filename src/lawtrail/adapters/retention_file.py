"""Read the retention classes (DESIGN.md rule 6: configuration is data) from YAML.

The default ships in the package (``lawtrail/data/retention.yaml``); a deployment may point
``LAWTRAIL_RETENTION_FILE`` at its own copy. Validation is the domain's ``parse_retention``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml

from lawtrail.domain.evidence import RetentionPolicy, parse_retention
from lawtrail.errors import ConfigurationError


def default_retention_text() -> str:
    return resources.files("lawtrail").joinpath("data/retention.yaml").read_text(encoding="utf-8")


def load_retention(path: Path | None = None) -> RetentionPolicy:
    """The policy in ``path`` (default: the packaged file); raise ConfigurationError
    (``config.retention``) when it cannot be read, is not YAML, or is invalid."""
    try:
        text = path.read_text(encoding="utf-8") if path is not None else default_retention_text()
        data = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"无法读取保存期限配置：{exc}", f"cannot read the retention configuration: {exc}",
                                 code="config.retention") from None
    return parse_retention(data)
