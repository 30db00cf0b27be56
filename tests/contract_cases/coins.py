"""The two-coin model of Do & Batzoglou under the EM contract."""

import numpy as np

from em_contract import DRIVER_BAD_ARGUMENTS, ContractCase
from emlib import coins


def make_problem(rng):
    n_sets = int(rng.integers(3, 12))
    n_tosses = rng.integers(1, 40, size=n_sets)
    theta = rng.uniform(0.1, 0.9, size=2)
    heads = rng.binomial(n_tosses, theta[rng.integers(0, 2, size=n_sets)])
    return {"heads": heads, "n_tosses": n_tosses}


def fit(problem, *, random_state=None, theta_init=None, **kwargs):
    if theta_init is None:      # the coins' fit takes no random_state: draw the start from it
        theta_init = np.random.default_rng(random_state).uniform(0.2, 0.8, size=2)
    return coins.fit(problem["heads"], problem["n_tosses"], theta_init, **kwargs)


CASES = [ContractCase(
    name="coins",
    make_problem=make_problem,
    fit=fit,
    objective=lambda p, theta: coins.log_likelihood(p["heads"], p["n_tosses"], theta),
    arrays=lambda theta: [np.asarray(theta)],
    bad_arguments=DRIVER_BAD_ARGUMENTS + [({"theta_init": [0.5, 1.0]}, "theta_init"),
                                          ({"theta_init": "ab"}, "theta_init")],
)]
