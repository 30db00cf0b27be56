"""The test-cell checks: messages that say what was expected, alike; fresh references; records."""

import numpy as np
import pytest

from emcourse import testing
from emcourse.testing import check_close, check_finite, check_shape, check_true, passed, recheck


def test_check_close_passes_on_equal_values():
    check_close([1.0, 2.0], np.array([1.0, 2.0 + 1e-12]), "x")


@pytest.mark.parametrize("actual, fragment", [
    ([1.0, 2.5], "\n    expected [1, 2]\n         got [1, 2.5]\n    largest difference 0.5 at index (1,)"),
    ([1.0, 2.0, 3.0], "expected shape (2,), got (3,)"),
    ([np.nan, 2.0], "1 of 2 entries are NaN or infinite. Work in log space"),
    ("hello", "expected numbers, got str"),
])
def test_check_close_says_what_was_expected_and_on_what_input(actual, fragment):
    with pytest.raises(AssertionError) as info:
        check_close(actual, [1.0, 2.0], "resp", given="theta = (0.6, 0.5)")
    message = str(info.value)
    assert message.startswith("resp for theta = (0.6, 0.5):") and fragment in message, message


def test_expected_and_got_are_printed_alike_with_the_digits_that_tell_them_apart():
    with pytest.raises(AssertionError) as info:
        check_close(1.0000002, 1.0000001, "ll", rtol=1e-9)
    lines = str(info.value).splitlines()
    assert lines[1].strip() == "expected 1.0000001" and lines[2].strip() == "got 1.0000002"


def test_large_arrays_are_summarised_with_the_worst_entry():
    actual = np.zeros((20, 3))
    actual[7, 2] = 0.5
    with pytest.raises(AssertionError) as info:
        check_close(actual, np.zeros((20, 3)), "resp")
    message = str(info.value)
    assert "array of shape (20, 3), first values [0, 0, 0, 0, 0, 0] ..." in message
    assert "at index (7, 2): expected 0, got 0.5" in message


def test_check_shape_finite_and_true():
    check_shape(np.zeros((2, 3)), (2, 3), "x")
    with pytest.raises(AssertionError, match=r"x: expected shape \(3, 2\), got \(2, 3\)"):
        check_shape(np.zeros((2, 3)), (3, 2), "x")
    with pytest.raises(AssertionError, match="2 of 3 entries are NaN"):
        check_finite([np.inf, np.nan, 1.0], "ll")
    with pytest.raises(AssertionError, match="went down"):
        check_true(False, "the log-likelihood went down")
    check_true(True, "never shown")


def test_a_passing_test_says_so_in_one_line(capsys):
    passed("e_step")
    assert capsys.readouterr().out == "✓ e_step passes the visible tests.\n"


def test_checks_use_fresh_references_not_numpys_current_attributes(monkeypatch):
    # an answer that patches numpy after emcourse.testing was imported changes nothing
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(np, "isclose", lambda *a, **k: True)
    monkeypatch.setattr(np, "asarray", lambda *a, **k: np.zeros(2))
    with pytest.raises(AssertionError, match="largest difference 1"):
        check_close([1.0, 2.0], [0.0, 2.0], "x")


def test_every_check_reports_to_the_recorder_with_its_values_and_verdict(monkeypatch):
    seen = []
    monkeypatch.setattr(testing, "_recorder", lambda kind, ok, values, caller: seen.append(
        (kind, ok, sorted(values), caller.f_code.co_name)))
    check_close([1.0], [1.0], "x")
    with pytest.raises(AssertionError):
        check_close([1.0], [2.0], "x")
    check_shape(np.zeros(2), (2,), "x")
    check_true(True, "m")
    here = "test_every_check_reports_to_the_recorder_with_its_values_and_verdict"
    assert seen == [("close", True, ["actual", "atol", "expected", "rtol"], here),
                    ("close", False, ["actual", "atol", "expected", "rtol"], here),
                    ("shape", True, ["actual", "expected"], here), ("true", True, ["value"], here)]


@pytest.mark.parametrize("kind, values, verdict", [
    ("close", {"actual": np.array([1.0]), "expected": np.array([1.0]), "rtol": 1e-7, "atol": 0}, True),
    ("close", {"actual": np.array([1.1]), "expected": np.array([1.0]), "rtol": 1e-7, "atol": 0}, False),
    ("close", {"actual": np.array([np.nan]), "expected": np.array([np.nan]), "rtol": 1, "atol": 1}, False),
    ("close", {"actual": None, "expected": np.array([1.0]), "rtol": 1e-7, "atol": 0}, False),
    ("shape", {"actual": [2, 3], "expected": [2, 3]}, True),
    ("shape", {"actual": [3, 2], "expected": [2, 3]}, False),
    ("finite", {"actual": np.array([1.0, np.inf])}, False),
    ("true", {"value": False}, False),
])
def test_recheck_judges_recorded_values_again(kind, values, verdict):
    assert recheck(kind, values) is verdict
