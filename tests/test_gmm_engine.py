"""fit's engine (GaussianMixtureModel) against the readable computation, and the statistics seam.

The engine computes the E-step's statistics block by block, through quadratic features or the
Cholesky form; the readable reference is ``e_step`` followed by ``expected_statistics``. The
statistics must be additive over blocks of rows (incremental, stepwise and distributed EM rely on
it), and the M-step must need nothing but them.
"""

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from emlib import em, gmm
from emlib.gmm import GaussianMixtureModel, GaussianMixtureParams, GaussianMixtureStatistics

from test_gmm import (assert_same_params, clusters, far_tight_data,  # noqa: F401 (form: fixture)
                      form, random_params)


def reference_statistics(X, params, reference):
    """The readable E-step: responsibilities from e_step, statistics from expected_statistics."""
    resp, total = gmm.e_step(X, params)
    return gmm.expected_statistics(X, resp, reference=reference), total


def assert_same_statistics(actual, expected, rtol=1e-10):
    np.testing.assert_array_equal(actual.reference, expected.reference)
    n = expected.counts.sum()
    np.testing.assert_allclose(actual.counts, expected.counts, rtol=rtol, atol=rtol * n)
    # Each component's errors relative to its own size: |T_k| for the outer products, and the
    # Cauchy–Schwarz bound sqrt(N_k |T_k|) >= |s_k| for the sums (s_k ≈ 0 about the mean).
    size = np.abs(expected.outer).reshape(expected.n_components, -1).max(axis=1)
    for name, scale in [("sums", np.sqrt(expected.counts * size)), ("outer", size)]:
        a, b = getattr(actual, name), getattr(expected, name)
        error = np.abs(a - b).reshape(b.shape[0], -1).max(axis=1)
        assert np.all(error <= rtol * scale), f"{name}: relative differences {error / scale}"


# ------------------------------------------------------------------ engine = reference computation
@pytest.mark.parametrize("n_features", [1, 3, 7])
def test_engine_equals_the_readable_e_step_and_expected_statistics(form, n_features):
    rng = np.random.default_rng(n_features)
    X = clusters(rng, 700, n_features, 4)
    params = gmm.init_params(X, 4, random_state=0)
    model = GaussianMixtureModel(X)
    statistics, objective = model.e_step(params)
    expected, total = reference_statistics(X, params, model.reference)
    assert_same_statistics(statistics, expected)
    assert objective == pytest.approx(total, rel=1e-12)
    assert model.objective_name == "log_likelihood" and model.n_items == 700.0


def test_engine_equals_reference_with_far_tight_empty_and_extreme_rows(form):
    """All three repairs at once: a tight cluster far from the data mean (its statistics about
    μ_k^(t)), an empty component, and rows thousands of σ from every component."""
    rng = np.random.default_rng(3)
    X = np.vstack([far_tight_data(rng), [[1e6, -1e6], [-1e5, 3e5]]])
    start = gmm.init_params(X[:-2], 3, random_state=0, reg_covar=1e-10)
    params = GaussianMixtureParams(np.append(start.weights, 0.0), np.vstack([start.means, [0, 0]]),
                                   np.vstack([start.covariances, np.eye(2)[None]]))
    model = GaussianMixtureModel(X)
    statistics, objective = model.e_step(params)
    recentred = ~np.all(statistics.reference == model.reference, axis=1)
    assert recentred.any(), "the tight far cluster should be accumulated about its own mean"
    np.testing.assert_allclose(statistics.reference[recentred], params.means[recentred], rtol=1e-15)
    expected, total = reference_statistics(X, params, statistics.reference)
    assert_same_statistics(statistics, expected)
    assert statistics.counts[3] == 0.0
    assert objective == pytest.approx(total, rel=1e-12)


def test_engine_check_fails_on_a_wrong_engine(monkeypatch):
    """The comparison above can fail: a feature engine that forgets the off-diagonal's factor 2
    (−½Λ_ij on every quadratic feature) gives different statistics."""
    rng = np.random.default_rng(4)
    X = clusters(rng, 300, 3, 2)
    params = gmm.init_params(X, 2, random_state=0)
    right = gmm._natural_parameters

    def halved(m, params, log_weights, rows, cols):
        W, lossy = right(m, params, log_weights, rows, cols)
        off = 1 + m.shape[1] + np.flatnonzero(rows != cols)
        W[off] *= 0.5
        return W, lossy

    monkeypatch.setattr(gmm, "_natural_parameters", halved)
    statistics, _ = GaussianMixtureModel(X).e_step(params)
    expected, _ = reference_statistics(X, params, X.mean(axis=0))
    with pytest.raises(AssertionError):
        assert_same_statistics(statistics, expected)


def test_natural_parameters_give_every_log_density():
    """φ(x − c)ᵀ W = log π_k + log N(x | μ_k, Σ_k), checked against scipy."""
    rng = np.random.default_rng(5)
    params = random_params(rng, 3, 4)
    X = rng.normal(scale=3.0, size=(50, 4))
    c = rng.normal(size=4)
    rows, cols = np.triu_indices(4)
    phi = gmm._quadratic_features(X - c, rows, cols, np.empty((50, 1 + 4 + rows.size)))
    W, lossy = gmm._natural_parameters(params.means - c, params, np.log(params.weights), rows, cols)
    expected = np.column_stack([np.log(w) + multivariate_normal(mu, cov).logpdf(X) for w, mu, cov
                                in zip(params.weights, params.means, params.covariances)])
    np.testing.assert_allclose(phi @ W, expected, rtol=1e-10)
    assert not lossy.any()


def test_cholesky_form_statistics_fill_both_triangles():
    """The Cholesky form computes only the upper block triangle of T_k; the result is symmetric
    and equals the full product."""
    rng = np.random.default_rng(6)
    Xc = rng.normal(size=(90, 23))
    engine = gmm._CholeskyForm(Xc)
    assert len(engine.panels) == 3
    params = random_params(rng, 3, 23)
    prepared, _ = engine.prepare(params, params.means, np.log(params.weights))
    resp = rng.dirichlet(np.ones(3), size=90).T                       # (K, N)
    statistics = engine.new_accumulator(3)
    engine.accumulate(statistics, resp, (0, 90), prepared)
    counts, sums, outer = engine.unpack(statistics)
    np.testing.assert_allclose(counts, resp.sum(axis=1), rtol=1e-14)
    np.testing.assert_allclose(sums, resp @ Xc, rtol=1e-12)
    np.testing.assert_allclose(outer, np.einsum("kn,ni,nj->kij", resp, Xc, Xc), rtol=1e-12)
    assert np.array_equal(outer, outer.transpose(0, 2, 1))


# ---------------------------------------------------------------------- statistics are additive
@pytest.mark.parametrize("far", [False, True])
def test_statistics_of_two_blocks_add_to_the_whole(form, far):
    """Per-block models with a shared reference and recentre=False: e_step(A) + e_step(B) =
    e_step(A ∪ B) for every component, also for a tight cluster far from the reference, and the
    M-step of the sum equals the whole data's."""
    rng = np.random.default_rng(7)
    X = far_tight_data(rng) if far else clusters(rng, 600, 3, 3)
    rng.shuffle(X)
    params = gmm.init_params(X, 3, random_state=1, reg_covar=1e-10 if far else None)
    c = X[:100].mean(axis=0)                       # e.g. the mean of the first block
    whole_model = GaussianMixtureModel(X, reference=c, recentre=False)
    parts = [GaussianMixtureModel(part, reference=c, recentre=False)
             for part in (X[:250], X[250:])]
    (a, la), (b, lb) = (part.e_step(params) for part in parts)
    whole, total = whole_model.e_step(params)
    summed = a + b
    assert isinstance(summed, GaussianMixtureStatistics)
    assert_same_statistics(summed, whole, rtol=1e-12)
    assert la + lb == pytest.approx(total, rel=1e-13)
    np.testing.assert_array_equal(summed.reference, np.tile(c, (3, 1)))
    # Far from c without recentring, Σ_k = T_k/N_k − d_k d_kᵀ keeps only ~6 digits (by design):
    # the two routes agree to that, whatever the block sizes.
    assert_same_params(parts[0].m_step(summed), whole_model.m_step(whole),
                       rtol=1e-6 if far else 1e-11)


def test_stepwise_blend_and_different_references():
    rng = np.random.default_rng(8)
    X = clusters(rng, 200, 2, 2)
    params = gmm.init_params(X, 2, random_state=0)
    statistics, _ = GaussianMixtureModel(X).e_step(params)
    blend = 0.25 * statistics + statistics * 0.75
    assert_same_statistics(blend, statistics, rtol=1e-14)
    other = statistics.about(np.zeros(2))
    expected = gmm.expected_statistics(X, gmm.e_step(X, params)[0], reference=np.zeros(2))
    assert_same_statistics(other, expected, rtol=1e-9)
    with pytest.raises(ValueError, match="different reference points.*about"):
        statistics + other
    with pytest.raises(TypeError):
        statistics + 1.0
    with pytest.raises(TypeError):
        statistics * "2"


def test_m_step_needs_only_the_statistics():
    """The model's M-step equals the readable m_step on the same responsibilities, and an empty
    component's fallback (the data's moments) comes from the totals over k."""
    rng = np.random.default_rng(9)
    X = clusters(rng, 300, 3, 3)
    resp = rng.dirichlet(np.ones(3), size=300)
    resp[:, 2] = 0.0
    resp /= resp.sum(axis=1, keepdims=True)
    statistics = gmm.expected_statistics(X, resp, reference=rng.normal(size=(3, 3)))
    from_statistics = gmm.params_from_statistics(statistics, reg_covar=1e-6)
    readable = gmm.m_step(X, resp, reg_covar=1e-6)
    for name in ("weights", "means", "covariances"):
        np.testing.assert_allclose(getattr(from_statistics, name), getattr(readable, name),
                                   rtol=1e-10, atol=1e-13)
    assert from_statistics.weights[2] == 0.0
    np.testing.assert_allclose(from_statistics.means[2], X.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(from_statistics.covariances[2],
                               np.cov(X.T, bias=True) + 1e-6 * np.eye(3), rtol=1e-10)
    assert GaussianMixtureModel(X, reg_covar=1e-6).m_step(statistics).weights[2] == 0.0


def test_driver_runs_the_model_and_its_statistics_are_the_final_e_step():
    rng = np.random.default_rng(10)
    X = clusters(rng, 200, 2, 2)
    model = GaussianMixtureModel(X, reg_covar=0.0)
    start = gmm.init_params(X, 2, random_state=0)
    result = em.run(model, start, max_iter=5, tol=0.0)
    fitted = gmm.fit(X, 2, init=start, max_iter=5, tol=0.0, reg_covar=0.0)
    assert isinstance(fitted, em.EMResult) and isinstance(fitted, gmm.GaussianMixtureResult)
    np.testing.assert_array_equal(result.objectives, fitted.objectives)
    np.testing.assert_array_equal(fitted.log_likelihoods, fitted.objectives)
    final, objective = model.e_step(fitted.params)
    assert_same_statistics(fitted.statistics, final, rtol=0.0)
    assert objective == fitted.objectives[-1]


# ------------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize("kwargs, error, match", [
    (dict(reference=[0.0]), ValueError, r"reference has shape \(1,\)"),
    (dict(reference="c"), TypeError, "reference"),
    (dict(recentre="yes"), TypeError, "recentre"),
    (dict(reg_covar=-1.0), ValueError, "reg_covar"),
    (dict(prior=np.eye(2)), TypeError, "prior"),
])
def test_model_rejects_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        GaussianMixtureModel(np.zeros((5, 2)), **kwargs)


def test_model_steps_reject_bad_input():
    model = GaussianMixtureModel(np.random.default_rng(0).normal(size=(10, 2)))
    with pytest.raises(TypeError, match="params"):
        model.e_step("theta")
    with pytest.raises(ValueError, match="features"):
        model.e_step(GaussianMixtureParams([1.0], [[0.0]], [[[1.0]]]))
    with pytest.raises(TypeError, match="statistics"):
        model.m_step({"counts": [1.0]})


@pytest.mark.parametrize("kwargs, match", [
    (dict(counts=[[1.0]]), "counts must be 1-D"),
    (dict(sums=np.zeros((3, 2))), "sums has shape"),
    (dict(outer=np.zeros((1, 2, 2))), "outer has shape"),
    (dict(reference=np.zeros((1, 2))), "reference has shape"),
    (dict(counts=[np.nan, 1.0]), "counts must be finite"),
])
def test_statistics_reject_bad_input(kwargs, match):
    args = dict(counts=[1.0, 2.0], sums=np.zeros((2, 2)), outer=np.zeros((2, 2, 2)),
                reference=np.zeros(2))
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        GaussianMixtureStatistics(**args)


def test_expected_statistics_rejects_bad_input():
    X = np.zeros((4, 2))
    with pytest.raises(ValueError, match="reference has shape"):
        gmm.expected_statistics(X, np.full((4, 2), 0.5), reference=np.zeros(3))
    with pytest.raises(ValueError, match="resp has 3 rows"):
        gmm.expected_statistics(X, np.full((3, 2), 0.5))
    with pytest.raises(TypeError, match="statistics"):
        gmm.params_from_statistics((np.ones(2), np.zeros((2, 2)), np.zeros((2, 2, 2))))
