"""Unit-layer fixtures: an in-memory world built by the factories (no I/O)."""

from __future__ import annotations

import pytest

from tests.unit.factories import World, seeded_world


@pytest.fixture
def world() -> World:
    return seeded_world()
