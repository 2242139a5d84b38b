"""capacity's engine: scenario and plan models, validation, analysis and ``solve()``.

The public names are imported on first use, not with the package: the solvers import
``engine.problem``, and the engine's planning modules import the solvers, so importing
everything here made ``import solvers.greedy`` (before ``import engine``) fail on the cycle.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.batch import BatchSpec, SolveOptions, load_spec, parse_spec, run_batch
    from engine.check import check_plan
    from engine.compare import Comparison, compare_plans
    from engine.errors import Problem, ScenarioError
    from engine.executor import make_executor
    from engine.io import load_plan, load_scenario, read_document, write_plan
    from engine.plan import Plan
    from engine.planner import solve
    from engine.problem import ProblemData, build
    from engine.scenario import Scenario
    from engine.validation import parse_scenario, validate
    from engine.variants import Variant, apply_variant

_HOME = {  # public name -> the module that defines it
    "BatchSpec": "engine.batch",
    "SolveOptions": "engine.batch",
    "load_spec": "engine.batch",
    "parse_spec": "engine.batch",
    "run_batch": "engine.batch",
    "check_plan": "engine.check",
    "Comparison": "engine.compare",
    "compare_plans": "engine.compare",
    "Problem": "engine.errors",
    "ScenarioError": "engine.errors",
    "make_executor": "engine.executor",
    "load_plan": "engine.io",
    "load_scenario": "engine.io",
    "read_document": "engine.io",
    "write_plan": "engine.io",
    "Plan": "engine.plan",
    "solve": "engine.planner",
    "ProblemData": "engine.problem",
    "build": "engine.problem",
    "Scenario": "engine.scenario",
    "parse_scenario": "engine.validation",
    "validate": "engine.validation",
    "Variant": "engine.variants",
    "apply_variant": "engine.variants",
}

__all__ = [
    "BatchSpec",
    "Comparison",
    "Plan",
    "Problem",
    "ProblemData",
    "Scenario",
    "ScenarioError",
    "SolveOptions",
    "Variant",
    "apply_variant",
    "build",
    "check_plan",
    "compare_plans",
    "load_plan",
    "load_scenario",
    "load_spec",
    "make_executor",
    "parse_scenario",
    "parse_spec",
    "read_document",
    "run_batch",
    "solve",
    "validate",
    "write_plan",
]


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # found once; later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME})
