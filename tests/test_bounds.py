"""Tests for emlib.bounds: Jensen's gap, log p = L + KL for a Gaussian mixture, EM's bounds along
one mean (Bishop's figure 9.14) and the half-steps of EM, against references computed here
with scipy.stats, scipy.special and scipy.optimize, and their input checks."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from scipy.optimize import minimize_scalar  # noqa: E402
from scipy.special import logsumexp, xlogy  # noqa: E402
from scipy.stats import multivariate_normal, norm  # noqa: E402

from emlib import bounds, gmm, plotting  # noqa: E402
from emlib.gmm import GaussianMixtureParams  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# --------------------------------------------------------------------------------------------
# Independent references
# --------------------------------------------------------------------------------------------
def reference_log_joint(X, params):
    """log π_k + log N(x_n | μ_k, Σ_k) from scipy.stats, (N, K)."""
    return np.column_stack([
        np.log(w) + multivariate_normal(mu, cov).logpdf(X).reshape(-1)
        for w, mu, cov in zip(params.weights, params.means, params.covariances)])


def reference_decomposition(X, params, q):
    log_joint = reference_log_joint(X, params)
    log_p = logsumexp(log_joint, axis=1)                          # log p(x_n | θ)
    log_post = log_joint - log_p[:, None]                         # log γ_nk
    elbo = np.sum(q * log_joint) - np.sum(xlogy(q, q))            # E_q[log p(x, z)] + H(q)
    kl = np.sum(xlogy(q, q) - q * log_post)
    return log_p.sum(), elbo, kl, np.exp(log_post)


def one_d_problem(seed=0, n_samples=60):
    rng = np.random.default_rng(seed)
    params = GaussianMixtureParams([0.35, 0.65], [[-2.0], [1.5]], [[[0.5]], [[1.2]]])
    labels = rng.choice(2, size=n_samples, p=params.weights)
    X = (params.means[labels, 0] + rng.normal(size=n_samples)
         * np.sqrt(params.covariances[labels, 0, 0]))[:, None]
    return X, params


def two_d_problem(seed=1, n_samples=80):
    """Three components with correlated covariances, so the one-coordinate M-step has to use the
    off-diagonal precision."""
    rng = np.random.default_rng(seed)
    covariances = np.array([[[1.0, 0.8], [0.8, 1.0]], [[0.5, -0.3], [-0.3, 0.6]], np.eye(2)])
    params = GaussianMixtureParams([0.3, 0.5, 0.2], [[0.0, 0.0], [3.0, 1.0], [-2.0, 3.0]],
                                   covariances)
    labels = rng.choice(3, size=n_samples, p=params.weights)
    chol = np.linalg.cholesky(covariances)
    X = params.means[labels] + np.einsum("nij,nj->ni", chol[labels],
                                         rng.normal(size=(n_samples, 2)))
    return X, params


def random_q(rng, shape, zeros=False):
    q = rng.dirichlet(np.ones(shape[1]), size=shape[0])
    if zeros:
        q[rng.random(shape) < 0.3] = 0.0
        q[:, 0] += 0.05
        q /= q.sum(axis=1, keepdims=True)
    return q


# --------------------------------------------------------------------------------------------
# jensen_gap, plot_jensen
# --------------------------------------------------------------------------------------------
def test_jensen_gap_matches_a_direct_computation():
    rng = np.random.default_rng(0)
    for _ in range(10):
        values = rng.uniform(0.1, 10.0, size=6)
        probs = rng.dirichlet(np.ones(6))
        result = bounds.jensen_gap(values, probs)
        log_mean = logsumexp(np.log(values), b=probs)             # log Σ p_i x_i
        mean_log = np.sum(probs * np.log(values))
        assert result.log_mean == pytest.approx(log_mean, rel=1e-13)
        assert result.mean_log == pytest.approx(mean_log, rel=1e-12, abs=1e-14)
        assert result.gap == pytest.approx(log_mean - mean_log, rel=1e-9)
        assert result.gap > 0


def test_jensen_gap_is_exactly_zero_only_for_a_constant():
    assert bounds.jensen_gap([3.7, 3.7, 3.7], [0.2, 0.3, 0.5]).gap == 0.0
    # Constant with probability 1: a value with probability 0 does not count.
    constant = bounds.jensen_gap([0.3, 3.7, 8.0], [0.0, 1.0, 0.0])
    assert constant.gap == 0.0 and constant.log_mean == pytest.approx(np.log(3.7), rel=1e-15)
    assert bounds.jensen_gap([3.7, 3.7 * (1 + 1e-9)], [0.5, 0.5]).gap > 0


def test_jensen_gap_is_accurate_for_a_nearly_constant_variable():
    # For a small spread the gap is Var[X] / (2 E[X]²) to leading order: 1.25e-13 here. Computed
    # naively as log E[X] − E[log X], both terms are ≈ log 1000 ≈ 6.9 and their rounding errors
    # (~1e-15) are percent-level errors in the answer.
    values, probs = 1000.0 * np.array([1 - 5e-7, 1 + 5e-7]), np.array([0.5, 0.5])
    assert bounds.jensen_gap(values, probs).gap == pytest.approx(0.5 * (5e-7) ** 2, rel=1e-3)


@pytest.mark.parametrize("values, probs, error, message", [
    ([1.0, 0.0], [0.5, 0.5], ValueError, r"values must be positive .* values\[1\] = 0.0"),
    ([1.0, -2.0], [0.5, 0.5], ValueError, r"values must be positive"),
    ([1.0, 2.0], [0.5, 0.6], ValueError, "probs must sum to 1"),
    ([1.0, 2.0], [1.5, -0.5], ValueError, "probs must be non-negative"),
    ([1.0, 2.0], [1.0], ValueError, r"probs has shape \(1,\) but values has shape \(2,\)"),
    ([[1.0, 2.0]], [[0.5, 0.5]], ValueError, "values must be 1-D"),
    ([1.0, np.nan], [0.5, 0.5], ValueError, "values must be finite"),
    ([], [], ValueError, "values is empty"),
    ("ab", [0.5, 0.5], TypeError, "values must be an array of numbers"),
])
def test_jensen_functions_reject_bad_input(values, probs, error, message):
    with pytest.raises(error, match=message):
        bounds.jensen_gap(values, probs)
    with pytest.raises(error, match=message):
        plotting.plot_jensen(values, probs)


def test_plot_jensen_draws_the_curve_the_points_and_the_gap():
    values, probs = np.array([0.5, 2.0, 6.0]), np.array([0.3, 0.5, 0.2])
    ax = plotting.plot_jensen(values, probs, ax=plt.figure().add_subplot())
    curve, gap = ax.lines[:2]
    x, y = curve.get_data()
    np.testing.assert_allclose(y, np.log(x), rtol=1e-15)
    assert x.min() <= values.min() and x.max() >= values.max() and x.min() > 0
    mean = probs @ values
    np.testing.assert_allclose(gap.get_xdata(), [mean, mean])
    np.testing.assert_allclose(gap.get_ydata(), [probs @ np.log(values), np.log(mean)],
                               rtol=1e-12)
    chords = ax.lines[2]
    np.testing.assert_allclose(chords.get_xdata(), np.sort(values))
    np.testing.assert_allclose(chords.get_ydata(), np.log(np.sort(values)))
    points = ax.collections[0]
    np.testing.assert_allclose(points.get_offsets(), np.column_stack([values, np.log(values)]))
    sizes = points.get_sizes()
    assert np.all(np.diff(sizes[np.argsort(probs)]) > 0)          # area grows with p_i
    legend = " ".join(text.get_text() for text in ax.get_legend().get_texts())
    assert f"{np.log(mean) - probs @ np.log(values):.4f}" in legend
    assert ax.get_xlabel() == "$x$" and ax.get_ylabel() == r"$\log x$"


def test_plot_jensen_rejects_a_bad_ax():
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes"):
        plotting.plot_jensen([1.0, 2.0], [0.5, 0.5], ax="axes")


# --------------------------------------------------------------------------------------------
# decomposition
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("problem", [one_d_problem, two_d_problem])
@pytest.mark.parametrize("zeros", [False, True])
def test_decomposition_matches_scipy_and_adds_up(problem, zeros):
    X, params = problem()
    rng = np.random.default_rng(5)
    for _ in range(5):
        q = random_q(rng, (X.shape[0], params.n_components), zeros=zeros)
        result = bounds.decomposition(X, params, q)
        log_p, elbo, kl, _ = reference_decomposition(X, params, q)
        assert result.log_likelihood == pytest.approx(log_p, rel=1e-12)
        assert result.elbo == pytest.approx(elbo, rel=1e-11)
        assert result.kl == pytest.approx(kl, rel=1e-10)
        # log p = L + KL, to 1e-10 (relative to the size of log p).
        assert abs(result.log_likelihood - result.elbo - result.kl) <= 1e-10 * abs(log_p)
        assert result.kl > 0 and result.elbo < result.log_likelihood


@pytest.mark.parametrize("problem", [one_d_problem, two_d_problem])
def test_kl_is_zero_and_the_bound_tight_at_the_posterior(problem):
    X, params = problem()
    *_, gamma = reference_decomposition(X, params, np.full((len(X), params.n_components), 0.5))
    result = bounds.decomposition(X, params, gamma)
    assert result.kl == pytest.approx(0.0, abs=1e-10)
    assert result.elbo == pytest.approx(result.log_likelihood, rel=1e-12)


def test_decomposition_of_one_point():
    X, params = one_d_problem()
    q = np.array([[0.9, 0.1]])
    result = bounds.decomposition(X[[3]], params, q)
    x = X[3, 0]
    log_joint = np.log(params.weights) + norm.logpdf(x, params.means[:, 0],
                                                     np.sqrt(params.covariances[:, 0, 0]))
    assert result.log_likelihood == pytest.approx(logsumexp(log_joint), rel=1e-13)
    assert result.elbo == pytest.approx(np.sum(q[0] * (log_joint - np.log(q[0]))), rel=1e-12)


def test_decomposition_rejects_bad_input():
    X, params = one_d_problem()
    q = np.full((len(X), 2), 0.5)
    with pytest.raises(ValueError, match=r"q has 3 columns but the mixture has 2 components"):
        bounds.decomposition(X, params, np.full((len(X), 3), 1 / 3))
    with pytest.raises(ValueError, match=r"q has 59 rows but X has 60 samples"):
        bounds.decomposition(X, params, q[1:])
    with pytest.raises(ValueError, match="q must be 2-D"):
        bounds.decomposition(X, params, [0.5, 0.5])
    with pytest.raises(ValueError, match=r"each row of q must sum to 1, but row \[0\]"):
        bounds.decomposition(X, params, np.vstack([[0.5, 0.6], q[1:]]))
    with pytest.raises(ValueError, match="q must be non-negative"):
        bounds.decomposition(X, params, np.vstack([[1.5, -0.5], q[1:]]))
    with pytest.raises(ValueError, match="q must be finite"):
        bounds.decomposition(X, params, np.vstack([[np.nan, 0.5], q[1:]]))
    with pytest.raises(ValueError, match=r"X must be 2-D.*reshape\(-1, 1\)"):
        bounds.decomposition(X[:, 0], params, q)
    with pytest.raises(ValueError, match="X has 2 features.*params.means has 1"):
        bounds.decomposition(np.zeros((60, 2)), params, q)
    with pytest.raises(TypeError, match="params must be a GaussianMixtureParams"):
        bounds.decomposition(X, {"weights": [0.5, 0.5]}, q)


# --------------------------------------------------------------------------------------------
# plot_elbo_for_point
# --------------------------------------------------------------------------------------------
def test_plot_elbo_for_point_draws_the_bound_the_evidence_and_the_kl_gap():
    X, params = one_d_problem()
    x, q0 = X[7, 0], 0.2
    ax = plotting.plot_elbo_for_point(x, params, q0, ax=plt.figure().add_subplot())
    log_joint = np.log(params.weights) + norm.logpdf(x, params.means[:, 0],
                                                     np.sqrt(params.covariances[:, 0, 0]))
    log_p = logsumexp(log_joint)
    gamma0 = np.exp(log_joint[0] - log_p)
    curve, evidence, gap = ax.lines[:3]
    grid, values = curve.get_data()
    family = np.column_stack([grid, 1 - grid])
    expected = np.sum(family * log_joint, axis=1) - np.sum(xlogy(family, family), axis=1)
    np.testing.assert_allclose(values, expected, rtol=1e-12)
    np.testing.assert_allclose(evidence.get_ydata(), log_p, rtol=1e-13)
    assert np.all(values <= log_p + 1e-12)                           # a lower bound
    assert abs(grid[np.argmax(values)] - gamma0) <= grid[1] - grid[0]   # tight at the posterior
    low, high = gap.get_ydata()
    kl = q0 * np.log(q0 / gamma0) + (1 - q0) * np.log((1 - q0) / (1 - gamma0))
    assert high - low == pytest.approx(kl, rel=1e-9)                  # the gap is the KL
    np.testing.assert_allclose(ax.collections[1].get_offsets(), [[gamma0, log_p]], rtol=1e-12)
    legend = " ".join(text.get_text() for text in ax.get_legend().get_texts())
    assert rf"$= \mathrm{{KL}}(q \,\|\, p(z \mid x, \theta))$ = {kl:.4f}" in legend
    assert ax.get_xlabel() == "$q_0 = q(z = 0)$" and ax.get_ylabel()


def test_plot_elbo_for_point_accepts_q0_at_the_ends_and_one_point_shapes():
    X, params = two_d_problem()
    two = GaussianMixtureParams(params.weights[:2] / params.weights[:2].sum(), params.means[:2],
                                params.covariances[:2])
    for x in (X[0], X[[0]]):
        for q0 in (0.0, 1.0):
            ax = plotting.plot_elbo_for_point(x, two, q0, ax=plt.figure().add_subplot())
            assert np.all(np.isfinite(ax.lines[0].get_ydata()))


@pytest.mark.parametrize("x, q0, error, message", [
    (0.0, 1.2, ValueError, "q0 .* must be <= 1"),
    (0.0, -0.1, ValueError, "q0 must be >= 0"),
    (0.0, "half", TypeError, "q0 must be a real number"),
    ([0.0, 1.0], 0.5, ValueError, "x has 2 features but params.means has 1"),
    ([[0.0], [1.0]], 0.5, ValueError, r"x must be one point.*\(2, 1\)"),
    (np.nan, 0.5, ValueError, "x must be finite"),
])
def test_plot_elbo_for_point_rejects_bad_input(x, q0, error, message):
    _, params = one_d_problem()
    with pytest.raises(error, match=message):
        plotting.plot_elbo_for_point(x, params, q0)


def test_plot_elbo_for_point_needs_two_components():
    _, params = two_d_problem()
    with pytest.raises(ValueError, match="params has 3 components.*exactly 2"):
        plotting.plot_elbo_for_point([0.0, 0.0], params, 0.5)
    with pytest.raises(ValueError, match="grid_size must be at least 2"):
        plotting.plot_elbo_for_point(0.0, one_d_problem()[1], 0.5, grid_size=1)


# --------------------------------------------------------------------------------------------
# bound_curves, plot_bound_curves
# --------------------------------------------------------------------------------------------
def with_mean(params, k, d, m):
    means = np.array(params.means)
    means[k, d] = m
    return GaussianMixtureParams(params.weights, means, params.covariances)


def reference_posterior(X, params):
    log_joint = reference_log_joint(X, params)
    return np.exp(log_joint - logsumexp(log_joint, axis=1, keepdims=True))


def reference_bound(X, params, k, d, q_t, m):
    """L(q_t, θ(m)) = Σ q_t [log p(x, z | θ(m)) − log q_t], from scipy."""
    log_joint = reference_log_joint(X, with_mean(params, k, d, m))
    return np.sum(q_t * log_joint) - np.sum(xlogy(q_t, q_t))


CASES = [(one_d_problem, 0, 0, 4.0), (two_d_problem, 1, 1, -1.0), (two_d_problem, 0, 0, 2.5)]


@pytest.mark.parametrize("problem, k, d, start", CASES)
def test_bound_curves_match_scipy_and_each_m_step_maximises_its_bound(problem, k, d, start):
    X, params = problem()
    params = with_mean(params, k, d, start)
    curves = bounds.bound_curves(X, params, component=k, feature=d, n_iter=4)
    assert curves.bounds.shape == (4, curves.grid.size) and curves.iterates.shape == (5,)
    assert (curves.component, curves.feature) == (k, d)
    assert curves.iterates[0] == start
    for i in (0, 100, 300):
        m = curves.grid[i]
        expected = reference_decomposition(X, with_mean(params, k, d, m), np.full(
            (len(X), params.n_components), 1 / params.n_components))[0]
        assert curves.log_likelihood[i] == pytest.approx(expected, rel=1e-12)
        q_2 = reference_posterior(X, with_mean(params, k, d, curves.iterates[2]))
        assert curves.bounds[2, i] == pytest.approx(reference_bound(X, params, k, d, q_2, m),
                                                    rel=1e-11)
    for t in range(4):
        m_t = curves.iterates[t]
        q_t = reference_posterior(X, with_mean(params, k, d, m_t))
        optimum = minimize_scalar(lambda m: -reference_bound(X, params, k, d, q_t, m),
                                  bracket=(m_t - 1.0, m_t + 1.0), tol=1e-10)
        assert curves.iterates[t + 1] == pytest.approx(optimum.x, abs=1e-6)
        assert curves.bound_at_next[t] == pytest.approx(-optimum.fun, rel=1e-12)
        assert curves.bound_at_next[t] >= curves.bounds[t].max() - 1e-9
        assert curves.iterate_log_likelihoods[t] == pytest.approx(
            gmm.log_likelihood(X, with_mean(params, k, d, m_t)), rel=1e-12)
    # EM on m never lowers log p, and here it climbs.
    assert np.all(np.diff(curves.iterate_log_likelihoods) >= 0)
    assert curves.iterate_log_likelihoods[-1] > curves.iterate_log_likelihoods[0] + 1e-3


@pytest.mark.parametrize("problem, k, d, start", CASES)
def test_each_bound_touches_log_p_at_its_iterate_with_the_same_slope(problem, k, d, start):
    X, params = problem()
    params = with_mean(params, k, d, start)
    iterates = bounds.bound_curves(X, params, component=k, feature=d, n_iter=4).iterates
    h = 1e-4
    grid = np.concatenate([[m - h, m, m + h] for m in iterates[:4]])
    curves = bounds.bound_curves(X, params, component=k, feature=d, n_iter=4, grid=grid)
    np.testing.assert_array_equal(curves.iterates, iterates)
    for t in range(4):
        below, at, above = 3 * t, 3 * t + 1, 3 * t + 2
        bound, log_p = curves.bounds[t], curves.log_likelihood
        assert bound[at] == pytest.approx(log_p[at], rel=1e-12)                 # same value
        slope_bound = (bound[above] - bound[below]) / (2 * h)
        slope_log_p = (log_p[above] - log_p[below]) / (2 * h)
        assert abs(slope_log_p) > 1e-2                                          # not trivially 0
        assert slope_bound == pytest.approx(slope_log_p, rel=1e-5, abs=1e-6)    # same slope
        assert bound[below] < log_p[below] and bound[above] < log_p[above]


@pytest.mark.parametrize("problem, k, d, start", CASES)
def test_each_bound_lies_below_log_p_elsewhere(problem, k, d, start):
    X, params = problem()
    params = with_mean(params, k, d, start)
    curves = bounds.bound_curves(X, params, component=k, feature=d, n_iter=4)
    for t in range(4):
        gap = curves.log_likelihood - curves.bounds[t]
        assert np.all(gap >= -1e-9 * np.abs(curves.log_likelihood))
        away = np.abs(curves.grid - curves.iterates[t]) > 0.05
        assert np.all(gap[away] > 0)


def test_bound_curves_default_grid_spans_the_data_and_iterates():
    X, params = one_d_problem()
    curves = bounds.bound_curves(X, with_mean(params, 0, 0, 8.0), n_iter=3)
    assert curves.grid.size == 301 and np.all(np.diff(curves.grid) > 0)
    assert curves.grid.min() < X.min() and curves.grid.max() > 8.0


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(component=2), ValueError, r"component must be at most 1 \(params has 2 components\)"),
    (dict(component=-1), ValueError, "component must be at least 0"),
    (dict(feature=1), ValueError, r"feature must be at most 0 \(params has 1 features\)"),
    (dict(n_iter=0), ValueError, "n_iter must be at least 1"),
    (dict(n_iter=2.5), TypeError, "n_iter must be an integer"),
    (dict(grid=[1.0]), ValueError, "grid is empty|grid .*at least 2"),
    (dict(grid=[[0.0, 1.0]]), ValueError, "grid must be 1-D"),
    (dict(grid=[0.0, np.inf]), ValueError, "grid must be finite"),
])
def test_bound_curves_rejects_bad_input(kwargs, error, message):
    X, params = one_d_problem()
    with pytest.raises(error, match=message):
        bounds.bound_curves(X, params, **kwargs)


def test_bound_curves_rejects_an_empty_component_and_bad_data():
    X, params = one_d_problem()
    empty = GaussianMixtureParams([1.0, 0.0], params.means, params.covariances)
    with pytest.raises(ValueError, match="component 1 has weight 0"):
        bounds.bound_curves(X, empty, component=1)
    with pytest.raises(ValueError, match="X has 2 features"):
        bounds.bound_curves(np.zeros((5, 2)), params)


def test_plot_bound_curves_draws_step_t():
    X, params = one_d_problem()
    curves = bounds.bound_curves(X, with_mean(params, 0, 0, 4.0), n_iter=4)
    ax = plotting.plot_bound_curves(curves, t=2, ax=plt.figure().add_subplot())
    log_p, earlier_0, earlier_1, bound = ax.lines[:4]
    np.testing.assert_array_equal(log_p.get_ydata(), curves.log_likelihood)
    np.testing.assert_array_equal(earlier_1.get_ydata(), curves.bounds[1])
    np.testing.assert_array_equal(bound.get_ydata(), curves.bounds[2])
    touch, top, next_log_p = (c.get_offsets()[0] for c in ax.collections)
    np.testing.assert_allclose(touch, [curves.iterates[2], curves.iterate_log_likelihoods[2]])
    np.testing.assert_allclose(top, [curves.iterates[3], curves.bound_at_next[2]])
    np.testing.assert_allclose(next_log_p, [curves.iterates[3], curves.iterate_log_likelihoods[3]])
    assert next_log_p[1] - touch[1] >= top[1] - touch[1]      # log p rose at least as much as L
    assert r"$\mu_{0,0}$" in ax.get_xlabel() and ax.get_ylabel() and ax.get_legend() is not None
    plain = plotting.plot_bound_curves(curves, t=2, ax=plt.figure().add_subplot(),
                                     show_previous=False)
    np.testing.assert_array_equal(plain.lines[1].get_ydata(), curves.bounds[2])


def test_plot_bound_curves_rejects_bad_input():
    X, params = one_d_problem()
    curves = bounds.bound_curves(X, params, n_iter=2)
    with pytest.raises(ValueError, match=r"t must be at most 1 \(curves has 2 EM steps\)"):
        plotting.plot_bound_curves(curves, t=2)
    with pytest.raises(TypeError, match="curves must be a BoundCurves"):
        plotting.plot_bound_curves(tuple(curves), t=0)
    with pytest.raises(TypeError, match="show_previous must be True or False"):
        plotting.plot_bound_curves(curves, t=0, show_previous="yes")
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes"):
        plotting.plot_bound_curves(curves, t=0, ax=3)


# --------------------------------------------------------------------------------------------
# em_half_steps, plot_half_steps
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("problem", [one_d_problem, two_d_problem])
def test_half_steps_follow_em_and_its_theorem(problem):
    X, params = problem()
    start = gmm.init_params(X, params.n_components, random_state=0)
    steps = bounds.em_half_steps(X, start, n_iter=4)
    assert steps.labels == ["start", "E1", "M1", "E2", "M2", "E3", "M3", "E4", "M4"]
    # The start state is uniform q: L against scipy.
    uniform = np.full((len(X), params.n_components), 1 / params.n_components)
    log_p, elbo, kl, _ = reference_decomposition(X, start, uniform)
    assert (steps.log_likelihood[0], steps.elbo[0], steps.kl[0]) == pytest.approx(
        (log_p, elbo, kl), rel=1e-11)
    # log p at the M-states is EM's log-likelihood sequence, from fit with the exact M-step.
    reference = gmm.fit(X, params.n_components, init=start, max_iter=4, tol=0.0, reg_covar=0.0)
    np.testing.assert_allclose(steps.log_likelihood[2::2], reference.log_likelihoods[1:],
                               rtol=1e-11)
    np.testing.assert_allclose(steps.log_likelihood,
                               steps.elbo + steps.kl, rtol=1e-12)                # log p = L + KL
    np.testing.assert_allclose(steps.kl[1::2], 0.0, atol=1e-10)                  # E: KL = 0
    np.testing.assert_allclose(steps.log_likelihood[1::2], steps.log_likelihood[0:-1:2])
    rise_l = steps.elbo[2::2] - steps.elbo[1::2]                                 # M: L rises ...
    rise_log_p = steps.log_likelihood[2::2] - steps.log_likelihood[1::2]
    assert np.all(rise_l > 0) and np.all(rise_log_p >= rise_l - 1e-9)            # ... log p more
    assert len(steps.params) == 9 and steps.params[1] is start
    assert gmm.log_likelihood(X, steps.params[-1]) == pytest.approx(steps.log_likelihood[-1],
                                                                    rel=1e-12)


def test_half_steps_start_from_a_given_q():
    X, params = one_d_problem()
    q = random_q(np.random.default_rng(2), (len(X), 2))
    steps = bounds.em_half_steps(X, params, q, n_iter=1, reg_covar=1e-6)
    assert steps.elbo[0] == pytest.approx(reference_decomposition(X, params, q)[1], rel=1e-12)


def test_em_half_steps_rejects_bad_input():
    X, params = one_d_problem()
    with pytest.raises(ValueError, match=r"q has 3 columns but the mixture has 2 components"):
        bounds.em_half_steps(X, params, np.full((60, 3), 1 / 3))
    with pytest.raises(ValueError, match="n_iter must be at least 1"):
        bounds.em_half_steps(X, params, n_iter=0)
    with pytest.raises(ValueError, match="reg_covar must be >= 0"):
        bounds.em_half_steps(X, params, reg_covar=-1.0)
    with pytest.raises(TypeError, match="params must be a GaussianMixtureParams"):
        bounds.em_half_steps(X, None)


def test_plot_half_steps_draws_log_p_l_and_the_gaps():
    X, params = one_d_problem()
    steps = bounds.em_half_steps(X, params, n_iter=2)
    ax = plotting.plot_half_steps(steps, ax=plt.figure().add_subplot())
    log_p, elbo, *gaps = ax.lines
    np.testing.assert_array_equal(log_p.get_ydata(), steps.log_likelihood)
    np.testing.assert_array_equal(elbo.get_ydata(), steps.elbo)
    assert len(gaps) == 5
    for s, gap in enumerate(gaps):
        low, high = gap.get_ydata()
        assert high - low == pytest.approx(steps.kl[s], rel=1e-6, abs=1e-9)
    assert [label.get_text() for label in ax.get_xticklabels()] == steps.labels
    assert ax.get_ylabel() and ax.get_legend() is not None
    with pytest.raises(TypeError, match="half_steps must be a HalfSteps"):
        plotting.plot_half_steps(tuple(steps))
