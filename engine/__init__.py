"""capacity's engine: scenario and plan models, validation, analysis and ``solve()``."""

from engine.batch import BatchSpec, SolveOptions, load_spec, parse_spec, run_batch
from engine.check import check_plan
from engine.compare import Comparison, compare_plans
from engine.errors import Problem, ScenarioError
from engine.executor import make_executor
from engine.io import load_plan, load_scenario, read_document, write_plan
from engine.plan import Plan
from engine.problem import ProblemData, build
from engine.scenario import Scenario
from engine.solve import solve
from engine.validation import parse_scenario, validate
from engine.variants import Variant, apply_variant

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
