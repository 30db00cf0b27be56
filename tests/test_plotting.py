"""Tests for emlib.plotting with the Agg backend: ellipse geometry, what is drawn, labels,
and input checks."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402
from matplotlib.patches import Ellipse  # noqa: E402

from emlib.gmm import GaussianMixtureParams, e_step  # noqa: E402
from emlib.plotting import plot_covariance_ellipses, plot_gmm, plot_log_likelihood  # noqa: E402


@pytest.fixture
def ax():
    figure, axes = plt.subplots()
    yield axes
    plt.close(figure)


@pytest.fixture(autouse=True)
def close_all_figures():
    yield
    plt.close("all")


def _rotation(degrees):
    t = np.radians(degrees)
    return np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])


def _single(covariance, mean=(0.0, 0.0)):
    return GaussianMixtureParams([1.0], [mean], [covariance])


def _two_components():
    return GaussianMixtureParams([0.4, 0.6], [[0.0, 0.0], [3.0, 1.0]],
                                 [[[1.0, 0.2], [0.2, 0.5]], [[0.5, -0.1], [-0.1, 0.8]]])


def _ellipses(ax):
    return [p for p in ax.patches if isinstance(p, Ellipse)]


# --------------------------------------------------------------------------------------------
# plot_covariance_ellipses
# --------------------------------------------------------------------------------------------
def test_axis_aligned_ellipse(ax):
    plot_covariance_ellipses(_single(np.diag([4.0, 1.0]), mean=(1.0, -2.0)), ax=ax, n_std=(1, 2))
    ellipses = _ellipses(ax)
    assert len(ellipses) == 2
    for ellipse, n_std in zip(ellipses, (1, 2)):
        # Semi-axes n_std·√λ: √4 = 2 along x, √1 = 1 along y.
        assert ellipse.width == pytest.approx(2 * n_std * 2.0, rel=1e-14)
        assert ellipse.height == pytest.approx(2 * n_std * 1.0, rel=1e-14)
        assert ellipse.angle == pytest.approx(0.0, abs=1e-12)
        assert tuple(ellipse.center) == (1.0, -2.0)


def test_major_axis_along_y_is_at_90_degrees(ax):
    plot_covariance_ellipses(_single(np.diag([1.0, 9.0])), ax=ax, n_std=1)
    (ellipse,) = _ellipses(ax)
    assert (ellipse.width, ellipse.height) == pytest.approx((6.0, 2.0), rel=1e-14)
    assert ellipse.angle == pytest.approx(90.0, abs=1e-10)


@pytest.mark.parametrize("degrees", [30.0, 60.0, 120.0, 150.0])
def test_rotated_ellipse(ax, degrees):
    R = _rotation(degrees)
    covariance = R @ np.diag([4.0, 1.0]) @ R.T
    plot_covariance_ellipses(_single(covariance), ax=ax, n_std=1.5)
    (ellipse,) = _ellipses(ax)
    assert ellipse.width == pytest.approx(2 * 1.5 * 2.0, rel=1e-12)
    assert ellipse.height == pytest.approx(2 * 1.5 * 1.0, rel=1e-12)
    assert ellipse.angle == pytest.approx(degrees, abs=1e-10)


def test_ellipse_is_the_mahalanobis_contour(ax):
    # Every point of the drawn ellipse is at Mahalanobis distance n_std from the mean.
    covariance = np.array([[2.0, 0.8], [0.8, 1.0]])
    mean = np.array([1.0, 2.0])
    plot_covariance_ellipses(_single(covariance, mean=mean), ax=ax, n_std=2)
    (ellipse,) = _ellipses(ax)
    # The unit circle is drawn as cubic Béziers: every third vertex lies on it, the others are
    # control points.
    on_curve = ellipse.get_path().vertices[::3]
    np.testing.assert_allclose(np.hypot(*on_curve.T), 1.0, rtol=1e-12)     # (checks the slice)
    points = ellipse.get_patch_transform().transform(on_curve) - mean
    distances = np.sqrt(np.einsum("ni,ij,nj->n", points, np.linalg.inv(covariance), points))
    np.testing.assert_allclose(distances, 2.0, rtol=1e-12)


def test_patch_count_colors_and_kwargs(ax):
    plot_covariance_ellipses(_two_components(), ax=ax, n_std=(1, 2, 3), colors=["red", "blue"],
                             linestyle="--")
    ellipses = _ellipses(ax)
    assert len(ellipses) == 2 * 3
    edge_colours = [to_rgb(e.get_edgecolor()) for e in ellipses]
    assert edge_colours == [to_rgb("red")] * 3 + [to_rgb("blue")] * 3
    assert all(e.get_linestyle() == "--" and not e.get_fill() for e in ellipses)


def test_empty_component_is_not_drawn(ax):
    params = GaussianMixtureParams([0.0, 1.0], [[5.0, 5.0], [0.0, 0.0]], [np.eye(2), np.eye(2)])
    plot_covariance_ellipses(params, ax=ax)
    assert len(_ellipses(ax)) == 2
    assert all(tuple(e.center) == (0.0, 0.0) for e in _ellipses(ax))


def test_view_is_rescaled_to_the_ellipses(ax):
    plot_covariance_ellipses(_single(np.eye(2) * 100.0, mean=(50.0, 0.0)), ax=ax, n_std=1)
    x_low, x_high = ax.get_xlim()
    assert x_low <= 40.0 and x_high >= 60.0


def test_dims_select_a_marginal(ax):
    covariance = np.diag([4.0, 2.0, 1.0])
    params = GaussianMixtureParams([1.0], [[1.0, 2.0, 3.0]], [covariance])
    plot_covariance_ellipses(params, ax=ax, n_std=1, dims=(2, 0))
    (ellipse,) = _ellipses(ax)
    assert tuple(ellipse.center) == (3.0, 1.0)
    # x is feature 2 (variance 1), y is feature 0 (variance 4): the major axis is vertical.
    assert (ellipse.width, ellipse.height) == pytest.approx((4.0, 2.0), rel=1e-14)
    assert ellipse.angle == pytest.approx(90.0, abs=1e-10)


def test_ax_none_uses_the_current_axes():
    figure, axes = plt.subplots()
    returned = plot_covariance_ellipses(_two_components())
    assert returned is axes
    assert len(_ellipses(axes)) == 4


@pytest.mark.parametrize("kwargs, error, message", [
    ({"n_std": 0}, ValueError, r"^n_std must be > 0"),
    ({"n_std": (1, -2)}, ValueError, r"^n_std must be > 0"),
    ({"n_std": ()}, ValueError, r"^n_std is empty"),
    ({"n_std": "1"}, TypeError, r"^n_std must be a real number"),
    ({"colors": ["red"]}, ValueError, r"^colors has 1 entries but the mixture has 2 components"),
    ({"colors": "red"}, TypeError, r"^colors must be a sequence"),
    ({"colors": ["red", "notacolour"]}, ValueError, r"^colors must be matplotlib colours"),
    ({"dims": (0, 0)}, ValueError, r"^dims must be two different features"),
    ({"dims": (0, 2)}, ValueError, r"^dims must be at most 1"),
    ({"dims": 0}, TypeError, r"^dims must be a pair"),
    ({"ax": "axes"}, TypeError, r"^ax must be a matplotlib Axes"),
])
def test_ellipses_reject_bad_input(kwargs, error, message):
    with pytest.raises(error, match=message):
        plot_covariance_ellipses(_two_components(), **kwargs)


def test_ellipses_reject_non_params_and_higher_dimensions():
    with pytest.raises(TypeError, match=r"^params must be a GaussianMixtureParams"):
        plot_covariance_ellipses(np.eye(2))
    params = GaussianMixtureParams([1.0], [[0.0, 0.0, 0.0]], [np.eye(3)])
    with pytest.raises(ValueError, match=r"^the mixture has 3 features, not 2: pass dims"):
        plot_covariance_ellipses(params)


# --------------------------------------------------------------------------------------------
# plot_gmm
# --------------------------------------------------------------------------------------------
def _data():
    return np.random.default_rng(0).normal(size=(30, 2)) + [1.5, 0.5]


def test_plot_gmm_draws_data_means_ellipses_labels_legend(ax):
    X, params = _data(), _two_components()
    returned = plot_gmm(X, params, ax=ax, xlabel="eruption (min)", ylabel="waiting (min)")
    assert returned is ax
    data, *means = ax.collections
    np.testing.assert_array_equal(data.get_offsets(), X)
    assert len(means) == 2
    np.testing.assert_array_equal([m.get_offsets()[0] for m in means], params.means)
    assert len(_ellipses(ax)) == 2 * 2                        # default n_std=(1, 2)
    assert ax.get_xlabel() == "eruption (min)"
    assert ax.get_ylabel() == "waiting (min)"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == [r"component 0 ($\pi_{0}$ = 0.400)", r"component 1 ($\pi_{1}$ = 0.600)"]


def test_plot_gmm_default_labels_and_options(ax):
    plot_gmm(_data(), _two_components(), ax=ax, n_std=(), legend=False)
    assert ax.get_xlabel() == "feature 0" and ax.get_ylabel() == "feature 1"
    assert ax.get_legend() is None
    assert _ellipses(ax) == []


def test_plot_gmm_colours_are_the_responsibility_weighted_mix(ax):
    X, params = _data(), _two_components()
    red, blue = np.array(to_rgb("red")), np.array(to_rgb("blue"))
    plot_gmm(X, params, ax=ax, colors=["red", "blue"])
    resp, _ = e_step(X, params)
    expected = resp[:, :1] * red + resp[:, 1:] * blue
    np.testing.assert_allclose(ax.collections[0].get_facecolors()[:, :3], expected, atol=1e-12)


def test_plot_gmm_uses_given_responsibilities(ax):
    X = _data()
    resp = np.zeros((30, 2))
    resp[:10, 0] = 1.0
    resp[10:, 1] = 1.0
    plot_gmm(X, _two_components(), resp=resp, ax=ax)
    colours = ax.collections[0].get_facecolors()[:, :3]
    np.testing.assert_allclose(colours[:10], np.tile(to_rgb("C0"), (10, 1)))
    np.testing.assert_allclose(colours[10:], np.tile(to_rgb("C1"), (20, 1)))


def test_plot_gmm_in_three_dimensions_with_dims(ax):
    X = np.random.default_rng(1).normal(size=(20, 3))
    params = GaussianMixtureParams([1.0], [[0.0, 1.0, 2.0]], [np.eye(3)])
    plot_gmm(X, params, ax=ax, dims=(1, 2))
    np.testing.assert_array_equal(ax.collections[0].get_offsets(), X[:, [1, 2]])
    assert ax.get_xlabel() == "feature 1" and ax.get_ylabel() == "feature 2"


@pytest.mark.parametrize("kwargs, error, message", [
    ({"X": np.zeros((5, 3))}, ValueError, r"^X has 3 features \(columns\) but params.means has 2"),
    ({"X": np.zeros(5)}, ValueError, r"^X must be 2-D"),
    ({"X": "data"}, TypeError, r"^X must be an array of numbers"),
    ({"params": None}, TypeError, r"^params must be a GaussianMixtureParams"),
    ({"resp": np.full((4, 2), 0.5)}, ValueError, r"^resp has 4 rows but X has 30 samples"),
    ({"resp": np.full((30, 4), 0.25)}, ValueError, r"^resp has 4 columns but the mixture has 2 "),
    ({"resp": np.full((30, 2), 0.6)}, ValueError, r"^each row of resp must sum to 1"),
    ({"xlabel": 3}, TypeError, r"^xlabel must be a string"),
    ({"ylabel": ["y"]}, TypeError, r"^ylabel must be a string"),
])
def test_plot_gmm_rejects_bad_input(kwargs, error, message):
    arguments = {"X": _data(), "params": _two_components()} | kwargs
    with pytest.raises(error, match=message):
        plot_gmm(**arguments)


# --------------------------------------------------------------------------------------------
# plot_log_likelihood
# --------------------------------------------------------------------------------------------
def test_log_likelihood_curve(ax):
    values = np.array([-400.0, -390.5, -386.0, -385.5])
    returned = plot_log_likelihood(values, ax=ax)
    assert returned is ax
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_xdata(), [0, 1, 2, 3])
    np.testing.assert_array_equal(line.get_ydata(), values)
    assert "iteration" in ax.get_xlabel()
    assert "log-likelihood" in ax.get_ylabel()
    assert ax.get_legend() is None
    ticks = ax.get_xticks()
    np.testing.assert_array_equal(ticks, np.round(ticks))     # integer iterations only


def test_log_likelihood_label_and_several_curves(ax):
    plot_log_likelihood([-3.0, -2.0], ax=ax, label="seed 0")
    plot_log_likelihood([-4.0, -2.5, -2.1], ax=ax, label="seed 1")
    assert [line.get_label() for line in ax.get_lines()] == ["seed 0", "seed 1"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["seed 0", "seed 1"]


def test_log_likelihood_ax_none_uses_the_current_axes():
    figure, axes = plt.subplots()
    assert plot_log_likelihood([1.0, 2.0]) is axes


@pytest.mark.parametrize("values, kwargs, error, message", [
    ([[1.0, 2.0]], {}, ValueError, r"^log_likelihoods must be 1-D"),
    ([], {}, ValueError, r"^log_likelihoods is empty"),
    ([1.0, np.nan], {}, ValueError, r"^log_likelihoods must be finite"),
    ("abc", {}, TypeError, r"^log_likelihoods must be an array of numbers"),
    ([1.0, 2.0], {"label": 5}, TypeError, r"^label must be a string"),
    ([1.0, 2.0], {"ax": object()}, TypeError, r"^ax must be a matplotlib Axes"),
])
def test_log_likelihood_rejects_bad_input(values, kwargs, error, message):
    with pytest.raises(error, match=message):
        plot_log_likelihood(values, **kwargs)
