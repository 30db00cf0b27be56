"""Checks for exercise test cells whose failure messages teach.

A bare ``assert`` tells a student only that something is wrong. These say what was checked, on
which input, what was expected and what came out, in the same format and without a traceback
frame from this module::

    check_close(e_step(heads, n, theta), [0.449, 0.550, ...], "responsibilities of coin A",
                given="heads=[5, 9, 8, 4, 7], theta=(0.6, 0.5)")
    passed("e_step")      # prints one line: "✓ e_step passes the visible tests."

Grading (``emcourse.kernel``) relies on three properties of this module:

* **Fresh references.** Every numpy function used here is bound once, when the module is
  imported (the grading kernel imports it before any answer runs), and the comparison itself is
  plain ufunc arithmetic on arrays. An answer that later replaces ``numpy.allclose``,
  ``numpy.isclose`` or ``numpy.testing.assert_allclose`` does not change what these checks do.
* **Recorded results.** When the grading kernel installs a recorder (``_recorder``), each check
  called from a test cell hands it the values it compared and its verdict; the grader compares
  them again outside the kernel with :func:`recheck`, where no student code runs.
* **Pure verdicts.** :func:`close_message`, :func:`shape_message` and :func:`finite_message`
  only compute; the public checks record and then raise :class:`CheckFailed`.

A failed check raises :class:`CheckFailed`, an ``AssertionError``. Imported in IPython (Jupyter),
this module registers a handler for it that shows the traceback without this module's frames:
the student sees the test cell's failing line and the message, nothing of the helper.
"""

from __future__ import annotations

import sys

import numpy as np

# Bound at import time: see "Fresh references" above.
_asarray = np.asarray
_absolute = np.absolute
_isfinite = np.isfinite
_argmax = np.argmax
_unravel_index = np.unravel_index
_count_nonzero = np.count_nonzero
_shape = np.shape
_logical_and_reduce = np.logical_and.reduce
_getframe = sys._getframe
_print = print
_repr = repr
_bool = bool
_float = float
_isinstance = isinstance
_tuple = tuple
_len = len

# Set by the grading kernel to record every check a test cell makes; None everywhere else.
_recorder = None


class CheckFailed(AssertionError):
    """A failed check: its message says what was expected, on what input, and what came out."""


def _without_our_frames(tb):
    """The traceback ``tb`` with this module's frames unlinked."""
    kept = []
    while tb is not None:
        if tb.tb_frame.f_globals.get("__name__") != __name__:
            kept.append(tb)
        tb = tb.tb_next
    for outer, inner in zip(kept, kept[1:]):
        outer.tb_next = inner
    if kept:
        kept[-1].tb_next = None
    return kept[0] if kept else None


def _show_failed_check(shell, etype, value, tb, tb_offset=None):
    shell.showtraceback((etype, value, _without_our_frames(tb)), tb_offset=tb_offset)


def _install_ipython_handler() -> None:
    """In IPython, show a failed check without this module's frames (unless a handler is set)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None and not shell.custom_exceptions:
        shell.set_custom_exc((CheckFailed,), _show_failed_check)

# Arrays up to this size are printed in full in a failure message, larger ones are summarised.
_SHOWN = 12


def _given(given: str) -> str:
    return f" for {given}" if given else ""


def _format_number(x: float, digits: int) -> str:
    return f"{_float(x):.{digits}g}"


def _format_nested(array, digits: int) -> str:
    if array.ndim == 0:
        return _format_number(array, digits)
    return "[" + ", ".join(_format_nested(row, digits) for row in array) + "]"


def _digits_to_tell_apart(expected: float, actual: float) -> int:
    """The fewest significant digits (6, 9, 12 or 17) that print ``expected`` and ``actual`` apart."""
    for digits in (6, 9, 12):
        if _format_number(expected, digits) != _format_number(actual, digits):
            return digits
    return 17


def _describe_pair(expected, actual) -> tuple[str, str, str]:
    """``expected`` and ``actual`` (same shape, float) printed alike, and where they differ most."""
    difference = _absolute(actual - expected)
    flat = int(_argmax(difference)) if difference.size else 0
    worst = _tuple(int(i) for i in _unravel_index(flat, expected.shape)) if expected.ndim else ()
    e_worst, a_worst = expected[worst], actual[worst]
    digits = _digits_to_tell_apart(e_worst, a_worst)
    if expected.size <= _SHOWN:
        where = f" at index {worst}" if expected.ndim and expected.size > 1 else ""
        return _format_nested(expected, digits), _format_nested(actual, digits), where
    shape = f"array of shape {expected.shape}"
    where = (f" at index {worst}: expected {_format_number(e_worst, digits)}, "
             f"got {_format_number(a_worst, digits)}")
    head = slice(0, 6)
    return (f"{shape}, first values {_format_nested(expected.ravel()[head], digits)} ...",
            f"{shape}, first values {_format_nested(actual.ravel()[head], digits)} ...", where)


# ---------------------------------------------------------------------------------------------
# Pure verdicts: None when the check passes, else the message. Used in the kernel and by the grader.


def shape_message(actual_shape, shape, what: str, given: str = "") -> str | None:
    """The failure message of a shape check, or None when ``actual_shape == shape``."""
    if _tuple(actual_shape) != _tuple(shape):
        return f"{what}{_given(given)}: expected shape {_tuple(shape)}, got {_tuple(actual_shape)}."
    return None


def finite_message(values, what: str, given: str = "") -> str | None:
    """The failure message when ``values`` (a float array) has NaN or infinite entries, else None."""
    bad = values.size - int(_count_nonzero(_isfinite(values)))
    if bad:
        return (f"{what}{_given(given)}: {bad} of {values.size} entries are NaN or infinite. Work in "
                "log space (scipy.special.logsumexp) so that nothing underflows to 0/0.")
    return None


def close_message(actual, expected, what: str, given: str = "", *, rtol: float = 1e-7,
                  atol: float = 1e-10) -> str | None:
    """The failure message of :func:`check_close` on two float arrays, or None when they match.

    They match when the shapes agree, ``actual`` is finite and
    ``|actual - expected| <= atol + rtol * |expected|`` everywhere (``numpy.allclose``'s rule).
    """
    message = (shape_message(actual.shape, expected.shape, what, given)
               or finite_message(actual, what, given))
    if message is not None:
        return message
    tolerance = atol + rtol * _absolute(expected)
    if _bool(_logical_and_reduce((_absolute(actual - expected) <= tolerance).ravel())):
        return None
    shown_expected, shown_actual, where = _describe_pair(expected, actual)
    worst = float(_absolute(actual - expected).max())
    return (f"{what}{_given(given)}:\n    expected {shown_expected}\n         got {shown_actual}\n"
            f"    largest difference {worst:.3g}{where}")


# ---------------------------------------------------------------------------------------------
# The checks


def _report(kind: str, message: str | None, values: dict, caller) -> None:
    __tracebackhide__ = True  # IPython and pytest hide this frame: the message says it all
    if _recorder is not None:
        _recorder(kind, message is None, values, caller)
    if message is not None:
        raise CheckFailed(message)


def check_shape(actual, shape, what: str, *, given: str = "") -> None:
    """AssertionError unless ``actual`` is an array of ``shape``."""
    __tracebackhide__ = True
    actual_shape = _shape(actual)
    _report("shape", shape_message(actual_shape, shape, what, given),
            {"actual": list(actual_shape), "expected": list(shape)}, _getframe(1))


def check_finite(actual, what: str, *, given: str = "") -> None:
    """AssertionError when ``actual`` has NaN or infinite entries (the usual sign of exp underflow)."""
    __tracebackhide__ = True
    values = _asarray(actual, dtype=float)
    _report("finite", finite_message(values, what, given), {"actual": values}, _getframe(1))


def check_close(actual, expected, what: str, *, given: str = "", rtol: float = 1e-7,
                atol: float = 1e-10) -> None:
    """AssertionError unless ``actual`` matches ``expected`` in shape and value.

    The message names the quantity, the input, the expected and the actual values (printed
    alike) and where they differ most, so a student knows where to look.
    """
    __tracebackhide__ = True
    caller = _getframe(1)
    expected = _asarray(expected, dtype=float)
    try:
        actual_array = _asarray(actual, dtype=float)
    except (TypeError, ValueError):
        try:
            shown = f"{type(actual).__name__} {_repr(actual):.80}"
        except Exception:  # noqa: BLE001 - a student's __repr__ may fail too
            shown = type(actual).__name__
        _report("close", f"{what}{_given(given)}: expected numbers, got {shown}.",
                {"actual": None, "expected": expected, "rtol": rtol, "atol": atol}, caller)
        return
    _report("close", close_message(actual_array, expected, what, given, rtol=rtol, atol=atol),
            {"actual": actual_array, "expected": expected, "rtol": rtol, "atol": atol}, caller)


def check_true(condition, message: str) -> None:
    """AssertionError with ``message`` unless ``condition`` holds."""
    __tracebackhide__ = True
    holds = _bool(condition)
    _report("true", None if holds else message, {"value": holds}, _getframe(1))


def passed(what: str) -> None:
    """Print the one line that ends a passing visible test: ``✓ <what> passes the visible tests.``"""
    _print(f"✓ {what} passes the visible tests.")


# ---------------------------------------------------------------------------------------------
# The grader's second opinion


def recheck(kind: str, values: dict) -> bool:
    """Whether a recorded check passes, judged again from its recorded values (outside the kernel).

    ``values`` holds numpy arrays (decoded by the grader) or None. A ``true`` check has only its
    recorded boolean: nothing can be recomputed, so it is taken as recorded.
    """
    if kind == "true":
        return _bool(values.get("value"))
    if kind == "shape":
        return shape_message(values["actual"], values["expected"], "") is None
    actual = values.get("actual")
    if actual is None:
        return False
    if kind == "finite":
        return finite_message(np.asarray(actual, dtype=float), "") is None
    if kind == "close":
        return close_message(np.asarray(actual, dtype=float), np.asarray(values["expected"], dtype=float),
                             "", rtol=values["rtol"], atol=values["atol"]) is None
    raise ValueError(f"kind: unknown check kind {kind!r}")


_install_ipython_handler()

__all__ = ["CheckFailed", "check_close", "check_finite", "check_shape", "check_true", "passed", "recheck",
           "close_message", "finite_message", "shape_message"]
