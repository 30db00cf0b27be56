"""Every emlib model keeps the EM contract (see em_contract.py), and every check can fail.

For each model case and several random problems: the objective never decreases beyond rounding;
the callback sees θ^(0) … θ^(T) with their objectives; the history equals the objective
recomputed from each θ^(t); tol / max_iter mean the same for every model; the same random_state
gives the same result; a bad argument gets a ValueError or TypeError naming it.
"""

import numpy as np
import pytest

from em_contract import (Recorder, check_bad_arguments, check_callback, check_history,
                         check_monotone, check_reproducible, check_stopping, load_cases)
from emlib import coins, em

CASES = load_cases()
SEEDS = [0, 1, 2]


@pytest.fixture(params=CASES, ids=str)
def case(request):
    return request.param


@pytest.mark.parametrize("seed", SEEDS)
def test_objective_never_decreases_and_history_is_recomputable(case, seed):
    problem = case.make_problem(np.random.default_rng(seed))
    recorder = Recorder()
    result = case.fit(problem, max_iter=case.max_iter, tol=0.0, random_state=seed,
                      callback=recorder)
    assert isinstance(result, em.EMResult)
    check_monotone(result, case.rtol)
    check_callback(recorder, result, case.arrays)
    check_history(case, problem, recorder)


@pytest.mark.parametrize("seed", SEEDS[:1])
def test_tol_and_max_iter(case, seed):
    check_stopping(case, case.make_problem(np.random.default_rng(seed)), seed)


def test_reproducible(case):
    check_reproducible(case, case.make_problem(np.random.default_rng(7)), seed=7)


def test_bad_arguments(case):
    check_bad_arguments(case, case.make_problem(np.random.default_rng(0)))


# Models whose fit is not yet on the driver (emptied as they move).
PENDING = set()


def test_every_model_is_under_contract():
    """Every emlib module with a ``fit`` has a contract case (named after the module), so a new
    model cannot skip the contract."""
    import importlib
    import pkgutil

    import emlib

    fitting = {info.name for info in pkgutil.iter_modules(emlib.__path__)
               if not info.name.startswith("_") and info.name != "plotting"
               and callable(getattr(importlib.import_module(f"emlib.{info.name}"), "fit", None))}
    covered = {case.name.split("-")[0] for case in CASES}
    assert fitting - covered <= PENDING, f"models without a contract case: {fitting - covered}"
    assert not PENDING & covered, f"remove {PENDING & covered} from PENDING"


# --------------------------------------------------------------------------------------------
# Each check fails on a broken model
# --------------------------------------------------------------------------------------------
COINS = next(case for case in CASES if case.name == "coins")
PROBLEM = {"heads": np.array([5, 9, 8, 4, 7]), "n_tosses": np.array([10, 10, 10, 10, 10])}


class _OvershootingCoins(coins.CoinsModel):
    """A wrong M-step: over-relaxed, θ ← θ + 3(θ_M − θ) — it steps past the maximiser of Q."""

    def m_step(self, statistics, theta):
        return np.clip(theta + 3.0 * (super().m_step(statistics) - theta), 0.01, 0.99)


def test_monotone_check_fails_on_a_wrong_m_step():
    model = _OvershootingCoins(PROBLEM["heads"].astype(float), PROBLEM["n_tosses"].astype(float))
    result = em.run(model, np.array([0.6, 0.5]), max_iter=10, tol=0.0)
    with pytest.raises(AssertionError, match="fell"):
        check_monotone(result, 1e-10)


def _late_callback_fit(problem, *, callback=None, **kwargs):
    """A wrong driver: reports the objective of θ^(t) alongside θ^(t+1) (callback after the
    M-step)."""
    thetas = []
    result = COINS.fit(problem, callback=lambda t, theta, f: thetas.append((t, theta, f)),
                       **kwargs)
    shifted = [(t, thetas[min(t + 1, len(thetas) - 1)][1], f) for t, _, f in thetas]
    if callback is not None:
        for call in shifted:
            callback(*call)
    return result


def test_history_check_fails_when_the_callback_sees_the_wrong_iterate():
    recorder = Recorder()
    _late_callback_fit(PROBLEM, max_iter=5, tol=0.0, random_state=0, callback=recorder)
    with pytest.raises(AssertionError, match="objective at t"):
        check_history(COINS, PROBLEM, recorder)


def test_callback_check_fails_when_the_start_is_not_reported():
    recorder = Recorder()
    result = COINS.fit(PROBLEM, max_iter=5, tol=0.0, random_state=0, callback=recorder)
    recorder.calls = recorder.calls[1:]                 # θ^(0) never reported
    with pytest.raises(AssertionError, match="callback saw"):
        check_callback(recorder, result, COINS.arrays)


def _eager_convergence_fit(problem, *, tol=0.0, **kwargs):
    """A wrong driver: tests convergence before the first M-step (t >= 0), so a loose tol
    returns the start."""
    result = COINS.fit(problem, tol=tol, **kwargs)
    if tol > 0:
        start = COINS.fit(problem, **{**kwargs, "max_iter": 0}, tol=0.0)
        return start
    return result


def test_stopping_check_fails_on_a_wrong_convergence_rule():
    broken = type(COINS)(**{**COINS.__dict__, "fit": _eager_convergence_fit})
    with pytest.raises(AssertionError, match="tol=1e300"):
        check_stopping(broken, PROBLEM, seed=0)


def test_reproducibility_check_fails_on_an_unseeded_start():
    def unseeded(problem, *, random_state=None, **kwargs):
        return COINS.fit(problem, random_state=None, **kwargs)

    broken = type(COINS)(**{**COINS.__dict__, "fit": unseeded})
    with pytest.raises(AssertionError, match="same random_state"):
        check_reproducible(broken, PROBLEM, seed=0)


def test_bad_argument_check_fails_when_an_argument_is_not_checked():
    def lenient(problem, *, tol=0.0, **kwargs):
        return COINS.fit(problem, tol=max(float(tol), 0.0) if tol == tol else 0.0, **kwargs)

    broken = type(COINS)(**{**COINS.__dict__, "fit": lenient,
                            "bad_arguments": [({"tol": -1.0}, "tol")]})
    with pytest.raises(AssertionError, match="accepted"):
        check_bad_arguments(broken, PROBLEM)


def test_driver_semantics_directly():
    """emlib.em.run itself: θ^(0) … θ^(T) reported, final statistics from θ^(T)."""
    heads, n = PROBLEM["heads"].astype(float), PROBLEM["n_tosses"].astype(float)
    model = coins.CoinsModel(heads, n)
    recorder = Recorder()
    result = em.run(model, np.array([0.6, 0.5]), max_iter=3, tol=0.0, callback=recorder)
    assert result.n_iter == 3 and result.objective_name == "log_likelihood"
    final_stats, final_objective = model.e_step(result.params)
    assert np.array_equal(final_stats.expected_heads, result.statistics.expected_heads)
    assert final_objective == result.objectives[-1]
    doubled = result.statistics + result.statistics
    assert np.array_equal(doubled.expected_tosses, 2 * result.statistics.expected_tosses)
    assert np.array_equal((0.5 * doubled).expected_heads, result.statistics.expected_heads)
    with pytest.raises(TypeError):
        result.statistics + 1.0
