"""Settings: every one documented; secrets refused outside demo mode; bad values named."""

from __future__ import annotations

from pathlib import Path

import pytest

from lawtrail.config import INSECURE_DEMO_SECRET, Settings, load_settings, write_secret
from lawtrail.errors import ConfigurationError

DOC = Path(__file__).resolve().parents[2] / "docs" / "settings.md"


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_documented(name: str) -> None:
    assert f"`LAWTRAIL_{name.upper()}`" in DOC.read_text(encoding="utf-8")


def test_settings_are_frozen(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, demo=True)
    with pytest.raises(Exception):  # noqa: B017 - pydantic raises its ValidationError for frozen models
        settings.port = 1  # type: ignore[misc]


def test_demo_mode_may_use_the_built_in_secret(tmp_path: Path) -> None:
    assert load_settings(data_dir=tmp_path, demo=True).secret_key == INSECURE_DEMO_SECRET


@pytest.mark.parametrize("secret", ["", INSECURE_DEMO_SECRET, "short"])
def test_default_or_weak_secret_refused_outside_demo(tmp_path: Path, secret: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        load_settings(data_dir=tmp_path, demo=False, secret_key=secret)
    assert info.value.code == "config.insecure_secret"


def test_generated_secret_is_private_and_used(tmp_path: Path) -> None:
    path = write_secret(tmp_path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_settings(data_dir=tmp_path).secret_key == path.read_text().strip()
    assert write_secret(tmp_path).read_text() == path.read_text()  # never overwritten


def test_invalid_value_names_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAWTRAIL_PORT", "99999")
    with pytest.raises(ConfigurationError) as info:
        load_settings(data_dir=tmp_path, demo=True)
    assert "LAWTRAIL_PORT" in info.value.message_en
