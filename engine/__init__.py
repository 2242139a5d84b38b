"""capacity's engine: scenario and plan models, validation, analysis and ``solve()``."""

from engine.errors import Problem, ScenarioError
from engine.plan import Plan
from engine.scenario import Scenario
from engine.problem import ProblemData, build
from engine.validation import parse_scenario, validate
from engine.io import load_plan, load_scenario, read_document, write_plan
from engine.check import check_plan
from engine.solve import solve

__all__ = [
    "Plan",
    "Problem",
    "ProblemData",
    "Scenario",
    "ScenarioError",
    "build",
    "check_plan",
    "load_plan",
    "load_scenario",
    "parse_scenario",
    "read_document",
    "solve",
    "validate",
    "write_plan",
]
