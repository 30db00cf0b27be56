"""Tests for emlib.plotting.plot_em_iteration (the function behind notebook 03's slider)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402
from matplotlib.patches import Ellipse  # noqa: E402

from emlib import datasets, gmm  # noqa: E402
from emlib.plotting import plot_em_iteration  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def run():
    """Old Faithful, a poor start, 8 recorded EM iterates and fit's own log-likelihoods."""
    X = datasets.old_faithful(standardized=True)
    start = gmm.GaussianMixtureParams([0.5, 0.5], [[-1.5, 1.0], [1.5, -1.0]], [0.5 * np.eye(2)] * 2)
    history = []
    result = gmm.fit(X, 2, init=start, max_iter=8, tol=0.0,
                     callback=lambda t, params, ll: history.append(params))
    return X, history, result.log_likelihoods


def _axes_pair():
    return tuple(plt.subplots(1, 2)[1])


@pytest.mark.parametrize("t", [0, 3, 8])
def test_fit_panel_is_the_mixture_at_iteration_t(run, t):
    X, history, _ = run
    ax_fit, _ = plot_em_iteration(X, history, t, axes=_axes_pair(), colors=["red", "blue"])
    resp, _ = gmm.e_step(X, history[t])
    expected = resp @ np.array([to_rgb("red"), to_rgb("blue")])
    points = ax_fit.collections[0]
    np.testing.assert_allclose(points.get_offsets(), X)
    np.testing.assert_allclose(points.get_facecolors()[:, :3], expected, atol=1e-12)
    centres = [tuple(e.center) for e in ax_fit.patches if isinstance(e, Ellipse)]
    assert len(centres) == 4                                    # K = 2 components × n_std (1, 2)
    assert set(centres) == {tuple(m) for m in history[t].means}
    assert ax_fit.get_title().startswith(f"iteration $t$ = {t}:")


@pytest.mark.parametrize("t", [0, 5])
def test_curve_is_the_log_likelihood_of_every_iterate_with_t_marked(run, t):
    X, history, log_likelihoods = run
    ax_fit, ax_curve = plot_em_iteration(X, history, t, axes=_axes_pair())
    curve, marker = ax_curve.lines
    np.testing.assert_array_equal(curve.get_xdata(), np.arange(len(history)))
    np.testing.assert_allclose(curve.get_ydata(), log_likelihoods, rtol=1e-10)   # fit's record
    np.testing.assert_allclose(marker.get_xydata(), [[t, log_likelihoods[t]]], rtol=1e-10)
    assert f"{log_likelihoods[t]:.2f}" in ax_fit.get_title()
    assert [text.get_text() for text in ax_curve.get_legend().get_texts()] == [f"$t$ = {t}"]


def test_given_axes_are_used_and_none_makes_one_new_figure(run):
    X, history, _ = run
    pair = _axes_pair()
    assert plot_em_iteration(X, history, 1, axes=pair) == pair
    before = set(plt.get_fignums())
    ax_fit, ax_curve = plot_em_iteration(X, history, 1, xlabel="eruptions", ylabel="waiting")
    assert len(set(plt.get_fignums()) - before) == 1
    assert ax_fit.figure is ax_curve.figure and ax_fit is not ax_curve
    assert (ax_fit.get_xlabel(), ax_fit.get_ylabel()) == ("eruptions", "waiting")


def test_tuple_history_and_numpy_int_t(run):
    X, history, log_likelihoods = run
    _, ax_curve = plot_em_iteration(X, tuple(history[:3]), np.int64(2), axes=_axes_pair())
    np.testing.assert_allclose(ax_curve.lines[0].get_ydata(), log_likelihoods[:3], rtol=1e-10)


def _bad_history(kind, history):
    if kind == "not a sequence":
        return history[0]
    if kind == "empty":
        return []
    if kind == "wrong type":
        return [history[0], "theta"]
    if kind == "string":
        return "history"
    one = gmm.GaussianMixtureParams([1.0], [[0.0, 0.0]], [np.eye(2)])
    return [history[0], one]


@pytest.mark.parametrize("kind, error, match", [
    ("not a sequence", TypeError, "history must be a sequence"),
    ("string", TypeError, "history must be a sequence"),
    ("empty", ValueError, "history is empty"),
    ("wrong type", TypeError, r"history\[1\]"),
    ("mixed shapes", ValueError, r"history\[1\] has 1 components"),
])
def test_bad_history(run, kind, error, match):
    X, history, _ = run
    with pytest.raises(error, match=match):
        plot_em_iteration(X, _bad_history(kind, history), 0, axes=_axes_pair())


@pytest.mark.parametrize("kwargs, error, match", [
    ({"t": 9}, ValueError, r"t must be at most 8 \(history holds iterations 0 to 8\)"),
    ({"t": -1}, ValueError, "t must be at least 0"),
    ({"t": 1.0}, TypeError, "t must be an integer"),
    ({"t": True}, TypeError, "t must be an integer"),
    ({"X": np.zeros((10, 3))}, ValueError, "X has 3 features"),
    ({"X": np.zeros(10)}, ValueError, "X must be 2-D"),
    ({"axes": "ax"}, TypeError, "axes must be a pair"),
    ({"axes": (None, None)}, TypeError, "axes must be a pair"),
    ({"axes": ("a", "b")}, TypeError, "ax must be a matplotlib Axes"),
    ({"colors": ["red"]}, ValueError, "colors"),
    ({"n_std": -1}, ValueError, "n_std"),
])
def test_bad_arguments_name_the_argument(run, kwargs, error, match):
    X, history, _ = run
    arguments = {"X": X, "history": history, "t": 0} | kwargs
    with pytest.raises(error, match=match):
        plot_em_iteration(**arguments)


def test_bad_X_draws_nothing(run):
    _, history, _ = run
    before = plt.get_fignums()
    with pytest.raises(ValueError):
        plot_em_iteration(np.zeros((4, 3)), history, 0)
    assert plt.get_fignums() == before
