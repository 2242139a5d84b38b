"""The CP-SAT back-end: portfolio selection and scheduling as a time-indexed model."""

from solvers.cpsat.solve import left_shift, solve_cpsat

__all__ = ["left_shift", "solve_cpsat"]
