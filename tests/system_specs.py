"""The systems declared only for the tests (``tests/data/systems/``): street lights (events,
lower is better) and school scores (indicators), loaded once for every test that uses them."""

from __future__ import annotations

from pathlib import Path

from ioc.systems.spec import load_spec

SPECS = Path(__file__).resolve().parent / "data" / "systems"
LIGHTS = load_spec(SPECS / "lights.toml")
SCORES = load_spec(SPECS / "scores.toml")
