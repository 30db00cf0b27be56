"""The test-cell checks fail with messages that say what was expected, on what input."""

import numpy as np
import pytest

from emcourse.testing import check_close, check_finite, check_shape, check_true


def test_check_close_passes_on_equal_values():
    check_close([1.0, 2.0], np.array([1.0, 2.0 + 1e-12]), "x")


@pytest.mark.parametrize("actual, fragment", [
    ([1.0, 2.5], "expected [1. 2.], got [1.  2.5] (largest difference 0.5)"),
    ([1.0, 2.0, 3.0], "expected shape (2,), got (3,)"),
    ([np.nan, 2.0], "1 entries are NaN or infinite. Work in log space"),
    ("hello", "expected numbers, got str"),
])
def test_check_close_says_what_was_expected_and_on_what_input(actual, fragment):
    with pytest.raises(AssertionError) as info:
        check_close(actual, [1.0, 2.0], "resp", given="theta = (0.6, 0.5)")
    message = str(info.value)
    assert message.startswith("resp for theta = (0.6, 0.5): ") and fragment in message, message


def test_large_arrays_are_summarised():
    with pytest.raises(AssertionError, match=r"array of shape \(20, 3\), first values"):
        check_close(np.ones((20, 3)), np.zeros((20, 3)), "resp")


def test_check_shape_finite_and_true():
    check_shape(np.zeros((2, 3)), (2, 3), "x")
    with pytest.raises(AssertionError, match=r"x: expected shape \(3, 2\), got \(2, 3\)"):
        check_shape(np.zeros((2, 3)), (3, 2), "x")
    with pytest.raises(AssertionError, match="2 entries are NaN"):
        check_finite([np.inf, np.nan, 1.0], "ll")
    with pytest.raises(AssertionError, match="went down"):
        check_true(False, "the log-likelihood went down")
    check_true(True, "never shown")
