r"""Pictures of a hidden Markov model: a sequence with its states, the transition matrix, and
decoding (the posteriors γ_t(k), the Viterbi path and the posterior-decoding path).

``plot_decoding`` is the function behind lecture 07's slider: it decodes a sequence under the
given parameters — Viterbi, :math:`\arg\max_Z p(Z \mid X)`, and posterior decoding,
:math:`\arg\max_k \gamma_t(k)` at every t — and draws both over the posteriors, so that moving
the self-transition probability shows how the transition matrix smooths the decoded path.

Every function draws into ``ax`` (``axes`` for two panels; the current Axes / a new figure when
None), labels its axes, returns what it drew into and never calls ``plt.show()``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .._validation import (as_float_array, check_distribution, check_int, check_real,
                           check_text)
from ..hmm import CategoricalHMMParams, GaussianHMMParams, e_step, viterbi
from ._common import component_colors, get_ax

__all__ = ["plot_hmm_sequence", "plot_transitions", "plot_decoding"]


def _values(X, params):
    """What to draw against t: the symbol, or the first feature of a Gaussian HMM's data."""
    X = np.asarray(X)
    return X.astype(float) if isinstance(params, CategoricalHMMParams) else X[:, 0]


def _check_params(params):
    if not isinstance(params, (CategoricalHMMParams, GaussianHMMParams)):
        raise TypeError("params must be a CategoricalHMMParams or a GaussianHMMParams, got "
                        f"{type(params).__name__}")
    return params


def _check_states(states, n_steps, n_states, name="states"):
    if states is None:
        return None
    as_float_array(states, name)            # real numbers only: no masks, booleans, text
    states = np.asarray(states)
    if states.shape != (n_steps,) or not np.issubdtype(states.dtype, np.integer):
        raise ValueError(f"{name} must be {n_steps} integer states (one per time step), got "
                         f"shape {states.shape} and dtype {states.dtype}")
    if states.min() < 0 or states.max() >= n_states:
        raise ValueError(f"{name} must lie in 0 … {n_states - 1}")
    return states


def plot_hmm_sequence(X, params, states=None, *, ax=None, colors=None, ylabel="observation",
                      xlabel="time step $t$", s=14):
    """The sequence x_t against t, each point coloured by its state: ``states`` if given, else
    the Viterbi path under ``params``. One sequence (X as for ``emlib.hmm``). Returns the Axes."""
    params = _check_params(params)
    ylabel, xlabel = check_text(ylabel, "ylabel"), check_text(xlabel, "xlabel")
    s = check_real(s, "s", minimum=0.0)
    ax = get_ax(ax)
    path, _ = viterbi(X, params)                            # also checks X against params
    states = path if states is None else _check_states(states, path.shape[0], params.n_states)
    rgb = component_colors(colors, params.n_states)
    values = _values(X, params)
    t = np.arange(values.shape[0])
    ax.plot(t, values, color="0.75", linewidth=0.8, zorder=1)
    for k in range(params.n_states):
        mine = states == k
        ax.scatter(t[mine], values[mine], s=s, color=rgb[k], zorder=2, label=f"state {k}")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


def plot_transitions(transitions, *, ax=None, labels=None, fmt="{:.2f}"):
    r"""The transition matrix A as a heat map, A_jk printed in each cell (rows: from z_{t−1} = j,
    columns: to z_t = k). Returns the Axes."""
    transitions = as_float_array(transitions, "transitions", ndim=2)
    n_states = transitions.shape[0]
    if transitions.shape != (n_states, n_states):
        raise ValueError(f"transitions must be square, got shape {transitions.shape}")
    check_distribution(transitions, "transitions", atol=1e-6)
    if labels is not None and (isinstance(labels, str) or not hasattr(labels, "__iter__")):
        raise TypeError(f"labels must be a sequence of {n_states} state labels, got "
                        f"{type(labels).__name__}")
    labels = [str(k) for k in range(n_states)] if labels is None else list(labels)
    if len(labels) != n_states:
        raise ValueError(f"labels has {len(labels)} entries but there are {n_states} states")
    check_text(fmt, "fmt", allow_none=False)
    try:
        fmt.format(0.5)
    except (ValueError, IndexError, KeyError) as exc:
        raise ValueError(f"fmt must format one number, as in '{{:.2f}}', got {fmt!r} "
                         f"({exc})") from None
    ax = get_ax(ax)
    ax.imshow(transitions, vmin=0.0, vmax=1.0, cmap="Blues")
    for j in range(n_states):
        for k in range(n_states):
            ax.text(k, j, fmt.format(transitions[j, k]), ha="center", va="center",
                    color="white" if transitions[j, k] > 0.6 else "black")
    ax.set_xticks(range(n_states), labels)
    ax.set_yticks(range(n_states), labels)
    ax.set_xlabel("to state $z_t = k$")
    ax.set_ylabel("from state $z_{t-1} = j$")
    return ax


def plot_decoding(X, params, *, true_states=None, axes=None, colors=None, state=None,
                  ylabel="observation"):
    r"""Decode one sequence under ``params`` and draw it: on top the sequence coloured by the
    Viterbi path; below, the posterior γ_t(k) of state ``state`` (default: the last state) with
    the Viterbi path and the posterior-decoding path argmax_k γ_t(k) as step lines (and the true
    states, if given). The titles give the number of switches of each path and, with
    ``true_states``, the fraction of steps each gets right.

    Returns the two Axes (top, bottom). Behind lecture 07's self-transition slider.
    """
    params = _check_params(params)
    ylabel = check_text(ylabel, "ylabel")
    resp, _, _ = e_step(X, params)                          # checks X
    path, _ = viterbi(X, params)
    posterior = resp.argmax(axis=1)
    n_steps, n_states = resp.shape
    true_states = _check_states(true_states, n_steps, n_states, "true_states")
    state = n_states - 1 if state is None else check_int(state, "state", minimum=0,
                                                         maximum=n_states - 1)
    if axes is None:
        _, axes = plt.subplots(2, 1, figsize=(9, 4.6), sharex=True,
                               gridspec_kw={"height_ratios": [1.2, 1]})
    elif len(axes) != 2:
        raise ValueError("axes must be two matplotlib Axes (top, bottom)")
    top, bottom = (get_ax(a) for a in axes)
    plot_hmm_sequence(X, params, path, ax=top, colors=colors, ylabel=ylabel, xlabel="")
    low, high = top.get_ylim()
    top.set_ylim(low, high + 0.3 * (high - low))                 # room for the legend
    top.legend(loc="upper right", fontsize="small", ncol=n_states)
    t = np.arange(n_steps)
    bottom.fill_between(t, resp[:, state], step="mid", alpha=0.3, color="C7",
                        label=rf"$\gamma_t({state}) = p(z_t = {state} \mid X)$")
    scale = max(n_states - 1, 1)
    bottom.step(t, path / scale, where="mid", color="C3", linewidth=1.6,
                label="Viterbi path (scaled)")
    bottom.step(t, posterior / scale + 0.03, where="mid", color="C0", linewidth=1.0,
                linestyle="--", label=r"posterior decoding $\arg\max_k \gamma_t(k)$")
    if true_states is not None:
        bottom.step(t, true_states / scale - 0.03, where="mid", color="black", linewidth=0.8,
                    alpha=0.6, label="true states")
    bottom.set_ylim(-0.1, 1.6)
    bottom.set_xlabel("time step $t$")
    bottom.set_ylabel(rf"$\gamma_t({state})$; state" + (f" / {scale}" if scale > 1 else ""))
    bottom.legend(loc="upper center", fontsize="x-small", ncol=2)
    switches = [int(np.sum(np.diff(p) != 0)) for p in (path, posterior)]
    title = f"Viterbi: {switches[0]} switches; posterior decoding: {switches[1]} switches"
    if true_states is not None:
        title += (f"; correct: Viterbi {np.mean(path == true_states):.0%}, "
                  f"posterior {np.mean(posterior == true_states):.0%}")
    top.set_title(title, fontsize=10)
    return top, bottom
