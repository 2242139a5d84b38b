"""The library imports in any order: each solvers module first in a fresh interpreter (the
solvers import engine.problem, and engine's planning modules import the solvers)."""

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted(
    ".".join(path.relative_to(ROOT).with_suffix("").parts)
    for path in (ROOT / "solvers").rglob("*.py")
    if path.name != "__init__.py"
)


def first_import_error(module: str) -> str | None:
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    if done.returncode == 0:
        return None
    last = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
    return f"{module}: {last}"


def test_every_solvers_module_imports_before_engine():
    assert len(MODULES) > 10
    with ThreadPoolExecutor(max_workers=2) as pool:
        failures = [e for e in pool.map(first_import_error, MODULES) if e is not None]
    assert failures == []


def test_public_names_resolve_and_solve_stays_the_function():
    import engine.planner  # the module behind engine.solve, imported on its own

    assert sorted(engine.__all__) == sorted(engine._HOME)
    for name in engine.__all__:
        assert getattr(engine, name) is not None
    assert callable(engine.solve) and engine.solve.__module__ == "engine.planner"
