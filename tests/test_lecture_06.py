"""Every assert of notebooks/06_incomplete_data.ipynb can fail.

The notebook asserts its claims through ``emlib.checks``. Here each of those checks passes on the
right implementation (as in the notebook) and fails on a plausible wrong one: the marginal
instead of the conditional mean, the Schur complement forgotten, an M-step without the
conditional covariance, MNAR implemented as MAR, the "+ I" forgotten in PPCA's posterior, σ² not
subtracted in the closed form, PPCA taken for factor analysis, the rate measured from
log-likelihood increments, SQUAREM without its safeguard or with the extrapolation reversed.
"""

from __future__ import annotations

import numpy as np
import pytest

from emlib import checks, convergence, datasets, em, latent_linear, missing


# --------------------------------------------------------------------------------------------
# Wrong implementations
# --------------------------------------------------------------------------------------------
def conditional_right(x, mean, cov):
    m, o = np.isnan(x), ~np.isnan(x)
    regression = np.linalg.solve(cov[np.ix_(o, o)], cov[np.ix_(o, m)]).T
    x_hat, C = x.copy(), np.zeros_like(cov)
    x_hat[m] = mean[m] + regression @ (x[o] - mean[o])
    C[np.ix_(m, m)] = cov[np.ix_(m, m)] - regression @ cov[np.ix_(o, m)]
    return x_hat, C


def conditional_marginal_mean(x, mean, cov):
    """Wrong: the marginal mean μ_m for the missing entries."""
    x_hat, C = conditional_right(x, mean, cov)
    x_hat[np.isnan(x)] = mean[np.isnan(x)]
    return x_hat, C


def conditional_no_schur(x, mean, cov):
    """Wrong: Cov[x_m | x_o] = Σ_mm, the marginal covariance."""
    x_hat, C = conditional_right(x, mean, cov)
    m = np.isnan(x)
    C[np.ix_(m, m)] = cov[np.ix_(m, m)]
    return x_hat, C


def moments(X, params, conditional):
    pairs = [conditional(x, params.mean, params.covariance) for x in X]
    return np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])


class ForgetsConditionalCovariance(missing.MissingGaussianModel):
    """Wrong M-step: Σ from Σ x̂ x̂ᵀ without Σ C_n (the notebook's own example)."""

    def e_step(self, params):
        statistics, log_lik = super().e_step(params)
        x_hat, _ = missing.conditional_moments(self.X, params)
        return missing.GaussianStatistics(statistics.count, statistics.sum_x, x_hat.T @ x_hat), \
            log_lik


class ImputesMarginalMean(missing.MissingGaussianModel):
    """Wrong E-step: missing entries filled with μ_m (with the marginal covariance Σ_mm)."""

    def e_step(self, params):
        statistics, log_lik = super().e_step(params)
        lost = np.isnan(self.X)
        x_hat = np.where(lost, params.mean, self.X)
        C_sum = (lost.T.astype(float) @ lost) * params.covariance     # Σ_n Σ_mm in place
        return missing.GaussianStatistics(statistics.count, x_hat.sum(axis=0),
                                          x_hat.T @ x_hat + C_sum), log_lik


_AMPUTE = missing.ampute


def ampute_mnar_as_mar(X, fraction, mechanism, **kwargs):
    """Wrong: MNAR implemented with the observed driver column, i.e. MAR."""
    return _AMPUTE(X, fraction, "MAR" if mechanism == "MNAR" else mechanism, **kwargs)


@pytest.fixture(scope="module")
def air():
    return datasets.airquality()[:, :4]


@pytest.fixture(scope="module")
def demo_params(air):
    complete = air[~np.isnan(air).any(axis=1)]
    return missing.GaussianParams(np.nanmean(air, axis=0), np.cov(complete.T, bias=True))


@pytest.fixture(scope="module")
def fitted(air):
    return missing.fit(air, tol=0.0, max_iter=100)


@pytest.fixture(scope="module")
def direct(air):
    return missing.direct_maximum_likelihood(air)


# --------------------------------------------------------------------------------------------
# Section 2: the E-step
# --------------------------------------------------------------------------------------------
def test_conditional_moments_check(air, demo_params):
    x_hat, C = moments(air, demo_params, conditional_right)
    checks.check_conditional_moments(air, demo_params.mean, demo_params.covariance, x_hat, C)
    for wrong, message in ((conditional_marginal_mean, "conditional, not the marginal"),
                           (conditional_no_schur, "Cov")):
        x_bad, C_bad = moments(air, demo_params, wrong)
        with pytest.raises(AssertionError, match=message):
            checks.check_conditional_moments(air, demo_params.mean, demo_params.covariance,
                                             x_bad, C_bad)


def test_emlib_e_step_matches_the_hand_written_one_and_the_check_can_fail(air, demo_params):
    x_lib, C_lib = missing.conditional_moments(air, demo_params)
    x_hat, C = moments(air, demo_params, conditional_right)
    checks.check_close(x_lib, x_hat, "E[x | x_obs]", rtol=1e-12, atol=1e-10)
    checks.check_close(C_lib, C, "Cov[x | x_obs]", rtol=1e-12, atol=1e-9)
    x_bad, C_bad = moments(air, demo_params, conditional_marginal_mean)
    with pytest.raises(AssertionError, match="E\\[x"):
        checks.check_close(x_lib, x_bad, "E[x | x_obs]", rtol=1e-12, atol=1e-10)
    x_bad, C_bad = moments(air, demo_params, conditional_no_schur)
    with pytest.raises(AssertionError, match="Cov"):
        checks.check_close(C_lib, C_bad, "Cov[x | x_obs]", rtol=1e-12, atol=1e-9)


# --------------------------------------------------------------------------------------------
# Section 3: EM, the direct maximiser, the classic mistake
# --------------------------------------------------------------------------------------------
def test_monotone_check_fails_without_the_conditional_covariance(air, fitted):
    checks.check_monotone(fitted.objectives)
    model = ForgetsConditionalCovariance(air)
    wrong = em.run(model, model.start(), max_iter=30, tol=0.0)
    with pytest.raises(AssertionError, match="fell"):
        checks.check_monotone(wrong.objectives)


@pytest.mark.parametrize("wrong_model", [ForgetsConditionalCovariance, ImputesMarginalMean])
def test_em_equals_the_direct_maximiser_and_wrong_steps_do_not(air, fitted, direct, wrong_model):
    checks.check_same_gaussian(fitted.params.mean, fitted.params.covariance, direct.mean,
                               direct.covariance, "EM vs direct", rtol=1e-6)
    model = wrong_model(air)
    wrong = em.run(model, model.start(), max_iter=100, tol=0.0)
    with pytest.raises(AssertionError, match="differ"):
        checks.check_same_gaussian(wrong.params.mean, wrong.params.covariance, direct.mean,
                                   direct.covariance, "wrong EM vs direct", rtol=1e-6)
    # The notebook's 1e-8 comparison of its hand-written EM with emlib fails the same way.
    with pytest.raises(AssertionError, match="differ"):
        checks.check_same_gaussian(wrong.params.mean, wrong.params.covariance,
                                   fitted.params.mean, fitted.params.covariance, "x", rtol=1e-8)


def test_lower_check_fails_when_the_wrong_m_step_is_the_right_one(air, fitted):
    model = ForgetsConditionalCovariance(air)
    wrong = em.run(model, model.start(), max_iter=100, tol=0.0)
    checks.check_lower(wrong.objectives[-1], fitted.objectives[-1], "no C_n", margin=0.1)
    with pytest.raises(AssertionError, match="not below"):
        checks.check_lower(fitted.objectives[-1], fitted.objectives[-1], "EM itself", margin=0.1)


# --------------------------------------------------------------------------------------------
# Section 4: mechanisms
# --------------------------------------------------------------------------------------------
def _real_errors(mechanism, estimator, ampute=missing.ampute):
    complete = datasets.airquality()
    complete = complete[~np.isnan(complete[:, :4]).any(axis=1)]
    Y = np.column_stack([np.log(complete[:, 0]), complete[:, 3]])
    rng = np.random.default_rng(11)
    errors = []
    for _ in range(20):
        Y_missing = ampute(Y, 0.4, mechanism, column=0, driver=1, random_state=rng)
        errors.append([missing.complete_case_estimate(Y_missing).mean[0] - Y[:, 0].mean(),
                       estimator(Y_missing) - Y[:, 0].mean()])
    return np.mean(errors, axis=0)


def test_real_data_mar_check_fails_for_an_estimator_that_ignores_the_driver():
    complete_case, em_error = _real_errors("MAR", lambda Y: missing.fit(Y).params.mean[0])
    checks.check_lower(abs(em_error), abs(complete_case) / 3, "EM")
    complete_case, wrong = _real_errors(
        "MAR", lambda Y: em.run(ImputesMarginalMean(Y), ImputesMarginalMean(Y).start(),
                                max_iter=200, tol=0.0).params.mean[0])
    with pytest.raises(AssertionError, match="not below"):
        checks.check_lower(abs(wrong), abs(complete_case) / 3, "marginal-mean EM")


@pytest.fixture(scope="module")
def twin(air):
    return missing.fit(np.column_stack([np.log(air[:, 0]), air[:, 3]])).params


@pytest.fixture(scope="module")
def study(twin):
    return {m: missing.mechanism_estimates(twin, m, 0.4, n_samples=153, n_repeats=60,
                                           random_state=0) for m in missing.MECHANISMS}


def test_bias_checks_pass_as_in_the_notebook(study):
    for method in ("complete cases", "mean imputation", "EM"):
        checks.check_unbiased(study["MCAR"], method, "mean")
    checks.check_biased(study["MCAR"], "mean imputation", "std")
    for method in ("complete cases", "mean imputation"):
        checks.check_biased(study["MAR"], method, "mean")
    checks.check_unbiased(study["MAR"], "EM", "mean")
    checks.check_biased(study["MNAR"], "EM", "mean")


def test_unbiased_check_fails_on_the_shortcuts_under_mar(study):
    for method in ("complete cases", "mean imputation"):
        with pytest.raises(AssertionError, match="more than"):
            checks.check_unbiased(study["MAR"], method, "mean")
    with pytest.raises(AssertionError, match="more than"):        # imputed means shrink σ
        checks.check_unbiased(study["MCAR"], "mean imputation", "std")


def test_biased_check_fails_on_estimators_that_are_fine(study):
    with pytest.raises(AssertionError, match="not clearly biased"):
        checks.check_biased(study["MAR"], "EM", "mean")
    with pytest.raises(AssertionError, match="not clearly biased"):
        checks.check_biased(study["MCAR"], "EM", "std")          # EM keeps the spread


def test_mnar_check_fails_when_mnar_is_implemented_as_mar(twin, monkeypatch):
    monkeypatch.setattr(missing, "ampute", ampute_mnar_as_mar)
    wrong = missing.mechanism_estimates(twin, "MNAR", 0.4, n_samples=153, n_repeats=60,
                                        random_state=0)
    with pytest.raises(AssertionError, match="not clearly biased"):
        checks.check_biased(wrong, "EM", "mean")


# --------------------------------------------------------------------------------------------
# Section 5: PPCA and factor analysis
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def digits():
    return datasets.digits()[0]


def posterior_right(X, mean, W, psi):
    G = np.linalg.inv(np.eye(W.shape[1]) + W.T @ (W / psi[:, None]))
    return (X - mean) @ (W / psi[:, None]) @ G, G


def posterior_without_identity(X, mean, W, psi):
    """Wrong: G = (WᵀΨ⁻¹W)⁻¹, the prior N(0, I) on z forgotten (a least-squares projection)."""
    G = np.linalg.inv(W.T @ (W / psi[:, None]))
    return (X - mean) @ (W / psi[:, None]) @ G, G


def test_latent_posterior_check_fails_without_the_prior(digits):
    start = latent_linear.init_params(digits, 2, random_state=0)
    args = (digits, start.mean, start.loadings, start.noise_variance)
    checks.check_latent_posterior(*args, *posterior_right(*args))
    with pytest.raises(AssertionError, match="E\\[z_n"):
        checks.check_latent_posterior(*args, *posterior_without_identity(*args))
    Ez_lib, _, _ = latent_linear.e_step(digits, start)
    with pytest.raises(AssertionError, match="E\\[z_n\\]"):
        checks.check_close(Ez_lib, posterior_without_identity(*args)[0], "emlib's E[z_n]",
                           rtol=1e-10, atol=1e-10)


class NoiseWithOldLoadings(latent_linear.LatentLinearModel):
    """Wrong M-step order: σ² from the residuals of the *old* W (and μ), not the new one."""

    def m_step(self, statistics, params=None):
        new = super().m_step(statistics, params)
        old = np.column_stack([params.loadings, params.mean - self.shift])
        cross = np.column_stack([statistics.sum_yz, statistics.sum_y])
        noise = (statistics.sum_yy - np.sum(old * cross, axis=1)) / statistics.count
        noise = np.full_like(noise, max(noise.mean(), 1e-6))
        return latent_linear.LatentLinearParams(new.mean, new.loadings, noise)


def test_ppca_checks_fail_on_wrong_versions(digits):
    ppca = latent_linear.fit(digits, 2, noise="isotropic", max_iter=200, tol=0.0, random_state=0)
    closed = latent_linear.ppca_maximum_likelihood(digits, 2)
    checks.check_monotone(ppca.objectives, rtol=1e-13)
    checks.check_close(latent_linear.model_covariance(ppca.params),
                       latent_linear.model_covariance(closed), "C", rtol=0.0, atol=1e-8)
    # σ² not subtracted in the closed form: W = U_M Λ_M^½.
    eigenvalues, eigenvectors = np.linalg.eigh(np.cov(digits.T, bias=True))
    W_wrong = eigenvectors[:, ::-1][:, :2] * np.sqrt(eigenvalues[::-1][:2])
    wrong_closed = latent_linear.LatentLinearParams(closed.mean, W_wrong, closed.noise_variance)
    with pytest.raises(AssertionError, match="W W"):
        checks.check_close(latent_linear.model_covariance(ppca.params),
                           latent_linear.model_covariance(wrong_closed), "W W^T + sigma^2 I",
                           rtol=0.0, atol=1e-8)
    # The noise update with the old loadings is not EM: the log-likelihood falls.
    model = NoiseWithOldLoadings(digits, "isotropic")
    wrong = em.run(model, latent_linear.init_params(digits, 2, random_state=0), max_iter=30,
                   tol=0.0)
    with pytest.raises(AssertionError, match="fell"):
        checks.check_monotone(wrong.objectives, rtol=1e-13)


def test_factor_analysis_checks_fail_for_ppca(digits):
    from sklearn.decomposition import FactorAnalysis

    reference = FactorAnalysis(5, tol=1e-12, max_iter=10_000, svd_method="lapack").fit(digits)
    reference_ll = reference.score(digits) * len(digits)
    fa = convergence.squarem(latent_linear.LatentLinearModel(digits, "diagonal"),
                             latent_linear.init_params(digits, 5, random_state=0),
                             max_iter=500, tol=1e-12)
    checks.check_monotone(fa.objectives, rtol=1e-13)
    checks.check_close(fa.objectives[-1], reference_ll, "log-likelihood", rtol=1e-9)
    checks.check_close(fa.params.noise_variance, reference.noise_variance_, "noise", rtol=1e-3,
                       atol=1e-5)
    ppca = latent_linear.fit(digits, 5, noise="isotropic", max_iter=100, tol=1e-10,
                             random_state=0)
    with pytest.raises(AssertionError, match="log-likelihood"):
        checks.check_close(ppca.objectives[-1], reference_ll, "log-likelihood", rtol=1e-9)
    with pytest.raises(AssertionError, match="noise"):
        checks.check_close(ppca.params.noise_variance, reference.noise_variance_, "noise",
                           rtol=1e-3, atol=1e-5)


# --------------------------------------------------------------------------------------------
# Sections 6 and 7: the rate, SQUAREM
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bivariate():
    truth = missing.GaussianParams([0.0, 0.0], [[1.0, 0.6], [0.6, 1.0]])
    return missing.sample(truth, 400, random_state=0)


def _regression_rates(X):
    design = np.column_stack([np.ones(len(X)), X[:, 1]])
    lost = np.isnan(X[:, 0])
    return np.linalg.eigvals(np.linalg.solve(design.T @ design,
                                             design[lost].T @ design[lost])).real


def test_jacobian_eigenvalue_check_fails_for_the_wrong_m_step(bivariate):
    X = missing.ampute(bivariate, 0.5, "MCAR", random_state=1)
    expected = [0.5, *_regression_rates(X)]
    model = missing.MissingGaussianModel(X)
    optimum = missing.fit(X, acceleration="squarem", tol=0.0, max_iter=40).params
    checks.check_eigenvalues_include(convergence.em_map_jacobian(model, optimum), expected)
    wrong_model = ForgetsConditionalCovariance(X)
    wrong_optimum = em.run(wrong_model, wrong_model.start(), max_iter=300, tol=0.0).params
    with pytest.raises(AssertionError, match="no eigenvalue"):
        checks.check_eigenvalues_include(convergence.em_map_jacobian(wrong_model, wrong_optimum),
                                         expected)


def test_rate_check_fails_when_the_rate_is_measured_from_log_likelihood_increments(bivariate):
    rates, largest, from_increments = [], [], []
    for f in (0.3, 0.6, 0.9):
        X = missing.ampute(bivariate, f, "MCAR", random_state=1)
        model = missing.MissingGaussianModel(X)
        optimum = missing.fit(X, acceleration="squarem", tol=0.0, max_iter=40).params
        iterates, objectives = [], []

        def record(t, params, objective):
            iterates.append(model.params_to_vector(params))
            objectives.append(objective)

        missing.fit(X, tol=0.0, max_iter=400, callback=record)
        rates.append(convergence.observed_rate(np.array(iterates),
                                               model.params_to_vector(optimum)))
        largest.append(np.abs(np.linalg.eigvals(convergence.em_map_jacobian(model, optimum))).max())
        increments = np.diff(objectives)[3:12]            # ratios of successive ℓ increments ≈ λ²
        from_increments.append(float(np.median(increments[1:] / increments[:-1])))
    checks.check_rates(rates, largest)
    with pytest.raises(AssertionError, match="observed rate"):
        checks.check_rates(from_increments, largest)


class UnguardedSquarem(convergence.SquaremModel):
    """Wrong: SQUAREM that accepts every extrapolation (no safeguard)."""

    def two_steps(self, statistics, params):
        """θ₁, θ₂ and the vectors v₀, r = θ₁ − θ₀, v = θ₂ − 2θ₁ + θ₀."""
        theta1 = self._em_step(statistics, params)
        theta2 = self._em_step(self.model.e_step(theta1)[0], theta1)
        v0, v1, v2 = (self.model.params_to_vector(p) for p in (params, theta1, theta2))
        return theta2, v0, v1 - v0, v2 - 2 * v1 + v0

    def m_step(self, statistics, params):
        _, v0, r, v = self.two_steps(statistics, params)
        alpha = min(-np.linalg.norm(r) / max(np.linalg.norm(v), 1e-300), -1.0)
        return self.model.params_from_vector(v0 - 2 * alpha * r + alpha**2 * v)


class ReversedSquarem(UnguardedSquarem):
    """Wrong: the extrapolation with the sign of α flipped — it always fails the safeguard and
    falls back to two EM steps, so nothing is gained."""

    def m_step(self, statistics, params):
        model = self.model
        theta2, v0, r, v = self.two_steps(statistics, params)
        alpha = np.linalg.norm(r) / max(np.linalg.norm(v), 1e-300)      # wrong sign
        try:
            candidate = model.params_from_vector(v0 - 2 * alpha * r + alpha**2 * v)
            stabilised = self._em_step(model.e_step(candidate)[0], candidate)
            if model.e_step(stabilised)[1] >= model.e_step(params)[1]:
                return stabilised
        except ValueError:
            pass
        return theta2


def _run(wrapper, model, start, tol=1e-14):
    accelerated = wrapper(model)
    result = em.run(accelerated, start, max_iter=500, tol=tol)
    return result.extend(convergence.SquaremResult, n_em_steps=accelerated.n_em_steps)


def test_acceleration_check_fails_with_the_extrapolation_reversed(bivariate):
    X = missing.ampute(bivariate, 0.9, "MCAR", random_state=1)
    model = missing.MissingGaussianModel(X)
    plain = missing.fit(X, tol=1e-14, max_iter=5000)
    fast = missing.fit(X, acceleration="squarem", tol=1e-14, max_iter=500)
    vector = model.params_to_vector
    checks.check_acceleration(plain, fast, vector(plain.params), vector(fast.params), atol=1e-4,
                              max_cost_ratio=0.25)
    reversed_ = _run(ReversedSquarem, model, model.start())
    with pytest.raises(AssertionError, match="EM steps"):
        checks.check_acceleration(plain, reversed_, vector(plain.params),
                                  vector(reversed_.params), atol=1e-4, max_cost_ratio=0.25)


def test_acceleration_check_fails_without_the_safeguard(digits):
    """On section 5's factor analysis an unguarded extrapolation lowers ℓ by about 10⁴."""
    model = latent_linear.LatentLinearModel(digits, "diagonal")
    start = latent_linear.init_params(digits, 5, random_state=0)
    plain = em.run(model, start, max_iter=5000, tol=1e-12)
    guarded = convergence.squarem(model, start, max_iter=500, tol=1e-12)
    def vector(params):               # W is identified only up to a rotation: compare C
        return latent_linear.model_covariance(params).ravel()

    checks.check_acceleration(plain, guarded, vector(plain.params), vector(guarded.params),
                              atol=1e-3, max_cost_ratio=0.5)
    unguarded = _run(UnguardedSquarem, model, start, tol=1e-12)
    with pytest.raises(AssertionError, match="fell"):                  # the notebook's FA check
        checks.check_monotone(unguarded.objectives, rtol=1e-13)
    with pytest.raises(AssertionError, match="fell"):
        checks.check_acceleration(plain, unguarded, vector(plain.params),
                                  vector(unguarded.params), atol=1e-2, max_cost_ratio=1.0)


def test_checks_reject_bad_arguments(study):
    with pytest.raises(TypeError, match="actual"):
        checks.check_close("1.0", 1.0, "x")
    with pytest.raises(ValueError, match="method"):
        checks.check_biased(study["MAR"], "multiple imputation")
    with pytest.raises(ValueError, match="quantity"):
        checks.check_unbiased(study["MAR"], "EM", "median")
