"""Input checks shared by emlib's public functions.

Public functions call these at the edge and then trust their inputs; every error names the
argument and says what was wrong, so a student sees "means has shape (3,) but must be 2-D"
instead of an IndexError from deep inside NumPy.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "as_float_array",
    "as_log_array",
    "check_distribution",
    "check_int",
    "check_real",
    "check_random_state",
]


def as_float_array(value, name: str, *, ndim: int | None = None, min_size: int = 1,
                   copy: bool = False) -> np.ndarray:
    """Return ``value`` as a finite float64 array, or raise an error naming ``name``."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be an array of numbers, got {type(value).__name__}")
    try:
        array = np.array(value, dtype=np.float64, copy=copy or None)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers ({exc})") from None
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, but has shape {array.shape}")
    if array.size < min_size:
        raise ValueError(f"{name} is empty (shape {array.shape}); it needs at least {min_size} value(s)")
    if not np.all(np.isfinite(array)):
        bad = np.argwhere(~np.isfinite(array))[0]
        where = tuple(int(i) for i in bad)
        raise ValueError(f"{name} must be finite, but {name}{list(where)} = {array[where]}")
    return array


def as_log_array(value, name: str, *, ndim: int | None = None, min_size: int = 1) -> np.ndarray:
    """Like ``as_float_array``, but -inf (the log of a probability 0) is allowed; NaN, +inf not."""
    try:
        return as_float_array(value, name, ndim=ndim, min_size=min_size)
    except ValueError:
        pass                      # perhaps only because of -inf: check again with it masked
    array = np.array(value, dtype=np.float64)   # converts: a failed conversion is a TypeError
    # Re-raises the shape, size, NaN or +inf error (the masked array keeps those entries).
    as_float_array(np.where(array == -np.inf, 0.0, array), name, ndim=ndim, min_size=min_size)
    return array


def check_int(value, name: str, *, minimum: int | None = None, maximum: int | None = None,
              maximum_reason: str = "") -> int:
    """Return ``value`` as an int within [minimum, maximum], or raise an error naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum}{maximum_reason}, got {value}")
    return value


def check_real(value, name: str, *, minimum: float | None = None, inclusive: bool = True) -> float:
    """Return ``value`` as a finite float (>= or > ``minimum``), or raise an error naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if minimum is not None:
        if inclusive and value < minimum:
            raise ValueError(f"{name} must be >= {minimum}, got {value}")
        if not inclusive and value <= minimum:
            raise ValueError(f"{name} must be > {minimum}, got {value}")
    return value


def check_distribution(p: np.ndarray, name: str, *, atol: float = 1e-8) -> None:
    """Raise unless every slice of ``p`` along the last axis is a probability distribution."""
    if np.any(p < 0):
        where = tuple(int(i) for i in np.argwhere(p < 0)[0])
        raise ValueError(f"{name} must be non-negative, but {name}{list(where)} = {p[where]}")
    totals = p.sum(axis=-1)
    off = np.abs(totals - 1.0) > atol
    if np.any(off):
        if p.ndim == 1:
            raise ValueError(f"{name} must sum to 1, but sums to {float(totals):.12g}")
        row = tuple(int(i) for i in np.argwhere(off)[0])
        raise ValueError(f"each row of {name} must sum to 1, but row {list(row)} sums to "
                         f"{float(totals[row]):.12g}")


def check_random_state(random_state) -> np.random.Generator:
    """Turn None, an int seed or a Generator into a ``numpy.random.Generator``."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or (isinstance(random_state, numbers.Integral)
                                and not isinstance(random_state, bool)):
        if random_state is not None and random_state < 0:
            raise ValueError(f"random_state must be a non-negative seed, got {random_state}")
        return np.random.default_rng(random_state)
    raise TypeError("random_state must be None, an int seed or a numpy.random.Generator, "
                    f"got {type(random_state).__name__}")


def check_callable(value, name: str) -> None:
    """TypeError unless ``value`` is None or callable (e.g. a per-iteration callback)."""
    if value is not None and not callable(value):
        raise TypeError(f"{name} must be callable or None, got {type(value).__name__}")
