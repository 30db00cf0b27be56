"""Tests for emlib.maxent: Jaynes' published dice answer, independent solves (a root of the dual
equation, SLSQP over p), random feasible problems, the convex-hull checks, the log-partition
function and the dice widget."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from scipy.linalg import null_space  # noqa: E402
from scipy.optimize import brentq, minimize  # noqa: E402
from scipy.special import entr  # noqa: E402

from emlib import maxent, plotting  # noqa: E402

FACES = np.arange(1.0, 7.0)
# Jaynes' Brandeis dice problem, mean 4.5 (Jaynes 1982, Proc. IEEE 70, 939-952), to 5 decimals.
PUBLISHED_P = np.array([0.05435, 0.07877, 0.11416, 0.16545, 0.23977, 0.34749])
PUBLISHED_LAMBDA = 0.37105
PUBLISHED_ENTROPY = 1.61358


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def dice_lambda_by_root(mean, faces=FACES):
    """The dual's one equation Σ s e^{λs} / Σ e^{λs} = mean, solved by bracketing (brentq)."""
    def mean_minus_target(lam):
        w = np.exp(lam * (faces - faces.max()))
        return w @ faces / w.sum() - mean
    return brentq(mean_minus_target, -50.0, 50.0, xtol=1e-14, rtol=1e-15)


def slsqp_max_entropy(features, moments):
    """Maximise H[p] directly over p with a constrained optimiser (no duality involved)."""
    n_support = features.shape[0]
    constraints = [{"type": "eq", "fun": lambda p: p.sum() - 1.0, "jac": lambda p: np.ones_like(p)},
                   {"type": "eq", "fun": lambda p: p @ features - moments,
                    "jac": lambda p: features.T}]
    result = minimize(lambda p: -entr(p).sum(), np.full(n_support, 1.0 / n_support),
                      jac=lambda p: np.log(np.maximum(p, 1e-300)) + 1.0, method="SLSQP",
                      bounds=[(1e-12, 1.0)] * n_support, constraints=constraints,
                      options={"ftol": 1e-15, "maxiter": 500})
    assert result.success, result.message
    return result.x


def random_feasible_problem(rng):
    n_support = int(rng.integers(5, 25))
    n_features = int(rng.integers(1, 4))
    features = rng.normal(scale=rng.uniform(0.5, 3.0), size=(n_support, n_features))
    q = rng.dirichlet(np.full(n_support, 0.7))               # q > 0: moments strictly inside
    return features, q @ features


# ------------------------------------------------------------------------------ Jaynes' dice
def test_dice_matches_the_published_answer():
    result = maxent.max_entropy_distribution(FACES[:, None], [4.5])
    np.testing.assert_allclose(result.p, PUBLISHED_P, atol=5e-6)
    assert result.natural_params.shape == (1,)
    assert result.natural_params[0] == pytest.approx(PUBLISHED_LAMBDA, abs=5e-6)
    assert result.entropy == pytest.approx(PUBLISHED_ENTROPY, abs=5e-6)
    assert result.p @ FACES == pytest.approx(4.5, abs=1e-12)


def test_dice_matches_a_root_of_the_dual_equation_and_slsqp_over_p():
    result = maxent.dice_max_entropy(4.5)
    lam = dice_lambda_by_root(4.5)
    assert result.natural_params[0] == pytest.approx(lam, abs=1e-11)
    np.testing.assert_allclose(result.p, np.exp(lam * FACES) / np.exp(lam * FACES).sum(),
                               rtol=1e-10)
    np.testing.assert_allclose(result.p, slsqp_max_entropy(FACES[:, None], np.array([4.5])),
                               atol=1e-6)


def test_dice_log_partition_and_strong_duality():
    result = maxent.dice_max_entropy(4.5)
    lam = result.natural_params[0]
    assert result.log_partition == pytest.approx(np.log(np.exp(lam * FACES).sum()), rel=1e-13)
    # H[p] = A(λ) − λᵀm at the optimum, and H is computed from p independently.
    assert result.entropy == pytest.approx(result.log_partition - lam * 4.5, abs=1e-12)
    assert result.entropy == pytest.approx(-(result.p * np.log(result.p)).sum(), rel=1e-13)


@pytest.mark.parametrize("mean", [1.001, 2.0, 3.5, 5.0, 5.9999999])
def test_dice_other_means_including_near_the_ends(mean):
    result = maxent.dice_max_entropy(mean)
    assert result.p @ FACES == pytest.approx(mean, abs=1e-10)
    assert result.natural_params[0] == pytest.approx(dice_lambda_by_root(mean), abs=1e-8)
    if mean == 3.5:
        np.testing.assert_allclose(result.p, 1 / 6, rtol=1e-14)
        assert result.entropy == pytest.approx(np.log(6), rel=1e-14)


def test_dice_with_other_numbers_of_faces():
    result = maxent.dice_max_entropy(1.5, n_faces=2)
    np.testing.assert_allclose(result.p, [0.5, 0.5], rtol=1e-14)
    faces = np.arange(1.0, 11.0)
    result = maxent.dice_max_entropy(7.0, n_faces=10)
    assert result.natural_params[0] == pytest.approx(dice_lambda_by_root(7.0, faces), abs=1e-10)


# ------------------------------------------------------------------------- random problems
@pytest.mark.parametrize("seed", range(6))
def test_random_feasible_problems_meet_the_moments_with_the_largest_entropy(seed):
    rng = np.random.default_rng(seed)
    features, moments = random_feasible_problem(rng)
    result = maxent.max_entropy_distribution(features, moments)
    p = result.p
    np.testing.assert_allclose(p @ features, moments, rtol=0, atol=1e-8)
    assert np.all(p > 0) and p.sum() == pytest.approx(1.0, abs=1e-14)
    np.testing.assert_allclose(maxent.exp_family_pmf(result.natural_params, features), p,
                               rtol=1e-12)
    # No feasible perturbation raises the entropy: directions in the null space of the
    # constraint matrix [1ᵀ; featuresᵀ], steps that keep p >= 0.
    directions = null_space(np.vstack([np.ones(len(p)), features.T]))
    for _ in range(200):
        d = directions @ rng.normal(size=directions.shape[1])
        shrinking = d < 0
        longest = np.min(-p[shrinking] / d[shrinking])
        q = p + rng.uniform(1e-3, 1.0) * longest * d
        assert np.all(q >= -1e-15)
        np.testing.assert_allclose(q @ features, moments, atol=1e-8)
        assert entr(np.maximum(q, 0)).sum() <= result.entropy + 1e-12
    # Independent characterisation: log p is affine in the features (the KKT conditions).
    design = np.column_stack([np.ones(len(p)), features])
    coef, *_ = np.linalg.lstsq(design, np.log(p), rcond=None)
    np.testing.assert_allclose(design @ coef, np.log(p), atol=1e-9)


def test_random_problem_matches_slsqp_over_p():
    rng = np.random.default_rng(11)
    features = rng.normal(size=(8, 2))
    moments = rng.dirichlet(np.ones(8)) @ features
    result = maxent.max_entropy_distribution(features, moments)
    np.testing.assert_allclose(result.p, slsqp_max_entropy(features, moments), atol=1e-6)


def test_scaling_and_shifting_features_changes_lambda_not_p():
    rng = np.random.default_rng(5)
    features, moments = random_feasible_problem(rng)
    base = maxent.max_entropy_distribution(features, moments)
    scale, shift = 1e5, -3e6
    moved = maxent.max_entropy_distribution(scale * features + shift, scale * moments + shift)
    np.testing.assert_allclose(moved.p, base.p, rtol=1e-8)
    np.testing.assert_allclose(moved.natural_params * scale, base.natural_params, rtol=1e-7)


def test_constant_and_linearly_dependent_features():
    x = np.array([0.0, 1.0, 2.0, 3.0])
    alone = maxent.max_entropy_distribution(x[:, None], [1.2])
    extra = np.column_stack([x, np.ones(4), 2 * x + 1])     # constant and affine copies
    result = maxent.max_entropy_distribution(extra, [1.2, 1.0, 3.4])
    np.testing.assert_allclose(result.p, alone.p, rtol=1e-10)
    np.testing.assert_allclose(maxent.exp_family_pmf(result.natural_params, extra), result.p,
                               rtol=1e-10)
    assert result.natural_params[1] == 0.0                  # the constant column's λ
    uniform = maxent.max_entropy_distribution(np.ones((3, 1)), [1.0])
    np.testing.assert_allclose(uniform.p, 1 / 3, rtol=1e-15)


def test_gaussian_on_a_grid_has_the_gaussian_natural_parameters():
    x = np.linspace(-15.0, 15.0, 3001)
    mu, sigma = 1.0, 1.5
    result = maxent.max_entropy_distribution(np.column_stack([x, x**2]), [mu, sigma**2 + mu**2])
    np.testing.assert_allclose(result.natural_params, [mu / sigma**2, -0.5 / sigma**2],
                               rtol=1e-9)


# ------------------------------------------------------------------ outside / on the hull
@pytest.mark.parametrize("features, moments, match", [
    (FACES[:, None], [7.0], r"outside \[1, 6\]"),
    (FACES[:, None], [0.5], r"outside \[1, 6\]"),
    # Each target within its own feature's range, but not jointly: E[x²] < E[x]².
    (np.column_stack([[0.0, 1.0, 2.0], [0.0, 1.0, 4.0]]), [1.0, 0.9], "outside the convex hull"),
    (np.column_stack([[0.0, 1.0, 2.0], [0.0, 1.0, 4.0]]), [1.0, 3.0], "outside the convex hull"),
    (np.column_stack([FACES, np.full(6, 2.0)]), [3.0, 2.5], "single value 2"),
])
def test_targets_outside_the_hull_raise(features, moments, match):
    with pytest.raises(ValueError, match=match):
        maxent.max_entropy_distribution(features, moments)


@pytest.mark.parametrize("features, moments", [
    (FACES[:, None], [6.0]),
    (FACES[:, None], [1.0]),
    # On an edge of the triangle (0,0), (1,1), (2,4) without touching a feature's range end.
    (np.column_stack([[0.0, 1.0, 2.0], [0.0, 1.0, 4.0]]), [0.5, 0.5]),
    (np.column_stack([[0.0, 1.0, 2.0], [0.0, 1.0, 4.0]]), [1.9, 3.7]),
    (np.column_stack([[0.0, 1.0, 2.0], [0.0, 1.0, 4.0]]), [1.0, 1.0]),
])
def test_targets_on_the_boundary_raise_and_explain(features, moments):
    with pytest.raises(ValueError, match="boundary") as info:
        maxent.max_entropy_distribution(features, moments)
    assert "∞" in str(info.value) and "probability 0" in str(info.value)


def test_just_inside_the_boundary_is_solved():
    features = np.column_stack([[0.0, 1.0, 2.0], [0.0, 1.0, 4.0]])
    moments = np.array([1.9, 3.7 + 1e-6])
    result = maxent.max_entropy_distribution(features, moments)
    np.testing.assert_allclose(result.p @ features, moments, atol=1e-10)


# ------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize("features, moments, error, match", [
    (FACES, [4.5], ValueError, r"reshape\(-1, 1\)"),
    (np.ones((2, 3, 1)), [1.0], ValueError, "must be 2-D"),
    (FACES[:, None], 4.5, ValueError, r"moments has shape \(\)"),
    (FACES[:, None], [4.5, 1.0], ValueError, r"must have shape \(1,\)"),
    (np.column_stack([FACES, FACES**2]), [4.5], ValueError, r"must have shape \(2,\)"),
    (np.array([[1.0], [np.nan]]), [0.5], ValueError, "features must be finite"),
    (FACES[:, None], [np.inf], ValueError, "moments must be finite"),
    (np.empty((0, 1)), [0.0], ValueError, "features is empty"),
    ("dice", [4.5], TypeError, "features must be an array"),
    (FACES[:, None], None, TypeError, "moments must be an array"),
])
def test_bad_input_raises(features, moments, error, match):
    with pytest.raises(error, match=match):
        maxent.max_entropy_distribution(features, moments)


@pytest.mark.parametrize("function", [maxent.exp_family_pmf, maxent.log_partition,
                                      maxent.log_partition_gradient, maxent.log_partition_hessian])
def test_log_partition_functions_check_their_input(function):
    features = np.ones((4, 2))
    with pytest.raises(ValueError, match=r"natural_params must have shape \(2,\)"):
        function(np.zeros(3), features)
    with pytest.raises(ValueError, match="natural_params must be finite"):
        function([np.nan, 0.0], features)
    with pytest.raises(ValueError, match=r"reshape\(-1, 1\)"):
        function([0.0], np.ones(4))


@pytest.mark.parametrize("mean, n_faces, error", [
    (6.0, 6, ValueError), (1.0, 6, ValueError), (7.0, 6, ValueError), (np.nan, 6, ValueError),
    ("4.5", 6, TypeError), (1.5, 1, ValueError), (1.5, 2.0, TypeError),
])
def test_dice_bad_input(mean, n_faces, error):
    with pytest.raises(error):
        maxent.dice_max_entropy(mean, n_faces)


# ---------------------------------------------------------------- the log-partition function
def test_gradient_of_log_partition_is_the_mean_by_finite_differences():
    rng = np.random.default_rng(3)
    features = rng.normal(size=(7, 3))
    theta = rng.normal(size=3)
    h = 1e-6
    steps = h * np.eye(3)
    numeric = np.array([(maxent.log_partition(theta + e, features)
                         - maxent.log_partition(theta - e, features)) / (2 * h) for e in steps])
    gradient = maxent.log_partition_gradient(theta, features)
    np.testing.assert_allclose(gradient, numeric, rtol=1e-7, atol=1e-9)
    p = np.exp(features @ theta) / np.exp(features @ theta).sum()
    np.testing.assert_allclose(gradient, p @ features, rtol=1e-13)          # E_θ[φ]
    numeric_hessian = np.array([(maxent.log_partition_gradient(theta + e, features)
                                 - maxent.log_partition_gradient(theta - e, features)) / (2 * h)
                                for e in steps])
    hessian = maxent.log_partition_hessian(theta, features)
    np.testing.assert_allclose(hessian, numeric_hessian, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(hessian, np.cov(features.T, aweights=p, bias=True), rtol=1e-12)
    assert np.all(np.linalg.eigvalsh(hessian) > 0)                          # A is convex


def test_log_partition_is_stable_for_huge_natural_parameters():
    features = FACES[:, None]
    value = maxent.log_partition([1000.0], features)
    assert value == pytest.approx(6000.0 + np.log(np.exp(-1000.0 * np.arange(6)).sum()), rel=1e-15)
    p = maxent.exp_family_pmf([-1000.0], features)
    assert p[0] == pytest.approx(1.0, abs=1e-300) and p.sum() == pytest.approx(1.0)
    assert maxent.log_partition_gradient([-1000.0], features)[0] == pytest.approx(1.0)
    assert maxent.log_partition([0.0], features) == pytest.approx(np.log(6.0), rel=1e-15)


# ---------------------------------------------------------------------- the dice widget
def test_widget_draws_the_max_entropy_die():
    ax = plotting.plot_dice_max_entropy(4.5, ax=plt.figure().add_subplot())
    heights = [bar.get_height() for bar in ax.patches]
    np.testing.assert_allclose(heights, maxent.dice_max_entropy(4.5).p, rtol=1e-14)
    np.testing.assert_allclose([bar.get_x() + bar.get_width() / 2 for bar in ax.patches], FACES)
    uniform, target = ax.lines
    np.testing.assert_allclose(uniform.get_ydata(), 1 / 6)
    np.testing.assert_allclose(target.get_xdata(), 4.5)
    assert ax.get_ylim() == (0.0, 1.0)
    assert "λ = 0.371" in ax.get_title() and "H = 1.614" in ax.get_title()
    assert ax.get_xlabel() == "face s" and ax.get_ylabel() == "probability $p_s$"
    assert ax.get_legend() is not None


def test_widget_at_the_fair_mean_is_uniform_and_uses_the_current_axes():
    ax = plotting.plot_dice_max_entropy(3.5, n_faces=6)
    assert ax is plt.gca()
    np.testing.assert_allclose([bar.get_height() for bar in ax.patches], 1 / 6, rtol=1e-14)
    assert "λ = 0.000" in ax.get_title()
    ax = plotting.plot_dice_max_entropy(2.0, ax=plt.figure().add_subplot(), n_faces=4)
    assert len(ax.patches) == 4
    assert np.argmax([bar.get_height() for bar in ax.patches]) == 0    # tilted to the low faces


def test_widget_bad_input():
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes"):
        plotting.plot_dice_max_entropy(4.5, ax="axes")
    with pytest.raises(ValueError, match="strictly between 1 and n_faces"):
        plotting.plot_dice_max_entropy(6.0)


# --------------------------------------------------------------------------------------------
# Bad dtypes: strings, complex numbers, booleans, dates, objects and masked arrays
# --------------------------------------------------------------------------------------------
_FACES = np.arange(1.0, 7.0)[:, None]
_BAD_DTYPES = {
    "strings": lambda a: np.asarray(a).astype(str),
    "complex": lambda a: np.asarray(a, dtype=complex),
    "booleans": lambda a: np.asarray(a) > 2,
    "dates": lambda a: np.full(np.shape(a), np.datetime64("2024-01-01")),
    "masked": lambda a: np.ma.masked_array(a, mask=np.zeros(np.shape(a), bool)),
}


@pytest.mark.parametrize("kind", sorted(_BAD_DTYPES))
@pytest.mark.parametrize("function, argument", [
    (maxent.max_entropy_distribution, "features"), (maxent.max_entropy_distribution, "moments"),
    (maxent.exp_family_pmf, "natural_params"), (maxent.exp_family_pmf, "features"),
    (maxent.log_partition, "natural_params"), (maxent.log_partition_gradient, "features"),
    (maxent.log_partition_hessian, "natural_params")])
def test_bad_dtypes_are_rejected_naming_the_argument(function, argument, kind):
    valid = ({"features": _FACES, "moments": [4.5]} if function is maxent.max_entropy_distribution
             else {"features": _FACES, "natural_params": [0.37]})
    valid[argument] = _BAD_DTYPES[kind](valid[argument])
    with pytest.raises(TypeError, match=rf"^{argument} "):
        function(**valid)


@pytest.mark.parametrize("mean, n_faces, argument", [
    (True, 6, "mean"), ("4.5", 6, "mean"), (4.5 + 0j, 6, "mean"), (4.5, True, "n_faces"),
    (4.5, 6.0, "n_faces")])
def test_dice_rejects_bad_scalars(mean, n_faces, argument):
    with pytest.raises(TypeError, match=argument):
        maxent.dice_max_entropy(mean, n_faces)


# --------------------------------------------------------------------------------------------
# Finite but huge (or tiny) values: a correct finite answer, or an error that says why
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("theta", [1e308, -1e308, 1.7976931348623157e308, 1e200])
def test_the_family_at_huge_natural_parameters_is_a_point_mass(theta):
    # p ∝ exp(θ s): all mass on the largest face for θ > 0, on the smallest for θ < 0 (once NaN).
    p = maxent.exp_family_pmf([theta], _FACES)
    np.testing.assert_array_equal(p, np.eye(6)[5 if theta > 0 else 0])
    np.testing.assert_array_equal(maxent.log_partition_gradient([theta], _FACES),
                                  [6.0 if theta > 0 else 1.0])
    np.testing.assert_array_equal(maxent.log_partition_hessian([theta], _FACES), [[0.0]])


def test_log_partition_is_exact_when_finite_and_an_error_beyond_float64():
    # A(θ) = max θ s + log Σ exp(θ(s − max)); at θ = 1e300 that is 6e300 + log 1.
    assert maxent.log_partition([1e300], _FACES) == 6e300
    assert maxent.log_partition([-1e300], _FACES) == -1e300
    with pytest.raises(ValueError, match="beyond float64's range: natural_params times features"):
        maxent.log_partition([1e308], _FACES)


@pytest.mark.parametrize("scale", [1e-300, 2.0**-1000, 1e200, 1.7e308 / 6])
def test_functions_of_scaled_features_match_the_unscaled_ones(scale):
    # θᵀ(c f) = (cθ)ᵀf: the same distribution.
    p = maxent.exp_family_pmf([0.37 / scale], _FACES * scale)
    np.testing.assert_allclose(p, maxent.exp_family_pmf([0.37], _FACES), rtol=1e-12)
    gradient = maxent.log_partition_gradient([0.37 / scale], _FACES * scale)
    np.testing.assert_allclose(gradient / scale, maxent.log_partition_gradient([0.37], _FACES),
                               rtol=1e-12)


def test_a_covariance_beyond_float64_is_an_error():
    with pytest.raises(ValueError, match="covariance of the features .* exceeds float64"):
        maxent.log_partition_hessian([0.0], _FACES * 1e300)
    np.testing.assert_allclose(maxent.log_partition_hessian([0.0], _FACES * 1e150),
                               [[35 / 12 * 1e300]], rtol=1e-12)


@pytest.mark.parametrize("scale", [1e-300, 1e300, 1.7e308 / 6])
def test_max_entropy_on_features_near_the_ends_of_the_float_range(scale):
    # Once: the uniform distribution for features near 1e308, a target it does not meet.
    reference = maxent.dice_max_entropy(4.5)
    result = maxent.max_entropy_distribution(_FACES * scale, [4.5 * scale])
    np.testing.assert_allclose(result.p, reference.p, rtol=1e-9)
    assert result.p @ (_FACES[:, 0] * scale) == pytest.approx(4.5 * scale, rel=1e-9)
    np.testing.assert_allclose(result.natural_params * scale, reference.natural_params, rtol=1e-9)
    assert result.log_partition == pytest.approx(reference.log_partition, rel=1e-9)


def test_max_entropy_with_columns_near_both_ends_at_once():
    features = np.column_stack([_FACES[:, 0] * 1e300, -_FACES[:, 0] * 1e-300])
    result = maxent.max_entropy_distribution(features, [4.5e300, -4.5e-300])
    np.testing.assert_allclose(result.p, maxent.dice_max_entropy(4.5).p, rtol=1e-9)


def test_a_constant_tiny_feature_and_another_target_is_infeasible():
    # 1e-300 and 2e-300 differ (relative to their size): once accepted as equal.
    with pytest.raises(ValueError, match=r"single value 1e-300 at every support point"):
        maxent.max_entropy_distribution(np.full((6, 1), 1e-300), [2e-300])


# --------------------------------------------------------------------------------------------
# Absurd sizes: said before allocating, not numpy's MemoryError
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n_faces", [10**15, 2**63, 10**30])
def test_a_die_with_absurdly_many_faces_says_what_is_too_large(n_faces):
    with pytest.raises(ValueError, match=r"^n_faces is too large: a die with .* faces would need "
                                         r".* of memory, more than this machine has"):
        maxent.dice_max_entropy(4.5, n_faces)
