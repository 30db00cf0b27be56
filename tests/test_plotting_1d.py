"""Tests for emlib.plotting.plot_mixture_1d."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402
from scipy.stats import norm  # noqa: E402

from emlib import gmm  # noqa: E402
from emlib.plotting import plot_mixture_1d  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def data():
    rng = np.random.default_rng(3)
    X = np.concatenate([rng.normal(-2.0, 0.5, 60), rng.normal(1.0, 1.0, 90)])[:, None]
    params = gmm.GaussianMixtureParams([0.4, 0.6], [[-2.0], [1.0]], [[[0.25]], [[1.0]]])
    return X, params


def test_lines_are_the_weighted_densities_and_their_sum(data):
    X, params = data
    ax = plot_mixture_1d(X, params, ax=plt.figure().add_subplot())
    component_a, component_b, mixture, baseline = ax.lines
    for k, line in enumerate((component_a, component_b)):
        x, y = line.get_data()
        expected = params.weights[k] * norm.pdf(x, params.means[k, 0],
                                                np.sqrt(params.covariances[k, 0, 0]))
        np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-300)
    x, y = mixture.get_data()
    np.testing.assert_allclose(y, component_a.get_ydata() + component_b.get_ydata(), rtol=1e-12)
    assert mixture.get_linestyle() == "--"
    # The grid covers the data and μ_k ± 4σ_k.
    assert x.min() <= min(X.min(), -2.0 - 4 * 0.5) and x.max() >= max(X.max(), 1.0 + 4 * 1.0)
    np.testing.assert_array_equal(baseline.get_ydata(), 0.0)


def test_rug_is_coloured_by_responsibility(data):
    X, params = data
    ax = plot_mixture_1d(X, params, ax=plt.figure().add_subplot(), colors=["red", "blue"])
    rug = ax.collections[-1]
    resp, _ = gmm.e_step(X, params)
    expected = resp @ np.array([to_rgb("red"), to_rgb("blue")])
    np.testing.assert_allclose(rug.get_facecolors()[:, :3], expected, atol=1e-12)
    np.testing.assert_allclose(rug.get_offsets()[:, 0], X[:, 0])
    assert np.all(rug.get_offsets()[:, 1] < 0)                     # below the densities


def test_given_resp_is_used(data):
    X, params = data
    resp = np.tile([1.0, 0.0], (X.shape[0], 1))
    ax = plot_mixture_1d(X, params, ax=plt.figure().add_subplot(), resp=resp)
    np.testing.assert_allclose(ax.collections[-1].get_facecolors()[:, :3],
                               np.tile(to_rgb("C0"), (X.shape[0], 1)))


def test_histogram_is_a_density_and_axes_are_labelled(data):
    X, params = data
    ax = plot_mixture_1d(X[:, 0], params, bins=12)                  # (N,) accepted, current Axes
    assert ax is plt.gca()
    bars = ax.patches
    assert len(bars) == 12
    area = sum(bar.get_width() * bar.get_height() for bar in bars)
    assert area == pytest.approx(1.0)
    assert ax.get_xlabel() == "$x$" and ax.get_ylabel() == "density"
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert any(r"$\pi_{0}$ = 0.40" in label and r"$\sigma_{0}$ = 0.50" in label for label in labels)
    assert r"mixture $p(x \mid \theta)$" in labels


def test_empty_component_is_not_drawn():
    params = gmm.GaussianMixtureParams([1.0, 0.0], [[0.0], [5.0]], [[[1.0]], [[1.0]]])
    X = np.linspace(-1, 1, 20)[:, None]
    ax = plot_mixture_1d(X, params, ax=plt.figure().add_subplot())
    assert len(ax.lines) == 3                                        # one component, sum, 0
    assert ax.lines[0].get_xdata().max() < 5.0                       # grid not stretched to μ₁


@pytest.mark.parametrize("kwargs, error, match", [
    ({"X": np.zeros((10, 2))}, ValueError, "X"),
    ({"X": np.zeros((2, 3, 1))}, ValueError, "X"),
    ({"X": [0.0, np.nan]}, ValueError, "X"),
    ({"params": "params"}, TypeError, "params"),
    ({"params": gmm.GaussianMixtureParams([1.0], [[0.0, 0.0]], [np.eye(2)])}, ValueError,
     "params"),
    ({"ax": "ax"}, TypeError, "ax"),
    ({"bins": 0}, ValueError, "bins"),
    ({"grid_size": 1}, ValueError, "grid_size"),
    ({"colors": ["red"]}, ValueError, "colors"),
    ({"colors": "rb"}, TypeError, "colors"),
    ({"colors": ["red", "notacolour"]}, ValueError, "colors"),
    ({"resp": np.full((150, 3), 1 / 3)}, ValueError, "resp"),
    ({"resp": np.full((150, 2), 0.7)}, ValueError, "resp"),
])
def test_bad_input_names_the_argument(data, kwargs, error, match):
    X, params = data
    arguments = {"X": X, "params": params} | kwargs
    with pytest.raises(error, match=match):
        plot_mixture_1d(**arguments)


# --------------------------------------------------------------------------------------------
# Finite but huge values: drawn, or an error that names the argument
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("X", [1e16 + np.arange(20.0) % 3, np.full(20, 5e-324)])
def test_data_the_bins_cannot_resolve_still_get_a_histogram(X):
    # Once: matplotlib's "Too many bins for data range" for data near 1e16 ± 1. (Data near 1e300
    # can have no mixture: see the next test.)
    params = gmm.GaussianMixtureParams([1.0], [[X.mean()]], [[[1.0]]])
    ax = plot_mixture_1d(X, params, bins=5, resp=np.ones((20, 1)), ax=plt.figure().add_subplot())
    assert len(ax.patches) == 5 and sum(p.get_height() for p in ax.patches) > 0


def test_a_mixture_near_1e300_is_refused_naming_its_means():
    # the rule X obeys: squared distances to a mean past ~1e153 overflow, so no density exists
    with pytest.raises(ValueError, match=r"^means is too large for float64"):
        gmm.GaussianMixtureParams([1.0], [[1e300]], [[[1.0]]])


def test_data_beyond_what_an_axis_can_show_is_named():
    # (params cannot reach there: their means and covariances must square in float64)
    params = gmm.GaussianMixtureParams([0.5, 0.5], [[-1.0], [1.0]], [[[1.0]], [[1.0]]])
    with pytest.raises(ValueError, match=r"^X\[0, 0\] = -1.7e\+308 is too large to plot"):
        plot_mixture_1d([-1.7e308, 1.7e308], params, resp=[[1.0, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match=r"^X\[1, 0\] = 1.8e\+308 is too large to plot"):
        plot_mixture_1d([0.0, 1.7976931348623157e308], params, resp=[[1.0, 0.0], [0.0, 1.0]])


def test_a_point_whose_distance_overflows_is_named(data):
    X, params = data
    X = X.copy()
    X[7] = 1e160
    with pytest.raises(ValueError, match=r"^X\[7\] is so far from every component of params"):
        plot_mixture_1d(X, params)


# --------------------------------------------------------------------------------------------
# Absurd sizes: said before allocating, not numpy's MemoryError
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, name", [({"bins": 10**15}, "bins"),
                                          ({"grid_size": 10**15}, "grid_size")])
def test_absurd_sizes_say_what_is_too_large(kwargs, name, data):
    X, params = data
    with pytest.raises(ValueError, match=rf"^{name} is too large: .* would need .* of memory"):
        plot_mixture_1d(X, params, **kwargs)
    assert not plt.get_fignums()
