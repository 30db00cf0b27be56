"""Input-contract rows for emlib.plotting.hmm (lecture 07's pictures): a categorical chain with
K = 2 states and eight symbols."""

from __future__ import annotations

import numpy as np

from emlib import hmm
from input_contract import Example

SYMBOLS = [0, 1, 1, 2, 0, 2, 1, 0]


def _params():
    return hmm.CategoricalHMMParams([0.6, 0.4], [[0.8, 0.2], [0.3, 0.7]],
                                    [[0.5, 0.3, 0.2], [0.1, 0.4, 0.5]])


def _check_sequence(ax, kw):
    # The last two scatters (one per state): the property's examples share the current Axes.
    assert sum(len(c.get_offsets()) for c in ax.collections[-2:]) == len(SYMBOLS)


def _check_decoding(axes, kw):
    top, bottom = axes
    assert len(bottom.lines) == 3           # Viterbi, posterior decoding, true states


EXAMPLES = {
    "plotting.hmm.plot_hmm_sequence": Example(
        lambda: dict(X=SYMBOLS, params=_params(), states=np.array([0, 0, 1, 1, 0, 1, 1, 0]),
                     colors=["C0", "C1"], ylabel="symbol", xlabel="t", s=14.0),
        {"X": "array", "params": "object", "states": "array", "colors": "words",
         "ylabel": "label", "xlabel": "label", "s": "real"}, check=_check_sequence),
    "plotting.hmm.plot_transitions": Example(
        lambda: dict(transitions=[[0.8, 0.2], [0.3, 0.7]], labels=["a", "b"], fmt="{:.2f}"),
        {"transitions": "array", "labels": "words", "fmt": "label"}),
    "plotting.hmm.plot_decoding": Example(
        lambda: dict(X=SYMBOLS, params=_params(), true_states=np.array([0, 0, 1, 1, 0, 1, 1, 0]),
                     colors=["C0", "C1"], state=1, ylabel="symbol"),
        {"X": "array", "params": "object", "true_states": "array", "colors": "words",
         "state": "int", "ylabel": "label"}, check=_check_decoding),
}
