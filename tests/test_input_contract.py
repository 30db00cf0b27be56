"""The input contract, tested on every public function of emlib at once.

emlib promises (README, "The input contract") that bad input to any public function gets a
``ValueError`` or ``TypeError`` whose message names the argument — never a NaN, an error from deep
inside NumPy or matplotlib, or a silent wrong answer. This file feeds every public function

* bad dtypes: strings, complex numbers, booleans, dates, Python objects, masked arrays, text where
  a number belongs, and for the scalar and object arguments their own wrong types
  (``test_bad_dtype_is_rejected``, every case, deterministic);
* extreme magnitudes: NaN, ±inf, numbers near 1e308, 1e160, 1e-300, subnormals and whole arrays
  scaled or shifted by them, integers past int64 and absurd sizes (``test_extreme_magnitudes``,
  ten values per case from a generator seeded with the case's name),

and accepts only such an error, naming the mutated argument, or a finite result that passes the
example's own correctness check.

**How a function joins.** Public functions are discovered from every emlib module's ``__all__``
(new modules join automatically). Each needs an entry in ``EXAMPLES``: valid keyword arguments
(a function returning a fresh dict) and, for every argument to attack, the kind of value it takes
(see ``KINDS``). A public name with neither an entry nor a line in ``SKIPPED`` (which says why)
makes ``test_every_public_function_has_examples`` fail and say what to add.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import inspect
import math
import pkgutil
import re
import sys
import warnings
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from scipy import sparse  # noqa: E402

import emlib  # noqa: E402
from input_contract import Example, noop as _noop  # noqa: E402
from emlib import bounds, coins, divergences, gmm, maxent, topics  # noqa: E402


@pytest.fixture(autouse=True)
def close_all_figures():
    yield
    plt.close("all")


# --------------------------------------------------------------------------------------------
# Discovery
# --------------------------------------------------------------------------------------------
def _public_modules():
    """emlib's modules and subpackages' modules, without the private ones (``_name``)."""
    names = []
    for info in pkgutil.walk_packages(emlib.__path__, prefix="emlib."):
        if not any(part.startswith("_") for part in info.name.split(".")[1:]):
            names.append(info.name)
    return [importlib.import_module(name) for name in sorted(names)]


@functools.cache
def _discovered() -> dict[str, Any]:
    """Every name in some module's ``__all__``, keyed by where it is defined (a re-export such as
    ``emlib.plotting.plot_gmm`` is the same function as ``emlib.plotting.mixtures.plot_gmm``)."""
    found = {}
    for module in _public_modules():
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            home = getattr(obj, "__module__", module.__name__)
            found[f"{home.removeprefix('emlib.')}.{name}"] = obj
    return found


def public_functions() -> dict[str, Any]:
    """Every public emlib name (a fresh dict: a test may replace entries)."""
    return dict(_discovered())


# --------------------------------------------------------------------------------------------
# Valid example data (small: the property runs thousands of calls)
# --------------------------------------------------------------------------------------------
def _rng():
    return np.random.default_rng(0)


def _X():
    rng = _rng()
    return np.vstack([rng.normal(0.0, 1.0, (8, 2)), rng.normal(3.0, 0.5, (8, 2))])


def _params():
    return gmm.GaussianMixtureParams([0.5, 0.5], [[0.0, 0.0], [3.0, 3.0]],
                                     [np.eye(2), 0.25 * np.eye(2)])


def _params_1d():
    return gmm.GaussianMixtureParams([0.4, 0.6], [[0.0], [3.0]], [[[1.0]], [[0.5]]])


def _uniform_q(n=16, k=2):
    return np.full((n, k), 1.0 / k)


HEADS = [5, 9, 8, 4, 7]


def _coin_resp():
    return coins.e_step(HEADS, 10, [0.6, 0.5])


def _counts():
    return np.array([[3, 0, 1, 2, 0, 1], [0, 4, 0, 1, 2, 0], [1, 1, 5, 0, 0, 2],
                     [2, 0, 0, 3, 1, 1]])


def _topic_params():
    return topics.init_params(_counts(), 2, random_state=0)


def _doc_topic():
    return _topic_params()[0]


def _topic_word():
    return _topic_params()[1]


def _ratio():
    return topics.e_step(_counts(), *_topic_params())[0]


VOCABULARY = ["ball", "goal", "vote", "party", "chip", "code"]
FEATURES = np.arange(1.0, 7.0)[:, None]
TEXTS = ["the goal was a great goal", "a vote for the party", "the party won the vote",
         "goal after goal for the team"]


def _bound_curves():
    return bounds.bound_curves(_X(), _params(), n_iter=2, grid=np.linspace(-1.0, 4.0, 11))


def _half_steps():
    return bounds.em_half_steps(_X(), _params(), n_iter=2)


def _history():
    return [_params(), gmm.m_step(_X(), gmm.e_step(_X(), _params())[0])]


def _coins_model():
    return coins.CoinsModel(np.array(HEADS, dtype=float), np.full(5, 10.0))


# --------------------------------------------------------------------------------------------
# What a correct result satisfies (a finite result must also pass these)
# --------------------------------------------------------------------------------------------
def _close(a, b, scale=1.0, rtol=1e-7):
    return abs(a - b) <= rtol * max(1.0, abs(scale))


def _rows_are_distributions(p, axis=-1):
    p = np.asarray(p)
    assert np.all(p >= 0), p
    np.testing.assert_allclose(p.sum(axis=axis), 1.0, atol=1e-8)


def _check_jensen(result, kw):
    assert result.gap >= 0
    assert _close(result.gap, result.log_mean - result.mean_log, scale=result.log_mean)


def _check_decomposition(result, kw):
    assert result.kl >= 0
    assert _close(result.log_likelihood, result.elbo + result.kl, scale=result.log_likelihood,
                  rtol=1e-8)


def _check_standardize(Z, kw):
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-9)
    np.testing.assert_allclose(Z.std(axis=0), 1.0, rtol=1e-9)


def _check_entropy(h, kw):
    k = np.shape(kw["q"])[-1]
    assert np.all(np.asarray(h) >= 0) and np.all(np.asarray(h) <= np.log(k) + 1e-12)


def _check_elbo(value, kw):
    evidence = divergences.log_evidence(kw["log_joint"])
    assert np.all(np.asarray(value) <= evidence + 1e-9 * np.maximum(1.0, np.abs(evidence)))


def _check_gradient(g, kw):
    f = np.asarray(kw["features"], dtype=float)
    assert np.all(g >= f.min(axis=0) - 1e-12 * np.abs(f).max(axis=0))
    assert np.all(g <= f.max(axis=0) + 1e-12 * np.abs(f).max(axis=0))


def _check_hessian(h, kw):
    np.testing.assert_allclose(h, h.T, rtol=1e-12, atol=0)
    assert np.linalg.eigvalsh(h).min() >= -1e-12 * max(np.abs(h).max(), 1e-300)


def _check_maxent(result, kw):
    _rows_are_distributions(result.p)
    f = np.asarray(kw["features"], dtype=float)
    spread = f.max(axis=0) - f.min(axis=0)
    error = np.abs(result.p @ f - np.asarray(kw["moments"], dtype=float))
    assert np.all(error <= 1e-8 * np.where(spread > 0, spread, 1.0)), error


def _check_dice(result, kw):
    faces = np.arange(1, kw.get("n_faces", 6) + 1)
    assert abs(result.p @ faces - kw["mean"]) <= 1e-8 * kw.get("n_faces", 6)


def _check_objectives(result, kw):
    steps = np.diff(result.objectives)
    assert np.all(steps >= -1e-9 * np.maximum(1.0, np.abs(result.objectives[1:])))


def _check_topic_pair(pair, kw):
    _rows_are_distributions(pair[0])
    _rows_are_distributions(pair[1])


def _check_split(parts, kw):
    counts = kw["counts"]
    counts = counts.toarray() if sparse.issparse(counts) else np.asarray(counts, dtype=float)
    np.testing.assert_array_equal(parts[0].toarray() + parts[1].toarray(), counts)


def _check_params_usable(params, kw):
    """Parameters that construct must also evaluate: responsibilities at points one unit from
    their means."""
    resp, log_likelihood = gmm.e_step(params.means + 1.0, params)
    _rows_are_distributions(resp)
    assert np.isfinite(log_likelihood)


# --------------------------------------------------------------------------------------------
# The table: valid example arguments per public function, and which arguments to attack
# --------------------------------------------------------------------------------------------
EXAMPLES: dict[str, Example] = {
    # ---- emlib.bounds ------------------------------------------------------------------------
    "bounds.jensen_gap": Example(
        lambda: dict(values=[1.0, 2.0, 4.0], probs=[0.2, 0.5, 0.3]),
        {"values": "array", "probs": "array"}, check=_check_jensen),
    "bounds.decomposition": Example(
        lambda: dict(X=_X(), params=_params(), q=_uniform_q()),
        {"X": "array", "params": "object", "q": "array"}, check=_check_decomposition),
    "bounds.elbo_for_point": Example(
        lambda: dict(x=[0.5, 0.5], params=_params(), q0=0.3, grid_size=11),
        {"x": "array", "params": "object", "q0": "real", "grid_size": "int"}),
    "bounds.bound_curves": Example(
        lambda: dict(X=_X(), params=_params(), component=0, feature=1, n_iter=2,
                     grid=np.linspace(-1.0, 4.0, 11)),
        {"X": "array", "params": "object", "component": "int", "feature": "int",
         "n_iter": "int", "grid": "array"}),
    "bounds.em_half_steps": Example(
        lambda: dict(X=_X(), params=_params(), q=_uniform_q(), n_iter=2, reg_covar=0.0),
        {"X": "array", "params": "object", "q": "array", "n_iter": "int", "reg_covar": "real"}),
    # ---- emlib.coins -------------------------------------------------------------------------
    "coins.e_step": Example(
        lambda: dict(heads=HEADS, n_tosses=10, theta=[0.6, 0.5]),
        {"heads": "counts", "n_tosses": "counts", "theta": "array"},
        check=lambda r, kw: _rows_are_distributions(r)),
    "coins.m_step": Example(
        lambda: dict(heads=HEADS, n_tosses=[10] * 5, resp=_coin_resp()),
        {"heads": "counts", "n_tosses": "counts", "resp": "array"},
        check=lambda r, kw: (np.all((r >= 0) & (r <= 1)) or pytest.fail(f"theta {r}"))),
    "coins.log_likelihood": Example(
        lambda: dict(heads=HEADS, n_tosses=10, theta=[0.6, 0.5]),
        {"heads": "counts", "n_tosses": "counts", "theta": "array"},
        check=lambda r, kw: r <= 0 or pytest.fail(f"log-probability {r} > 0"), allow_inf=True),
    "coins.fit": Example(
        lambda: dict(heads=HEADS, n_tosses=10, theta_init=[0.6, 0.5], max_iter=20, tol=1e-8,
                     callback=_noop),
        {"heads": "counts", "n_tosses": "counts", "theta_init": "array", "max_iter": "int",
         "tol": "real", "callback": "callable"}, check=_check_objectives),
    # ---- emlib.datasets ----------------------------------------------------------------------
    "datasets.old_faithful": Example(lambda: dict(standardized=True), {"standardized": "flag"}),
    "datasets.standardize": Example(lambda: dict(X=_X()), {"X": "array"},
                                    check=_check_standardize),
    "datasets.digits": Example(lambda: dict(drop_constant=True), {"drop_constant": "flag"}),
    "datasets.count_matrix": Example(
        lambda: dict(texts=TEXTS, min_df=1, max_df=1.0, max_features=5, stop_words="english"),
        {"texts": "texts", "min_df": "real", "max_df": "real", "max_features": "int",
         "stop_words": "words"}),
    # ---- emlib.divergences -------------------------------------------------------------------
    "divergences.entropy": Example(
        lambda: dict(q=[[0.2, 0.3, 0.5], [0.6, 0.2, 0.2]], axis=-1),
        {"q": "array", "axis": "int"}, check=_check_entropy),
    "divergences.kl_divergence": Example(
        lambda: dict(q=[[0.2, 0.3, 0.5], [0.6, 0.2, 0.2]], p=[[0.3, 0.3, 0.4], [0.1, 0.1, 0.8]],
                     axis=-1),
        {"q": "array", "p": "array", "axis": "int"},
        check=lambda r, kw: np.all(np.asarray(r) >= 0) or pytest.fail(f"KL {r}"),
        allow_inf=True),
    "divergences.elbo": Example(
        lambda: dict(log_joint=[[-1.0, -2.0, -0.5], [-3.0, -1.0, -2.0]],
                     q=[[0.2, 0.3, 0.5], [0.6, 0.2, 0.2]], axis=-1),
        {"log_joint": "log_array", "q": "array", "axis": "int"}, check=_check_elbo,
        allow_inf=True),
    "divergences.log_evidence": Example(
        lambda: dict(log_joint=[[-1.0, -2.0, -0.5], [-3.0, -1.0, -2.0]], axis=-1),
        {"log_joint": "log_array", "axis": "int"}, allow_inf=True),
    "divergences.posterior": Example(
        lambda: dict(log_joint=[[-1.0, -2.0, -0.5], [-3.0, -1.0, -2.0]], axis=-1),
        {"log_joint": "log_array", "axis": "int"},
        check=lambda r, kw: _rows_are_distributions(r, axis=kw["axis"])),
    # ---- emlib.em ----------------------------------------------------------------------------
    "em.run": Example(
        lambda: dict(model=_coins_model(), params=np.array([0.6, 0.5]), max_iter=20, tol=1e-8,
                     callback=_noop),
        {"max_iter": "int", "tol": "real", "callback": "callable"}, check=_check_objectives),
    "em.check_em_arguments": Example(
        lambda: dict(max_iter=10, tol=1e-6, callback=_noop),
        {"max_iter": "int", "tol": "real", "callback": "callable"}),
    # ---- emlib.gmm (the statistics seam, prior and model: tests/input_examples/gmm.py) --------
    "gmm.GaussianMixtureParams": Example(
        lambda: dict(weights=[0.5, 0.5], means=[[0.0, 0.0], [3.0, 3.0]],
                     covariances=[np.eye(2), 0.25 * np.eye(2)]),
        {"weights": "array", "means": "array", "covariances": "array"},
        check=_check_params_usable),
    "gmm.e_step": Example(
        lambda: dict(X=_X(), params=_params()), {"X": "array", "params": "object"},
        check=lambda r, kw: _rows_are_distributions(r[0])),
    "gmm.m_step": Example(
        lambda: dict(X=_X(), resp=_uniform_q(), reg_covar=1e-6),
        {"X": "array", "resp": "array", "reg_covar": "real"}),
    "gmm.log_likelihood": Example(lambda: dict(X=_X(), params=_params()),
                                  {"X": "array", "params": "object"}),
    "gmm.estimate_log_prob": Example(lambda: dict(X=_X(), params=_params()),
                                     {"X": "array", "params": "object"}),
    "gmm.n_parameters": Example(lambda: dict(params=_params()), {"params": "object"}),
    "gmm.bic": Example(lambda: dict(X=_X(), params=_params()), {"X": "array", "params": "object"}),
    "gmm.fit": Example(
        lambda: dict(X=_X(), n_components=2, init="kmeans++", max_iter=20, tol=1e-6,
                     reg_covar=1e-6, random_state=0, callback=_noop),
        {"X": "array", "n_components": "int", "init": "choice", "max_iter": "int",
         "tol": "real", "reg_covar": "real", "random_state": "seed", "callback": "callable"}),
    "gmm.init_params": Example(
        lambda: dict(X=_X(), n_components=2, method="kmeans++", reg_covar=1e-6, random_state=0),
        {"X": "array", "n_components": "int", "method": "choice", "reg_covar": "real",
         "random_state": "seed"}),
    "gmm.sample": Example(
        lambda: dict(params=_params(), n_samples=5, random_state=0),
        {"params": "object", "n_samples": "int", "random_state": "seed"}),
    # ---- emlib.maxent ------------------------------------------------------------------------
    "maxent.max_entropy_distribution": Example(
        lambda: dict(features=FEATURES.copy(), moments=[4.5]),
        {"features": "array", "moments": "array"}, check=_check_maxent),
    "maxent.exp_family_pmf": Example(
        lambda: dict(natural_params=[0.37], features=FEATURES.copy()),
        {"natural_params": "array", "features": "array"},
        check=lambda r, kw: _rows_are_distributions(r)),
    "maxent.log_partition": Example(
        lambda: dict(natural_params=[0.37], features=FEATURES.copy()),
        {"natural_params": "array", "features": "array"}),
    "maxent.log_partition_gradient": Example(
        lambda: dict(natural_params=[0.37], features=FEATURES.copy()),
        {"natural_params": "array", "features": "array"}, check=_check_gradient),
    "maxent.log_partition_hessian": Example(
        lambda: dict(natural_params=[0.37], features=FEATURES.copy()),
        {"natural_params": "array", "features": "array"}, check=_check_hessian),
    "maxent.dice_max_entropy": Example(
        lambda: dict(mean=4.5, n_faces=6), {"mean": "real", "n_faces": "int"},
        check=_check_dice),
    # ---- emlib.plotting ----------------------------------------------------------------------
    "plotting.mixtures.plot_covariance_ellipses": Example(
        lambda: dict(params=_params(), n_std=(1, 2), colors=["C0", "C1"], dims=(0, 1),
                     linewidth=2.0),
        {"params": "object", "n_std": "array", "colors": "words", "dims": "array",
         "linewidth": "real"}),
    "plotting.mixtures.plot_gmm": Example(
        lambda: dict(X=_X(), params=_params(), resp=_uniform_q(), n_std=(1,), s=12.0,
                     legend=True, xlabel="x"),
        {"X": "array", "params": "object", "resp": "array", "n_std": "array", "s": "real",
         "legend": "flag", "xlabel": "label"}),
    "plotting.mixtures.plot_mixture_1d": Example(
        lambda: dict(X=_X()[:, 0], params=_params_1d(), resp=_uniform_q(), bins=5, grid_size=50),
        {"X": "array", "params": "object", "resp": "array", "bins": "int", "grid_size": "int"}),
    "plotting.mixtures.plot_log_likelihood": Example(
        lambda: dict(log_likelihoods=[-30.0, -25.0, -24.5], label="run"),
        {"log_likelihoods": "array", "label": "label"}),
    "plotting.mixtures.plot_em_iteration": Example(
        lambda: dict(X=_X(), history=_history(), t=1, n_std=(1,)),
        {"X": "array", "history": "object", "t": "int", "n_std": "array"}),
    "plotting.bounds.plot_jensen": Example(
        lambda: dict(values=[1.0, 2.0, 4.0], probs=[0.2, 0.5, 0.3]),
        {"values": "array", "probs": "array"}),
    "plotting.bounds.plot_elbo_for_point": Example(
        lambda: dict(x=[0.5, 0.5], params=_params(), q0=0.3, grid_size=11),
        {"x": "array", "params": "object", "q0": "real", "grid_size": "int"}),
    "plotting.bounds.plot_bound_curves": Example(
        lambda: dict(curves=_bound_curves(), t=1, show_previous=True),
        {"curves": "object", "t": "int", "show_previous": "flag"}),
    "plotting.bounds.plot_half_steps": Example(
        lambda: dict(half_steps=_half_steps()), {"half_steps": "object"}),
    "plotting.topics.plot_topic_words": Example(
        lambda: dict(topic_word=_topic_word(), vocabulary=VOCABULARY, topic=1, n_words=3),
        {"topic_word": "array", "vocabulary": "words", "topic": "int", "n_words": "int"}),
    "plotting.topics.plot_doc_topics": Example(
        lambda: dict(doc_topic=_doc_topic(), doc=1, topic_labels=["a", "b"], title="d"),
        {"doc_topic": "array", "doc": "int", "topic_labels": "words", "title": "label"}),
    "plotting.maxent.plot_dice_max_entropy": Example(
        lambda: dict(mean=4.5, n_faces=6), {"mean": "real", "n_faces": "int"}),
    # ---- emlib.topics ------------------------------------------------------------------------
    "topics.init_params": Example(
        lambda: dict(counts=_counts(), n_topics=2, random_state=0),
        {"counts": "counts", "n_topics": "int", "random_state": "seed"},
        check=_check_topic_pair),
    "topics.e_step": Example(
        lambda: dict(counts=_counts(), doc_topic=_doc_topic(), topic_word=_topic_word()),
        {"counts": "counts", "doc_topic": "array", "topic_word": "array"},
        check=lambda r, kw: r[1] <= 0 or pytest.fail(f"log-likelihood {r[1]} > 0")),
    "topics.hard_e_step": Example(
        lambda: dict(counts=_counts(), doc_topic=_doc_topic(), topic_word=_topic_word()),
        {"counts": "counts", "doc_topic": "array", "topic_word": "array"},
        check=lambda r, kw: r[2] <= 0 or pytest.fail(f"log-likelihood {r[2]} > 0")),
    "topics.m_step": Example(
        lambda: dict(ratio=_ratio(), doc_topic=_doc_topic(), topic_word=_topic_word(),
                     alpha=1.5, beta=1.0),
        {"ratio": "counts", "doc_topic": "array", "topic_word": "array", "alpha": "real",
         "beta": "real"}, check=_check_topic_pair),
    "topics.log_likelihood": Example(
        lambda: dict(counts=_counts(), doc_topic=_doc_topic(), topic_word=_topic_word()),
        {"counts": "counts", "doc_topic": "array", "topic_word": "array"}, allow_inf=True),
    "topics.log_posterior": Example(
        lambda: dict(counts=_counts(), doc_topic=_doc_topic(), topic_word=_topic_word(),
                     alpha=1.5, beta=1.2),
        {"counts": "counts", "doc_topic": "array", "topic_word": "array", "alpha": "real",
         "beta": "real"}, allow_inf=True),
    "topics.fit": Example(
        lambda: dict(counts=_counts(), n_topics=2, alpha=1.0, beta=1.1, max_iter=30, tol=1e-4,
                     random_state=0, callback=_noop, hard=False),
        {"counts": "counts", "n_topics": "int", "alpha": "real", "beta": "real",
         "max_iter": "int", "tol": "real", "random_state": "seed", "callback": "callable",
         "hard": "flag", "init": "object"}, check=_check_objectives),
    "topics.fold_in": Example(
        lambda: dict(counts=_counts(), topic_word=_topic_word(), alpha=1.2, max_iter=30,
                     tol=1e-4),
        {"counts": "counts", "topic_word": "array", "alpha": "real", "max_iter": "int",
         "tol": "real"}, check=lambda r, kw: _rows_are_distributions(r)),
    "topics.perplexity": Example(
        lambda: dict(counts=_counts(), doc_topic=_doc_topic(), topic_word=_topic_word()),
        {"counts": "counts", "doc_topic": "array", "topic_word": "array"}, allow_inf=True),
    "topics.split_tokens": Example(
        lambda: dict(counts=_counts(), fraction=0.5, random_state=0),
        {"counts": "counts", "fraction": "real", "random_state": "seed"}, check=_check_split),
    "topics.top_words": Example(
        lambda: dict(topic_word=_topic_word(), vocabulary=VOCABULARY, n_words=3),
        {"topic_word": "array", "vocabulary": "words", "n_words": "int"}),
    "topics.match_topics": Example(
        lambda: dict(topic_word=_topic_word(), reference=_topic_word()[::-1]),
        {"topic_word": "array", "reference": "array"}),
    "topics.sample_corpus": Example(
        lambda: dict(doc_topic=_doc_topic(), topic_word=_topic_word(), doc_lengths=[5, 0, 7, 3],
                     random_state=0, return_topic_counts=True),
        {"doc_topic": "array", "topic_word": "array", "doc_lengths": "counts",
         "random_state": "seed", "return_topic_counts": "flag"}),
}

# Public names that take no input to attack, each with the reason.
SKIPPED = {
    # Result records and statistics: containers that the functions above fill in; functions
    # that accept one back (plot_bound_curves, plot_half_steps) check it themselves.
    "bounds.JensenGap": "result record", "bounds.Decomposition": "result record",
    "bounds.ElboForPoint": "result record", "bounds.BoundCurves": "result record",
    "bounds.HalfSteps": "result record", "coins.CoinsResult": "result record",
    "coins.CoinsStatistics": "statistics record", "em.EMResult": "result record",
    "gmm.GaussianMixtureResult": "result record", "maxent.MaxEntropyResult": "result record",
    "topics.TopicModelParams": "parameter record", "topics.TopicStatistics": "statistics record",
    "topics.TopicModelResult": "result record",
    # The driver's interfaces: a Protocol and a base class, nothing to call with data.
    "em.EMModel": "protocol", "em.SufficientStatistics": "base class",
    # Models bound to data that their fit has already checked (documented as such); users
    # reach them through fit, whose arguments are attacked above.
    "coins.CoinsModel": "built from checked data by coins.fit",
    "topics.TopicModel": "built from checked data by topics.fit",
    # No arguments at all.
    "datasets.bbc_news": "takes no arguments", "datasets.airquality": "takes no arguments",
    "datasets.geyser": "takes no arguments",
    "em.VectorizedModel": "protocol",
}

# Per-module tables: tests/input_examples/<module>.py defines EXAMPLES (and optionally SKIPPED)
# in the same form, so that a new module's owner adds one file instead of editing this one.
for _info in pkgutil.iter_modules([str(__import__("pathlib").Path(__file__).parent / "input_examples")]):
    _table = importlib.import_module(f"input_examples.{_info.name}")
    _clash = (set(_table.EXAMPLES) & set(EXAMPLES)) | (set(getattr(_table, "SKIPPED", {})) & set(SKIPPED))
    assert not _clash, f"tests/input_examples/{_info.name}.py repeats {sorted(_clash)}"
    EXAMPLES.update(_table.EXAMPLES)
    SKIPPED.update(getattr(_table, "SKIPPED", {}))

# Modules merged from main after this test was written, outside the files of issue 15: each
# owner adds its rows to EXAMPLES (and fixes what they find), then deletes its line here. A
# module listed here is still discovered, so a *new* module is never skipped silently.
# Status: every module has its rows (the last, emlib.checks, joined on 2026-12-03).
AWAITING_EXAMPLES: set[str] = set()


def _awaiting(key: str) -> bool:
    return key.rsplit(".", 1)[0] in AWAITING_EXAMPLES


# --------------------------------------------------------------------------------------------
# The mutations
# --------------------------------------------------------------------------------------------
def _dense(value):
    return value.toarray() if sparse.issparse(value) else np.asarray(value)


def _like(valid, array):
    """``array`` in the container of ``valid``: sparse stays sparse."""
    return sparse.csr_array(array) if sparse.issparse(valid) else array


def _array_dtype_attacks(valid):
    a = _dense(valid)
    objects = a.astype(object)
    objects.flat[0] = None
    mask = np.zeros(a.shape, dtype=bool)
    mask.flat[0] = True
    attacks = {
        "strings": a.astype(str),
        "complex": a.astype(complex),                        # zero imaginary parts, still bad
        "complex-imaginary": a + 1e-3j,
        "booleans": a != 0,
        "dates": np.full(a.shape, np.datetime64("2024-01-01")),
        "objects": objects,
        "masked": np.ma.masked_array(a, mask=mask),
        "text": "1.5",
        "none": None,
    }
    if sparse.issparse(valid):
        attacks["sparse-complex"] = sparse.csr_array(a.astype(complex))
        attacks["sparse-booleans"] = sparse.csr_array(a != 0)
    return attacks


def _wrong_arity(t):
    return None


KINDS = {
    # kind: the bad dtypes that must be a TypeError/ValueError naming the argument
    "array": _array_dtype_attacks,
    "log_array": _array_dtype_attacks,
    "counts": _array_dtype_attacks,
    "int": lambda v: {"bool": True, "float": 2.5, "string": "3", "complex": 3 + 0j,
                      "array": np.array([2, 3])},
    "real": lambda v: {"bool": True, "string": "0.5", "complex": 0.5 + 0j, "list": [0.5, 1.0]},
    "flag": lambda v: {"int": 1, "string": "yes", "none": None, "float": 0.0},
    "object": lambda v: {"string": "abc", "int": 3, "tuple": (1.0, 2.0), "dict": {}},
    "callable": lambda v: {"int": 3, "string": "print", "wrong-arity": _wrong_arity},
    "choice": lambda v: {"unknown": "bogus", "int": 3, "none": None},
    "seed": lambda v: {"float": 0.5, "string": "0", "negative": -1, "bool": True},
    "texts": lambda v: {"string": "one text", "numbers": [1, 2], "bytes": [b"a text"],
                        "int": 5},
    "words": lambda v: {"string-for-list": 5, "bytes": b"abc"},
    "label": lambda v: {"int": 3, "bytes": b"abc"},
}

# Extreme values for the property test.
EXTREME_FLOATS = [np.nan, np.inf, -np.inf, 1.7976931348623157e308, -1.7976931348623157e308,
                  1e308, 1e300, 1e200, 1e160, 1e155, -1e155, 1e-300, 5e-324,
                  2.2250738585072014e-308, 0.0, -1.0]
EXTREME_FACTORS = [1e300, 1e200, 1e155, -1e155, 1e-155, 1e-300]
EXTREME_SHIFTS = [1e300, 1e155, 1e16, -1e200]
EXTREME_INTS = [-1, 0, 2**63, 10**15, 10**30, -(10**30)]
EXTREME_COUNTS = [1e19, 2.0**63, 1e300, 1.7976931348623157e308, 10**30, 2**64]


# Values drawn per (function, argument): enough to meet each mode and the ends of each pool.
EXTREME_DRAWS = 10


def extreme_value(kind, valid, rng):
    """A value of ``kind`` with an extreme magnitude, derived from the valid one (``rng``'s draw)."""
    def pick(pool):
        return pool[rng.integers(len(pool))]

    if kind in ("int",):
        return pick(EXTREME_INTS)
    if kind == "real":
        return pick(EXTREME_FLOATS)
    if kind in ("array", "log_array", "counts"):
        a = _dense(valid).astype(float)
        mode = pick(["entry", "scale", "shift"] if kind != "counts" else ["entry", "scale"])
        if mode == "entry":
            index = int(rng.integers(max(a.size, 1)))
            pool = EXTREME_COUNTS + [np.nan, np.inf, 0.0] if kind == "counts" else EXTREME_FLOATS
            value = pick(pool)
            if isinstance(value, int):                     # past int64: an object array
                mutated = a.astype(object)
                mutated.flat[index] = value
                return mutated.tolist() if not sparse.issparse(valid) else sparse.csr_array(a)
            a.flat[index] = value
        elif mode == "scale":
            a = a * pick([1e15, 1e300, 1e-300] if kind == "counts" else EXTREME_FACTORS)
        else:
            a = a + pick(EXTREME_SHIFTS)
        return _like(valid, a)
    return None                                            # no magnitude for this kind


# --------------------------------------------------------------------------------------------
# Running a case
# --------------------------------------------------------------------------------------------
def _names(message: str, name: str) -> bool:
    """Whether ``message`` names the argument ``name`` as a word (``q`` is not in ``q0``)."""
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", message) is not None


def _assert_finite(value, allow_inf: bool, where="result", allow_nan: bool = False):
    if isinstance(value, (Axes, str, bytes, type(None), bool)):
        return
    if sparse.issparse(value):
        return _assert_finite(value.data, allow_inf, where)
    if isinstance(value, np.ndarray) and value.dtype.kind in "iuf":
        bad = np.isnan(value) if allow_inf else ~np.isfinite(value)
        if allow_nan:                       # documented NaN (the example's check places it)
            bad &= ~np.isnan(value)
        assert not np.any(bad), f"{where} is not finite: {value}"
    elif isinstance(value, (float, np.floating, int, np.integer)):
        assert not (math.isnan(value) or (not allow_inf and math.isinf(value))), \
            f"{where} = {value} is not finite"
    elif isinstance(value, (tuple, list)):
        for i, item in enumerate(value):
            _assert_finite(item, allow_inf, f"{where}[{i}]")
    elif dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            _assert_finite(getattr(value, f.name), allow_inf, f"{where}.{f.name}")


def _call(key: str, name: str, value):
    """Call function ``key`` with argument ``name`` replaced by ``value``; assert the contract."""
    function = public_functions()[key]
    example = EXAMPLES[key]
    kwargs = example.args()
    kwargs[name] = value
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        try:
            result = function(**kwargs)
        except (ValueError, TypeError) as exc:
            assert _names(str(exc), name), (
                f"{key}({name}={value!r:.80}) raised {type(exc).__name__} without naming "
                f"{name!r}: {exc}")
            return
        except AssertionError:
            if example.asserts:            # a check that found the disagreement: its answer
                return
            raise
    _assert_finite(result, example.allow_inf, allow_nan=example.allow_nan)
    if example.check is not None:
        example.check(result, kwargs)


def _default(key, name):
    parameter = inspect.signature(public_functions()[key]).parameters.get(name)
    return "no default" if parameter is None or parameter.default is parameter.empty \
        else parameter.default


def _marks(example, *keys):
    """xfail(strict=True) for a known failure listed under the first of ``keys`` found."""
    for key in keys:
        if key in example.xfail:
            return [pytest.mark.xfail(strict=True, reason=example.xfail[key])]
    return []


def _cases_for(kind_filter=None):
    cases = []
    for key, example in sorted(EXAMPLES.items()):
        valid = example.args() if kind_filter is not None else {}
        for name, kind in example.mutate.items():
            if kind_filter is None:
                cases.append(pytest.param(key, name, kind, id=f"{key}-{name}",
                                          marks=_marks(example, f"{name}-magnitudes")))
            else:
                for attack in KINDS[kind](valid.get(name)):
                    if attack == "none" and _default(key, name) is None:
                        continue                                   # None is valid there
                    cases.append(pytest.param(key, name, kind, attack,
                                              id=f"{key}-{name}-{attack}",
                                              marks=_marks(example, f"{name}-{attack}")))
    return cases


# --------------------------------------------------------------------------------------------
# The tests
# --------------------------------------------------------------------------------------------
def test_every_public_function_has_examples():
    found = {key: obj for key, obj in public_functions().items() if callable(obj)}   # not data
    missing = sorted(key for key in set(found) - set(EXAMPLES) - set(SKIPPED)
                     if not _awaiting(key))
    assert not missing, (
        "these public emlib names have no example arguments in tests/test_input_contract.py: "
        f"{missing}. Add an entry to EXAMPLES (valid keyword arguments and the kind of each "
        "argument to attack), or a line in SKIPPED saying why it takes no input to attack.")
    stale = sorted((set(EXAMPLES) | set(SKIPPED)) - set(found))
    assert not stale, f"EXAMPLES/SKIPPED name functions that are not public (any more): {stale}"
    covered = sorted(key for key in EXAMPLES if _awaiting(key))
    assert not covered, f"delete these modules from AWAITING_EXAMPLES, they have rows: {covered}"


@pytest.mark.parametrize("key", sorted(EXAMPLES))
def test_examples_are_valid_and_mutate_real_arguments(key):
    function = public_functions()[key]
    example = EXAMPLES[key]
    kwargs = example.args()
    parameters = inspect.signature(function).parameters
    takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in parameters.values())
    for name in list(kwargs) + list(example.mutate):
        assert name in parameters or takes_kwargs, f"{key} has no argument {name!r}"
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        result = function(**kwargs)
    _assert_finite(result, example.allow_inf, allow_nan=example.allow_nan)
    if example.check is not None:
        example.check(result, kwargs)


@pytest.mark.parametrize("key, name, kind, attack", _cases_for(kind_filter="dtype"))
def test_bad_dtype_is_rejected(key, name, kind, attack):
    """Every bad dtype is an error naming the argument (never converted, never NaN)."""
    valid = EXAMPLES[key].args().get(name)
    value = KINDS[kind](valid)[attack]
    function = public_functions()[key]
    kwargs = EXAMPLES[key].args()
    kwargs[name] = value
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises((ValueError, TypeError)) as raised:
            function(**kwargs)
    assert _names(str(raised.value), name), (
        f"{key}({name}=<{attack}>) raised {raised.typename} without naming {name!r}: "
        f"{raised.value}")


_MAGNITUDE_CASES = [c for c in _cases_for()
                    if c.values[2] in ("int", "real", "array", "log_array", "counts")]


@pytest.mark.parametrize("key, name, kind", _MAGNITUDE_CASES)
def test_extreme_magnitudes(key, name, kind):
    """An extreme value is an error naming the argument, or a finite, correct result.

    ``EXTREME_DRAWS`` values per case, drawn by a generator seeded with the case's name: the same
    values on every run and machine (a failure names the value), different ones for each case.
    """
    rng = np.random.default_rng(zlib.crc32(f"{key}:{name}".encode()))
    for _ in range(EXTREME_DRAWS):
        value = extreme_value(kind, EXAMPLES[key].args().get(name), rng)
        try:
            _call(key, name, value)
        except BaseException as failure:
            failure.add_note(f"with {name} = {value!r}")
            raise
        finally:
            plt.close("all")                 # each draw plots on a figure of its own


# --------------------------------------------------------------------------------------------
# emlib.gmm: the failures the issue found (each was a strict xfail until fixed)
# --------------------------------------------------------------------------------------------

def _contract(call, name):
    """``call()`` raises a ValueError/TypeError naming ``name`` or returns finite numbers."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        try:
            result = call()
        except (ValueError, TypeError) as exc:
            assert _names(str(exc), name), f"error does not name {name!r}: {exc}"
            return
    _assert_finite(result, allow_inf=False)


def test_gmm_kmeans_plusplus_on_data_near_1e155():
    # Squared distances overflow: numpy's "probabilities contain NaN", four frames deep.
    _contract(lambda: gmm.fit(_X() * 1e155, 2, random_state=0, max_iter=5), "X")


def test_gmm_e_step_with_one_point_at_1e160():
    X = _X()
    X[0] = 1e160
    _contract(lambda: gmm.e_step(X, _params()), "X")


def test_gmm_subnormal_variance_is_rejected_or_usable():
    # Was accepted by GaussianMixtureParams, then NaN in the E-step of any point off the mean.
    def call():
        params = gmm.GaussianMixtureParams([1.0], [[0.0]], [[[1e-310]]])
        return gmm.e_step(np.array([[0.0], [1.0]]), params)
    _contract(call, "covariances")


def test_gmm_fit_names_init_for_an_unknown_method():
    with pytest.raises(ValueError, match=r"(?<![A-Za-z_])init(?![A-Za-z_])"):
        gmm.fit(_X(), 2, init="bogus")


def test_gmm_absurd_size_says_what_is_too_large():
    # n_components=10**15 is already rejected (at most the number of samples, test below); the
    # MemoryError the issue saw is sample's n_samples=10**15.
    with pytest.raises(ValueError, match="n_samples"):
        gmm.sample(_params(), 10**15)


def test_gmm_fit_checks_the_callback_arity():
    with pytest.raises(TypeError, match="callback"):
        gmm.fit(_X(), 2, max_iter=2, callback=_wrong_arity)   # fails inside fit, unnamed


def test_gmm_huge_n_components_is_already_rejected_before_allocating():
    with pytest.raises(ValueError, match="n_components"):
        gmm.fit(_X(), 10**15)
    with pytest.raises(ValueError, match="n_components"):
        gmm.init_params(_X(), 10**15)


# --------------------------------------------------------------------------------------------
# The contract's own checks can fail (shown on plausible wrong implementations)
# --------------------------------------------------------------------------------------------
def _textbook_jensen(values, probs):
    """Jensen's gap relative to the largest value without log space: r = x / x_max underflows
    for values spanning 1e-300 … 1e300, so E[log X] is −inf and the gap infinite."""
    values, probs = np.asarray(values, float), np.asarray(probs, float)
    scale = values.max()
    with np.errstate(divide="ignore"):
        mean_log = float(np.dot(probs, np.log(values / scale))) + np.log(scale)
    log_mean = float(np.log(np.dot(probs, values / scale))) + np.log(scale)
    return bounds.JensenGap(log_mean, mean_log, log_mean - mean_log)


def _unnamed_error(values, probs):
    raise ValueError("operands could not be broadcast together")     # numpy's, names nothing


def _silently_converts(values, probs):
    return bounds.jensen_gap(np.real(np.asarray(values, dtype=complex)), probs)


@pytest.mark.parametrize("broken, value, why", [
    (_textbook_jensen, [1e-300, 1e300, 4.0], "not finite"),
    (_unnamed_error, [1.0, 2.0, 4.0], "without naming 'values'"),
])
def test_the_property_fails_on_a_broken_function(monkeypatch, broken, value, why):
    functions = public_functions() | {"bounds.jensen_gap": broken}
    monkeypatch.setattr(sys.modules[__name__], "public_functions", lambda: functions)
    with pytest.raises(AssertionError, match=why):
        _call("bounds.jensen_gap", "values", value)


def test_the_dtype_check_fails_on_a_function_that_converts_silently(monkeypatch):
    functions = public_functions() | {"bounds.jensen_gap": _silently_converts}
    monkeypatch.setattr(sys.modules[__name__], "public_functions", lambda: functions)
    with pytest.raises(pytest.fail.Exception, match="DID NOT RAISE"):
        test_bad_dtype_is_rejected("bounds.jensen_gap", "values", "array", "complex")
