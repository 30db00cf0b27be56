"""Checks for exercise test cells whose failure messages teach.

A bare ``assert`` tells a student only that something is wrong. These say what was checked, on
which input, what was expected and what came out::

    check_close(e_step(heads, n, theta), [0.449, 0.550, ...], "responsibilities of coin A",
                given="heads=[5, 9, 8, 4, 7], theta=(0.6, 0.5)")
"""

from __future__ import annotations

import numpy as np


def _describe(value) -> str:
    array = np.asarray(value)
    if array.size > 12:
        return f"array of shape {array.shape}, first values {np.array2string(array.ravel()[:6], precision=6)}"
    return np.array2string(array, precision=6) if array.ndim else repr(value)


def _given(given: str) -> str:
    return f" for {given}" if given else ""


def check_shape(actual, shape, what: str, *, given: str = "") -> None:
    """AssertionError unless ``actual`` is an array of ``shape``."""
    actual_shape = np.shape(actual)
    if actual_shape != tuple(shape):
        raise AssertionError(f"{what}{_given(given)}: expected shape {tuple(shape)}, "
                             f"got {actual_shape}.")


def check_finite(actual, what: str, *, given: str = "") -> None:
    """AssertionError when ``actual`` has NaN or infinite entries (the usual sign of exp underflow)."""
    values = np.asarray(actual, dtype=float)
    if not np.all(np.isfinite(values)):
        raise AssertionError(f"{what}{_given(given)}: {np.sum(~np.isfinite(values))} entries are NaN "
                             "or infinite. Work in log space (scipy.special.logsumexp) so that "
                             "nothing underflows to 0/0.")


def check_close(actual, expected, what: str, *, given: str = "", rtol: float = 1e-7,
                atol: float = 1e-10) -> None:
    """AssertionError unless ``actual`` matches ``expected`` in shape and value.

    The message names the quantity, the input, the expected and the actual values and the
    largest difference, so a student knows where to look.
    """
    expected = np.asarray(expected, dtype=float)
    try:
        actual_array = np.asarray(actual, dtype=float)
    except (TypeError, ValueError):
        raise AssertionError(f"{what}{_given(given)}: expected numbers, got {type(actual).__name__} "
                             f"{actual!r:.80}.") from None
    check_shape(actual_array, expected.shape, what, given=given)
    check_finite(actual_array, what, given=given)
    if not np.allclose(actual_array, expected, rtol=rtol, atol=atol):
        worst = np.max(np.abs(actual_array - expected))
        raise AssertionError(f"{what}{_given(given)}: expected {_describe(expected)}, "
                             f"got {_describe(actual_array)} (largest difference {worst:.3g}).")


def check_true(condition, message: str) -> None:
    """AssertionError with ``message`` unless ``condition`` holds."""
    if not condition:
        raise AssertionError(message)
