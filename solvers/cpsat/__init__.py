"""The CP-SAT back-end: portfolio selection and scheduling as a time-indexed model.

``solve_cpsat`` and ``left_shift`` are imported on first use, so that importing one of this
package's modules (``solvers.cpsat.hall``, say) does not pull in the whole search and the
LP it imports, which imports ``hall`` in turn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from solvers.cpsat.solve import left_shift, solve_cpsat

__all__ = ["left_shift", "solve_cpsat"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from solvers.cpsat import solve

        return getattr(solve, name)
    raise AttributeError(f"module 'solvers.cpsat' has no attribute {name!r}")
