"""How skills, periods and spans of periods are said to people."""

from __future__ import annotations

from engine.problem import ProblemData


def skill_words(data: ProblemData, c: int) -> str:
    """A demand class in words: 'business analysis (level 3+)'."""
    cls = data.classes[c]
    skill = data.scenario.skills[cls.skill]
    name = skill.name.lower() if skill.name else skill.id
    return name if cls.min_level <= 1 else f"{name} (level {cls.min_level}+)"


def when(data: ProblemData, t: int) -> str:
    return f"period {t} ({data.calendar.first_day(t):%d %b %Y})"


def span(data: ProblemData, periods: list[int]) -> str:
    """'periods 10-12 (14 Jun to 04 Jul 2027)'; gaps in the list are spanned over."""
    first, last = data.calendar.first_day(periods[0]), data.calendar.last_day(periods[-1])
    if len(periods) == 1:
        return f"period {periods[0]} ({first:%d %b} to {last:%d %b %Y})"
    return f"periods {periods[0]}-{periods[-1]} ({first:%d %b} to {last:%d %b %Y})"


def names(ids: list[str]) -> str:
    """'a', 'a' and 'b', 'a', 'b' and 'c'."""
    quoted = [f"'{i}'" for i in ids]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
