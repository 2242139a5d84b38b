"""Tiny canonical fixtures shared by the tests."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# Property tests draw the same examples on every run, so the suite never flakes;
# HYPOTHESIS_PROFILE=explore draws new ones (for hunting bugs, not for CI).
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "example.json"
NHS = ROOT / "scenarios" / "nhs-trust.json"


def tiny(**overrides: Any) -> dict[str, Any]:
    """A two-person, two-project scenario; keyword arguments replace top-level keys."""
    scenario: dict[str, Any] = {
        "name": "tiny",
        "calendar": {"start": "2027-04-05", "period": "week", "periods": 6, "fte_hours": 10},
        "skills": [{"id": "ba"}, {"id": "dev"}],
        "staff": [
            {"id": "ann", "fte": 1.0, "skills": {"ba": 3, "dev": 2}},
            {"id": "bob", "fte": 0.5, "skills": {"dev": 4}},
        ],
        "projects": [
            {"id": "p1", "value": 100, "phases": [{"periods": 2, "demand": [{"skill": "ba", "hours": 6}]}]},
            {"id": "p2", "value": 50, "phases": [{"periods": 3, "demand": [{"skill": "dev", "fte": 0.5}]}]},
        ],
        "policy": {"objective": "value"},
    }
    scenario.update(copy.deepcopy(overrides))
    return scenario


@pytest.fixture
def example() -> dict[str, Any]:
    return json.loads(EXAMPLE.read_text())
