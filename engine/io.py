"""Reading scenarios and plans from JSON or YAML files, and writing plans.

Every failure becomes a :class:`ScenarioError` whose problems say where (file, line and
column for syntax errors; a field path for content errors) and what is wrong.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from engine.errors import Problem, ScenarioError
from engine.plan import Plan

M = TypeVar("M", bound=BaseModel)


def read_document(path: str | Path) -> Any:
    """Parse a JSON or YAML file, reporting syntax errors with line and column."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem(str(path), f"cannot read the file ({_reason(exc)})")]) from exc
    return parse_text(text, source=str(path), yaml_ok=path.suffix.lower() != ".json")


def parse_text(text: str, *, source: str = "<input>", yaml_ok: bool = True) -> Any:
    """Parse JSON (or YAML when ``yaml_ok``) text into plain Python data."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        if not yaml_ok or text.lstrip().startswith(("{", "[")):
            where = f"{source}:{exc.lineno}:{exc.colno}"
            raise ScenarioError([Problem(where, f"invalid JSON: {exc.msg}")]) from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError([Problem(where, f"invalid YAML: {problem}")]) from exc


def load_scenario(path: str | Path) -> Any:
    """Read and validate a scenario file; see :func:`engine.validation.parse_scenario`."""
    from engine.validation import parse_scenario

    return parse_scenario(read_document(path), source=str(path))


def load_plan(path: str | Path) -> Plan:
    """Read a plan file written by ``capacity solve`` (or anyone following FORMAT.md)."""
    return parse_model(Plan, read_document(path))


def parse_model(model: type[M], data: Any, prefix: str = "") -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(problems_from(exc, prefix)) from exc


def problems_from(exc: ValidationError, prefix: str = "") -> list[Problem]:
    """Pydantic's errors as problems with paths like ``projects[3].phases[1].periods``."""
    return problems_from_errors(exc.errors(), prefix)


def problems_from_errors(errors: Sequence[Any], prefix: str = "") -> list[Problem]:
    """The same, from pydantic's error dicts (as FastAPI hands them over)."""
    return [Problem(join_path(prefix, err["loc"]), _sentence(err)) for err in errors]


def join_path(prefix: str, loc: tuple[int | str, ...] | list[int | str]) -> str:
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in ("function-after", "tagged-union") or "[" in str(part):
            continue  # pydantic's internal validator names, not user fields
        else:
            path += f".{part}" if path else str(part)
    return path


def _sentence(err: Any) -> str:
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    shown = _show(value)
    sentences = {
        "missing": "is required",
        "greater_than_equal": f"must be at least {ctx.get('ge')}, not {shown}",
        "greater_than": f"must be more than {ctx.get('gt')}, not {shown}",
        "less_than_equal": f"must be at most {ctx.get('le')}, not {shown}",
        "less_than": f"must be less than {ctx.get('lt')}, not {shown}",
        "too_short": "must not be empty",
        "string_too_short": "must not be empty",
    }
    if kind in sentences:
        return sentences[kind]
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    message = str(err["msg"])
    message = message[0].lower() + message[1:] if message else message
    return f"{message} (got {shown})" if kind != "extra_forbidden" else message


def _show(value: Any) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, dict) else "an object"
    return text if len(text) <= 40 else text[:37] + "..."


def _reason(exc: Exception) -> str:
    return getattr(exc, "strerror", None) or type(exc).__name__


def write_plan(plan: Plan, path: str | Path) -> None:
    """Write a plan as JSON (atomically, so a reader never sees half a file)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(plan_json(plan), encoding="utf-8")
    tmp.replace(path)


def plan_json(plan: Plan) -> str:
    return plan.model_dump_json(indent=2, exclude_none=False) + "\n"
