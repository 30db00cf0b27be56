"""Incremental and stepwise EM (emlib.online) under the EM contract.

Incremental EM's iterate is the state (θ, the per-block statistics); its objective L(q, θ) is
recomputed here independently of emlib.online: the refreshed block's log-likelihood by the
readable ``gmm.log_likelihood``, every other block's bound Q(θ; s_b) + H[q_b] with Q from
scipy's Gaussian log-density at the block's own rows (the posteriors q_b re-derived by the
readable ``gmm.e_step`` at the θ at which the block was last refreshed, kept by the case).
Stepwise EM is under the contract in the setting where EM's guarantee holds: η_t = 1 (alpha=0)
and the full batch, where it is batch EM.
"""

import numpy as np
from scipy import stats

from contract_cases.gmm import make_problem
from em_contract import DRIVER_BAD_ARGUMENTS, ContractCase
from emlib import gmm, online

N_BLOCKS = 3


def fit_incremental(problem, **kwargs):
    """Fit, recording for every iterate the θ at which each block was last refreshed (for the
    independent objective below)."""
    user = kwargs.pop("callback", None)
    refreshed = problem.setdefault("_refreshed", {})
    last = {}

    def record(t, state, objective):
        last.update({b: state.params for b in (range(N_BLOCKS) if t == 0 else [state.block])})
        refreshed[id(state)] = dict(last)
        if user is not None:
            user(t, state, objective)

    return online.fit_incremental(problem["X"], problem["n_components"], n_blocks=N_BLOCKS,
                                  **{"reg_covar": 0.0, **kwargs},
                                  callback=record if user is None or callable(user) else user)


def incremental_objective(problem, state):
    """L(q, θ) after refreshing block ``state.block`` (all blocks at t = 0)."""
    X, theta = problem["X"], state.params
    refreshed_at = problem["_refreshed"][id(state)]
    total = 0.0
    for b, rows in enumerate(np.array_split(X, N_BLOCKS)):
        q = gmm.e_step(rows, refreshed_at[b])[0]                   # q_b from its last E-step
        log_joint = np.column_stack([
            np.log(theta.weights[k]) + stats.multivariate_normal(theta.means[k],
                                                                 theta.covariances[k]).logpdf(rows)
            for k in range(theta.n_components)]).reshape(len(rows), -1)
        with np.errstate(divide="ignore", invalid="ignore"):
            entropy = -np.sum(np.where(q > 0, q * np.log(q), 0.0))
        total += np.sum(q * log_joint) + entropy
    return total


def fit_stepwise(problem, **kwargs):
    X = problem["X"]
    return online.fit_stepwise(X, problem["n_components"], batch_size=X.shape[0], alpha=0,
                               **{"reg_covar": 0.0, **kwargs})


def arrays(state):
    return [state.params.weights, state.params.means, state.params.covariances]


ONLINE_BAD_ARGUMENTS = [
    ({"reg_covar": -1e-6}, "reg_covar"),
    ({"init": 3}, "init"),
    ({"init": "spectral"}, "init"),
    ({"random_state": "seed"}, "random_state"),
]

CASES = [
    ContractCase(
        name="online-incremental",
        make_problem=make_problem,
        fit=fit_incremental,
        objective=incremental_objective,
        arrays=arrays,
        bad_arguments=DRIVER_BAD_ARGUMENTS + ONLINE_BAD_ARGUMENTS
        + [({"n_blocks": 0}, "n_blocks"), ({"n_blocks": 2.5}, "n_blocks")],
        rtol=1e-9,
    ),
    ContractCase(
        name="online-stepwise",
        make_problem=make_problem,
        fit=fit_stepwise,
        objective=lambda p, state: gmm.log_likelihood(p["X"], state.params),
        arrays=arrays,
        bad_arguments=DRIVER_BAD_ARGUMENTS + ONLINE_BAD_ARGUMENTS,
    ),
]
