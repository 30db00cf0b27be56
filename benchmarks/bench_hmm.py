"""Time emlib.hmm.fit against hmmlearn's Baum–Welch, side by side in one process.

Both start from the same parameters (hmmlearn with ``init_params=""``, nothing re-initialised, no
priors) and run a fixed number of EM iterations with one BLAS thread. The time per iteration is
the difference between a long and a short run divided by the difference in iterations, which
cancels set-up and emlib's final E-step. Runs alternate between the two libraries; over the
repeats the script prints the median time of each and the min / median / max of the per-repeat
ratio emlib / hmmlearn, and the largest absolute difference between the fitted parameters.

Cases: (a) many short sequences, 1,000 sequences × 100 steps, and (b) one long sequence of
100,000 steps, for K = 3 and 10 states, with categorical (M = 8 symbols) and Gaussian (D = 2,
full covariance) emissions.

    python benchmarks/bench_hmm.py            # the README table
    python benchmarks/bench_hmm.py --quick    # smaller, for a smoke test
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

from emlib import hmm
from emlib.hmm_reference import hmmlearn_fit

CASES = [(kind, lengths, k) for kind in ("categorical", "gaussian")
         for lengths in ((100,) * 1000, (100_000,)) for k in (3, 10)]


def make_problem(kind, lengths, n_states, seed=0):
    """Data from a sticky chain and a start near (not at) the truth, shared by both."""
    rng = np.random.default_rng(seed)
    transitions = 0.8 * np.eye(n_states) + 0.2 * rng.dirichlet(np.ones(n_states), n_states)
    start_transitions = hmm.sticky_transitions(n_states, 0.5)
    initial = np.full(n_states, 1.0 / n_states)
    if kind == "categorical":
        truth = hmm.CategoricalHMMParams(initial, transitions,
                                         rng.dirichlet(np.full(8, 0.5), n_states))
        start = hmm.CategoricalHMMParams(initial, start_transitions,
                                         rng.dirichlet(np.ones(8), n_states))
    else:
        means = rng.normal(scale=3.0, size=(n_states, 2))
        covariances = np.tile(np.array([[1.0, 0.3], [0.3, 0.7]]), (n_states, 1, 1))
        truth = hmm.GaussianHMMParams(initial, transitions, means, covariances)
        start = hmm.GaussianHMMParams(initial, start_transitions,
                                      means + rng.normal(scale=0.5, size=means.shape),
                                      np.tile(1.5 * np.eye(2), (n_states, 1, 1)))
    X, _ = hmm.sample(truth, list(lengths), random_state=rng)
    return X, start


def run_emlib(X, start, lengths, n_iter):
    return hmm.fit(X, start.n_states, init=start, lengths=lengths, max_iter=n_iter, tol=0.0,
                   reg_covar=0.0).params


def run_hmmlearn(X, start, lengths, n_iter):
    return hmmlearn_fit(X, start, n_iter, lengths=lengths)


def per_iteration(run, X, start, lengths, short, long_):
    t0 = time.perf_counter()
    run(X, start, lengths, short)
    t1 = time.perf_counter()
    run(X, start, lengths, long_)
    t2 = time.perf_counter()
    return ((t2 - t1) - (t1 - t0)) / (long_ - short)


def max_difference(a, b):
    names = ("initial", "transitions", "emissions") if isinstance(a, hmm.CategoricalHMMParams) \
        else ("initial", "transitions", "means", "covariances")
    return max(float(np.max(np.abs(getattr(a, n) - getattr(b, n)))) for n in names)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small problems, few repeats")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    cases = ([(kind, lengths[:10] if len(lengths) > 1 else (1_000,), k)
              for kind, lengths, k in CASES] if args.quick else CASES)
    repeats = 2 if args.quick else args.repeats
    short, long_ = (1, 2) if args.quick else (2, 12)

    print(f"{'emissions':>11} {'S':>5} {'T':>7} {'K':>3}  {'emlib ms/it':>11}  "
          f"{'hmmlearn ms/it':>14}  {'ratio min / median / max':>24}  {'max abs diff':>12}")
    with threadpool_limits(limits=1):
        for kind, lengths, n_states in cases:
            X, start = make_problem(kind, lengths, n_states)
            lengths = list(lengths)
            run_emlib(X, start, lengths, short)          # warm-up
            run_hmmlearn(X, start, lengths, short)
            ours, theirs = [], []
            for _ in range(repeats):                     # alternate to share any drift
                ours.append(per_iteration(run_emlib, X, start, lengths, short, long_))
                theirs.append(per_iteration(run_hmmlearn, X, start, lengths, short, long_))
            ratios = np.array(ours) / np.array(theirs)
            diff = max_difference(run_emlib(X, start, lengths, long_),
                                  run_hmmlearn(X, start, lengths, long_))
            print(f"{kind:>11} {len(lengths):>5} {lengths[0]:>7} {n_states:>3}  "
                  f"{1e3 * np.median(ours):>11.1f}  {1e3 * np.median(theirs):>14.1f}  "
                  f"{ratios.min():>8.2f} / {np.median(ratios):.2f} / {ratios.max():.2f}  "
                  f"{diff:>12.1e}", flush=True)


if __name__ == "__main__":
    main()
