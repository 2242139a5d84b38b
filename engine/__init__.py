"""capacity's engine: scenario and plan models, validation, analysis and ``solve()``."""

from engine.check import check_plan
from engine.compare import Comparison, compare_plans
from engine.errors import Problem, ScenarioError
from engine.io import load_plan, load_scenario, read_document, write_plan
from engine.plan import Plan
from engine.problem import ProblemData, build
from engine.scenario import Scenario
from engine.solve import solve
from engine.validation import parse_scenario, validate

__all__ = [
    "Comparison",
    "Plan",
    "Problem",
    "ProblemData",
    "Scenario",
    "ScenarioError",
    "build",
    "check_plan",
    "compare_plans",
    "load_plan",
    "load_scenario",
    "parse_scenario",
    "read_document",
    "solve",
    "validate",
    "write_plan",
]
