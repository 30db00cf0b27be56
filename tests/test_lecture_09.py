"""Every assert of notebook 09 fails on a plausible wrong version of what it checks.

The notebook's code cells are executed here by cell id (matplotlib on Agg), once as written —
every check passes — and once per *mutant*: a copy of a cell with one realistic mistake
(E[log θ] computed as log E[θ], the entropy of q(Π), q(Θ) left out, a γ-update with α − 1,
VI started at a permuted solution, the tokens used for fold-in scored again, ...). Each
top-level statement of every ``*-check`` cell is run on its own, so
``test_every_check_statement_has_a_mutant`` insists that no assert is left that cannot fail.
The BBC News cells are fitted once (cached); their mutants edit only the cheap scoring cells.
"""

from __future__ import annotations

import matplotlib
import pytest

matplotlib.use("Agg")

from notebook_mutants import NotebookCells  # noqa: E402  (after the backend is chosen)

NOTEBOOK = NotebookCells("09_variational_inference.ipynb", memoize=("lda.fit", "topics.fit"))
CELLS, CHECKS = NOTEBOOK.cells, NOTEBOOK.checks
statements, run, check = NOTEBOOK.statements, NOTEBOOK.run, NOTEBOOK.check

BASE = ["imports", "updates-def"]
TINY = BASE + ["tiny-run"]
BBC = ["imports", "bbc-data"]
NEEDS = {
    "tiny-run-check": TINY,
    "coordinate-run-check": TINY + ["coordinate-run"],
    "map-run-check": BASE + ["tiny-run", "map-run"],
    "sklearn-run-check": BASE + ["sklearn-run"],
    "priors-run-check": BASE + ["sklearn-run", "priors-run", "priors-newton"],
    "bbc-data-check": BBC,
    "bbc-perplexity-run-check": BBC + ["bbc-fit-run", "bbc-perplexity-run"],
    "bbc-topics-run-check": BBC + ["bbc-topics-fit", "bbc-topics-run"],
}


@pytest.mark.parametrize("check_id", sorted(NEEDS))
def test_checks_pass_on_the_notebook_as_written(check_id):
    namespace = run(NEEDS[check_id])
    for statement, _ in statements(check_id):
        check(namespace, statement)


def test_every_check_cell_has_its_dependencies_listed():
    assert sorted(CHECKS) == sorted(NEEDS)


LOG_MEAN = ("updates-def",
            "return digamma(concentration) - digamma(concentration.sum(axis=1, keepdims=True))",
            "return np.log(concentration / concentration.sum(axis=1, keepdims=True))")
NO_ENTROPY = ("updates-def", "return words + priors + dirichlet_entropy(gamma) + dirichlet_entropy(lam)",
              "return words + priors")

MUTANTS = [
    ("E[log θ] computed as log E[θ]", "tiny-run-check", [0, 1], [LOG_MEAN]),
    ("the entropy of q(Π), q(Θ) left out", "tiny-run-check", [0, 1, 3], [NO_ENTROPY]),
    ("Monte Carlo at the wrong iterate", "tiny-run-check", [2],
     [("tiny-run", "*history[1], alpha=alpha", "*history[0], alpha=alpha")]),
    ("E[log θ] as log E[θ] in the dense bound", "coordinate-run-check", [1], [LOG_MEAN]),
    ("γ-update with a MAP-style pseudo-count (α − 0.4 for α)", "coordinate-run-check", [0],
     [("updates-def", "gamma = np.full((counts.shape[0], phi.shape[1]), alpha)",
       "gamma = np.full((counts.shape[0], phi.shape[1]), alpha - 0.4)")]),
    ("λ-update summing over the wrong tokens (document index for word index)",
     "coordinate-run-check", [0],
     [("updates-def", "np.add.at(lam.T, cols, counts.data[:, None] * phi)",
       "np.add.at(lam.T, cols[::-1], counts.data[:, None] * phi)")]),
    ("VI started at a permuted solution (topics swapped)", "map-run-check", [0, 1],
     [("map-run", "start = (2.0 + em.statistics.doc_topic_counts, 2.0 + em.statistics.word_topic_counts.T)",
       "start = (2.0 + em.statistics.doc_topic_counts[:, ::-1], 2.0 + em.statistics.word_topic_counts.T[::-1])")]),
    ("transform compared unnormalised (γ for E[π])", "sklearn-run-check", [0],
     [("sklearn-run", "our_doc_topic = our_gamma / our_gamma.sum(axis=1, keepdims=True)",
       "our_doc_topic = our_gamma")]),
    ("sklearn's bound fed its own transform's normalised output", "sklearn-run-check", [1],
     [("sklearn-run", "reference._approx_bound(synthetic, our_gamma,",
       "reference._approx_bound(synthetic, sk_doc_topic,")]),
    ("L recomputed at the start's α = β = 1, not at each iterate's own α, β", "priors-run-check",
     [0, 1], [("priors-run", "g, l, a, b)\n", "g, l, 1.0, 1.0)\n")]),
    ("Newton without the chain rule's K in d/dα log Γ(Kα)", "priors-run-check", [2, 3],
     [("priors-newton", "n_rows * size * (digamma(size * alpha) - digamma(alpha))",
       "n_rows * (digamma(size * alpha) - size * digamma(alpha))")]),
    ("Newton with the wrong sign (a step towards the minimum)", "priors-run-check", [2, 3],
     [("priors-newton", "alpha = alpha * np.exp(-gradient / (gradient + alpha * curvature))",
       "alpha = min(alpha * np.exp(gradient / (gradient + alpha * curvature)), 1e6)")]),
    ("priors never fitted: a burn-in longer than the run", "priors-run-check", [4, 5],
     [("priors-run", "fit_alpha=True, fit_beta=True,",
       "fit_alpha=True, fit_beta=True, prior_burn_in=200,")]),
    ("the vocabulary built from all 2225 articles, not the 600 used", "bbc-data-check", [0],
     [("bbc-data", "counts, vocabulary = datasets.count_matrix([texts[i] for i in subset], "
       "min_df=8, max_df=0.5)",
       "counts, vocabulary = datasets.count_matrix(texts, min_df=8, max_df=0.5); "
       "counts = counts[subset]")]),
    ("the halves drawn from different articles", "bbc-data-check", [1],
     [("bbc-data", "topics.split_tokens(counts[held_out], 0.5",
       "topics.split_tokens(counts[~held_out][:150], 0.5")]),
    ("topics never fitted: the random start scored", "bbc-perplexity-run-check", [0],
     [("bbc-perplexity-run", "        topic_word = model.topic_word\n",
       "        topic_word = topics.init_params(train, model.topic_word.shape[0], random_state=0)[1]\n")]),
    ("PLSA-ML scored on the tokens it was folded in on", "bbc-perplexity-run-check", [1, 2],
     [("bbc-perplexity-run", "perplexity[name].append(topics.perplexity(second_half, doc_topic, topic_word))",
       "perplexity[name].append(topics.perplexity(first_half if name == 'PLSA-ML' else second_half, doc_topic, topic_word))")]),
    ("every article given one topic", "bbc-topics-run-check", [0],
     [("bbc-topics-run", "mean_pi.argmax(axis=1)", "np.zeros(len(labels), dtype=int)")]),
    ("loop variable bug: topics needed counted on the α = 1 fit for both", "bbc-topics-run-check", [1],
     [("bbc-topics-run", "needed[a] = lda.topics_needed(pi_a).mean()",
       "needed[a] = lda.topics_needed(mean_pi).mean()")]),
]


@pytest.mark.parametrize("name, check_id, broken, edits", MUTANTS, ids=[m[0] for m in MUTANTS])
def test_check_fails_on_a_plausible_wrong_version(name, check_id, broken, edits):
    NOTEBOOK.assert_breaks(NEEDS[check_id], check_id, broken, edits)


def test_every_check_statement_has_a_mutant():
    missing = NOTEBOOK.uncovered(MUTANTS)
    assert not missing, f"notebook checks no test shows failing: {missing}"
