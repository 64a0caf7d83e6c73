"""The CP-SAT backend: core problem -> CP-SAT model -> core solution."""

from suitesched.solver.run import SolveParams, solve_core

__all__ = ["SolveParams", "solve_core"]
