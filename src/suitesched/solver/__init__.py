"""The CP-SAT backend: core problem -> CP-SAT model -> core solution."""

from suitesched.solver.run import MAKESPAN_SEARCH, SolveParams, solve_core

__all__ = ["MAKESPAN_SEARCH", "SolveParams", "solve_core"]
