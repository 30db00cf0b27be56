r"""EM for hidden Markov models: forward–backward, Baum–Welch and Viterbi, on the EM driver.

The model (Baum, Petrie, Soules & Weiss, *Ann. Math. Statist.* 41, 1970; Rabiner, *Proc. IEEE*
77, 1989; Bishop, *Pattern Recognition and Machine Learning*, 2006, chapter 13). A chain of hidden
states :math:`z_0, \dots, z_{T-1} \in \{0, \dots, K-1\}` and one observation :math:`x_t` per state:

.. math::
    p(X, Z \mid \theta) = \pi_{z_0} \prod_{t=1}^{T-1} A_{z_{t-1} z_t}
        \prod_{t=0}^{T-1} p(x_t \mid z_t),

with the initial distribution :math:`\pi_k = p(z_0 = k)` (``initial``), the transitions
:math:`A_{jk} = p(z_t = k \mid z_{t-1} = j)` (``transitions``, rows summing to 1) and the emissions
:math:`p(x_t \mid z_t = k)`: categorical, :math:`B_{km}` (``emissions``, rows summing to 1), or
Gaussian, :math:`\mathcal N(x_t \mid \mu_k, \Sigma_k)` (``means``, ``covariances``; the
log-densities are the Gaussian mixture's, ``emlib.gmm.estimate_log_prob``).

**E-step: forward–backward with scaling** (Rabiner §V.A; Bishop §13.2.4). With
:math:`e_t(k) = p(x_t \mid z_t = k)` (the evidence of x_t for state k), the scaled forward
messages
:math:`\hat f_t(k) = p(z_t = k \mid x_{0:t})` and the scale factors
:math:`c_t = p(x_t \mid x_{0:t-1})` come from

.. math::
    c_0 \hat f_0 = \pi \odot e_0, \qquad c_t \hat f_t = (\hat f_{t-1} A) \odot e_t ,
    \qquad \log p(X \mid \theta) = \sum_t \log c_t ,

and the scaled backward messages :math:`\hat b_t(k) = p(x_{t+1:} \mid z_t = k) /
p(x_{t+1:} \mid x_{0:t})` from :math:`\hat b_{T-1} = 1`,
:math:`\hat b_t = A (e_{t+1} \odot \hat b_{t+1}) / c_{t+1}`. Then

.. math::
    \gamma_t(k) = \hat f_t(k)\, \hat b_t(k), \qquad
    \xi_t(j, k) = p(z_t = j, z_{t+1} = k \mid X) =
        \hat f_t(j)\, A_{jk}\, e_{t+1}(k)\, \hat b_{t+1}(k) / c_{t+1}.

(Bishop and Rabiner write :math:`\alpha, \beta` for the messages; in this course those letters
are Dirichlet concentrations, see notebooks/NOTATION.md.) Each :math:`e_t` is used as
:math:`\exp(\log e_t - \max_k \log e_t(k))` with the maximum added back to :math:`\log c_t`, so
that emission densities far below the smallest double do not underflow.

**M-step: expected counts** (the :class:`CategoricalHMMStatistics` or
:class:`GaussianHMMStatistics`): :math:`\pi_k \propto \sum_s \gamma_{s,0}(k)`,
:math:`A_{jk} \propto \sum_{s,t} \xi_{s,t}(j,k)`, and for the emissions
:math:`B_{km} \propto \sum_t \gamma_t(k) [x_t = m]`, or
:math:`\mu_k = \sum_t \gamma_t(k) x_t / N_k`,
:math:`\Sigma_k = \sum_t \gamma_t(k) x_t x_t^\top / N_k - \mu_k \mu_k^\top` with
:math:`N_k = \sum_t \gamma_t(k)`.

**Several sequences** (``lengths``, as in hmmlearn: the sequences stored one after another) are
independent given θ: their log-likelihoods and statistics add. They are processed together —
sorted by length, laid out time-major as (T_max, S, K), so that at step t the sequences still
running are a prefix and one recursion step is one (S, K) @ (K, K) product for all of them.

**Viterbi** (Viterbi 1967; Rabiner §III.B) finds the most probable path
:math:`\arg\max_Z p(Z \mid X, \theta)` by dynamic programming in log space.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import functools

import numpy as np
from scipy import sparse

from . import gmm
from ._validation import (as_float_array, check_allocation, check_data_matrix, check_distribution,
                          check_instance,
                          check_int, check_lengths, check_n_features, check_random_state,
                          check_real, check_symbols)
from .em import EMResult, SufficientStatistics, check_em_arguments, run

__all__ = [
    "CategoricalHMMParams",
    "GaussianHMMParams",
    "CategoricalHMMStatistics",
    "GaussianHMMStatistics",
    "ForwardBackward",
    "HMMResult",
    "CategoricalHMM",
    "GaussianHMM",
    "forward_backward",
    "e_step",
    "expected_statistics",
    "m_step",
    "log_likelihood",
    "viterbi",
    "sample",
    "sticky_transitions",
    "from_mixture",
    "n_parameters",
    "init_params",
    "fit",
]

# A state whose expected count is below this holds no data: the M-step keeps its old values.
_EMPTY = 10.0 * np.finfo(np.float64).eps


# --------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------
def _check_chain(initial, transitions):
    """π (K,) and A (K, K), validated, copied and read-only."""
    initial = as_float_array(initial, "initial", ndim=1, copy=True)
    transitions = as_float_array(transitions, "transitions", ndim=2, copy=True)
    n_states = initial.shape[0]
    if transitions.shape != (n_states, n_states):
        raise ValueError(f"transitions has shape {transitions.shape} but initial has {n_states} "
                         f"states; transitions must have shape ({n_states}, {n_states}), "
                         "transitions[j, k] = p(z_t = k | z_(t-1) = j)")
    check_distribution(initial, "initial")
    check_distribution(transitions, "transitions")
    return initial, transitions


def _freeze(instance, **arrays):
    for name, array in arrays.items():
        array.setflags(write=False)
        object.__setattr__(instance, name, array)


@dataclass(frozen=True, eq=False)
class CategoricalHMMParams:
    """θ = (π, A, B) of a K-state hidden Markov model with M-symbol categorical emissions.

    initial : (K,) π_k = p(z_0 = k), summing to 1.
    transitions : (K, K) A_jk = p(z_t = k | z_{t−1} = j), rows summing to 1.
    emissions : (K, M) B_km = p(x_t = m | z_t = k), rows summing to 1.

    Validated on construction; the arrays are stored as read-only copies.
    """

    initial: np.ndarray
    transitions: np.ndarray
    emissions: np.ndarray

    def __post_init__(self):
        initial, transitions = _check_chain(self.initial, self.transitions)
        emissions = as_float_array(self.emissions, "emissions", ndim=2, copy=True)
        if emissions.shape[0] != initial.shape[0]:
            raise ValueError(f"emissions has {emissions.shape[0]} rows but initial has "
                             f"{initial.shape[0]} states; emissions must have shape "
                             "(n_states, n_symbols)")
        check_distribution(emissions, "emissions")
        _freeze(self, initial=initial, transitions=transitions, emissions=emissions)

    @property
    def n_states(self) -> int:
        return self.initial.shape[0]

    @property
    def n_symbols(self) -> int:
        return self.emissions.shape[1]


@dataclass(frozen=True, eq=False)
class GaussianHMMParams:
    """θ = (π, A, μ, Σ) of a K-state hidden Markov model with Gaussian emissions in D dimensions.

    initial : (K,) π_k = p(z_0 = k). transitions : (K, K) A_jk = p(z_t = k | z_{t−1} = j).
    means : (K, D) μ_k. covariances : (K, D, D) Σ_k, symmetric positive definite.

    ``components`` is the same Gaussians as an ``emlib.gmm.GaussianMixtureParams`` (equal
    weights), whose ``estimate_log_prob`` gives the emission log-densities; building it checks
    the covariances and computes their Cholesky factors once.
    """

    initial: np.ndarray
    transitions: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    components: gmm.GaussianMixtureParams = field(init=False, repr=False)

    def __post_init__(self):
        initial, transitions = _check_chain(self.initial, self.transitions)
        n_states = initial.shape[0]
        means = as_float_array(self.means, "means", ndim=2, copy=True)
        if means.shape[0] != n_states:
            raise ValueError(f"means has {means.shape[0]} rows but initial has {n_states} states;"
                             " means must have shape (n_states, n_features)")
        components = gmm.GaussianMixtureParams(np.full(n_states, 1.0 / n_states), means,
                                               self.covariances)
        _freeze(self, initial=initial, transitions=transitions, means=components.means,
                covariances=components.covariances)
        object.__setattr__(self, "components", components)

    @property
    def n_states(self) -> int:
        return self.initial.shape[0]

    @property
    def n_features(self) -> int:
        return self.means.shape[1]


_PARAMS = (CategoricalHMMParams, GaussianHMMParams)


def _check_params(params, name: str = "params"):
    if not isinstance(params, _PARAMS):
        raise TypeError(f"{name} must be a CategoricalHMMParams or a GaussianHMMParams, got "
                        f"{type(params).__name__}")
    return params


def _check_observations(X, params, name: str = "X") -> np.ndarray:
    """Symbols (n,) for categorical emissions, an (n, D) matrix for Gaussian ones."""
    if isinstance(params, CategoricalHMMParams):
        return check_symbols(X, name, params.n_symbols)
    return check_n_features(check_data_matrix(X, name), params.n_features, "params.means", name)


def _check_data(X, params, lengths):
    params = _check_params(params)
    X = _check_observations(X, params)
    return X, params, check_lengths(lengths, X.shape[0])


def sticky_transitions(n_states: int, self_transition: float) -> np.ndarray:
    """(K, K) transitions that stay with probability ``self_transition`` and move to each other
    state with probability (1 − self_transition)/(K − 1). ``self_transition = 1/K`` forgets the
    past (every row is uniform: the chain is a mixture with equal weights); near 1 the chain
    sticks, and the decoded paths switch rarely."""
    n_states = check_int(n_states, "n_states", minimum=2)
    check_allocation(float(n_states) ** 2, "n_states", f"a ({n_states}, {n_states}) matrix")
    self_transition = check_real(self_transition, "self_transition", minimum=0.0)
    if self_transition > 1:
        raise ValueError(f"self_transition is a probability and must be <= 1, got "
                         f"{self_transition}")
    off = (1.0 - self_transition) / (n_states - 1)
    return np.full((n_states, n_states), off) + (self_transition - off) * np.eye(n_states)


def from_mixture(mixture) -> GaussianHMMParams:
    """A Gaussian mixture (``emlib.gmm.GaussianMixtureParams``) as an HMM: π = the weights and
    every row of A = the weights, so that z_t does not depend on z_{t−1} and the HMM's
    log-likelihood is the mixture's. An HMM with free A can only do better."""
    mixture = check_instance(mixture, gmm.GaussianMixtureParams, "mixture")
    weights = mixture.weights
    return GaussianHMMParams(weights, np.tile(weights, (weights.shape[0], 1)), mixture.means,
                             mixture.covariances)


def n_parameters(params) -> int:
    """Free parameters: (K − 1) for π, K(K − 1) for A, and K(M − 1) categorical or
    K·D + K·D(D + 1)/2 Gaussian emission parameters (for BIC, as ``emlib.gmm.n_parameters``)."""
    params = _check_params(params)
    k = params.n_states
    chain = (k - 1) + k * (k - 1)
    if isinstance(params, CategoricalHMMParams):
        return chain + k * (params.n_symbols - 1)
    d = params.n_features
    return chain + k * d + k * d * (d + 1) // 2


# --------------------------------------------------------------------------------------------
# Several sequences at once: the time-major layout, long sequences cut into segments
# --------------------------------------------------------------------------------------------
# A sequence longer than this (and than 4 × the number of sequences) is cut into segments of
# about √T_max steps, so that the recursions loop over ~3√T steps instead of T (see _transfer).
_SEGMENT_ABOVE = 256


class _Layout:
    """S sequences of lengths T_s, stored one after another in n rows, laid out time-major.

    The unit of the layout is a *segment*: a whole sequence, or — for sequences much longer than
    the number of sequences, when ``segment`` is True — a run of about √T_max consecutive steps
    of one. The G segments are sorted by length (longest first), so at step t the ones still
    running are the first ``n_active[t]``: one recursion step is one (G, K) @ (K, K) product for
    all of them. Row t·G + g of a padded (T_max·G, ...) array is step t of segment g; ``rows[i]``
    is where flat row i goes, ``sources`` the flat row each padded row reads (row 0 for padding,
    whose values are never used).

    ``previous[g]`` is the segment before g in its sequence (−1 for a sequence's first) and
    ``sequence[g]`` its sequence; ``chain`` (S, J) lists each sequence's segments in order
    (−1 padded).
    """

    def __init__(self, lengths: np.ndarray, *, segment: bool = True):
        n_sequences = lengths.shape[0]
        self.n_sequences, self.n_steps = n_sequences, int(lengths.sum())
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        longest = int(lengths.max())
        size = longest
        if segment and longest > max(_SEGMENT_ABOVE, 4 * n_sequences):
            size = int(np.ceil(np.sqrt(longest)))
        pieces = -(-lengths // size)                                 # segments per sequence
        sequence = np.repeat(np.arange(n_sequences), pieces)
        index = np.arange(sequence.size) - np.repeat(np.cumsum(pieces) - pieces, pieces)
        seg_lengths = np.minimum(size, lengths[sequence] - index * size)
        seg_offsets = offsets[sequence] + index * size
        n_segments = seg_lengths.size
        order = np.argsort(-seg_lengths, kind="stable")
        position = np.empty(n_segments, dtype=np.intp)
        position[order] = np.arange(n_segments)
        self.n_segments, self.n_times = n_segments, int(seg_lengths.max())
        ends = np.bincount(seg_lengths, minlength=self.n_times + 1)
        self.n_active = n_segments - np.cumsum(ends)[:-1]          # (T_max,) lengths > t
        self.lengths = seg_lengths[order]
        self.sequence = sequence[order]
        self.previous = np.where(index[order] > 0, position[order - 1], -1)
        self.chain = np.full((n_sequences, int(pieces.max())), -1, dtype=np.intp)
        self.chain[sequence, index] = position
        # Where each flat row goes.
        owner = np.repeat(np.arange(n_segments), seg_lengths)
        t = np.arange(self.n_steps) - seg_offsets[owner]
        self.rows = t * n_segments + position[owner]
        self.sources = np.zeros(self.n_times * n_segments, dtype=np.intp)
        self.sources[self.rows] = np.arange(self.n_steps)
        self.valid = np.zeros(self.n_times * n_segments, dtype=bool)
        self.valid[self.rows] = True
        self.first_rows = offsets                          # flat row of each sequence's t = 0
        self.sequence_of_step = np.repeat(np.arange(n_sequences), lengths)

    @property
    def segmented(self) -> bool:
        return self.n_segments > self.n_sequences

    def pad(self, values: np.ndarray) -> np.ndarray:
        """(n, ...) flat rows → (T_max·G, ...) padded rows (padding: copies of row 0)."""
        return values[self.sources]

    def flat(self, padded: np.ndarray) -> np.ndarray:
        """(T_max, G, ...) padded → (n, ...) in the order of the data."""
        return padded.reshape(self.n_times * self.n_segments, *padded.shape[2:])[self.rows]

    def last_step(self, padded: np.ndarray) -> np.ndarray:
        """(T_max, G, K) → (G, K), each segment's value at its last step."""
        return padded[self.lengths - 1, np.arange(self.n_segments)]


# --------------------------------------------------------------------------------------------
# The recursions (inputs trusted: the public functions check them)
# --------------------------------------------------------------------------------------------
def _scaled_emissions(layout: _Layout, padded_X, params):
    """e_t(k) scaled by a per-step constant, (T_max, G, K), and the log of that constant
    (T_max, G), 0 on padding. Categorical e are probabilities and need no scaling; Gaussian
    densities are exp(log e_t − max_k log e_t(k)), so a point far from every state does not
    underflow. A step impossible in every state gets e = 0 (and later c_t = 0)."""
    shape = (layout.n_times, layout.n_segments)
    if isinstance(params, CategoricalHMMParams):
        return params.emissions.T[padded_X].reshape(*shape, -1), np.zeros(shape)
    log_e = _log_emissions(padded_X, params)
    shift = functools.reduce(np.maximum, log_e.T)     # K − 1 vector operations, not a reduce
    shift = np.where(np.isfinite(shift) & layout.valid, shift, 0.0)
    with np.errstate(under="ignore"):
        scaled = np.exp(log_e - shift[:, None])
    return scaled.reshape(*shape, -1), shift.reshape(shape)


def _transfer(layout, transitions, evidence):
    r"""Each segment's transfer matrix P_g = Π_{t ∈ g} A diag(e_t) (K, K), the first factor
    diag(e_0) alone for a sequence's first segment, as row-normalised (G, K, K) and the log of
    each row's scale (G, K).

    Because the forward recursion is linear, f̂ after segment g is ∝ f̂_before P_g, and the
    backward one b̂_before ∝ P_g b̂_after: the messages at the segments' edges follow from S
    short chains of G/S products, and then every segment's inner messages from one batched
    pass over ~√T steps. No subtraction occurs, so the products are accurate to rounding; rows
    are rescaled at every step so that nothing underflows.
    """
    n_states = transitions.shape[0]
    first = np.where((layout.previous < 0)[:, None, None], np.eye(n_states), transitions)
    transfer = first * evidence[0][:, None, :]
    row_log = np.zeros((layout.n_segments, n_states))
    product = np.empty_like(transfer)
    ones = np.ones(n_states)
    with np.errstate(divide="ignore", invalid="ignore"):
        for t in range(layout.n_times):
            m = layout.n_active[t]
            rows = transfer[:m].reshape(m * n_states, n_states)      # (G·K, K), a view
            if t:
                np.matmul(rows, transitions, out=product[:m].reshape(m * n_states, n_states))
                np.multiply(product[:m], evidence[t, :m, None, :], out=transfer[:m])
            totals = rows @ ones                                     # row sums, one GEMV
            totals[totals == 0] = 1.0                                # an impossible row stays 0
            rows /= totals[:, None]
            row_log[:m] += np.log(totals).reshape(m, n_states)
        zero_rows = transfer.sum(axis=2) == 0
        row_log[zero_rows] = -np.inf
    return transfer, row_log


def _incoming(layout, initial, transfer, row_log):
    """f̂ at the step before each segment (G, K) — π for a sequence's first segment, unused —
    by chaining u_{j+1} ∝ u_j P_j along each sequence (in log scale across rows)."""
    incoming = np.tile(initial, (layout.n_segments, 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        for j in range(layout.chain.shape[1] - 1):
            here, after = layout.chain[:, j], layout.chain[:, j + 1]
            go = after >= 0
            here, after = here[go], after[go]
            log_u = np.log(incoming[here]) + row_log[here]
            weights = np.exp(log_u - log_u.max(axis=1, keepdims=True))
            u = (weights[:, None, :] @ transfer[here])[:, 0]         # u_j P_j
            incoming[after] = u / u.sum(axis=1, keepdims=True)
    return incoming


def _outgoing(layout, transfer, row_log, forward):
    """b̂ at each segment's last step (G, K): 1 for a sequence's last segment, else
    ∝ P_next b̂_next, scaled so that Σ_k f̂_t(k) b̂_t(k) = 1 (γ_t sums to 1)."""
    outgoing = np.ones((layout.n_segments, transfer.shape[1]))
    last_forward = layout.last_step(forward)
    with np.errstate(divide="ignore", invalid="ignore"):
        for j in range(layout.chain.shape[1] - 1, 0, -1):
            here, before = layout.chain[:, j], layout.chain[:, j - 1]
            go = here >= 0
            here, before = here[go], before[go]
            log_v = np.log((transfer[here] @ outgoing[here][:, :, None])[:, :, 0])  # P_j b̂
            log_v += row_log[here]
            v = np.exp(log_v - log_v.max(axis=1, keepdims=True))
            outgoing[before] = v / np.sum(last_forward[before] * v, axis=1, keepdims=True)
    return outgoing


def _forward(layout, initial, transitions, evidence, incoming=None):
    """Scaled forward pass: f̂ (T_max, G, K) and c (T_max, G) (1 on padding), with
    c_0 f̂_0 = π ⊙ e_0 and c_t f̂_t = (f̂_{t−1} A) ⊙ e_t for the segments still running; a
    segment that continues a sequence starts from ``incoming`` (the f̂ before it)."""
    forward = np.zeros_like(evidence)
    scales = np.ones(evidence.shape[:2])
    ones = np.ones(evidence.shape[2])
    with np.errstate(invalid="ignore", divide="ignore"):
        if incoming is None:
            np.multiply(initial, evidence[0], out=forward[0])
        else:
            start = np.where((layout.previous < 0)[:, None], initial, incoming @ transitions)
            np.multiply(start, evidence[0], out=forward[0])
        scales[0] = forward[0].sum(axis=1)
        forward[0] /= scales[0][:, None]
        for t in range(1, layout.n_times):
            m = layout.n_active[t]
            f = forward[t, :m]
            np.matmul(forward[t - 1, :m], transitions, out=f)     # predict: f̂_{t−1} A
            f *= evidence[t, :m]                                  # ... times the evidence e_t
            c = scales[t, :m]
            np.matmul(f, ones, out=c)                             # c_t = p(x_t | x_{0:t−1})
            f /= c[:, None]
    return forward, scales


def _backward(layout, transitions, evidence, scales, outgoing=None):
    """Scaled backward pass: b̂ (T_max, G, K), b̂ = 1 at each sequence's last step (``outgoing``
    at a segment's last step) and b̂_t = A (e_{t+1} ⊙ b̂_{t+1}) / c_{t+1}; also
    w_t = e_t ⊙ b̂_t / c_t (T_max, G, K), the factor of ξ_{t−1}, 0 where no pair ends."""
    backward = np.zeros_like(evidence)
    weighted = np.zeros_like(evidence)
    n_active = np.append(layout.n_active, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        for t in range(layout.n_times - 1, -1, -1):
            m_next = n_active[t + 1]
            ending = slice(m_next, n_active[t])                   # segments ending at t
            backward[t, ending] = 1.0 if outgoing is None else outgoing[ending]
            if m_next:
                w = weighted[t + 1, :m_next]
                np.multiply(evidence[t + 1, :m_next], backward[t + 1, :m_next], out=w)
                w /= scales[t + 1, :m_next, None]
                np.matmul(w, transitions.T, out=backward[t, :m_next])
        if outgoing is not None:                   # pairs across segments end at a t = 0
            later = layout.previous >= 0
            weighted[0, later] = (evidence[0, later] * backward[0, later]
                                  / scales[0, later, None])
    return backward, weighted


def _forward_pass(layout, initial, transitions, evidence):
    """f̂, c and, for a segmented layout, the transfer matrices the backward pass reuses."""
    if not layout.segmented:
        return (*_forward(layout, initial, transitions, evidence), None)
    transfer, row_log = _transfer(layout, transitions, evidence)
    incoming = _incoming(layout, initial, transfer, row_log)
    return (*_forward(layout, initial, transitions, evidence, incoming), (transfer, row_log))


@dataclass(frozen=True, eq=False)
class _Posteriors:
    """Everything one forward–backward pass gives, in the padded layout."""

    forward: np.ndarray          # (T_max, G, K) f̂_t
    backward: np.ndarray         # (T_max, G, K) b̂_t
    weighted: np.ndarray         # (T_max, G, K) e_t ⊙ b̂_t / c_t
    resp: np.ndarray             # (T_max, G, K) γ_t = f̂_t ⊙ b̂_t
    log_scales: np.ndarray       # (T_max, G) log c_t (0 on padding)
    sequence_log_likelihoods: np.ndarray   # (S,) log p(x_s | θ), in the order of the data


def _sequence_sums(layout, log_scales):
    return np.bincount(layout.sequence, weights=log_scales.sum(axis=0),
                       minlength=layout.n_sequences)


def _posteriors(layout, padded_X, params) -> _Posteriors:
    initial, transitions = params.initial, params.transitions
    evidence, shift = _scaled_emissions(layout, padded_X, params)
    forward, scales, transfer = _forward_pass(layout, initial, transitions, evidence)
    outgoing = None if transfer is None else _outgoing(layout, *transfer, forward)
    backward, weighted = _backward(layout, transitions, evidence, scales, outgoing)
    with np.errstate(divide="ignore"):
        log_scales = np.log(scales) + shift
    return _Posteriors(forward, backward, weighted, forward * backward, log_scales,
                       _sequence_sums(layout, log_scales))


def _pair_sum(layout, posteriors, transitions):
    """Σ_{s,t} ξ_{s,t} = A ⊙ Σ_{s,t} f̂_tᵀ w_{t+1}: one (K, R) @ (R, K) product, plus the pairs
    that straddle two segments."""
    k = transitions.shape[0]
    previous = posteriors.forward[:-1].reshape(-1, k)
    following = posteriors.weighted[1:].reshape(-1, k)
    total = previous.T @ following
    if layout.segmented:
        later = np.flatnonzero(layout.previous >= 0)
        before = layout.last_step(posteriors.forward)[layout.previous[later]]
        total += before.T @ posteriors.weighted[0, later]
    return transitions * total


def _viterbi(layout, initial, transitions, log_e):
    """Most probable paths (T_max, S) and their log-probabilities (S,), layout order."""
    n_states = initial.shape[0]
    log_e = log_e.reshape(layout.n_times, layout.n_sequences, n_states)
    with np.errstate(divide="ignore"):
        log_initial, log_transitions = np.log(initial), np.log(transitions)
    delta = log_initial + log_e[0]                      # δ_0(k) = log π_k + log e_0(k)
    best_from = np.zeros((layout.n_times, layout.n_sequences, n_states), dtype=np.intp)
    final = np.empty((layout.n_sequences, n_states))
    for t in range(1, layout.n_times):
        m, m_before = layout.n_active[t], layout.n_active[t - 1]
        final[m:m_before] = delta[m:m_before]           # sequences that ended at t − 1
        candidates = delta[:m, :, None] + log_transitions   # δ_{t−1}(j) + log A_jk
        best_from[t, :m] = candidates.argmax(axis=1)    # ψ_t(k)
        delta = np.take_along_axis(candidates, best_from[t, :m, None, :], axis=1)[:, 0]
        delta = delta + log_e[t, :m]
    final[:layout.n_active[-1]] = delta
    last_state = final.argmax(axis=1)
    states = np.zeros((layout.n_times, layout.n_sequences), dtype=np.intp)
    n_active = np.append(layout.n_active, 0)
    for t in range(layout.n_times - 1, -1, -1):         # backtrack
        m_next = n_active[t + 1]
        states[t, m_next:n_active[t]] = last_state[m_next:n_active[t]]
        if m_next:
            states[t, :m_next] = best_from[t + 1, np.arange(m_next), states[t + 1, :m_next]]
    return states, final.max(axis=1)


# --------------------------------------------------------------------------------------------
# Emissions: log-densities, statistics and the M-step of each kind
# --------------------------------------------------------------------------------------------
def _log_emissions(X, params) -> np.ndarray:
    """log e_t(k) = log p(x_t | z_t = k), shape (n, K)."""
    if isinstance(params, CategoricalHMMParams):
        with np.errstate(divide="ignore"):
            return np.log(params.emissions.T)[X]
    # log π_k + log N(x | μ_k, Σ_k) with π_k = 1/K, so add log K back.
    return gmm.estimate_log_prob(X, params.components) + np.log(params.n_states)


@dataclass(frozen=True, eq=False)
class CategoricalHMMStatistics(SufficientStatistics):
    """Expected counts of a categorical HMM under θ^(t), summed over sequences and steps.

    initial : (K,) Σ_s γ_{s,0}(k), expected number of sequences starting in k.
    transitions : (K, K) Σ_{s,t} ξ_{s,t}(j, k), expected number of j → k transitions.
    emissions : (K, M) Σ_{s,t} γ_{s,t}(k) [x_{s,t} = m], expected emissions of m from k.
    """

    initial: np.ndarray
    transitions: np.ndarray
    emissions: np.ndarray

    def __post_init__(self):
        initial, transitions = _check_chain_counts(self.initial, self.transitions)
        emissions = _check_counts(self.emissions, "emissions", 2)
        if emissions.shape[0] != initial.shape[0]:
            raise ValueError(f"emissions has {emissions.shape[0]} rows but initial has "
                             f"{initial.shape[0]} states; emissions must have shape "
                             "(n_states, n_symbols)")
        _freeze(self, initial=initial, transitions=transitions, emissions=emissions)


@dataclass(frozen=True, eq=False)
class GaussianHMMStatistics(SufficientStatistics):
    """Expected sufficient statistics of a Gaussian HMM under θ^(t), summed over sequences.

    initial : (K,) Σ_s γ_{s,0}(k). transitions : (K, K) Σ_{s,t} ξ_{s,t}(j, k).
    counts : (K,) N_k = Σ_{s,t} γ_{s,t}(k). sums : (K, D) Σ γ_{s,t}(k) x_{s,t}.
    outer_sums : (K, D, D) Σ γ_{s,t}(k) x_{s,t} x_{s,t}ᵀ.
    """

    initial: np.ndarray
    transitions: np.ndarray
    counts: np.ndarray
    sums: np.ndarray
    outer_sums: np.ndarray

    def __post_init__(self):
        initial, transitions = _check_chain_counts(self.initial, self.transitions)
        k = initial.shape[0]
        counts = _check_counts(self.counts, "counts", 1)
        sums = as_float_array(self.sums, "sums", ndim=2, copy=True)
        outer_sums = as_float_array(self.outer_sums, "outer_sums", ndim=3, copy=True)
        d = sums.shape[1]
        for name, array, shape in (("counts", counts, (k,)), ("sums", sums, (k, d)),
                                   ("outer_sums", outer_sums, (k, d, d))):
            if array.shape != shape:
                raise ValueError(f"{name} has shape {array.shape} but must be {shape} "
                                 f"({k} states, as initial, and {d} features, as sums)")
        _freeze(self, initial=initial, transitions=transitions, counts=counts, sums=sums,
                outer_sums=outer_sums)


def _check_counts(value, name, ndim):
    """Expected counts: finite, >= 0, a read-only-to-be copy."""
    counts = as_float_array(value, name, ndim=ndim, copy=True)
    if np.any(counts < 0):
        where = tuple(int(i) for i in np.argwhere(counts < 0)[0])
        raise ValueError(f"{name} are expected counts and must be >= 0, but "
                         f"{name}{list(where)} = {counts[where]}")
    return counts


def _check_chain_counts(initial, transitions):
    initial = _check_counts(initial, "initial", 1)
    transitions = _check_counts(transitions, "transitions", 2)
    k = initial.shape[0]
    if transitions.shape != (k, k):
        raise ValueError(f"transitions has shape {transitions.shape} but initial has {k} "
                         f"states; transitions must have shape ({k}, {k})")
    return initial, transitions


def _normalise_rows(counts, old):
    """Rows of ``counts`` divided by their sums; a row with no expected count keeps ``old``'s
    (it does not appear in Q, so any value maximises it)."""
    totals = counts.sum(axis=-1, keepdims=True)
    empty = totals < _EMPTY
    return np.where(empty, old, counts / np.where(empty, 1.0, totals))


def _chain_m_step(statistics, params):
    initial = statistics.initial / statistics.initial.sum()
    return initial, _normalise_rows(statistics.transitions, params.transitions)


def _m_step(statistics, params, reg_covar):
    """θ^(t+1) from the expected counts (inputs trusted)."""
    initial, transitions = _chain_m_step(statistics, params)
    if isinstance(params, CategoricalHMMParams):
        emissions = _normalise_rows(statistics.emissions, params.emissions)
        return CategoricalHMMParams(initial, transitions, emissions)
    counts = statistics.counts
    empty = counts < _EMPTY
    safe = np.where(empty, 1.0, counts)
    means = statistics.sums / safe[:, None]                                   # μ_k
    covariances = (statistics.outer_sums / safe[:, None, None]
                   - means[:, :, None] * means[:, None, :])
    covariances = 0.5 * (covariances + covariances.transpose(0, 2, 1))        # Σ_k, symmetric
    covariances += reg_covar * np.eye(params.n_features)
    means = np.where(empty[:, None], params.means, means)
    covariances = np.where(empty[:, None, None], params.covariances, covariances)
    return GaussianHMMParams(initial, transitions, means, covariances)


class _HMMModel:
    """A hidden Markov model bound to its (checked) sequences, for ``emlib.em.run``.

    ``e_step(params)`` returns the expected counts and log p(X | θ); ``m_step(statistics,
    params)`` returns θ^(t+1). The data are laid out time-major once (``_Layout``), with their
    emission features in that layout, so an iteration allocates only the messages.
    """

    objective_name = "log_likelihood"

    def __init__(self, X, lengths, reg_covar: float = 0.0):
        self.layout = _Layout(lengths)
        self.n_items = float(self.layout.n_steps)
        self.reg_covar = reg_covar
        self.X = X
        self.padded_X = self.layout.pad(X)

    def posteriors(self, params) -> _Posteriors:
        return _posteriors(self.layout, self.padded_X, params)

    def e_step(self, params):
        posteriors = self.posteriors(params)
        log_likelihood = float(posteriors.sequence_log_likelihoods.sum())
        if not np.isfinite(log_likelihood):
            raise ValueError(_impossible_message(self.layout, posteriors))
        return self.statistics(posteriors, params), log_likelihood

    def statistics(self, posteriors, params):
        resp = posteriors.resp.reshape(-1, params.n_states)       # padding rows are 0
        initial = posteriors.resp[0][self.layout.previous < 0].sum(axis=0)
        chain = (initial, _pair_sum(self.layout, posteriors, params.transitions))
        return self.emission_statistics(chain, resp)

    def m_step(self, statistics, params):
        return _m_step(statistics, params, self.reg_covar)


class CategoricalHMM(_HMMModel):
    """A categorical HMM bound to its symbol sequences; the emission counts are one sparse
    product with the (padded) one-hot matrix of the symbols."""

    def __init__(self, X, lengths, n_symbols: int):
        super().__init__(X, lengths)
        rows = self.layout.rows
        self.one_hot = sparse.csr_array((np.ones(rows.size), (rows, X)),
                                        shape=(self.layout.valid.size, n_symbols))

    def emission_statistics(self, chain, resp):
        return CategoricalHMMStatistics(*chain, (self.one_hot.T @ resp).T)


class GaussianHMM(_HMMModel):
    """A Gaussian HMM bound to its sequences; x xᵀ is stored once per step, so the statistics
    are two matrix products, γᵀX and γᵀ(x xᵀ)."""

    def __init__(self, X, lengths, reg_covar: float = 0.0):
        super().__init__(X, lengths, reg_covar)
        padded = self.padded_X
        self.outer = (padded[:, :, None] * padded[:, None, :]).reshape(padded.shape[0], -1)

    def emission_statistics(self, chain, resp):
        d = self.X.shape[1]
        outer_sums = (resp.T @ self.outer).reshape(-1, d, d)
        return GaussianHMMStatistics(*chain, resp.sum(axis=0), resp.T @ self.padded_X,
                                     outer_sums)


def _model(X, params, lengths, reg_covar: float = 0.0) -> _HMMModel:
    if isinstance(params, CategoricalHMMParams):
        return CategoricalHMM(X, lengths, params.n_symbols)
    return GaussianHMM(X, lengths, reg_covar)


def _impossible_message(layout, posteriors) -> str:
    sequence = int(np.argmax(~np.isfinite(posteriors.sequence_log_likelihoods)))
    log_scales = layout.flat(posteriors.log_scales[:, :, None])[:, 0]
    steps = np.flatnonzero(~np.isfinite(log_scales[layout.sequence_of_step == sequence]))
    return (f"sequence {sequence} has probability 0 under the parameters (first at its step "
            f"{int(steps[0]) if steps.size else 0}): no state that the chain can be in there can "
            "emit that observation. Give every state a non-zero probability of every symbol "
            "(e.g. mix the emissions with a little uniform), or allow more transitions.")


# --------------------------------------------------------------------------------------------
# The public E-step, M-step, likelihood and decoding
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class ForwardBackward:
    """What ``forward_backward`` returns, one row per time step in the order of the data.

    forward : (n, K) scaled forward messages f̂_t(k) = p(z_t = k | x_{0:t}), rows summing to 1.
    backward : (n, K) scaled backward messages b̂_t(k) = p(x_{t+1:} | z_t = k) /
        p(x_{t+1:} | x_{0:t}); 1 at the last step of each sequence.
    log_scales : (n,) log c_t = log p(x_t | x_{0:t−1}); they sum to the log-likelihood.
    resp : (n, K) γ_t(k) = p(z_t = k | X) = f̂_t(k) b̂_t(k).
    xi : (n − S, K, K) ξ_t(j, k) = p(z_t = j, z_{t+1} = k | X) for every step t but the last
        of each sequence, in the order of the data.
    log_likelihood : float, log p(X | θ), summed over the S sequences.
    sequence_log_likelihoods : (S,) log p(x_s | θ) of each sequence.
    """

    forward: np.ndarray
    backward: np.ndarray
    log_scales: np.ndarray
    resp: np.ndarray
    xi: np.ndarray
    log_likelihood: float
    sequence_log_likelihoods: np.ndarray


def forward_backward(X, params, *, lengths=None) -> ForwardBackward:
    r"""The forward–backward algorithm with scaling: messages, posteriors and log p(X | θ).

    Parameters
    ----------
    X : (n,) symbols 0 … M−1 (``CategoricalHMMParams``) or (n, D) data (``GaussianHMMParams``),
        S sequences one after another.
    params : CategoricalHMMParams or GaussianHMMParams with K states.
    lengths : None (one sequence) or (S,) lengths summing to n.

    Returns
    -------
    ForwardBackward (see there). Implements c_0 f̂_0 = π ⊙ e_0, c_t f̂_t = (f̂_{t−1} A) ⊙ e_t,
    b̂_t = A (e_{t+1} ⊙ b̂_{t+1}) / c_{t+1}, γ_t = f̂_t ⊙ b̂_t,
    ξ_t(j, k) = f̂_t(j) A_jk e_{t+1}(k) b̂_{t+1}(k) / c_{t+1}, log p(X) = Σ_t log c_t.
    ValueError if some sequence has probability 0 under ``params``.
    """
    X, params, lengths = _check_data(X, params, lengths)
    layout = _Layout(lengths)
    post = _posteriors(layout, layout.pad(X), params)
    if not np.all(np.isfinite(post.sequence_log_likelihoods)):
        raise ValueError(_impossible_message(layout, post))
    forward, weighted = layout.flat(post.forward), layout.flat(post.weighted)
    within = layout.sequence_of_step[:-1] == layout.sequence_of_step[1:]   # pairs (t, t + 1)
    xi = (forward[:-1][within][:, :, None] * params.transitions
          * weighted[1:][within][:, None, :])
    return ForwardBackward(forward=forward, backward=layout.flat(post.backward),
                           log_scales=layout.flat(post.log_scales[:, :, None])[:, 0],
                           resp=layout.flat(post.resp), xi=xi,
                           log_likelihood=float(post.sequence_log_likelihoods.sum()),
                           sequence_log_likelihoods=post.sequence_log_likelihoods)


def e_step(X, params, *, lengths=None):
    """E-step: the posteriors γ and ξ and the log-likelihood.

    Parameters: as ``forward_backward``. Returns ``(resp, xi, log_likelihood)``: resp (n, K)
    γ_t(k) = p(z_t = k | X, θ); xi (n − S, K, K) ξ_t(j, k) = p(z_t = j, z_{t+1} = k | X, θ) for
    each step but the last of every sequence; log_likelihood = log p(X | θ) (float).
    """
    result = forward_backward(X, params, lengths=lengths)
    return result.resp, result.xi, result.log_likelihood


def expected_statistics(X, resp, xi, params, *, lengths=None):
    """The expected counts the M-step needs, from posteriors γ (n, K) and ξ (n − S, K, K).

    Returns CategoricalHMMStatistics (initial Σ_s γ_{s,0}, transitions Σ ξ, emissions
    Σ_t γ_t(k)[x_t = m]) or GaussianHMMStatistics (initial, transitions, counts Σ γ, sums Σ γ x,
    outer_sums Σ γ x xᵀ), matching the kind of ``params`` (only its kind and sizes are used).
    """
    X, params, lengths = _check_data(X, params, lengths)
    n, k = X.shape[0], params.n_states
    resp = as_float_array(resp, "resp", ndim=2)
    if resp.shape != (n, k):
        raise ValueError(f"resp has shape {resp.shape} but must be ({n}, {k}): one row per time "
                         "step, one column per state")
    check_distribution(resp, "resp", atol=1e-6)
    xi = as_float_array(xi, "xi", ndim=3)
    n_pairs = n - lengths.shape[0]
    if xi.shape != (n_pairs, k, k):
        raise ValueError(f"xi has shape {xi.shape} but must be ({n_pairs}, {k}, {k}): one K × K "
                         "matrix per pair of consecutive steps within a sequence (n − S of them)")
    check_distribution(xi.reshape(n_pairs, k * k), "xi (each K x K matrix)", atol=1e-6)
    layout = _Layout(lengths)
    chain = (resp[layout.first_rows].sum(axis=0), xi.sum(axis=0))
    if isinstance(params, CategoricalHMMParams):
        counts = np.zeros((params.n_symbols, k))
        np.add.at(counts, X, resp)
        return CategoricalHMMStatistics(*chain, counts.T)
    outer = np.einsum("nk,nd,ne->kde", resp, X, X)
    return GaussianHMMStatistics(*chain, resp.sum(axis=0), resp.T @ X, outer)


def m_step(statistics, params, *, reg_covar: float = 1e-6):
    """M-step: θ^(t+1) from the expected counts.

    π_k = Σ_s γ_{s,0}(k) / S; A_jk = Σ ξ(j, k) / Σ_k' Σ ξ(j, k'); B_km = Σ_t γ_t(k)[x_t = m] /
    Σ_t γ_t(k), or μ_k = Σ γ x / N_k and Σ_k = Σ γ x xᵀ / N_k − μ_k μ_kᵀ + reg_covar·I. These
    maximise the expected complete-data log-likelihood Q(θ | θ^(t)). A row of A or B, or a
    Gaussian, with no expected count (a state never visited) keeps its value in ``params``.

    Parameters: statistics (the kind matching params), params θ^(t), reg_covar >= 0 (Gaussian
    only, as in ``emlib.gmm.m_step``; 0 gives the exact maximiser).
    """
    params = _check_params(params)
    reg_covar = check_real(reg_covar, "reg_covar", minimum=0.0)
    kind = (CategoricalHMMStatistics if isinstance(params, CategoricalHMMParams)
            else GaussianHMMStatistics)
    statistics = check_instance(statistics, kind, "statistics",
                                f" (to go with a {type(params).__name__})")
    k = params.n_states
    if np.shape(statistics.transitions) != (k, k):
        raise ValueError(f"statistics.transitions has shape {np.shape(statistics.transitions)} "
                         f"but params has {k} states")
    if isinstance(params, GaussianHMMParams) and statistics.sums.shape[1] != params.n_features:
        raise ValueError(f"statistics.sums has {statistics.sums.shape[1]} features but params "
                         f"has {params.n_features}")
    if (isinstance(params, CategoricalHMMParams)
            and statistics.emissions.shape[1] != params.n_symbols):
        raise ValueError(f"statistics.emissions has {statistics.emissions.shape[1]} symbols but "
                         f"params has {params.n_symbols}")
    if statistics.initial.sum() <= 0 or not np.isfinite(statistics.initial.sum()):
        raise ValueError("statistics.initial must have a positive, finite total (the expected "
                         f"number of sequences), got {statistics.initial.sum():.3g}")
    # Counts are checked one by one; their ratios can still overflow (a tiny count with a huge
    # sum): then the new parameters are not valid, and that is the statistics' fault.
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return _m_step(statistics, params, reg_covar)
    except ValueError as exc:
        raise ValueError(f"statistics give no valid parameters in float64 ({exc}); are they "
                         "the expected counts of some data?") from None


def log_likelihood(X, params, *, lengths=None) -> float:
    """log p(X | θ) = Σ_s Σ_t log c_{s,t} by the scaled forward pass (a sum over sequences);
    −inf if some sequence is impossible under θ."""
    X, params, lengths = _check_data(X, params, lengths)
    layout = _Layout(lengths)
    evidence, shift = _scaled_emissions(layout, layout.pad(X), params)
    _, scales, _ = _forward_pass(layout, params.initial, params.transitions, evidence)
    with np.errstate(divide="ignore"):
        return float(np.sum(np.log(scales) + shift))


def viterbi(X, params, *, lengths=None):
    """The most probable state path, argmax_Z p(Z | X, θ), of every sequence (Viterbi).

    δ_0(k) = log π_k + log e_0(k); δ_t(k) = max_j [δ_{t−1}(j) + log A_jk] + log e_t(k), with the
    arg-max ψ_t(k) kept for backtracking from argmax_k δ_{T−1}(k). Ties go to the lower state.

    Returns ``(states, log_prob)``: states (n,) ints in 0 … K−1, in the order of the data, and
    log p(X, Z* | θ) summed over the sequences. ValueError if some sequence has probability 0.
    """
    X, params, lengths = _check_data(X, params, lengths)
    layout = _Layout(lengths, segment=False)
    states, log_probs = _viterbi(layout, params.initial, params.transitions,
                                 _log_emissions(layout.pad(X), params))
    if not np.all(np.isfinite(log_probs)):
        raise ValueError("some sequence has probability 0 under every path of the parameters")
    return states.reshape(-1)[layout.rows], float(log_probs.sum())


# --------------------------------------------------------------------------------------------
# Sampling and starting points
# --------------------------------------------------------------------------------------------
def _draw(cumulative, rows, rng):
    """One categorical draw per row index: the first k with u < cumulative[row, k]."""
    u = rng.random(len(rows))
    return np.minimum((u[:, None] >= cumulative[rows]).sum(axis=1), cumulative.shape[1] - 1)


def sample(params, lengths, random_state=None):
    """Draw sequences from the HMM: z_0 ~ π, z_t ~ A[z_{t−1}], x_t ~ p(x | z_t).

    Parameters: params; lengths an int (one sequence) or (S,) ints >= 1; random_state None, an
    int or a Generator. Returns ``(X, states)``, the S sequences one after another: X (n,) ints
    (categorical) or (n, D) floats (Gaussian), states (n,) ints.
    """
    params = _check_params(params)
    if np.ndim(lengths) == 0:
        lengths = [check_int(lengths, "lengths", minimum=1)]
    lengths = check_lengths(lengths, None)
    rng = check_random_state(random_state)
    width = 2 + (params.n_features * (params.n_features + 1) if isinstance(params, GaussianHMMParams)
                 else 0)
    check_allocation(float(lengths.sum()) * width, "lengths",
                     f"{lengths.sum()} sampled time steps")
    layout = _Layout(lengths, segment=False)
    cumulative_transitions = np.cumsum(params.transitions, axis=1)
    states = np.zeros((layout.n_times, layout.n_sequences), dtype=np.intp)
    states[0] = _draw(np.cumsum(params.initial)[None], np.zeros(layout.n_sequences, int), rng)
    for t in range(1, layout.n_times):
        m = layout.n_active[t]
        states[t, :m] = _draw(cumulative_transitions, states[t - 1, :m], rng)
    states = states.reshape(-1)[layout.rows]
    if isinstance(params, CategoricalHMMParams):
        return _draw(np.cumsum(params.emissions, axis=1), states, rng), states
    noise = rng.standard_normal((states.size, params.n_features))
    chol = np.linalg.cholesky(params.covariances)
    X = params.means[states] + np.einsum("nde,ne->nd", chol[states], noise)
    return X, states


def init_params(X, n_states: int, *, emissions: str = "gaussian", n_symbols: int | None = None,
                reg_covar: float = 1e-6, random_state=None):
    """A starting point θ^(0): π and A uniform (the chain starts without memory), emissions
    from the data — Gaussian: ``emlib.gmm.init_params`` (k-means++ centres, one M-step);
    categorical: rows drawn from a flat Dirichlet (symmetric states would stay symmetric)."""
    n_states = check_int(n_states, "n_states", minimum=1)
    reg_covar = check_real(reg_covar, "reg_covar", minimum=0.0)
    rng = check_random_state(random_state)
    check_allocation(float(n_states) ** 2, "n_states", f"a ({n_states}, {n_states}) transition "
                     "matrix")
    initial = np.full(n_states, 1.0 / n_states)
    transitions = np.full((n_states, n_states), 1.0 / n_states)
    if emissions == "categorical":
        X = check_symbols(X, "X")
        n_symbols = _check_n_symbols(n_symbols, X)
        check_allocation(float(n_states) * n_symbols, "n_symbols",
                         f"({n_states}, {n_symbols}) emission probabilities")
        return CategoricalHMMParams(initial, transitions,
                                    rng.dirichlet(np.ones(n_symbols), size=n_states))
    if emissions != "gaussian":
        raise ValueError(f'emissions must be "categorical" or "gaussian", got {emissions!r}')
    start = gmm.init_params(check_data_matrix(X), n_states, reg_covar=reg_covar,
                            random_state=rng)
    return GaussianHMMParams(initial, transitions, start.means, start.covariances)


def _check_n_symbols(n_symbols, X):
    if n_symbols is None:
        return int(X.max()) + 1
    n_symbols = check_int(n_symbols, "n_symbols", minimum=1)
    check_allocation(float(n_symbols), "n_symbols", f"emission probabilities over {n_symbols} "
                     "symbols")
    if X.max() >= n_symbols:
        raise ValueError(f"X holds the symbol {int(X.max())} but n_symbols = {n_symbols}")
    return n_symbols


# --------------------------------------------------------------------------------------------
# fit: Baum–Welch on the EM driver
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class HMMResult(EMResult):
    """What ``fit`` returns: an ``emlib.em.EMResult`` (params θ^(n_iter), objectives
    log p(X | θ^(t)) for t = 0 … n_iter, n_iter, converged, statistics) plus

    resp : (n, K) the posteriors γ_t(k) under the final parameters, in the order of the data.
    """

    resp: np.ndarray

    @property
    def log_likelihoods(self) -> np.ndarray:
        return self.objectives


def fit(X, n_states: int, *, emissions: str | None = None, init="random", lengths=None,
        n_symbols: int | None = None, max_iter: int = 100, tol: float = 1e-6,
        reg_covar: float = 1e-6, random_state=None, callback=None) -> HMMResult:
    """Fit a K-state HMM by EM (Baum–Welch) on the driver ``emlib.em.run``.

    Parameters
    ----------
    X : (n,) symbols or (n, D) data, S sequences one after another.
    n_states : K >= 1.
    emissions : "categorical" or "gaussian"; None takes the kind of ``init`` when it is a
        parameter object, else "gaussian".
    init : "random" (``init_params``) or a CategoricalHMMParams / GaussianHMMParams θ^(0).
    lengths : None (one sequence) or (S,) lengths summing to n.
    n_symbols : M for categorical emissions (default: the largest symbol + 1).
    max_iter : most M-steps (0 only evaluates the start). tol : stop when log p(X | θ) per time
        step changes by less than this; 0 runs exactly max_iter iterations.
    reg_covar : added to the diagonal of every Σ_k in each M-step (Gaussian), as in
        ``emlib.gmm.fit``; 0 is the exact M-step.
    random_state : None, int or Generator, for ``init="random"``.
    callback : ``callback(t, params, log_likelihood)`` for t = 0 … n_iter.

    Returns
    -------
    HMMResult. The states come out in an arbitrary order (label switching): compare fits up to
    a permutation of the states, e.g. after sorting them by their means.
    """
    max_iter, tol = check_em_arguments(max_iter, tol, callback)
    reg_covar = check_real(reg_covar, "reg_covar", minimum=0.0)
    n_states = check_int(n_states, "n_states", minimum=1)
    check_allocation(float(n_states) ** 2, "n_states", f"a ({n_states}, {n_states}) transition "
                     "matrix")
    if emissions not in (None, "categorical", "gaussian"):
        raise ValueError(f'emissions must be "categorical", "gaussian" or None, got {emissions!r}')
    if isinstance(init, _PARAMS):
        kind = "categorical" if isinstance(init, CategoricalHMMParams) else "gaussian"
        if emissions not in (None, kind):
            raise ValueError(f"init is a {type(init).__name__} but emissions={emissions!r}")
        if init.n_states != n_states:
            raise ValueError(f"init has {init.n_states} states but n_states = {n_states}")
        params = init
        X = _check_observations(X, params)
    elif isinstance(init, str):
        if init != "random":
            raise ValueError(f'init must be "random" or a parameter object, got {init!r}')
        kind = emissions or "gaussian"
        X = check_symbols(X, "X") if kind == "categorical" else check_data_matrix(X)
        if kind == "categorical":
            n_symbols = _check_n_symbols(n_symbols, X)
        params = init_params(X, n_states, emissions=kind, n_symbols=n_symbols,
                             reg_covar=reg_covar, random_state=random_state)
    else:
        raise TypeError("init must be \"random\" or a CategoricalHMMParams / GaussianHMMParams,"
                        f" got {type(init).__name__}")
    lengths = check_lengths(lengths, X.shape[0])
    model = _model(X, params, lengths, reg_covar)
    start = model.posteriors(params).sequence_log_likelihoods
    if not np.all(np.isfinite(start)):
        raise ValueError("init: " + _impossible_message(model.layout, model.posteriors(params)))
    result = run(model, params, max_iter=max_iter, tol=tol, callback=callback)
    resp = model.layout.flat(model.posteriors(result.params).resp)
    return result.extend(HMMResult, resp=resp)
