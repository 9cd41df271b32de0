"""The numba decorator the compiled modules share: `numba.njit`, or the identity without numba.

Used by the PK propagator (`pdsim._pk_closed`) and the downstream systems' compiled functions.
"""
from __future__ import annotations

try:  # numba is optional here: without it the same functions run as plain Python/NumPy
    import numba as _numba

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - exercised only where numba is absent
    _numba = None
    HAVE_NUMBA = False

__all__ = ["HAVE_NUMBA", "njit"]


def njit(*args, **kwargs):
    """`numba.njit` when numba is installed, otherwise the identity decorator."""
    if HAVE_NUMBA:
        return _numba.njit(*args, **kwargs)
    if args and callable(args[0]):
        return args[0]
    return lambda f: f
