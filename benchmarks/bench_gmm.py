"""Time emlib.gmm.fit against scikit-learn's GaussianMixture, side by side, beside the physical floor.

Both libraries run in this one process with one BLAS thread (threadpoolctl), on the same data from
the same start, for the same number of EM iterations (tol=0). The time per iteration is the
difference between a long and a short run divided by the difference in iterations, which cancels
set-up and the final E-step. Each size is repeated in alternating pairs (emlib then scikit-learn,
then the other way round), and the ratio emlib / scikit-learn of each pair is reported as
min / median / max: on a shared machine one run proves nothing.

The floor is what one iteration cannot avoid: reading X once, N·K exponentials and about 4·N·K·F
flops (F = 1 + D + D(D+1)/2; the log-densities and the statistics each cost 2·N·K·F), at this
machine's single-thread memory bandwidth, exp rate and DGEMM rate (measured at the start and after each
size; the best so far counts, as the floor is what the machine does when undisturbed).

    python benchmarks/bench_gmm.py               # the four README sizes, 7 pairs each
    python benchmarks/bench_gmm.py --repeats 11
    python benchmarks/bench_gmm.py --forms       # emlib's two E-step formulations across D
    python benchmarks/bench_gmm.py --quick       # smaller sizes, 2 pairs: a smoke test
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

from emlib import gmm

CASES = [(200_000, 2, 5), (50_000, 10, 5), (20_000, 50, 5), (100_000, 2, 20)]


def make_problem(n_samples, n_features, n_components, seed=0):
    """Well-separated random clusters and a k-means++ start shared by both libraries."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=4.0, size=(n_components, n_features))
    labels = rng.integers(n_components, size=n_samples)
    X = centres[labels] + rng.normal(size=(n_samples, n_features)) * rng.uniform(0.5, 1.5, n_features)
    start = gmm.init_params(X, n_components, random_state=seed)
    return X, start


def run_emlib(X, start, n_iter):
    return gmm.fit(X, start.n_components, init=start, max_iter=n_iter, tol=0.0).params


def run_sklearn(X, start, n_iter):
    model = GaussianMixture(start.n_components, covariance_type="full", tol=0.0, max_iter=n_iter,
                            reg_covar=1e-6, weights_init=start.weights, means_init=start.means,
                            precisions_init=np.linalg.inv(start.covariances))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X)
    return model


def per_iteration(run, X, start, short, long_):
    t0 = time.perf_counter()
    run(X, start, short)
    t1 = time.perf_counter()
    run(X, start, long_)
    t2 = time.perf_counter()
    return ((t2 - t1) - (t1 - t0)) / (long_ - short)


def relative_difference(params, model):
    pairs = [(params.weights, model.weights_), (params.means, model.means_),
             (params.covariances, model.covariances_)]
    return max(np.max(np.abs(a - b)) / np.max(np.abs(b)) for a, b in pairs)


def best_time(function, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        function()
        times.append(time.perf_counter() - t0)
    return min(times)


def machine_rates(quick=False):
    """Single-thread DGEMM flop rate, memory read bandwidth and exp time per element (the best of
    several tries: the floor is what the machine can do when it is not disturbed). ``quick``
    measures on smaller arrays (a rougher floor, for the smoke test)."""
    rng = np.random.default_rng(0)
    n = 256 if quick else 1024
    a, b = rng.random((n, n)), rng.random((n, n))
    gemm = 2 * n**3 / best_time(lambda: a @ b, 7)
    big = rng.random((2 if quick else 32) * 2**20)                # 256 MB (16 MB quick): beyond the caches
    bandwidth = big.nbytes / best_time(big.sum, 5)
    x, out = -50.0 * rng.random(2**18), np.empty(2**18)
    exp_seconds = best_time(lambda: np.exp(x, out=out), 20) / x.size
    return gemm, bandwidth, exp_seconds


def floor_seconds(n, d, k, rates):
    gemm, bandwidth, exp_seconds = rates
    features = 1 + d + d * (d + 1) // 2
    return n * d * 8 / bandwidth + n * k * exp_seconds + 4 * n * k * features / gemm


def best_rates(a, b):
    """The better of two measurements of (DGEMM rate, bandwidth, exp time)."""
    return max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2])


def compare(cases, repeats, short, long_, rates, quick=False):
    print(f"{'N':>8} {'D':>3} {'K':>3}  {'emlib ms/it':>11}  {'sklearn ms/it':>13}  "
          f"{'ratio min':>9} {'median':>7} {'max':>7}  {'floor ms':>8}  {'x floor':>7}  "
          f"{'max rel diff':>12}")
    for n_samples, n_features, n_components in cases:
        X, start = make_problem(n_samples, n_features, n_components)
        run_emlib(X, start, short)                       # warm-up: first-touch page faults, caches
        run_sklearn(X, start, short)
        ours, theirs = [], []
        for repeat in range(repeats):                    # alternate the order within each pair
            runs = [(ours, run_emlib), (theirs, run_sklearn)]
            for times, run in runs if repeat % 2 == 0 else runs[::-1]:
                times.append(per_iteration(run, X, start, short, long_))
        ratios = np.array(ours) / np.array(theirs)
        rates = best_rates(rates, machine_rates(quick))    # the floor from the best so far
        floor = floor_seconds(n_samples, n_features, n_components, rates)
        diff = relative_difference(run_emlib(X, start, long_), run_sklearn(X, start, long_))
        t_ours, t_theirs = np.median(ours), np.median(theirs)
        print(f"{n_samples:>8} {n_features:>3} {n_components:>3}  {1e3 * t_ours:>11.2f}  "
              f"{1e3 * t_theirs:>13.2f}  {ratios.min():>9.3f} {np.median(ratios):>7.3f} "
              f"{ratios.max():>7.3f}  {1e3 * floor:>8.2f}  {t_ours / floor:>7.1f}  {diff:>12.1e}",
              flush=True)
    print(f"# floor at the best rates measured: DGEMM {rates[0] / 1e9:.1f} GFLOP/s, memory read "
          f"{rates[1] / 1e9:.1f} GB/s, exp {rates[2] * 1e9:.2f} ns per element")


def compare_forms(repeats, n_iter=5):
    """emlib's E-step + M-step per iteration through each formulation, alternating, across D."""
    print(f"{'N':>8} {'D':>3} {'K':>3}  {'features ms/it':>14}  {'cholesky ms/it':>14}  "
          f"{'cholesky/features':>17}")
    for n_features in (2, 4, 6, 8, 10, 12, 14, 16, 20, 30, 50):
        n_samples = 1_000_000 // n_features
        X, start = make_problem(n_samples, n_features, 5)
        models = {form: gmm.GaussianMixtureModel(X, form=form) for form in ("features", "cholesky")}
        times = {form: [] for form in models}

        def iterate(model):
            params = start
            for _ in range(n_iter):
                params = model.m_step(model.e_step(params)[0])

        for form, model in models.items():
            iterate(model)                                    # warm-up
        for repeat in range(repeats):
            for form in (("features", "cholesky") if repeat % 2 == 0 else ("cholesky", "features")):
                t0 = time.perf_counter()
                iterate(models[form])
                times[form].append((time.perf_counter() - t0) / n_iter)
        features, cholesky = np.median(times["features"]), np.median(times["cholesky"])
        print(f"{n_samples:>8} {n_features:>3} {5:>3}  {1e3 * features:>14.2f}  "
              f"{1e3 * cholesky:>14.2f}  {cholesky / features:>17.2f}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small problems, 2 pairs")
    parser.add_argument("--forms", action="store_true", help="emlib's two formulations across D")
    parser.add_argument("--repeats", type=int, default=7, help="alternating pairs per size (>= 5)")
    args = parser.parse_args()
    with threadpool_limits(limits=1):
        if args.forms:
            compare_forms(args.repeats)
            return
        rates = machine_rates(args.quick)
        print(f"# one thread: DGEMM {rates[0] / 1e9:.1f} GFLOP/s, memory read "
              f"{rates[1] / 1e9:.1f} GB/s, exp {rates[2] * 1e9:.2f} ns per element")
        if args.quick:
            compare([(n // 20, d, k) for n, d, k in CASES], 2, 1, 3, rates, quick=True)
        else:
            compare(CASES, max(args.repeats, 5), 2, 12, rates)


if __name__ == "__main__":
    main()
